#pragma once

#include "result.h"

#include <QString>

#include <cstddef>
#include <cstdint>
#include <span>

namespace tantra {

// A read-only memory mapping of a whole file. Mapping costs address space, not memory: pages
// are read on first touch, so a 100 GB file maps instantly and only what is read is resident.
class MappedFile
{
public:
    static Result<MappedFile> open(const QString &path);

    MappedFile() = default;
    MappedFile(MappedFile &&other) noexcept;
    MappedFile &operator=(MappedFile &&other) noexcept;
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;
    ~MappedFile();

    std::span<const std::byte> bytes() const { return {m_data, m_size}; }
    std::uint64_t size() const { return m_size; }
    // The open descriptor behind the mapping, for preads (StreamReader); -1 when closed.
    int fd() const { return m_fd; }

    // Reads [offset, offset+length) with pread rather than through the mapping, so a file
    // truncated behind our back yields an error instead of SIGBUS. Used for the header.
    Result<QByteArray> readAt(std::uint64_t offset, std::uint64_t length, const QString &path) const;

    // Hints to the kernel that a range will be read sequentially soon (statistics, hashing).
    void adviseSequential(std::span<const std::byte> range) const;

private:
    const std::byte *m_data = nullptr;
    std::uint64_t m_size = 0;
    int m_fd = -1;
};

} // namespace tantra
