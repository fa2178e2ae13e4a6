#include "atomicfilewriter.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace tantra {

AtomicFileWriter::AtomicFileWriter(const QString &path) : m_path(path), m_file(path) {}

AtomicFileWriter::~AtomicFileWriter()
{
    if (m_file.isOpen())
        m_file.cancelWriting();
}

Error AtomicFileWriter::failure(const QString &what) const
{
    return Error{m_path, what + m_file.errorString()};
}

Status AtomicFileWriter::open()
{
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Unbuffered))
        return failure(QStringLiteral("cannot write: "));
    return {};
}

Status AtomicFileWriter::write(const void *data, std::size_t size)
{
    const char *p = static_cast<const char *>(data);
    while (size > 0) {
        const qint64 n = m_file.write(p, qint64(size));
        if (n <= 0)
            return failure(QStringLiteral("write failed: "));
        p += n;
        size -= std::size_t(n);
        m_written += std::uint64_t(n);
    }
    writeBehind(false);
    return {};
}

Status AtomicFileWriter::advancedExternally(std::uint64_t size)
{
    m_written += size;
    // The kernel moved the descriptor's offset behind QSaveFile's back: tell it, so that its
    // next write() does not seek back to where it thinks it is.
    if (!m_file.seek(qint64(m_written)))
        return failure(QStringLiteral("write failed: "));
    writeBehind(false);
    return {};
}

Status AtomicFileWriter::resize(std::uint64_t size)
{
    if (!m_file.resize(qint64(size)))
        return failure(QStringLiteral("cannot set the file size: "));
    return {};
}

void AtomicFileWriter::writeBehind(bool all)
{
#if defined(__linux__)
    const std::uint64_t pending = m_written - m_flushedUpTo;
    if (pending == 0 || (!all && pending < kWriteBehindBytes))
        return;
    // Only starts the write-out; its errors, if any, come back from commit()'s fdatasync.
    ::sync_file_range(m_file.handle(), off64_t(m_flushedUpTo), off64_t(pending), SYNC_FILE_RANGE_WRITE);
    m_flushedUpTo = m_written;
#else
    Q_UNUSED(all);
#endif
}

Status AtomicFileWriter::commit()
{
    if (!m_file.commit())
        return failure(QStringLiteral("could not complete the write: "));
    return {};
}

void AtomicFileWriter::cancel()
{
    if (m_file.isOpen())
        m_file.cancelWriting();
}

} // namespace tantra
