// Whole processes, timed as a user runs them: `tantra-model-manager inspect --stats --json` and
// `checksum` on 1 GiB files in the page cache, beside `cat FILE > /dev/null`, openssl and
// sha256sum on the same files. Each command is forked and exec'd with its output going to
// /dev/null; wall time from fork to reaping, peak RSS from the child's rusage.

#include "benchdata.h"
#include "benchreport.h"
#include "benchsections.h"

#include <QFile>
#include <QFileInfo>
#include <QStringList>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace tantra {

namespace {

struct ProcessRun
{
    double seconds = 1e300;
    std::uint64_t peakKiB = 0; // of the best run
    double cpu = 0;            // user + system seconds of the best run: what load cannot inflate much
    bool ok = false;
};

// Runs argv once; ok when it exits with `expectedExit`.
ProcessRun runOnce(const std::vector<std::string> &argv, int expectedExit = 0)
{
    std::vector<char *> args;
    for (const auto &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    ProcessRun run;
    // Untimed: write out what earlier runs left dirty. Otherwise each run pays for the one
    // before it (a cp leaves 1 GiB for the kernel to write back, and the next process's
    // writes and its fdatasync queue behind it: a conversion after cp took 1.17 s, after
    // cp and sync 0.74-0.85 s).
    ::sync();
    const double start = now();
    const pid_t pid = ::fork();
    if (pid < 0)
        return run;
    if (pid == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0)
            ::dup2(null, STDOUT_FILENO);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    rusage usage{};
    pid_t waited;
    do
        waited = ::wait4(pid, &status, 0, &usage);
    while (waited < 0 && errno == EINTR);
    run.seconds = now() - start;
    run.peakKiB = std::uint64_t(usage.ru_maxrss);
    run.cpu = double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + 1e-6 * double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
    run.ok = waited == pid && WIFEXITED(status) && WEXITSTATUS(status) == expectedExit;
    return run;
}

struct Contender
{
    const char *label;
    std::vector<std::string> argv;
    ProcessRun best;
    int expectedExit = 0; // diff and cmp exit with 1 when the files differ
    // Removed (untimed) before each run, so that a run writes a new file as a user's would,
    // instead of paying for the previous run's output (cp truncating 1 GiB took 0.3 s).
    std::string output = {};
};

// Every contender once per round, in turn, `runs` rounds; each keeps its fastest run. Taking
// turns spreads other programs' load over all of them alike.
void race(std::vector<Contender> &contenders, int runs)
{
    for (int round = 0; round < runs; ++round) {
        for (auto &c : contenders) {
            if (!c.output.empty())
                ::unlink(c.output.c_str());
            const ProcessRun r = runOnce(c.argv, c.expectedExit);
            if (!r.ok) {
                std::fprintf(stderr, "    %s failed\n", c.label);
                c.best.ok = false;
                c.best.seconds = 1e300;
                continue;
            }
            if (round == 0 || (c.best.ok && r.seconds < c.best.seconds))
                c.best = r;
        }
    }
}

void printRace(const std::vector<Contender> &contenders, double reference)
{
    for (const auto &c : contenders)
        std::printf("    %-46s %7.3f s  %5.2fx  CPU %6.3f s  peak RSS %7.1f MB\n", c.label, c.best.seconds,
                    c.best.seconds / reference, c.best.cpu, double(c.best.peakKiB) * 1024 / 1e6);
}

std::string str(const QString &s)
{
    return QFile::encodeName(s).toStdString();
}

// The five numbers of the comparison as a numpy user computes them: float64 difference, its
// abs max and mean, both norms and the dot product (and the norm of the difference for
// rel_l2). In 16 Mi-element chunks of a memory map: the whole tensor in float64 at once
// would need 8 GiB for a, b, a-b and |a-b|, and runs no faster.
const char kNumpyCompare[] = R"(import json, sys
import numpy as np

def tensors(path):
    with open(path, 'rb') as f:
        n = int.from_bytes(f.read(8), 'little')
        header = json.loads(f.read(n))
    header.pop('__metadata__', None)
    return 8 + n, header, np.memmap(path, dtype=np.uint8, mode='r')

oa, ta, ma = tensors(sys.argv[1])
ob, tb, mb = tensors(sys.argv[2])
out = {}
chunk = 1 << 24
for name, t in ta.items():
    sa, ea = t['data_offsets']
    sb, eb = tb[name]['data_offsets']
    a32 = ma[oa + sa:oa + ea].view(np.float32)
    b32 = mb[ob + sb:ob + eb].view(np.float32)
    mx = s = d2 = a2 = b2 = dot = 0.0
    for i in range(0, a32.size, chunk):
        a = a32[i:i + chunk].astype(np.float64)
        b = b32[i:i + chunk].astype(np.float64)
        d = a - b
        ad = np.abs(d)
        mx = max(mx, float(ad.max()))
        s += float(ad.sum())
        d2 += float(d @ d)
        a2 += float(a @ a)
        b2 += float(b @ b)
        dot += float(a @ b)
    out[name] = {'max_abs_diff': mx, 'mean_abs_diff': s / a32.size, 'rel_l2': d2 ** 0.5 / a2 ** 0.5,
                 'cosine': dot / (a2 ** 0.5 * b2 ** 0.5)}
json.dump(out, sys.stdout)
)";

// A copy of `from` at `to` in which one F32 value in every 10,000 of the data section has a
// mantissa bit flipped (a relative change of about 1e-4). Returns an error text, or empty.
QString writeChangedCopy(const QString &from, const QString &to)
{
    QFile::remove(to);
    if (!QFile::copy(from, to))
        return QStringLiteral("cannot copy %1 to %2").arg(from, to);
    QFile f(to);
    if (!f.open(QIODevice::ReadWrite))
        return to + QStringLiteral(": ") + f.errorString();
    std::uint64_t headerLength = 0;
    if (f.read(reinterpret_cast<char *>(&headerLength), 8) != 8)
        return to + QStringLiteral(": cannot read the header length");
    const qint64 data = 8 + qint64(headerLength);
    const qint64 values = (f.size() - data) / 4;
    for (qint64 i = 5000; i < values; i += 10000) {
        std::uint32_t v = 0;
        if (!f.seek(data + 4 * i) || f.read(reinterpret_cast<char *>(&v), 4) != 4)
            return to + QStringLiteral(": read failed");
        v ^= 0x400;
        if (!f.seek(data + 4 * i) || f.write(reinterpret_cast<const char *>(&v), 4) != 4)
            return to + QStringLiteral(": ") + f.errorString();
    }
    return {};
}

} // namespace

