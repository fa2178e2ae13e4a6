#pragma once

#include "durability.h"
#include "result.h"

#include <QSaveFile>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <optional>

namespace tantra {

// The one way the core writes a large file: atomically (a temporary file beside `path`,
// renamed into place by commit(), so a failure or a kill leaves whatever was at `path`
// untouched), and, unless told otherwise, durably.
//
// - Flushed (the default; QSaveFile): the data reaches the disk before the rename. Every file
//   the registry will name is written so, because the registry records its SHA-256 and must
//   not survive a power cut that its file did not. Every kWriteBehindBytes written, the kernel
//   is asked to start writing that range (sync_file_range, SYNC_FILE_RANGE_WRITE, which does
//   not wait), so the disk works while the producer converts or copies the next bytes and the
//   fdatasync in commit() waits for less.
// - NotFlushed: atomic but not flushed, as cp, torch.save and safetensors' save_file write.
//   For exports the user asked for outside the workspace (`convert --out`, `reshard --out`):
//   nothing of ours depends on them, and a flush of a 50 GB export costs the user a minute
//   of waiting on the disk for no guarantee they asked for. The temporary file is created
//   0666 minus the umask (as cp creates files), or with the replaced file's permissions.
//
// Either way the file is opened unbuffered: Qt 6.4's QSaveFile::commit() ignores a failed
// flush of its write buffer, so on a full disk a file whose last bytes were still buffered
// was renamed into place truncated (tst_writer's failedWriteLeavesOriginal). And errors name
// the file and say what the system said: a short write is retried, so that a full disk
// reports "No space left on device" rather than Qt's "Unknown error".
class AtomicFileWriter
{
public:
    static constexpr std::uint64_t kWriteBehindBytes = std::uint64_t(32) << 20;

    explicit AtomicFileWriter(const QString &path, Durability durability = Durability::Flushed);
    AtomicFileWriter(const AtomicFileWriter &) = delete;
    AtomicFileWriter &operator=(const AtomicFileWriter &) = delete;
    ~AtomicFileWriter(); // without commit(), the temporary file is removed

    const QString &path() const { return m_path; }

    Status open();
    Status write(const void *data, std::size_t size);
    // For writers that move bytes with the kernel (copy_file_range) through handle(): after
    // such a call moved `size` bytes at the descriptor's offset, this keeps the writer's
    // position in step and counts the bytes for write-behind.
    int handle() const;
    Status advancedExternally(std::uint64_t size);
    // Sets the size of the file (sparse files); the file must be open.
    Status resize(std::uint64_t size);

    Status commit();
    void cancel();

private:
    void writeBehind();
    Error failure(const QString &what) const;
    Error systemFailure(const QString &what, int error) const;

    QString m_path;
    Durability m_durability;
    std::optional<QSaveFile> m_file; // Flushed
    int m_fd = -1;                   // NotFlushed: the temporary file
    QByteArray m_temporary;          // its name
    QByteArray m_target;             // what it replaces (a symbolic link's target)
    std::uint64_t m_written = 0;
    std::uint64_t m_flushedUpTo = 0;
};

} // namespace tantra
