// `convert` and `import` of PyTorch checkpoints as a user runs them: the file written and read
// back, --dtype through the safetensors conversion, --key, --as and import registering with
// the checkpoint named as the source, hostile files refused (exit 1, the global named, nothing
// written: no output file, the workspace's every file as it was, the command not run), and
// the options that do not apply refused as usage errors.

#include "safetensorsfile.h"
#include "testutil.h"
#include "weightmanager.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace tantra;

namespace {

using Run = test::CliRun;

// A 2x4 float32 storage seen transposed as 4x2: what a torch.save of `w.t()` holds.
QString writeTransposed(const QString &path)
{
    return test::writeBytes(path, test::torchZip(test::torchTensorDictPickle(8, 0, {4, 2}, {1, 4}), test::floatBytes({0, 1, 2, 3, 4, 5, 6, 7})));
}

QString metadataValue(const SafetensorsFile &file, const char *key)
{
    for (const auto &[k, v] : file.metadata())
        if (k == key)
            return QString::fromStdString(v);
    return QStringLiteral("<absent>");
}

QByteArray tensorBytes(const SafetensorsFile &file, const char *name)
{
    const TensorInfo *t = file.find(name);
    if (!t)
        return "<absent>";
    const auto data = file.data(*t);
    return QByteArray(reinterpret_cast<const char *>(data.data()), qsizetype(data.size()));
}

} // namespace

class TestCliTorchConvert : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void convertToFile();
    void convertWithDtype();
    void convertKeyJson();
    void convertAsVersion();
    void importRegisters();
    void hostile_data();
    void hostile();
    void usage_data();
    void usage();
};

void TestCliTorchConvert::initTestCase()
{
    QVERIFY2(!test::cliPath().isEmpty() && QFileInfo(test::cliPath()).isExecutable(),
             "the CLI was not found: run through ctest, which sets TANTRA_CLI");
}

void TestCliTorchConvert::convertToFile()
{
    QTemporaryDir dir;
    const QString path = writeTransposed(dir.filePath(QStringLiteral("model.pt")));
    const QString out = dir.filePath(QStringLiteral("model.safetensors"));
    const Run run = test::runCli({QStringLiteral("convert"), path, QStringLiteral("--out"), out});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.out, QStringLiteral("1 tensor (32 B) converted from PyTorch checkpoint %1, written to %2\n").arg(path, out));
    const auto opened = SafetensorsFile::open(out);
    QVERIFY2(opened.ok(), qPrintable(test::errorOf(opened)));
    QCOMPARE(tensorBytes(**opened, "w"), test::floatBytes({0, 4, 1, 5, 2, 6, 3, 7}));
    QCOMPARE((*opened)->find("w")->shape, (std::vector<std::uint64_t>{4, 2}));
    QCOMPARE(metadataValue(**opened, "converted_from"), QStringLiteral("model.pt"));
    QCOMPARE(metadataValue(**opened, "format"), QStringLiteral("pt"));
    // Only the output beside the checkpoint: no scratch left over.
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
             (QStringList{QStringLiteral("model.pt"), QStringLiteral("model.safetensors")}));
}

// --dtype goes through the safetensors conversion: its report, its metadata, the scratch gone.
void TestCliTorchConvert::convertWithDtype()
{
    QTemporaryDir dir;
    const QString path = writeTransposed(dir.filePath(QStringLiteral("model.bin")));
    const QString out = dir.filePath(QStringLiteral("half.safetensors"));
    const Run run = test::runCli({QStringLiteral("convert"), path, QStringLiteral("--out"), out, QStringLiteral("--dtype"), QStringLiteral("f16"),
                                  QStringLiteral("--json")});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    const QJsonObject root = test::parseJsonObject(run.out);
    QCOMPARE(root.value(QStringLiteral("source")).toString(), path);
    QCOMPARE(root.value(QStringLiteral("output")).toString(), out);
    QCOMPARE(root.value(QStringLiteral("dtype")).toString(), QStringLiteral("f16"));
    QCOMPARE(root.value(QStringLiteral("bytes_after")).toInteger(), qint64(16));
    const auto opened = SafetensorsFile::open(out);
    QVERIFY2(opened.ok(), qPrintable(test::errorOf(opened)));
    QCOMPARE((*opened)->find("w")->dtype, Dtype::F16);
    // 0, 4, 1, 5, 2, 6, 3, 7 as IEEE half: exact, so the bytes are known.
    QCOMPARE(tensorBytes(**opened, "w"), QByteArray::fromHex("00000044003c00450040004600420047"));
    QCOMPARE(metadataValue(**opened, "converted_from"), QStringLiteral("model.bin"));
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
             (QStringList{QStringLiteral("half.safetensors"), QStringLiteral("model.bin")}));
}

