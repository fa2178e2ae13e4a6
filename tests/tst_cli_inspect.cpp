// The CLI as a user runs it: `inspect` (table, --json, --stats, --filter, shard sets) and
// `checksum`, through QProcess, checking exit status, stdout and stderr.

#include "englishplurals.h"
#include "safetensorswriter.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

using namespace tantra;

namespace {

using Run = test::CliRun;

Run runCli(const QStringList &arguments)
{
    QProcess process;
    return test::runCliIn(process, arguments, 60'000);
}

template<typename T>
QByteArray bytesOfValues(std::initializer_list<T> values)
{
    QByteArray out(qsizetype(values.size() * sizeof(T)), Qt::Uninitialized);
    std::memcpy(out.data(), values.begin(), std::size_t(out.size()));
    return out;
}

constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
constexpr float kInff = std::numeric_limits<float>::infinity();

// s: I64 scalar 7; w: F32 [2, 3] = 1..5 and NaN; bias: BF16 [3] = 1, -2, 0 (0x3f80, 0xc000, 0).
struct SmallModel
{
    QByteArray s = bytesOfValues<std::int64_t>({7});
    QByteArray w = bytesOfValues<float>({1, 2, 3, 4, 5, kNaNf});
    QByteArray bias = bytesOfValues<std::uint16_t>({0x3f80, 0xc000, 0x0000});

    std::vector<TensorWrite> tensors() const
    {
        return {{"w", Dtype::F32, {2, 3}, test::bytesOf(w)},
                {"bias", Dtype::BF16, {3}, test::bytesOf(bias)},
                {"s", Dtype::I64, {}, test::bytesOf(s)}};
    }
};

QString writeSmallModel(const QTemporaryDir &dir)
{
    const QString path = dir.filePath(QStringLiteral("small.safetensors"));
    const SmallModel m;
    const Status status = writeSafetensors(path, m.tensors(), {{"format", "pt"}});
    if (!status)
        qFatal("%s", qPrintable(status.errorString()));
    return path;
}


QJsonArray numbers(std::initializer_list<double> values)
{
    QJsonArray out;
    for (double v : values)
        out.append(v);
    return out;
}

} // namespace

class TestCliInspect : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void table();
    void json();
    void jsonStats();
    void jsonExactIntegers();
    void filter_data();
    void filter();
    void shardSet();
    void invalidFile_data();
    void invalidFile();
    void wrongUsage_data();
    void wrongUsage();
    void helpAndVersion();
    void checksum();
    void checksumErrors();
};

void TestCliInspect::initTestCase()
{
    QVERIFY2(!test::cliPath().isEmpty() && QFileInfo(test::cliPath()).isExecutable(),
             "the CLI was not found: run through ctest, which sets TANTRA_CLI");
}

void TestCliInspect::table()
{
    QTemporaryDir dir;
    const QString path = writeSmallModel(dir);
    const Run run = runCli({QStringLiteral("inspect"), path});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    // Data order (I64, F32, BF16: widest first); columns as wide as their content, numbers
    // right-aligned; then the totals and the metadata.
    const QString expected = QStringLiteral("NAME  DTYPE  SHAPE   BYTES\n"
                                            "s     I64    []          8\n"
                                            "w     F32    [2, 3]     24\n"
                                            "bias  BF16   [3]         6\n"
                                            "\n"
                                            "3 tensors shown of 3; 38 B of tensor data in 1 file, %1 B on disk\n"
                                            "\n"
                                            "Metadata:\n"
                                            "  format: pt\n")
                                     .arg(QFileInfo(path).size());
    QCOMPARE(run.out, expected);
}

