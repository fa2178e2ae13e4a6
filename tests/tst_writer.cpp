// The writer: what it writes reads back unchanged, its header is laid out as the reference
// lays it out, a failed or cancelled write leaves the old file alone, and a shard set opens
// as one model.

#include "jobcontext.h"
#include "safetensorsfile.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

using namespace tantra;

Q_DECLARE_METATYPE(tantra::Dtype)

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

std::uint64_t byteCount(Dtype dtype, const std::vector<std::uint64_t> &shape)
{
    std::uint64_t n = 1;
    for (auto d : shape)
        n *= d;
    return n * std::uint64_t(dtypeBits(dtype)) / 8;
}

// Owns the bytes a TensorWrite points into.
struct Fixture
{
    std::vector<QByteArray> buffers;
    std::vector<TensorWrite> tensors;

    void add(std::string name, Dtype dtype, std::vector<std::uint64_t> shape, std::uint32_t seed)
    {
        buffers.push_back(test::randomBytes(qsizetype(byteCount(dtype, shape)), seed));
        tensors.push_back(TensorWrite{std::move(name), dtype, std::move(shape), {}});
    }
    // Spans are taken last: `buffers` may reallocate while tensors are added.
    const std::vector<TensorWrite> &writes()
    {
        for (std::size_t i = 0; i < tensors.size(); ++i)
            tensors[i].data = test::bytesOf(buffers[i]);
        return tensors;
    }
};

QStringList filesIn(const QString &folder)
{
    return QDir(folder).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
}

// Root writes into read-only folders through CAP_DAC_OVERRIDE. Capabilities are per thread on
// Linux: this drops it from the calling thread's effective set for the scope (kept in the
// permitted set, so it can be raised again), which makes a read-only folder read-only.
class WithoutDacOverride
{
public:
    WithoutDacOverride()
    {
        m_ok = ::syscall(SYS_capget, &m_header, m_saved) == 0;
        if (!m_ok)
            return;
        __user_cap_data_struct lowered[2] = {m_saved[0], m_saved[1]};
        lowered[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH) | (1u << CAP_FOWNER));
        m_ok = ::syscall(SYS_capset, &m_header, lowered) == 0;
    }
    ~WithoutDacOverride()
    {
        if (m_ok)
            ::syscall(SYS_capset, &m_header, m_saved);
    }
    bool ok() const { return m_ok; }

private:
    __user_cap_header_struct m_header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct m_saved[2]{};
    bool m_ok = false;
};

} // namespace

class TestWriter : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTripEachDtype_data();
    void roundTripEachDtype();
    void roundTripAllDtypesInOneFile();
    void headerBytes();
    void emptyFile();
    void dtypeOrderAndAlignment();
    void layoutErrors_data();
    void layoutErrors();
    void overwriteReplaces();
    void cancelledWriteLeavesOriginal();
    void failedWriteLeavesOriginal_data();
    void failedWriteLeavesOriginal();
    void sizeMismatchWritesNothing();
    void unwritableFolderLeavesOriginal();
    void sparseFile();
    void shardSetRoundTrip();
};

void TestWriter::roundTripEachDtype_data()
{
    QTest::addColumn<Dtype>("dtype");
    for (int i = 0; i < kDtypeCount; ++i)
        QTest::newRow(dtypeName(Dtype(i))) << Dtype(i);
}

void TestWriter::roundTripEachDtype()
{
    QFETCH(Dtype, dtype);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("one.safetensors"));

    Fixture fx;
    // 24 elements: a whole number of bytes for 4- and 6-bit types too (12 and 18 bytes).
    fx.add("weight", dtype, {3, 8}, 1000 + std::uint32_t(dtype));
    if (dtypeBits(dtype) >= 8) // one element is a whole number of bytes only from 8 bits up
        fx.add("scalar", dtype, {}, 2000 + std::uint32_t(dtype));
    fx.add("empty", dtype, {0, 4}, 3);
    const Metadata metadata{{"format", "pt"}, {"dtype", dtypeName(dtype)}};
    const Status status = writeSafetensors(path, fx.writes(), metadata);
    QVERIFY2(status.ok(), qPrintable(test::errorOf(status)));

    const auto opened = SafetensorsFile::open(path);
    QVERIFY2(opened.ok(), qPrintable(test::errorOf(opened)));
    const SafetensorsFile &file = **opened;
    QCOMPARE(file.tensors().size(), fx.tensors.size());
    QCOMPARE(file.metadata(), (Metadata{{"dtype", dtypeName(dtype)}, {"format", "pt"}})); // keys sorted
    QCOMPARE(file.header().dataStart() % 8, std::uint64_t(0));
    for (std::size_t i = 0; i < fx.tensors.size(); ++i) {
        const TensorInfo *t = file.find(fx.tensors[i].name);
        QVERIFY2(t, fx.tensors[i].name.c_str());
        QCOMPARE(t->dtype, dtype);
        QCOMPARE(t->shape, fx.tensors[i].shape);
        const auto bytes = file.data(*t);
        QCOMPARE(bytes.size(), std::size_t(fx.buffers[i].size()));
        QVERIFY(std::memcmp(bytes.data(), fx.buffers[i].constData(), bytes.size()) == 0);
    }
}

void TestWriter::roundTripAllDtypesInOneFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("all.safetensors"));
    Fixture fx;
    // Names in reverse so that the writer's name order is not the input order.
    for (int i = 0; i < kDtypeCount; ++i)
        fx.add("t" + std::to_string(99 - i), Dtype(i), {std::uint64_t(8 * (i + 1))}, std::uint32_t(i));
    const Metadata metadata{{"quote\"back\\slash", "line\nbreak\ttab\x01 caf\xc3\xa9"}, {"empty", ""}};
    JobContext job;
    const Status status = writeSafetensors(path, fx.writes(), metadata, &job);
    QVERIFY2(status.ok(), qPrintable(test::errorOf(status)));

    std::uint64_t dataBytes = 0;
    for (const auto &b : fx.buffers)
        dataBytes += std::uint64_t(b.size());
    QCOMPARE(job.done(), dataBytes);
    QCOMPARE(job.total(), dataBytes);

    const auto opened = SafetensorsFile::open(path);
    QVERIFY2(opened.ok(), qPrintable(test::errorOf(opened)));
    const SafetensorsFile &file = **opened;
    QCOMPARE(file.metadata(), (Metadata{{"empty", ""}, {"quote\"back\\slash", "line\nbreak\ttab\x01 caf\xc3\xa9"}}));
    QCOMPARE(file.fileSize(), file.header().dataStart() + dataBytes);
    for (std::size_t i = 0; i < fx.tensors.size(); ++i) {
        const TensorInfo *t = file.find(fx.tensors[i].name);
        QVERIFY(t);
        QCOMPARE(t->dtype, fx.tensors[i].dtype);
        QCOMPARE(t->shape, fx.tensors[i].shape);
        const auto bytes = file.data(*t);
        QCOMPARE(bytes.size(), std::size_t(fx.buffers[i].size()));
        QVERIFY(std::memcmp(bytes.data(), fx.buffers[i].constData(), bytes.size()) == 0);
    }
}

void TestWriter::headerBytes()
{
    // Hand-computed: __metadata__ first, then F32 before F16, names ascending within a dtype;
    // the JSON is 194 bytes, padded with 6 spaces to 200.
    const std::vector<TensorSpec> specs{
        {"b", Dtype::F32, {2}},
        {"a", Dtype::F16, {3}},
        {"c", Dtype::F32, {1}},
    };
    const auto layout = layoutHeader(specs, {{"format", "pt"}});
    QVERIFY2(layout.ok(), qPrintable(test::errorOf(layout)));

    const QByteArray json = R"({"__metadata__":{"format":"pt"},)"
                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("c":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)"
                            R"("a":{"dtype":"F16","shape":[3],"data_offsets":[12,18]}})"
                            "      ";
    QCOMPARE(json.size(), qsizetype(200));
    QByteArray expected("\xc8\0\0\0\0\0\0\0", 8); // 200, little-endian
    expected += json;
    QCOMPARE(layout->bytes, expected);
    QCOMPARE(layout->dataSize, std::uint64_t(18));
    QCOMPARE(layout->order, (std::vector<std::size_t>{0, 2, 1}));
    QCOMPARE(layout->tensors.size(), std::size_t(3));
    QCOMPARE(layout->tensors[2].name, std::string("a"));
    QCOMPARE(layout->tensors[2].begin, std::uint64_t(12));
    QCOMPARE(layout->tensors[2].end, std::uint64_t(18));

    // The same on disk, followed by the data in layout order.
    const QByteArray b(8, 'b'), a(6, 'a'), c(4, 'c');
    const std::vector<TensorWrite> writes{{"b", Dtype::F32, {2}, test::bytesOf(b)},
                                          {"a", Dtype::F16, {3}, test::bytesOf(a)},
                                          {"c", Dtype::F32, {1}, test::bytesOf(c)}};
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("small.safetensors"));
    const Status status = writeSafetensors(path, writes, {{"format", "pt"}});
    QVERIFY2(status.ok(), qPrintable(test::errorOf(status)));
    QCOMPARE(readAll(path), expected + b + c + a);
}

