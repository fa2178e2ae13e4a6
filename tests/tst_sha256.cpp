// SHA-256: published test vectors, agreement with QCryptographicHash on larger inputs and
// files, parallel hashing, cancellation and errors that name the file.

#include "jobcontext.h"
#include "sha256.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

#include <cerrno>
#include <cstring>

using namespace tantra;

namespace {

QString qtSha256(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
}

// A repeating byte pattern whose period (251, prime) never lines up with buffer sizes.
QByteArray pattern(qsizetype size)
{
    QByteArray out(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        out[i] = char(i % 251);
    return out;
}

QString noSuchFile()
{
    return QString::fromLocal8Bit(std::strerror(ENOENT));
}

} // namespace

class TestSha256 : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void knownVectors_data();
    void knownVectors();
    void largeInputMatchesQt();
    void incrementalEqualsOneShot();
    void files_data();
    void files();
    void severalFilesMatchSingle();
    void cancelledBeforeStart();
    void cancelledMidway();
    void fileErrors();
};

void TestSha256::knownVectors_data()
{
    // FIPS 180-2 / NIST examples.
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("digest");
    QTest::newRow("empty") << QByteArray() << "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    QTest::newRow("abc") << QByteArray("abc") << "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    QTest::newRow("two blocks") << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                                << "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
    QTest::newRow("a million a") << QByteArray(1'000'000, 'a')
                                 << "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
}

void TestSha256::knownVectors()
{
    QFETCH(QByteArray, input);
    QFETCH(QString, digest);
    QCOMPARE(sha256Hex(test::bytesOf(input)), digest);
}

void TestSha256::largeInputMatchesQt()
{
    const QByteArray mib = pattern(1 << 20);
    QCOMPARE(sha256Hex(test::bytesOf(mib)), qtSha256(mib));
    const QByteArray random = test::randomBytes((1 << 20) + 13, 42);
    QCOMPARE(sha256Hex(test::bytesOf(random)), qtSha256(random));
}

void TestSha256::incrementalEqualsOneShot()
{
    const QByteArray bytes = test::randomBytes(100'000, 7);
    Sha256 h;
    // Uneven pieces, including empty ones, across the 64-byte block boundaries.
    qsizetype at = 0;
    for (qsizetype piece : {0, 1, 63, 64, 65, 0, 1000, 33'333}) {
        h.update(bytes.constData() + at, std::size_t(piece));
        at += piece;
    }
    h.update(test::bytesOf(bytes).subspan(std::size_t(at)));
    QCOMPARE(h.finalHex(), qtSha256(bytes));
}

void TestSha256::files_data()
{
    QTest::addColumn<int>("size");
    QTest::newRow("empty") << 0;
    QTest::newRow("one byte") << 1;
    QTest::newRow("exactly 1 MiB (the read size)") << (1 << 20);
    QTest::newRow("3 MiB + 7") << (3 << 20) + 7;
}

void TestSha256::files()
{
    QFETCH(int, size);
    QTemporaryDir dir;
    const QByteArray bytes = test::randomBytes(size, std::uint32_t(size));
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("f.bin")), bytes);
    JobContext job;
    const auto digest = sha256File(path, &job);
    QVERIFY2(digest.ok(), qPrintable(test::errorOf(digest)));
    QCOMPARE(*digest, qtSha256(bytes));
    QCOMPARE(job.total(), std::uint64_t(size));
    QCOMPARE(job.done(), std::uint64_t(size));
}

void TestSha256::severalFilesMatchSingle()
{
    QTemporaryDir dir;
    QStringList paths;
    QStringList expected;
    for (int i = 0; i < 6; ++i) {
        const QByteArray bytes = test::randomBytes((i * 700'001) % 2'500'000, std::uint32_t(i));
        paths << test::writeBytes(dir.filePath(QStringLiteral("f%1.bin").arg(i)), bytes);
        expected << qtSha256(bytes);
    }
    const QString missing = dir.filePath(QStringLiteral("missing.bin"));
    paths.insert(3, missing);
    expected.insert(3, QString());

    QThreadPool pool;
    pool.setMaxThreadCount(3);
    for (QThreadPool *p : {static_cast<QThreadPool *>(nullptr), &pool}) {
        JobContext job;
        const auto results = sha256Files(paths, &job, p);
        QCOMPARE(results.size(), std::size_t(paths.size()));
        for (qsizetype i = 0; i < paths.size(); ++i) {
            const auto &r = results[std::size_t(i)];
            if (paths[i] == missing) {
                QCOMPARE(test::errorOf(r), missing + QStringLiteral(": cannot open: ") + noSuchFile());
                continue;
            }
            QVERIFY2(r.ok(), qPrintable(test::errorOf(r)));
            QCOMPARE(*r, expected[i]);
            // In the order given, and the same as hashing the file alone.
            QCOMPARE(*r, *sha256File(paths[i]));
        }
        QCOMPARE(job.done(), job.total());
    }
}

void TestSha256::cancelledBeforeStart()
{
    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("f.bin")), QByteArray(1000, 'x'));
    JobContext job;
    job.cancel();
    QCOMPARE(test::errorOf(sha256File(path, &job)), path + QStringLiteral(": checksum cancelled"));
    const auto results = sha256Files({path, path}, &job);
    for (const auto &r : results)
        QCOMPARE(test::errorOf(r), path + QStringLiteral(": checksum cancelled"));
}

void TestSha256::cancelledMidway()
{
    // Cancel from the progress callback once the first megabyte is hashed: the hashing stops
    // there instead of reading the whole file.
    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("f.bin")), test::randomBytes(8 << 20, 3));
    JobContext job;
    job.setProgressCallback([&job](int, std::uint64_t done, std::uint64_t) {
        if (done > 0)
            job.cancel();
    });
    QCOMPARE(test::errorOf(sha256File(path, &job)), path + QStringLiteral(": checksum cancelled"));
    QVERIFY(job.done() > 0);
    QVERIFY(job.done() < job.total());
}

void TestSha256::fileErrors()
{
    QTemporaryDir dir;
    const QString missing = dir.filePath(QStringLiteral("nope.safetensors"));
    QCOMPARE(test::errorOf(sha256File(missing)), missing + QStringLiteral(": cannot open: ") + noSuchFile());
    QCOMPARE(test::errorOf(sha256File(dir.path())), dir.path() + QStringLiteral(": is a folder, not a regular file"));
}

QTEST_GUILESS_MAIN(TestSha256)
#include "tst_sha256.moc"
