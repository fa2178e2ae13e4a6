// `diff A B` as a user runs it, through QProcess: exit status like diff(1) (0 same within
// tolerance, 1 different, 2 trouble), the summary line and table, the --json report field by
// field, --rtol/--atol/--map/--filter/--all, registered weight names, and the corpus files
// against themselves.

#include "safetensorswriter.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <limits>
#include <utility>

using namespace tantra;

namespace {

using Run = test::CliRun;

Run runCli(const QStringList &arguments, const QString &root = {})
{
    return test::runCli(arguments, root, 60'000);
}

QByteArray floats(std::initializer_list<float> values)
{
    QByteArray out(qsizetype(values.size() * sizeof(float)), Qt::Uninitialized);
    std::memcpy(out.data(), values.begin(), std::size_t(out.size()));
    return out;
}

struct Named
{
    std::string name;
    std::vector<std::uint64_t> shape;
    QByteArray data;
    Dtype dtype = Dtype::F32;
};

QString write(const QString &path, const std::vector<Named> &tensors, const Metadata &metadata = {})
{
    std::vector<TensorWrite> writes;
    for (const auto &t : tensors)
        writes.push_back({t.name, t.dtype, t.shape, test::bytesOf(t.data)});
    const Status status = writeSafetensors(path, writes, metadata);
    if (!status)
        qFatal("%s", qPrintable(status.errorString()));
    return path;
}

// A: same, near, far, zero, gone; B: same, near (within 1e-5), far (changed), zero (all-zero
// in A: rel_l2 and cosine undefined), new; other metadata.
struct Pair
{
    QString a;
    QString b;
    QString c; // B's tensors with A's metadata
};

Pair writePair(const QTemporaryDir &dir)
{
    const QByteArray same = floats({1, 2, 3});
    Pair p;
    p.a = write(dir.filePath(QStringLiteral("a.safetensors")),
                {{"same", {3}, same}, {"near", {2}, floats({1, 2})}, {"far", {2, 2}, floats({1, 2, 3, 4})},
                 {"zero", {2}, floats({0, 0})}, {"gone", {1}, floats({5})}},
                {{"format", "pt"}, {"step", "7"}});
    const std::vector<Named> b{{"same", {3}, same}, {"near", {2}, floats({1, 2.00001f})}, {"far", {2, 2}, floats({1, 2, 3.5f, 4})},
                               {"zero", {2}, floats({0, 1})}, {"new", {1}, floats({6})}};
    p.b = write(dir.filePath(QStringLiteral("b.safetensors")), b, {{"format", "pt"}, {"step", "8"}});
    p.c = write(dir.filePath(QStringLiteral("c.safetensors")), b, {{"format", "pt"}, {"step", "7"}});
    return p;
}

} // namespace

class TestCliDiff : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void exitStatus_data();
    void exitStatus();
    void text();
    void json();
    void mapAndFilter();
    void registeredNames();
    void corpusAgainstItself_data();
    void corpusAgainstItself();

private:
    QTemporaryDir m_dir;
    Pair m_pair;
};

void TestCliDiff::initTestCase()
{
    QVERIFY2(!test::cliPath().isEmpty() && QFileInfo(test::cliPath()).isExecutable(),
             "the CLI was not found: run through ctest, which sets TANTRA_CLI");
    m_pair = writePair(m_dir);
}

