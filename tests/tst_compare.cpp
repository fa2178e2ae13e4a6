// compareWeights: the status of every tensor, the numbers against float64 reference values
// computed here from values decoded independently of the engine (qfloat16, bit shifts),
// shard set against single file, --map renaming, metadata, cancel, and the corpus against
// itself.

#include "jobcontext.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "testutil.h"
#include "tensorstats.h"
#include "weightcomparison.h"

#include <QDir>
#include <QFile>
#include <QFloat16>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

using namespace tantra;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A tensor given by its values, encoded here into the dtype's bytes.
struct Spec
{
    std::string name = "t";
    Dtype dtype = Dtype::F32;
    std::vector<std::uint64_t> shape;
    std::vector<double> values;
};

QByteArray encode(Dtype dtype, const std::vector<double> &values)
{
    QByteArray out;
    const auto put = [&out](const auto v) { out.append(reinterpret_cast<const char *>(&v), sizeof v); };
    for (double v : values) {
        switch (dtype) {
        case Dtype::F32: put(float(v)); break;
        case Dtype::F64: put(v); break;
        case Dtype::F16: put(qfloat16(float(v))); break;
        // Truncation of the float's bits: the test's values are exact in BF16 or meant to be cut.
        case Dtype::BF16: put(std::uint16_t(std::bit_cast<std::uint32_t>(float(v)) >> 16)); break;
        case Dtype::I32: put(std::int32_t(v)); break;
        case Dtype::U8: put(std::uint8_t(v)); break;
        default: qFatal("encode: dtype not used by this test");
        }
    }
    return out;
}

// The value the file holds, decoded by the test (not by dtype.cpp).
double decoded(Dtype dtype, double v)
{
    switch (dtype) {
    case Dtype::F32: return double(float(v));
    case Dtype::F16: return double(float(qfloat16(float(v))));
    case Dtype::BF16: return double(std::bit_cast<float>(std::bit_cast<std::uint32_t>(float(v)) & 0xffff0000u));
    case Dtype::I32: return double(std::int32_t(v));
    case Dtype::U8: return double(std::uint8_t(v));
    default: return v;
    }
}

QString writeModel(const QString &path, const std::vector<Spec> &specs, const Metadata &metadata = {})
{
    std::vector<QByteArray> data;
    data.reserve(specs.size());
    std::vector<TensorWrite> tensors;
    for (const auto &s : specs) {
        data.push_back(encode(s.dtype, s.values));
        tensors.push_back({s.name, s.dtype, s.shape, test::bytesOf(data.back())});
    }
    const Status status = writeSafetensors(path, tensors, metadata);
    if (!status)
        qFatal("%s", qPrintable(status.errorString()));
    return path;
}

Spec vec(Dtype dtype, std::vector<double> values, std::string name = "t")
{
    return Spec{std::move(name), dtype, {values.size()}, std::move(values)};
}

// The numbers, straight from the definitions, in long double.
struct Reference
{
    std::uint64_t differing = 0;
    std::optional<double> maxAbs;
    std::uint64_t maxIndex = 0;
    std::optional<double> mean;
    std::optional<double> relL2;
    std::optional<double> cosine;
    std::uint64_t nonfinite = 0;
};

Reference reference(const std::vector<double> &a, const std::vector<double> &b, bool bitwise,
                    const std::vector<QByteArray> &bytesAB = {}, int width = 0)
{
    Reference r;
    long double absSum = 0, d2 = 0, a2 = 0, b2 = 0, dot = 0;
    std::uint64_t finite = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double x = a[i];
        const double y = b[i];
        if (bitwise)
            r.differing += std::memcmp(bytesAB[0].constData() + i * std::size_t(width),
                                       bytesAB[1].constData() + i * std::size_t(width), std::size_t(width)) != 0;
        else
            r.differing += x != y && !(std::isnan(x) && std::isnan(y));
        if (!std::isfinite(x) || !std::isfinite(y)) {
            r.nonfinite += !(std::isnan(x) && std::isnan(y)) && x != y;
            continue;
        }
        // The difference in float64, as numpy takes it; the sums in long double.
        const double dd = x - y;
        const long double d = dd;
        const double ad = std::fabs(dd);
        if (!r.maxAbs || ad > *r.maxAbs) {
            r.maxAbs = ad;
            r.maxIndex = i;
        }
        absSum += std::fabs(d);
        d2 += d * d;
        a2 += (long double)x * x;
        b2 += (long double)y * y;
        dot += (long double)x * y;
        ++finite;
    }
    if (finite)
        r.mean = double(absSum / finite);
    if (a2 > 0)
        r.relL2 = double(std::sqrt(d2) / std::sqrt(a2));
    if (a2 > 0 && b2 > 0)
        r.cosine = double(dot / (std::sqrt(a2) * std::sqrt(b2)));
    return r;
}

