// Element types: names, bit sizes and decoders. Expected values are derived by hand from each
// format's definition (sign, exponent bias, Inf/NaN encoding), not from the code under test.

#include "dtype.h"
#include "testutil.h"

#include <QTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

using namespace tantra;

Q_DECLARE_METATYPE(tantra::Dtype)

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Same value, and for zeros the same sign; NaN equals NaN here.
bool sameValue(double a, double b)
{
    if (std::isnan(a) || std::isnan(b))
        return std::isnan(a) && std::isnan(b);
    return a == b && std::signbit(a) == std::signbit(b);
}

} // namespace

class TestDtype : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void namesAndBits_data();
    void namesAndBits();
    void nameIsExact_data();
    void nameIsExact();
    void half_data();
    void half();
    void halfMatchesCompiler();
    void bfloat16_data();
    void bfloat16();
    void minifloat_data();
    void minifloat();
    void minifloatShape_data();
    void minifloatShape();
    void subBytePacking();
    void decodeValueIntegersAndWide();
};

void TestDtype::namesAndBits_data()
{
    QTest::addColumn<Dtype>("dtype");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("bits");
    QTest::addColumn<bool>("isFloat");

    const auto row = [](Dtype d, const char *name, int bits, bool isFloat) {
        QTest::newRow(name) << d << QString::fromLatin1(name) << bits << isFloat;
    };
    row(Dtype::BOOL, "BOOL", 8, false);
    row(Dtype::F4, "F4", 4, true);
    row(Dtype::F6_E2M3, "F6_E2M3", 6, true);
    row(Dtype::F6_E3M2, "F6_E3M2", 6, true);
    row(Dtype::U8, "U8", 8, false);
    row(Dtype::I8, "I8", 8, false);
    row(Dtype::F8_E5M2, "F8_E5M2", 8, true);
    row(Dtype::F8_E4M3, "F8_E4M3", 8, true);
    row(Dtype::F8_E8M0, "F8_E8M0", 8, true);
    row(Dtype::F8_E4M3FNUZ, "F8_E4M3FNUZ", 8, true);
    row(Dtype::F8_E5M2FNUZ, "F8_E5M2FNUZ", 8, true);
    row(Dtype::I16, "I16", 16, false);
    row(Dtype::U16, "U16", 16, false);
    row(Dtype::F16, "F16", 16, true);
    row(Dtype::BF16, "BF16", 16, true);
    row(Dtype::I32, "I32", 32, false);
    row(Dtype::U32, "U32", 32, false);
    row(Dtype::F32, "F32", 32, true);
    row(Dtype::C64, "C64", 64, true);
    row(Dtype::F64, "F64", 64, true);
    row(Dtype::I64, "I64", 64, false);
    row(Dtype::U64, "U64", 64, false);
}

void TestDtype::namesAndBits()
{
    QFETCH(Dtype, dtype);
    QFETCH(QString, name);
    QFETCH(int, bits);
    QFETCH(bool, isFloat);

    QCOMPARE(QString::fromLatin1(dtypeName(dtype)), name);
    QCOMPARE(dtypeBits(dtype), bits);
    QCOMPARE(dtypeIsFloat(dtype), isFloat);
    QCOMPARE(dtypeIsComplex(dtype), dtype == Dtype::C64);
    const auto back = dtypeFromName(name.toStdString());
    QVERIFY(back.has_value());
    QCOMPARE(*back, dtype);
    // The rows cover every enumerator exactly once.
    QVERIFY(int(dtype) < kDtypeCount);
    QCOMPARE(kDtypeCount, 22);
}

void TestDtype::nameIsExact_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::newRow("lower case") << QByteArray("f32");
    QTest::newRow("mixed case") << QByteArray("Bf16");
    QTest::newRow("trailing space") << QByteArray("F32 ");
    QTest::newRow("leading space") << QByteArray(" F32");
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("PyTorch spelling") << QByteArray("F8_E4M3FN");
    QTest::newRow("numpy spelling") << QByteArray("float32");
    QTest::newRow("prefix of a name") << QByteArray("F8_E4M3FNU");
    QTest::newRow("embedded NUL") << QByteArray("F32\0", 4);
    QTest::newRow("not a type") << QByteArray("F128");
}

