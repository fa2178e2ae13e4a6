// Shard sets: a `*.safetensors.index.json` and the shards it names, opened as one model
// through the index or its folder. Every inconsistency between index and shards is an error
// that names the index and the tensor or shard concerned.

#include "safetensorsfile.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "shardindex.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

using namespace tantra;

namespace {

// The shards every row can use: A holds a (8 bytes) and b (4), B holds c (16); C holds a
// second "a" and e (4), for the row about a tensor in two shards; Z is truncated.
// D and L are symbolic links: D to a file that does not exist, L to itself.
void writeShard(const QString &folder, const QString &name)
{
    const QString path = QDir(folder).path() + QLatin1Char('/') + name;
    if (name == QLatin1String("D.safetensors") || name == QLatin1String("L.safetensors")) {
        if (!QFile::link(name == QLatin1String("D.safetensors") ? QStringLiteral("gone.safetensors") : name, path))
            qFatal("cannot create the link %s", qPrintable(path));
        return;
    }
    if (name == QLatin1String("Z.safetensors")) {
        test::writeBytes(path, test::safetensorsBytes(R"({"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", "xy"));
        return;
    }
    static const QByteArray a = test::randomBytes(8, 1), b = test::randomBytes(4, 2), c = test::randomBytes(16, 3),
                            e = test::randomBytes(4, 5);
    std::vector<TensorWrite> tensors;
    if (name == QLatin1String("A.safetensors") || name == QLatin1String(":A.safetensors"))
        tensors = {{"a", Dtype::F32, {2}, test::bytesOf(a)}, {"b", Dtype::F32, {1}, test::bytesOf(b)}};
    else if (name == QLatin1String("B.safetensors"))
        tensors = {{"c", Dtype::F32, {2, 2}, test::bytesOf(c)}};
    else if (name == QLatin1String("C.safetensors"))
        tensors = {{"a", Dtype::F32, {2}, test::bytesOf(a)}, {"e", Dtype::F32, {1}, test::bytesOf(e)}};
    const Status status = writeSafetensors(path, tensors, {{"shard", name.toStdString()}});
    if (!status)
        qFatal("%s", qPrintable(status.errorString()));
}

const QByteArray kGoodMap = R"("a": "A.safetensors", "b": "A.safetensors", "c": "B.safetensors")";

QByteArray indexWith(const QByteArray &map, const QByteArray &metadata = R"({"total_size": 28})")
{
    return "{\n  \"metadata\": " + metadata + ",\n  \"weight_map\": {" + map + "}\n}\n";
}

QString expand(QString message, const QString &index, const QString &folder)
{
    return message.replace(QStringLiteral("%I"), index).replace(QStringLiteral("%D"), folder);
}

} // namespace

class TestShards : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void openViaIndexAndFolder();
    void shardErrors_data();
    void shardErrors();
    void totalSizeCountsTensorBytes_data();
    void totalSizeCountsTensorBytes();
    void folderErrors_data();
    void folderErrors();
    void folderWithOneFile();
    void namesStartingWithAColon();
};

void TestShards::openViaIndexAndFolder()
{
    QTemporaryDir dir;
    writeShard(dir.path(), QStringLiteral("A.safetensors"));
    writeShard(dir.path(), QStringLiteral("B.safetensors"));
    const QString index = test::writeBytes(dir.filePath(QStringLiteral("model.safetensors.index.json")),
                                           indexWith(kGoodMap, R"({"total_size": 28, "format": "pt", "n": [1, 2]})"));

    for (const QString &path : {index, dir.path()}) {
        const auto model = SafetensorsModel::open(path);
        QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));
        QCOMPARE(model->path(), path);
        QVERIFY(model->isSharded());
        QCOMPARE(model->indexPath(), index);
        QCOMPARE(model->shards().size(), std::size_t(2));
        QCOMPARE(model->shards()[0]->path(), dir.filePath(QStringLiteral("A.safetensors")));
        QCOMPARE(model->shards()[1]->path(), dir.filePath(QStringLiteral("B.safetensors")));
        // The index's metadata, every value as text (non-strings as their JSON).
        QCOMPARE(model->metadata(), (Metadata{{"total_size", "28"}, {"format", "pt"}, {"n", "[1, 2]"}}));
        QCOMPARE(model->tensorBytes(), std::uint64_t(28));
        QCOMPARE(model->fileBytes(), std::uint64_t(QFileInfo(model->shards()[0]->path()).size()
                                                   + QFileInfo(model->shards()[1]->path()).size()));

