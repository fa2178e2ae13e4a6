// PyTorch checkpoints read without running them: the real torch.save files of the corpus
// (every tensor's dtype, shape and SHA-256 of its contiguous bytes against EXPECTED.json, the
// hostile ones refused), hostile pickles that would leave a marker file if anything ran, and
// hand-made malformed pickles and archives, each a clear error.

#include "pickleinterpreter.h"
#include "testutil.h"
#include "torchcheckpoint.h"

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

#include <cstring>

using namespace tantra;

namespace {

using namespace tantra::test::pickle;
using test::floatBytes;
using test::torchCallingPickle;
using test::torchTensorDictPickle;
using test::torchZip;

std::string runPickle(const QByteArray &bytes, PickleInterpreter::Limits limits = {})
{
    PickleInterpreter p(limits);
    return p.run(test::bytesOf(bytes));
}

} // namespace

class TestTorchReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void corpus_data();
    void corpus();
    void corpusTruncated_data();
    void corpusTruncated();
    void trainingCheckpointLayout();
    void keyOption();
    void hostileNeverRuns_data();
    void hostileNeverRuns();
    void malformedPickle_data();
    void malformedPickle();
    void deepNestingIsNotRecursion();
    void stridedTensors_data();
    void stridedTensors();
    void malformedArchive_data();
    void malformedArchive();
};

