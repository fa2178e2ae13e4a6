// Tensor statistics against a naive reference computed here: every element decoded, sums in
// long double, the variance in a second pass, each finite value binned by the definition of
// the histogram (64 equal-width bins over [min, max]).

#include "jobcontext.h"
#include "statskernel.h"
#include "tensorstats.h"
#include "testutil.h"

#include <QFloat16>
#include <QTest>
#include <QThreadPool>

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace tantra;

Q_DECLARE_METATYPE(tantra::Dtype)

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kBins = TensorStats::kBins;

struct Reference
{
    std::uint64_t values = 0, finite = 0, nan = 0, posInf = 0, negInf = 0, zeros = 0;
    double min = kNaN, max = kNaN, mean = kNaN, std = kNaN;
    std::array<std::uint64_t, kBins> histogram{};
    // For wide types, binned through a key of 8 significant bits: a value may land in a bin
    // whose edge lies within 2^-7 of its magnitude. These are the bins of v - |v|·2^-7 and of
    // v + |v|·2^-7, the two ends of each value's possible range.
    std::array<std::uint64_t, kBins> lowest{}, highest{};
};

int binOf(double v, double min, double max)
{
    if (!(max > min))
        return 0;
    if (!std::isfinite(max - min)) // a range wider than the largest double: halve everything
        return binOf(v / 2, min / 2, max / 2);
    return std::clamp(int((v - min) / (max - min) * kBins), 0, kBins - 1);
}

std::uint64_t elementCount(Dtype dtype, const QByteArray &bytes)
{
    return std::uint64_t(bytes.size()) * 8 / std::uint64_t(dtypeBits(dtype));
}

// Code i of a packed little-endian stream of `bits`-bit codes, LSB first (as dtype.h defines
// the sub-byte layout; 8- and 16-bit types are the same rule with whole bytes).
std::uint32_t codeAt(const unsigned char *p, std::uint64_t i, int bits)
{
    const std::uint64_t bit = i * std::uint64_t(bits);
    const std::uint64_t byte = bit / 8;
    const int shift = int(bit % 8);
    std::uint32_t word = p[byte];
    if (shift + bits > 8)
        word |= std::uint32_t(p[byte + 1]) << 8;
    return (word >> shift) & ((1u << bits) - 1);
}

// Calls f(value, count) over the tensor's values (real, then imaginary part for C64). Types
// of 16 bits or fewer are counted per code first, then each code's value is taken from a
// table decoded once: the same sums, without decoding 90 million elements one by one.
template<typename F>
void forEachValue(Dtype dtype, const QByteArray &bytes, F f)
{
    const auto *p = reinterpret_cast<const std::byte *>(bytes.constData());
    const std::uint64_t n = elementCount(dtype, bytes);
    const int bits = dtypeBits(dtype);
    if (bits <= 16) {
        std::vector<std::uint64_t> counts(std::size_t(1) << bits);
        const auto *u = reinterpret_cast<const unsigned char *>(bytes.constData());
        for (std::uint64_t i = 0; i < n; ++i)
            ++counts[codeAt(u, i, bits)];
        for (std::uint32_t code = 0; code < counts.size(); ++code) {
            if (!counts[code])
                continue;
            // Three bytes: decodeValue reads F6's whole 24-bit group of four codes.
            const unsigned char element[3] = {static_cast<unsigned char>(code & 0xff), static_cast<unsigned char>(code >> 8), 0};
            f(decodeValue(dtype, reinterpret_cast<const std::byte *>(element), 0), counts[code]);
        }
        return;
    }
    for (std::uint64_t i = 0; i < n; ++i) {
        f(decodeValue(dtype, p, i), 1);
        if (dtype == Dtype::C64)
            f(decodeImag(p, i), 1);
    }
}

