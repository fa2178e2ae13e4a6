#pragma once

#include "result.h"

#include <QSaveFile>
#include <QString>

#include <cstddef>
#include <cstdint>

namespace tantra {

// The one way the core writes a large file: atomically (QSaveFile: a temporary file renamed
// into place by commit(), so a failure or a kill leaves whatever was at `path` untouched), and
// durably (commit() flushes the data before the rename, as QSaveFile does), without paying
// for the flush at the end.
//
// Why not QSaveFile alone:
// - It is opened unbuffered: Qt 6.4's QSaveFile::commit() ignores a failed flush of its write
//   buffer, so on a full disk a file whose last bytes were still buffered was renamed into
//   place truncated (tst_writer's failedWriteLeavesOriginal). Unbuffered, the failure shows in
//   write() and commit() is never reached.
// - Write-behind: every kWriteBehindBytes written, the kernel is asked to start writing that
//   range to disk (sync_file_range, SYNC_FILE_RANGE_WRITE, which does not wait). The disk then
//   works while the producer converts or copies the next bytes, and the fdatasync in commit()
//   only waits for the tail. Measured on a 512 MiB conversion (docs/PERFORMANCE.md): the flush
//   at the end took 0.37 s of a 1.05 s run without it.
// - Errors name the file and say what the system said: a short write is retried, so that a
//   full disk reports "No space left on device" rather than Qt's "Unknown error".
class AtomicFileWriter
{
public:
    static constexpr std::uint64_t kWriteBehindBytes = std::uint64_t(32) << 20;

    explicit AtomicFileWriter(const QString &path);
    AtomicFileWriter(const AtomicFileWriter &) = delete;
    AtomicFileWriter &operator=(const AtomicFileWriter &) = delete;
    ~AtomicFileWriter(); // without commit(), the temporary file is removed

    const QString &path() const { return m_path; }

    Status open();
    Status write(const void *data, std::size_t size);
    // For writers that move bytes with the kernel (copy_file_range) through handle(): after
    // such a call moved `size` bytes at the descriptor's offset, this tells QSaveFile where the
    // offset now is and counts the bytes for write-behind.
    int handle() const { return m_file.handle(); }
    Status advancedExternally(std::uint64_t size);
    // Sets the size of the file (sparse files); the file must be open.
    Status resize(std::uint64_t size);

    Status commit();
    void cancel();

    std::uint64_t written() const { return m_written; }

private:
    void writeBehind(bool all);
    Error failure(const QString &what) const;

    QString m_path;
    QSaveFile m_file;
    std::uint64_t m_written = 0;
    std::uint64_t m_flushedUpTo = 0;
};

} // namespace tantra
