// Conversion to BF16/F16/F32/F8: the rounding bit tables over edge values, randomized against
// independent references (qfloat16, the C++ double-to-float cast, the f32 bit trick, and a
// brute-force nearest-code search for the F8 types), then convertWeight end to end: streaming,
// selection, the report, metadata, errors, cancel, and the corpus's float files.
#include "dtype.h"
#include "floatrounding.h"
#include "jobcontext.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "testutil.h"
#include "weightconversion.h"

#include <QDir>
#include <QFileInfo>
#include <QFile>
#include <QFloat16>
#include <QTemporaryDir>
#include <QTest>

#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>

using namespace tantra;

Q_DECLARE_METATYPE(tantra::Dtype)

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double valueOf(Dtype dtype, std::uint32_t bits)
{
    const std::byte b[4] = {std::byte(bits), std::byte(bits >> 8), std::byte(bits >> 16), std::byte(bits >> 24)};
    return decodeValue(dtype, b, 0);
}

// The reference for the F8 types: the nearest of all 256 codes by brute force, ties to the
// code with an even last mantissa bit, and one virtual code past the largest finite value
// (the next value of the binade) that stands for overflow.
std::uint32_t bruteForceF8(double x, Dtype dtype, bool saturate)
{
    const bool e4m3 = dtype == Dtype::F8_E4M3;
    const std::uint32_t sign = std::signbit(x) ? 0x80u : 0u;
    if (std::isnan(x))
        return sign | (e4m3 ? 0x7fu : 0x7eu);
    const std::uint32_t maxCode = e4m3 ? 0x7eu : 0x7bu;
    const auto overflow = [&] { return saturate ? sign | maxCode : sign | (e4m3 ? 0x7fu : 0x7cu); };
    if (std::isinf(x))
        return e4m3 ? overflow() : sign | 0x7cu;
    const double a = std::fabs(x);
    const double maxValue = valueOf(dtype, maxCode);
    const double beyond = e4m3 ? 480.0 : 65536.0; // the next value, odd for e4m3fn, even for e5m2
    double best = -1;
    std::uint32_t bestCode = 0;
    bool bestOverflow = false;
    const auto consider = [&](double v, std::uint32_t code, bool isOverflow, bool even) {
        const double d = std::fabs(a - v);
        if (best < 0 || d < best || (d == best && even)) {
            best = d;
            bestCode = code;
            bestOverflow = isOverflow;
        }
    };
    for (std::uint32_t code = 0; code <= maxCode; ++code)
        consider(valueOf(dtype, code), code, false, (code & 1u) == 0);
    consider(beyond, 0, true, !e4m3);
    if (bestOverflow)
        return overflow();
    static_cast<void>(maxValue);
    return sign | bestCode;
}

QByteArray floatsBytes(const std::vector<float> &v)
{
    return QByteArray(reinterpret_cast<const char *>(v.data()), qsizetype(v.size() * 4));
}

} // namespace

class TestConvert : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void edgeTable_data();
    void edgeTable();
    void randomF32ToF16AgainstQFloat16();
    void randomF32ToBf16AgainstBitTrick();
    void randomF64ToF32AgainstCast();
    void f8AgainstBruteForce_data();
    void f8AgainstBruteForce();
    void convertFile();
    void fastPathsMatchRoundToDtype_data();
    void fastPathsMatchRoundToDtype();
    void selectionErrors_data();
    void selectionErrors();
    void cancelLeavesNothing();
    void fullDiskLeavesTheOldOutput_data();
    void fullDiskLeavesTheOldOutput();
    void corpusFloatFiles_data();
    void corpusFloatFiles();

private:
    QTemporaryDir m_dir;
};