void TestDtype::nameIsExact()
{
    QFETCH(QByteArray, name);
    QVERIFY(!dtypeFromName(std::string_view(name.constData(), std::size_t(name.size()))).has_value());
}

void TestDtype::half_data()
{
    QTest::addColumn<int>("bits");
    QTest::addColumn<double>("value");
    QTest::newRow("+0") << 0x0000 << 0.0;
    QTest::newRow("-0") << 0x8000 << -0.0;
    QTest::newRow("1") << 0x3c00 << 1.0;
    QTest::newRow("-2") << 0xc000 << -2.0;
    QTest::newRow("1/3 rounded") << 0x3555 << 1365.0 / 4096.0; // 1.0101010101b * 2^-2
    QTest::newRow("max finite") << 0x7bff << 65504.0;
    QTest::newRow("-max finite") << 0xfbff << -65504.0;
    QTest::newRow("min normal") << 0x0400 << std::ldexp(1.0, -14);
    QTest::newRow("min subnormal") << 0x0001 << std::ldexp(1.0, -24);
    QTest::newRow("max subnormal") << 0x03ff << std::ldexp(1023.0, -24);
    QTest::newRow("-min subnormal") << 0x8001 << -std::ldexp(1.0, -24);
    QTest::newRow("+Inf") << 0x7c00 << kInf;
    QTest::newRow("-Inf") << 0xfc00 << -kInf;
    QTest::newRow("quiet NaN") << 0x7e00 << kNaN;
    QTest::newRow("signalling NaN") << 0x7c01 << kNaN;
    QTest::newRow("negative NaN") << 0xffff << kNaN;
}

void TestDtype::half()
{
    QFETCH(int, bits);
    QFETCH(double, value);
    const double got = halfToDouble(std::uint16_t(bits));
    QVERIFY2(sameValue(got, value), qPrintable(QStringLiteral("got %1").arg(got, 0, 'g', 17)));
    // decodeValue reads the same code from little-endian bytes.
    const unsigned char bytes[2] = {static_cast<unsigned char>(bits & 0xff), static_cast<unsigned char>(bits >> 8)};
    QVERIFY(sameValue(decodeValue(Dtype::F16, reinterpret_cast<const std::byte *>(bytes), 0), value));
}

void TestDtype::halfMatchesCompiler()
{
#ifdef __FLT16_MAX__
    // Every code against the compiler's own IEEE binary16 conversion.
    for (std::uint32_t code = 0; code <= 0xffff; ++code) {
        const double expected = double(std::bit_cast<_Float16>(std::uint16_t(code)));
        if (!sameValue(halfToDouble(std::uint16_t(code)), expected))
            QFAIL(qPrintable(QStringLiteral("code 0x%1 decodes to %2, expected %3")
                                     .arg(code, 4, 16, QLatin1Char('0'))
                                     .arg(halfToDouble(std::uint16_t(code)))
                                     .arg(expected)));
    }
#else
    QSKIP("this compiler has no _Float16 to compare with");
#endif
}

void TestDtype::bfloat16_data()
{
    QTest::addColumn<int>("bits");
    QTest::addColumn<double>("value");
    QTest::newRow("+0") << 0x0000 << 0.0;
    QTest::newRow("-0") << 0x8000 << -0.0;
    QTest::newRow("1") << 0x3f80 << 1.0;
    QTest::newRow("-2") << 0xc000 << -2.0;
    QTest::newRow("pi rounded") << 0x4049 << 3.140625; // 1.1001001b * 2^1
    QTest::newRow("max finite") << 0x7f7f << std::ldexp(255.0, 120); // (2 - 2^-7) * 2^127
    QTest::newRow("min normal") << 0x0080 << std::ldexp(1.0, -126);
    QTest::newRow("min subnormal") << 0x0001 << std::ldexp(1.0, -133);
    QTest::newRow("+Inf") << 0x7f80 << kInf;
    QTest::newRow("-Inf") << 0xff80 << -kInf;
    QTest::newRow("quiet NaN") << 0x7fc0 << kNaN;
    QTest::newRow("signalling NaN") << 0x7f81 << kNaN;
}

