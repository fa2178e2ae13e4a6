#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tantra {

// Element types of the safetensors format. The declaration order is the reference
// implementation's (it derives Ord from it); the writer's tie-break depends on it.
enum class Dtype : std::uint8_t {
    BOOL,
    F4,
    F6_E2M3,
    F6_E3M2,
    U8,
    I8,
    F8_E5M2,
    F8_E4M3,
    F8_E8M0,
    F8_E4M3FNUZ,
    F8_E5M2FNUZ,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    C64,
    F64,
    I64,
    U64,
};

inline constexpr int kDtypeCount = int(Dtype::U64) + 1;

std::optional<Dtype> dtypeFromName(std::string_view name);
const char *dtypeName(Dtype dtype);
// Bits per element: 4 for F4, 6 for F6_*, 64 for C64 (a pair of f32).
int dtypeBits(Dtype dtype);
bool dtypeIsFloat(Dtype dtype);
bool dtypeIsComplex(Dtype dtype);

// Decodes element `index` of a little-endian buffer to double. Sub-byte types are packed
// LSB-first: element i of F4 is bits [4i, 4i+4) of the byte stream, of F6 bits [6i, 6i+6).
// For C64 this is the real part; decodeImag gives the imaginary part.
double decodeValue(Dtype dtype, const std::byte *data, std::uint64_t index);
double decodeImag(const std::byte *data, std::uint64_t index);

// Scalar decoders, exposed for tests and for the statistics kernels.
double halfToDouble(std::uint16_t bits);
double bfloat16ToDouble(std::uint16_t bits);
// The 8-bit float formats and the 4/6-bit ones (code in the low bits).
double minifloatToDouble(Dtype dtype, std::uint8_t code);

} // namespace tantra
