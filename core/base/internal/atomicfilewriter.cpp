#include "atomicfilewriter.h"

#include "regularfile.h"

#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tantra {

AtomicFileWriter::AtomicFileWriter(const QString &path, Durability durability) : m_path(path), m_durability(durability)
{
    if (m_durability == Durability::Flushed)
        m_file.emplace(path);
}

AtomicFileWriter::~AtomicFileWriter()
{
    cancel();
}

Error AtomicFileWriter::failure(const QString &what) const
{
    return Error{m_path, what + m_file->errorString()};
}

Error AtomicFileWriter::systemFailure(const QString &what, int error) const
{
    return Error{m_path, what + systemErrorString(error)};
}

int AtomicFileWriter::handle() const
{
    return m_file ? m_file->handle() : m_fd;
}

Status AtomicFileWriter::open()
{
    // Replacing a FIFO, a device or a folder by renaming a file over it is never what was
    // meant: `--out /dev/null` run as root would have replaced /dev/null itself.
    if (auto kind = checkNotSpecialFile(m_path); !kind)
        return kind;
    if (m_file) {
        if (!m_file->open(QIODevice::WriteOnly | QIODevice::Unbuffered))
            return failure(QStringLiteral("cannot write: "));
        return {};
    }
    // As QSaveFile does: replacing a symbolic link writes the file at the end of its chain
    // (symLinkTarget() would be the next link of a chain, which the rename would replace).
    const QFileInfo info(m_path);
    QString target = m_path;
    if (info.isSymLink())
        target = info.exists() ? info.canonicalFilePath() : info.symLinkTarget();
    m_target = QFile::encodeName(target);
    struct stat existing {};
    const bool replaces = ::stat(m_target.constData(), &existing) == 0;
    for (int attempt = 0; attempt < 100 && m_fd < 0; ++attempt) {
        m_temporary = m_target + '.' + QByteArray::number(QRandomGenerator::global()->generate64() & 0xffffffffffull, 36) + ".part";
        m_fd = ::open(m_temporary.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (m_fd < 0 && errno != EEXIST)
            return systemFailure(QStringLiteral("cannot write: "), errno);
    }
    if (m_fd < 0)
        return systemFailure(QStringLiteral("cannot write: "), EEXIST);
    if (replaces && S_ISREG(existing.st_mode))
        ::fchmod(m_fd, existing.st_mode & 07777);
    return {};
}

Status AtomicFileWriter::write(const void *data, std::size_t size)
{
    const char *p = static_cast<const char *>(data);
    while (size > 0) {
        if (m_file) {
            const qint64 n = m_file->write(p, qint64(size));
            if (n <= 0)
                return failure(QStringLiteral("write failed: "));
            p += n;
            size -= std::size_t(n);
            m_written += std::uint64_t(n);
        } else {
            const ssize_t n = ::write(m_fd, p, size);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return systemFailure(QStringLiteral("write failed: "), n < 0 ? errno : ENOSPC);
            p += n;
            size -= std::size_t(n);
            m_written += std::uint64_t(n);
        }
    }
    writeBehind();
    return {};
}

Status AtomicFileWriter::advancedExternally(std::uint64_t size)
{
    m_written += size;
    // The kernel moved the descriptor's offset behind QSaveFile's back: tell it, so that its
    // next write() does not seek back to where it thinks it is.
    if (m_file && !m_file->seek(qint64(m_written)))
        return failure(QStringLiteral("write failed: "));
    writeBehind();
    return {};
}

Status AtomicFileWriter::resize(std::uint64_t size)
{
    if (m_file) {
        if (!m_file->resize(qint64(size)))
            return failure(QStringLiteral("cannot set the file size: "));
    } else if (::ftruncate(m_fd, off_t(size)) != 0) {
        return systemFailure(QStringLiteral("cannot set the file size: "), errno);
    }
    return {};
}

void AtomicFileWriter::writeBehind()
{
#if defined(__linux__)
    const std::uint64_t pending = m_written - m_flushedUpTo;
    if (m_durability != Durability::Flushed || pending < kWriteBehindBytes)
        return;
    // Only starts the write-out; its errors, if any, come back from commit()'s fdatasync.
    ::sync_file_range(m_file->handle(), off64_t(m_flushedUpTo), off64_t(pending), SYNC_FILE_RANGE_WRITE);
    m_flushedUpTo = m_written;
#endif
}

Status AtomicFileWriter::commit()
{
    if (m_file) {
        if (!m_file->commit())
            return failure(QStringLiteral("could not complete the write: "));
        return {};
    }
    // close() reports errors some file systems (NFS) keep until then.
    const int fd = std::exchange(m_fd, -1);
    if (::close(fd) != 0) {
        const int error = errno;
        ::unlink(m_temporary.constData());
        return systemFailure(QStringLiteral("could not complete the write: "), error);
    }
    if (::rename(m_temporary.constData(), m_target.constData()) != 0) {
        const int error = errno;
        ::unlink(m_temporary.constData());
        return systemFailure(QStringLiteral("could not complete the write: "), error);
    }
    return {};
}

void AtomicFileWriter::cancel()
{
    if (m_file) {
        if (m_file->isOpen())
            m_file->cancelWriting();
        return;
    }
    if (m_fd >= 0) {
        ::close(std::exchange(m_fd, -1));
        ::unlink(m_temporary.constData());
    }
}

} // namespace tantra
