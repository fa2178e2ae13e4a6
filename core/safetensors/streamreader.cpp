#include "streamreader.h"

#include "jobcontext.h"
#include "mappedfile.h"
#include "regularfile.h"
#include "uniquefd.h"

#include <QFile>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tantra {

namespace {

// Read buffers are aligned like the file's pages (see read()).
constexpr std::size_t kPage = 4096;

struct FreeDeleter
{
    void operator()(std::byte *p) const { std::free(p); }
};

using Buffer = std::unique_ptr<std::byte, FreeDeleter>;

// A read's buffer, kept by its thread for the next read. A statistics pass over 1 GiB reads
// in eight ranges on two pool threads, and a buffer of its own for each range (1 MiB) came
// fresh from the kernel each time: 257 page faults to zero and map it, which on this
// project's VM cost 8% of the process's CPU (perf, `inspect --stats` on 1 GiB of f32:
// clear_page and the fault path under the pread copy). A thread keeps at most one (the
// largest it has used), freed when it ends.
struct SpareBuffer
{
    Buffer buffer;
    std::size_t size = 0;
};
thread_local SpareBuffer t_spare;

class ReadBuffer
{
public:
    explicit ReadBuffer(std::size_t size)
    {
        if (t_spare.buffer && t_spare.size >= size) {
            m_buffer = std::move(t_spare.buffer);
            m_size = t_spare.size;
            t_spare.size = 0;
        } else {
            m_buffer.reset(static_cast<std::byte *>(std::aligned_alloc(kPage, size)));
            m_size = m_buffer ? size : 0;
        }
    }
    ~ReadBuffer()
    {
        if (m_buffer && m_size >= t_spare.size) {
            t_spare.buffer = std::move(m_buffer);
            t_spare.size = m_size;
        }
    }
    ReadBuffer(const ReadBuffer &) = delete;
    ReadBuffer &operator=(const ReadBuffer &) = delete;

    std::byte *get() const { return m_buffer.get(); }

private:
    Buffer m_buffer;
    std::size_t m_size = 0;
};

} // namespace

Result<StreamReader> StreamReader::open(const QString &path)
{
    // openRegularFile never blocks on a FIFO and refuses anything but a regular file.
    auto opened = openRegularFile(path);
    if (!opened)
        return opened.error();
    auto owned = std::make_shared<const UniqueFd>(*opened);
    struct stat st;
    if (::fstat(owned->get(), &st) != 0)
        return makeError(path, QStringLiteral("cannot read file status: ") + systemErrorString(errno));
    // Doubles the kernel's readahead window for a file that is not cached yet.
    ::posix_fadvise(owned->get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    StreamReader reader(owned->get(), path, 0, std::uint64_t(st.st_size));
    reader.m_owned = std::move(owned);
    return reader;
}

StreamReader::StreamReader(int fd, QString path, std::uint64_t offset, std::uint64_t length)
    : m_fd(fd), m_path(std::move(path)), m_offset(offset), m_length(length)
{
}

void StreamReader::setChunkBytes(std::size_t bytes)
{
    m_chunk = std::max(kChunkGranule, bytes / kChunkGranule * kChunkGranule);
}

StreamReader StreamReader::slice(std::uint64_t from, std::uint64_t length) const
{
    StreamReader s = *this;
    s.m_offset = m_offset + std::min(from, m_length);
    s.m_length = std::min(length, m_length - std::min(from, m_length));
    return s;
}

Status StreamReader::readInto(std::uint64_t from, std::span<std::byte> into) const
{
    if (from > m_length || into.size() > m_length - from)
        return makeError(m_path, QStringLiteral("read beyond the end of the region"));
    std::size_t done = 0;
    while (done < into.size()) {
        const ssize_t n = ::pread(m_fd, into.data() + done, into.size() - done, off_t(m_offset + from + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return makeError(m_path, QStringLiteral("read error: ") + systemErrorString(errno));
        }
        if (n == 0)
            return makeError(m_path, QStringLiteral("the file became shorter while being read"));
        done += std::size_t(n); // a short read (a signal, a pipe-like filesystem) reads on
    }
    return {};
}

Status StreamReader::read(std::uint64_t from, std::uint64_t length, std::size_t unit, JobContext *job,
                          const Consumer &consume, bool reportProgress) const
{
    if (from > m_length || length > m_length - from)
        return makeError(m_path, QStringLiteral("read beyond the end of the region"));
    if (length == 0)
        return {};
    unit = std::max<std::size_t>(unit, 1);
    const std::size_t chunk = std::max(unit, m_chunk / unit * unit);
    // Each chunk lands at the same offset within a page as its bytes have in the file, so that
    // the kernel copies between equally aligned addresses. On this project's machine (AMD
    // EPYC, Zen 3) the copy out of the page cache took 4-5 times as long when the buffer lay
    // 1-31 bytes past the file position modulo 4 KiB (docs/PERFORMANCE.md): a tensor whose data
    // start 4,065-4,095 bytes into a page was read at 2.6 GB/s instead of 12.
    const std::size_t allocated = (std::size_t(std::min<std::uint64_t>(chunk, length)) + kPage + kPage - 1) / kPage * kPage;
    const ReadBuffer buffer(allocated);
    if (!buffer.get())
        return makeError(m_path, QStringLiteral("out of memory for a read buffer"));
    std::uint64_t done = 0;
    while (done < length) {
        if (job && job->isCanceled())
            return makeError(m_path, QStringLiteral("cancelled"));
        const std::size_t n = std::size_t(std::min<std::uint64_t>(chunk, length - done));
        const std::size_t inPage = std::size_t((m_offset + from + done) % kPage);
        const std::span<std::byte> into(buffer.get() + inPage, n);
        if (auto status = readInto(from + done, into); !status)
            return status;
        if (!consume(into))
            return makeError(m_path, QStringLiteral("stopped"));
        done += n;
        if (job && reportProgress)
            job->advance(n);
    }
    return {};
}

std::vector<StreamReader::Range> StreamReader::split(std::uint64_t parts, std::uint64_t unit, std::uint64_t minBytes) const
{
    unit = std::max<std::uint64_t>(unit, 1);
    parts = std::max<std::uint64_t>(parts, 1);
    std::uint64_t each = std::max(minBytes, (m_length + parts - 1) / parts);
    each = std::max(unit, (each + unit - 1) / unit * unit);
    std::vector<Range> ranges;
    for (std::uint64_t at = 0; at < m_length; at += each)
        ranges.push_back({at, std::min(each, m_length - at)});
    return ranges;
}

} // namespace tantra
