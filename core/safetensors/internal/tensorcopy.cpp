#include "tensorcopy.h"

#include "atomicfilewriter.h"
#include "jobcontext.h"
#include "safetensorsfile.h"
#include "streamreader.h"

#include <algorithm>
#include <span>

namespace tantra {

namespace {

constexpr std::size_t kCopyBytes = std::size_t(4) << 20;

} // namespace

Result<bool> copyTensorBytes(const StreamReader &reader, std::string_view tensorName, std::uint64_t size,
                             AtomicFileWriter &file, std::vector<std::byte> &buffer, JobContext *job)
{
    buffer.resize(std::max(buffer.size(), std::size_t(std::min<std::uint64_t>(kCopyBytes, size))));
    for (std::uint64_t at = 0; at < size;) {
        if (job && job->isCanceled())
            return false;
        const std::size_t n = std::size_t(std::min<std::uint64_t>(kCopyBytes, size - at));
        if (auto read = reader.readInto(at, std::span<std::byte>(buffer.data(), n)); !read)
            return makeError(QStringLiteral("tensor %1: %2").arg(quoteName(tensorName), read.errorString()));
        if (auto written = file.write(buffer.data(), n); !written)
            return written.error();
        if (job)
            job->advance(n);
        at += n;
    }
    return true;
}

} // namespace tantra