void TestCliInspect::json()
{
    QTemporaryDir dir;
    const QString path = writeSmallModel(dir);
    const Run run = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), path});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    const QJsonObject root = test::parseJsonObject(run.out);
    QCOMPARE(root.value(QStringLiteral("path")).toString(), path);
    QCOMPARE(root.value(QStringLiteral("metadata")).toObject(), (QJsonObject{{QStringLiteral("format"), QStringLiteral("pt")}}));
    const QJsonArray tensors = root.value(QStringLiteral("tensors")).toArray();
    QCOMPARE(tensors.size(), qsizetype(3));

    const QJsonObject s = tensors[0].toObject();
    QCOMPARE(s.value(QStringLiteral("name")).toString(), QStringLiteral("s"));
    QCOMPARE(s.value(QStringLiteral("dtype")).toString(), QStringLiteral("I64"));
    QCOMPARE(s.value(QStringLiteral("shape")).toArray(), QJsonArray());
    QCOMPARE(s.value(QStringLiteral("data_offsets")).toArray(), numbers({0, 8}));
    const QJsonObject w = tensors[1].toObject();
    QCOMPARE(w.value(QStringLiteral("name")).toString(), QStringLiteral("w"));
    QCOMPARE(w.value(QStringLiteral("dtype")).toString(), QStringLiteral("F32"));
    QCOMPARE(w.value(QStringLiteral("shape")).toArray(), numbers({2, 3}));
    QCOMPARE(w.value(QStringLiteral("data_offsets")).toArray(), numbers({8, 32}));
    const QJsonObject bias = tensors[2].toObject();
    QCOMPARE(bias.value(QStringLiteral("name")).toString(), QStringLiteral("bias"));
    QCOMPARE(bias.value(QStringLiteral("dtype")).toString(), QStringLiteral("BF16"));
    QCOMPARE(bias.value(QStringLiteral("shape")).toArray(), numbers({3}));
    QCOMPARE(bias.value(QStringLiteral("data_offsets")).toArray(), numbers({32, 38}));
    // No "file" for a single file, no "stats" without --stats.
    for (const auto &t : tensors) {
        QVERIFY(!t.toObject().contains(QStringLiteral("file")));
        QVERIFY(!t.toObject().contains(QStringLiteral("stats")));
        QCOMPARE(t.toObject().keys(), (QStringList{QStringLiteral("data_offsets"), QStringLiteral("dtype"),
                                                   QStringLiteral("name"), QStringLiteral("shape")}));
    }
}

