// PyTorch checkpoints converted to safetensors and imported: every corpus checkpoint written
// out and read back through the safetensors reader against EXPECTED.json (dtype, shape,
// SHA-256 of the bytes), views materialized contiguous, the streamed writer's own errors and
// cancel, and imports: the registry's source, hostile files refused with the workspace left
// exactly as it was and the pickle's command never run.

#include "jobcontext.h"
#include "safetensorsfile.h"
#include "safetensorswriter.h"
#include "testutil.h"
#include "torchcheckpoint.h"
#include "torchconversion.h"
#include "weightmanager.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace tantra;

namespace {

QString metadataValue(const SafetensorsFile &file, const char *key)
{
    for (const auto &[k, v] : file.metadata())
        if (k == key)
            return QString::fromStdString(v);
    return QStringLiteral("<absent>");
}

QByteArray tensorBytes(const SafetensorsFile &file, const TensorInfo &t)
{
    const auto data = file.data(t);
    return QByteArray(reinterpret_cast<const char *>(data.data()), qsizetype(data.size()));
}

// A hostile checkpoint whose pickle calls module.name("touch <marker>"), zip or legacy format.
QString writeHostile(const QString &path, const QByteArray &module, const QByteArray &name, const QString &marker, bool legacy)
{
    const QByteArray pickle = test::torchCallingPickle(module, name, "touch " + QFile::encodeName(marker));
    if (!legacy)
        return test::writeBytes(path, test::torchZip(pickle, {}));
    // Magic number, protocol 1001, empty system info, the object pickle, no storage keys.
    return test::writeBytes(path, QByteArray("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15) + QByteArray("\x80\x02M\xe9\x03.", 6)
                                          + QByteArray("\x80\x02}.", 4) + pickle + QByteArray("\x80\x02].", 4));
}

} // namespace

class TestTorchConversion : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void corpus_data();
    void corpus();
    void views_data();
    void views();
    void noTensors();
    void streamedWriterErrors_data();
    void streamedWriterErrors();
    void cancelLeavesNothing();
    void names_data();
    void names();
    void importCorpus_data();
    void importCorpus();
    void importTakenVersionConvertsNothing();
    void hostileImportLeavesWorkspace_data();
    void hostileImportLeavesWorkspace();
};