void TestCliTorchConvert::convertKeyJson()
{
    const QString corpus = test::corpusDir();
    if (corpus.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set: set it to ../shared/corpus to run the PyTorch corpus tests");
    QTemporaryDir dir;
    const QString path = QDir(corpus).filePath(QStringLiteral("pytorch/training_checkpoint.pt"));
    const QString out = dir.filePath(QStringLiteral("m.safetensors"));
    const Run run = test::runCli({QStringLiteral("convert"), QStringLiteral("--key"), QStringLiteral("model"), QStringLiteral("--json"), path,
                                  QStringLiteral("--out"), out});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    const QJsonObject root = test::parseJsonObject(run.out);
    QCOMPARE(root.value(QStringLiteral("state_dict_key")).toString(), QStringLiteral("model"));
    QCOMPARE(root.value(QStringLiteral("tensors")).toInteger(), qint64(5));
    QVERIFY(root.value(QStringLiteral("registered_as")).isNull());
    const auto opened = SafetensorsFile::open(out);
    QVERIFY2(opened.ok(), qPrintable(test::errorOf(opened)));
    QCOMPARE((*opened)->tensors().size(), std::size_t(5));
    QCOMPARE(metadataValue(**opened, "state_dict_key"), QStringLiteral("model"));

    // A key holding no tensors: told so, nothing written.
    const QString none = dir.filePath(QStringLiteral("none.safetensors"));
    const Run empty = test::runCli({QStringLiteral("convert"), QStringLiteral("--key"), QStringLiteral("config"), path, QStringLiteral("--out"), none});
    QCOMPARE(empty.exitCode, 1);
    QVERIFY2(empty.err.startsWith(path + QStringLiteral(": holds no tensors to convert")), qPrintable(empty.err));
    QVERIFY(!QFileInfo::exists(none));
}

void TestCliTorchConvert::convertAsVersion()
{
    QTemporaryDir root;
    test::makeWorkspace(root.path());
    QTemporaryDir dir;
    const QString path = writeTransposed(dir.filePath(QStringLiteral("model.pt")));
    // No shipped type fits a 4x2 "w": made one first from a conversion of it.
    const Run made = test::runCli({QStringLiteral("import"), path, QStringLiteral("--type"), QStringLiteral("tiny"), QStringLiteral("--new-type"),
                                   QStringLiteral("--version"), QStringLiteral("v1")},
                                  root.path());
    QCOMPARE(made.err, QString());
    QCOMPARE(made.exitCode, 0);
    const Run run = test::runCli({QStringLiteral("convert"), path, QStringLiteral("--as"), QStringLiteral("v2"), QStringLiteral("--type"),
                                  QStringLiteral("tiny")},
                                 root.path());
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.out, QStringLiteral("1 tensor (32 B) converted from PyTorch checkpoint %1, registered as tiny_v2\n").arg(path));
    WeightManager m{Workspace(root.path())};
    const auto data = m.snapshot();
    QVERIFY(data.ok());
    const WeightEntry *entry = data->find(QStringLiteral("tiny_v2"));
    QVERIFY(entry);
    QCOMPARE(entry->source, QStringLiteral("converted from PyTorch checkpoint model.pt"));
}