void TestDtype::bfloat16()
{
    QFETCH(int, bits);
    QFETCH(double, value);
    QVERIFY(sameValue(bfloat16ToDouble(std::uint16_t(bits)), value));
    const unsigned char bytes[2] = {static_cast<unsigned char>(bits & 0xff), static_cast<unsigned char>(bits >> 8)};
    QVERIFY(sameValue(decodeValue(Dtype::BF16, reinterpret_cast<const std::byte *>(bytes), 0), value));
}

void TestDtype::minifloat_data()
{
    QTest::addColumn<Dtype>("dtype");
    QTest::addColumn<int>("code");
    QTest::addColumn<double>("value");

    const auto row = [](Dtype d, int code, double value, const char *what) {
        QTest::addRow("%s 0x%02x %s", dtypeName(d), code, what) << d << code << value;
    };

    // E5M2: IEEE-style, bias 15, 2 mantissa bits.
    row(Dtype::F8_E5M2, 0x00, 0.0, "+0");
    row(Dtype::F8_E5M2, 0x80, -0.0, "-0");
    row(Dtype::F8_E5M2, 0x3c, 1.0, "1");
    row(Dtype::F8_E5M2, 0x7b, 57344.0, "max finite");
    row(Dtype::F8_E5M2, 0xfb, -57344.0, "-max finite");
    row(Dtype::F8_E5M2, 0x04, std::ldexp(1.0, -14), "min normal");
    row(Dtype::F8_E5M2, 0x01, std::ldexp(1.0, -16), "min subnormal");
    row(Dtype::F8_E5M2, 0x03, std::ldexp(3.0, -16), "max subnormal");
    row(Dtype::F8_E5M2, 0x7c, kInf, "+Inf");
    row(Dtype::F8_E5M2, 0xfc, -kInf, "-Inf");
    row(Dtype::F8_E5M2, 0x7d, kNaN, "NaN");
    row(Dtype::F8_E5M2, 0x7f, kNaN, "NaN");
    row(Dtype::F8_E5M2, 0xfe, kNaN, "NaN");

    // E4M3 (OCP "FN"): bias 7, no infinities, S.1111.111 is NaN.
    row(Dtype::F8_E4M3, 0x00, 0.0, "+0");
    row(Dtype::F8_E4M3, 0x80, -0.0, "-0");
    row(Dtype::F8_E4M3, 0x38, 1.0, "1");
    row(Dtype::F8_E4M3, 0x40, 2.0, "2");
    row(Dtype::F8_E4M3, 0x7e, 448.0, "max finite");
    row(Dtype::F8_E4M3, 0xfe, -448.0, "-max finite");
    row(Dtype::F8_E4M3, 0x78, 256.0, "all-ones exponent is finite");
    row(Dtype::F8_E4M3, 0x08, std::ldexp(1.0, -6), "min normal");
    row(Dtype::F8_E4M3, 0x01, std::ldexp(1.0, -9), "min subnormal");
    row(Dtype::F8_E4M3, 0x07, std::ldexp(7.0, -9), "max subnormal");
    row(Dtype::F8_E4M3, 0x7f, kNaN, "NaN");
    row(Dtype::F8_E4M3, 0xff, kNaN, "-NaN");

    // E4M3FNUZ: bias 8, no infinities, no -0; 0x80 is the only NaN.
    row(Dtype::F8_E4M3FNUZ, 0x00, 0.0, "0");
    row(Dtype::F8_E4M3FNUZ, 0x80, kNaN, "NaN");
    row(Dtype::F8_E4M3FNUZ, 0x40, 1.0, "1");
    row(Dtype::F8_E4M3FNUZ, 0x7f, 240.0, "max finite");
    row(Dtype::F8_E4M3FNUZ, 0xff, -240.0, "-max finite");
    row(Dtype::F8_E4M3FNUZ, 0x78, 128.0, "all-ones exponent is finite");
    row(Dtype::F8_E4M3FNUZ, 0x08, std::ldexp(1.0, -7), "min normal");
    row(Dtype::F8_E4M3FNUZ, 0x01, std::ldexp(1.0, -10), "min subnormal");
    row(Dtype::F8_E4M3FNUZ, 0x81, -std::ldexp(1.0, -10), "-min subnormal");

    // E5M2FNUZ: bias 16, no infinities, no -0; 0x80 is the only NaN.
    row(Dtype::F8_E5M2FNUZ, 0x00, 0.0, "0");
    row(Dtype::F8_E5M2FNUZ, 0x80, kNaN, "NaN");
    row(Dtype::F8_E5M2FNUZ, 0x40, 1.0, "1");
    row(Dtype::F8_E5M2FNUZ, 0x7f, 57344.0, "max finite");
    row(Dtype::F8_E5M2FNUZ, 0xff, -57344.0, "-max finite");
    row(Dtype::F8_E5M2FNUZ, 0x7c, 32768.0, "all-ones exponent is finite");
    row(Dtype::F8_E5M2FNUZ, 0x04, std::ldexp(1.0, -15), "min normal");
    row(Dtype::F8_E5M2FNUZ, 0x01, std::ldexp(1.0, -17), "min subnormal");

    // E8M0: an unsigned power of two, 2^(code - 127); no zero, 0xFF is NaN.
    row(Dtype::F8_E8M0, 0x00, std::ldexp(1.0, -127), "smallest");
    row(Dtype::F8_E8M0, 0x7f, 1.0, "1");
    row(Dtype::F8_E8M0, 0x80, 2.0, "2");
    row(Dtype::F8_E8M0, 0xfe, std::ldexp(1.0, 127), "largest");
    row(Dtype::F8_E8M0, 0xff, kNaN, "NaN");

    // F4 (E2M1, bias 1): the eight magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6, then negated.
    const double f4[8] = {0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0};
    for (int c = 0; c < 16; ++c)
        row(Dtype::F4, c, c < 8 ? f4[c] : -f4[c - 8], "");

    // F6_E2M3: bias 1, no Inf/NaN; max 7.5, smallest subnormal 1/8.
    row(Dtype::F6_E2M3, 0x00, 0.0, "+0");
    row(Dtype::F6_E2M3, 0x20, -0.0, "-0");
    row(Dtype::F6_E2M3, 0x01, 0.125, "min subnormal");
    row(Dtype::F6_E2M3, 0x07, 0.875, "max subnormal");
    row(Dtype::F6_E2M3, 0x08, 1.0, "min normal");
    row(Dtype::F6_E2M3, 0x10, 2.0, "2");
    row(Dtype::F6_E2M3, 0x1f, 7.5, "max finite");
    row(Dtype::F6_E2M3, 0x3f, -7.5, "-max finite");

    // F6_E3M2: bias 3, no Inf/NaN; max 28, smallest subnormal 1/16.
    row(Dtype::F6_E3M2, 0x00, 0.0, "+0");
    row(Dtype::F6_E3M2, 0x20, -0.0, "-0");
    row(Dtype::F6_E3M2, 0x01, 0.0625, "min subnormal");
    row(Dtype::F6_E3M2, 0x03, 0.1875, "max subnormal");
    row(Dtype::F6_E3M2, 0x04, 0.25, "min normal");
    row(Dtype::F6_E3M2, 0x0c, 1.0, "1");
    row(Dtype::F6_E3M2, 0x1f, 28.0, "max finite");
    row(Dtype::F6_E3M2, 0x3f, -28.0, "-max finite");
}