void TestConvert::edgeTable_data()
{
    QTest::addColumn<Dtype>("target");
    QTest::addColumn<double>("x");
    QTest::addColumn<bool>("saturate");
    QTest::addColumn<quint32>("bits");
    QTest::addColumn<bool>("overflowed");
    QTest::addColumn<bool>("flushed");
    const auto row = [](const char *name, Dtype t, double x, bool sat, quint32 bits, bool over = false, bool flush = false) {
        QTest::newRow(name) << t << x << sat << bits << over << flush;
    };
    // F16: largest finite 65504; 65520 is the tie between it and 65536 (overflow), to even: Inf.
    row("f16 +0", Dtype::F16, 0.0, true, 0x0000);
    row("f16 -0", Dtype::F16, -0.0, true, 0x8000);
    row("f16 1", Dtype::F16, 1.0, true, 0x3c00);
    row("f16 max", Dtype::F16, 65504.0, true, 0x7bff);
    row("f16 just below overflow tie", Dtype::F16, 65519.99, true, 0x7bff);
    row("f16 overflow tie to even = inf", Dtype::F16, 65520.0, true, 0x7c00, true);
    row("f16 -overflow", Dtype::F16, -1e6, true, 0xfc00, true);
    row("f16 +inf", Dtype::F16, kInf, true, 0x7c00);
    row("f16 nan keeps sign", Dtype::F16, -kNaN, true, 0xfe00);
    row("f16 smallest subnormal", Dtype::F16, std::ldexp(1.0, -24), true, 0x0001);
    row("f16 half of smallest subnormal: tie to even 0", Dtype::F16, std::ldexp(1.0, -25), true, 0x0000, false, true);
    row("f16 just above half subnormal", Dtype::F16, std::ldexp(1.0, -25) * 1.0000001, true, 0x0001);
    row("f16 1.5 subnormals: tie to even 2", Dtype::F16, std::ldexp(3.0, -25), true, 0x0002);
    row("f16 tie 1+2^-11 to even 1", Dtype::F16, 1.0 + std::ldexp(1.0, -11), true, 0x3c00);
    row("f16 tie 1+3*2^-11 to even", Dtype::F16, 1.0 + 3 * std::ldexp(1.0, -11), true, 0x3c02);
    row("f16 largest subnormal to smallest normal", Dtype::F16, std::ldexp(1.0, -14) - std::ldexp(1.0, -26), true, 0x0400);
    row("f16 -tiny flushes to -0", Dtype::F16, -1e-30, true, 0x8000, false, true);
    // BF16
    row("bf16 1", Dtype::BF16, 1.0, true, 0x3f80);
    row("bf16 tie to even down", Dtype::BF16, 1.0 + std::ldexp(1.0, -8), true, 0x3f80);
    row("bf16 tie to even up", Dtype::BF16, 1.0 + 3 * std::ldexp(1.0, -8), true, 0x3f82);
    row("bf16 f32 max to inf", Dtype::BF16, double(std::numeric_limits<float>::max()), true, 0x7f80, true);
    row("bf16 largest finite", Dtype::BF16, std::ldexp(255.0, 120), true, 0x7f7f);
    row("bf16 -nan", Dtype::BF16, -kNaN, true, 0xffc0);
    row("bf16 smallest subnormal", Dtype::BF16, std::ldexp(1.0, -133), true, 0x0001);
    // F32 from double
    row("f32 0.1", Dtype::F32, 0.1, true, std::bit_cast<quint32>(0.1f));
    row("f32 overflow", Dtype::F32, 1e300, true, 0x7f800000, true);
    row("f32 underflow", Dtype::F32, 1e-300, true, 0x00000000, false, true);
    // F8 e4m3fn: largest 448 = 0x7e; 464 is the tie with 480 (odd): stays 448; beyond saturates.
    row("e4m3 448", Dtype::F8_E4M3, 448.0, true, 0x7e);
    row("e4m3 464 tie to 448", Dtype::F8_E4M3, 464.0, true, 0x7e);
    row("e4m3 465 saturates", Dtype::F8_E4M3, 465.0, true, 0x7e, true);
    row("e4m3 465 no-saturate is nan", Dtype::F8_E4M3, 465.0, false, 0x7f, true);
    row("e4m3 -1e9 saturates", Dtype::F8_E4M3, -1e9, true, 0xfe, true);
    row("e4m3 +inf saturates", Dtype::F8_E4M3, kInf, true, 0x7e, true);
    row("e4m3 +inf no-saturate is nan", Dtype::F8_E4M3, kInf, false, 0x7f, true);
    row("e4m3 nan", Dtype::F8_E4M3, kNaN, true, 0x7f);
    row("e4m3 smallest subnormal 2^-9", Dtype::F8_E4M3, std::ldexp(1.0, -9), true, 0x01);
    row("e4m3 half smallest subnormal to 0", Dtype::F8_E4M3, std::ldexp(1.0, -10), true, 0x00, false, true);
    row("e4m3 1", Dtype::F8_E4M3, 1.0, true, 0x38);
    // F8 e5m2: largest 57344 = 0x7b; 61440 is the tie with 65536 (even): overflows.
    row("e5m2 57344", Dtype::F8_E5M2, 57344.0, true, 0x7b);
    row("e5m2 61439 stays", Dtype::F8_E5M2, 61439.0, true, 0x7b);
    row("e5m2 61440 tie overflows, saturated", Dtype::F8_E5M2, 61440.0, true, 0x7b, true);
    row("e5m2 61440 no-saturate is inf", Dtype::F8_E5M2, 61440.0, false, 0x7c, true);
    row("e5m2 +inf stays inf", Dtype::F8_E5M2, kInf, true, 0x7c);
    row("e5m2 -nan", Dtype::F8_E5M2, -kNaN, true, 0xfe);
    row("e5m2 smallest subnormal 2^-16", Dtype::F8_E5M2, std::ldexp(1.0, -16), true, 0x01);
}