void TestCliDiff::exitStatus_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("err"); // the start of stderr; %D is the fixtures' folder

    const QString a = QStringLiteral("%A");
    const QString b = QStringLiteral("%C");
    const QString d = QStringLiteral("diff");
    QTest::newRow("identical") << QStringList{d, a, a} << 0 << QString();
    QTest::newRow("close only") << QStringList{d, a, b, QStringLiteral("--filter"), QStringLiteral("/^(same|near)$/")} << 0 << QString();
    QTest::newRow("changed") << QStringList{d, a, b, QStringLiteral("--filter"), QStringLiteral("far")} << 1 << QString();
    QTest::newRow("tolerance makes it close")
            << QStringList{d, a, b, QStringLiteral("--filter"), QStringLiteral("far"), QStringLiteral("--rtol"), QStringLiteral("0.2")} << 0
            << QString();
    QTest::newRow("tight tolerance: near changes")
            << QStringList{d, a, b, QStringLiteral("--filter"), QStringLiteral("near"), QStringLiteral("--rtol"), QStringLiteral("0"),
                           QStringLiteral("--atol"), QStringLiteral("0")}
            << 1 << QString();
    QTest::newRow("added and removed") << QStringList{d, a, b, QStringLiteral("--filter"), QStringLiteral("/^(gone|new)$/")} << 1 << QString();
    QTest::newRow("all") << QStringList{d, a, b} << 1 << QString();
    QTest::newRow("metadata only") << QStringList{d, a, QStringLiteral("%B"), QStringLiteral("--filter"), QStringLiteral("same")} << 1
                                   << QString();
    QTest::newRow("missing file") << QStringList{d, a, QStringLiteral("%D/nothing.safetensors")} << 2
                                  << QStringLiteral("%D/nothing.safetensors: no such file");
    QTest::newRow("invalid file") << QStringList{d, QStringLiteral("%D/junk.safetensors"), a} << 2
                                  << QStringLiteral("%D/junk.safetensors: ");
    QTest::newRow("one argument") << QStringList{d, a} << 2 << QStringLiteral("diff: give two weights A and B");
    QTest::newRow("bad rtol") << QStringList{d, a, b, QStringLiteral("--rtol"), QStringLiteral("-1")} << 2
                              << QStringLiteral("diff: --rtol takes a number >= 0, not '-1'");
    QTest::newRow("bad atol") << QStringList{d, a, b, QStringLiteral("--atol"), QStringLiteral("x")} << 2
                              << QStringLiteral("diff: --atol takes a number >= 0, not 'x'");
    QTest::newRow("bad map") << QStringList{d, a, b, QStringLiteral("--map"), QStringLiteral("nomapping")} << 2
                             << QStringLiteral("diff: --map takes REGEX=REPLACEMENT, not 'nomapping'");
    QTest::newRow("invalid map pattern") << QStringList{d, a, b, QStringLiteral("--map"), QStringLiteral("(=x")} << 2
                                         << QStringLiteral("diff: invalid --map pattern '(': ");
    QTest::newRow("invalid filter") << QStringList{d, a, b, QStringLiteral("--filter"), QStringLiteral("/(/")} << 2
                                    << QStringLiteral("diff: invalid filter regular expression: ");
}

void TestCliDiff::exitStatus()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, err);
    test::writeBytes(m_dir.filePath(QStringLiteral("junk.safetensors")), QByteArray("not a safetensors file"));
    for (QString &arg : arguments)
        arg.replace(QStringLiteral("%A"), m_pair.a).replace(QStringLiteral("%B"), m_pair.b).replace(QStringLiteral("%C"), m_pair.c).replace(QStringLiteral("%D"), m_dir.path());
    err.replace(QStringLiteral("%D"), m_dir.path());
    const Run run = runCli(arguments, m_dir.path());
    QVERIFY2(err.isEmpty() ? run.err.isEmpty() : run.err.startsWith(err), qPrintable(run.err));
    QCOMPARE(run.exitCode, exitCode);
    if (exitCode == 2)
        QCOMPARE(run.out, QString());
}

void TestCliDiff::text()
{
    const Run run = runCli({QStringLiteral("diff"), m_pair.a, m_pair.b});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 1);
    const QStringList lines = run.out.split(QLatin1Char('\n'));
    QCOMPARE(lines[0], QStringLiteral("6 tensors: 1 identical, 1 close, 2 changed (largest rel_l2 9.1e-02: far), 1 added, 1 removed; "
                                      "1 metadata key differs"));
    QCOMPARE(lines[1], QString());
    QVERIFY2(lines[2].startsWith(QStringLiteral("NAME  STATUS")), qPrintable(lines[2]));
    // Largest rel_l2 first; the tensors without one (zero norm, not compared) after, by name.
    QStringList order;
    for (qsizetype i = 3; i < lines.size() && !lines[i].isEmpty(); ++i)
        order << lines[i].section(QLatin1Char(' '), 0, 0);
    QCOMPARE(order, (QStringList{QStringLiteral("far"), QStringLiteral("near"), QStringLiteral("gone"), QStringLiteral("new"),
                                 QStringLiteral("zero")}));
    QVERIFY2(run.out.contains(QStringLiteral("undefined (zero norm)")), qPrintable(run.out));
    QVERIFY2(run.out.endsWith(QStringLiteral("\nMetadata:\n  ~ step: 7 → 8\n")), qPrintable(run.out));
    QVERIFY(!order.contains(QStringLiteral("same")));

    const Run all = runCli({QStringLiteral("diff"), QStringLiteral("--all"), m_pair.a, m_pair.b});
    QVERIFY2(all.out.contains(QStringLiteral("\nsame ")), qPrintable(all.out));
}