void TestTorchReader::corpus_data()
{
    const QString dir = test::corpusDir();
    if (dir.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set: set it to ../shared/corpus (the folder with pytorch/EXPECTED.json) to run the PyTorch corpus tests");
    test::addTorchCorpusRows(dir);
}

void TestTorchReader::corpus()
{
    QFETCH(QString, file);
    const QString dir = test::corpusDir();
    const QJsonObject entry = test::torchCorpusExpected(dir).value(file).toObject();
    const QString path = QDir(dir).filePath(QStringLiteral("pytorch/") + file);
    const auto read = readTorchCheckpoint(path);
    if (entry.value(QStringLiteral("expect")).toString() == QLatin1String("refused")) {
        QVERIFY2(!read.ok(), "a hostile checkpoint was read");
        // The global the file names, from EXPECTED's "why" ("calls posix.system", "the class x.y.Z").
        const QString why = entry.value(QStringLiteral("why")).toString();
        const auto match = QRegularExpression(QStringLiteral("(?:calls|class) ([\\w.]+)")).match(why);
        QVERIFY2(match.hasMatch(), qPrintable(why));
        const QString error = read.errorString();
        QVERIFY2(error.contains(QStringLiteral("refusing to load: the pickle calls ") + match.captured(1)), qPrintable(error));
        QVERIFY2(error.startsWith(path), qPrintable(error));
        return;
    }
    QVERIFY2(read.ok(), qPrintable(test::errorOf(read)));
    const QJsonObject tensors = entry.value(QStringLiteral("tensors")).toObject();
    QCOMPARE(qsizetype(read->tensors().size()), tensors.size());
    for (std::size_t i = 0; i < read->tensors().size(); ++i) {
        const TorchTensor &t = read->tensors()[i];
        QVERIFY2(tensors.contains(t.name), qPrintable(t.name));
        const QJsonObject want = tensors.value(t.name).toObject();
        QCOMPARE(QString::fromLatin1(dtypeName(t.dtype)), want.value(QStringLiteral("dtype")).toString());
        QJsonArray shape;
        for (auto d : t.shape)
            shape.append(qint64(d));
        QCOMPARE(shape, want.value(QStringLiteral("shape")).toArray());
        const auto bytes = read->contiguousBytes(i);
        QVERIFY2(bytes.ok(), qPrintable(test::errorOf(bytes)));
        QCOMPARE(quint64(bytes->size()), t.byteSize());
        QCOMPARE(QString::fromLatin1(QCryptographicHash::hash(*bytes, QCryptographicHash::Sha256).toHex()),
                 want.value(QStringLiteral("sha256")).toString());
    }
}

void TestTorchReader::corpusTruncated_data()
{
    const QString dir = test::corpusDir();
    if (dir.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set: the truncated copies are cut from the PyTorch corpus");
    QTest::addColumn<QString>("file");
    QTest::addColumn<double>("fraction");
    for (const char *file : {"legacy_format.pt", "state_dict.pt"})
        for (double fraction : {0.0, 0.01, 0.1, 0.5, 0.9, 0.999})
            QTest::addRow("%s at %g", file, fraction) << QString::fromLatin1(file) << fraction;
}

// A cut copy (in a temporary folder, never in the repository) is an error naming the file,
// never a crash and never a checkpoint with wrong bytes.
void TestTorchReader::corpusTruncated()
{
    QFETCH(QString, file);
    QFETCH(double, fraction);
    const QByteArray whole = test::readFile(QDir(test::corpusDir()).filePath(QStringLiteral("pytorch/") + file));
    QTemporaryDir tmp;
    const QString path = test::writeBytes(tmp.filePath(file), whole.left(qsizetype(double(whole.size()) * fraction)));
    const auto read = readTorchCheckpoint(path);
    if (read.ok()) {
        // A cut in the zip's end record can leave everything readable; what does read must be
        // the original's bytes, and what does not is an error naming the file.
        const auto original = readTorchCheckpoint(QDir(test::corpusDir()).filePath(QStringLiteral("pytorch/") + file));
        QVERIFY2(original.ok(), qPrintable(test::errorOf(original)));
        QCOMPARE(read->tensors().size(), original->tensors().size());
        for (std::size_t i = 0; i < read->tensors().size(); ++i) {
            const auto bytes = read->contiguousBytes(i);
            if (bytes.ok())
                QCOMPARE(*bytes, *original->contiguousBytes(i));
            else
                QVERIFY2(bytes.errorString().startsWith(path), qPrintable(bytes.errorString()));
        }
        return;
    }
    QVERIFY2(read.errorString().startsWith(path), qPrintable(read.errorString()));
}

void TestTorchReader::trainingCheckpointLayout()
{
    const QString dir = test::corpusDir();
    if (dir.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set");
    const auto read = readTorchCheckpoint(QDir(dir).filePath(QStringLiteral("pytorch/training_checkpoint.pt")));
    QVERIFY2(read.ok(), qPrintable(test::errorOf(read)));
    QCOMPARE(read->stateDictKey(), QStringLiteral("model"));
    const QString notes = read->notes().join(QLatin1Char('\n'));
    QVERIFY2(notes.contains(QStringLiteral("the state dict is under 'model'")), qPrintable(notes));
    QVERIFY2(notes.contains(QStringLiteral("optimizer (dict)")), qPrintable(notes));
}

void TestTorchReader::keyOption()
{
    const QString dir = test::corpusDir();
    if (dir.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set");
    const QString path = QDir(dir).filePath(QStringLiteral("pytorch/training_checkpoint.pt"));
    const auto model = readTorchCheckpoint(path, {QStringLiteral("model")});
    QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));
    QCOMPARE(model->tensors().size(), std::size_t(5));
    const auto missing = readTorchCheckpoint(path, {QStringLiteral("nothing.here")});
    QCOMPARE(test::errorOf(missing), path + QStringLiteral(": --key nothing.here: no key nothing at this level"));
}

void TestTorchReader::hostileNeverRuns_data()
{
    QTest::addColumn<QByteArray>("module");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<bool>("legacy");
    QTest::newRow("posix.system") << QByteArray("posix") << QByteArray("system") << false;
    QTest::newRow("os.system") << QByteArray("os") << QByteArray("system") << false;
    QTest::newRow("subprocess.getoutput") << QByteArray("subprocess") << QByteArray("getoutput") << false;
    QTest::newRow("builtins.exec") << QByteArray("builtins") << QByteArray("exec") << false;
    QTest::newRow("legacy posix.system") << QByteArray("posix") << QByteArray("system") << true;
}

// The command would create a marker file; it must not exist afterwards, and the message names
// the global the pickle reached for.
void TestTorchReader::hostileNeverRuns()
{
    QFETCH(QByteArray, module);
    QFETCH(QByteArray, name);
    QFETCH(bool, legacy);
    QTemporaryDir tmp;
    const QString marker = tmp.filePath(QStringLiteral("pwned"));
    QByteArray argument = "touch " + QFile::encodeName(marker);
    if (name == "exec")
        argument = "open('" + QFile::encodeName(marker) + "', 'w')";
    const QByteArray pickle = torchCallingPickle(module, name, argument);
    QByteArray file;
    if (legacy) {
        file = QByteArray("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15) + QByteArray("\x80\x02M\xe9\x03.", 6)
               + QByteArray("\x80\x02}.", 4) + pickle + QByteArray("\x80\x02].", 4);
    } else {
        file = torchZip(pickle, {});
    }
    const QString path = test::writeBytes(tmp.filePath(QStringLiteral("hostile.pt")), file);
    const auto read = readTorchCheckpoint(path);
    QVERIFY(!read.ok());
    QVERIFY2(read.errorString().contains(QStringLiteral("refusing to load: the pickle calls %1.%2").arg(QString::fromLatin1(module), QString::fromLatin1(name))),
             qPrintable(read.errorString()));
    QVERIFY2(!QFileInfo::exists(marker), "the hostile pickle's command ran");
}

void TestTorchReader::malformedPickle_data()
{
    QTest::addColumn<QByteArray>("pickle");
    QTest::addColumn<QString>("error");
    const auto row = [](const char *name, const QByteArray &bytes, const char *error) {
        QTest::newRow(name) << bytes << QString::fromUtf8(error);
    };
    row("empty", QByteArray(), "the pickle is malformed at byte 0: the input ends inside an opcode's argument (needs 1 bytes, 0 left)");
    row("no STOP", QByteArray("\x80\x02}", 3), "the pickle is malformed at byte 3: the input ends inside an opcode's argument (needs 1 bytes, 0 left)");
    row("truncated string", QByteArray("\x80\x02}X", 4) + le(5, 4) + "ab",
        "the pickle is malformed at byte 3: the input ends inside an opcode's argument (needs 5 bytes, 2 left)");
    row("huge BINUNICODE", QByteArray("X\xff\xff\xff\xff", 5),
        "the pickle is malformed at byte 0: the input ends inside an opcode's argument (needs 4294967295 bytes, 0 left)");
    row("huge BINUNICODE8", QByteArray("\x8d\xff\xff\xff\xff\xff\xff\xff\xff", 9),
        "the pickle is malformed at byte 0: the input ends inside an opcode's argument (needs 18446744073709551615 bytes, 0 left)");
    row("huge LONG4", QByteArray("\x8b\xff\xff\xff\x7f", 5),
        "the pickle is malformed at byte 0: the input ends inside an opcode's argument (needs 2147483647 bytes, 0 left)");
    row("unwritten memo", QByteArray("\x80\x02h\x05.", 5), "the pickle is malformed at byte 2: memo entry 5 is read before it is written");
    row("unwritten long memo", QByteArray("j\xff\xff\xff\xff.", 6), "the pickle is malformed at byte 0: memo entry 4294967295 is read before it is written");
    row("memo store on empty stack", QByteArray("q\x00.", 3), "the pickle is malformed at byte 0: a memo store with nothing on the stack");
    row("STOP on empty stack", QByteArray(".", 1), "the pickle is malformed at byte 0: an opcode takes a value from an empty stack");
    row("pop below the mark", QByteArray("N(0.", 4), "the pickle is malformed at byte 2: an opcode takes a value from an empty stack");
    row("TUPLE without MARK", QByteArray("Nt.", 3), "the pickle is malformed at byte 1: an opcode needs a MARK and there is none");
    row("deep marks", QByteArray(70000, '('), "the pickle is malformed at byte 65536: marks nest deeper than 65536");
    row("unknown opcode", QByteArray("\xff", 1), "the pickle is malformed at byte 0: opcode 0xff is not one torch.save writes");
    row("protocol 0 INT", QByteArray("I1\n.", 4), "the pickle is malformed at byte 0: opcode 0x49 is not one torch.save writes");
    row("protocol 6", QByteArray("\x80\x06N.", 4), "the pickle is malformed at byte 0: pickle protocol 6 (2 to 5 are read)");
    row("GLOBAL without newline", QByteArray("cposix", 6), "the pickle is malformed at byte 0: a GLOBAL's name is not a line of at most 512 bytes");
    row("STACK_GLOBAL", QByteArray("\x8c\x05posix\x8c\x06system\x93.", 16),
        "refusing to load: the pickle calls posix.system, which a checkpoint of plain tensors does not need (nothing in the file was run)");
    row("INST", QByteArray("(iposix\nsystem\n.", 16),
        "refusing to load: the pickle calls posix.system (INST), which a checkpoint of plain tensors does not need (nothing in the file was run)");
    row("REDUCE on an int", QByteArray("K\x01)R.", 5), "the pickle is malformed at byte 3: REDUCE calls a int, which is not callable");
    row("calling a storage type", global("torch", "FloatStorage") + ")R.",
        "the pickle is malformed at byte 21: the pickle calls torch.FloatStorage, which is a type here, not a function");
    row("SETITEM on a list", QByteArray("]K\x01K\x02s.", 7), "the pickle is malformed at byte 5: SETITEM on something that is not a dict");
    row("SETITEMS odd", QByteArray("}(K\x01u.", 6),
        "the pickle is malformed at byte 4: SETITEMS on something that is not a dict, or with an odd number of values");
    row("BUILD on an int", QByteArray("K\x01}b.", 5), "the pickle is malformed at byte 3: BUILD on a int");
    row("persistent id not a storage", QByteArray("(X\x06\x00\x00\x00moduletQ.", 15),
        "the pickle is malformed at byte 13: a persistent id of kind 'module' (only storages are read)");
    row("tensor past its storage", torchTensorDictPickle(4, 0, {2, 3}, {3, 1}),
        "the pickle is malformed at byte 155: a tensor reaches element 5 of storage '0', which has 4");
    row("tensor offset past its storage", torchTensorDictPickle(4, 4, {1}, {1}),
        "the pickle is malformed at byte 145: a tensor reaches element 4 of storage '0', which has 4");
    row("tensor size overflow", torchTensorDictPickle(4, 0, {std::int64_t(1) << 62, 8}, {8, 1}),
        "the pickle is malformed at byte 160: the tensor's size and stride overflow");
    row("negative size", torchTensorDictPickle(4, 0, {-1}, {1}),
        "the pickle is malformed at byte 150: the tensor's size has a negative entry");
    row("size and stride differ", torchTensorDictPickle(4, 0, {2, 2}, {1}),
        "the pickle is malformed at byte 150: the tensor's size and stride have different lengths");
}

void TestTorchReader::malformedPickle()
{
    QFETCH(QByteArray, pickle);
    QFETCH(QString, error);
    QCOMPARE(QString::fromStdString(runPickle(pickle)), error);
}

// A million nested lists: no recursion anywhere, so no stack overflow, and the limits hold.
void TestTorchReader::deepNestingIsNotRecursion()
{
    const int depth = 1'000'000;
    QByteArray nested = QByteArray(depth, ']') + QByteArray(depth - 1, 'a') + '.';
    QCOMPARE(runPickle(nested), std::string());
    PickleInterpreter::Limits small;
    small.maxObjects = 1000;
    QCOMPARE(QString::fromStdString(runPickle(nested, small)), QStringLiteral("the pickle is malformed at byte 999: more than 1000 objects"));
    small = {};
    small.maxStack = 1000;
    QCOMPARE(QString::fromStdString(runPickle(nested, small)),
             QStringLiteral("the pickle is malformed at byte 1000: the stack grows past 1000 entries"));
    small = {};
    small.maxMemo = 2;
    QCOMPARE(QString::fromStdString(runPickle(QByteArray("N\x94\x94\x94.", 5), small)),
             QStringLiteral("the pickle is malformed at byte 3: the memo grows past 2 entries"));
}

void TestTorchReader::stridedTensors_data()
{
    QTest::addColumn<std::int64_t>("offset");
    QTest::addColumn<std::vector<std::int64_t>>("shape");
    QTest::addColumn<std::vector<std::int64_t>>("stride");
    QTest::addColumn<QByteArray>("bytes");
    // Storage: 0 1 2 3 4 5 6 7 (float32).
    QTest::newRow("whole") << std::int64_t(0) << std::vector<std::int64_t>{2, 4} << std::vector<std::int64_t>{4, 1}
                           << floatBytes({0, 1, 2, 3, 4, 5, 6, 7});
    QTest::newRow("transposed") << std::int64_t(0) << std::vector<std::int64_t>{4, 2} << std::vector<std::int64_t>{1, 4}
                                << floatBytes({0, 4, 1, 5, 2, 6, 3, 7});
    QTest::newRow("offset slice") << std::int64_t(5) << std::vector<std::int64_t>{3} << std::vector<std::int64_t>{1} << floatBytes({5, 6, 7});
    QTest::newRow("every other column") << std::int64_t(1) << std::vector<std::int64_t>{2, 2} << std::vector<std::int64_t>{4, 2}
                                        << floatBytes({1, 3, 5, 7});
    QTest::newRow("0-dim") << std::int64_t(6) << std::vector<std::int64_t>{} << std::vector<std::int64_t>{} << floatBytes({6});
    QTest::newRow("empty") << std::int64_t(0) << std::vector<std::int64_t>{0, 3} << std::vector<std::int64_t>{3, 1} << QByteArray();
    QTest::newRow("broadcast (stride 0)") << std::int64_t(2) << std::vector<std::int64_t>{3} << std::vector<std::int64_t>{0}
                                          << floatBytes({2, 2, 2});
}

void TestTorchReader::stridedTensors()
{
    QFETCH(std::int64_t, offset);
    QFETCH(std::vector<std::int64_t>, shape);
    QFETCH(std::vector<std::int64_t>, stride);
    QFETCH(QByteArray, bytes);
    QTemporaryDir tmp;
    const QString path = test::writeBytes(tmp.filePath(QStringLiteral("w.pt")),
                                          torchZip(torchTensorDictPickle(8, offset, shape, stride), floatBytes({0, 1, 2, 3, 4, 5, 6, 7})));
    const auto read = readTorchCheckpoint(path);
    QVERIFY2(read.ok(), qPrintable(test::errorOf(read)));
    QCOMPARE(read->tensors().size(), std::size_t(1));
    const auto got = read->contiguousBytes(0);
    QVERIFY2(got.ok(), qPrintable(test::errorOf(got)));
    QCOMPARE(*got, bytes);
}

void TestTorchReader::malformedArchive_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QString>("error");
    const QByteArray pickle = torchTensorDictPickle(8, 0, {8}, {1});
    QTest::newRow("not a checkpoint") << QByteArray("hello, world") << QStringLiteral("not a PyTorch checkpoint (neither a zip archive nor the legacy pickle format)");
    QTest::newRow("empty file") << QByteArray() << QStringLiteral("not a PyTorch checkpoint (neither a zip archive nor the legacy pickle format)");
    QTest::newRow("zip without data.pkl") << test::storedZip({{"archive/version", "3\n"}})
                                          << QStringLiteral("a zip archive without a <name>/data.pkl record; not a PyTorch checkpoint");
    QTest::newRow("missing storage record") << torchZip(pickle, {}) << QStringLiteral("storage '0' has no record archive/data/0");
    QTest::newRow("short storage record") << torchZip(pickle, floatBytes({1, 2}))
                                          << QStringLiteral("record archive/data/0 holds 8 bytes, less than its 8 elements need, or lies past the end of the file");
    QTest::newRow("data.pkl size lies") << test::storedZip({{"archive/data.pkl", pickle, pickle.size() + 100}})
                                        << QStringLiteral("archive/data.pkl is damaged (its size or checksum does not match the archive's directory)");
    QTest::newRow("data.pkl checksum lies") << test::storedZip({{"archive/data.pkl", pickle, -1, 1234}})
                                            << QStringLiteral("archive/data.pkl is damaged (its size or checksum does not match the archive's directory)");
    QTest::newRow("two pickles") << test::storedZip({{"a/data.pkl", pickle}, {"b/data.pkl", pickle}})
                                 << QStringLiteral("the archive holds two pickles (a/data.pkl and b/data.pkl)");
    QTest::newRow("top level is a list") << torchZip(QByteArray("\x80\x02].", 4), {})
                                         << QStringLiteral("the checkpoint holds a list, not a dict of tensors");
    QTest::newRow("legacy bad magic") << QByteArray("\x80\x02\x8a\x02\x01\x02.", 7)
                                      << QStringLiteral("not a PyTorch checkpoint (no torch.save magic number)");
}

void TestTorchReader::malformedArchive()
{
    QFETCH(QByteArray, file);
    QFETCH(QString, error);
    QTemporaryDir tmp;
    const QString path = test::writeBytes(tmp.filePath(QStringLiteral("bad.pt")), file);
    const auto read = readTorchCheckpoint(path);
    QCOMPARE(test::errorOf(read), path + QStringLiteral(": ") + error);
}

QTEST_GUILESS_MAIN(TestTorchReader)
#include "tst_torchreader.moc"