void TestDtype::minifloat()
{
    QFETCH(Dtype, dtype);
    QFETCH(int, code);
    QFETCH(double, value);
    const double got = minifloatToDouble(dtype, std::uint8_t(code));
    QVERIFY2(sameValue(got, value), qPrintable(QStringLiteral("got %1").arg(got, 0, 'g', 17)));
    if (dtypeBits(dtype) == 8) {
        const auto byte = std::byte(code);
        QVERIFY(sameValue(decodeValue(dtype, &byte, 0), value));
    }
}

void TestDtype::minifloatShape_data()
{
    // Properties of the whole code table that follow from each definition: how many codes
    // are NaN and Inf, and that values grow with the code within each sign.
    QTest::addColumn<Dtype>("dtype");
    QTest::addColumn<int>("nans");
    QTest::addColumn<int>("infs");
    QTest::addColumn<bool>("hasSign");
    QTest::newRow("F8_E5M2") << Dtype::F8_E5M2 << 6 << 2 << true;
    QTest::newRow("F8_E4M3") << Dtype::F8_E4M3 << 2 << 0 << true;
    QTest::newRow("F8_E4M3FNUZ") << Dtype::F8_E4M3FNUZ << 1 << 0 << true;
    QTest::newRow("F8_E5M2FNUZ") << Dtype::F8_E5M2FNUZ << 1 << 0 << true;
    QTest::newRow("F8_E8M0") << Dtype::F8_E8M0 << 1 << 0 << false;
    QTest::newRow("F4") << Dtype::F4 << 0 << 0 << true;
    QTest::newRow("F6_E2M3") << Dtype::F6_E2M3 << 0 << 0 << true;
    QTest::newRow("F6_E3M2") << Dtype::F6_E3M2 << 0 << 0 << true;
}