void TestCliDiff::json()
{
    const Run run = runCli({QStringLiteral("diff"), QStringLiteral("--json"), m_pair.a, m_pair.b});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 1);
    const QJsonObject root = test::parseJsonObject(run.out);
    QCOMPARE(root.keys(), (QStringList{QStringLiteral("a"), QStringLiteral("atol"), QStringLiteral("b"), QStringLiteral("identical"),
                                       QStringLiteral("metadata"), QStringLiteral("rtol"), QStringLiteral("summary"),
                                       QStringLiteral("tensors")}));
    QCOMPARE(root.value(QStringLiteral("a")).toString(), m_pair.a);
    QCOMPARE(root.value(QStringLiteral("b")).toString(), m_pair.b);
    QCOMPARE(root.value(QStringLiteral("identical")), QJsonValue(false));
    QCOMPARE(root.value(QStringLiteral("rtol")).toDouble(), 1e-5);
    QCOMPARE(root.value(QStringLiteral("atol")).toDouble(), 1e-8);
    const QJsonObject summary = root.value(QStringLiteral("summary")).toObject();
    const std::pair<const char *, int> counts[] = {{"identical", 1}, {"close", 1}, {"changed", 2}, {"retyped", 0},
                                                   {"reshaped", 0},  {"added", 1}, {"removed", 1}};
    QCOMPARE(summary.size(), qsizetype(7));
    for (const auto &[name, n] : counts)
        QCOMPARE(summary.value(QLatin1String(name)).toInt(-1), n);

    const QJsonArray tensors = root.value(QStringLiteral("tensors")).toArray();
    QStringList names;
    QJsonObject byName;
    for (const auto &t : tensors) {
        names << t.toObject().value(QStringLiteral("name")).toString();
        byName[names.last()] = t;
    }
    QCOMPARE(names, (QStringList{QStringLiteral("far"), QStringLiteral("gone"), QStringLiteral("near"), QStringLiteral("new"),
                                 QStringLiteral("same"), QStringLiteral("zero")}));

    const QStringList valueKeys{QStringLiteral("cosine"),   QStringLiteral("differing"), QStringLiteral("dtype_a"),
                                QStringLiteral("dtype_b"),  QStringLiteral("max_abs_diff"), QStringLiteral("max_abs_diff_index"),
                                QStringLiteral("mean_abs_diff"), QStringLiteral("name"), QStringLiteral("nonfinite_mismatch"),
                                QStringLiteral("rel_l2"),   QStringLiteral("shape_a"), QStringLiteral("shape_b"), QStringLiteral("status")};
    const QJsonObject far = byName.value(QStringLiteral("far")).toObject();
    QCOMPARE(far.keys(), valueKeys);
    QCOMPARE(far.value(QStringLiteral("status")).toString(), QStringLiteral("changed"));
    QCOMPARE(far.value(QStringLiteral("dtype_a")).toString(), QStringLiteral("F32"));
    QCOMPARE(far.value(QStringLiteral("shape_a")).toArray(), (QJsonArray{2, 2}));
    QCOMPARE(far.value(QStringLiteral("differing")).toInt(), 1);
    QCOMPARE(far.value(QStringLiteral("max_abs_diff")).toDouble(), 0.5);
    QCOMPARE(far.value(QStringLiteral("max_abs_diff_index")).toArray(), (QJsonArray{1, 0}));
    QCOMPARE(far.value(QStringLiteral("mean_abs_diff")).toDouble(), 0.125);
    // ||a - b|| / ||a|| = 0.5 / sqrt(30); a.b / (||a|| ||b||) = 31.5 / sqrt(30 * 33.25).
    QVERIFY(qFuzzyCompare(far.value(QStringLiteral("rel_l2")).toDouble(), 0.5 / std::sqrt(30.0)));
    QVERIFY(qFuzzyCompare(far.value(QStringLiteral("cosine")).toDouble(), 31.5 / std::sqrt(30.0 * 33.25)));
    QCOMPARE(far.value(QStringLiteral("nonfinite_mismatch")).toInt(-1), 0);

    const QJsonObject zero = byName.value(QStringLiteral("zero")).toObject();
    QCOMPARE(zero.value(QStringLiteral("rel_l2")), QJsonValue(QJsonValue::Null));
    QCOMPARE(zero.value(QStringLiteral("cosine")), QJsonValue(QJsonValue::Null));
    QCOMPARE(zero.value(QStringLiteral("max_abs_diff")).toDouble(), 1.0);

    const QJsonObject gone = byName.value(QStringLiteral("gone")).toObject();
    QCOMPARE(gone.keys(), (QStringList{QStringLiteral("dtype_a"), QStringLiteral("dtype_b"), QStringLiteral("name"),
                                       QStringLiteral("shape_a"), QStringLiteral("shape_b"), QStringLiteral("status")}));
    QCOMPARE(gone.value(QStringLiteral("status")).toString(), QStringLiteral("removed"));
    QCOMPARE(gone.value(QStringLiteral("dtype_b")), QJsonValue(QJsonValue::Null));
    QCOMPARE(gone.value(QStringLiteral("shape_b")), QJsonValue(QJsonValue::Null));
    QCOMPARE(byName.value(QStringLiteral("new")).toObject().value(QStringLiteral("status")).toString(), QStringLiteral("added"));
    QCOMPARE(byName.value(QStringLiteral("near")).toObject().value(QStringLiteral("status")).toString(), QStringLiteral("close"));
    const QJsonObject same = byName.value(QStringLiteral("same")).toObject();
    QCOMPARE(same.value(QStringLiteral("status")).toString(), QStringLiteral("identical"));
    QCOMPARE(same.value(QStringLiteral("rel_l2")).toDouble(-1), 0.0);
    QCOMPARE(same.value(QStringLiteral("cosine")).toDouble(-1), 1.0);
    QCOMPARE(same.value(QStringLiteral("max_abs_diff_index")), QJsonValue(QJsonValue::Null));

    const QJsonObject metadata = root.value(QStringLiteral("metadata")).toObject();
    QCOMPARE(metadata.value(QStringLiteral("added")).toObject(), QJsonObject());
    QCOMPARE(metadata.value(QStringLiteral("removed")).toObject(), QJsonObject());
    QCOMPARE(metadata.value(QStringLiteral("changed")).toObject(),
             (QJsonObject{{QStringLiteral("step"), QJsonArray{QStringLiteral("7"), QStringLiteral("8")}}}));

    const Run same2 = runCli({QStringLiteral("diff"), QStringLiteral("--json"), m_pair.a, m_pair.a});
    QCOMPARE(same2.exitCode, 0);
    QCOMPARE(test::parseJsonObject(same2.out).value(QStringLiteral("identical")), QJsonValue(true));
}

