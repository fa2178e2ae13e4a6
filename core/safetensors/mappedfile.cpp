#include "mappedfile.h"

#include "regularfile.h"

#include <QFileInfo>

#include <cerrno>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tantra {

Result<MappedFile> MappedFile::open(const QString &path)
{
    auto opened = openRegularFile(path);
    if (!opened)
        return opened.error();
    const int fd = *opened;
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return makeError(path, QStringLiteral("cannot read file status: ") + systemErrorString(err));
    }
    MappedFile file;
    file.m_fd = fd;
    file.m_size = std::uint64_t(st.st_size);
    if (file.m_size > 0) {
        void *p = ::mmap(nullptr, file.m_size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            return makeError(path, QStringLiteral("cannot map into memory: ") + systemErrorString(errno));
        file.m_data = static_cast<const std::byte *>(p);
        // Weights are read in large sequential sweeps, if at all; random-access readahead
        // would only waste memory on a header-only open.
        ::madvise(p, file.m_size, MADV_RANDOM);
    }
    return file;
}

MappedFile::MappedFile(MappedFile &&other) noexcept
    : m_data(other.m_data), m_size(other.m_size), m_fd(other.m_fd)
{
    other.m_data = nullptr;
    other.m_size = 0;
    other.m_fd = -1;
}

MappedFile &MappedFile::operator=(MappedFile &&other) noexcept
{
    if (this != &other) {
        this->~MappedFile();
        new (this) MappedFile(std::move(other));
    }
    return *this;
}

MappedFile::~MappedFile()
{
    if (m_data)
        ::munmap(const_cast<std::byte *>(m_data), m_size);
    if (m_fd >= 0)
        ::close(m_fd);
}

Result<QByteArray> MappedFile::readAt(std::uint64_t offset, std::uint64_t length, const QString &path) const
{
    QByteArray buffer;
    buffer.resize(qsizetype(length));
    std::uint64_t done = 0;
    while (done < length) {
        const ssize_t n = ::pread(m_fd, buffer.data() + done, length - done, off_t(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return makeError(path, QStringLiteral("read error: ") + systemErrorString(errno));
        }
        if (n == 0)
            return makeError(path, QStringLiteral("the file became shorter while being read"));
        done += std::uint64_t(n);
    }
    return buffer;
}

void MappedFile::adviseSequential(std::span<const std::byte> range) const
{
    if (range.empty())
        return;
    // madvise wants page-aligned starts.
    const auto page = std::uintptr_t(::sysconf(_SC_PAGESIZE));
    const auto start = reinterpret_cast<std::uintptr_t>(range.data()) & ~(page - 1);
    const auto end = reinterpret_cast<std::uintptr_t>(range.data() + range.size());
    ::madvise(reinterpret_cast<void *>(start), end - start, MADV_SEQUENTIAL);
    ::madvise(reinterpret_cast<void *>(start), end - start, MADV_WILLNEED);
}

} // namespace tantra