void TestCliInspect::jsonStats()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("stats.safetensors"));
    const SmallModel m;
    auto tensors = m.tensors();
    const QByteArray special = bytesOfValues<float>({kNaNf, kInff, -kInff, 0.0f});
    tensors.push_back({"special", Dtype::F32, {4}, test::bytesOf(special)});
    QVERIFY(writeSafetensors(path, tensors).ok());

    const Run run = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), QStringLiteral("--stats"), path});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    const QJsonArray array = test::parseJsonObject(run.out).value(QStringLiteral("tensors")).toArray();
    QCOMPARE(array.size(), qsizetype(4));
    QJsonObject byName;
    for (const auto &t : array)
        byName[t.toObject().value(QStringLiteral("name")).toString()] = t.toObject().value(QStringLiteral("stats"));

    const QStringList keys{QStringLiteral("max"), QStringLiteral("mean"), QStringLiteral("min"), QStringLiteral("nan"),
                           QStringLiteral("neg_inf"), QStringLiteral("pos_inf"), QStringLiteral("std"), QStringLiteral("zeros")};
    for (const auto &name : byName.keys())
        QCOMPARE(byName.value(name).toObject().keys(), keys);

    // w = 1..5 and NaN: mean 3, population std sqrt(2).
    const QJsonObject w = byName.value(QStringLiteral("w")).toObject();
    QCOMPARE(w.value(QStringLiteral("min")).toDouble(), 1.0);
    QCOMPARE(w.value(QStringLiteral("max")).toDouble(), 5.0);
    QCOMPARE(w.value(QStringLiteral("mean")).toDouble(), 3.0);
    QVERIFY(std::abs(w.value(QStringLiteral("std")).toDouble() - std::sqrt(2.0)) < 1e-12);
    QCOMPARE(w.value(QStringLiteral("nan")).toDouble(), 1.0);
    QCOMPARE(w.value(QStringLiteral("zeros")).toDouble(), 0.0);
    // bias = 1, -2, 0 in BF16.
    const QJsonObject bias = byName.value(QStringLiteral("bias")).toObject();
    QCOMPARE(bias.value(QStringLiteral("min")).toDouble(), -2.0);
    QCOMPARE(bias.value(QStringLiteral("max")).toDouble(), 1.0);
    QVERIFY(std::abs(bias.value(QStringLiteral("mean")).toDouble() - (-1.0 / 3)) < 1e-12);
    QCOMPARE(bias.value(QStringLiteral("zeros")).toDouble(), 1.0);
    // s = 7: one value, no deviation.
    const QJsonObject s = byName.value(QStringLiteral("s")).toObject();
    QCOMPARE(s.value(QStringLiteral("mean")).toDouble(), 7.0);
    QCOMPARE(s.value(QStringLiteral("std")).toDouble(), 0.0);
    // NaN, +Inf, -Inf, 0: one finite value; the counts say what the rest were.
    const QJsonObject sp = byName.value(QStringLiteral("special")).toObject();
    QCOMPARE(sp.value(QStringLiteral("nan")).toDouble(), 1.0);
    QCOMPARE(sp.value(QStringLiteral("pos_inf")).toDouble(), 1.0);
    QCOMPARE(sp.value(QStringLiteral("neg_inf")).toDouble(), 1.0);
    QCOMPARE(sp.value(QStringLiteral("zeros")).toDouble(), 1.0);
    QCOMPARE(sp.value(QStringLiteral("min")).toDouble(), 0.0);

    // A tensor with no finite value has null statistics, not NaN (which JSON cannot hold).
    const QString nanPath = dir.filePath(QStringLiteral("nan.safetensors"));
    const QByteArray allNaN = bytesOfValues<float>({kNaNf, kNaNf});
    QVERIFY(writeSafetensors(nanPath, {{"n", Dtype::F32, {2}, test::bytesOf(allNaN)}}).ok());
    const Run nanRun = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), QStringLiteral("--stats"), nanPath});
    QCOMPARE(nanRun.exitCode, 0);
    const QJsonObject n =
            test::parseJsonObject(nanRun.out).value(QStringLiteral("tensors")).toArray().at(0).toObject().value(QStringLiteral("stats")).toObject();
    for (const char *key : {"min", "max", "mean", "std"})
        QVERIFY2(n.value(QLatin1String(key)).isNull(), key);
    QCOMPARE(n.value(QStringLiteral("nan")).toDouble(), 2.0);

    // The table shows the same statistics.
    const Run table = runCli({QStringLiteral("inspect"), QStringLiteral("--stats"), path});
    QCOMPARE(table.exitCode, 0);
    const QStringList lines = table.out.split(QLatin1Char('\n'));
    QCOMPARE(lines[0].split(QLatin1Char(' '), Qt::SkipEmptyParts),
             (QStringList{QStringLiteral("NAME"), QStringLiteral("DTYPE"), QStringLiteral("SHAPE"), QStringLiteral("BYTES"),
                          QStringLiteral("MIN"), QStringLiteral("MAX"), QStringLiteral("MEAN"), QStringLiteral("STD"),
                          QStringLiteral("NAN"), QStringLiteral("+INF"), QStringLiteral("-INF"), QStringLiteral("ZEROS")}));
    const QStringList wRow = lines.filter(QRegularExpression(QStringLiteral("^w "))).value(0).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    QCOMPARE(wRow, (QStringList{QStringLiteral("w"), QStringLiteral("F32"), QStringLiteral("[2,"), QStringLiteral("3]"),
                                QStringLiteral("24"), QStringLiteral("1"), QStringLiteral("5"), QStringLiteral("3"),
                                QStringLiteral("1.41421"), QStringLiteral("1"), QStringLiteral("0"), QStringLiteral("0"),
                                QStringLiteral("0")}));
}

