#pragma once

#include "dtype.h"

#include <QString>

#include <cstddef>
#include <cstdint>

namespace tantra {

// One element as text, as precisely as its type holds it and no more: f32 and f64 print
// their shortest round-trip form, the narrow floats only the digits they carry (bf16 ~3,
// f16 ~4, fp8 ~2), integers exactly (64-bit ones without a detour through double), bool as
// true/false and c64 as a+bi.
class ValueFormatter
{
public:
    static QString format(Dtype dtype, const std::byte *data, std::uint64_t index);
    // Significant digits shown for a float type (0 for the shortest round trip).
    static int significantDigits(Dtype dtype);
    static QString formatReal(double value, int significantDigits);
    // A text at least as wide as any value of the type prints (in digits, signs and
    // exponents), to size a column once instead of measuring every cell.
    static QString widestText(Dtype dtype);
};

} // namespace tantra
