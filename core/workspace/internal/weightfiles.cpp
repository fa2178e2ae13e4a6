#include "weightfiles.h"

#include "jobcontext.h"
#include "mappedfile.h"
#include "pathjoin.h"
#include "regularfile.h"
#include "sha256.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace tantra {

QString shardManifestDigest(const std::vector<WeightFile> &files)
{
    std::vector<std::pair<QString, QString>> lines;
    for (const auto &f : files)
        lines.emplace_back(QFileInfo(f.path).fileName(), f.sha256);
    std::sort(lines.begin(), lines.end());
    Sha256 h;
    for (const auto &[name, sha] : lines) {
        const QByteArray line = (sha + QStringLiteral("  ") + name + QLatin1Char('\n')).toUtf8();
        h.update(line.constData(), std::size_t(line.size()));
    }
    return h.finalHex();
}

Result<WeightFiles> hashWeight(const QString &root, const QString &absolutePath, bool sharded, JobContext *job)
{
    WeightFiles out;
    if (!sharded) {
        const QFileInfo info(absolutePath);
        if (auto special = checkNotSpecialFile(absolutePath); !special)
            return special.error();
        if (!info.isFile())
            return makeError(absolutePath, QStringLiteral("the weight file is missing"));
        auto sha = sha256File(absolutePath, job);
        if (!sha)
            return sha.error();
        out.size = quint64(info.size());
        out.sha256 = sha.value();
        return out;
    }
    const QDir dir(absolutePath);
    if (!dir.exists())
        return makeError(absolutePath, QStringLiteral("the shard folder is missing"));
    const QStringList names = dir.entryList(QDir::Files | QDir::NoDotAndDotDot, QDir::Name);
    QStringList paths;
    for (const QString &n : names) {
        if (!isPartialName(n))
            paths << joinPath(dir, n);
    }
    const auto hashes = sha256Files(paths, job);
    const QDir rootDir(root);
    for (qsizetype i = 0; i < paths.size(); ++i) {
        const auto &h = hashes[std::size_t(i)];
        if (!h)
            return h.error();
        const quint64 size = quint64(QFileInfo(paths[i]).size());
        out.files.push_back(WeightFile{rootDir.relativeFilePath(paths[i]), size, h.value()});
        out.size += size;
    }
    out.sha256 = shardManifestDigest(out.files);
    return out;
}

Result<QString> copyAndHash(const QString &from, const QString &to, JobContext *job)
{
    QFile in;
    if (auto opened = openRegularFile(in, from); !opened)
        return opened.error();
    QFile out(to);
    if (!out.open(QIODevice::WriteOnly | QIODevice::NewOnly))
        return makeError(to, QStringLiteral("cannot create: ") + out.errorString());
    ::posix_fadvise(in.handle(), 0, 0, POSIX_FADV_SEQUENTIAL);
    if (job)
        job->addTotal(quint64(in.size()));
    const auto fail = [&](Error error) -> Result<QString> {
        out.close();
        QFile::remove(to);
        return error;
    };
    constexpr qint64 kBuffer = qint64(4) << 20;
    QByteArray buffer(kBuffer, Qt::Uninitialized);
    Sha256 hash;
    for (;;) {
        if (job && job->isCanceled())
            return fail(makeError(from, QStringLiteral("copy cancelled")));
        const qint64 n = in.read(buffer.data(), kBuffer);
        if (n < 0)
            return fail(makeError(from, QStringLiteral("read error: ") + in.errorString()));
        if (n == 0)
            break;
        hash.update(buffer.constData(), std::size_t(n));
        if (!writeFully(out, buffer.constData(), n))
            return fail(makeError(to, QStringLiteral("write error: ") + out.errorString()
                        + QStringLiteral(" (is the disk full?)")));
        if (job)
            job->advance(quint64(n));
    }
    if (!out.flush() || ::fsync(out.handle()) != 0)
        return fail(makeError(to, QStringLiteral("cannot flush to disk: ") + systemErrorString(errno)));
    out.close();
    return hash.finalHex();
}