        // Shard by shard, each in data order (the writer puts a before b: same dtype, by name).
        QCOMPARE(model->tensors().size(), std::size_t(3));
        const char *names[] = {"a", "b", "c"};
        const int shards[] = {0, 0, 1};
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(model->tensors()[std::size_t(i)].info->name, std::string(names[i]));
            QCOMPARE(model->tensors()[std::size_t(i)].shard, shards[i]);
            const ModelTensor *found = model->find(names[i]);
            QCOMPARE(found, &model->tensors()[std::size_t(i)]);
        }
        QVERIFY(!model->find("d"));
        const ModelTensor *c = model->find("c");
        QCOMPARE(model->shardOf(*c).path(), dir.filePath(QStringLiteral("B.safetensors")));
        QCOMPARE(c->info->shape, (std::vector<std::uint64_t>{2, 2}));
        const auto bytes = model->data(*c);
        const QByteArray expected = test::randomBytes(16, 3);
        QCOMPARE(bytes.size(), std::size_t(16));
        QVERIFY(std::memcmp(bytes.data(), expected.constData(), 16) == 0);
    }
}

void TestShards::shardErrors_data()
{
    QTest::addColumn<QStringList>("shards");
    QTest::addColumn<QByteArray>("index");
    QTest::addColumn<QString>("message"); // %I: the index's path, %D: its folder

    const QStringList ab{QStringLiteral("A.safetensors"), QStringLiteral("B.safetensors")};

    QTest::newRow("missing shard") << ab << indexWith(kGoodMap + R"(, "d": "D.safetensors")")
                                   << "%I: shard 'D.safetensors' is missing (expected at %D/D.safetensors)";
    QTest::newRow("tensor absent from its shard")
            << ab << indexWith(kGoodMap + R"(, "x": "B.safetensors")")
            << "%I: tensor 'x' is mapped to shard 'B.safetensors', which does not hold it";
    QTest::newRow("tensor mapped to the wrong shard")
            << ab << indexWith(R"("a": "A.safetensors", "b": "B.safetensors", "c": "B.safetensors")")
            << "%I: tensor 'b' is mapped to shard 'B.safetensors', which does not hold it (it is in 'A.safetensors')";
    QTest::newRow("tensor in two shards")
            << (QStringList(ab) << QStringLiteral("C.safetensors")) << indexWith(kGoodMap + R"(, "e": "C.safetensors")")
            << "%I: tensor 'a' is in two shards, 'A.safetensors' and 'C.safetensors'";
    QTest::newRow("shard holds an unlisted tensor")
            << ab << indexWith(R"("a": "A.safetensors", "c": "B.safetensors")")
            << "%I: shard 'A.safetensors' holds tensor 'b', which the index does not list";
    QTest::newRow("total_size disagrees") << ab << indexWith(kGoodMap, R"({"total_size": 100})")
                                          << "%I: metadata.total_size says 100 bytes, but the shards' tensors hold 28 bytes";
    QTest::newRow("invalid shard") << (QStringList(ab) << QStringLiteral("Z.safetensors"))
                                   << indexWith(kGoodMap + R"(, "z": "Z.safetensors")")
                                   << "%D/Z.safetensors: the tensors need 4 bytes of data but the file holds only 2 "
                                      "after the header (is it truncated?)";

    // The index itself.
    QTest::newRow("index is not JSON") << ab << QByteArray(R"({"weight_map": {"a": "A.safetensors",}})")
                                       << "%I: line 1, column 38: trailing comma before '}'";
    QTest::newRow("index is empty") << ab << QByteArray() << "%I: the index is not a JSON object";
    QTest::newRow("index is an array") << ab << QByteArray("[]") << "%I: the index is not a JSON object";
    QTest::newRow("index not UTF-8") << ab << QByteArray("{\"weight_map\": {\"\xff\": \"A.safetensors\"}}")
                                     << "%I: the index is not valid UTF-8 (at byte 17)";
    QTest::newRow("trailing bytes") << ab << QByteArray(R"({"weight_map": {}} x)")
                                    << "%I: unexpected bytes after the JSON object";
    QTest::newRow("no weight_map") << ab << QByteArray(R"({"metadata": {"total_size": 28}})")
                                   << "%I: the index has no 'weight_map'";
    QTest::newRow("weight_map not an object") << ab << QByteArray(R"({"weight_map": ["A.safetensors"]})")
                                              << "%I: 'weight_map' must be an object mapping tensor names to shard files";
    QTest::newRow("weight_map twice") << ab << QByteArray(R"({"weight_map": {}, "weight_map": {}})")
                                      << "%I: 'weight_map' appears twice";
    QTest::newRow("metadata twice") << ab << QByteArray(R"({"metadata": {}, "metadata": null, "weight_map": {}})")
                                    << "%I: 'metadata' appears twice";
    QTest::newRow("metadata key twice") << ab << indexWith(kGoodMap, R"({"k": "1", "k": "2"})")
                                        << "%I: 'metadata' has the key 'k' twice";
    QTest::newRow("tensor listed twice") << ab << indexWith(kGoodMap + R"(, "a": "A.safetensors")")
                                         << "%I: weight_map lists tensor 'a' twice";
    QTest::newRow("shard is not a string") << ab << indexWith(R"("a": 1)")
                                           << "%I: weight_map: the shard of tensor 'a' must be a file name";
    QTest::newRow("shard in a parent folder")
            << ab << indexWith(R"("a": "../A.safetensors")")
            << "%I: weight_map: tensor 'a' names the shard '../A.safetensors', which is not a plain file name next to the index";
    QTest::newRow("shard by absolute path")
            << ab << indexWith(R"("a": "/etc/passwd")")
            << "%I: weight_map: tensor 'a' names the shard '/etc/passwd', which is not a plain file name next to the index";
    QTest::newRow("shard is the folder") << ab << indexWith(R"("a": "..")")
                                         << "%I: weight_map: tensor 'a' names the shard '..', which is not a plain file name "
                                            "next to the index";
    // Qt reads a path starting with ':' as a resource: the shard was looked for there.
    QTest::newRow("missing shard named ':…'") << ab << indexWith(kGoodMap + R"(, "d": ":D.safetensors")")
                                              << "%I: shard ':D.safetensors' is missing (expected at %D/:D.safetensors)";
    // A link is there even when what it names is not.
    QTest::newRow("shard is a dangling link") << (QStringList(ab) << QStringLiteral("D.safetensors"))
                                              << indexWith(kGoodMap + R"(, "d": "D.safetensors")")
                                              << "%I: shard 'D.safetensors' is a symbolic link to no file "
                                                 "(%D/D.safetensors -> %D/gone.safetensors)";
    QTest::newRow("shard is a link to itself") << (QStringList(ab) << QStringLiteral("L.safetensors"))
                                               << indexWith(kGoodMap + R"(, "d": "L.safetensors")")
                                               << "%I: shard 'L.safetensors' is a symbolic link to no file "
                                                  "(%D/L.safetensors -> %D/L.safetensors)";
    QTest::newRow("total_size negative") << ab << indexWith(kGoodMap, R"({"total_size": -28})")
                                         << "%I: metadata.total_size must be a non-negative whole number";
    QTest::newRow("total_size fraction") << ab << indexWith(kGoodMap, R"({"total_size": 28.5})")
                                         << "%I: metadata.total_size must be a non-negative whole number";
    QTest::newRow("total_size a string") << ab << indexWith(kGoodMap, R"({"total_size": "28"})")
                                         << "%I: metadata.total_size must be a number";
}

