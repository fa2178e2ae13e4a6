// `inspect` of PyTorch checkpoints as a user runs it: the table and --json of a checkpoint
// written opcode by opcode, hostile files refused (exit 1, the global named, its command not
// run), --key, and the corpus's training checkpoint and shard set.

#include "testutil.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace tantra;

namespace {

using Run = test::CliRun;

Run runCli(const QStringList &arguments)
{
    QProcess process;
    return test::runCliIn(process, arguments, 60'000);
}

// A 2x4 float32 storage seen transposed as 4x2: what a torch.save of `w.t()` holds.
QString writeTransposed(const QTemporaryDir &dir, const QString &name = QStringLiteral("model.pt"))
{
    return test::writeBytes(dir.filePath(name), test::torchZip(test::torchTensorDictPickle(8, 0, {4, 2}, {1, 4}),
                                                               test::floatBytes({0, 1, 2, 3, 4, 5, 6, 7})));
}

} // namespace

class TestCliTorch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void table();
    void json();
    void stats();
    void hostile_data();
    void hostile();
    void errors_data();
    void errors();
    void corpusTrainingCheckpoint();
    void corpusShardSet();
};

void TestCliTorch::initTestCase()
{
    QVERIFY2(!test::cliPath().isEmpty() && QFileInfo(test::cliPath()).isExecutable(),
             "the CLI was not found: run through ctest, which sets TANTRA_CLI");
}

void TestCliTorch::table()
{
    QTemporaryDir dir;
    for (const QString &name : {QStringLiteral("model.pt"), QStringLiteral("pytorch_model.bin"), QStringLiteral("checkpoint.pth")}) {
        const QString path = writeTransposed(dir, name);
        const Run run = runCli({QStringLiteral("inspect"), path});
        QCOMPARE(run.err, QString());
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, QStringLiteral("NAME  DTYPE  SHAPE   BYTES\n"
                                         "w     F32    [4, 2]     32\n"
                                         "\n"
                                         "1 tensor shown of 1; 32 B of tensor data (PyTorch zip format, read without running its pickle)\n"));
    }
}

void TestCliTorch::json()
{
    QTemporaryDir dir;
    const QString path = writeTransposed(dir);
    const Run run = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), path});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    const QJsonObject root = test::parseJsonObject(run.out);
    QCOMPARE(root.keys(), (QStringList{QStringLiteral("format"), QStringLiteral("notes"), QStringLiteral("path"),
                                       QStringLiteral("state_dict_key"), QStringLiteral("tensors")}));
    QCOMPARE(root.value(QStringLiteral("path")).toString(), path);
    QCOMPARE(root.value(QStringLiteral("format")).toString(), QStringLiteral("PyTorch zip"));
    QCOMPARE(root.value(QStringLiteral("state_dict_key")).toString(), QString());
    QCOMPARE(root.value(QStringLiteral("notes")).toArray(), QJsonArray());
    const QJsonArray tensors = root.value(QStringLiteral("tensors")).toArray();
    QCOMPARE(tensors.size(), qsizetype(1));
    const QJsonObject w = tensors[0].toObject();
    QCOMPARE(w.value(QStringLiteral("name")).toString(), QStringLiteral("w"));
    QCOMPARE(w.value(QStringLiteral("dtype")).toString(), QStringLiteral("F32"));
    QCOMPARE(w.value(QStringLiteral("shape")).toArray(), (QJsonArray{4, 2}));
    QCOMPARE(w.value(QStringLiteral("bytes")).toInteger(), qint64(32));
}

// --stats reads the transposed tensor's elements: the mean of 0..7 whatever the order.
void TestCliTorch::stats()
{
    QTemporaryDir dir;
    const QString path = writeTransposed(dir);
    const Run run = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), QStringLiteral("--stats"), path});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    const QJsonObject s = test::parseJsonObject(run.out).value(QStringLiteral("tensors")).toArray()[0].toObject().value(QStringLiteral("stats")).toObject();
    QCOMPARE(s.value(QStringLiteral("min")).toDouble(), 0.0);
    QCOMPARE(s.value(QStringLiteral("max")).toDouble(), 7.0);
    QCOMPARE(s.value(QStringLiteral("mean")).toDouble(), 3.5);
    QCOMPARE(s.value(QStringLiteral("zeros")).toInteger(), qint64(1));
}

void TestCliTorch::hostile_data()
{
    QTest::addColumn<QByteArray>("module");
    QTest::addColumn<QByteArray>("name");
    QTest::newRow("posix.system") << QByteArray("posix") << QByteArray("system");
    QTest::newRow("subprocess.call") << QByteArray("subprocess") << QByteArray("call");
}