bool near(std::optional<double> got, std::optional<double> want)
{
    if (!got || !want)
        return bool(got) == bool(want);
    return std::fabs(*got - *want) <= 1e-12 * std::max(1.0, std::fabs(*want));
}

QString describe(std::optional<double> v)
{
    return v ? QString::number(*v, 'g', 17) : QStringLiteral("undefined");
}

Result<WeightComparison> compareFiles(const QString &a, const QString &b, const CompareOptions &options = {},
                                      JobContext *job = nullptr)
{
    auto ma = SafetensorsModel::open(a);
    if (!ma)
        return ma.error();
    auto mb = SafetensorsModel::open(b);
    if (!mb)
        return mb.error();
    return compareWeights(*ma, *mb, options, job);
}

const TensorComparison *row(const WeightComparison &c, const std::string &name)
{
    for (const auto &t : c.tensors)
        if (t.name == name)
            return &t;
    return nullptr;
}

} // namespace

Q_DECLARE_METATYPE(tantra::Dtype)
Q_DECLARE_METATYPE(Spec)
Q_DECLARE_METATYPE(std::vector<Spec>)

class TestCompare : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void statuses_data();
    void statuses();
    void numbers_data();
    void numbers();
    void largeTensorInRanges_data();
    void largeTensorInRanges();
    void firstMaximumWins();
    void shardSetAgainstSingleFile();
    void renameMap();
    void renameErrors_data();
    void renameErrors();
    void metadataChanges();
    void filter();
    void cancel();
    void progressInWaves_data();
    void progressInWaves();
    void differenceStats_data();
    void differenceStats();
    void differenceStatsErrors();
    void corpusAgainstItself_data();
    void corpusAgainstItself();

private:
    QTemporaryDir m_dir;
};

void TestCompare::statuses_data()
{
    QTest::addColumn<std::vector<Spec>>("a");
    QTest::addColumn<std::vector<Spec>>("b");
    QTest::addColumn<QString>("status");
    QTest::addColumn<quint64>("differing");

    const auto F32 = Dtype::F32;
    QTest::newRow("identical") << std::vector{vec(F32, {1, 2, 3})} << std::vector{vec(F32, {1, 2, 3})} << "identical" << quint64(0);
    QTest::newRow("identical with NaN") << std::vector{vec(F32, {1, kNaN})} << std::vector{vec(F32, {1, kNaN})} << "identical" << quint64(0);
    QTest::newRow("empty tensor") << std::vector{vec(F32, {})} << std::vector{vec(F32, {})} << "identical" << quint64(0);
    QTest::newRow("close") << std::vector{vec(F32, {1, 2, 3})} << std::vector{vec(F32, {1, 2.00001, 3})} << "close" << quint64(1);
    QTest::newRow("close: -0 and +0 differ in bits only") << std::vector{vec(F32, {-0.0, 1})} << std::vector{vec(F32, {0.0, 1})}
                                                          << "close" << quint64(1);
    QTest::newRow("close: same Inf") << std::vector{vec(F32, {kInf, 1})} << std::vector{vec(F32, {kInf, 1.000001})} << "close"
                                     << quint64(1);
    QTest::newRow("changed") << std::vector{vec(F32, {1, 2, 3})} << std::vector{vec(F32, {1, 2.1, 3})} << "changed" << quint64(1);
    QTest::newRow("changed: NaN on one side") << std::vector{vec(F32, {1, kNaN})} << std::vector{vec(F32, {1, 2})} << "changed"
                                              << quint64(1);
    QTest::newRow("changed: +Inf and -Inf") << std::vector{vec(F32, {kInf})} << std::vector{vec(F32, {-kInf})} << "changed" << quint64(1);
    QTest::newRow("changed: integers") << std::vector{vec(Dtype::I32, {1, 2, 3})} << std::vector{vec(Dtype::I32, {1, 5, 4})}
                                       << "changed" << quint64(2);
    QTest::newRow("changed: F16") << std::vector{vec(Dtype::F16, {1, 2, 3})} << std::vector{vec(Dtype::F16, {1, 2, 3.5})}
                                  << "changed" << quint64(1);
    QTest::newRow("retyped: equal values") << std::vector{vec(Dtype::BF16, {1, 2, 3})} << std::vector{vec(F32, {1, 2, 3})}
                                           << "retyped" << quint64(0);
    QTest::newRow("retyped: different values") << std::vector{vec(Dtype::BF16, {1, 2, 3})} << std::vector{vec(F32, {1, 2, 3.1})}
                                               << "retyped" << quint64(1);
    QTest::newRow("reshaped") << std::vector{Spec{"t", F32, {2, 2}, {1, 2, 3, 4}}} << std::vector{Spec{"t", F32, {4}, {1, 2, 3, 4}}}
                              << "reshaped" << quint64(0);
    QTest::newRow("added") << std::vector<Spec>{} << std::vector{vec(F32, {1})} << "added" << quint64(0);
    QTest::newRow("removed") << std::vector{vec(F32, {1})} << std::vector<Spec>{} << "removed" << quint64(0);
}