Reference reference(Dtype dtype, const QByteArray &bytes)
{
    Reference r;
    long double sum = 0;
    forEachValue(dtype, bytes, [&](double v, std::uint64_t count) {
        r.values += count;
        if (std::isnan(v)) {
            r.nan += count;
        } else if (std::isinf(v)) {
            (v > 0 ? r.posInf : r.negInf) += count;
        } else {
            r.min = r.finite == 0 ? v : std::min(r.min, v);
            r.max = r.finite == 0 ? v : std::max(r.max, v);
            r.finite += count;
            r.zeros += v == 0 ? count : 0;
            sum += (long double)v * count;
        }
    });
    if (!r.finite)
        return r;
    const long double mean = sum / (long double)r.finite;
    long double m2 = 0;
    forEachValue(dtype, bytes, [&](double v, std::uint64_t count) {
        if (!std::isfinite(v))
            return;
        m2 += (v - mean) * (v - mean) * count;
        r.histogram[std::size_t(binOf(v, r.min, r.max))] += count;
        const double slack = std::ldexp(std::abs(v), -7);
        r.lowest[std::size_t(binOf(v - slack, r.min, r.max))] += count;
        r.highest[std::size_t(binOf(v + slack, r.min, r.max))] += count;
    });
    r.mean = double(mean);
    r.std = double(std::sqrt(m2 / (long double)r.finite));
    return r;
}

bool sameOrBothNaN(double a, double b)
{
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

bool closeEnough(double got, double want, double scale)
{
    if (std::isnan(want))
        return std::isnan(got);
    return std::abs(got - want) <= 1e-9 * scale + 1e-300;
}

// Each value may land anywhere in its range of bins, so the cumulative counts must lie
// between those of the lowest and of the highest choices.
QString checkApproximateHistogram(const TensorStats &s, const Reference &r)
{
    std::uint64_t cumGot = 0, cumLow = 0, cumHigh = 0;
    for (int k = 0; k < kBins; ++k) {
        cumGot += s.histogram[std::size_t(k)];
        cumLow += r.lowest[std::size_t(k)];
        cumHigh += r.highest[std::size_t(k)];
        if (cumGot > cumLow || cumGot < cumHigh)
            return QStringLiteral("bins 0..%1 hold %2 values; the values that can land there number %3..%4")
                    .arg(k)
                    .arg(cumGot)
                    .arg(cumHigh)
                    .arg(cumLow);
    }
    return {};
}

// Compares everything; returns the first difference in words, or an empty string.
QString compare(Dtype dtype, const TensorStats &s, const Reference &r)
{
    const auto differ = [](const char *what, double got, double want) {
        return QStringLiteral("%1: got %2, expected %3").arg(QLatin1String(what)).arg(got, 0, 'g', 17).arg(want, 0, 'g', 17);
    };
    if (s.values != r.values)
        return differ("values", double(s.values), double(r.values));
    if (s.finite != r.finite)
        return differ("finite", double(s.finite), double(r.finite));
    if (s.nan != r.nan)
        return differ("nan", double(s.nan), double(r.nan));
    if (s.posInf != r.posInf)
        return differ("posInf", double(s.posInf), double(r.posInf));
    if (s.negInf != r.negInf)
        return differ("negInf", double(s.negInf), double(r.negInf));
    if (s.zeros != r.zeros)
        return differ("zeros", double(s.zeros), double(r.zeros));
    if (!sameOrBothNaN(s.min, r.min))
        return differ("min", s.min, r.min);
    if (!sameOrBothNaN(s.max, r.max))
        return differ("max", s.max, r.max);
    const double scale = std::max(std::abs(r.mean), r.std);
    if (!closeEnough(s.mean, r.mean, scale))
        return differ("mean", s.mean, r.mean);
    if (!closeEnough(s.std, r.std, scale))
        return differ("std", s.std, r.std);
    std::uint64_t binned = 0;
    for (auto c : s.histogram)
        binned += c;
    if (binned != r.finite)
        return differ("histogram total", double(binned), double(r.finite));
    if (dtypeBits(dtype) <= 16 && !s.histogramExact)
        return QStringLiteral("histogramExact is false for a type of 16 bits or fewer");
    if (s.histogramExact) {
        for (int k = 0; k < kBins; ++k) {
            if (s.histogram[std::size_t(k)] != r.histogram[std::size_t(k)])
                return QStringLiteral("bin %1: got %2, expected %3")
                        .arg(k)
                        .arg(s.histogram[std::size_t(k)])
                        .arg(r.histogram[std::size_t(k)]);
        }
        return {};
    }
    return checkApproximateHistogram(s, r);
}

template<typename T>
QByteArray bytesOfValues(const std::vector<T> &values)
{
    QByteArray out(qsizetype(values.size() * sizeof(T)), Qt::Uninitialized);
    std::memcpy(out.data(), values.data(), std::size_t(out.size()));
    return out;
}

// Typical weights: normally distributed around a small offset.
template<typename T>
QByteArray gaussian(std::size_t n, double mean, double sigma, std::uint32_t seed)
{
    std::mt19937 generator(seed);
    std::normal_distribution<double> dist(mean, sigma);
    std::vector<T> values(n);
    for (auto &v : values)
        v = T(dist(generator));
    return bytesOfValues(values);
}

// Every special value of a floating type, repeated, between ordinary ones.
QByteArray specialValues(Dtype dtype)
{
    const std::vector<double> specials{0.0, -0.0, 1.0, -1.5, kNaN, kInf, -kInf,
                                       std::numeric_limits<double>::denorm_min(), 1e-40, 3e38, -3e38, 1e300, -1e-310};
    switch (dtype) {
    case Dtype::F32: {
        std::vector<float> v;
        for (int rep = 0; rep < 300; ++rep)
            for (double x : specials)
                v.push_back(float(x) + (std::isfinite(x) && std::abs(x) < 1e30 ? float(rep) * 0.25f : 0.0f));
        return bytesOfValues(v);
    }
    case Dtype::F64:
    case Dtype::C64: {
        std::vector<double> v;
        for (int rep = 0; rep < 300; ++rep)
            for (double x : specials)
                v.push_back(std::isfinite(x) && std::abs(x) < 1e30 ? x + rep * 0.25 : x);
        if (dtype == Dtype::F64)
            return bytesOfValues(v);
        std::vector<float> f(v.begin(), v.end());
        return bytesOfValues(f);
    }
    default:
        return {};
    }
}


// 16-bit floats: weights (normal, sd 0.02) with every special code among them, each one in
// every `every` values: both zeros, both infinities, quiet and signalling NaNs of both signs,
// the smallest and largest subnormals, the smallest normal and the largest finite values.
QByteArray weightsWithSpecials16(Dtype dtype, qsizetype count, int every, std::uint32_t seed)
{
    const bool f16 = dtype == Dtype::F16;
    const std::vector<std::uint16_t> specials = f16
            ? std::vector<std::uint16_t>{0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe00, 0xffff,
                                         0x0001, 0x8001, 0x03ff, 0x83ff, 0x0400, 0x8400, 0x7bff, 0xfbff}
            : std::vector<std::uint16_t>{0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x7f81, 0xffc0, 0xffff,
                                         0x0001, 0x8001, 0x007f, 0x807f, 0x0080, 0x8080, 0x7f7f, 0xff7f};
    std::mt19937 generator(seed);
    std::normal_distribution<float> dist(0.0f, 0.02f);
    QByteArray out(count * 2, Qt::Uninitialized);
    std::size_t next = 0;
    for (qsizetype i = 0; i < count; ++i) {
        std::uint16_t code;
        if (i % every == every - 1) {
            code = specials[next++ % specials.size()];
        } else {
            const float v = dist(generator);
            if (f16) {
                const qfloat16 h(v); // IEEE binary16, rounded to nearest
                std::memcpy(&code, &h, 2);
            } else {
                code = std::uint16_t(std::bit_cast<std::uint32_t>(v) >> 16);
            }
        }
        std::memcpy(out.data() + 2 * i, &code, 2);
    }
    return out;
}

} // namespace

