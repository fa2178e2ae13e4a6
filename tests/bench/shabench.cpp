// SHA-256 of a whole file: ours (sha256File / sha256Files) against `openssl dgst -sha256`
// on the same bytes, page cache warm for both.

#include "benchdata.h"
#include "benchreport.h"
#include "benchsections.h"

#include "sha256.h"

#include <QFile>
#include <QProcess>

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace tantra {

namespace {

QString opensslDigest(const QString &path)
{
    QProcess p;
    p.start(QStringLiteral("openssl"), {QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-r"), path});
    if (!p.waitForFinished(-1) || p.exitCode() != 0)
        return {};
    return QString::fromLatin1(p.readAllStandardOutput()).section(QLatin1Char(' '), 0, 0).trimmed();
}

// Two openssl processes at once; true when both succeeded.
bool opensslTwo(const QString &a, const QString &b)
{
    QProcess pa;
    QProcess pb;
    pa.start(QStringLiteral("openssl"), {QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-r"), a});
    pb.start(QStringLiteral("openssl"), {QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-r"), b});
    const bool okA = pa.waitForFinished(-1) && pa.exitCode() == 0;
    const bool okB = pb.waitForFinished(-1) && pb.exitCode() == 0;
    return okA && okB;
}

// One untimed pass, so that both contenders find the file in the page cache.
void readThrough(const QString &path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    std::unique_ptr<char[]> buffer(new char[1 << 20]);
    while (::read(fd, buffer.get(), 1 << 20) > 0) {
    }
    ::close(fd);
}

} // namespace

void runShaBench(const BenchOptions &o, BenchReport &report)
{
    const double gib = double(o.size) / double(1 << 30);
    std::printf("\n[1] SHA-256 of %.2f GiB files (best of %d, page cache warm)\n", gib, o.runs);
    const QString a = o.dir + QStringLiteral("/sha-a.bin");
    const QString b = o.dir + QStringLiteral("/sha-b.bin");
    for (const auto &[path, seed] : {std::pair{a, 1u}, std::pair{b, 2u}}) {
        const QString error = writeRandomFile(path, o.size, seed);
        if (!error.isEmpty()) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return;
        }
    }
    if (opensslDigest(a).isEmpty()) {
        std::fprintf(stderr, "cannot run 'openssl dgst -sha256'; is openssl installed?\n");
        return;
    }
    readThrough(a);
    readThrough(b);

    // Ours and openssl take turns, so that a burst of load from other programs does not fall
    // on one side only; the best run of each counts.
    QString ours;
    QString theirs;
    bool twoOk = true;
    double tOurs = 1e300;
    double tRef = 1e300;
    double tOurs2 = 1e300;
    double tRef2 = 1e300;
    for (int run = 0; run < o.runs; ++run) {
        tOurs = std::min(tOurs, bestOf(1, [&] {
            auto r = sha256File(a);
            ours = r ? *r : r.errorString();
        }));
        tRef = std::min(tRef, bestOf(1, [&] { theirs = opensslDigest(a); }));
        tOurs2 = std::min(tOurs2, bestOf(1, [&] {
            for (const auto &r : sha256Files({a, b}))
                twoOk = twoOk && r.ok();
        }));
        tRef2 = std::min(tRef2, bestOf(1, [&] { twoOk = opensslTwo(a, b) && twoOk; }));
    }
    if (ours != theirs)
        std::fprintf(stderr, "digests differ: ours %s, openssl %s\n", qPrintable(ours), qPrintable(theirs));

    const double gb = double(o.size) / 1e9;
    const double ref1 = gb / tRef;
    const double ratio1 = (gb / tOurs) / ref1;
    const double ratio2 = (2 * gb / tOurs2) / ref1;
    report.add({"SHA-256, one file", format("%.2f GB/s = %.2fx", gb / tOurs, ratio1),
                format("openssl %.2f GB/s", ref1), ">= 0.95x openssl", ours == theirs && ratio1 >= 0.95});
    report.add({"SHA-256, two files at once", format("%.2f GB/s = %.2fx", 2 * gb / tOurs2, ratio2),
                format("openssl x2 %.2f GB/s = %.2fx", 2 * gb / tRef2, 2 * gb / tRef2 / ref1),
                ">= 1.8x openssl 1 file", twoOk && ratio2 >= 1.8});
    QFile::remove(a);
    QFile::remove(b);
}

} // namespace tantra
