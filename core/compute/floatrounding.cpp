#include "floatrounding.h"

#include <bit>
#include <cmath>
#include <limits>

namespace tantra {

namespace {

struct Format
{
    int exponentBits;
    int mantissaBits;
    bool ieee;              // the top exponent is Inf/NaN; else (e4m3fn) only S.1111.111 is NaN
    std::uint32_t quietNaN; // without the sign
};

Format formatOf(Dtype target)
{
    switch (target) {
    case Dtype::BF16: return {8, 7, true, 0x7fc0};
    case Dtype::F16: return {5, 10, true, 0x7e00};
    case Dtype::F32: return {8, 23, true, 0x7fc00000};
    case Dtype::F8_E5M2: return {5, 2, true, 0x7e};
    case Dtype::F8_E4M3: return {4, 3, false, 0x7f};
    default: return {0, 0, true, 0};
    }
}

int bias(const Format &f)
{
    return (1 << (f.exponentBits - 1)) - 1;
}

// The largest exponent field a finite value may have, and its largest mantissa field.
int maxExponentField(const Format &f)
{
    return f.ieee ? (1 << f.exponentBits) - 2 : (1 << f.exponentBits) - 1;
}

std::uint32_t maxMantissaField(const Format &f)
{
    const std::uint32_t all = (std::uint32_t(1) << f.mantissaBits) - 1;
    return f.ieee ? all : all - 1; // e4m3fn: mantissa 111 with exponent 1111 is NaN
}

// 2^k for k in double's normal range [-1022, 1023], from its bits: std::ldexp is a library
// call that took half of an FP8 conversion's time. Multiplying by it is exact wherever ldexp
// would have been (no overflow, no result below the normals).
double pow2(int k)
{
    return std::bit_cast<double>(std::uint64_t(k + 1023) << 52);
}

double largest(const Format &f)
{
    const int e = maxExponentField(f) - bias(f);
    return (1.0 + double(maxMantissaField(f)) / double(std::uint32_t(1) << f.mantissaBits)) * pow2(e);
}

std::uint32_t signBit(const Format &f)
{
    return std::uint32_t(1) << (f.exponentBits + f.mantissaBits);
}

std::uint32_t infinity(const Format &f)
{
    return std::uint32_t((1 << f.exponentBits) - 1) << f.mantissaBits;
}

std::uint32_t largestBits(const Format &f)
{
    return (std::uint32_t(maxExponentField(f)) << f.mantissaBits) | maxMantissaField(f);
}

} // namespace

bool isConversionTarget(Dtype dtype)
{
    return dtype == Dtype::BF16 || dtype == Dtype::F16 || dtype == Dtype::F32 || dtype == Dtype::F8_E4M3
        || dtype == Dtype::F8_E5M2;
}

double largestFinite(Dtype target)
{
    return largest(formatOf(target));
}

RoundingOutcome roundToDtype(double x, Dtype target, bool saturate)
{
    const Format f = formatOf(target);
    RoundingOutcome out;
    const std::uint32_t sign = std::signbit(x) ? signBit(f) : 0;
    if (std::isnan(x)) {
        out.bits = sign | f.quietNaN;
        return out;
    }
    const auto overflow = [&] {
        out.overflowed = true;
        if (target == Dtype::F8_E4M3 || target == Dtype::F8_E5M2) {
            if (saturate)
                return sign | largestBits(f);
            return target == Dtype::F8_E4M3 ? sign | f.quietNaN : sign | infinity(f);
        }
        return sign | infinity(f);
    };
    if (std::isinf(x)) {
        if (f.ieee) {
            out.bits = sign | infinity(f);
            return out;
        }
        out.bits = overflow();
        return out;
    }
    const double a = std::fabs(x);
    if (a == 0) {
        out.bits = sign;
        return out;
    }
    // The quantum (value of the last mantissa bit) at a's binade, or at the subnormals'.
    const int minNormalExponent = 1 - bias(f);
    int e = std::ilogb(a);
    if (e < minNormalExponent)
        e = minNormalExponent;
    const int quantumExponent = e - f.mantissaBits;
    // a / 2^q is exact (a power-of-two scaling of a double that stays normal here); nearbyint
    // rounds it to an integer ties-to-even under the default rounding mode.
    // Both factors stay within [-1022, 1023]: e is at most 1023 (a double) and at least the
    // target's smallest normal exponent, the mantissa at most 23 bits.
    const double n = std::nearbyint(a * pow2(-quantumExponent));
    const double rounded = n * pow2(quantumExponent);
    if (rounded > largest(f)) {
        out.bits = overflow();
        return out;
    }
    if (rounded == 0) {
        out.flushed = true;
        out.bits = sign;
        return out;
    }
    // Assemble: a subnormal has exponent field 0 and n < 2^M; a normal may have carried into
    // the next binade (n == 2^(M+1)), which ilogb of the result accounts for.
    const int re = std::ilogb(rounded);
    std::uint32_t exponentField;
    std::uint32_t mantissa;
    if (re < minNormalExponent) {
        exponentField = 0;
        mantissa = std::uint32_t(rounded * pow2(f.mantissaBits - minNormalExponent));
    } else {
        exponentField = std::uint32_t(re + bias(f));
        mantissa = std::uint32_t(rounded * pow2(f.mantissaBits - re)) - (std::uint32_t(1) << f.mantissaBits);
    }
    out.bits = sign | (exponentField << f.mantissaBits) | mantissa;
    return out;
}

} // namespace tantra