void TestCliTorch::hostile()
{
    QFETCH(QByteArray, module);
    QFETCH(QByteArray, name);
    QTemporaryDir dir;
    const QString marker = dir.filePath(QStringLiteral("pwned"));
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("evil.pt")),
                                          test::torchZip(test::torchCallingPickle(module, name, "touch " + QFile::encodeName(marker)), {}));
    const Run run = runCli({QStringLiteral("inspect"), path});
    QCOMPARE(run.exitCode, 1);
    QCOMPARE(run.out, QString());
    QCOMPARE(run.err, QStringLiteral("%1: refusing to load: the pickle calls %2.%3, which a checkpoint of plain tensors does not need (nothing in the file was run)\n")
                              .arg(path, QString::fromLatin1(module), QString::fromLatin1(name)));
    QVERIFY2(!QFileInfo::exists(marker), "the hostile pickle's command ran");
}

void TestCliTorch::errors_data()
{
    QTest::addColumn<QStringList>("arguments"); // {PATH} stands for a small checkpoint
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("err");
    QTest::newRow("missing --key") << QStringList{QStringLiteral("--key"), QStringLiteral("model"), QStringLiteral("{PATH}")} << 1
                                   << QStringLiteral("{PATH}: --key model: no key model at this level\n");
    QTest::newRow("--key on a tensor") << QStringList{QStringLiteral("--key"), QStringLiteral("w"), QStringLiteral("{PATH}")} << 1
                                       << QStringLiteral("{PATH}: --key w: w is a tensor, not a dict\n");
    QTest::newRow("--key on safetensors") << QStringList{QStringLiteral("--key"), QStringLiteral("model"), QStringLiteral("x.safetensors")} << 2
                                          << QStringLiteral("inspect: --key applies to PyTorch checkpoints only\n");
    QTest::newRow("not a checkpoint") << QStringList{QStringLiteral("{DIR}/text.bin")} << 1
                                      << QStringLiteral("{DIR}/text.bin: not a PyTorch checkpoint (neither a zip archive nor the legacy pickle format)\n");
}

void TestCliTorch::errors()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, err);
    QTemporaryDir dir;
    const QString path = writeTransposed(dir);
    test::writeBytes(dir.filePath(QStringLiteral("text.bin")), "just some text");
    const auto expand = [&](QString s) { return s.replace(QStringLiteral("{PATH}"), path).replace(QStringLiteral("{DIR}"), dir.path()); };
    QStringList args{QStringLiteral("inspect")};
    for (const QString &a : arguments)
        args << expand(a);
    const Run run = runCli(args);
    QCOMPARE(run.err, expand(err));
    QCOMPARE(run.exitCode, exitCode);
}

void TestCliTorch::corpusTrainingCheckpoint()
{
    const QString corpus = test::corpusDir();
    if (corpus.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set: set it to ../shared/corpus to run the PyTorch corpus tests");
    const QString path = QDir(corpus).filePath(QStringLiteral("pytorch/training_checkpoint.pt"));
    const Run run = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), path});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    const QJsonObject root = test::parseJsonObject(run.out);
    QCOMPARE(root.value(QStringLiteral("state_dict_key")).toString(), QStringLiteral("model"));
    QCOMPARE(root.value(QStringLiteral("tensors")).toArray().size(), qsizetype(5));
    QCOMPARE(root.value(QStringLiteral("notes")).toArray(),
             (QJsonArray{QStringLiteral("the state dict is under 'model'"),
                         QStringLiteral("ignored beside it: epoch (int), optimizer (dict), config (dict)")}));
    // The table says the same in words.
    const Run table = runCli({QStringLiteral("inspect"), path});
    QCOMPARE(table.exitCode, 0);
    QVERIFY2(table.out.endsWith(QStringLiteral("Notes:\n  the state dict is under 'model'\n  ignored beside it: epoch (int), optimizer (dict), config (dict)\n")),
             qPrintable(table.out));
}

void TestCliTorch::corpusShardSet()
{
    const QString corpus = test::corpusDir();
    if (corpus.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set: set it to ../shared/corpus to run the PyTorch corpus tests");
    const Run run = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), QStringLiteral("--filter"), QStringLiteral("*.bias"),
                            QDir(corpus).filePath(QStringLiteral("pytorch/sharded/pytorch_model.bin.index.json"))});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    const QJsonObject root = test::parseJsonObject(run.out);
    QCOMPARE(root.value(QStringLiteral("format")).toString(), QStringLiteral("PyTorch shard set"));
    QStringList names;
    for (const auto &t : root.value(QStringLiteral("tensors")).toArray())
        names << t.toObject().value(QStringLiteral("name")).toString();
    QCOMPARE(names, (QStringList{QStringLiteral("1.bias"), QStringLiteral("2.bias")}));
}

QTEST_GUILESS_MAIN(TestCliTorch)
#include "tst_cli_torch.moc"
