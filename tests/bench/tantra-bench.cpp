// tantra-bench: measures the engine's hot paths against references and targets and prints a
// table. It makes its own data (several GiB with the default size) and deletes it after.
//   build/release/bin/tantra-bench [--size-mib 1024] [--runs 2] [--dir PATH] [--skip-sha] ...

#include "benchreport.h"
#include "benchsections.h"

#include "computepool.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThreadPool>

#include "benchdata.h"

#include <algorithm>
#include <cstdio>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

using namespace tantra;

namespace {

std::string cpuModel()
{
    QFile f(QStringLiteral("/proc/cpuinfo"));
    if (!f.open(QIODevice::ReadOnly))
        return "unknown CPU";
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("model name"))
            return line.mid(line.indexOf(':') + 1).trimmed().toStdString();
    }
    return "unknown CPU";
}

std::string opensslVersion()
{
    QProcess p;
    p.start(QStringLiteral("openssl"), {QStringLiteral("version")});
    if (!p.waitForFinished() || p.exitCode() != 0)
        return "openssl not found";
    return p.readAllStandardOutput().trimmed().toStdString();
}

// CPU seconds the whole machine has been busy, from /proc/stat.
double machineBusySeconds()
{
    QFile f(QStringLiteral("/proc/stat"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = f.readLine().simplified().split(' ');
    double busy = 0;
    for (qsizetype i = 1; i < fields.size() && i <= 8; ++i) {
        if (i != 4 && i != 5) // idle and iowait
            busy += fields[i].toDouble();
    }
    return busy / double(::sysconf(_SC_CLK_TCK));
}

// CPU seconds used by this process and its finished children (openssl, the open probe).
double ownCpuSeconds()
{
    double total = 0;
    for (const int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
        rusage u{};
        ::getrusage(who, &u);
        total += double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
    }
    return total;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Benchmarks of Tantra Weight Manager's engine."));
    parser.addHelpOption();
    const QCommandLineOption sizeOption(QStringLiteral("size-mib"),
                                        QStringLiteral("Size of each data file for hashing and statistics (default 1024)."),
                                        QStringLiteral("MiB"), QStringLiteral("1024"));
    const QCommandLineOption runsOption(QStringLiteral("runs"), QStringLiteral("Timings per figure; the best counts (default 2)."),
                                        QStringLiteral("n"), QStringLiteral("2"));
    const QCommandLineOption dirOption(QStringLiteral("dir"), QStringLiteral("Folder for the data (default: the temp folder)."),
                                       QStringLiteral("path"));
    const QCommandLineOption skipSha(QStringLiteral("skip-sha"), QStringLiteral("Skip the SHA-256 comparison."));
    const QCommandLineOption skipStats(QStringLiteral("skip-stats"), QStringLiteral("Skip the statistics."));
    const QCommandLineOption skipHeader(QStringLiteral("skip-header"), QStringLiteral("Skip the header parse."));
    const QCommandLineOption skipSparse(QStringLiteral("skip-sparse"), QStringLiteral("Skip the 1 TiB open."));
    const QCommandLineOption skipProcess(QStringLiteral("skip-process"),
                                         QStringLiteral("Skip the whole-process runs of the CLI against cat and openssl."));
    const QCommandLineOption skipCompare(QStringLiteral("skip-compare"),
                                         QStringLiteral("Skip the whole-process diff against numpy and cmp."));
    const QCommandLineOption onlyCompare(QStringLiteral("only-compare"), QStringLiteral("Run only the diff against numpy and cmp."));
    const QCommandLineOption skipConvert(QStringLiteral("skip-convert"), QStringLiteral("Skip the whole-process convert against cp."));
    const QCommandLineOption onlyConvert(QStringLiteral("only-convert"), QStringLiteral("Run only the convert against cp."));
    const QCommandLineOption skipTorch(QStringLiteral("skip-torch"), QStringLiteral("Skip the PyTorch checkpoint convert against cp."));
    const QCommandLineOption onlyTorch(QStringLiteral("only-torch"), QStringLiteral("Run only the PyTorch checkpoint convert against cp."));
    const QCommandLineOption cliOption(QStringLiteral("cli"),
                                       QStringLiteral("The tantra-model-manager to run as a whole process (default: beside this program)."),
                                       QStringLiteral("path"));
    const QCommandLineOption otherCliOption(QStringLiteral("other-cli"),
                                            QStringLiteral("Another build of tantra-model-manager, timed beside the first (before and after a change)."),
                                            QStringLiteral("path"));
    QCommandLineOption childOption(QStringLiteral("open-child"), QStringLiteral("Internal: open one file and report."),
                                   QStringLiteral("path"));
    childOption.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOptions({sizeOption, runsOption, dirOption, skipSha, skipStats, skipHeader, skipSparse, skipProcess, skipCompare, onlyCompare, skipConvert, onlyConvert, skipTorch, onlyTorch, cliOption, otherCliOption, childOption});
    parser.process(app);

    if (parser.isSet(childOption))
        return runOpenChild(parser.value(childOption));

    bool okSize = false;
    bool okRuns = false;
    const qulonglong sizeMib = parser.value(sizeOption).toULongLong(&okSize);
    const int runs = parser.value(runsOption).toInt(&okRuns);
    if (!okSize || sizeMib == 0 || !okRuns || runs < 1) {
        std::fprintf(stderr, "tantra-bench: --size-mib and --runs take positive integers\n");
        return 2;
    }
    const QString parent = parser.isSet(dirOption) ? parser.value(dirOption) : QDir::tempPath();
    QTemporaryDir dir(parent + QStringLiteral("/tantra-bench-XXXXXX"));
    if (!dir.isValid()) {
        std::fprintf(stderr, "tantra-bench: cannot create a folder in %s\n", qPrintable(parent));
        return 1;
    }

    BenchOptions options;
    options.dir = dir.path();
    options.size = std::uint64_t(sizeMib) << 20;
    options.runs = runs;
    options.self = QCoreApplication::applicationFilePath();
    options.cli = parser.isSet(cliOption) ? parser.value(cliOption)
                                          : QCoreApplication::applicationDirPath() + QStringLiteral("/tantra-model-manager");
    options.otherCli = parser.value(otherCliOption);

    utsname uts{};
    ::uname(&uts);
    std::printf("tantra-bench %s: %s, %d threads in the compute pool, Linux %s\n", TANTRA_VERSION, cpuModel().c_str(),
                computePool()->maxThreadCount(), uts.release);
    std::printf("compiler %s, %s; data in %s\n", __VERSION__, opensslVersion().c_str(), qPrintable(options.dir));

    // Timings on a shared machine mean little without knowing what else ran: each section
    // ends with the share of the CPUs that other processes kept busy meanwhile.
    const auto section = [&](void (*run)(const BenchOptions &, BenchReport &), BenchReport &report) {
        const double busy = machineBusySeconds();
        const double own = ownCpuSeconds();
        const double start = now();
        run(options, report);
        const double elapsed = now() - start;
        const double others = machineBusySeconds() - busy - (ownCpuSeconds() - own);
        const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
        std::printf("    (%.1f s; other processes kept %.0f%% of the %ld CPUs busy meanwhile)\n", elapsed,
                    100 * std::clamp(others / (elapsed * double(cpus)), 0.0, 1.0), cpus);
    };
    BenchReport report;
    const bool all = !parser.isSet(onlyCompare) && !parser.isSet(onlyConvert) && !parser.isSet(onlyTorch);
    if (all && !parser.isSet(skipSha))
        section(runShaBench, report);
    if (all && !parser.isSet(skipStats))
        section(runStatsBench, report);
    if (all && !parser.isSet(skipHeader))
        section(runHeaderBench, report);
    if (all && !parser.isSet(skipSparse))
        section(runSparseBench, report);
    if (all && !parser.isSet(skipProcess))
        section(runProcessBench, report);
    if (!parser.isSet(skipCompare) && !parser.isSet(onlyConvert) && !parser.isSet(onlyTorch))
        section(runCompareBench, report);
    if (!parser.isSet(skipConvert) && !parser.isSet(onlyCompare) && !parser.isSet(onlyTorch))
        section(runConvertBench, report);
    if (!parser.isSet(skipTorch) && !parser.isSet(onlyCompare) && !parser.isSet(onlyConvert))
        section(runTorchConvertBench, report);
    report.print();
    std::printf("%d target(s) missed\n", report.missed());
    return 0;
}