void TestConvert::edgeTable()
{
    QFETCH(Dtype, target);
    QFETCH(double, x);
    QFETCH(bool, saturate);
    QFETCH(quint32, bits);
    QFETCH(bool, overflowed);
    QFETCH(bool, flushed);
    const RoundingOutcome r = roundToDtype(x, target, saturate);
    QCOMPARE(QString::number(r.bits, 16), QString::number(bits, 16));
    QCOMPARE(r.overflowed, overflowed);
    QCOMPARE(r.flushed, flushed);
}

void TestConvert::randomF32ToF16AgainstQFloat16()
{
    // qfloat16 converts with the CPU's F16C instruction (or Qt's tables): IEEE round to
    // nearest even, independent of floatrounding.cpp.
    std::mt19937 random(1);
    for (int i = 0; i < 2'000'000; ++i) {
        const std::uint32_t b = random();
        const float f = std::bit_cast<float>(b);
        const RoundingOutcome r = roundToDtype(double(f), Dtype::F16);
        quint16 want;
        const qfloat16 h(f);
        std::memcpy(&want, &h, 2);
        if (std::isnan(f)) {
            QCOMPARE(r.bits & 0x7c00u, 0x7c00u);
            QVERIFY(r.bits & 0x3ffu);
            QCOMPARE(r.bits & 0x8000u, std::uint32_t(want & 0x8000u));
            continue;
        }
        if (r.bits != want)
            QFAIL(qPrintable(QStringLiteral("f32 %1 (%2): got %3, qfloat16 %4")
                                     .arg(b, 8, 16, QLatin1Char('0'))
                                     .arg(double(f), 0, 'g', 9)
                                     .arg(r.bits, 4, 16, QLatin1Char('0'))
                                     .arg(want, 4, 16, QLatin1Char('0'))));
    }
}