void TestWriter::emptyFile()
{
    // No tensors, no metadata: "{}" padded to 8, the smallest valid file.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("empty.safetensors"));
    const Status status = writeSafetensors(path, {});
    QVERIFY2(status.ok(), qPrintable(test::errorOf(status)));
    QCOMPARE(readAll(path), QByteArray("\x08\0\0\0\0\0\0\0{}      ", 16));
    QVERIFY(SafetensorsFile::open(path).ok());
}

void TestWriter::dtypeOrderAndAlignment()
{
    // The reference orders by dtype in reverse declaration order (its derived Ord), then by
    // name. Reverse declaration order is widest first for every type of 8 bits or more, which
    // keeps each tensor aligned to its element size.
    std::vector<TensorSpec> specs;
    for (int i = 0; i < kDtypeCount; ++i) {
        specs.push_back({"y" + std::to_string(i), Dtype(i), {4, std::uint64_t(4 + i)}});
        specs.push_back({"x" + std::to_string(i), Dtype(i), {8}});
    }
    const auto layout = layoutHeader(specs, {});
    QVERIFY2(layout.ok(), qPrintable(test::errorOf(layout)));
    QCOMPARE(layout->tensors.size(), specs.size());
    QCOMPARE(layout->bytes.size() % 8, qsizetype(0));
    std::uint64_t offset = 0;
    for (std::size_t k = 0; k < layout->tensors.size(); ++k) {
        const TensorInfo &t = layout->tensors[k];
        QCOMPARE(t.begin, offset);
        offset = t.end;
        const int bits = dtypeBits(t.dtype);
        if (bits >= 8)
            QVERIFY2(t.begin % std::uint64_t(bits / 8) == 0, t.name.c_str());
        if (k == 0)
            continue;
        const TensorInfo &prev = layout->tensors[k - 1];
        QVERIFY2(prev.dtype > t.dtype || (prev.dtype == t.dtype && prev.name < t.name), t.name.c_str());
    }
    QCOMPARE(layout->tensors.front().dtype, Dtype::U64);
    QCOMPARE(layout->tensors.back().dtype, Dtype::BOOL);
    QCOMPARE(layout->dataSize, offset);
}

void TestWriter::layoutErrors_data()
{
    QTest::addColumn<QString>("name1");
    QTest::addColumn<QString>("name2");
    QTest::addColumn<int>("elements");
    QTest::addColumn<bool>("duplicateMetadata");
    QTest::addColumn<QString>("message");

    QTest::newRow("tensor name twice") << "w" << "w" << 4 << false << "tensor 'w' given twice";
    QTest::newRow("tensor called __metadata__") << "__metadata__" << "w" << 4 << false
                                                << "a tensor cannot be called '__metadata__'";
    QTest::newRow("metadata key twice") << "v" << "w" << 4 << true << "metadata key 'k' given twice";
    QTest::newRow("F4 odd element count") << "v" << "w" << 3 << false
                                          << "tensor 'v': 3 elements of F4 are not a whole number of bytes";
}

void TestWriter::layoutErrors()
{
    QFETCH(QString, name1);
    QFETCH(QString, name2);
    QFETCH(int, elements);
    QFETCH(bool, duplicateMetadata);
    QFETCH(QString, message);

    const std::vector<TensorSpec> specs{{name1.toStdString(), Dtype::F4, {std::uint64_t(elements)}},
                                        {name2.toStdString(), Dtype::F4, {4}}};
    Metadata metadata{{"k", "1"}};
    if (duplicateMetadata)
        metadata.emplace_back("k", "2");
    QCOMPARE(test::errorOf(layoutHeader(specs, metadata)), message);

    // writeSafetensors says the same, after the path, and creates nothing.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.safetensors"));
    const QByteArray bytes(2, '\0');
    const std::vector<TensorWrite> writes{{name1.toStdString(), Dtype::F4, {std::uint64_t(elements)}, test::bytesOf(bytes)},
                                          {name2.toStdString(), Dtype::F4, {4}, test::bytesOf(bytes)}};
    QCOMPARE(test::errorOf(writeSafetensors(path, writes, metadata)), path + QStringLiteral(": ") + message);
    QCOMPARE(filesIn(dir.path()), QStringList());
}

void TestWriter::overwriteReplaces()
{
    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("m.safetensors")), QByteArray("old"));
    const QByteArray bytes = test::randomBytes(16, 5);
    const Status status = writeSafetensors(path, {{"t", Dtype::F32, {4}, test::bytesOf(bytes)}});
    QVERIFY2(status.ok(), qPrintable(test::errorOf(status)));
    QVERIFY(readAll(path).endsWith(bytes));
    QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("m.safetensors")});
}