void TestDtype::minifloatShape()
{
    QFETCH(Dtype, dtype);
    QFETCH(int, nans);
    QFETCH(int, infs);
    QFETCH(bool, hasSign);

    const int codes = 1 << dtypeBits(dtype);
    const int half = hasSign ? codes / 2 : codes;
    int nanCount = 0;
    int infCount = 0;
    double previous = -kInf;
    for (int c = 0; c < codes; ++c) {
        const double v = minifloatToDouble(dtype, std::uint8_t(c));
        nanCount += std::isnan(v);
        infCount += std::isinf(v);
        if (std::isnan(v))
            continue;
        if (c < half) {
            QVERIFY2(v > previous || c == 0, qPrintable(QStringLiteral("code %1 is not above the one before").arg(c)));
            previous = v;
            QVERIFY(!std::signbit(v));
        } else if (hasSign) {
            // The sign bit negates the magnitude.
            const double magnitude = minifloatToDouble(dtype, std::uint8_t(c - half));
            if (!std::isnan(magnitude))
                QVERIFY2(sameValue(v, -magnitude), qPrintable(QStringLiteral("code %1").arg(c)));
        }
    }
    QCOMPARE(nanCount, nans);
    QCOMPARE(infCount, infs);
}

void TestDtype::subBytePacking()
{
    // F4: element 2i is the low nibble of byte i, element 2i+1 the high nibble.
    const unsigned char f4[2] = {0x21, 0xf7};
    const auto *p4 = reinterpret_cast<const std::byte *>(f4);
    QCOMPARE(decodeValue(Dtype::F4, p4, 0), 0.5); // code 1
    QCOMPARE(decodeValue(Dtype::F4, p4, 1), 1.0); // code 2
    QCOMPARE(decodeValue(Dtype::F4, p4, 2), 6.0); // code 7
    QCOMPARE(decodeValue(Dtype::F4, p4, 3), -6.0); // code 15

    // F6: four 6-bit codes in three bytes, LSB first. Codes 0x08, 0x10, 0x1f, 0x21 of E2M3
    // (1, 2, 7.5, -0.125) make the 24-bit word 0x85f408; then codes 0x3f, 0x00, 0x01, 0x20
    // (-7.5, 0, 0.125, -0) make 0x80103f.
    const unsigned char f6[6] = {0x08, 0xf4, 0x85, 0x3f, 0x10, 0x80};
    const auto *p6 = reinterpret_cast<const std::byte *>(f6);
    const double expected[8] = {1.0, 2.0, 7.5, -0.125, -7.5, 0.0, 0.125, -0.0};
    for (int i = 0; i < 8; ++i)
        QVERIFY2(sameValue(decodeValue(Dtype::F6_E2M3, p6, std::uint64_t(i)), expected[i]),
                 qPrintable(QStringLiteral("element %1").arg(i)));
    // E3M2 reads the same fields with its own table: 0x08 = 2^(2-3) = 0.5, 0x10 = 2^(4-3) = 2.
    QCOMPARE(decodeValue(Dtype::F6_E3M2, p6, 0), 0.5);
    QCOMPARE(decodeValue(Dtype::F6_E3M2, p6, 1), 2.0);
}