void TestCliInspect::jsonExactIntegers()
{
    // A zero-sized tensor may have any other dimension, up to 2^64-1. A double rounds
    // 2^53+1 to 2^53 and 2^64-1 to 18446744073709552000, which no integer reader takes back.
    QTemporaryDir dir;
    const QString path = test::writeBytes(
            dir.filePath(QStringLiteral("big.safetensors")),
            test::safetensorsBytes(
                    R"({"__metadata__":{"q\"\n\u0001":"\\"},)"
                    R"("z":{"dtype":"U8","shape":[0,9007199254740993,18446744073709551615],"data_offsets":[0,0]}})"));
    const Run run = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), path});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    // The whole text: the layout of QJsonDocument's indented form, which earlier versions printed.
    QJsonDocument quoted(QJsonArray{path});
    const QString pathJson = QString::fromUtf8(quoted.toJson(QJsonDocument::Compact)).mid(1).chopped(1);
    QCOMPARE(run.out, QStringLiteral("{\n"
                                     "    \"metadata\": {\n"
                                     "        \"q\\\"\\n\\u0001\": \"\\\\\"\n"
                                     "    },\n"
                                     "    \"path\": %1,\n"
                                     "    \"tensors\": [\n"
                                     "        {\n"
                                     "            \"data_offsets\": [\n"
                                     "                0,\n"
                                     "                0\n"
                                     "            ],\n"
                                     "            \"dtype\": \"U8\",\n"
                                     "            \"name\": \"z\",\n"
                                     "            \"shape\": [\n"
                                     "                0,\n"
                                     "                9007199254740993,\n"
                                     "                18446744073709551615\n"
                                     "            ]\n"
                                     "        }\n"
                                     "    ]\n"
                                     "}\n")
                              .arg(pathJson));
    // And it is JSON that a reader takes as such.
    const QJsonObject root = test::parseJsonObject(run.out);
    QCOMPARE(root.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("q\"\n\x01")).toString(),
             QStringLiteral("\\"));
}

void TestCliInspect::filter_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QStringList>("names");
    QTest::newRow("glob crosses dots") << QStringLiteral("*.mixer.*")
                                       << QStringList{QStringLiteral("layers.0.mixer.A"), QStringLiteral("layers.1.mixer.A")};
    QTest::newRow("glob with ?") << QStringLiteral("layers.?.norm")
                                 << QStringList{QStringLiteral("layers.0.norm"), QStringLiteral("layers.1.norm")};
    QTest::newRow("exact name") << QStringLiteral("embed") << QStringList{QStringLiteral("embed")};
    QTest::newRow("regex") << QStringLiteral("/^layers\\.1\\./")
                           << QStringList{QStringLiteral("layers.1.mixer.A"), QStringLiteral("layers.1.norm")};
    QTest::newRow("no match") << QStringLiteral("nothing*") << QStringList();
}

void TestCliInspect::filter()
{
    QFETCH(QString, pattern);
    QFETCH(QStringList, names);

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("f.safetensors"));
    const QByteArray four(4, '\0');
    std::vector<TensorWrite> tensors;
    for (const char *name : {"embed", "layers.0.mixer.A", "layers.0.norm", "layers.1.mixer.A", "layers.1.norm"})
        tensors.push_back({name, Dtype::F32, {1}, test::bytesOf(four)});
    QVERIFY(writeSafetensors(path, tensors).ok());

    const Run run = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), QStringLiteral("--filter"), pattern, path});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    QStringList got;
    for (const auto &t : test::parseJsonObject(run.out).value(QStringLiteral("tensors")).toArray())
        got << t.toObject().value(QStringLiteral("name")).toString();
    QCOMPARE(got, names);

    const Run table = runCli({QStringLiteral("inspect"), QStringLiteral("--filter"), pattern, path});
    QCOMPARE(table.exitCode, 0);
    QVERIFY2(table.out.contains(QStringLiteral("%1 shown of 5;").arg(plural("%n tensor(s)", names.size()))), qPrintable(table.out));
}