void TestWriter::cancelledWriteLeavesOriginal()
{
    QTemporaryDir dir;
    const QByteArray original = test::randomBytes(100, 1);
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("m.safetensors")), original);
    const QByteArray bytes = test::randomBytes(1 << 20, 2);
    JobContext job;
    job.cancel();
    const Status status = writeSafetensors(path, {{"t", Dtype::U8, {1 << 20}, test::bytesOf(bytes)}}, {}, &job);
    QCOMPARE(test::errorOf(status), path + QStringLiteral(": cancelled; nothing was written"));
    QCOMPARE(readAll(path), original);
    QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("m.safetensors")});
}

void TestWriter::failedWriteLeavesOriginal_data()
{
    QTest::addColumn<int>("tensorBytes");
    QTest::addColumn<int>("limit"); // RLIMIT_FSIZE; negative: that many bytes short of the file
    QTest::newRow("full in the data") << (1 << 20) << 64 * 1024;
    QTest::newRow("full in the header") << (1 << 20) << 40;
    // A small file fits in a write buffer: the failure comes only when it is flushed, which
    // QSaveFile::commit() in Qt 6.4 ignores, renaming a truncated file into place.
    QTest::newRow("small file, full at its last byte") << 100 << -1;
    QTest::newRow("large file, full at its last byte") << (1 << 20) << -1;
}

void TestWriter::failedWriteLeavesOriginal()
{
    // A disk that fills up mid-write, simulated with the file size limit (which binds root
    // too): the temporary file hits the limit, and the old file must survive untouched.
    QFETCH(int, tensorBytes);
    QFETCH(int, limit);
    QTemporaryDir dir;
    const QByteArray original = test::randomBytes(100, 1);
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("m.safetensors")), original);
    const QByteArray bytes = test::randomBytes(tensorBytes, 2);
    const std::vector<TensorWrite> tensors{{"t", Dtype::U8, {std::uint64_t(tensorBytes)}, test::bytesOf(bytes)}};
    if (limit < 0) {
        const auto layout = layoutHeader({TensorSpec{"t", Dtype::U8, {std::uint64_t(tensorBytes)}}}, {});
        QVERIFY(layout.ok());
        limit += int(layout->bytes.size()) + tensorBytes;
    }
    Status status;
    {
        test::FileSizeLimit fileSizeLimit{rlim_t(limit)};
        QVERIFY(fileSizeLimit.ok());
        status = writeSafetensors(path, tensors);
    }
    // The message says why, not "Unknown error".
    QCOMPARE(test::errorOf(status), path + QStringLiteral(": write failed: ") + QString::fromLocal8Bit(std::strerror(EFBIG)));
    QCOMPARE(readAll(path), original);
    QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("m.safetensors")});
}

void TestWriter::sizeMismatchWritesNothing()
{
    QTemporaryDir dir;
    const QByteArray original = test::randomBytes(100, 1);
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("m.safetensors")), original);
    const QByteArray tooShort(10, '\0');
    QCOMPARE(test::errorOf(writeSafetensors(path, {{"t", Dtype::F32, {4}, test::bytesOf(tooShort)}})),
             path + QStringLiteral(": tensor 't': shape and dtype need 16 bytes, but 10 were given"));
    QCOMPARE(readAll(path), original);
    QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("m.safetensors")});
}

void TestWriter::unwritableFolderLeavesOriginal()
{
    QTemporaryDir dir;
    const QByteArray original = test::randomBytes(100, 1);
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("m.safetensors")), original);
    QVERIFY(QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner));
    const QByteArray bytes(16, '\0');
    Status status;
    {
        WithoutDacOverride asPlainUser; // a no-op for a user without the capability
        QVERIFY(asPlainUser.ok() || ::geteuid() != 0);
        status = writeSafetensors(path, {{"t", Dtype::F32, {4}, test::bytesOf(bytes)}});
    }
    QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QCOMPARE(test::errorOf(status), path + QStringLiteral(": cannot write: ") + QString::fromLocal8Bit(std::strerror(EACCES)));
    QCOMPARE(readAll(path), original);
    QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("m.safetensors")});
}