void TestCompare::statuses()
{
    QFETCH(std::vector<Spec>, a);
    QFETCH(std::vector<Spec>, b);
    QFETCH(QString, status);
    QFETCH(quint64, differing);
    const QString pa = writeModel(m_dir.filePath(QStringLiteral("sa.safetensors")), a);
    const QString pb = writeModel(m_dir.filePath(QStringLiteral("sb.safetensors")), b);
    const auto c = compareFiles(pa, pb);
    QVERIFY2(c.ok(), qPrintable(test::errorOf(c)));
    QCOMPARE(c->tensors.size(), std::size_t(1));
    const TensorComparison &t = c->tensors[0];
    QCOMPARE(QString::fromLatin1(compareStatusName(t.status)), status);
    const bool compared = status != QLatin1String("added") && status != QLatin1String("removed") && status != QLatin1String("reshaped");
    QCOMPARE(t.valuesCompared, compared);
    QCOMPARE(quint64(t.differing), differing);
    QCOMPARE(c->counts()[std::size_t(t.status)], std::uint64_t(1));
    QCOMPARE(c->identical(), status == QLatin1String("identical"));
    QCOMPARE(c->equalWithinTolerance(), status == QLatin1String("identical") || status == QLatin1String("close"));
    if (status == QLatin1String("identical")) {
        QCOMPARE(t.relL2, std::optional<double>(0.0));
        QCOMPARE(t.cosine, std::optional<double>(1.0));
    }
}

void TestCompare::numbers_data()
{
    QTest::addColumn<Dtype>("dtypeA");
    QTest::addColumn<Dtype>("dtypeB");
    QTest::addColumn<std::vector<double>>("a");
    QTest::addColumn<std::vector<double>>("b");

    // A few thousand values, so that blocks and the vector kernel's lanes are all used.
    std::vector<double> base(5003);
    const QByteArray noise = test::randomBytes(qsizetype(base.size() * 2), 7);
    for (std::size_t i = 0; i < base.size(); ++i)
        base[i] = (double(std::uint8_t(noise[qsizetype(2 * i)])) - 128) / 16.0 + double(std::uint8_t(noise[qsizetype(2 * i + 1)])) / 4096.0;
    std::vector<double> perturbed = base;
    for (std::size_t i = 0; i < perturbed.size(); i += 97)
        perturbed[i] += 0.001 * double(i % 13) - 0.005;

    QTest::newRow("F32 perturbed") << Dtype::F32 << Dtype::F32 << base << perturbed;
    QTest::newRow("F64 perturbed") << Dtype::F64 << Dtype::F64 << base << perturbed;
    QTest::newRow("F16 perturbed") << Dtype::F16 << Dtype::F16 << base << perturbed;
    QTest::newRow("retyped BF16 vs F32") << Dtype::BF16 << Dtype::F32 << perturbed << perturbed;
    QTest::newRow("retyped F32 vs BF16") << Dtype::F32 << Dtype::BF16 << base << perturbed;
    QTest::newRow("retyped F16 vs F64") << Dtype::F16 << Dtype::F64 << base << base;
    QTest::newRow("I32") << Dtype::I32 << Dtype::I32 << std::vector<double>{1, -2, 3, 1000000} << std::vector<double>{1, 2, 3, -7};
    QTest::newRow("U8") << Dtype::U8 << Dtype::U8 << std::vector<double>{0, 255, 3} << std::vector<double>{1, 0, 3};
    std::vector<double> withNaN = perturbed;
    withNaN[10] = kNaN;
    withNaN[4000] = kInf;
    QTest::newRow("NaN and Inf on one side") << Dtype::F32 << Dtype::F32 << base << withNaN;
    std::vector<double> bothNaN = base;
    bothNaN[17] = kNaN;
    std::vector<double> bothNaNChanged = perturbed;
    bothNaNChanged[17] = kNaN;
    QTest::newRow("NaN on both sides") << Dtype::F32 << Dtype::F32 << bothNaN << bothNaNChanged;
    QTest::newRow("+Inf against -Inf") << Dtype::F32 << Dtype::F32 << std::vector<double>{1, kInf, 2} << std::vector<double>{1, -kInf, 3};
    QTest::newRow("zero norm A") << Dtype::F32 << Dtype::F32 << std::vector<double>(100, 0.0) << perturbed;
    QTest::newRow("zero norm B") << Dtype::F32 << Dtype::F32 << std::vector<double>{1, 2, 3} << std::vector<double>{0, 0, 0};
    QTest::newRow("only non-finite pairs") << Dtype::F32 << Dtype::F32 << std::vector<double>{kNaN, kInf} << std::vector<double>{1, kNaN};
}

