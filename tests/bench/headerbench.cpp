// Parsing and opening headers of 100,000 and 1,000,000 tensors.

#include "benchdata.h"
#include "benchreport.h"
#include "benchsections.h"

#include "safetensorsfile.h"
#include "safetensorswriter.h"

#include <QFile>

#include <cstdio>

namespace tantra {

namespace {

// Names and shapes like a transformer's, short enough that a million entries stay under
// the format's 100 MB header limit.
std::vector<TensorSpec> makeSpecs(int count)
{
    static const char *const parts[] = {"attn.q", "attn.k", "attn.v", "attn.o", "mlp.up", "mlp.gate", "mlp.down", "norm"};
    std::vector<TensorSpec> specs;
    specs.reserve(std::size_t(count));
    for (int i = 0; i < count; ++i) {
        TensorSpec s;
        s.name = "layers." + std::to_string(i / 8) + "." + parts[i % 8];
        if (i % 8 == 7) {
            s.dtype = Dtype::F32;
            s.shape = {128};
        } else {
            s.dtype = Dtype::BF16;
            s.shape = {64, 128};
        }
        specs.push_back(std::move(s));
    }
    return specs;
}

} // namespace

void runHeaderBench(const BenchOptions &o, BenchReport &report)
{
    std::printf("\n[3] Header parse and open (best of %d, wall time; the CPU time is that run's)\n", std::max(o.runs, 5));
    for (const int count : {100'000, 1'000'000}) {
        auto layout = layoutHeader(makeSpecs(count), {{"format", "pt"}});
        if (!layout) {
            std::fprintf(stderr, "%s\n", qPrintable(layout.errorString()));
            return;
        }
        const std::uint64_t fileSize = std::uint64_t(layout->bytes.size()) + layout->dataSize;
        const auto head = std::as_bytes(std::span(layout->bytes.constData(), std::size_t(layout->bytes.size())));
        bool ok = true;
        const Timing tParse = bestOfWithCpu(std::max(o.runs, 5), [&] {
            auto parsed = parseSafetensorsHeader(head, fileSize);
            const auto *h = std::get_if<SafetensorsHeader>(&parsed);
            ok = ok && h && h->tensors.size() == std::size_t(count);
        });

        const QString path = o.dir + QStringLiteral("/header-%1.safetensors").arg(count);
        auto written = writeSparseSafetensors(path, makeSpecs(count), {{"format", "pt"}});
        if (!written) {
            std::fprintf(stderr, "%s\n", qPrintable(written.errorString()));
            return;
        }
        const Timing tOpen = bestOfWithCpu(std::max(o.runs, 5), [&] {
            auto file = SafetensorsFile::open(path);
            ok = ok && file && (*file)->tensors().size() == std::size_t(count);
        });
        QFile::remove(path);
        if (!ok)
            std::fprintf(stderr, "the header of %d tensors did not parse\n", count);

        const double limit = count == 100'000 ? 0.050 : 1.0;
        const char *target = count == 100'000 ? "< 50 ms" : "< 1 s";
        const double mb = double(layout->bytes.size()) / 1e6;
        report.add({format("Header parse, %dk tensors (%.1f MB)", count / 1000, mb), format("%.1f ms", tParse.wall * 1e3),
                    format("CPU time %.1f ms", tParse.cpu * 1e3), target, ok && tParse.wall < limit});
        report.add({format("SafetensorsFile::open, %dk tensors", count / 1000), format("%.1f ms", tOpen.wall * 1e3),
                    format("CPU time %.1f ms", tOpen.cpu * 1e3), target, ok && tOpen.wall < limit});
    }
}

} // namespace tantra