void TestConvert::randomF32ToBf16AgainstBitTrick()
{
    std::mt19937 random(2);
    for (int i = 0; i < 2'000'000; ++i) {
        const std::uint32_t b = random();
        const float f = std::bit_cast<float>(b);
        const RoundingOutcome r = roundToDtype(double(f), Dtype::BF16);
        if (std::isnan(f)) {
            QCOMPARE(r.bits, ((b >> 16) & 0x8000u) | 0x7fc0u);
            continue;
        }
        const std::uint32_t want = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
        if (r.bits != want)
            QFAIL(qPrintable(QStringLiteral("f32 %1: got %2, want %3").arg(b, 8, 16).arg(r.bits, 4, 16).arg(want, 4, 16)));
    }
}

void TestConvert::randomF64ToF32AgainstCast()
{
    std::mt19937_64 random(3);
    for (int i = 0; i < 1'000'000; ++i) {
        // Exponents around float's range, so that overflow and subnormals are hit.
        const std::uint64_t mantissa = random() & ((std::uint64_t(1) << 52) - 1);
        const std::uint64_t exponent = 1023 - 160 + random() % 300;
        const std::uint64_t b = (random() & (std::uint64_t(1) << 63)) | (exponent << 52) | mantissa;
        const double d = std::bit_cast<double>(b);
        const RoundingOutcome r = roundToDtype(d, Dtype::F32);
        const float want = float(d); // IEEE conversion, round to nearest even
        if (r.bits != std::bit_cast<std::uint32_t>(want))
            QFAIL(qPrintable(QStringLiteral("f64 %1: got %2, cast %3").arg(d, 0, 'g', 17).arg(r.bits, 8, 16).arg(std::bit_cast<std::uint32_t>(want), 8, 16)));
    }
}

void TestConvert::f8AgainstBruteForce_data()
{
    QTest::addColumn<Dtype>("target");
    QTest::addColumn<bool>("saturate");
    QTest::newRow("e4m3 saturate") << Dtype::F8_E4M3 << true;
    QTest::newRow("e4m3 no-saturate") << Dtype::F8_E4M3 << false;
    QTest::newRow("e5m2 saturate") << Dtype::F8_E5M2 << true;
    QTest::newRow("e5m2 no-saturate") << Dtype::F8_E5M2 << false;
}

void TestConvert::f8AgainstBruteForce()
{
    QFETCH(Dtype, target);
    QFETCH(bool, saturate);
    std::vector<double> xs{0.0, -0.0, kInf, -kInf, kNaN};
    // Every code's value, the midpoints between neighbours (the ties), and random values.
    std::vector<double> values;
    for (std::uint32_t c = 0; c < 256; ++c)
        if (std::isfinite(valueOf(target, c)))
            values.push_back(valueOf(target, c));
    std::sort(values.begin(), values.end());
    for (std::size_t i = 0; i + 1 < values.size(); ++i) {
        xs.push_back(values[i]);
        xs.push_back((values[i] + values[i + 1]) / 2);
        xs.push_back(std::nextafter((values[i] + values[i + 1]) / 2, kInf));
        xs.push_back(std::nextafter((values[i] + values[i + 1]) / 2, -kInf));
    }
    std::mt19937 random(4);
    std::uniform_real_distribution<double> exponent(-22, 18);
    for (int i = 0; i < 200000; ++i)
        xs.push_back((random() & 1 ? -1 : 1) * std::exp2(exponent(random)));
    for (double x : xs) {
        const std::uint32_t want = bruteForceF8(x, target, saturate);
        const RoundingOutcome r = roundToDtype(x, target, saturate);
        if (r.bits != want)
            QFAIL(qPrintable(QStringLiteral("%1: got %2, brute force %3").arg(x, 0, 'g', 17).arg(r.bits, 2, 16).arg(want, 2, 16)));
    }
}