void TestCliInspect::shardSet()
{
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("model"));
    const QByteArray a(400, 'a'), b(400, 'b'), c(40, 'c');
    const auto set = writeShardSet(folder, QStringLiteral("model"),
                                   {{"a", Dtype::F32, {100}, test::bytesOf(a)},
                                    {"b", Dtype::U8, {400}, test::bytesOf(b)},
                                    {"c", Dtype::F64, {5}, test::bytesOf(c)}},
                                   500);
    QVERIFY2(set.ok(), qPrintable(test::errorOf(set)));

    for (const QString &path : {folder, set->indexPath}) {
        const Run run = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), path});
        QCOMPARE(run.err, QString());
        QCOMPARE(run.exitCode, 0);
        const QJsonObject root = test::parseJsonObject(run.out);
        QCOMPARE(root.value(QStringLiteral("path")).toString(), path);
        QCOMPARE(root.value(QStringLiteral("metadata")).toObject(), (QJsonObject{{QStringLiteral("total_size"), QStringLiteral("840")}}));
        const QJsonArray tensors = root.value(QStringLiteral("tensors")).toArray();
        QCOMPARE(tensors.size(), qsizetype(3));
        const QStringList expectedFiles{QStringLiteral("model-00001-of-00002.safetensors"), QStringLiteral("model-00002-of-00002.safetensors"),
                                        QStringLiteral("model-00002-of-00002.safetensors")};
        const QStringList expectedNames{QStringLiteral("a"), QStringLiteral("c"), QStringLiteral("b")};
        for (qsizetype i = 0; i < 3; ++i) {
            const QJsonObject t = tensors[i].toObject();
            QCOMPARE(t.value(QStringLiteral("name")).toString(), expectedNames[i]);
            QCOMPARE(t.value(QStringLiteral("file")).toString(), expectedFiles[i]);
        }
    }

    const Run table = runCli({QStringLiteral("inspect"), folder});
    QCOMPARE(table.exitCode, 0);
    QCOMPARE(table.out.section(QLatin1Char('\n'), 0, 0), QStringLiteral("NAME  DTYPE  SHAPE  BYTES  FILE"));
    QCOMPARE(table.out.section(QLatin1Char('\n'), 1, 1),
             QStringLiteral("a     F32    [100]    400  model-00001-of-00002.safetensors"));
    QVERIFY2(table.out.contains(QStringLiteral("3 tensors shown of 3; 840 B of tensor data in 2 files")), qPrintable(table.out));
}

void TestCliInspect::invalidFile_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("problem"); // after "<path>: "

    const QByteArray entry = R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    QTest::newRow("trailing bytes") << test::safetensorsBytes(entry, QByteArray(6, '\0'))
                                    << "the file has 2 bytes after the last tensor's data (the format allows none)";
    QTest::newRow("gap") << test::safetensorsBytes(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", QByteArray(8, '\0'))
                         << "tensor 't': bytes 4..8 leave a gap after byte 0";
    QTest::newRow("too small") << QByteArray("\x01\x02\x03") << "the file is 3 bytes long; a safetensors file starts with an 8-byte header length";
    QTest::newRow("Git LFS pointer") << QByteArray("version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n")
                                     << "this is a Git LFS pointer file, not the weights: fetch them with 'git lfs pull'";
}

void TestCliInspect::invalidFile()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, problem);
    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("bad.safetensors")), bytes);
    for (const QStringList &options : {QStringList(), QStringList{QStringLiteral("--json")}}) {
        const Run run = runCli(QStringList{QStringLiteral("inspect")} + options + QStringList{path});
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.out, QString());
        QCOMPARE(run.err, path + QStringLiteral(": ") + problem + QLatin1Char('\n'));
    }
}

