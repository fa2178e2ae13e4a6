// Opening a 1 TiB file (sparse: a header and a hole) in a fresh process, for its time and
// its peak memory.

#include "benchdata.h"
#include "benchreport.h"
#include "benchsections.h"

#include "safetensorsfile.h"
#include "safetensorswriter.h"

#include <QFile>
#include <QProcess>

#include <cstdio>

namespace tantra {

int runOpenChild(const QString &path)
{
    const std::uint64_t before = currentRssKiB();
    const double start = now();
    auto file = SafetensorsFile::open(path);
    const double seconds = now() - start;
    if (!file) {
        std::fprintf(stderr, "%s\n", qPrintable(file.errorString()));
        return 1;
    }
    std::printf("%.6f %llu %llu %zu\n", seconds, static_cast<unsigned long long>(peakRssKiB()),
                static_cast<unsigned long long>(before), (*file)->tensors().size());
    return 0;
}

void runSparseBench(const BenchOptions &o, BenchReport &report)
{
    std::printf("\n[4] Open a 1 TiB sparse file in a fresh process (best time of %d, highest peak RSS)\n",
                std::max(o.runs, 3));
    // 4,096 BF16 tensors of 16384 x 8192: 256 MiB each, 1 TiB in all.
    std::vector<TensorSpec> specs;
    for (int i = 0; i < 4096; ++i)
        specs.push_back({"layers." + std::to_string(i / 8) + ".w" + std::to_string(i % 8), Dtype::BF16, {16384, 8192}});
    const QString path = o.dir + QStringLiteral("/sparse-1tib.safetensors");
    auto written = writeSparseSafetensors(path, specs);
    if (!written) {
        std::fprintf(stderr, "%s\n", qPrintable(written.errorString()));
        return;
    }
    double best = 1e300;
    std::uint64_t peak = 0;
    std::uint64_t base = 0;
    bool ok = true;
    for (int i = 0; i < std::max(o.runs, 3); ++i) {
        QProcess child;
        child.start(o.self, {QStringLiteral("--open-child"), path});
        if (!child.waitForFinished(-1) || child.exitCode() != 0) {
            std::fprintf(stderr, "the child failed: %s\n", child.readAllStandardError().constData());
            ok = false;
            break;
        }
        double seconds = 0;
        unsigned long long hwm = 0;
        unsigned long long before = 0;
        std::size_t tensors = 0;
        if (std::sscanf(child.readAllStandardOutput().constData(), "%lf %llu %llu %zu", &seconds, &hwm, &before,
                        &tensors) != 4
            || tensors != specs.size()) {
            ok = false;
            break;
        }
        best = std::min(best, seconds);
        peak = std::max<std::uint64_t>(peak, hwm);
        base = std::max<std::uint64_t>(base, before);
    }
    QFile::remove(path);
    report.add({"Open 1 TiB sparse file (4096 tensors)", format("%.2f ms", best * 1e3), "", "< 1 s", ok && best < 1.0});
    report.add({"Peak RSS of the process that opened it", format("%.1f MB", double(peak) * 1024 / 1e6),
                format("%.1f MB before the open", double(base) * 1024 / 1e6), "< 100 MB", ok && double(peak) * 1024 < 100e6});
}

} // namespace tantra