QString partialPathFor(const QString &finalPath)
{
    static std::atomic<int> counter{0};
    const QFileInfo info(finalPath);
    return info.dir().filePath(QStringLiteral(".%1.partial-%2-%3")
                                       .arg(info.fileName())
                                       .arg(QCoreApplication::applicationPid())
                                       .arg(counter.fetch_add(1)));
}

bool isPartialName(const QString &fileName)
{
    return fileName.startsWith(QLatin1Char('.')) && fileName.contains(QStringLiteral(".partial-"));
}

qint64 partialOwnerPid(const QString &fileName)
{
    static const QRegularExpression re(QStringLiteral("\\.partial-(\\d+)-\\d+$"));
    const auto m = re.match(fileName);
    return m.hasMatch() ? m.captured(1).toLongLong() : 0;
}

QDateTime processStartTime(qint64 pid)
{
    QFile statFile(QStringLiteral("/proc/%1/stat").arg(pid));
    QFile bootFile(QStringLiteral("/proc/stat"));
    if (pid <= 0 || !statFile.open(QIODevice::ReadOnly) || !bootFile.open(QIODevice::ReadOnly))
        return {};
    // The fields after the command name (in parentheses, and it may hold spaces) start with
    // the state, field 3; the start time, field 22 in clock ticks since boot, is the 20th.
    const QByteArray stat = statFile.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    bool ok = false;
    const qint64 ticks = fields.size() > 19 ? fields[19].toLongLong(&ok) : 0;
    const long hz = ::sysconf(_SC_CLK_TCK);
    if (!ok || hz <= 0)
        return {};
    for (const QByteArray &line : bootFile.readAll().split('\n')) {
        if (line.startsWith("btime ")) {
            const qint64 boot = line.mid(6).trimmed().toLongLong(&ok);
            return ok ? QDateTime::fromMSecsSinceEpoch(boot * 1000 + ticks * 1000 / hz, Qt::UTC) : QDateTime();
        }
    }
    return {};
}

bool partialOwnerAlive(qint64 pid, const QDateTime &lastChanged)
{
    if (pid <= 0 || (::kill(pid_t(pid), 0) != 0 && errno != EPERM))
        return false;
    const QDateTime started = processStartTime(pid);
    // Ten minutes of margin: a clock stepped back (NTP) must not make a running writer look
    // younger than its file, as deleting an in-place import's partial file deletes the user's
    // weight. A reused pid is a reboot or a wrap-around away, far more than that.
    return !started.isValid() || !lastChanged.isValid() || started <= lastChanged.addSecs(600);
}

bool writeFully(QIODevice &out, const char *data, qint64 size)
{
    while (size > 0) {
        const qint64 n = out.write(data, size);
        if (n <= 0)
            return false;
        data += n;
        size -= n;
    }
    return true;
}

Status removeWeightPath(const QString &absolutePath, bool sharded)
{
    // A link goes as a link: QDir::removeRecursively() on a link to a folder empties the
    // folder it points to (a hidden ".x.partial-<dead pid>-0" link to any folder made the
    // doctor wipe that folder).
    if (QFileInfo(absolutePath).isSymLink()) {
        if (!QFile::remove(absolutePath))
            return makeError(absolutePath, QStringLiteral("cannot delete the link"));
        return {};
    }
    if (sharded) {
        QDir dir(absolutePath);
        if (dir.exists() && !dir.removeRecursively())
            return makeError(absolutePath, QStringLiteral("could not delete the shard folder completely"));
        return {};
    }
    QFile f(absolutePath);
    if (f.exists() && !f.remove())
        return makeError(absolutePath, QStringLiteral("cannot delete: ") + f.errorString());
    return {};
}

} // namespace tantra