void TestConvert::convertFile()
{
    std::vector<float> w(3000), norm(16);
    for (std::size_t i = 0; i < w.size(); ++i)
        w[i] = float(std::sin(double(i)) * 1000.0);
    w[7] = 1e30f; // overflows F16
    w[8] = 1e-30f; // flushes
    w[9] = std::numeric_limits<float>::quiet_NaN();
    for (std::size_t i = 0; i < norm.size(); ++i)
        norm[i] = 1.0f + float(i) / 3.0f;
    const std::vector<std::int64_t> ids{1, 2, 3};
    const QByteArray wb = floatsBytes(w), nb = floatsBytes(norm);
    const QByteArray ib(reinterpret_cast<const char *>(ids.data()), 24);
    const QString src = m_dir.filePath(QStringLiteral("src.safetensors"));
    QVERIFY(writeSafetensors(src, {{"layer.weight", Dtype::F32, {30, 100}, test::bytesOf(wb)},
                                   {"layer.norm", Dtype::F32, {16}, test::bytesOf(nb)},
                                   {"ids", Dtype::I64, {3}, test::bytesOf(ib)}},
                             {{"format", "pt"}, {"dtype", "f32"}})
                    .ok());
    auto source = SafetensorsModel::open(src);
    QVERIFY(source.ok());
    ConvertOptions options;
    options.target = Dtype::F16;
    options.keepSensitive = true;
    const QString out = m_dir.filePath(QStringLiteral("out.safetensors"));
    JobContext job;
    const auto report = convertWeight(*source, out, options, &job);
    QVERIFY2(report.ok(), qPrintable(test::errorOf(report)));
    QCOMPARE(report->convertedCount(), std::uint64_t(1));
    QCOMPARE(report->bytesBefore, std::uint64_t(3000 * 4 + 16 * 4 + 24));
    QCOMPARE(report->bytesAfter, std::uint64_t(3000 * 2 + 16 * 4 + 24));
    const TensorConversion &t = report->tensors[1]; // name order: ids, layer.norm, layer.weight
    QCOMPARE(report->tensors[2].name, std::string("layer.weight"));
    const TensorConversion &wt = report->tensors[2];
    QVERIFY(wt.converted);
    QVERIFY(!t.converted);
    QCOMPARE(wt.overflowed, std::uint64_t(1));
    QCOMPARE(wt.flushed, std::uint64_t(1));
    QCOMPARE(job.total(), report->bytesBefore);

    auto result = SafetensorsModel::open(out);
    QVERIFY2(result.ok(), qPrintable(test::errorOf(result)));
    const ModelTensor *rw = result->find("layer.weight");
    QVERIFY(rw);
    QCOMPARE(rw->info->dtype, Dtype::F16);
    const auto data = result->data(*rw);
    double maxError = 0, e2 = 0, x2 = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        quint16 got;
        std::memcpy(&got, data.data() + i * 2, 2);
        QCOMPARE(got, quint16(roundToDtype(double(w[i]), Dtype::F16).bits));
        const double y = valueOf(Dtype::F16, got);
        if (std::isfinite(double(w[i])) && std::isfinite(y)) {
            maxError = std::max(maxError, std::fabs(double(w[i]) - y));
            e2 += (double(w[i]) - y) * (double(w[i]) - y);
            x2 += double(w[i]) * double(w[i]);
        }
    }
    QCOMPARE(wt.maxAbsError, maxError);
    QVERIFY(wt.relL2Error);
    QVERIFY(std::fabs(*wt.relL2Error - std::sqrt(e2 / x2)) <= 1e-12);
    // Kept tensors are copied bit for bit; metadata kept and extended.
    const ModelTensor *rn = result->find("layer.norm");
    QCOMPARE(rn->info->dtype, Dtype::F32);
    QCOMPARE(QByteArray(reinterpret_cast<const char *>(result->data(*rn).data()), 64), nb);
    QCOMPARE(result->find("ids")->info->dtype, Dtype::I64);
    std::map<std::string, std::string> meta(result->metadata().begin(), result->metadata().end());
    QCOMPARE(meta["format"], std::string("pt"));
    QCOMPARE(meta["dtype"], std::string("f16"));
    QCOMPARE(meta["converted_from"], src.toStdString());
    QCOMPARE(meta["conversion"], std::string("dtype=f16 keep-sensitive"));
}

