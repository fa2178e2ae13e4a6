// StreamReader: chunks cut on element boundaries whatever the region's offset in the file,
// errors naming the file when it is truncated after opening, cancellation; and the passes
// routed through it (statistics, SHA-256) giving what the in-memory versions give.

#include "jobcontext.h"
#include "safetensorsfile.h"
#include "sha256.h"
#include "streamreader.h"
#include "tensorstats.h"
#include "testutil.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

#include <bit>
#include <cstring>

using namespace tantra;

Q_DECLARE_METATYPE(tantra::Dtype)

namespace {

constexpr qsizetype kChunk = qsizetype(StreamReader::kChunkBytes);

QByteArray gathered(const StreamReader &reader, std::size_t unit, std::vector<std::size_t> &chunkSizes, JobContext *job,
                     std::vector<std::uintptr_t> *chunkAddresses = nullptr)
{
    QByteArray all;
    const auto status = reader.readAll(unit, job, [&](std::span<const std::byte> chunk) {
        chunkSizes.push_back(chunk.size());
        if (chunkAddresses)
            chunkAddresses->push_back(reinterpret_cast<std::uintptr_t>(chunk.data()));
        all.append(reinterpret_cast<const char *>(chunk.data()), qsizetype(chunk.size()));
        return true;
    });
    if (!status)
        return "<error> " + status.errorString().toUtf8();
    return all;
}

// Bit for bit, NaN included.
bool sameDouble(double a, double b)
{
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

QString statsDiff(const TensorStats &a, const TensorStats &b)
{
    if (a.values != b.values || a.finite != b.finite || a.nan != b.nan || a.posInf != b.posInf || a.negInf != b.negInf
        || a.zeros != b.zeros)
        return QStringLiteral("counts differ");
    if (!sameDouble(a.min, b.min) || !sameDouble(a.max, b.max))
        return QStringLiteral("min/max differ");
    if (!sameDouble(a.mean, b.mean) || !sameDouble(a.std, b.std))
        return QStringLiteral("mean %1/%2 or std %3/%4 differ").arg(a.mean, 0, 'g', 17).arg(b.mean, 0, 'g', 17).arg(a.std, 0, 'g', 17).arg(b.std, 0, 'g', 17);
    if (a.histogram != b.histogram || a.histogramExact != b.histogramExact)
        return QStringLiteral("histograms differ");
    return {};
}

} // namespace

class TestStreamReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void chunks_data();
    void chunks();
    void truncatedAfterOpen();
    void truncatedDuringChecksum();
    void truncatedTensorStats();
    void cancelled();
    void statsMatchMemory_data();
    void statsMatchMemory();
};

void TestStreamReader::chunks_data()
{
    QTest::addColumn<qsizetype>("offset");
    QTest::addColumn<qsizetype>("length");
    QTest::addColumn<int>("unit");
    QTest::newRow("empty region") << qsizetype(5) << qsizetype(0) << 4;
    QTest::newRow("one byte at offset 1") << qsizetype(1) << qsizetype(1) << 1;
    QTest::newRow("a chunk less one, offset 3, f32") << qsizetype(3) << kChunk - 1 << 4;
    QTest::newRow("exactly one chunk, offset 4097, f32") << qsizetype(4097) << kChunk << 4;
    QTest::newRow("a chunk and a byte, offset 7, bf16") << qsizetype(7) << kChunk + 1 << 2;
    QTest::newRow("3 chunks + 5, offset 13, packed 6-bit groups") << qsizetype(13) << 3 * kChunk + 5 << 6;
    QTest::newRow("2 chunks + 24, offset 8, f64") << qsizetype(8) << 2 * kChunk + 24 << 8;
    QTest::newRow("unit larger than a chunk") << qsizetype(1) << 3 * kChunk << int(kChunk + 3);
    // Data starting 16 bytes before a page boundary: the case the buffer placement is for.
    QTest::newRow("2 chunks + 2, offset 4080, bf16") << qsizetype(4080) << 2 * kChunk + 2 << 2;
    QTest::newRow("2 chunks, offset 8191, f32") << qsizetype(8191) << 2 * kChunk << 4;
}