void TestCompare::numbers()
{
    QFETCH(Dtype, dtypeA);
    QFETCH(Dtype, dtypeB);
    QFETCH(std::vector<double>, a);
    QFETCH(std::vector<double>, b);
    b.resize(a.size(), 0.5);

    const QString pa = writeModel(m_dir.filePath(QStringLiteral("na.safetensors")), {vec(dtypeA, a)});
    const QString pb = writeModel(m_dir.filePath(QStringLiteral("nb.safetensors")), {vec(dtypeB, b)});
    const auto c = compareFiles(pa, pb);
    QVERIFY2(c.ok(), qPrintable(test::errorOf(c)));
    const TensorComparison &t = c->tensors[0];
    QVERIFY(t.valuesCompared);

    std::vector<double> da, db;
    for (double v : a)
        da.push_back(decoded(dtypeA, v));
    for (double v : b)
        db.push_back(decoded(dtypeB, v));
    const bool same = dtypeA == dtypeB;
    const Reference r = reference(da, db, same, {encode(dtypeA, a), encode(dtypeB, b)}, dtypeBits(dtypeA) / 8);

    QCOMPARE(t.differing, r.differing);
    QCOMPARE(t.nonfiniteMismatch, r.nonfinite);
    QVERIFY2(near(t.maxAbsDiff, r.maxAbs), qPrintable(describe(t.maxAbsDiff) + QStringLiteral(" vs ") + describe(r.maxAbs)));
    if (r.maxAbs)
        QCOMPARE(t.maxAbsDiffIndex, std::vector<std::uint64_t>{r.maxIndex});
    QVERIFY2(near(t.meanAbsDiff, r.mean), qPrintable(describe(t.meanAbsDiff) + QStringLiteral(" vs ") + describe(r.mean)));
    QVERIFY2(near(t.relL2, r.relL2), qPrintable(describe(t.relL2) + QStringLiteral(" vs ") + describe(r.relL2)));
    QVERIFY2(near(t.cosine, r.cosine), qPrintable(describe(t.cosine) + QStringLiteral(" vs ") + describe(r.cosine)));
}

void TestCompare::largeTensorInRanges_data()
{
    QTest::addColumn<std::uint64_t>("changeAt");
    QTest::addColumn<std::uint64_t>("minRangeBytes");
    // 3,000,001 values: 12 MiB of F32, 12 chunks; in 1 MiB ranges, 8 tasks or more.
    QTest::newRow("one range, change in the last chunk") << std::uint64_t(2'999'999) << (std::uint64_t(64) << 20);
    QTest::newRow("ranges, change in the last range") << std::uint64_t(2'999'999) << (std::uint64_t(1) << 20);
    QTest::newRow("ranges, change in the first range") << std::uint64_t(5) << (std::uint64_t(1) << 20);
    QTest::newRow("ranges, no change") << std::uint64_t(0) << (std::uint64_t(1) << 20);
}

void TestCompare::largeTensorInRanges()
{
    QFETCH(std::uint64_t, changeAt);
    QFETCH(std::uint64_t, minRangeBytes);
    std::vector<double> a(3'000'001);
    for (std::size_t i = 0; i < a.size(); ++i)
        a[i] = double(i % 1000) / 8.0 - 60;
    std::vector<double> b = a;
    if (changeAt)
        b[changeAt] += 0.5;
    const QString pa = writeModel(m_dir.filePath(QStringLiteral("la.safetensors")), {vec(Dtype::F32, a)});
    const QString pb = writeModel(m_dir.filePath(QStringLiteral("lb.safetensors")), {vec(Dtype::F32, b)});
    CompareOptions options;
    options.minRangeBytes = minRangeBytes;
    JobContext job;
    const auto c = compareFiles(pa, pb, options, &job);
    QVERIFY2(c.ok(), qPrintable(test::errorOf(c)));
    const TensorComparison &t = c->tensors[0];
    QCOMPARE(job.done(), job.total());
    if (!changeAt) {
        QCOMPARE(t.status, CompareStatus::Identical);
        return;
    }
    const Reference r = reference(a, b, false);
    QCOMPARE(t.status, CompareStatus::Changed);
    QCOMPARE(t.differing, std::uint64_t(1));
    QCOMPARE(t.maxAbsDiffIndex, std::vector<std::uint64_t>{changeAt});
    QVERIFY2(near(t.maxAbsDiff, r.maxAbs), qPrintable(describe(t.maxAbsDiff)));
    QVERIFY2(near(t.meanAbsDiff, r.mean), qPrintable(describe(t.meanAbsDiff)));
    QVERIFY2(near(t.relL2, r.relL2), qPrintable(describe(t.relL2) + QStringLiteral(" vs ") + describe(r.relL2)));
    QVERIFY2(near(t.cosine, r.cosine), qPrintable(describe(t.cosine) + QStringLiteral(" vs ") + describe(r.cosine)));
}