void TestConvert::fastPathsMatchRoundToDtype_data()
{
    QTest::addColumn<Dtype>("target");
    QTest::newRow("bf16") << Dtype::BF16;
    QTest::newRow("f16") << Dtype::F16;
    QTest::newRow("f8_e4m3 (general path)") << Dtype::F8_E4M3;
}

// F32 -> BF16 and F32 -> F16 have loops of their own (vectorised, F16C); the file they write
// and the report must be what roundToDtype, value by value, gives: random bit patterns (every
// class: NaNs with payloads, ±Inf, subnormals, overflow, ties), an odd count for the tails.
void TestConvert::fastPathsMatchRoundToDtype()
{
    QFETCH(Dtype, target);
    std::mt19937 random(7);
    std::vector<float> w(3 * (1u << 20) + 13);
    for (std::size_t i = 0; i < w.size(); ++i) {
        std::uint32_t b = random();
        // Half of them near F16's and BF16's interesting ranges rather than anywhere.
        if (i % 2 == 0)
            b = (b & 0x807fffffu) | (std::uint32_t(100 + (b >> 23) % 60) << 23);
        w[i] = std::bit_cast<float>(b);
    }
    const QByteArray wb = floatsBytes(w);
    const QString src = m_dir.filePath(QStringLiteral("random.safetensors"));
    QVERIFY(writeSafetensors(src, {{"w", Dtype::F32, {w.size()}, test::bytesOf(wb)}}, {}).ok());
    auto source = SafetensorsModel::open(src);
    QVERIFY(source.ok());
    ConvertOptions options;
    options.target = target;
    const QString out = m_dir.filePath(QStringLiteral("random-out.safetensors"));
    const auto report = convertWeight(*source, out, options);
    QVERIFY2(report.ok(), qPrintable(test::errorOf(report)));
    auto result = SafetensorsModel::open(out);
    QVERIFY2(result.ok(), qPrintable(test::errorOf(result)));
    const auto data = result->data(*result->find("w"));
    const int width = dtypeBits(target) / 8;
    std::uint64_t overflowed = 0, flushed = 0;
    double maxError = 0, e2 = 0, x2 = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        std::uint32_t got = 0;
        std::memcpy(&got, data.data() + i * std::size_t(width), std::size_t(width));
        const RoundingOutcome want = roundToDtype(double(w[i]), target);
        if (got != want.bits)
            QFAIL(qPrintable(QStringLiteral("f32 %1: wrote %2, roundToDtype %3")
                                     .arg(std::bit_cast<std::uint32_t>(w[i]), 8, 16, QLatin1Char('0'))
                                     .arg(got, 4, 16, QLatin1Char('0'))
                                     .arg(want.bits, 4, 16, QLatin1Char('0'))));
        overflowed += want.overflowed ? 1 : 0;
        flushed += want.flushed ? 1 : 0;
        const double y = valueOf(target, got);
        if (std::isfinite(double(w[i])) && std::isfinite(y)) {
            const double d = std::fabs(double(w[i]) - y);
            maxError = std::max(maxError, d);
            e2 += d * d;
            x2 += double(w[i]) * double(w[i]);
        }
    }
    const TensorConversion &t = report->tensors[0];
    QCOMPARE(t.overflowed, overflowed);
    QCOMPARE(t.flushed, flushed);
    QCOMPARE(t.maxAbsError, maxError);
    QVERIFY(t.relL2Error);
    QVERIFY2(std::fabs(*t.relL2Error - std::sqrt(e2 / x2)) <= 1e-9 * std::sqrt(e2 / x2),
             qPrintable(QStringLiteral("%1 vs %2").arg(*t.relL2Error, 0, 'g', 17).arg(std::sqrt(e2 / x2), 0, 'g', 17)));
}