void runCompareBench(const BenchOptions &o, BenchReport &report)
{
    const QString &cli = o.cli;
    const int runs = std::max(o.runs, 3);
    std::printf("\n[6] diff --json on two %.2f GiB F32 files in the page cache (best of %d), beside numpy (chunked, float64)\n"
                "    on files differing in 1 of 10,000 values, and beside cmp on identical files\n",
                double(o.size) / double(1 << 30), runs);
    if (!QFileInfo(cli).isExecutable()) {
        std::fprintf(stderr, "    %s not found: build the tantra-model-manager target\n", qPrintable(cli));
        return;
    }
    const QString a = o.dir + QStringLiteral("/compare-a.safetensors");
    const QString b = o.dir + QStringLiteral("/compare-b.safetensors");
    const QString same = o.dir + QStringLiteral("/compare-same.safetensors");
    const QString script = o.dir + QStringLiteral("/compare.py");
    const auto cleanup = [&] {
        for (const QString &p : {a, b, same, script})
            QFile::remove(p);
    };
    QString error = writeWeightsSafetensors(a, Dtype::F32, o.size, 21);
    if (error.isEmpty())
        error = writeChangedCopy(a, b);
    if (error.isEmpty() && !QFile::copy(a, same))
        error = QStringLiteral("cannot copy %1 to %2").arg(a, same);
    QFile py(script);
    if (error.isEmpty() && (!py.open(QIODevice::WriteOnly) || py.write(kNumpyCompare) != qint64(sizeof kNumpyCompare - 1)))
        error = script + QStringLiteral(": cannot write");
    py.close();
    if (!error.isEmpty()) {
        std::fprintf(stderr, "    %s\n", qPrintable(error));
        cleanup();
        return;
    }

    // The first python3 with numpy: the one on PATH may be a pyenv or venv without it.
    std::string python;
    for (const char *candidate : {"python3", "/usr/bin/python3"}) {
        if (runOnce({candidate, "-c", "import numpy"}).ok) {
            python = candidate;
            break;
        }
    }
    const bool numpy = !python.empty();
    std::vector<Contender> changed{
            {"cat A B > /dev/null", {"cat", str(a), str(b)}, {}},
            {"diff --json A B", {str(cli), "diff", "--json", str(a), str(b)}, {}, 1},
    };
    if (numpy)
        changed.push_back({"python3 numpy (float64, 5 numbers)", {python, str(script), str(a), str(b)}, {}});
    else
        std::printf("    python3 with numpy not found (apt install python3-numpy): numpy not timed\n");
    if (!o.otherCli.isEmpty())
        changed.push_back({"diff --json A B (--other-cli)", {str(o.otherCli), "diff", "--json", str(a), str(b)}, {}, 1});
    race(changed, runs);
    std::printf("    1 in 10,000 values differ:\n");
    printRace(changed, changed[0].best.seconds);
    const ProcessRun &diffRun = changed[1].best;
    if (numpy) {
        const ProcessRun &npRun = changed[2].best;
        const double speedup = npRun.seconds / diffRun.seconds;
        report.add({"Whole process: diff --json, 1 in 10,000 differ", format("%.3f s = %.1fx faster than numpy", diffRun.seconds, speedup),
                    format("numpy %.3f s, cat %.3f s", npRun.seconds, changed[0].best.seconds), ">= 10x numpy",
                    diffRun.ok && npRun.ok && speedup >= 10});
    }
    report.add({"Peak RSS of diff, 1 in 10,000 differ", format("%.1f MB", double(diffRun.peakKiB) * 1024 / 1e6), "", "< 100 MB",
                diffRun.ok && double(diffRun.peakKiB) * 1024 < 100e6});

    std::vector<Contender> identical{
            {"cmp A A'", {"cmp", str(a), str(same)}, {}},
            {"diff --json A A'", {str(cli), "diff", "--json", str(a), str(same)}, {}},
    };
    if (!o.otherCli.isEmpty())
        identical.push_back({"diff --json A A' (--other-cli)", {str(o.otherCli), "diff", "--json", str(a), str(same)}, {}});
    race(identical, runs);
    std::printf("    identical files:\n");
    printRace(identical, identical[0].best.seconds);
    const double vsCmp = identical[1].best.seconds / identical[0].best.seconds;
    report.add({"Whole process: diff --json, identical files", format("%.3f s = %.2fx cmp", identical[1].best.seconds, vsCmp),
                format("cmp %.3f s", identical[0].best.seconds), "<= 1x cmp",
                identical[0].best.ok && identical[1].best.ok && vsCmp <= 1.0});
    report.add({"Peak RSS of diff, identical files", format("%.1f MB", double(identical[1].best.peakKiB) * 1024 / 1e6), "",
                "< 100 MB", identical[1].best.ok && double(identical[1].best.peakKiB) * 1024 < 100e6});
    cleanup();
}