void TestCliInspect::wrongUsage_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("firstLine"); // of stderr

    QTest::newRow("no command") << QStringList() << "Usage: tantra-model-manager [--root DIR] COMMAND [ARGS…]";
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")}
                                     << "tantra-model-manager: unknown command 'frobnicate'";
    QTest::newRow("inspect without a path")
            << QStringList{QStringLiteral("inspect")}
            << "inspect: give exactly one PATH (a .safetensors file, an index, a folder with an index, or a PyTorch .bin/.pt/.pth)";
    QTest::newRow("inspect with two paths")
            << QStringList{QStringLiteral("inspect"), QStringLiteral("a"), QStringLiteral("b")}
            << "inspect: give exactly one PATH (a .safetensors file, an index, a folder with an index, or a PyTorch .bin/.pt/.pth)";
    QTest::newRow("unknown option") << QStringList{QStringLiteral("inspect"), QStringLiteral("--bogus"), QStringLiteral("x")}
                                    << "tantra-model-manager inspect: Unknown option 'bogus'.";
    QTest::newRow("--filter without a value") << QStringList{QStringLiteral("inspect"), QStringLiteral("x"), QStringLiteral("--filter")}
                                              << "tantra-model-manager inspect: Missing value after '--filter'.";
    QTest::newRow("invalid regular expression")
            << QStringList{QStringLiteral("inspect"), QStringLiteral("--filter"), QStringLiteral("/(/"), QStringLiteral("x")}
            << "inspect: invalid --filter regular expression: missing closing parenthesis";
    QTest::newRow("checksum without files") << QStringList{QStringLiteral("checksum")} << "checksum: give one or more files";
}

void TestCliInspect::wrongUsage()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, firstLine);
    const Run run = runCli(arguments);
    QCOMPARE(run.exitCode, 2);
    QCOMPARE(run.out, QString());
    QCOMPARE(run.err.section(QLatin1Char('\n'), 0, 0), firstLine);
}

void TestCliInspect::helpAndVersion()
{
    const Run version = runCli({QStringLiteral("--version")});
    QCOMPARE(version.exitCode, 0);
    QCOMPARE(version.out, QStringLiteral("tantra-model-manager " TANTRA_VERSION "\n"));

    const Run help = runCli({QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    QCOMPARE(help.err, QString());
    QVERIFY(help.out.startsWith(QStringLiteral("Usage: tantra-model-manager")));
    QVERIFY(help.out.contains(QStringLiteral("\n  inspect PATH")));
    QVERIFY(help.out.contains(QStringLiteral("\n  checksum PATH…")));

    const Run inspectHelp = runCli({QStringLiteral("inspect"), QStringLiteral("--help")});
    QCOMPARE(inspectHelp.exitCode, 0);
    for (const char *option : {"--json", "--stats", "--filter <GLOB>"})
        QVERIFY2(inspectHelp.out.contains(QLatin1String(option)), option);
}

void TestCliInspect::checksum()
{
    QTemporaryDir dir;
    QStringList paths;
    QStringList expected;
    for (int i = 0; i < 3; ++i) {
        const QByteArray bytes = test::randomBytes(100'000 * i + 17, std::uint32_t(i));
        paths << test::writeBytes(dir.filePath(QStringLiteral("f%1.safetensors").arg(i)), bytes);
        // sha256sum's format: the digest, two spaces, the path as given.
        expected << QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex())
                        + QStringLiteral("  ") + paths.last();
    }
    const Run run = runCli(QStringList{QStringLiteral("checksum")} + paths);
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.out, expected.join(QLatin1Char('\n')) + QLatin1Char('\n'));
    for (const QString &line : run.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{64}  \\S")).match(line).hasMatch());
}

void TestCliInspect::checksumErrors()
{
    // A missing file is reported and makes the exit status 1; the others are still hashed.
    QTemporaryDir dir;
    const QString good = test::writeBytes(dir.filePath(QStringLiteral("good.bin")), QByteArray("abc"));
    const QString missing = dir.filePath(QStringLiteral("missing.bin"));
    const Run run = runCli({QStringLiteral("checksum"), missing, good});
    QCOMPARE(run.exitCode, 1);
    QCOMPARE(run.out, QStringLiteral("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  ") + good + QLatin1Char('\n'));
    QCOMPARE(run.err, missing + QStringLiteral(": cannot open: ") + QString::fromLocal8Bit(std::strerror(ENOENT)) + QLatin1Char('\n'));

    const Run nothing = runCli({QStringLiteral("inspect"), dir.filePath(QStringLiteral("nope"))});
    QCOMPARE(nothing.exitCode, 1);
    QCOMPARE(nothing.err, dir.filePath(QStringLiteral("nope")) + QStringLiteral(": no such file or folder\n"));
}

QTEST_GUILESS_MAIN(TestCliInspect)
#include "tst_cli_inspect.moc"
