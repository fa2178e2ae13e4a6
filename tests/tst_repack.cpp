// reshard and mergeIntoFile: Hugging Face naming and index checked field by field, shard sizes,
// a tensor larger than the limit alone in its shard, the single -> shards -> single round trip
// byte-identical, metadata carried over, the size parser, and the CLI's reshard.
#include "repack.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "testutil.h"

#include <QDir>
#include <QFileInfo>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <cstring>
#include <map>

using namespace tantra;

class TestRepack : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void shardsLikeTransformers();
    void roundTripIsByteIdentical();
    void refusesAFolderWithWeights();
    void fullDiskLeavesNoShards();
    void fullDiskLeavesTheOldMergedFile();
    void parseSizes_data();
    void parseSizes();
    void cliReshard();

private:
    QTemporaryDir m_dir;
    QString m_single;
    std::vector<QByteArray> m_data;
};

void TestRepack::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // 10 tensors of 400 bytes and one of 3000 (larger than the 1 KB shards below).
    std::vector<TensorWrite> tensors;
    for (int i = 0; i < 10; ++i)
        m_data.push_back(test::randomBytes(400, std::uint32_t(i + 1)));
    m_data.push_back(test::randomBytes(3000, 99));
    for (int i = 0; i < 10; ++i)
        tensors.push_back({QStringLiteral("layers.%1.w").arg(i).toStdString(), Dtype::F32, {100}, test::bytesOf(m_data[std::size_t(i)])});
    tensors.push_back({"big", Dtype::U8, {3000}, test::bytesOf(m_data.back())});
    m_single = m_dir.filePath(QStringLiteral("single.safetensors"));
    QVERIFY(writeSafetensors(m_single, tensors, {{"format", "pt"}, {"note", "kept"}}).ok());
}

void TestRepack::shardsLikeTransformers()
{
    auto source = SafetensorsModel::open(m_single);
    QVERIFY(source.ok());
    const QString folder = m_dir.filePath(QStringLiteral("shards"));
    const auto result = reshard(*source, folder, 1000);
    QVERIFY2(result.ok(), qPrintable(test::errorOf(result)));
    // Name order: big, layers.0 … layers.9; 400-byte tensors two to a 1000-byte shard.
    QCOMPARE(result->files.size(), 6);
    for (int i = 0; i < 6; ++i)
        QCOMPARE(QFileInfo(result->files[i]).fileName(), QStringLiteral("model-%1-of-00006.safetensors").arg(i + 1, 5, 10, QLatin1Char('0')));
    QCOMPARE(QFileInfo(result->indexPath).fileName(), QStringLiteral("model.safetensors.index.json"));
    QFile indexFile(result->indexPath);
    QVERIFY(indexFile.open(QIODevice::ReadOnly));
    const QJsonObject index = QJsonDocument::fromJson(indexFile.readAll()).object();
    QCOMPARE(index.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("total_size")).toInteger(), 4000 + 3000);
    const QJsonObject map = index.value(QStringLiteral("weight_map")).toObject();
    QCOMPARE(map.size(), 11);
    QCOMPARE(map.value(QStringLiteral("big")).toString(), QStringLiteral("model-00001-of-00006.safetensors"));
    QCOMPARE(map.value(QStringLiteral("layers.0.w")).toString(), QStringLiteral("model-00002-of-00006.safetensors"));
    QCOMPARE(map.value(QStringLiteral("layers.1.w")).toString(), QStringLiteral("model-00002-of-00006.safetensors"));
    QCOMPARE(map.value(QStringLiteral("layers.2.w")).toString(), QStringLiteral("model-00003-of-00006.safetensors"));
    QCOMPARE(map.value(QStringLiteral("layers.9.w")).toString(), QStringLiteral("model-00006-of-00006.safetensors"));
    // Each shard carries the weights' metadata; the set opens as one model with the same bytes.
    auto shard = SafetensorsModel::open(result->files[1]);
    QVERIFY(shard.ok());
    std::map<std::string, std::string> meta(shard->metadata().begin(), shard->metadata().end());
    QCOMPARE(meta["note"], std::string("kept"));
    auto set = SafetensorsModel::open(folder);
    QVERIFY2(set.ok(), qPrintable(test::errorOf(set)));
    QCOMPARE(set->tensors().size(), std::size_t(11));
    const auto *t = set->find("layers.3.w");
    QCOMPARE(QByteArray(reinterpret_cast<const char *>(set->data(*t).data()), 400), m_data[3]);
}

void TestRepack::roundTripIsByteIdentical()
{
    auto source = SafetensorsModel::open(m_single);
    const QString folder = m_dir.filePath(QStringLiteral("trip"));
    QVERIFY(reshard(*source, folder, 2500).ok());
    auto set = SafetensorsModel::open(folder);
    QVERIFY(set.ok());
    const QString merged = m_dir.filePath(QStringLiteral("merged.safetensors"));
    const auto result = mergeIntoFile(*set, merged);
    QVERIFY2(result.ok(), qPrintable(test::errorOf(result)));
    QFile a(m_single), b(merged);
    QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    QCOMPARE(b.readAll(), a.readAll());
}

void TestRepack::refusesAFolderWithWeights()
{
    auto source = SafetensorsModel::open(m_single);
    const QString folder = m_dir.filePath(QStringLiteral("busy"));
    QVERIFY(QDir().mkpath(folder));
    test::writeBytes(folder + QStringLiteral("/model.safetensors.index.json"), "{}");
    const auto result = reshard(*source, folder, 1000);
    QCOMPARE(test::errorOf(result),
             folder + QStringLiteral(": holds safetensors files already (model.safetensors.index.json); give an empty or new folder"));
    QCOMPARE(test::errorOf(reshard(*source, m_dir.filePath(QStringLiteral("zero")), 0)),
             QStringLiteral("the largest shard size must be more than 0 bytes"));
}