void TestStreamReader::chunks()
{
    QFETCH(qsizetype, offset);
    QFETCH(qsizetype, length);
    QFETCH(int, unit);
    QTemporaryDir dir;
    const QByteArray bytes = test::randomBytes(offset + length + 11, 5);
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("f.bin")), bytes);
    auto file = StreamReader::open(path);
    QVERIFY2(file.ok(), qPrintable(test::errorOf(file)));
    QCOMPARE(file->size(), std::uint64_t(bytes.size()));
    const StreamReader region = file->slice(std::uint64_t(offset), std::uint64_t(length));
    QCOMPARE(region.size(), std::uint64_t(length));

    JobContext job;
    std::vector<std::size_t> sizes;
    std::vector<std::uintptr_t> addresses;
    const QByteArray read = gathered(region, std::size_t(unit), sizes, &job, &addresses);
    QCOMPARE(read.size(), length);
    QVERIFY(read == bytes.mid(offset, length));
    QCOMPARE(job.done(), std::uint64_t(length));
    // Every chunk but the last ends on an element boundary counted from the region's start.
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
        QCOMPARE(sizes[i] % std::size_t(unit), std::size_t(0));
        QVERIFY(sizes[i] <= std::max<std::size_t>(StreamReader::kChunkBytes, std::size_t(unit)));
    }
    // Every chunk lies in memory at the offset within a 4 KiB page that its first byte has in
    // the file, so that the kernel copies between equally aligned addresses.
    std::uint64_t at = std::uint64_t(offset);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        QCOMPARE(addresses[i] % 4096, std::uintptr_t(at % 4096));
        at += sizes[i];
    }
}

void TestStreamReader::truncatedAfterOpen()
{
    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("f.bin")), test::randomBytes(3 * kChunk, 1));
    auto reader = StreamReader::open(path);
    QVERIFY(reader.ok());
    QVERIFY(QFile::resize(path, kChunk + kChunk / 2));
    std::vector<std::size_t> sizes;
    QCOMPARE(QString::fromUtf8(gathered(*reader, 4, sizes, nullptr)),
             QStringLiteral("<error> ") + path + QStringLiteral(": the file became shorter while being read"));
    // The whole chunks before the end were delivered; the partial one was not.
    QCOMPARE(sizes.size(), std::size_t(1));
}

void TestStreamReader::truncatedDuringChecksum()
{
    // The file shrinks while it is being hashed (from the progress callback, after the first
    // chunk): an error naming the file, not a digest of whatever was there.
    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("f.bin")), test::randomBytes(8 * kChunk, 2));
    JobContext job;
    bool truncated = false;
    job.setProgressCallback([&](int, std::uint64_t done, std::uint64_t) {
        if (done > 0 && !truncated)
            truncated = QFile::resize(path, 2 * kChunk + 1);
    });
    QCOMPARE(test::errorOf(sha256File(path, &job)), path + QStringLiteral(": the file became shorter while being read"));
    QVERIFY(truncated);
}

void TestStreamReader::truncatedTensorStats()
{
    // A tensor larger than the in-memory limit (16 MiB), streamed: its file is cut short after
    // the header was read. Through the mapping this was a SIGBUS; through the reader it is an
    // error naming the file.
    QTemporaryDir dir;
    const qsizetype dataSize = 24 << 20;
    const QByteArray json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[" + QByteArray::number(dataSize / 4)
            + "],\"data_offsets\":[0," + QByteArray::number(dataSize) + "]}}";
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("m.safetensors")),
                                          test::safetensorsBytes(json, test::randomBytes(dataSize, 9)));
    auto file = SafetensorsFile::open(path);
    QVERIFY2(file.ok(), qPrintable(test::errorOf(file)));
    const TensorInfo &t = (*file)->tensors().front();
    QVERIFY(QFile::resize(path, QFileInfo(path).size() - dataSize / 2));
    QThreadPool pool;
    pool.setMaxThreadCount(2);
    QCOMPARE(test::errorOf(computeStats(t.dtype, (*file)->reader(t), nullptr, &pool)),
             path + QStringLiteral(": the file became shorter while being read"));
}

