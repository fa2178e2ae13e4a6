#include "valueformatter.h"

#include <algorithm>

#include <charconv>
#include <cmath>
#include <cstring>

namespace tantra {

namespace {

template<typename T>
T load(const std::byte *data, std::uint64_t index)
{
    T value;
    std::memcpy(&value, data + index * sizeof(T), sizeof(T));
    return value;
}

QString shortest(float value)
{
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return QString::fromLatin1(buffer, result.ptr - buffer);
}

QString shortest(double value)
{
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return QString::fromLatin1(buffer, result.ptr - buffer);
}

} // namespace

int ValueFormatter::significantDigits(Dtype dtype)
{
    switch (dtype) {
    case Dtype::F16: return 5;  // 11-bit significand: 5 digits tell any two halves apart
    case Dtype::BF16: return 4; // 8-bit significand
    case Dtype::F8_E4M3:
    case Dtype::F8_E4M3FNUZ:
    case Dtype::F8_E5M2:
    case Dtype::F8_E5M2FNUZ:
    case Dtype::F4:
    case Dtype::F6_E2M3:
    case Dtype::F6_E3M2: return 4; // few codes, all short decimals at this precision
    case Dtype::F8_E8M0: return 6;  // powers of two
    default: return 0;
    }
}

QString ValueFormatter::formatReal(double value, int digits)
{
    if (std::isnan(value))
        return QStringLiteral("nan");
    if (std::isinf(value))
        return value > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    if (digits <= 0)
        return shortest(value);
    return QString::number(value, 'g', digits);
}

QString ValueFormatter::format(Dtype dtype, const std::byte *data, std::uint64_t index)
{
    switch (dtype) {
    case Dtype::BOOL: return load<std::uint8_t>(data, index) ? QStringLiteral("true") : QStringLiteral("false");
    case Dtype::U8: return QString::number(load<std::uint8_t>(data, index));
    case Dtype::I8: return QString::number(load<std::int8_t>(data, index));
    case Dtype::U16: return QString::number(load<std::uint16_t>(data, index));
    case Dtype::I16: return QString::number(load<std::int16_t>(data, index));
    case Dtype::U32: return QString::number(load<std::uint32_t>(data, index));
    case Dtype::I32: return QString::number(load<std::int32_t>(data, index));
    case Dtype::U64: return QString::number(qulonglong(load<std::uint64_t>(data, index)));
    case Dtype::I64: return QString::number(qlonglong(load<std::int64_t>(data, index)));
    case Dtype::F32: {
        const float value = load<float>(data, index);
        return std::isfinite(value) ? shortest(value) : formatReal(value, 0);
    }
    case Dtype::F64: return formatReal(load<double>(data, index), 0);
    case Dtype::C64: {
        const float re = float(decodeValue(dtype, data, index));
        const float im = float(decodeImag(data, index));
        const QString reText = std::isfinite(re) ? shortest(re) : formatReal(re, 0);
        const QString imText = std::isfinite(im) ? shortest(std::fabs(im)) : formatReal(std::fabs(im), 0);
        return reText + (std::signbit(im) ? QLatin1Char('-') : QLatin1Char('+')) + imText + QLatin1Char('i');
    }
    default: return formatReal(decodeValue(dtype, data, index), significantDigits(dtype));
    }
}

QString ValueFormatter::widestText(Dtype dtype)
{
    switch (dtype) {
    case Dtype::BOOL: return QStringLiteral("false");
    case Dtype::U8: return QStringLiteral("255");
    case Dtype::I8: return QStringLiteral("-128");
    case Dtype::U16: return QStringLiteral("65535");
    case Dtype::I16: return QStringLiteral("-32768");
    case Dtype::U32: return QStringLiteral("4294967295");
    case Dtype::I32: return QStringLiteral("-2147483648");
    case Dtype::U64: return QStringLiteral("18446744073709551615");
    case Dtype::I64: return QStringLiteral("-9223372036854775808");
    // The shortest round trip of a float takes up to 9 digits, of a double 17, plus a sign,
    // a point and an exponent.
    case Dtype::F32: return QStringLiteral("-1.17549435e-38");
    case Dtype::F64: return QStringLiteral("-2.2250738585072014e-308");
    case Dtype::C64: return QStringLiteral("-1.17549435e-38-1.17549435e-38i");
    default: break;
    }
    // 'g' with d digits: a sign, d digits, a point and an exponent such as e-05.
    const int digits = std::max(1, significantDigits(dtype));
    return QStringLiteral("-0.") + QString(digits, QLatin1Char('0')) + QStringLiteral("e-05");
}

} // namespace tantra