void TestCliTorchConvert::importRegisters()
{
    const QString corpus = test::corpusDir();
    if (corpus.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set: set it to ../shared/corpus to run the PyTorch corpus tests");
    QTemporaryDir root;
    test::makeWorkspace(root.path());
    const QString path = QDir(corpus).filePath(QStringLiteral("pytorch/pytorch_model.bin"));
    const Run run = test::runCli({QStringLiteral("import"), path, QStringLiteral("--type"), QStringLiteral("hf"), QStringLiteral("--new-type"),
                                  QStringLiteral("--version"), QStringLiteral("v1"), QStringLiteral("--json")},
                                 root.path());
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    const QJsonObject json = test::parseJsonObject(run.out);
    QCOMPARE(json.value(QStringLiteral("name")).toString(), QStringLiteral("hf_v1"));
    WeightManager m{Workspace(root.path())};
    const auto data = m.snapshot();
    QVERIFY(data.ok());
    const WeightEntry *entry = data->find(QStringLiteral("hf_v1"));
    QVERIFY(entry);
    QCOMPARE(entry->source, QStringLiteral("converted from PyTorch checkpoint pytorch_model.bin"));
    QCOMPARE(entry->validation.status, ValidationStatus::Passed);
    QVERIFY(QFileInfo::exists(path));

    // Again under another version of the type it now has, guessed from the shape rules.
    const Run again = test::runCli({QStringLiteral("import"), path, QStringLiteral("--version"), QStringLiteral("v2")}, root.path());
    QCOMPARE(again.err, QString());
    QCOMPARE(again.exitCode, 0);
    QVERIFY2(again.out.startsWith(QStringLiteral("Imported %1 as hf_v2").arg(path)), qPrintable(again.out));
}

void TestCliTorchConvert::hostile_data()
{
    QTest::addColumn<QStringList>("arguments"); // {PATH}: the hostile file, {DIR}: a scratch folder
    QTest::newRow("convert --out") << QStringList{QStringLiteral("convert"), QStringLiteral("{PATH}"), QStringLiteral("--out"), QStringLiteral("{DIR}/x.safetensors")};
    QTest::newRow("convert --dtype") << QStringList{QStringLiteral("convert"), QStringLiteral("{PATH}"), QStringLiteral("--dtype"), QStringLiteral("bf16"),
                                                    QStringLiteral("--out"), QStringLiteral("{DIR}/x.safetensors")};
    QTest::newRow("convert --as") << QStringList{QStringLiteral("convert"), QStringLiteral("{PATH}"), QStringLiteral("--as"), QStringLiteral("v9")};
    QTest::newRow("import") << QStringList{QStringLiteral("import"), QStringLiteral("{PATH}"), QStringLiteral("--type"), QStringLiteral("mamba"),
                                           QStringLiteral("--version"), QStringLiteral("v9")};
    QTest::newRow("import --new-type") << QStringList{QStringLiteral("import"), QStringLiteral("{PATH}"), QStringLiteral("--type"), QStringLiteral("evil"),
                                                      QStringLiteral("--new-type")};
}

// The workspace, the checkpoint's folder and the output path are compared file by file before
// and after; the command would have created a marker file.
void TestCliTorchConvert::hostile()
{
    QFETCH(QStringList, arguments);
    QTemporaryDir root;
    test::makeWorkspace(root.path());
    QTemporaryDir dir;
    QTemporaryDir markerDir;
    const QString marker = markerDir.filePath(QStringLiteral("pwned"));
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("evil.bin")),
                                          test::torchZip(test::torchCallingPickle("posix", "system", "touch " + QFile::encodeName(marker)), {}));
    QStringList args;
    for (QString a : arguments)
        args << a.replace(QStringLiteral("{PATH}"), path).replace(QStringLiteral("{DIR}"), dir.path());
    const auto workspaceBefore = test::treeSnapshot(root.path());
    const auto dirBefore = test::treeSnapshot(dir.path());
    const Run run = test::runCli(args, root.path());
    QCOMPARE(run.exitCode, 1);
    QCOMPARE(run.out, QString());
    QCOMPARE(run.err, QStringLiteral("%1: refusing to load: the pickle calls posix.system, which a checkpoint of plain tensors does not need "
                                     "(nothing in the file was run)\n")
                              .arg(path));
    const auto workspaceAfter = test::treeSnapshot(root.path());
    QVERIFY2(workspaceBefore == workspaceAfter, qPrintable(test::treeDiff(workspaceBefore, workspaceAfter)));
    const auto dirAfter = test::treeSnapshot(dir.path());
    QVERIFY2(dirBefore == dirAfter, qPrintable(test::treeDiff(dirBefore, dirAfter)));
    QVERIFY2(!QFileInfo::exists(marker), "the hostile pickle's command ran");
}

