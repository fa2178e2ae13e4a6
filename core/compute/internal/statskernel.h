#pragma once

namespace tantra {

// Which kernel computeStats uses for blocks of F32 (and C64) values. Avx2 and Avx512 give the
// same results bit for bit, Generic (the fallback without AVX2) the same to rounding; Best (the
// default) takes the widest the CPU supports. For tests and benchmarks, which compare the
// paths on one machine; not thread-safe against a running pass.
enum class FloatKernel { Best, Generic, Avx2, Avx512 };

// False, changing nothing, when the CPU lacks the instructions.
bool setFloatKernel(FloatKernel kernel);

} // namespace tantra