void TestShards::shardErrors()
{
    QFETCH(QStringList, shards);
    QFETCH(QByteArray, index);
    QFETCH(QString, message);

    QTemporaryDir dir;
    for (const QString &shard : shards)
        writeShard(dir.path(), shard);
    const QString indexPath = test::writeBytes(dir.filePath(QStringLiteral("model.safetensors.index.json")), index);

    // Through the index and through the folder: the same message, naming the index.
    QCOMPARE(test::errorOf(SafetensorsModel::open(indexPath)), expand(message, indexPath, dir.path()));
    QCOMPARE(test::errorOf(SafetensorsModel::open(dir.path())), expand(message, indexPath, dir.path()));
}

void TestShards::totalSizeCountsTensorBytes_data()
{
    QTest::addColumn<QByteArray>("metadata");
    QTest::addColumn<bool>("valid");
    QTest::newRow("tensor bytes") << QByteArray(R"({"total_size": 28})") << true;
    QTest::newRow("tensor bytes as a float") << QByteArray(R"({"total_size": 28.0})") << true;
    QTest::newRow("no total_size") << QByteArray(R"({"format": "pt"})") << true;
    QTest::newRow("metadata null") << QByteArray("null") << true;
    QTest::newRow("file sizes") << QByteArray() << false; // filled in from the shards' sizes
}

