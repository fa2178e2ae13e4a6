#include "regularfile.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tantra {

QString systemErrorString(int errnum)
{
    return QString::fromLocal8Bit(std::strerror(errnum));
}

QString fileKindOf(unsigned int mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return QString();
    case S_IFDIR: return QStringLiteral("a folder");
    case S_IFIFO: return QStringLiteral("a FIFO (named pipe)");
    case S_IFCHR: return QStringLiteral("a character device");
    case S_IFBLK: return QStringLiteral("a block device");
    case S_IFSOCK: return QStringLiteral("a socket");
    case S_IFLNK: return QStringLiteral("a symbolic link");
    default: return QStringLiteral("a special file");
    }
}

namespace {

Error notRegular(const QString &path, unsigned int mode)
{
    return makeError(path, QStringLiteral("is %1, not a regular file").arg(fileKindOf(mode)));
}

} // namespace

Result<int> openRegularFile(const QString &path)
{
    const QByteArray native = QFile::encodeName(path);
    int fd;
    do {
        fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        const int err = errno;
        // open() of a folder for reading succeeds; the ENXIO of a socket does not say what it is.
        struct stat st;
        if (::stat(native.constData(), &st) == 0 && !S_ISREG(st.st_mode))
            return notRegular(path, st.st_mode);
        return makeError(path, QStringLiteral("cannot open: ") + systemErrorString(err));
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return makeError(path, QStringLiteral("cannot read file status: ") + systemErrorString(err));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return notRegular(path, st.st_mode);
    }
    // Blocking again: a regular file never blocks anyway, but some file systems (FUSE, NFS)
    // may honour the flag, and a read returning EAGAIN would be taken for a failure.
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        const int err = errno;
        ::close(fd);
        return makeError(path, QStringLiteral("cannot open: ") + systemErrorString(err));
    }
    return fd;
}

Status openRegularFile(QFile &file, const QString &path)
{
    auto fd = openRegularFile(path);
    if (!fd)
        return fd.error();
    if (!file.open(*fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        ::close(*fd);
        return makeError(path, QStringLiteral("cannot open: ") + file.errorString());
    }
    return {};
}

Status checkNotSpecialFile(const QString &path)
{
    struct stat st;
    if (::stat(QFile::encodeName(path).constData(), &st) != 0 || S_ISREG(st.st_mode))
        return {};
    return notRegular(path, st.st_mode);
}

bool isSameFile(const QString &a, const QString &b)
{
    struct stat sa, sb;
    return ::stat(QFile::encodeName(a).constData(), &sa) == 0 && ::stat(QFile::encodeName(b).constData(), &sb) == 0
            && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

} // namespace tantra