void TestCompare::firstMaximumWins()
{
    // Two elements reach the largest difference, 2.0: the first in row-major order is reported,
    // as a multi-index.
    const QString pa = writeModel(m_dir.filePath(QStringLiteral("ma.safetensors")), {Spec{"t", Dtype::F32, {2, 3}, {0, 0, 0, 0, 0, 0}}});
    const QString pb = writeModel(m_dir.filePath(QStringLiteral("mb.safetensors")), {Spec{"t", Dtype::F32, {2, 3}, {0, 1, 0, 2, 0, -2}}});
    const auto c = compareFiles(pa, pb);
    QVERIFY2(c.ok(), qPrintable(test::errorOf(c)));
    const TensorComparison &t = c->tensors[0];
    QCOMPARE(t.maxAbsDiff, std::optional<double>(2.0));
    QCOMPARE(t.maxAbsDiffIndex, (std::vector<std::uint64_t>{1, 0}));
    QVERIFY(!t.relL2); // A is all zeros
    QVERIFY(!t.cosine);
}

void TestCompare::shardSetAgainstSingleFile()
{
    const std::vector<Spec> specs{vec(Dtype::F32, {1, 2, 3, 4}, "a"), vec(Dtype::BF16, {1, 2}, "b"),
                                  vec(Dtype::I32, {5, 6, 7}, "c"), vec(Dtype::F64, {0.5}, "d")};
    const QString single = writeModel(m_dir.filePath(QStringLiteral("single.safetensors")), specs, {{"format", "pt"}});
    std::vector<QByteArray> data;
    std::vector<TensorWrite> tensors;
    data.reserve(specs.size());
    for (const auto &s : specs) {
        data.push_back(encode(s.dtype, s.values));
        tensors.push_back({s.name, s.dtype, s.shape, test::bytesOf(data.back())});
    }
    const QString folder = m_dir.filePath(QStringLiteral("shards"));
    QVERIFY(QDir().mkpath(folder));
    const auto set = writeShardSet(folder, QStringLiteral("model"), tensors, 12, {{"format", "pt"}});
    QVERIFY2(set.ok(), qPrintable(test::errorOf(set)));
    QVERIFY(set->shardPaths.size() > 1);

    for (const auto &[x, y] : {std::pair{single, folder}, std::pair{folder, single}, std::pair{set->indexPath, folder}}) {
        const auto c = compareFiles(x, y);
        QVERIFY2(c.ok(), qPrintable(test::errorOf(c)));
        QCOMPARE(c->tensors.size(), std::size_t(4));
        QCOMPARE(c->counts()[std::size_t(CompareStatus::Identical)], std::uint64_t(4));
        // The weights' metadata is compared: a shard set's is its shards' ({"format": "pt"}),
        // not its index's ({"total_size": …}, about the layout).
        QVERIFY(c->metadata.empty());
    }
}

void TestCompare::renameMap()
{
    const QString pa = writeModel(m_dir.filePath(QStringLiteral("hf.safetensors")),
                                  {vec(Dtype::F32, {1, 2}, "backbone.embedding.weight"), vec(Dtype::F32, {3}, "backbone.norm_f.weight")});
    const QString pb = writeModel(m_dir.filePath(QStringLiteral("mamba.safetensors")),
                                  {vec(Dtype::F32, {1, 2}, "backbone.embeddings.weight"), vec(Dtype::F32, {3}, "backbone.norm_f.weight")});
    auto unmapped = compareFiles(pa, pb);
    QVERIFY2(unmapped.ok(), qPrintable(test::errorOf(unmapped)));
    QCOMPARE(unmapped->counts()[std::size_t(CompareStatus::Added)], std::uint64_t(1));
    QCOMPARE(unmapped->counts()[std::size_t(CompareStatus::Removed)], std::uint64_t(1));

    CompareOptions options;
    options.renameB = {{QStringLiteral("\\.embeddings\\."), QStringLiteral(".embedding.")}};
    const auto c = compareFiles(pa, pb, options);
    QVERIFY2(c.ok(), qPrintable(test::errorOf(c)));
    QVERIFY(c->identical());
    const TensorComparison *t = row(*c, "backbone.embedding.weight");
    QVERIFY(t);
    QCOMPARE(t->nameB, std::string("backbone.embeddings.weight"));
    QCOMPARE(row(*c, "backbone.norm_f.weight")->nameB, std::string());
}