void TestTorchConversion::corpus_data()
{
    const QString dir = test::corpusDir();
    if (dir.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set: set it to ../shared/corpus (the folder with pytorch/EXPECTED.json) to run the PyTorch corpus tests");
    test::addTorchCorpusRows(dir);
}

// Converted, then read back by the safetensors reader (not the converter's own view of it).
void TestTorchConversion::corpus()
{
    QFETCH(QString, file);
    const QString dir = test::corpusDir();
    const QJsonObject entry = test::torchCorpusExpected(dir).value(file).toObject();
    const QString path = QDir(dir).filePath(QStringLiteral("pytorch/") + file);
    QTemporaryDir tmp;
    const QString out = tmp.filePath(QStringLiteral("out.safetensors"));
    const auto read = readTorchCheckpoint(path);
    if (entry.value(QStringLiteral("expect")).toString() == QLatin1String("refused")) {
        const QString why = entry.value(QStringLiteral("why")).toString();
        const auto match = QRegularExpression(QStringLiteral("(?:calls|class) ([\\w.]+)")).match(why);
        QVERIFY2(match.hasMatch(), qPrintable(why));
        QVERIFY2(test::errorOf(read).startsWith(path + QStringLiteral(": refusing to load: the pickle calls ") + match.captured(1)),
                 qPrintable(test::errorOf(read)));
        return;
    }
    QVERIFY2(read.ok(), qPrintable(test::errorOf(read)));
    JobContext job;
    const auto converted = convertTorchCheckpoint(*read, out, &job);
    QVERIFY2(converted.ok(), qPrintable(test::errorOf(converted)));
    QCOMPARE(converted->output, out);
    QCOMPARE(job.done(), read->tensorBytes());
    QCOMPARE(job.total(), read->tensorBytes());

    const auto opened = SafetensorsFile::open(out);
    QVERIFY2(opened.ok(), qPrintable(test::errorOf(opened)));
    const SafetensorsFile &st = **opened;
    const QJsonObject tensors = entry.value(QStringLiteral("tensors")).toObject();
    QCOMPARE(qsizetype(st.tensors().size()), tensors.size());
    for (const TensorInfo &t : st.tensors()) {
        const QString name = QString::fromStdString(t.name);
        QVERIFY2(tensors.contains(name), qPrintable(name));
        const QJsonObject want = tensors.value(name).toObject();
        QCOMPARE(QString::fromLatin1(dtypeName(t.dtype)), want.value(QStringLiteral("dtype")).toString());
        QJsonArray shape;
        for (auto d : t.shape)
            shape.append(qint64(d));
        QCOMPARE(shape, want.value(QStringLiteral("shape")).toArray());
        QCOMPARE(QString::fromLatin1(QCryptographicHash::hash(tensorBytes(st, t), QCryptographicHash::Sha256).toHex()),
                 want.value(QStringLiteral("sha256")).toString());
    }
    QCOMPARE(metadataValue(st, "format"), QStringLiteral("pt"));
    QCOMPARE(metadataValue(st, "converted_from"), QFileInfo(path).fileName());
    QCOMPARE(metadataValue(st, "state_dict_key"), read->stateDictKey().isEmpty() ? QStringLiteral("<absent>") : read->stateDictKey());
}

void TestTorchConversion::views_data()
{
    QTest::addColumn<std::int64_t>("offset");
    QTest::addColumn<std::vector<std::int64_t>>("shape");
    QTest::addColumn<std::vector<std::int64_t>>("stride");
    QTest::addColumn<std::vector<float>>("expected");
    // Storage 0..7 in every row.
    QTest::newRow("contiguous") << std::int64_t(0) << std::vector<std::int64_t>{2, 4} << std::vector<std::int64_t>{4, 1}
                                << std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7};
    QTest::newRow("offset view") << std::int64_t(2) << std::vector<std::int64_t>{3} << std::vector<std::int64_t>{1}
                                 << std::vector<float>{2, 3, 4};
    QTest::newRow("transposed") << std::int64_t(0) << std::vector<std::int64_t>{4, 2} << std::vector<std::int64_t>{1, 4}
                                << std::vector<float>{0, 4, 1, 5, 2, 6, 3, 7};
    QTest::newRow("step slice") << std::int64_t(1) << std::vector<std::int64_t>{2, 2} << std::vector<std::int64_t>{4, 2}
                                << std::vector<float>{1, 3, 5, 7};
    QTest::newRow("0-dim") << std::int64_t(5) << std::vector<std::int64_t>{} << std::vector<std::int64_t>{} << std::vector<float>{5};
    QTest::newRow("empty") << std::int64_t(0) << std::vector<std::int64_t>{0, 3} << std::vector<std::int64_t>{3, 1} << std::vector<float>{};
}

void TestTorchConversion::views()
{
    QFETCH(std::int64_t, offset);
    QFETCH(std::vector<std::int64_t>, shape);
    QFETCH(std::vector<std::int64_t>, stride);
    QFETCH(std::vector<float>, expected);
    QTemporaryDir tmp;
    const QString path = test::writeBytes(tmp.filePath(QStringLiteral("view.pt")),
                                          test::torchZip(test::torchTensorDictPickle(8, offset, shape, stride), test::floatBytes({0, 1, 2, 3, 4, 5, 6, 7})));
    const auto read = readTorchCheckpoint(path);
    QVERIFY2(read.ok(), qPrintable(test::errorOf(read)));
    const QString out = tmp.filePath(QStringLiteral("view.safetensors"));
    const auto converted = convertTorchCheckpoint(*read, out);
    QVERIFY2(converted.ok(), qPrintable(test::errorOf(converted)));
    const auto opened = SafetensorsFile::open(out);
    QVERIFY2(opened.ok(), qPrintable(test::errorOf(opened)));
    const TensorInfo *w = (*opened)->find("w");
    QVERIFY(w);
    std::vector<std::uint64_t> wantShape(shape.begin(), shape.end());
    QCOMPARE(w->shape, wantShape);
    QByteArray want;
    for (float v : expected)
        want.append(reinterpret_cast<const char *>(&v), sizeof v);
    QCOMPARE(tensorBytes(**opened, *w), want);
}

