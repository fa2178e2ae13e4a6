// computeStats on weights-like F32, BF16 and F16 data against the speed of merely reading
// the same bytes: a multi-threaded sum over the same kind of mapping, on the same pool.

#include "benchdata.h"
#include "benchreport.h"
#include "benchsections.h"

#include "computepool.h"
#include "mappedfile.h"
#include "tensorstats.h"

#include <QFile>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

namespace tantra {

namespace {

__attribute__((target_clones("avx2", "default"))) std::uint64_t sumWords(const std::byte *p, std::size_t bytes)
{
    std::uint64_t s[8] = {};
    std::size_t i = 0;
    for (; i + 64 <= bytes; i += 64) {
        std::uint64_t w[8];
        std::memcpy(w, p + i, 64);
        for (int k = 0; k < 8; ++k)
            s[k] += w[k];
    }
    for (; i < bytes; ++i)
        s[0] += std::to_integer<std::uint64_t>(p[i]);
    return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

// The same split as a plain parallel loop would make: one chunk per pool thread.
std::uint64_t plainRead(std::span<const std::byte> data, QThreadPool *pool)
{
    const std::size_t threads = std::size_t(std::max(1, pool->maxThreadCount()));
    const std::size_t chunk = (data.size() + threads - 1) / threads;
    std::vector<QFuture<std::uint64_t>> futures;
    for (std::size_t at = 0; at < data.size(); at += chunk) {
        const auto part = data.subspan(at, std::min(chunk, data.size() - at));
        futures.push_back(QtConcurrent::run(pool, [part] { return sumWords(part.data(), part.size()); }));
    }
    std::uint64_t sum = 0;
    for (auto &f : futures)
        sum += f.result();
    return sum;
}

} // namespace

void runStatsBench(const BenchOptions &o, BenchReport &report)
{
    QThreadPool *pool = computePool(); // what computeStats uses by default
    std::printf("\n[2] Statistics over %.2f GiB per dtype (best of %d, page cache warm, %d pool threads;\n"
                "    each run maps the file afresh, so both sides pay for the page tables)\n",
                double(o.size) / double(1 << 30), o.runs, pool->maxThreadCount());
    const std::pair<Dtype, const char *> types[] = {{Dtype::F32, "f32"}, {Dtype::BF16, "bf16"}, {Dtype::F16, "f16"}};
    for (const auto &[dtype, name] : types) {
        const QString path = o.dir + QStringLiteral("/stats-%1.bin").arg(QLatin1String(name));
        const QString error = writeWeightsFile(path, dtype, o.size, 7);
        if (!error.isEmpty()) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return;
        }
        // The plain read and the statistics take turns; the best run of each counts.
        std::uint64_t sink = 0;
        TensorStats stats;
        bool ok = true;
        double tRead = 1e300;
        double tStats = 1e300;
        for (int run = 0; run < o.runs; ++run) {
            tRead = std::min(tRead, bestOf(1, [&] {
                auto map = MappedFile::open(path);
                if (map)
                    sink += plainRead(map->bytes(), pool);
            }));
            tStats = std::min(tStats, bestOf(1, [&] {
                auto map = MappedFile::open(path);
                if (!map) {
                    ok = false;
                    return;
                }
                auto r = computeStats(dtype, map->bytes(), nullptr, pool);
                ok = ok && r.ok();
                if (r)
                    stats = *r;
            }));
        }
        const double gb = double(o.size) / 1e9;
        const std::uint64_t expected = o.size / std::uint64_t(dtypeBits(dtype) / 8);
        ok = ok && stats.values == expected && stats.finite == expected;
        if (!ok)
            std::fprintf(stderr, "%s: statistics failed or counted %llu values, not %llu\n", name,
                         static_cast<unsigned long long>(stats.values), static_cast<unsigned long long>(expected));
        std::printf("    %s: mean %.3g, std %.3g, min %.3g, max %.3g (read checksum %llx)\n", name, stats.mean,
                    stats.std, stats.min, stats.max, static_cast<unsigned long long>(sink));
        const double speed = gb / tStats;
        const double readSpeed = gb / tRead;
        report.add({format("Statistics, %s", name), format("%.2f GB/s = %.0f%%", speed, 100 * speed / readSpeed),
                    format("plain read %.2f GB/s", readSpeed), ">= 50% of read (aim 5 GB/s)",
                    ok && speed >= 0.5 * readSpeed});
        QFile::remove(path);
    }
}

} // namespace tantra