void runConvertBench(const BenchOptions &o, BenchReport &report)
{
    const QString &cli = o.cli;
    const int runs = std::max(o.runs, 3);
    std::printf("\n[7] convert --dtype bf16 of a %.2f GiB F32 file in the page cache (best of %d), beside cp of the file\n"
                "    (the output is half the bytes; both write into the same folder)\n",
                double(o.size) / double(1 << 30), runs);
    if (!QFileInfo(cli).isExecutable()) {
        std::fprintf(stderr, "    %s not found: build the tantra-model-manager target\n", qPrintable(cli));
        return;
    }
    const QString a = o.dir + QStringLiteral("/convert-a.safetensors");
    const QString copy = o.dir + QStringLiteral("/convert-copy.safetensors");
    const QString out = o.dir + QStringLiteral("/convert-bf16.safetensors");
    const QString error = writeWeightsSafetensors(a, Dtype::F32, o.size, 31);
    if (!error.isEmpty()) {
        std::fprintf(stderr, "    %s\n", qPrintable(error));
        QFile::remove(a);
        return;
    }
    std::vector<Contender> contenders{
            {"cp A COPY", {"cp", str(a), str(copy)}, {}, 0, str(copy)},
            {"convert A --dtype bf16 --out OUT", {str(cli), "convert", str(a), "--dtype", "bf16", "--out", str(out)}, {}, 0, str(out)},
    };
    if (!o.otherCli.isEmpty())
        contenders.push_back({"convert (--other-cli)", {str(o.otherCli), "convert", str(a), "--dtype", "bf16", "--out", str(out)}, {}, 0, str(out)});
    race(contenders, runs);
    printRace(contenders, contenders[0].best.seconds);
    const ProcessRun &cp = contenders[0].best;
    const ProcessRun &convert = contenders[1].best;
    const double speed = cp.seconds / convert.seconds;
    report.add({"Whole process: convert F32 -> BF16", format("%.3f s = %.2fx cp's speed", convert.seconds, speed),
                format("cp %.3f s", cp.seconds), ">= 0.5x cp", cp.ok && convert.ok && speed >= 0.5});
    report.add({"Peak RSS of convert", format("%.1f MB", double(convert.peakKiB) * 1024 / 1e6), "", "< 100 MB",
                convert.ok && double(convert.peakKiB) * 1024 < 100e6});
    for (const QString &p : {a, copy, out})
        QFile::remove(p);
}

