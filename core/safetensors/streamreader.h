#pragma once

#include "result.h"

#include <QString>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace tantra {

class JobContext;
class UniqueFd;

// Bytes [offset, offset + length) of a file, read front to back by whole-tensor passes
// (statistics, checksums) with large preads into a buffer reused across chunks. The file's
// mapping stays for random access (value grid, heatmap, header); a pass through the mapping
// would fault every page into the process, so its peak RSS would be the file's size, and a
// file truncated meanwhile would raise SIGBUS. Measured on this project's machine (see
// docs/PERFORMANCE.md), reading into a 1 MiB buffer also beat faulting the mapping in,
// populated ahead (MADV_POPULATE_READ) and released behind (MADV_DONTNEED) or not.
//
// A reader is cheap to copy and may be used from several threads at once: every call has
// its own buffer and reads with pread at explicit offsets.
class StreamReader
{
public:
    // Bytes a chunk holds at most by default: small enough to stay in the L2 cache between the
    // read and the consumer, large enough that syscalls cost nothing (see docs/PERFORMANCE.md).
    static constexpr std::size_t kChunkBytes = std::size_t(1) << 20;
    // Chunk sizes are multiples of this, so that a chunk holds whole blocks of the statistics
    // kernels (2,048 values of up to 8 bytes) whatever the unit.
    static constexpr std::size_t kChunkGranule = std::size_t(64) << 10;

    // Opens `path` for a pass over all of it.
    static Result<StreamReader> open(const QString &path);
    // A region of a file opened elsewhere: `fd` must stay open while the reader is used
    // (SafetensorsFile keeps its mapping's descriptor open for its lifetime).
    StreamReader(int fd, QString path, std::uint64_t offset, std::uint64_t length);

    // For measurements and tests: chunks of `bytes` rounded down to a multiple of
    // kChunkGranule (at least one granule).
    void setChunkBytes(std::size_t bytes);
    std::size_t chunkBytes() const { return m_chunk; }

    const QString &path() const { return m_path; }
    std::uint64_t size() const { return m_length; }
    // The region [from, from + length) of this one (relative offsets), same file.
    StreamReader slice(std::uint64_t from, std::uint64_t length) const;

    // Receives each chunk in order; returns false to stop the pass (it then ends with the
    // error the consumer's caller expects, see read()).
    using Consumer = std::function<bool(std::span<const std::byte> chunk)>;

    // Streams [from, from + length) (relative to the region) through `consume`, on the calling
    // thread. Every chunk but the last is a multiple of `unit` bytes long, so that with `unit`
    // the size of an element (or of a group of packed sub-byte elements) no element straddles
    // two chunks, whatever the region's offset in the file. Checks the job for cancellation
    // before each chunk and advances it by each chunk's size when `reportProgress`.
    // Errors name the file: a read error, the file ending early (truncated after it was
    // opened), "cancelled", or "stopped" when the consumer returned false.
    // A chunk lies in memory at the offset within a 4 KiB page that its first byte has in the
    // file (see streamreader.cpp), so consumers must not expect any alignment.
    Status read(std::uint64_t from, std::uint64_t length, std::size_t unit, JobContext *job, const Consumer &consume,
                bool reportProgress = true) const;
    Status readAll(std::size_t unit, JobContext *job, const Consumer &consume, bool reportProgress = true) const
    {
        return read(0, m_length, unit, job, consume, reportProgress);
    }

    // Reads [from, from + into.size()) into `into` (for a region small enough to hold).
    Status readInto(std::uint64_t from, std::span<std::byte> into) const;

    // Splits [0, size) into at most `parts` consecutive ranges, each a multiple of `unit`
    // bytes long but the last, and none shorter than `minBytes` but the last.
    struct Range
    {
        std::uint64_t from = 0;
        std::uint64_t length = 0;
    };
    std::vector<Range> split(std::uint64_t parts, std::uint64_t unit, std::uint64_t minBytes) const;

private:
    std::shared_ptr<const UniqueFd> m_owned; // when opened by path
    int m_fd = -1;
    QString m_path;
    std::uint64_t m_offset = 0;
    std::uint64_t m_length = 0;
    std::size_t m_chunk = kChunkBytes;
};

} // namespace tantra
