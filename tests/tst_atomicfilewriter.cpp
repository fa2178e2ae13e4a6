// AtomicFileWriter in both durabilities: what the file ends up as, what a failure leaves,
// and the export mode's permissions and symbolic links (done by hand there, by QSaveFile in
// the flushed mode).

#include "atomicfilewriter.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <cstring>
#include <utility>

#include <sys/stat.h>

using namespace tantra;

Q_DECLARE_METATYPE(tantra::Durability)

namespace {

QStringList filesIn(const QString &folder)
{
    return QDir(folder).entryList(QDir::Files | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
}

mode_t modeOf(const QString &path)
{
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return 0;
    return st.st_mode & 07777;
}

Status writeWhole(const QString &path, const QByteArray &bytes, Durability durability)
{
    AtomicFileWriter file(path, durability);
    if (auto opened = file.open(); !opened)
        return opened;
    // In pieces larger than the write-behind step, so that it runs.
    const qsizetype piece = qsizetype(AtomicFileWriter::kWriteBehindBytes / 2 + 1);
    for (qsizetype at = 0; at < bytes.size(); at += piece) {
        if (auto written = file.write(bytes.constData() + at, std::size_t(std::min(piece, bytes.size() - at))); !written)
            return written;
    }
    return file.commit();
}

constexpr std::pair<const char *, Durability> kDurabilities[] = {{"flushed", Durability::Flushed}, {"not flushed", Durability::NotFlushed}};

} // namespace

class TestAtomicFileWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writesAndReplaces_data();
    void writesAndReplaces();
    void failureLeavesTheOldFile_data();
    void failureLeavesTheOldFile();
    void destroyedWithoutCommitLeavesNothing_data();
    void destroyedWithoutCommitLeavesNothing();
    void exportKeepsPermissions();
    void linksAreWrittenThrough_data();
    void linksAreWrittenThrough();
    void exportIntoMissingFolder();
    void specialTargetsRefused_data();
    void specialTargetsRefused();
};

void TestAtomicFileWriter::writesAndReplaces_data()
{
    QTest::addColumn<Durability>("durability");
    QTest::newRow("flushed") << Durability::Flushed;
    QTest::newRow("not flushed") << Durability::NotFlushed;
}

void TestAtomicFileWriter::writesAndReplaces()
{
    QFETCH(Durability, durability);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("out.bin"));
    const QByteArray first = test::randomBytes(70 << 20, 1); // > 2 write-behind steps
    QVERIFY2(writeWhole(path, first, durability).ok(), qPrintable(test::errorOf(writeWhole(path, first, durability))));
    QCOMPARE(test::readFile(path), first);
    const QByteArray second = test::randomBytes(1000, 2);
    QVERIFY(writeWhole(path, second, durability).ok());
    QCOMPARE(test::readFile(path), second);
    QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("out.bin")});
}

void TestAtomicFileWriter::failureLeavesTheOldFile_data()
{
    QTest::addColumn<Durability>("durability");
    QTest::addColumn<int>("limit");
    QTest::newRow("flushed, first byte") << Durability::Flushed << 0;
    QTest::newRow("flushed, last byte") << Durability::Flushed << 999;
    QTest::newRow("not flushed, first byte") << Durability::NotFlushed << 0;
    QTest::newRow("not flushed, last byte") << Durability::NotFlushed << 999;
}

void TestAtomicFileWriter::failureLeavesTheOldFile()
{
    QFETCH(Durability, durability);
    QFETCH(int, limit);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("out.bin"));
    const QByteArray old = test::randomBytes(64, 3);
    test::writeBytes(path, old);
    Status status;
    {
        test::FileSizeLimit fileSizeLimit{rlim_t(limit)};
        QVERIFY(fileSizeLimit.ok());
        status = writeWhole(path, test::randomBytes(1000, 4), durability);
    }
    QCOMPARE(test::errorOf(status), path + QStringLiteral(": write failed: ") + QString::fromLocal8Bit(std::strerror(EFBIG)));
    QCOMPARE(test::readFile(path), old);
    QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("out.bin")});
}

void TestAtomicFileWriter::destroyedWithoutCommitLeavesNothing_data()
{
    writesAndReplaces_data();
}

void TestAtomicFileWriter::destroyedWithoutCommitLeavesNothing()
{
    QFETCH(Durability, durability);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("out.bin"));
    {
        AtomicFileWriter file(path, durability);
        QVERIFY(file.open().ok());
        QVERIFY(file.write("abc", 3).ok());
        // The export's temporary file is named; QSaveFile's is unnamed (O_TMPFILE) where it can be.
        if (durability == Durability::NotFlushed)
            QCOMPARE(filesIn(dir.path()).size(), 1);
    }
    QCOMPARE(filesIn(dir.path()), QStringList());
}