void TestConvert::selectionErrors_data()
{
    QTest::addColumn<QStringList>("include");
    QTest::addColumn<QStringList>("exclude");
    QTest::addColumn<QString>("error");
    QTest::newRow("include matches only an integer tensor")
            << QStringList{QStringLiteral("ids")} << QStringList{}
            << QStringLiteral("--include 'ids' selects no float tensor: 'ids' is I64, and integer and bool tensors are copied unchanged");
    QTest::newRow("include matches nothing") << QStringList{QStringLiteral("nope*")} << QStringList{}
                                             << QStringLiteral("--include 'nope*' matches no tensor");
    QTest::newRow("invalid include regex") << QStringList{QStringLiteral("/(/")} << QStringList{}
                                           << QStringLiteral("invalid --include pattern '/(/': missing closing parenthesis");
    QTest::newRow("invalid exclude regex") << QStringList{} << QStringList{QStringLiteral("/[/")}
                                           << QStringLiteral("invalid --exclude pattern '/[/': missing terminating ] for character class");
}

void TestConvert::selectionErrors()
{
    QFETCH(QStringList, include);
    QFETCH(QStringList, exclude);
    QFETCH(QString, error);
    const std::vector<float> w{1, 2};
    const std::vector<std::int64_t> ids{1};
    const QByteArray wb = floatsBytes(w);
    const QByteArray ib(reinterpret_cast<const char *>(ids.data()), 8);
    const QString src = m_dir.filePath(QStringLiteral("sel.safetensors"));
    QVERIFY(writeSafetensors(src, {{"w", Dtype::F32, {2}, test::bytesOf(wb)}, {"ids", Dtype::I64, {1}, test::bytesOf(ib)}}).ok());
    auto source = SafetensorsModel::open(src);
    ConvertOptions options;
    options.include = include;
    options.exclude = exclude;
    const QString out = m_dir.filePath(QStringLiteral("sel-out.safetensors"));
    const auto report = convertWeight(*source, out, options);
    QVERIFY(!report.ok());
    QVERIFY2(test::errorOf(report).endsWith(error), qPrintable(test::errorOf(report)));
    QVERIFY(!QFile::exists(out));
}

void TestConvert::cancelLeavesNothing()
{
    std::vector<float> w(1 << 20, 1.5f);
    const QByteArray wb = floatsBytes(w);
    const QString src = m_dir.filePath(QStringLiteral("big.safetensors"));
    QVERIFY(writeSafetensors(src, {{"w", Dtype::F32, {w.size()}, test::bytesOf(wb)}}).ok());
    auto source = SafetensorsModel::open(src);
    const QString out = m_dir.filePath(QStringLiteral("big-out.safetensors"));
    JobContext job;
    job.cancel();
    QCOMPARE(test::errorOf(convertWeight(*source, out, {}, &job)), out + QStringLiteral(": conversion cancelled"));
    QVERIFY(!QFile::exists(out));
    QCOMPARE(QDir(m_dir.path()).entryList({QStringLiteral("big-out*")}, QDir::Files | QDir::Hidden), QStringList());
}

void TestConvert::fullDiskLeavesTheOldOutput_data()
{
    // RLIMIT_FSIZE as a disk that fills up: in the header, in the converted data, at the
    // output's last byte (the unbuffered writer must see it there too, not rename a truncated
    // file into place), and in a tensor that is copied rather than converted.
    QTest::addColumn<int>("limit"); // negative: that many bytes short of the whole output
    QTest::addColumn<bool>("copyOnly");
    QTest::newRow("header") << 20 << false;
    QTest::newRow("converted data") << 300 * 1024 << false;
    QTest::newRow("last byte") << -1 << false;
    QTest::newRow("copied tensor, last byte") << -1 << true;
}