void TestRepack::fullDiskLeavesNoShards()
{
    // The disk fills up in the third shard: the two written before it go too.
    auto source = SafetensorsModel::open(m_single);
    QVERIFY(source.ok());
    const QString folder = m_dir.filePath(QStringLiteral("full"));
    Result<RepackResult> result = makeError(QStringLiteral("not run"));
    {
        test::FileSizeLimit limit{rlim_t(900)}; // a 1000-byte shard's header and 400 bytes fit; 800 do not
        QVERIFY(limit.ok());
        result = reshard(*source, folder, 1000);
    }
    QVERIFY(test::errorOf(result).endsWith(QStringLiteral(": write failed: ") + QString::fromLocal8Bit(std::strerror(EFBIG))));
    QCOMPARE(QDir(folder).entryList(QDir::Files | QDir::Hidden), QStringList());
}

void TestRepack::fullDiskLeavesTheOldMergedFile()
{
    auto source = SafetensorsModel::open(m_single);
    QVERIFY(source.ok());
    const QString out = m_dir.filePath(QStringLiteral("merged-full.safetensors"));
    const QByteArray before = test::randomBytes(50, 3);
    test::writeBytes(out, before);
    Result<RepackResult> result = makeError(QStringLiteral("not run"));
    {
        test::FileSizeLimit limit{rlim_t(QFileInfo(m_single).size() - 1)}; // short by the last byte
        QVERIFY(limit.ok());
        result = mergeIntoFile(*source, out);
    }
    QCOMPARE(test::errorOf(result), out + QStringLiteral(": write failed: ") + QString::fromLocal8Bit(std::strerror(EFBIG)));
    QCOMPARE(test::readFile(out), before);
}

void TestRepack::parseSizes_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qulonglong>("bytes"); // 0: not a size
    QTest::newRow("5GB") << QStringLiteral("5GB") << 5000000000ull;
    QTest::newRow("500MB") << QStringLiteral("500MB") << 500000000ull;
    QTest::newRow("200KB") << QStringLiteral("200KB") << 200000ull;
    QTest::newRow("2GiB") << QStringLiteral("2GiB") << 2147483648ull;
    QTest::newRow("1.5mib") << QStringLiteral("1.5mib") << 1572864ull;
    QTest::newRow("bytes") << QStringLiteral("12345") << 12345ull;
    QTest::newRow("10G") << QStringLiteral("10G") << 10000000000ull;
    QTest::newRow("empty") << QString() << 0ull;
    QTest::newRow("words") << QStringLiteral("big") << 0ull;
    QTest::newRow("negative") << QStringLiteral("-5GB") << 0ull;
    QTest::newRow("zero") << QStringLiteral("0MB") << 0ull;
    QTest::newRow("i without unit") << QStringLiteral("5iB") << 0ull;
}

void TestRepack::parseSizes()
{
    QFETCH(QString, text);
    QFETCH(qulonglong, bytes);
    const auto parsed = parseByteSize(text);
    QCOMPARE(parsed.value_or(0), std::uint64_t(bytes));
}

void TestRepack::cliReshard()
{
    const QString root = m_dir.filePath(QStringLiteral("ws"));
    QCOMPARE(test::runCli({QStringLiteral("--root"), root, QStringLiteral("setup")}).exitCode, 0);
    const test::CliRun run = test::runCli({QStringLiteral("--root"), root, QStringLiteral("reshard"), QStringLiteral("mamba_sample"),
                                           QStringLiteral("--max-shard-size"), QStringLiteral("1MB"), QStringLiteral("--as"),
                                           QStringLiteral("shards")});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.out, QStringLiteral("42 tensors, 3.78 MiB, in 3 shards of at most 1MB, registered as mamba_shards\n"));
    const test::CliRun diff = test::runCli({QStringLiteral("--root"), root, QStringLiteral("diff"), QStringLiteral("mamba_sample"),
                                            QStringLiteral("mamba_shards")});
    QCOMPARE(diff.exitCode, 0);
    QCOMPARE(diff.out, QStringLiteral("42 tensors: 42 identical\n"));
    const QString merged = m_dir.filePath(QStringLiteral("cli-merged.safetensors"));
    QCOMPARE(test::runCli({QStringLiteral("--root"), root, QStringLiteral("reshard"), QStringLiteral("mamba_shards"), QStringLiteral("--single"),
                           QStringLiteral("--out"), merged})
                     .exitCode,
             0);
    QFile a(root + QStringLiteral("/Model/weights/mamba_sample.safetensors")), b(merged);
    QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    QVERIFY(a.readAll() == b.readAll());
    const test::CliRun bad = test::runCli({QStringLiteral("--root"), root, QStringLiteral("reshard"), QStringLiteral("mamba_sample"),
                                           QStringLiteral("--max-shard-size"), QStringLiteral("huge"), QStringLiteral("--out"), merged});
    QCOMPARE(bad.exitCode, 2);
    QCOMPARE(bad.err.trimmed(), QStringLiteral("reshard: --max-shard-size takes a size such as 5GB, 500MB, 200KB or 2GiB, not 'huge'"));
}

QTEST_GUILESS_MAIN(TestRepack)
#include "tst_repack.moc"