void TestShards::totalSizeCountsTensorBytes()
{
    QFETCH(QByteArray, metadata);
    QFETCH(bool, valid);

    QTemporaryDir dir;
    writeShard(dir.path(), QStringLiteral("A.safetensors"));
    writeShard(dir.path(), QStringLiteral("B.safetensors"));
    const qint64 fileBytes = QFileInfo(dir.filePath(QStringLiteral("A.safetensors"))).size()
            + QFileInfo(dir.filePath(QStringLiteral("B.safetensors"))).size();
    if (metadata.isEmpty())
        metadata = "{\"total_size\": " + QByteArray::number(fileBytes) + "}";
    const QString index = test::writeBytes(dir.filePath(QStringLiteral("m.safetensors.index.json")), indexWith(kGoodMap, metadata));
    const auto model = SafetensorsModel::open(index);
    if (valid) {
        QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));
        QCOMPARE(model->tensorBytes(), std::uint64_t(28));
    } else {
        QCOMPARE(test::errorOf(model), index + QStringLiteral(": metadata.total_size says %1 bytes, but the shards' tensors hold 28 bytes")
                                                       .arg(fileBytes));
    }
}

void TestShards::folderErrors_data()
{
    QTest::addColumn<QStringList>("files");
    QTest::addColumn<QString>("open"); // relative to the folder
    QTest::addColumn<QString>("message");

    QTest::newRow("no such path") << QStringList() << QStringLiteral("nope") << "%D/nope: no such file or folder";
    QTest::newRow("empty folder") << QStringList() << QString()
                                  << "%D: the folder holds no *.safetensors.index.json and no .safetensors file";
    QTest::newRow("two files, no index") << QStringList{QStringLiteral("A.safetensors"), QStringLiteral("B.safetensors")}
                                         << QString()
                                         << "%D: the folder holds no *.safetensors.index.json and 2 .safetensors files; "
                                            "open one of them";
    QTest::newRow("two indexes")
            << QStringList{QStringLiteral("A.safetensors"), QStringLiteral("x.safetensors.index.json"),
                           QStringLiteral("y.safetensors.index.json")}
            << QString()
            << "%D: the folder holds several shard indexes (x.safetensors.index.json, y.safetensors.index.json); open one of them";
}

void TestShards::folderErrors()
{
    QFETCH(QStringList, files);
    QFETCH(QString, open);
    QFETCH(QString, message);

    QTemporaryDir dir;
    for (const QString &f : files) {
        if (f.endsWith(QLatin1String(".json")))
            test::writeBytes(dir.filePath(f), indexWith(R"("a": "A.safetensors", "b": "A.safetensors")", R"({})"));
        else
            writeShard(dir.path(), f);
    }
    const QString path = open.isEmpty() ? dir.path() : dir.filePath(open);
    QCOMPARE(test::errorOf(SafetensorsModel::open(path)), expand(message, QString(), dir.path()));
}

void TestShards::folderWithOneFile()
{
    // A folder with one .safetensors and no index is that file, not a shard set.
    QTemporaryDir dir;
    writeShard(dir.path(), QStringLiteral("A.safetensors"));
    const auto model = SafetensorsModel::open(dir.path());
    QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));
    QVERIFY(!model->isSharded());
    QCOMPARE(model->path(), dir.path());
    QCOMPARE(model->tensors().size(), std::size_t(2));
    QCOMPARE(model->metadata(), (Metadata{{"shard", "A.safetensors"}}));
    QCOMPARE(model->shards().front()->path(), dir.filePath(QStringLiteral("A.safetensors")));
}

void TestShards::namesStartingWithAColon()
{
    // ":name" is a Qt resource path to QDir::filePath and QFileInfo; here it is a plain file
    // next to the index, as to any other program.
    QTemporaryDir dir;
    writeShard(dir.path(), QStringLiteral(":A.safetensors"));
    writeShard(dir.path(), QStringLiteral("B.safetensors"));
    const QString index = test::writeBytes(dir.path() + QStringLiteral("/:model.safetensors.index.json"),
                                           indexWith(R"("a": ":A.safetensors", "b": ":A.safetensors", "c": "B.safetensors")"));
    const QString before = QDir::currentPath();
    // Run from the folder above, where the old lookup would have gone.
    QVERIFY(QDir::setCurrent(QFileInfo(dir.path()).path()));
    const auto model = SafetensorsModel::open(dir.path());
    QDir::setCurrent(before);
    QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));
    QCOMPARE(model->indexPath(), index);
    QCOMPARE(model->shards().size(), std::size_t(2));
    QCOMPARE(model->shards()[0]->path(), dir.path() + QStringLiteral("/:A.safetensors"));

    // A folder holding one such file.
    QTemporaryDir single;
    writeShard(single.path(), QStringLiteral(":A.safetensors"));
    const auto file = SafetensorsModel::open(single.path());
    QVERIFY2(file.ok(), qPrintable(test::errorOf(file)));
    QCOMPARE(file->shards().front()->path(), single.path() + QStringLiteral("/:A.safetensors"));
}

QTEST_GUILESS_MAIN(TestShards)
#include "tst_shards.moc"
