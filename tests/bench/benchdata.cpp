#include "benchdata.h"

#include "regularfile.h"
#include "safetensorswriter.h"

#include <QFile>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <fcntl.h>
#include <memory>
#include <unistd.h>
#include <vector>

namespace tantra {

namespace {

struct XorShift
{
    std::uint64_t s;
    std::uint64_t next()
    {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
};

// Sum of four uniforms (Irwin-Hall): cheap, bell-shaped, like trained weights.
float weight(XorShift &rng)
{
    const std::uint64_t r = rng.next();
    const double sum = double(r & 0xffff) + double((r >> 16) & 0xffff) + double((r >> 32) & 0xffff) + double(r >> 48);
    return float((sum / 65536.0 - 2.0) / 0.57735 * 0.02);
}

std::uint16_t toHalf(float f)
{
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    const int exp = int((x >> 23) & 0xff) - 127 + 15;
    std::uint32_t mant = x & 0x7fffffu;
    if (exp >= 31)
        return std::uint16_t(sign | 0x7c00u);
    if (exp <= 0) {
        if (exp < -10)
            return std::uint16_t(sign);
        mant |= 0x800000u;
        return std::uint16_t(sign | (mant >> (14 - exp)));
    }
    return std::uint16_t(sign | (std::uint32_t(exp) << 10) | (mant >> 13));
}

// Writes `prefix`, then `size` bytes made by fill(buffer, n) in pieces whose sizes are
// multiples of 4 bytes but the last.
template<typename Fill>
QString writeGenerated(const QString &path, std::uint64_t size, Fill &&fill, const QByteArray &prefix = {})
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return path + QStringLiteral(": cannot create: ") + systemErrorString(errno);
    constexpr std::size_t kBuffer = std::size_t(4) << 20;
    std::vector<std::byte> buffer(kBuffer + std::size_t(prefix.size()));
    std::uint64_t done = 0;
    bool first = true;
    while (done < size || first) {
        std::size_t n = std::size_t(std::min<std::uint64_t>(kBuffer, size - done));
        fill(buffer.data(), n);
        done += n;
        if (first) {
            // The prefix goes out in the first write; its bytes are not part of `size`.
            first = false;
            std::memmove(buffer.data() + prefix.size(), buffer.data(), n);
            std::memcpy(buffer.data(), prefix.constData(), std::size_t(prefix.size()));
            n += std::size_t(prefix.size());
        }
        std::size_t written = 0;
        while (written < n) {
            const ssize_t w = ::write(fd, buffer.data() + written, n - written);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                const int err = errno;
                ::close(fd);
                return path + QStringLiteral(": write failed: ") + systemErrorString(err);
            }
            written += std::size_t(w);
        }
    }
    ::fdatasync(fd);
    ::close(fd);
    return {};
}

std::uint64_t statusField(const char *field)
{
    FILE *f = std::fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    std::uint64_t value = 0;
    const std::size_t len = std::strlen(field);
    while (std::fgets(line, sizeof line, f)) {
        if (std::strncmp(line, field, len) == 0) {
            value = std::strtoull(line + len, nullptr, 10);
            break;
        }
    }
    std::fclose(f);
    return value;
}

} // namespace

QString writeRandomFile(const QString &path, std::uint64_t size, std::uint64_t seed)
{
    XorShift rng{seed | 1};
    return writeGenerated(path, size, [&](std::byte *p, std::size_t n) {
        for (std::size_t i = 0; i + 8 <= n; i += 8) {
            const std::uint64_t r = rng.next();
            std::memcpy(p + i, &r, 8);
        }
    });
}

QString writeWeightsFile(const QString &path, Dtype dtype, std::uint64_t size, std::uint64_t seed)
{
    XorShift rng{seed | 1};
    return writeGenerated(path, size, [&](std::byte *p, std::size_t n) {
        if (dtype == Dtype::F32) {
            for (std::size_t i = 0; i + 4 <= n; i += 4) {
                const float v = weight(rng);
                std::memcpy(p + i, &v, 4);
            }
            return;
        }
        for (std::size_t i = 0; i + 2 <= n; i += 2) {
            const float v = weight(rng);
            const std::uint16_t h = dtype == Dtype::BF16 ? std::uint16_t(std::bit_cast<std::uint32_t>(v) >> 16) : toHalf(v);
            std::memcpy(p + i, &h, 2);
        }
    });
}

QString writeWeightsSafetensors(const QString &path, Dtype dtype, std::uint64_t size, std::uint64_t seed, bool sparse)
{
    const std::uint64_t width = std::uint64_t(dtypeBits(dtype) / 8);
    std::vector<TensorSpec> specs{{"weight", dtype, {size / width / 1024, 1024}}};
    Metadata metadata;
    if (sparse) {
        specs.push_back({"bias", Dtype::F32, {1024}});
        metadata = {{"format", "pt"}, {"note", "N(1,9) with one value in a million NaN, +Inf, -Inf or zero"}};
    }
    auto layout = layoutHeader(specs, metadata);
    if (!layout)
        return layout.errorString();
    XorShift rng{seed | 1};
    const auto value = [&](std::uint64_t i) {
        const float w = weight(rng);
        if (!sparse)
            return w;
        if (i % 1000000 == 999999) {
            constexpr float kSpecial[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                                          -std::numeric_limits<float>::infinity(), 0.0f};
            return kSpecial[(i / 1000000) % 4];
        }
        return 1.0f + w * 150.0f; // sd 0.02 * 150 = 3
    };
    // Tensors lie in data order; every one but "weight" is small and goes out with the header.
    QByteArray prefix = layout->bytes;
    std::uint64_t index = 0;
    for (const TensorInfo &t : layout->tensors) {
        if (t.name == "weight")
            break;
        for (std::uint64_t i = 0; i < t.byteSize() / 4; ++i) {
            const float v = value(index++);
            prefix.append(reinterpret_cast<const char *>(&v), 4);
        }
    }
    const bool weightLast = layout->tensors.back().name == "weight";
    if (!weightLast)
        return QStringLiteral("writeWeightsSafetensors: the weight must be the last tensor");
    return writeGenerated(
            path, size,
            [&](std::byte *p, std::size_t n) {
                if (dtype == Dtype::F32) {
                    for (std::size_t i = 0; i + 4 <= n; i += 4) {
                        const float v = value(index++);
                        std::memcpy(p + i, &v, 4);
                    }
                    return;
                }
                for (std::size_t i = 0; i + 2 <= n; i += 2) {
                    const float v = weight(rng);
                    const std::uint16_t h = dtype == Dtype::BF16 ? std::uint16_t(std::bit_cast<std::uint32_t>(v) >> 16) : toHalf(v);
                    std::memcpy(p + i, &h, 2);
                }
            },
            prefix);
}

std::uint64_t peakRssKiB()
{
    return statusField("VmHWM:");
}

std::uint64_t currentRssKiB()
{
    return statusField("VmRSS:");
}

} // namespace tantra