void TestStreamReader::cancelled()
{
    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("f.bin")), test::randomBytes(4 * kChunk, 3));
    auto reader = StreamReader::open(path);
    QVERIFY(reader.ok());
    {
        JobContext job;
        job.cancel();
        int calls = 0;
        const auto status = reader->readAll(1, &job, [&](std::span<const std::byte>) { return ++calls > 0; });
        QCOMPARE(test::errorOf(status), path + QStringLiteral(": cancelled"));
        QCOMPARE(calls, 0);
    }
    {
        // Cancelled by the consumer's side after the first chunk: the pass stops there.
        JobContext job;
        int calls = 0;
        const auto status = reader->readAll(1, &job, [&](std::span<const std::byte>) {
            ++calls;
            job.cancel();
            return true;
        });
        QCOMPARE(test::errorOf(status), path + QStringLiteral(": cancelled"));
        QCOMPARE(calls, 1);
        QCOMPARE(job.done(), std::uint64_t(kChunk));
    }
    {
        // A streamed tensor's statistics report cancellation as the in-memory ones do.
        JobContext job;
        job.cancel();
        const StreamReader whole = reader->slice(0, reader->size());
        QVERIFY(whole.size() <= (16u << 20)); // small: read whole, then the in-memory path
        QCOMPARE(test::errorOf(computeStats(Dtype::F32, whole, &job)), QStringLiteral("statistics cancelled"));
    }
}

void TestStreamReader::statsMatchMemory_data()
{
    QTest::addColumn<Dtype>("dtype");
    QTest::addColumn<qsizetype>("offset");
    QTest::addColumn<qsizetype>("size");
    // Random bytes: every kind of value, Inf and NaN included (a random F32 is non-finite
    // one time in 256), F64 beyond float's range (its exact second pass streams too).
    const qsizetype big = (17 << 20) + 4 * 2048 * 3; // over the in-memory limit of 16 MiB
    QTest::newRow("f32 at offset 3") << Dtype::F32 << qsizetype(3) << big;
    QTest::newRow("f32, 130 MiB in three ranges, offset 5") << Dtype::F32 << qsizetype(5) << qsizetype(130 << 20) + 44;
    QTest::newRow("bf16 at offset 1") << Dtype::BF16 << qsizetype(1) << big + 2;
    QTest::newRow("f16 at offset 4095") << Dtype::F16 << qsizetype(4095) << big + 6;
    QTest::newRow("f64 at offset 7") << Dtype::F64 << qsizetype(7) << big + 8;
    QTest::newRow("i32 at offset 2") << Dtype::I32 << qsizetype(2) << big;
    QTest::newRow("u8 at offset 1") << Dtype::U8 << qsizetype(1) << big + 1;
    QTest::newRow("f6 e2m3 at offset 9") << Dtype::F6_E2M3 << qsizetype(9) << big + 3;
    QTest::newRow("f4 at offset 6") << Dtype::F4 << qsizetype(6) << big + 1;
    QTest::newRow("c64 at offset 12") << Dtype::C64 << qsizetype(12) << big;
    QTest::newRow("f32, small (read whole), offset 1") << Dtype::F32 << qsizetype(1) << qsizetype(4 * 1000);
}

void TestStreamReader::statsMatchMemory()
{
    QFETCH(Dtype, dtype);
    QFETCH(qsizetype, offset);
    QFETCH(qsizetype, size);
    QTemporaryDir dir;
    const QByteArray bytes = test::randomBytes(offset + size + 3, std::uint32_t(size));
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("t.bin")), bytes);
    auto file = StreamReader::open(path);
    QVERIFY(file.ok());
    QThreadPool pool;
    pool.setMaxThreadCount(2);
    const QByteArray data = bytes.mid(offset, size);
    JobContext memoryJob;
    JobContext streamJob;
    const auto inMemory = computeStats(dtype, test::bytesOf(data), &memoryJob, &pool);
    const auto streamed = computeStats(dtype, file->slice(std::uint64_t(offset), std::uint64_t(size)), &streamJob, &pool);
    QVERIFY2(inMemory.ok(), qPrintable(test::errorOf(inMemory)));
    QVERIFY2(streamed.ok(), qPrintable(test::errorOf(streamed)));
    QVERIFY(inMemory->values > 0);
    const QString diff = statsDiff(*inMemory, *streamed);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    QCOMPARE(streamJob.total(), memoryJob.total());
    QCOMPARE(streamJob.done(), memoryJob.done());
}

QTEST_GUILESS_MAIN(TestStreamReader)
#include "tst_streamreader.moc"