// 16 float32 tensors of size/16 bytes each, saved by torch.save (the zip format) as a state
// dict: what a Hugging Face pytorch_model.bin holds. Values are not random: only the layout
// and the byte count matter to a conversion, and filling 1 GiB with random numbers takes
// Python longer than the benchmark itself.
const char kTorchSave[] = R"(import sys
import torch
per = int(sys.argv[2]) // 16 // 4
sd = {f"layers.{i}.weight": torch.full((per // 1024, 1024), float(i)) for i in range(16)}
torch.save(sd, sys.argv[1])
)";

void runTorchConvertBench(const BenchOptions &o, BenchReport &report)
{
    const QString &cli = o.cli;
    const int runs = std::max(o.runs, 3);
    std::printf("\n[8] convert of a %.2f GiB float32 pytorch_model.bin (torch.save) to safetensors in the page cache (best of %d), "
                "beside cp of the file\n",
                double(o.size) / double(1 << 30), runs);
    if (!QFileInfo(cli).isExecutable()) {
        std::fprintf(stderr, "    %s not found: build the tantra-model-manager target\n", qPrintable(cli));
        return;
    }
    const QString bin = o.dir + QStringLiteral("/pytorch_model.bin");
    const QString copy = o.dir + QStringLiteral("/pytorch_model-copy.bin");
    const QString out = o.dir + QStringLiteral("/model.safetensors");
    const ProcessRun made = runOnce({"/usr/bin/python3", "-c", kTorchSave, str(bin), std::to_string(o.size)});
    if (!made.ok || !QFileInfo::exists(bin)) {
        std::fprintf(stderr, "    /usr/bin/python3 with torch could not write the checkpoint (apt-get install python3-torch): skipped\n");
        QFile::remove(bin);
        return;
    }
    std::printf("    written by torch.save in %.1f s: %lld bytes\n", made.seconds, static_cast<long long>(QFileInfo(bin).size()));
    // `--out` writes as cp does: atomically, not flushed (AtomicFileWriter's NotFlushed).
    std::vector<Contender> contenders{
            {"cp BIN COPY", {"cp", str(bin), str(copy)}, {}, 0, str(copy)},
            {"convert BIN --out OUT", {str(cli), "convert", str(bin), "--out", str(out)}, {}, 0, str(out)},
    };
    if (!o.otherCli.isEmpty())
        contenders.push_back({"convert (--other-cli)", {str(o.otherCli), "convert", str(bin), "--out", str(out)}, {}, 0, str(out)});
    race(contenders, runs);
    printRace(contenders, contenders[0].best.seconds);
    const ProcessRun &cp = contenders[0].best;
    const ProcessRun &convert = contenders[1].best;
    const double speed = cp.seconds / convert.seconds;
    report.add({"Whole process: convert pytorch_model.bin", format("%.3f s = %.2fx cp's speed", convert.seconds, speed),
                format("cp %.3f s", cp.seconds), ">= 0.5x cp", cp.ok && convert.ok && speed >= 0.5});
    report.add({"Peak RSS of convert pytorch_model.bin", format("%.1f MB", double(convert.peakKiB) * 1024 / 1e6), "", "< 100 MB",
                convert.ok && double(convert.peakKiB) * 1024 < 100e6});
    for (const QString &p : {bin, copy, out})
        QFile::remove(p);
}

void runProcessBench(const BenchOptions &o, BenchReport &report)
{
    const QString &cli = o.cli;
    std::printf("\n[5] Whole processes on %.2f GiB files in the page cache (best of %d; wall time from fork to exit,\n"
                "    CPU (user + system) and peak RSS from the child's rusage; x = wall time over cat's on the same file)\n",
                double(o.size) / double(1 << 30), std::max(o.runs, 3));
    if (!QFileInfo(cli).isExecutable()) {
        std::fprintf(stderr, "    %s not found: build the tantra-model-manager target\n", qPrintable(cli));
        return;
    }
    const int runs = std::max(o.runs, 3);
    struct Case
    {
        const char *name;
        Dtype dtype;
        bool sparse;
    };
    const Case cases[] = {{"f32", Dtype::F32, false},
                          {"bf16", Dtype::BF16, false},
                          {"f16", Dtype::F16, false},
                          {"f32 N(1,9), 1e-6 NaN/Inf/0", Dtype::F32, true}};
    QStringList written;
    QString firstF32;
    QString secondFile;
    for (const Case &c : cases) {
        const QString path = o.dir + QStringLiteral("/process-%1%2.safetensors")
                                             .arg(QLatin1String(dtypeName(c.dtype)), c.sparse ? QStringLiteral("-sparse") : QString());
        const QString error = writeWeightsSafetensors(path, c.dtype, o.size, 11, c.sparse);
        if (!error.isEmpty()) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            for (const QString &p : written)
                QFile::remove(p);
            return;
        }
        std::vector<Contender> contenders{
                {"cat FILE > /dev/null", {"cat", str(path)}, {}},
                {"inspect --stats --json", {str(cli), "inspect", "--stats", "--json", str(path)}, {}},
        };
        if (!o.otherCli.isEmpty())
            contenders.push_back({"inspect --stats --json (--other-cli)", {str(o.otherCli), "inspect", "--stats", "--json", str(path)}, {}});
        race(contenders, runs);
        std::printf("    %s:\n", c.name);
        printRace(contenders, contenders[0].best.seconds);
        const double ratio = contenders[1].best.seconds / contenders[0].best.seconds;
        const double peakMB = double(contenders[1].best.peakKiB) * 1024 / 1e6;
        const bool ok = contenders[0].best.ok && contenders[1].best.ok;
        report.add({format("Whole process: inspect --stats, %s", c.name), format("%.3f s = %.2fx cat", contenders[1].best.seconds, ratio),
                    format("cat %.3f s", contenders[0].best.seconds), "<= 2x cat", ok && ratio <= 2.0});
        report.add({format("Peak RSS of inspect --stats, %s", c.name), format("%.1f MB", peakMB), "", "< 100 MB",
                    ok && peakMB < 100});
        written << path;
        if (c.dtype == Dtype::F32 && !c.sparse)
            firstF32 = path;
        else if (c.dtype == Dtype::BF16)
            secondFile = path;
    }

    // SHA-256 of one file and of two (two different files of the same size class).
    {
        std::vector<Contender> one{
                {"cat FILE > /dev/null", {"cat", str(firstF32)}, {}},
                {"openssl dgst -sha256 FILE", {"openssl", "dgst", "-sha256", str(firstF32)}, {}},
                {"sha256sum FILE", {"sha256sum", str(firstF32)}, {}},
                {"checksum FILE", {str(cli), "checksum", str(firstF32)}, {}},
        };
        if (!o.otherCli.isEmpty())
            one.push_back({"checksum FILE (--other-cli)", {str(o.otherCli), "checksum", str(firstF32)}, {}});
        race(one, runs);
        std::printf("    SHA-256, one file:\n");
        printRace(one, one[0].best.seconds);
        const double vsOpenssl = one[1].best.seconds / one[3].best.seconds;
        report.add({"Whole process: checksum, one file", format("%.3f s = %.2fx openssl", one[3].best.seconds, vsOpenssl),
                    format("openssl %.3f s, cat %.3f s", one[1].best.seconds, one[0].best.seconds), ">= 0.95x openssl",
                    one[3].best.ok && one[1].best.ok && vsOpenssl >= 0.95});
        report.add({"Peak RSS of checksum, one file", format("%.1f MB", double(one[3].best.peakKiB) * 1024 / 1e6), "",
                    "< 100 MB", one[3].best.ok && double(one[3].best.peakKiB) * 1024 < 100e6});

        std::vector<Contender> two{
                {"cat FILE1 FILE2 > /dev/null", {"cat", str(firstF32), str(secondFile)}, {}},
                {"openssl dgst -sha256 FILE1 FILE2", {"openssl", "dgst", "-sha256", str(firstF32), str(secondFile)}, {}},
                {"checksum FILE1 FILE2", {str(cli), "checksum", str(firstF32), str(secondFile)}, {}},
        };
        if (!o.otherCli.isEmpty())
            two.push_back({"checksum FILE1 FILE2 (--other-cli)", {str(o.otherCli), "checksum", str(firstF32), str(secondFile)}, {}});
        race(two, runs);
        std::printf("    SHA-256, two files (%.2f GiB in all):\n", double(QFileInfo(firstF32).size() + QFileInfo(secondFile).size()) / double(1 << 30));
        printRace(two, two[0].best.seconds);
        const double vsOpenssl2 = two[1].best.seconds / two[2].best.seconds;
        report.add({"Whole process: checksum, two files", format("%.3f s = %.2fx openssl", two[2].best.seconds, vsOpenssl2),
                    format("openssl (one process, in turn) %.3f s", two[1].best.seconds), ">= 1.8x openssl",
                    two[2].best.ok && two[1].best.ok && vsOpenssl2 >= 1.8});
        report.add({"Peak RSS of checksum, two files", format("%.1f MB", double(two[2].best.peakKiB) * 1024 / 1e6), "",
                    "< 100 MB", two[2].best.ok && double(two[2].best.peakKiB) * 1024 < 100e6});
    }
    for (const QString &p : written)
        QFile::remove(p);
}

} // namespace tantra
