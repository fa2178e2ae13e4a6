#include "cli.h"

#include "jobcontext.h"
#include "sha256.h"

namespace tantra::cli {

namespace {

int runChecksum(Context &ctx)
{
    if (ctx.positional.isEmpty()) {
        ctx.err(QStringLiteral("checksum: give one or more files"));
        return ExitUsage;
    }
    JobContext job;
    ctx.attachProgress(job, QStringLiteral("sha256"));
    const auto results = sha256Files(ctx.positional, &job);
    ctx.endProgress();
    int status = ExitOk;
    for (qsizetype i = 0; i < ctx.positional.size(); ++i) {
        const auto &r = results[std::size_t(i)];
        if (r)
            ctx.outLine(r.value() + QStringLiteral("  ") + ctx.positional[i]);
        else {
            ctx.err(r.errorString());
            status = ExitProblem;
        }
    }
    return status;
}

} // namespace

Command checksumCommand()
{
    return Command{"checksum", "PATH…", "Print SHA-256 checksums, like sha256sum, hashing files in parallel", {}, runChecksum};
}

} // namespace tantra::cli