void TestCliTorchConvert::usage_data()
{
    QTest::addColumn<QStringList>("arguments"); // {PT}: a checkpoint, {ST}: a safetensors file, {DIR}: a scratch folder
    QTest::addColumn<QString>("err");
    QTest::newRow("import --move") << QStringList{QStringLiteral("import"), QStringLiteral("{PT}"), QStringLiteral("--move")}
                                   << QStringLiteral("import: --move does not apply to a PyTorch checkpoint (it is converted; the checkpoint is left as it is)\n");
    QTest::newRow("import --key on safetensors") << QStringList{QStringLiteral("import"), QStringLiteral("{ST}"), QStringLiteral("--key"), QStringLiteral("model")}
                                                 << QStringLiteral("import: --key applies to PyTorch checkpoints only\n");
    QTest::newRow("convert --key on safetensors")
            << QStringList{QStringLiteral("convert"), QStringLiteral("{ST}"), QStringLiteral("--key"), QStringLiteral("model"), QStringLiteral("--dtype"),
                           QStringLiteral("bf16"), QStringLiteral("--out"), QStringLiteral("{DIR}/o.safetensors")}
            << QStringLiteral("convert: --key applies to PyTorch checkpoints only\n");
    QTest::newRow("--include without --dtype")
            << QStringList{QStringLiteral("convert"), QStringLiteral("{PT}"), QStringLiteral("--include"), QStringLiteral("w"), QStringLiteral("--out"),
                           QStringLiteral("{DIR}/o.safetensors")}
            << QStringLiteral("convert: --include needs --dtype (a PyTorch checkpoint alone is converted to safetensors as it is)\n");
    QTest::newRow("unknown --dtype") << QStringList{QStringLiteral("convert"), QStringLiteral("{PT}"), QStringLiteral("--dtype"), QStringLiteral("f12"),
                                                    QStringLiteral("--out"), QStringLiteral("{DIR}/o.safetensors")}
                                     << QStringLiteral("convert: unknown --dtype 'f12': use bf16, f16, f32, f8_e4m3 or f8_e5m2\n");
    QTest::newRow("neither --out nor --as") << QStringList{QStringLiteral("convert"), QStringLiteral("{PT}")}
                                            << QStringLiteral("convert: give either --as VERSION (a new version in the workspace) or --out PATH (a file)\n");
    QTest::newRow("--out is the source") << QStringList{QStringLiteral("convert"), QStringLiteral("{PT}"), QStringLiteral("--out"), QStringLiteral("{PT}")}
                                         << QStringLiteral("convert: --out {PT} is the source itself; write the result elsewhere\n");
}

void TestCliTorchConvert::usage()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, err);
    QTemporaryDir root;
    test::makeWorkspace(root.path());
    QTemporaryDir dir;
    const QString pt = writeTransposed(dir.filePath(QStringLiteral("model.pt")));
    const QString st = test::writeBytes(dir.filePath(QStringLiteral("x.safetensors")),
                                        test::safetensorsBytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", QByteArray(4, '\0')));
    const auto expand = [&](QString s) {
        return s.replace(QStringLiteral("{PT}"), pt).replace(QStringLiteral("{ST}"), st).replace(QStringLiteral("{DIR}"), dir.path());
    };
    QStringList args;
    for (const QString &a : arguments)
        args << expand(a);
    const auto before = test::treeSnapshot(root.path());
    const auto dirBefore = test::treeSnapshot(dir.path());
    const Run run = test::runCli(args, root.path());
    QCOMPARE(run.err, expand(err));
    QCOMPARE(run.exitCode, 2);
    QVERIFY(before == test::treeSnapshot(root.path()));
    QVERIFY(dirBefore == test::treeSnapshot(dir.path()));
}

QTEST_GUILESS_MAIN(TestCliTorchConvert)
#include "tst_cli_torchconvert.moc"