void TestCompare::renameErrors_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("replacement");
    QTest::addColumn<QString>("error");
    QTest::newRow("invalid pattern") << "(" << "x"
                                     << "invalid --map pattern '(': missing closing parenthesis";
    QTest::newRow("two names become one") << "^[xy]$" << "z" << "%B: --map renames tensors 'x' and 'y' both to 'z'";
}

void TestCompare::renameErrors()
{
    QFETCH(QString, pattern);
    QFETCH(QString, replacement);
    QFETCH(QString, error);
    const QString pa = writeModel(m_dir.filePath(QStringLiteral("ra.safetensors")), {vec(Dtype::F32, {1}, "x")});
    const QString pb = writeModel(m_dir.filePath(QStringLiteral("rb.safetensors")), {vec(Dtype::F32, {1}, "x"), vec(Dtype::F32, {2}, "y")});
    CompareOptions options;
    options.renameB = {{pattern, replacement}};
    const auto c = compareFiles(pa, pb, options);
    QCOMPARE(test::errorOf(c), QString(error).replace(QStringLiteral("%B"), pb));
}

void TestCompare::metadataChanges()
{
    const QString pa = writeModel(m_dir.filePath(QStringLiteral("meta-a.safetensors")), {vec(Dtype::F32, {1})},
                                  {{"x", "1"}, {"y", "2"}, {"z", "3"}});
    const QString pb = writeModel(m_dir.filePath(QStringLiteral("meta-b.safetensors")), {vec(Dtype::F32, {1})},
                                  {{"w", "5"}, {"y", "2"}, {"z", "4"}});
    const auto c = compareFiles(pa, pb);
    QVERIFY2(c.ok(), qPrintable(test::errorOf(c)));
    QCOMPARE(c->metadata.size(), std::size_t(3));
    QCOMPARE(c->metadata[0].key, std::string("w"));
    QVERIFY(!c->metadata[0].a);
    QCOMPARE(*c->metadata[0].b, std::string("5"));
    QCOMPARE(c->metadata[1].key, std::string("x"));
    QCOMPARE(*c->metadata[1].a, std::string("1"));
    QVERIFY(!c->metadata[1].b);
    QCOMPARE(c->metadata[2].key, std::string("z"));
    QCOMPARE(*c->metadata[2].a, std::string("3"));
    QCOMPARE(*c->metadata[2].b, std::string("4"));
    QCOMPARE(c->tensors[0].status, CompareStatus::Identical);
    QVERIFY(!c->identical());
    QVERIFY(!c->equalWithinTolerance());
}

void TestCompare::filter()
{
    const QString pa = writeModel(m_dir.filePath(QStringLiteral("fa.safetensors")),
                                  {vec(Dtype::F32, {1}, "layer.0.w"), vec(Dtype::F32, {1}, "head.w")});
    const QString pb = writeModel(m_dir.filePath(QStringLiteral("fb.safetensors")),
                                  {vec(Dtype::F32, {1}, "layer.0.w"), vec(Dtype::F32, {9}, "head.w")});
    CompareOptions options;
    options.filter = QStringLiteral("layer.*");
    const auto c = compareFiles(pa, pb, options);
    QVERIFY2(c.ok(), qPrintable(test::errorOf(c)));
    QCOMPARE(c->tensors.size(), std::size_t(1));
    QVERIFY(c->identical());
    options.filter = QStringLiteral("/(/");
    QVERIFY(test::errorOf(compareFiles(pa, pb, options)).startsWith(QStringLiteral("invalid filter regular expression: ")));
}

void TestCompare::cancel()
{
    const QString pa = writeModel(m_dir.filePath(QStringLiteral("ca.safetensors")), {vec(Dtype::F32, {1, 2})});
    JobContext job;
    job.cancel();
    QCOMPARE(test::errorOf(compareFiles(pa, pa, {}, &job)), QStringLiteral("comparison cancelled"));
}

void TestCompare::progressInWaves_data()
{
    QTest::addColumn<quint64>("waveBytes");
    QTest::addColumn<int>("waves");
    // 20 pairs of 2 x 400 bytes, 2 more tensors without values to compare.
    QTest::newRow("a wave per pair") << quint64(1) << 20;
    QTest::newRow("four pairs a wave") << quint64(3200) << 5;
    QTest::newRow("all in one wave") << quint64(1) << 20;
}

