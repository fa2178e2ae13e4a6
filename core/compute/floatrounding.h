#pragma once

#include "dtype.h"

#include <cstdint>
#include <optional>

namespace tantra {

// Round-to-nearest, ties to even, of any double into the float types a weight is converted
// to: BF16, F16, F32, F8_E4M3 (e4m3fn: no infinity, NaN is S.1111.111, largest 448) and
// F8_E5M2 (IEEE-like, largest 57344). One rounding from the exact value, which is what
// numpy's astype(float16), torch's .to(bfloat16) (for the f32 input) and IEEE 754 do; the
// choices for what has no exact IEEE rule are in docs/CONVERT.md:
//  - overflow (the rounded magnitude exceeds the largest finite value): ±Inf for BF16, F16 and
//    F32; the largest finite value for the F8 types when saturating (the default), else NaN
//    for e4m3fn (it has no infinity) and ±Inf for e5m2;
//  - ±Inf in: ±Inf out where the type has it; e4m3fn saturates it (or gives NaN);
//  - NaN in: the type's quiet NaN with the input's sign (payloads are not kept);
//  - ±0 and results that round to zero keep the sign.
struct RoundingOutcome
{
    std::uint32_t bits = 0; // the encoded value, in the low 8, 16 or 32 bits
    bool overflowed = false; // saturated, or became ±Inf/NaN from a finite input
    bool flushed = false;    // a non-zero finite input became ±0
};

// The types convertWeight can produce.
bool isConversionTarget(Dtype dtype);
// Largest finite value of a target.
double largestFinite(Dtype target);

RoundingOutcome roundToDtype(double x, Dtype target, bool saturate = true);

} // namespace tantra