void TestDtype::decodeValueIntegersAndWide()
{
    const auto bytes = [](std::initializer_list<int> list) {
        QByteArray out;
        for (int b : list)
            out.append(char(b));
        return out;
    };
    const auto decode = [](Dtype d, const QByteArray &b, std::uint64_t i) {
        return decodeValue(d, reinterpret_cast<const std::byte *>(b.constData()), i);
    };

    const QByteArray b8 = bytes({0x00, 0x01, 0x02, 0x7f, 0x80, 0xff});
    QCOMPARE(decode(Dtype::BOOL, b8, 0), 0.0);
    QCOMPARE(decode(Dtype::BOOL, b8, 1), 1.0);
    QCOMPARE(decode(Dtype::BOOL, b8, 2), 1.0); // any non-zero byte is true
    QCOMPARE(decode(Dtype::U8, b8, 5), 255.0);
    QCOMPARE(decode(Dtype::I8, b8, 3), 127.0);
    QCOMPARE(decode(Dtype::I8, b8, 4), -128.0);
    QCOMPARE(decode(Dtype::I8, b8, 5), -1.0);

    const QByteArray b16 = bytes({0x01, 0x00, 0x00, 0x80, 0xff, 0xff});
    QCOMPARE(decode(Dtype::U16, b16, 0), 1.0);
    QCOMPARE(decode(Dtype::I16, b16, 1), -32768.0);
    QCOMPARE(decode(Dtype::U16, b16, 2), 65535.0);
    QCOMPARE(decode(Dtype::I16, b16, 2), -1.0);

    const QByteArray b32 = bytes({0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0xc0, 0x3f});
    QCOMPARE(decode(Dtype::U32, b32, 0), 4294967295.0);
    QCOMPARE(decode(Dtype::I32, b32, 1), -2147483648.0);
    QCOMPARE(decode(Dtype::F32, b32, 2), 1.5);
    QVERIFY(std::isnan(decode(Dtype::F32, b32, 0)));

    const QByteArray b64 = bytes({0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0, 0, 0, 0, 0, 0, 0xf0, 0xbf});
    QCOMPARE(decode(Dtype::I64, b64, 0), -9223372036854775808.0);
    QCOMPARE(decode(Dtype::U64, b64, 1), 18446744073709551615.0);
    QCOMPARE(decode(Dtype::F64, b64, 2), -1.0);

    // C64: (real, imaginary) pairs of little-endian f32.
    const QByteArray c64 = bytes({0, 0, 0xc0, 0x3f, 0, 0, 0x20, 0xc1, 0, 0, 0x80, 0x7f, 0, 0, 0, 0});
    const auto *pc = reinterpret_cast<const std::byte *>(c64.constData());
    QCOMPARE(decodeValue(Dtype::C64, pc, 0), 1.5);
    QCOMPARE(decodeImag(pc, 0), -10.0);
    QCOMPARE(decodeValue(Dtype::C64, pc, 1), kInf);
    QCOMPARE(decodeImag(pc, 1), 0.0);

    // Elements at odd addresses decode too (data offsets carry no alignment promise).
    const QByteArray odd = bytes({0xaa, 0x00, 0x00, 0xc0, 0x3f});
    QCOMPARE(decodeValue(Dtype::F32, reinterpret_cast<const std::byte *>(odd.constData() + 1), 0), 1.5);
}

QTEST_GUILESS_MAIN(TestDtype)
#include "tst_dtype.moc"