// A dict with no tensors says what it holds and how to pick the state dict; nothing is written.
void TestTorchConversion::noTensors()
{
    QTemporaryDir tmp;
    const QString path = test::writeBytes(tmp.filePath(QStringLiteral("empty.pt")), test::torchZip(QByteArray("\x80\x02}(", 4) + test::pickle::str("epoch") + test::pickle::integer(3) + "u.", {}));
    const auto read = readTorchCheckpoint(path);
    QVERIFY2(read.ok(), qPrintable(test::errorOf(read)));
    const QString out = tmp.filePath(QStringLiteral("out.safetensors"));
    QCOMPARE(test::errorOf(convertTorchCheckpoint(*read, out)),
             path + QStringLiteral(": holds no tensors to convert (not tensors, ignored: epoch (int))"));
    QVERIFY(!QFileInfo::exists(out));
}

void TestTorchConversion::streamedWriterErrors_data()
{
    QTest::addColumn<int>("give"); // bytes the producer gives for a tensor that needs 8
    QTest::addColumn<bool>("failRead");
    QTest::addColumn<bool>("copy"); // as a copied range (of at least 8 bytes) of a file holding `give` bytes
    QTest::addColumn<QString>("error"); // {OUT} stands for the output path, {SRC} for the copied file
    QTest::newRow("too few") << 4 << false << false << QStringLiteral("{OUT}: tensor 'b': shape and dtype need 8 bytes, but 4 were given");
    QTest::newRow("too many") << 12 << false << false << QStringLiteral("{OUT}: tensor 'b': more than the 8 bytes its shape and dtype need were given");
    QTest::newRow("read error") << 8 << true << false << QStringLiteral("source.bin: the file ends inside tensor b");
    QTest::newRow("copied range past the file's end") << 4 << false << true
                                                      << QStringLiteral("{SRC}: the file ends inside tensor 'b' (was it truncated?)");
    QTest::newRow("copied range too long") << 12 << false << true
                                           << QStringLiteral("{OUT}: tensor 'b': more than the 8 bytes its shape and dtype need were given");
}

// The file stays absent whatever the producer does wrong, and the message says who was wrong.
void TestTorchConversion::streamedWriterErrors()
{
    QFETCH(int, give);
    QFETCH(bool, failRead);
    QFETCH(bool, copy);
    QFETCH(QString, error);
    QTemporaryDir tmp;
    QTemporaryDir sourceDir;
    const QString out = tmp.filePath(QStringLiteral("out.safetensors"));
    const QString src = test::writeBytes(sourceDir.filePath(QStringLiteral("src.bin")), QByteArray(give, '\x02'));
    QFile source(src);
    QVERIFY(source.open(QIODevice::ReadOnly));
    const std::vector<TensorSpec> specs{{"a", Dtype::F32, {2}}, {"b", Dtype::F32, {2}}};
    const QByteArray bytes(16, '\x01');
    const auto produce = [&](std::size_t index, const TensorSink &sink) -> Status {
        if (index == 0)
            return sink(test::bytesOf(bytes.left(8)));
        if (failRead)
            return makeError(QStringLiteral("source.bin"), QStringLiteral("the file ends inside tensor b"));
        if (copy)
            return sink.copyRange(source.handle(), src, 0, std::uint64_t(std::max(give, 8))); // 8 of a 4-byte file: past its end
        return sink(test::bytesOf(bytes.left(give)));
    };
    QCOMPARE(test::errorOf(writeSafetensorsStreamed(out, specs, {}, produce)),
             QString(error).replace(QStringLiteral("{OUT}"), out).replace(QStringLiteral("{SRC}"), src));
    QVERIFY(!QFileInfo::exists(out));
    QCOMPARE(QDir(tmp.path()).entryList(QDir::Files | QDir::Hidden), QStringList());
}

void TestTorchConversion::cancelLeavesNothing()
{
    QTemporaryDir tmp;
    const QString path = test::writeBytes(tmp.filePath(QStringLiteral("m.pt")),
                                          test::torchZip(test::torchTensorDictPickle(8, 0, {8}, {1}), test::floatBytes({0, 1, 2, 3, 4, 5, 6, 7})));
    const auto read = readTorchCheckpoint(path);
    QVERIFY2(read.ok(), qPrintable(test::errorOf(read)));
    const QString out = tmp.filePath(QStringLiteral("m.safetensors"));
    JobContext job;
    job.cancel();
    QCOMPARE(test::errorOf(convertTorchCheckpoint(*read, out, &job)), out + QStringLiteral(": cancelled; nothing was written"));
    QVERIFY(!QFileInfo::exists(out));
}

