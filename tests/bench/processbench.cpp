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

// Runs argv once; ok when it exits with 0.
ProcessRun runOnce(const std::vector<std::string> &argv)
{
    std::vector<char *> args;
    for (const auto &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    ProcessRun run;
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
    run.ok = waited == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return run;
}

struct Contender
{
    const char *label;
    std::vector<std::string> argv;
    ProcessRun best;
};

// Every contender once per round, in turn, `runs` rounds; each keeps its fastest run. Taking
// turns spreads other programs' load over all of them alike.
void race(std::vector<Contender> &contenders, int runs)
{
    for (int round = 0; round < runs; ++round) {
        for (auto &c : contenders) {
            const ProcessRun r = runOnce(c.argv);
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

} // namespace

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