void TestWriter::sparseFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("sparse.safetensors"));
    // 1 GiB of BF16 and a few F32: only the header is written.
    const std::vector<TensorSpec> specs{{"big", Dtype::BF16, {32768, 16384}}, {"small", Dtype::F32, {3}}};
    const Status status = writeSparseSafetensors(path, specs, {{"k", "v"}});
    QVERIFY2(status.ok(), qPrintable(test::errorOf(status)));
    const auto opened = SafetensorsFile::open(path);
    QVERIFY2(opened.ok(), qPrintable(test::errorOf(opened)));
    const SafetensorsFile &file = **opened;
    QCOMPARE(file.header().dataSize, std::uint64_t(32768) * 16384 * 2 + 12);
    QCOMPARE(file.fileSize(), file.header().dataStart() + file.header().dataSize);
    const auto small = file.data(*file.find("small"));
    QCOMPARE(small.size(), std::size_t(12));
    for (std::byte b : small)
        QCOMPARE(std::to_integer<int>(b), 0);
    QCOMPARE(file.metadata(), (Metadata{{"k", "v"}}));
}

void TestWriter::shardSetRoundTrip()
{
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("model"));
    Fixture fx;
    // 100-byte shards: a, b (40 + 40), then c (80), then d (300, alone, larger than a shard),
    // then e, f (4 + 0).
    fx.add("f", Dtype::F32, {0}, 6);
    fx.add("d", Dtype::U8, {300}, 4);
    fx.add("a", Dtype::F32, {10}, 1);
    fx.add("c", Dtype::F64, {10}, 3);
    fx.add("b", Dtype::I32, {10}, 2);
    fx.add("e", Dtype::BF16, {2}, 5);
    const auto set = writeShardSet(folder, QStringLiteral("model"), fx.writes(), 100, {{"format", "pt"}});
    QVERIFY2(set.ok(), qPrintable(test::errorOf(set)));
    QCOMPARE(set->indexPath, QDir(folder).filePath(QStringLiteral("model.safetensors.index.json")));
    const QStringList names{QStringLiteral("model-00001-of-00004.safetensors"), QStringLiteral("model-00002-of-00004.safetensors"),
                            QStringLiteral("model-00003-of-00004.safetensors"), QStringLiteral("model-00004-of-00004.safetensors")};
    QStringList expectedPaths;
    for (const auto &n : names)
        expectedPaths << QDir(folder).filePath(n);
    QCOMPARE(set->shardPaths, expectedPaths);
    QCOMPARE(filesIn(folder), QStringList(names) << QStringLiteral("model.safetensors.index.json"));

    // The index: total_size counts tensor bytes, and maps each tensor to its shard.
    const QJsonObject index = QJsonDocument::fromJson(readAll(set->indexPath)).object();
    QCOMPARE(index.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("total_size")).toInteger(), qint64(464));
    const QJsonObject map = index.value(QStringLiteral("weight_map")).toObject();
    const std::map<QString, QString> expectedShard{{QStringLiteral("a"), names[0]}, {QStringLiteral("b"), names[0]},
                                                   {QStringLiteral("c"), names[1]}, {QStringLiteral("d"), names[2]},
                                                   {QStringLiteral("e"), names[3]}, {QStringLiteral("f"), names[3]}};
    QCOMPARE(map.size(), qsizetype(expectedShard.size()));
    for (const auto &[tensor, shard] : expectedShard)
        QCOMPARE(map.value(tensor).toString(), shard);

    // Opened through the index and through the folder: one model with every tensor intact.
    for (const QString &path : {set->indexPath, folder}) {
        const auto model = SafetensorsModel::open(path);
        QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));
        QVERIFY(model->isSharded());
        QCOMPARE(model->path(), path);
        QCOMPARE(model->indexPath(), set->indexPath);
        QCOMPARE(model->shards().size(), std::size_t(4));
        QCOMPARE(model->tensors().size(), fx.tensors.size());
        QCOMPARE(model->tensorBytes(), std::uint64_t(464));
        for (std::size_t i = 0; i < fx.tensors.size(); ++i) {
            const ModelTensor *t = model->find(fx.tensors[i].name);
            QVERIFY(t);
            QCOMPARE(QFileInfo(model->shardOf(*t).path()).fileName(), expectedShard.at(QString::fromStdString(t->info->name)));
            QCOMPARE(t->info->dtype, fx.tensors[i].dtype);
            QCOMPARE(t->info->shape, fx.tensors[i].shape);
            const auto bytes = model->data(*t);
            QCOMPARE(bytes.size(), std::size_t(fx.buffers[i].size()));
            QVERIFY(std::memcmp(bytes.data(), fx.buffers[i].constData(), bytes.size()) == 0);
            // Each shard carries the metadata given.
            QCOMPARE(model->shardOf(*t).metadata(), (Metadata{{"format", "pt"}}));
        }
    }
}

QTEST_GUILESS_MAIN(TestWriter)
#include "tst_writer.moc"