void TestTorchConversion::names_data()
{
    QTest::addColumn<QString>("checkpoint");
    QTest::addColumn<QString>("safetensors");
    QTest::addColumn<QString>("note");
    QTest::newRow("bin") << QStringLiteral("/x/pytorch_model.bin") << QStringLiteral("pytorch_model.safetensors")
                         << QStringLiteral("converted from PyTorch checkpoint pytorch_model.bin");
    QTest::newRow("index") << QStringLiteral("/x/pytorch_model.bin.index.json") << QStringLiteral("pytorch_model.safetensors")
                           << QStringLiteral("converted from PyTorch checkpoint pytorch_model.bin.index.json");
    QTest::newRow("pt") << QStringLiteral("model.pt") << QStringLiteral("model.safetensors") << QStringLiteral("converted from PyTorch checkpoint model.pt");
    QTest::newRow("only a suffix") << QStringLiteral(".pth") << QStringLiteral(".pth.safetensors") << QStringLiteral("converted from PyTorch checkpoint .pth");
}

void TestTorchConversion::names()
{
    QFETCH(QString, checkpoint);
    QFETCH(QString, safetensors);
    QFETCH(QString, note);
    QCOMPARE(safetensorsNameFor(checkpoint), safetensors);
    QCOMPARE(torchSourceNote(checkpoint), note);
}