void TestCompare::progressInWaves()
{
    QFETCH(quint64, waveBytes);
    QFETCH(int, waves);
    std::vector<Spec> sa, sb;
    for (int i = 0; i < 20; ++i) {
        std::vector<double> va(100), vb(100);
        for (int j = 0; j < 100; ++j) {
            va[std::size_t(j)] = i * 100 + j;
            vb[std::size_t(j)] = i % 3 == 0 ? va[std::size_t(j)] + 0.5 : va[std::size_t(j)];
        }
        const std::string name = QStringLiteral("t%1").arg(i, 2, 10, QLatin1Char('0')).toStdString();
        sa.push_back(vec(Dtype::F32, va, name));
        sb.push_back(vec(i == 7 ? Dtype::F64 : Dtype::F32, vb, name));
    }
    sa.push_back(vec(Dtype::F32, {1}, "only_a"));
    sb.push_back(vec(Dtype::F32, {1, 2}, "z_reshaped"));
    sa.push_back(vec(Dtype::F32, {1}, "z_reshaped"));
    const QString pa = writeModel(m_dir.filePath(QStringLiteral("wa.safetensors")), sa);
    const QString pb = writeModel(m_dir.filePath(QStringLiteral("wb.safetensors")), sb);
    const auto whole = compareFiles(pa, pb);
    QVERIFY2(whole.ok(), qPrintable(test::errorOf(whole)));

    CompareOptions options;
    options.waveBytes = QTest::currentDataTag() == QByteArray("all in one wave") ? std::uint64_t(1) << 30 : waveBytes;
    const int expectedCalls = QTest::currentDataTag() == QByteArray("all in one wave") ? 1 : waves;
    int calls = 0;
    std::vector<bool> seen;
    options.onProgress = [&](const WeightComparison &soFar, std::span<const std::size_t> rows) {
        if (calls++ == 0) {
            // The structure: every row, none compared, retyped and reshaped known already.
            QCOMPARE(rows.size(), std::size_t(0));
            QCOMPARE(soFar.tensors.size(), whole->tensors.size());
            seen.assign(soFar.tensors.size(), false);
            for (const auto &t : soFar.tensors) {
                QVERIFY(!t.valuesCompared);
                if (t.name == "t07")
                    QCOMPARE(t.status, CompareStatus::Retyped);
                if (t.name == "z_reshaped")
                    QCOMPARE(t.status, CompareStatus::Reshaped);
                if (t.name == "only_a")
                    QCOMPARE(t.status, CompareStatus::Removed);
            }
            return;
        }
        QVERIFY(!rows.empty());
        for (std::size_t r : rows) {
            QVERIFY(r < soFar.tensors.size());
            QVERIFY(!seen[r]);
            seen[r] = true;
            QVERIFY(soFar.tensors[r].valuesCompared);
            QCOMPARE(soFar.tensors[r].status, whole->tensors[r].status);
            QCOMPARE(soFar.tensors[r].differing, whole->tensors[r].differing);
        }
    };
    const auto c = compareFiles(pa, pb, options);
    QVERIFY2(c.ok(), qPrintable(test::errorOf(c)));
    QCOMPARE(calls, 1 + expectedCalls);
    // Every pair compared once, the others never.
    for (std::size_t r = 0; r < c->tensors.size(); ++r) {
        QCOMPARE(bool(seen[r]), c->tensors[r].valuesCompared);
        QCOMPARE(c->tensors[r].status, whole->tensors[r].status);
        QCOMPARE(c->tensors[r].relL2, whole->tensors[r].relL2);
    }
    QCOMPARE(std::count(seen.begin(), seen.end(), true), 20);
}

void TestCompare::differenceStats_data()
{
    QTest::addColumn<Dtype>("dtypeA");
    QTest::addColumn<Dtype>("dtypeB");
    QTest::addColumn<int>("elements");
    // Larger than a chunk (1 MiB), so that both passes cross chunk boundaries.
    QTest::newRow("f32 300k") << Dtype::F32 << Dtype::F32 << 300000;
    QTest::newRow("bf16 vs f32") << Dtype::BF16 << Dtype::F32 << 5000;
    QTest::newRow("f16 small") << Dtype::F16 << Dtype::F16 << 7;
    QTest::newRow("empty") << Dtype::F32 << Dtype::F32 << 0;
}

