#include "dtype.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace tantra {

namespace {

struct DtypeInfo
{
    std::string_view name;
    int bits;
};

constexpr std::array<DtypeInfo, kDtypeCount> kInfo = {{
    {"BOOL", 8},
    {"F4", 4},
    {"F6_E2M3", 6},
    {"F6_E3M2", 6},
    {"U8", 8},
    {"I8", 8},
    {"F8_E5M2", 8},
    {"F8_E4M3", 8},
    {"F8_E8M0", 8},
    {"F8_E4M3FNUZ", 8},
    {"F8_E5M2FNUZ", 8},
    {"I16", 16},
    {"U16", 16},
    {"F16", 16},
    {"BF16", 16},
    {"I32", 32},
    {"U32", 32},
    {"F32", 32},
    {"C64", 64},
    {"F64", 64},
    {"I64", 64},
    {"U64", 64},
}};

template<typename T>
T load(const std::byte *p)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    return v; // the target platforms are little-endian, as is the format
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A sign/exponent/mantissa float of `expBits` + `manBits` (+1 sign) bits with the given bias;
// `ieee` means the all-ones exponent encodes Inf/NaN.
double decodeGeneric(std::uint32_t code, int expBits, int manBits, int bias, bool ieee)
{
    const std::uint32_t sign = (code >> (expBits + manBits)) & 1u;
    const std::uint32_t exp = (code >> manBits) & ((1u << expBits) - 1);
    const std::uint32_t man = code & ((1u << manBits) - 1);
    double v;
    if (ieee && exp == (1u << expBits) - 1) {
        v = man ? kNaN : kInf;
    } else if (exp == 0) {
        v = std::ldexp(double(man), 1 - bias - manBits);
    } else {
        v = std::ldexp(double(man | (1u << manBits)), int(exp) - bias - manBits);
    }
    return sign ? -v : v;
}

} // namespace

std::optional<Dtype> dtypeFromName(std::string_view name)
{
    for (int i = 0; i < kDtypeCount; ++i) {
        if (kInfo[std::size_t(i)].name == name)
            return Dtype(i);
    }
    return std::nullopt;
}

const char *dtypeName(Dtype dtype)
{
    return kInfo[std::size_t(dtype)].name.data();
}

int dtypeBits(Dtype dtype)
{
    return kInfo[std::size_t(dtype)].bits;
}

bool dtypeIsFloat(Dtype dtype)
{
    switch (dtype) {
    case Dtype::BOOL:
    case Dtype::U8:
    case Dtype::I8:
    case Dtype::I16:
    case Dtype::U16:
    case Dtype::I32:
    case Dtype::U32:
    case Dtype::I64:
    case Dtype::U64:
        return false;
    default:
        return true;
    }
}

bool dtypeIsComplex(Dtype dtype)
{
    return dtype == Dtype::C64;
}

double halfToDouble(std::uint16_t bits)
{
    return decodeGeneric(bits, 5, 10, 15, true);
}

double bfloat16ToDouble(std::uint16_t bits)
{
    return double(std::bit_cast<float>(std::uint32_t(bits) << 16));
}

double minifloatToDouble(Dtype dtype, std::uint8_t code)
{
    switch (dtype) {
    case Dtype::F8_E5M2:
        return decodeGeneric(code, 5, 2, 15, true);
    case Dtype::F8_E4M3:
        // OCP "FN" variant: no infinities, S.1111.111 is NaN, largest finite 448.
        if ((code & 0x7f) == 0x7f)
            return kNaN;
        return decodeGeneric(code, 4, 3, 7, false);
    case Dtype::F8_E8M0:
        // Unsigned power of two, 0xFF is NaN; there is no zero.
        return code == 0xff ? kNaN : std::ldexp(1.0, int(code) - 127);
    case Dtype::F8_E4M3FNUZ:
        // No infinities and no negative zero: 0x80 is the only NaN; bias 8.
        if (code == 0x80)
            return kNaN;
        return decodeGeneric(code, 4, 3, 8, false);
    case Dtype::F8_E5M2FNUZ:
        if (code == 0x80)
            return kNaN;
        return decodeGeneric(code, 5, 2, 16, false);
    case Dtype::F4:
        return decodeGeneric(code & 0x0f, 2, 1, 1, false);
    case Dtype::F6_E2M3:
        return decodeGeneric(code & 0x3f, 2, 3, 1, false);
    case Dtype::F6_E3M2:
        return decodeGeneric(code & 0x3f, 3, 2, 3, false);
    default:
        return kNaN;
    }
}

double decodeValue(Dtype dtype, const std::byte *data, std::uint64_t index)
{
    switch (dtype) {
    case Dtype::BOOL:
        return std::to_integer<std::uint8_t>(data[index]) != 0 ? 1.0 : 0.0;
    case Dtype::U8:
        return double(std::to_integer<std::uint8_t>(data[index]));
    case Dtype::I8:
        return double(std::int8_t(std::to_integer<std::uint8_t>(data[index])));
    case Dtype::F8_E5M2:
    case Dtype::F8_E4M3:
    case Dtype::F8_E8M0:
    case Dtype::F8_E4M3FNUZ:
    case Dtype::F8_E5M2FNUZ:
        return minifloatToDouble(dtype, std::to_integer<std::uint8_t>(data[index]));
    case Dtype::F4: {
        const auto byte = std::to_integer<std::uint8_t>(data[index / 2]);
        return minifloatToDouble(dtype, std::uint8_t(index % 2 ? byte >> 4 : byte & 0x0f));
    }
    case Dtype::F6_E2M3:
    case Dtype::F6_E3M2: {
        // Four values in three bytes: read the 24-bit group and pick the 6-bit field.
        const std::byte *group = data + (index / 4) * 3;
        const std::uint32_t word = std::to_integer<std::uint32_t>(group[0])
                | (std::to_integer<std::uint32_t>(group[1]) << 8)
                | (std::to_integer<std::uint32_t>(group[2]) << 16);
        return minifloatToDouble(dtype, std::uint8_t((word >> (6 * (index % 4))) & 0x3f));
    }
    case Dtype::I16:
        return double(load<std::int16_t>(data + index * 2));
    case Dtype::U16:
        return double(load<std::uint16_t>(data + index * 2));
    case Dtype::F16:
        return halfToDouble(load<std::uint16_t>(data + index * 2));
    case Dtype::BF16:
        return bfloat16ToDouble(load<std::uint16_t>(data + index * 2));
    case Dtype::I32:
        return double(load<std::int32_t>(data + index * 4));
    case Dtype::U32:
        return double(load<std::uint32_t>(data + index * 4));
    case Dtype::F32:
        return double(load<float>(data + index * 4));
    case Dtype::C64:
        return double(load<float>(data + index * 8));
    case Dtype::F64:
        return load<double>(data + index * 8);
    case Dtype::I64:
        return double(load<std::int64_t>(data + index * 8));
    case Dtype::U64:
        return double(load<std::uint64_t>(data + index * 8));
    }
    return kNaN;
}

double decodeImag(const std::byte *data, std::uint64_t index)
{
    return double(load<float>(data + index * 8 + 4));
}

} // namespace tantra