void TestAtomicFileWriter::exportKeepsPermissions()
{
    QTemporaryDir dir;
    // A new file: 0666 less the umask, as cp and open(2) make it (not mkstemp's 0600).
    const mode_t mask = ::umask(022);
    const QString fresh = dir.filePath(QStringLiteral("fresh.bin"));
    QVERIFY(writeWhole(fresh, "x", Durability::NotFlushed).ok());
    QCOMPARE(modeOf(fresh), mode_t(0644));
    ::umask(mask);
    // A replaced file keeps its permissions.
    const QString kept = dir.filePath(QStringLiteral("kept.bin"));
    test::writeBytes(kept, "old");
    QVERIFY(::chmod(QFile::encodeName(kept).constData(), 0640) == 0);
    QVERIFY(writeWhole(kept, "new", Durability::NotFlushed).ok());
    QCOMPARE(modeOf(kept), mode_t(0640));
    QCOMPARE(test::readFile(kept), QByteArray("new"));
}

void TestAtomicFileWriter::linksAreWrittenThrough_data()
{
    QTest::addColumn<Durability>("durability");
    QTest::addColumn<int>("links");
    for (const auto &[name, durability] : kDurabilities) {
        QTest::addRow("%s, one link", name) << durability << 1;
        QTest::addRow("%s, a chain of three links", name) << durability << 3;
    }
}

// Replacing a symbolic link writes the file at the end of the chain; every link stays a link.
void TestAtomicFileWriter::linksAreWrittenThrough()
{
    QFETCH(Durability, durability);
    QFETCH(int, links);
    QTemporaryDir dir;
    const QString target = dir.filePath(QStringLiteral("target.bin"));
    test::writeBytes(target, "old");
    QString previous = target;
    QStringList chain;
    for (int i = 0; i < links; ++i) {
        chain.prepend(dir.filePath(QStringLiteral("link%1.bin").arg(i)));
        QVERIFY(QFile::link(QFileInfo(previous).fileName(), chain.front()));
        previous = chain.front();
    }
    QVERIFY(writeWhole(chain.front(), "through the links", durability).ok());
    QCOMPARE(test::readFile(target), QByteArray("through the links"));
    for (const QString &link : chain)
        QVERIFY2(QFileInfo(link).isSymLink(), qPrintable(link));
    QCOMPARE(filesIn(dir.path()).size(), links + 1);
}

void TestAtomicFileWriter::exportIntoMissingFolder()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("no/such/out.bin"));
    AtomicFileWriter file(path, Durability::NotFlushed);
    QCOMPARE(test::errorOf(file.open()), path + QStringLiteral(": cannot write: ") + QString::fromLocal8Bit(std::strerror(ENOENT)));
}

void TestAtomicFileWriter::specialTargetsRefused_data()
{
    // A rename over a FIFO, a device or a folder replaces it: `--out /dev/null` as root would
    // have replaced /dev/null itself. Refused in both modes, before anything is created.
    QTest::addColumn<Durability>("durability");
    QTest::addColumn<QString>("kind");
    for (const auto &[name, durability] : kDurabilities) {
        QTest::addRow("%s, FIFO", name) << durability << QStringLiteral("fifo");
        QTest::addRow("%s, link to /dev/null", name) << durability << QStringLiteral("devnull");
        QTest::addRow("%s, folder", name) << durability << QStringLiteral("folder");
    }
}

void TestAtomicFileWriter::specialTargetsRefused()
{
    QFETCH(Durability, durability);
    QFETCH(QString, kind);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("out"));
    QString what;
    if (kind == QLatin1String("fifo")) {
        QVERIFY(::mkfifo(QFile::encodeName(path).constData(), 0600) == 0);
        what = QStringLiteral("a FIFO (named pipe)");
    } else if (kind == QLatin1String("devnull")) {
        QVERIFY(QFile::link(QStringLiteral("/dev/null"), path));
        what = QStringLiteral("a character device");
    } else {
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("out")));
        what = QStringLiteral("a folder");
    }
    const QStringList before = QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
    AtomicFileWriter file(path, durability);
    QCOMPARE(test::errorOf(file.open()), path + QStringLiteral(": is %1, not a regular file").arg(what));
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot), before);
    QVERIFY(QFileInfo(QStringLiteral("/dev/null")).exists());
}

QTEST_GUILESS_MAIN(TestAtomicFileWriter)
#include "tst_atomicfilewriter.moc"