void TestCliDiff::mapAndFilter()
{
    QTemporaryDir dir;
    const QString hf = write(dir.filePath(QStringLiteral("hf.safetensors")),
                             {{"backbone.embeddings.weight", {2}, floats({1, 2})}, {"lm_head.weight", {1}, floats({3})}});
    const QString mamba = write(dir.filePath(QStringLiteral("mamba.safetensors")),
                                {{"backbone.embedding.weight", {2}, floats({1, 2})}, {"lm_head.weight", {1}, floats({3})}});
    QCOMPARE(runCli({QStringLiteral("diff"), mamba, hf}).exitCode, 1);
    const Run mapped = runCli({QStringLiteral("diff"), QStringLiteral("--json"), QStringLiteral("--map"),
                               QStringLiteral("embeddings=embedding"), mamba, hf});
    QCOMPARE(mapped.err, QString());
    QCOMPARE(mapped.exitCode, 0);
    const QJsonArray tensors = test::parseJsonObject(mapped.out).value(QStringLiteral("tensors")).toArray();
    QCOMPARE(tensors.size(), qsizetype(2));
    QCOMPARE(tensors[0].toObject().value(QStringLiteral("name")).toString(), QStringLiteral("backbone.embedding.weight"));
    QCOMPARE(tensors[0].toObject().value(QStringLiteral("name_b")).toString(), QStringLiteral("backbone.embeddings.weight"));
    // Two --map in order: the second sees the first's result.
    const Run twice = runCli({QStringLiteral("diff"), QStringLiteral("--map"), QStringLiteral("embeddings=EMB"), QStringLiteral("--map"),
                              QStringLiteral("EMB=embedding"), mamba, hf});
    QCOMPARE(twice.exitCode, 0);
    QCOMPARE(twice.out, QStringLiteral("2 tensors: 2 identical\n"));
}

void TestCliDiff::registeredNames()
{
    QTemporaryDir root;
    test::makeWorkspace(root.path());
    const Run same = runCli({QStringLiteral("diff"), QStringLiteral("mamba_sample"), QStringLiteral("mamba_sample")}, root.path());
    QCOMPARE(same.err, QString());
    QCOMPARE(same.exitCode, 0);
    const Run other = runCli({QStringLiteral("diff"), QStringLiteral("mamba_sample"), QStringLiteral("ocr_native_sample")}, root.path());
    QCOMPARE(other.err, QString());
    QCOMPARE(other.exitCode, 1);
    const Run unknown = runCli({QStringLiteral("diff"), QStringLiteral("mamba_sample"), QStringLiteral("mamba_nothing")}, root.path());
    QCOMPARE(unknown.exitCode, 2);
    QVERIFY2(unknown.err.startsWith(QStringLiteral("mamba_nothing: no such file, and no weight of that name is registered in ")),
             qPrintable(unknown.err));
}

void TestCliDiff::corpusAgainstItself_data()
{
    const QString dir = test::corpusDir();
    if (dir.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set: set it to ../shared/corpus (the folder with MANIFEST.tsv) to run the corpus tests");
    test::addCorpusModelRows(dir);
}

void TestCliDiff::corpusAgainstItself()
{
    QFETCH(QString, path);
    const Run run = runCli({QStringLiteral("diff"), path, path});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
}

QTEST_GUILESS_MAIN(TestCliDiff)
#include "tst_cli_diff.moc"