void TestConvert::fullDiskLeavesTheOldOutput()
{
    QFETCH(int, limit);
    QFETCH(bool, copyOnly);
    std::vector<float> w(300'000);
    for (std::size_t i = 0; i < w.size(); ++i)
        w[i] = float(i) * 0.25f;
    const QByteArray wb = floatsBytes(w);
    const QString src = m_dir.filePath(QStringLiteral("full-src.safetensors"));
    QVERIFY(writeSafetensors(src, {{"w", Dtype::F32, {w.size()}, test::bytesOf(wb)}}).ok());
    auto source = SafetensorsModel::open(src);
    QVERIFY(source.ok());
    QTemporaryDir outDir;
    const QString out = outDir.filePath(QStringLiteral("out.safetensors"));
    const QByteArray before = test::randomBytes(64, 5);
    test::writeBytes(out, before);
    ConvertOptions options;
    options.target = Dtype::BF16;
    if (copyOnly)
        options.exclude << QStringLiteral("w");
    if (limit < 0) {
        // The whole output's size, from a conversion that is allowed to finish.
        const QString probe = outDir.filePath(QStringLiteral("probe.safetensors"));
        QVERIFY(convertWeight(*source, probe, options).ok());
        limit += int(QFileInfo(probe).size());
        QVERIFY(QFile::remove(probe));
    }
    Result<ConversionReport> report = makeError(QStringLiteral("not run"));
    {
        test::FileSizeLimit fileSizeLimit{rlim_t(limit)};
        QVERIFY(fileSizeLimit.ok());
        report = convertWeight(*source, out, options);
    }
    QCOMPARE(test::errorOf(report), out + QStringLiteral(": write failed: ") + QString::fromLocal8Bit(std::strerror(EFBIG)));
    QCOMPARE(test::readFile(out), before);
    QCOMPARE(QDir(outDir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("out.safetensors")});
}

void TestConvert::corpusFloatFiles_data()
{
    const QString dir = test::corpusDir();
    if (dir.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set: set it to ../shared/corpus (the folder with MANIFEST.tsv) to run the corpus tests");
    test::addCorpusModelRows(dir);
}

void TestConvert::corpusFloatFiles()
{
    QFETCH(QString, path);
    auto source = SafetensorsModel::open(path);
    QVERIFY2(source.ok(), qPrintable(test::errorOf(source)));
    ConvertOptions options;
    options.target = Dtype::BF16;
    const QString out = m_dir.filePath(QStringLiteral("corpus-out.safetensors"));
    const auto report = convertWeight(*source, out, options);
    QVERIFY2(report.ok(), qPrintable(test::errorOf(report)));
    auto result = SafetensorsModel::open(out);
    QVERIFY2(result.ok(), qPrintable(test::errorOf(result)));
    QCOMPARE(result->tensors().size(), source->tensors().size());
    // Every converted value is the rounding of its source value.
    for (const ModelTensor &t : source->tensors()) {
        const ModelTensor *r = result->find(t.info->name);
        QVERIFY(r);
        QCOMPARE(r->info->shape, t.info->shape);
        const bool converted = r->info->dtype != t.info->dtype;
        const auto a = source->data(t);
        const auto b = result->data(*r);
        if (!converted) {
            QVERIFY(std::memcmp(a.data(), b.data(), a.size()) == 0);
            continue;
        }
        QCOMPARE(r->info->dtype, Dtype::BF16);
        const std::uint64_t n = std::min<std::uint64_t>(t.info->elementCount(), 100000);
        for (std::uint64_t i = 0; i < n; ++i) {
            quint16 got;
            std::memcpy(&got, b.data() + i * 2, 2);
            const std::uint32_t want = roundToDtype(decodeValue(t.info->dtype, a.data(), i), Dtype::BF16).bits;
            if (got != want)
                QFAIL(qPrintable(QStringLiteral("%1[%2]: %3, want %4").arg(QString::fromStdString(t.info->name)).arg(i).arg(got, 4, 16).arg(want, 4, 16)));
        }
    }
    QFile::remove(out);
}

QTEST_GUILESS_MAIN(TestConvert)
#include "tst_convert.moc"