void TestTorchConversion::importCorpus_data()
{
    const QString dir = test::corpusDir();
    if (dir.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set: set it to ../shared/corpus to run the PyTorch corpus tests");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("key");
    QTest::newRow("pytorch_model.bin") << QStringLiteral("pytorch_model.bin") << QString();
    QTest::newRow("shard set") << QStringLiteral("sharded/pytorch_model.bin.index.json") << QString();
    QTest::newRow("training checkpoint --key model") << QStringLiteral("training_checkpoint.pt") << QStringLiteral("model");
}

// Imported as a new type made from its tensors: the registry says where it came from, and the
// registered file holds EXPECTED's tensors with their bytes.
void TestTorchConversion::importCorpus()
{
    QFETCH(QString, file);
    QFETCH(QString, key);
    const QJsonObject expected = test::torchCorpusExpected(test::corpusDir()).value(file).toObject().value(QStringLiteral("tensors")).toObject();
    QVERIFY(!expected.isEmpty());
    QTemporaryDir root;
    test::makeWorkspace(root.path());
    WeightManager m{Workspace(root.path())};
    ImportRequest request;
    request.source = QDir(test::corpusDir()).filePath(QStringLiteral("pytorch/") + file);
    request.modelType = QStringLiteral("torchy");
    request.version = QStringLiteral("v1");
    request.createType = true;
    request.torchKey = key;
    const auto entry = m.importWeight(request);
    QVERIFY2(entry.ok(), qPrintable(test::errorOf(entry)));
    QCOMPARE(entry->name, QStringLiteral("torchy_v1"));
    QCOMPARE(entry->source, QStringLiteral("converted from PyTorch checkpoint ") + QFileInfo(request.source).fileName());
    QCOMPARE(entry->validation.status, ValidationStatus::Passed);
    const auto opened = SafetensorsFile::open(m.workspace().absolutePath(entry->path));
    QVERIFY2(opened.ok(), qPrintable(test::errorOf(opened)));
    QCOMPARE(qsizetype((*opened)->tensors().size()), expected.size());
    for (const TensorInfo &t : (*opened)->tensors())
        QCOMPARE(QString::fromLatin1(QCryptographicHash::hash(tensorBytes(**opened, t), QCryptographicHash::Sha256).toHex()),
                 expected.value(QString::fromStdString(t.name)).toObject().value(QStringLiteral("sha256")).toString());
    // The scratch folder is gone; the checkpoint is where it was.
    QCOMPARE(QDir(root.filePath(QStringLiteral("Model"))).entryList({QStringLiteral(".derived-*")}, QDir::Dirs | QDir::Hidden), QStringList());
    QVERIFY(QFileInfo::exists(request.source));
    const auto snapshot = m.snapshot();
    QVERIFY(snapshot.ok());
    QVERIFY(snapshot->find(QStringLiteral("torchy_v1")));
}

// A version already registered is refused before the conversion runs: no scratch file is made.
void TestTorchConversion::importTakenVersionConvertsNothing()
{
    QTemporaryDir root;
    test::makeWorkspace(root.path());
    WeightManager m{Workspace(root.path())};
    const auto snapshot = m.snapshot();
    QVERIFY(snapshot.ok() && !snapshot->weights.empty());
    const WeightEntry taken = snapshot->weights.begin()->second;
    QTemporaryDir tmp;
    ImportRequest request;
    request.source = test::writeBytes(tmp.filePath(QStringLiteral("m.pt")),
                                      test::torchZip(test::torchTensorDictPickle(8, 0, {8}, {1}), test::floatBytes({0, 1, 2, 3, 4, 5, 6, 7})));
    request.modelType = taken.modelType;
    request.version = taken.version;
    const auto before = test::treeSnapshot(root.path());
    const auto refused = m.importWeight(request);
    QVERIFY2(test::errorOf(refused).contains(QStringLiteral("'%1' is already registered").arg(taken.name)), qPrintable(test::errorOf(refused)));
    QCOMPARE(refused.error().remedy, Remedy::ChooseAnotherVersion);
    const auto after = test::treeSnapshot(root.path());
    QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
}

void TestTorchConversion::hostileImportLeavesWorkspace_data()
{
    QTest::addColumn<QString>("corpusFile"); // empty: generated
    QTest::addColumn<QByteArray>("module");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<bool>("legacy");
    QTest::newRow("zip posix.system") << QString() << QByteArray("posix") << QByteArray("system") << false;
    QTest::newRow("zip subprocess.run") << QString() << QByteArray("subprocess") << QByteArray("run") << false;
    QTest::newRow("legacy posix.system") << QString() << QByteArray("posix") << QByteArray("system") << true;
    if (!test::corpusDir().isEmpty()) {
        QTest::newRow("corpus runs_code.pt") << QStringLiteral("runs_code.pt") << QByteArray("posix") << QByteArray("system") << false;
        QTest::newRow("corpus unknown_class.pt") << QStringLiteral("unknown_class.pt") << QByteArray("my_training_lib.callbacks")
                                                 << QByteArray("Custom") << false;
    }
}

// Refused with the file and the global named; every file of the workspace (registry, configs,
// weights, hidden scratch) as it was, also with createType, and the marker the command would
// have made is absent.
void TestTorchConversion::hostileImportLeavesWorkspace()
{
    QFETCH(QString, corpusFile);
    QFETCH(QByteArray, module);
    QFETCH(QByteArray, name);
    QFETCH(bool, legacy);
    QTemporaryDir root;
    test::makeWorkspace(root.path());
    QTemporaryDir tmp;
    const QString marker = tmp.filePath(QStringLiteral("pwned"));
    const QString path = corpusFile.isEmpty() ? writeHostile(tmp.filePath(QStringLiteral("evil.bin")), module, name, marker, legacy)
                                              : QDir(test::corpusDir()).filePath(QStringLiteral("pytorch/") + corpusFile);
    WeightManager m{Workspace(root.path())};
    const auto before = test::treeSnapshot(root.path());
    for (bool createType : {false, true}) {
        ImportRequest request;
        request.source = path;
        request.modelType = QStringLiteral("evil");
        request.version = QStringLiteral("v1");
        request.createType = createType;
        const auto refused = m.importWeight(request);
        QVERIFY2(test::errorOf(refused).startsWith(QStringLiteral("%1: refusing to load: the pickle calls %2.%3")
                                                           .arg(path, QString::fromLatin1(module), QString::fromLatin1(name))),
                 qPrintable(test::errorOf(refused)));
        const auto after = test::treeSnapshot(root.path());
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
    }
    QVERIFY2(!QFileInfo::exists(marker), "the hostile pickle's command ran");
}

QTEST_GUILESS_MAIN(TestTorchConversion)
#include "tst_torchconversion.moc"