void TestCompare::differenceStats()
{
    QFETCH(Dtype, dtypeA);
    QFETCH(Dtype, dtypeB);
    QFETCH(int, elements);
    std::vector<double> va(static_cast<std::size_t>(elements)), vb(static_cast<std::size_t>(elements));
    for (int i = 0; i < elements; ++i) {
        va[std::size_t(i)] = std::sin(i * 0.37) * 3;
        vb[std::size_t(i)] = i % 5 == 0 ? va[std::size_t(i)] : va[std::size_t(i)] + std::cos(i * 1.3) * 0.25;
    }
    if (elements > 10) {
        va[3] = kNaN;
        vb[4] = kInf;
    }
    const QString pa = writeModel(m_dir.filePath(QStringLiteral("da.safetensors")), {vec(dtypeA, va)});
    const QString pb = writeModel(m_dir.filePath(QStringLiteral("db.safetensors")), {vec(dtypeB, vb)});
    auto ma = SafetensorsModel::open(pa);
    auto mb = SafetensorsModel::open(pb);
    QVERIFY(ma && mb);
    JobContext job;
    const auto s = tantra::differenceStats(*ma, ma->tensors()[0], *mb, mb->tensors()[0], &job);
    QVERIFY2(s.ok(), qPrintable(test::errorOf(s)));

    // The reference, from the test's own decoding.
    std::vector<double> d;
    std::uint64_t nonfinite = 0, zeros = 0;
    for (int i = 0; i < elements; ++i) {
        const double x = decoded(dtypeA, va[std::size_t(i)]);
        const double y = decoded(dtypeB, vb[std::size_t(i)]);
        if (!std::isfinite(x) || !std::isfinite(y)) {
            ++nonfinite;
            continue;
        }
        d.push_back(x - y);
        zeros += x == y;
    }
    QCOMPARE(s->values, std::uint64_t(elements));
    QCOMPARE(s->finite, std::uint64_t(d.size()));
    QCOMPARE(s->nan, nonfinite);
    QCOMPARE(s->zeros, zeros);
    if (d.empty()) {
        QVERIFY(std::isnan(s->min));
        return;
    }
    const auto [lo, hi] = std::minmax_element(d.begin(), d.end());
    QCOMPARE(s->min, *lo);
    QCOMPARE(s->max, *hi);
    long double sum = 0, sq = 0;
    for (double x : d)
        sum += x;
    const long double mean = sum / d.size();
    for (double x : d)
        sq += (x - mean) * (x - mean);
    QVERIFY2(near(s->mean, double(mean)), qPrintable(describe(s->mean)));
    QVERIFY2(std::fabs(s->std - double(std::sqrt(sq / d.size()))) <= 1e-12 * std::max(1.0, s->std), qPrintable(describe(s->std)));
    std::array<std::uint64_t, TensorStats::kBins> bins{};
    for (double x : d) {
        const double f = *hi > *lo ? (x - *lo) / (*hi - *lo) * TensorStats::kBins : 0;
        ++bins[std::size_t(std::clamp(int(f), 0, TensorStats::kBins - 1))];
    }
    QCOMPARE(s->histogram, bins);
    QCOMPARE(job.total(), 2 * std::uint64_t(ma->tensors()[0].info->byteSize() + mb->tensors()[0].info->byteSize()));
}

void TestCompare::differenceStatsErrors()
{
    const QString pa = writeModel(m_dir.filePath(QStringLiteral("ea.safetensors")), {vec(Dtype::F32, {1, 2, 3})});
    const QString pb = writeModel(m_dir.filePath(QStringLiteral("eb.safetensors")), {vec(Dtype::F32, {1, 2})});
    auto ma = SafetensorsModel::open(pa);
    auto mb = SafetensorsModel::open(pb);
    QVERIFY(ma && mb);
    QCOMPARE(test::errorOf(tantra::differenceStats(*ma, ma->tensors()[0], *mb, mb->tensors()[0])),
             QStringLiteral("tensors 't' and 't' have different shapes"));
    JobContext job;
    job.cancel();
    QCOMPARE(test::errorOf(tantra::differenceStats(*ma, ma->tensors()[0], *ma, ma->tensors()[0], &job)),
             QStringLiteral("cancelled"));
}

void TestCompare::corpusAgainstItself_data()
{
    const QString dir = test::corpusDir();
    if (dir.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set: set it to ../shared/corpus (the folder with MANIFEST.tsv) to run the corpus tests");
    test::addCorpusModelRows(dir);
}

void TestCompare::corpusAgainstItself()
{
    QFETCH(QString, path);
    const auto c = compareFiles(path, path);
    QVERIFY2(c.ok(), qPrintable(test::errorOf(c)));
    QVERIFY(c->identical());
    QCOMPARE(c->counts()[std::size_t(CompareStatus::Identical)], std::uint64_t(c->tensors.size()));
}

QTEST_GUILESS_MAIN(TestCompare)
#include "tst_compare.moc"