class TestStats : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void matchesReference_data();
    void matchesReference();
    void unalignedData_data();
    void unalignedData();
    void emptyTensor_data();
    void emptyTensor();
    void allNaN_data();
    void allNaN();
    void singleValue();
    void smallSpreadAroundLargeMean_data();
    void smallSpreadAroundLargeMean();
    void largeTensorIsChunked_data();
    void largeTensorIsChunked();
    void progressCountsBytes_data();
    void progressCountsBytes();
    void cancellation();
    void narrowDerivedFromCodes_data();
    void narrowDerivedFromCodes();
    void floatKernelsAgree_data();
    void floatKernelsAgree();
};

void TestStats::matchesReference_data()
{
    QTest::addColumn<Dtype>("dtype");
    QTest::addColumn<QByteArray>("bytes");

    // Random bytes: every code of the narrow types (NaN and Inf included) and arbitrary bit
    // patterns of the wide ones. 24,000 elements: not a multiple of the 2048-value block.
    for (int i = 0; i < kDtypeCount; ++i) {
        const Dtype d = Dtype(i);
        QTest::addRow("%s random", dtypeName(d)) << d << test::randomBytes(24'000 * dtypeBits(d) / 8, std::uint32_t(i));
    }
    // Half the values zero, as in a pruned model: 16-bit codes are then counted into two
    // histogram copies rather than one.
    for (const Dtype d : {Dtype::BF16, Dtype::F16, Dtype::I16}) {
        QByteArray pruned = test::randomBytes(30'000 * 2, std::uint32_t(d) + 100);
        for (qsizetype i = 0; i < pruned.size(); i += 4)
            pruned[i] = pruned[i + 1] = 0;
        QTest::addRow("%s half zeros", dtypeName(d)) << d << pruned;
    }
    QTest::newRow("F32 gaussian") << Dtype::F32 << gaussian<float>(50'001, 0.01, 0.02, 1);
    // Beyond 16 MiB, wide types keep the one-pass key histogram (checked within its slack).
    QTest::newRow("F32 gaussian, 17 MiB") << Dtype::F32 << gaussian<float>((17 << 20) / 4 + 3, 0.01, 0.02, 11);
    QTest::newRow("F64 gaussian") << Dtype::F64 << gaussian<double>(50'001, -3.0, 100.0, 2);
    QTest::newRow("I32 gaussian") << Dtype::I32 << gaussian<std::int32_t>(10'000, 5, 1000, 3);
    QTest::newRow("C64 gaussian") << Dtype::C64 << gaussian<float>(20'000, 1.0, 0.5, 4);
    QTest::newRow("F32 special values") << Dtype::F32 << specialValues(Dtype::F32);
    QTest::newRow("F64 special values") << Dtype::F64 << specialValues(Dtype::F64);
    QTest::newRow("C64 special values") << Dtype::C64 << specialValues(Dtype::C64);
    // Beyond the range of float, where a float-based key saturates.
    std::vector<double> huge;
    for (int i = 0; i < 5000; ++i)
        huge.push_back(std::ldexp(1.0 + i % 7, 100 + i % 200) * (i % 3 ? 1 : -1));
    QTest::newRow("F64 beyond float range") << Dtype::F64 << bytesOfValues(huge);
    std::vector<double> tiny;
    for (int i = 0; i < 5000; ++i)
        tiny.push_back(std::ldexp(1.0 + i % 5, -1000 + i % 40) * (i % 4 ? 1 : -1));
    QTest::newRow("F64 below float range") << Dtype::F64 << bytesOfValues(tiny);
    QTest::newRow("F64 near the largest double")
            << Dtype::F64
            << bytesOfValues(std::vector<double>{1.7e308, -1.7e308, 1e308, 1.7e308, 0.0, -1.0, 5e307, -1.7976931348623157e308});
    std::vector<double> withInf;
    for (int i = 0; i < 5000; ++i)
        withInf.push_back(i % 50 == 0 ? kInf : i % 50 == 1 ? -kInf : i % 50 == 2 ? kNaN : std::sin(i) * 10);
    QTest::newRow("F64 infinities among ordinary values") << Dtype::F64 << bytesOfValues(withInf);
    QTest::newRow("U64 large values") << Dtype::U64 << bytesOfValues(std::vector<std::uint64_t>{0, 1, UINT64_MAX, UINT64_MAX - 1, 1ull << 63});
    QTest::newRow("I64 extremes") << Dtype::I64 << bytesOfValues(std::vector<std::int64_t>{INT64_MIN, INT64_MAX, 0, -1, 1});
}

void TestStats::matchesReference()
{
    QFETCH(Dtype, dtype);
    QFETCH(QByteArray, bytes);
    const auto stats = computeStats(dtype, test::bytesOf(bytes));
    QVERIFY2(stats.ok(), qPrintable(test::errorOf(stats)));
    const QString difference = compare(dtype, *stats, reference(dtype, bytes));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
    // Up to 16 MiB every type is binned exactly (compare() then checks each bin).
    QCOMPARE(stats->histogramExact, bytes.size() <= (16 << 20));
}

void TestStats::unalignedData_data()
{
    QTest::addColumn<Dtype>("dtype");
    for (int i = 0; i < kDtypeCount; ++i)
        if (dtypeBits(Dtype(i)) >= 16)
            QTest::newRow(dtypeName(Dtype(i))) << Dtype(i);
}

void TestStats::unalignedData()
{
    // Data offsets carry no alignment promise (a header need not be a multiple of 8 long), so
    // tensors often start at odd addresses.
    QFETCH(Dtype, dtype);
    const QByteArray buffer = test::randomBytes(1 + 5000 * dtypeBits(dtype) / 8, 11);
    const QByteArray bytes = buffer.mid(1);
    const auto span = test::bytesOf(buffer).subspan(1);
    QVERIFY(reinterpret_cast<std::uintptr_t>(span.data()) % 2 == 1);
    const auto stats = computeStats(dtype, span);
    QVERIFY2(stats.ok(), qPrintable(test::errorOf(stats)));
    const QString difference = compare(dtype, *stats, reference(dtype, bytes));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
}

void TestStats::emptyTensor_data()
{
    QTest::addColumn<Dtype>("dtype");
    for (int i = 0; i < kDtypeCount; ++i)
        QTest::newRow(dtypeName(Dtype(i))) << Dtype(i);
}

void TestStats::emptyTensor()
{
    QFETCH(Dtype, dtype);
    const auto stats = computeStats(dtype, std::span<const std::byte>());
    QVERIFY2(stats.ok(), qPrintable(test::errorOf(stats)));
    QCOMPARE(stats->values, std::uint64_t(0));
    QCOMPARE(stats->finite, std::uint64_t(0));
    QCOMPARE(stats->nan + stats->posInf + stats->negInf + stats->zeros, std::uint64_t(0));
    QVERIFY(std::isnan(stats->min) && std::isnan(stats->max) && std::isnan(stats->mean) && std::isnan(stats->std));
    for (auto c : stats->histogram)
        QCOMPARE(c, std::uint64_t(0));
}

void TestStats::allNaN_data()
{
    QTest::addColumn<Dtype>("dtype");
    QTest::addColumn<QByteArray>("bytes");
    const auto repeat = [](const QByteArray &unit, int times) {
        QByteArray out;
        for (int i = 0; i < times; ++i)
            out += unit;
        return out;
    };
    QTest::newRow("F32") << Dtype::F32 << repeat(QByteArray("\x00\x00\xc0\x7f", 4), 5000);
    QTest::newRow("F64") << Dtype::F64 << repeat(QByteArray("\x00\x00\x00\x00\x00\x00\xf8\x7f", 8), 5000);
    QTest::newRow("C64") << Dtype::C64 << repeat(QByteArray("\x00\x00\xc0\x7f", 4), 5000);
    QTest::newRow("F16") << Dtype::F16 << repeat(QByteArray("\x00\x7e", 2), 5000);
    QTest::newRow("BF16") << Dtype::BF16 << repeat(QByteArray("\xc0\x7f", 2), 5000);
    QTest::newRow("F8_E4M3") << Dtype::F8_E4M3 << repeat(QByteArray("\x7f"), 5000);
    QTest::newRow("F8_E5M2") << Dtype::F8_E5M2 << repeat(QByteArray("\xff"), 5000);
    QTest::newRow("F8_E4M3FNUZ") << Dtype::F8_E4M3FNUZ << repeat(QByteArray("\x80"), 5000);
    QTest::newRow("F8_E5M2FNUZ") << Dtype::F8_E5M2FNUZ << repeat(QByteArray("\x80"), 5000);
    QTest::newRow("F8_E8M0") << Dtype::F8_E8M0 << repeat(QByteArray("\xff"), 5000);
}

void TestStats::allNaN()
{
    QFETCH(Dtype, dtype);
    QFETCH(QByteArray, bytes);
    const auto stats = computeStats(dtype, test::bytesOf(bytes));
    QVERIFY2(stats.ok(), qPrintable(test::errorOf(stats)));
    const std::uint64_t values = elementCount(dtype, bytes) * (dtype == Dtype::C64 ? 2 : 1);
    QCOMPARE(stats->values, values);
    QCOMPARE(stats->nan, values);
    QCOMPARE(stats->finite, std::uint64_t(0));
    QVERIFY(std::isnan(stats->min) && std::isnan(stats->max) && std::isnan(stats->mean) && std::isnan(stats->std));
    for (auto c : stats->histogram)
        QCOMPARE(c, std::uint64_t(0));
}

void TestStats::singleValue()
{
    // One distinct value: std 0 and the whole count in the first bin.
    const QByteArray bytes = bytesOfValues(std::vector<float>(3000, -2.5f));
    const auto stats = computeStats(Dtype::F32, test::bytesOf(bytes));
    QVERIFY2(stats.ok(), qPrintable(test::errorOf(stats)));
    QCOMPARE(stats->min, -2.5);
    QCOMPARE(stats->max, -2.5);
    QCOMPARE(stats->mean, -2.5);
    QCOMPARE(stats->std, 0.0);
    QCOMPARE(stats->histogram[0], std::uint64_t(3000));
}

void TestStats::smallSpreadAroundLargeMean_data()
{
    QTest::addColumn<Dtype>("dtype");
    QTest::addColumn<QByteArray>("bytes");
    // A sum of squares about zero would lose every digit of the deviation here: m2 is 1e-10
    // (F64: 1e-20) of the squares' sum. The deviation must still match to six digits of itself
    // (measured: F32 and C64 to twelve, F64 to eight).
    QTest::newRow("F32 1000 +- 0.01") << Dtype::F32 << gaussian<float>(70'000, 1000.0, 0.01, 7);
    QTest::newRow("F32 -300 +- 0.0001") << Dtype::F32 << gaussian<float>(70'000, -300.0, 1e-4, 8);
    QTest::newRow("C64 50 +- 0.001") << Dtype::C64 << gaussian<float>(70'000, 50.0, 1e-3, 9);
    QTest::newRow("F64 1e6 +- 1e-4") << Dtype::F64 << gaussian<double>(70'000, 1e6, 1e-4, 10);
}

void TestStats::smallSpreadAroundLargeMean()
{
    QFETCH(Dtype, dtype);
    QFETCH(QByteArray, bytes);
    const auto stats = computeStats(dtype, test::bytesOf(bytes));
    QVERIFY2(stats.ok(), qPrintable(test::errorOf(stats)));
    const Reference want = reference(dtype, bytes);
    QVERIFY(want.std > 0);
    QVERIFY2(std::abs(stats->std - want.std) <= 1e-6 * want.std,
             qPrintable(QStringLiteral("std %1, reference %2").arg(stats->std, 0, 'g', 17).arg(want.std, 0, 'g', 17)));
    QVERIFY2(std::abs(stats->mean - want.mean) <= 1e-12 * std::abs(want.mean),
             qPrintable(QStringLiteral("mean %1, reference %2").arg(stats->mean, 0, 'g', 17).arg(want.mean, 0, 'g', 17)));
}

void TestStats::largeTensorIsChunked_data()
{
    // More than the 64 MiB chunk: split over the pool, the partial results merged.
    QTest::addColumn<Dtype>("dtype");
    QTest::addColumn<int>("megabytes");
    QTest::newRow("F32, 65 MiB") << Dtype::F32 << 65;
    QTest::newRow("BF16, 65 MiB") << Dtype::BF16 << 65;
    QTest::newRow("F6_E3M2, 65 MiB") << Dtype::F6_E3M2 << 65;
}

void TestStats::largeTensorIsChunked()
{
    QFETCH(Dtype, dtype);
    QFETCH(int, megabytes);
    const QByteArray bytes = test::randomBytes(qsizetype(megabytes) << 20, 99);
    QThreadPool pool;
    pool.setMaxThreadCount(4);
    const auto stats = computeStats(dtype, test::bytesOf(bytes), nullptr, &pool);
    QVERIFY2(stats.ok(), qPrintable(test::errorOf(stats)));
    const QString difference = compare(dtype, *stats, reference(dtype, bytes));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
}

void TestStats::progressCountsBytes_data()
{
    QTest::addColumn<Dtype>("dtype");
    QTest::addColumn<int>("bytes");
    for (int i = 0; i < kDtypeCount; ++i)
        QTest::addRow("%s", dtypeName(Dtype(i))) << Dtype(i) << 3 * 8 * 1000;
    QTest::newRow("F6_E2M3, several report steps") << Dtype::F6_E2M3 << (15 << 20);
    QTest::newRow("F32, several report steps") << Dtype::F32 << (15 << 20);
}

void TestStats::progressCountsBytes()
{
    QFETCH(Dtype, dtype);
    QFETCH(int, bytes);
    const QByteArray data = test::randomBytes(bytes, 5);
    JobContext job;
    const auto stats = computeStats(dtype, test::bytesOf(data), &job);
    QVERIFY2(stats.ok(), qPrintable(test::errorOf(stats)));
    QCOMPARE(job.total(), std::uint64_t(bytes));
    QCOMPARE(job.done(), std::uint64_t(bytes));
}

void TestStats::cancellation()
{
    const QByteArray bytes = test::randomBytes(80 << 20, 1);
    QThreadPool pool;
    pool.setMaxThreadCount(4);
    for (Dtype dtype : {Dtype::F32, Dtype::U8}) {
        // Cancelled before it starts.
        {
            JobContext job;
            job.cancel();
            QCOMPARE(test::errorOf(computeStats(dtype, test::bytesOf(bytes), &job, &pool)), QStringLiteral("statistics cancelled"));
        }
        // Cancelled at the first progress report: the rest is not read.
        {
            JobContext job;
            job.setProgressCallback([&job](int, std::uint64_t, std::uint64_t) { job.cancel(); });
            QCOMPARE(test::errorOf(computeStats(dtype, test::bytesOf(bytes), &job, &pool)), QStringLiteral("statistics cancelled"));
            QVERIFY(job.done() < job.total());
        }
    }
}

void TestStats::narrowDerivedFromCodes_data()
{
    // 16-bit types: everything is derived from the counts of the 65,536 codes at the end. It
    // must come out as the value-by-value reference has it: every count, min, max and bin
    // exactly, with NaN, infinities, both zeros and subnormals among the values; across the
    // 4 MiB steps of a pass and the ranges it is split into over the pool.
    QTest::addColumn<Dtype>("dtype");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("threads");
    for (const Dtype d : {Dtype::F16, Dtype::BF16}) {
        QTest::addRow("%s, 50,001 values, specials every 97", dtypeName(d)) << d << weightsWithSpecials16(d, 50'001, 97, 1) << 1;
        QTest::addRow("%s, two 4 MiB steps and 5 values, specials every 1,009", dtypeName(d))
                << d << weightsWithSpecials16(d, (4 << 20) + 5, 1009, 2) << 1;
        QTest::addRow("%s, 65 MiB over 2 ranges, specials every 1,000,003", dtypeName(d))
                << d << weightsWithSpecials16(d, qsizetype(65 << 20) / 2 + 1, 1'000'003, 3) << 2;
    }
    QTest::newRow("F16, only specials") << Dtype::F16 << weightsWithSpecials16(Dtype::F16, 16 * 100, 1, 4) << 1;
    QTest::newRow("BF16, only specials") << Dtype::BF16 << weightsWithSpecials16(Dtype::BF16, 16 * 100, 1, 5) << 1;
}

void TestStats::narrowDerivedFromCodes()
{
    QFETCH(Dtype, dtype);
    QFETCH(QByteArray, bytes);
    QFETCH(int, threads);
    QThreadPool pool;
    pool.setMaxThreadCount(threads);
    const auto stats = computeStats(dtype, test::bytesOf(bytes), nullptr, &pool);
    QVERIFY2(stats.ok(), qPrintable(test::errorOf(stats)));
    const Reference want = reference(dtype, bytes);
    const QString difference = compare(dtype, *stats, want);
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
    QVERIFY(stats->histogramExact);

    // The mean is the correctly rounded sum over the finite values, divided once. F16 values
    // are whole multiples of 2^-24 below 2^16, so their sum is an exact integer in 128 bits.
    if (dtype == Dtype::F16) {
        __extension__ typedef __int128 Int128;
        Int128 sum = 0;
        const auto *p = reinterpret_cast<const unsigned char *>(bytes.constData());
        for (qsizetype i = 0; i < bytes.size(); i += 2) {
            const unsigned char element[2] = {p[i], p[i + 1]};
            const double v = decodeValue(dtype, reinterpret_cast<const std::byte *>(element), 0);
            if (std::isfinite(v))
                sum += Int128(std::ldexp(v, 24));
        }
        const double mean = std::ldexp(double(sum), -24) / double(want.finite);
        QVERIFY2(stats->mean == mean, qPrintable(QStringLiteral("mean %1, exact %2").arg(stats->mean, 0, 'g', 17).arg(mean, 0, 'g', 17)));
    }
    QVERIFY2(std::abs(stats->std - want.std) <= 1e-12 * want.std,
             qPrintable(QStringLiteral("std %1, reference %2").arg(stats->std, 0, 'g', 17).arg(want.std, 0, 'g', 17)));
}

void TestStats::floatKernelsAgree_data()
{
    QTest::addColumn<Dtype>("dtype");
    QTest::addColumn<QByteArray>("bytes");

    QTest::newRow("F32 gaussian") << Dtype::F32 << gaussian<float>(50'001, 0.01, 0.02, 21);
    QTest::newRow("C64 gaussian") << Dtype::C64 << gaussian<float>(20'000, 1.0, 0.5, 22);
    QTest::newRow("F32 special values") << Dtype::F32 << specialValues(Dtype::F32);
    // Non-negative values with zeros of both signs: min is a zero, and which one is the
    // kernels' tie rule.
    std::vector<float> relu;
    for (int i = 0; i < 40'000; ++i)
        relu.push_back(i % 3 == 0 ? (i % 2 ? 0.0f : -0.0f) : std::abs(std::sin(float(i))));
    QTest::newRow("F32 non-negative with +0 and -0") << Dtype::F32 << bytesOfValues(relu);
    // Beyond 16 MiB the key histogram of the one pass stands, so the keys each kernel counted
    // are compared; NaN and Inf at offsets within blocks of 2,048 around the lag of the key
    // counting (16 values in the AVX2 kernel, 64 in the AVX-512 one), whose counts a block
    // that turns out to hold one must take back.
    QByteArray big = gaussian<float>((17 << 20) / 4 + 5, -0.5, 3.0, 23);
    const int offsets[] = {0, 1, 15, 16, 17, 31, 32, 48, 63, 64, 65, 79, 80, 81, 1000, 2031, 2032, 2047};
    for (int k = 0; k < int(std::size(offsets)); ++k) {
        const float special = k % 3 == 0 ? std::numeric_limits<float>::quiet_NaN() : k % 3 == 1 ? INFINITY : -INFINITY;
        std::memcpy(big.data() + 4 * (qsizetype(2048) * (5 * k + 3) + offsets[k]), &special, 4);
    }
    QTest::newRow("F32 17 MiB, NaN/Inf at offsets within blocks") << Dtype::F32 << big;
}

void TestStats::floatKernelsAgree()
{
    // The F32 block kernel is chosen at run time (AVX-512, AVX2, generic); each one this CPU
    // has must give what the reference gives, and the AVX ones the same results bit for bit.
    QFETCH(Dtype, dtype);
    QFETCH(QByteArray, bytes);
    const Reference want = reference(dtype, bytes);
    struct Restore
    {
        ~Restore() { setFloatKernel(FloatKernel::Best); }
    } restore;
    std::vector<std::pair<const char *, TensorStats>> avx;
    for (const auto &[name, kernel] : {std::pair{"generic", FloatKernel::Generic}, std::pair{"AVX2", FloatKernel::Avx2},
                                       std::pair{"AVX-512", FloatKernel::Avx512}}) {
        if (!setFloatKernel(kernel)) {
            qInfo("%s: not supported by this CPU", name);
            continue;
        }
        const auto stats = computeStats(dtype, test::bytesOf(bytes));
        QVERIFY2(stats.ok(), qPrintable(test::errorOf(stats)));
        const QString difference = compare(dtype, *stats, want);
        QVERIFY2(difference.isEmpty(), qPrintable(QStringLiteral("%1: %2").arg(QLatin1String(name), difference)));
        if (kernel != FloatKernel::Generic)
            avx.emplace_back(name, *stats);
    }
    const auto bits = [](double v) { return std::bit_cast<std::uint64_t>(v); };
    for (std::size_t i = 1; i < avx.size(); ++i) {
        const TensorStats &a = avx[0].second;
        const TensorStats &b = avx[i].second;
        QCOMPARE(b.values, a.values);
        QCOMPARE(b.finite, a.finite);
        QCOMPARE(b.nan, a.nan);
        QCOMPARE(b.posInf, a.posInf);
        QCOMPARE(b.negInf, a.negInf);
        QCOMPARE(b.zeros, a.zeros);
        QCOMPARE(bits(b.min), bits(a.min));
        QCOMPARE(bits(b.max), bits(a.max));
        QCOMPARE(bits(b.mean), bits(a.mean));
        QCOMPARE(bits(b.std), bits(a.std));
        QVERIFY(b.histogram == a.histogram);
    }
}

QTEST_GUILESS_MAIN(TestStats)
#include "tst_stats.moc"
