// validate, verify
#include "workspacecontext.h"

#include "englishplurals.h"
#include "jobcontext.h"

namespace tantra::cli {

namespace {

const QCommandLineOption kJson(QStringLiteral("json"), QStringLiteral("Print JSON instead of text."));

QJsonObject reportJson(const ValidationReport &r)
{
    return QJsonObject{{QStringLiteral("weight"), r.weight},
                       {QStringLiteral("path"), r.path},
                       {QStringLiteral("passed"), r.passed},
                       {QStringLiteral("deep"), r.deep},
                       {QStringLiteral("tensors"), r.tensorCount},
                       {QStringLiteral("expected_tensors"), r.rulesChecked},
                       {QStringLiteral("issues"), QJsonArray::fromStringList(r.issues)}};
}

int runValidate(Context &ctx)
{
    const bool all = ctx.parser.isSet(QStringLiteral("all"));
    if ((all && !ctx.positional.isEmpty()) || (!all && ctx.positional.size() != 1)) {
        ctx.err(QStringLiteral("validate: usage: validate TYPE [--version V] [--deep] | validate --all [--deep]"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    const bool deep = ctx.parser.isSet(QStringLiteral("deep"));
    // --all goes by registry name: an entry is what its key names, whatever its version says.
    QStringList names;
    if (all) {
        auto data = manager->snapshot();
        if (!data)
            return fail(ctx, data.error());
        for (const auto &[name, w] : data->weights)
            names << name;
        if (names.empty()) {
            ctx.outLine(QStringLiteral("No weights registered."));
            return ExitOk;
        }
    }
    JobContext job;
    ctx.attachProgress(job, QStringLiteral("validate"));
    QJsonArray array;
    bool allPassed = true;
    for (qsizetype i = 0; i < (all ? names.size() : 1); ++i) {
        auto report = all ? manager->validateWeightNamed(names[i], deep, &job)
                          : manager->validateWeights(ctx.positional.first(), ctx.parser.value(QStringLiteral("version")), deep, &job);
        if (!report)
            return fail(ctx, report.error());
        allPassed = allPassed && report->passed;
        array.append(reportJson(*report));
        if (ctx.parser.isSet(kJson))
            continue;
        ctx.endProgress();
        if (report->passed) {
            ctx.outLine(QStringLiteral("PASS %1: %2, %3 expected by the config%4")
                                .arg(report->weight)
                                .arg(plural("%n tensor(s)", report->tensorCount))
                                .arg(report->rulesChecked)
                                .arg(deep ? QStringLiteral(", checksum and NaN/Inf checked") : QString()));
        } else {
            ctx.outLine(QStringLiteral("FAIL %1: ").arg(report->weight) + plural("%n problem(s)", report->issues.size()));
            for (const QString &issue : report->issues)
                ctx.outLine(QStringLiteral("  ") + issue);
        }
    }
    ctx.endProgress();
    if (ctx.parser.isSet(kJson))
        printJson(ctx, all ? QJsonValue(array) : array.first());
    return allPassed ? ExitOk : ExitProblem;
}

int runVerify(Context &ctx)
{
    if (ctx.positional.size() > 1) {
        ctx.err(QStringLiteral("verify: give at most one model type or weight name"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    JobContext job;
    ctx.attachProgress(job, QStringLiteral("verify"));
    auto results = manager->verify(ctx.positional.value(0), &job);
    ctx.endProgress();
    if (!results)
        return fail(ctx, results.error());
    // Recorded like the GUI's Verify Checksums, so either one sees what the other verified. A
    // workspace that cannot be written (a read-only copy) is still verified: the failure to
    // record it is said, not turned into a failed verification.
    if (auto recorded = manager->recordVerified(*results, QDateTime::currentDateTimeUtc()); !recorded)
        ctx.err(QStringLiteral("verify: the result was not recorded in the registry: ") + recorded.errorString());
    bool allOk = true;
    QJsonArray array;
    for (const auto &r : *results) {
        allOk = allOk && r.status == ChecksumStatus::Ok;
        const QString status = checksumStatusName(r.status);
        array.append(QJsonObject{{QStringLiteral("weight"), r.weight}, {QStringLiteral("status"), status}, {QStringLiteral("message"), r.message}});
        if (!ctx.parser.isSet(kJson))
            ctx.outLine(QStringLiteral("%1  %2%3").arg(status.toUpper(), -7).arg(r.weight, r.message.isEmpty() ? QString() : QStringLiteral("  ") + r.message));
    }
    if (ctx.parser.isSet(kJson))
        printJson(ctx, array);
    return allOk ? ExitOk : ExitProblem;
}

} // namespace

Command validateCommand()
{
    return {"validate", "TYPE | --all", "Check weights against their config's shape rules (--deep: also checksum and NaN/Inf)",
            [](QCommandLineParser &p) {
                p.addOption(kJson);
                p.addOption({QStringLiteral("version"), QStringLiteral("The version to check (default: the active one)."), QStringLiteral("V")});
                p.addOption({QStringLiteral("deep"), QStringLiteral("Also re-hash against the registry and scan for NaN/Inf.")});
                p.addOption({QStringLiteral("all"), QStringLiteral("Validate every registered weight.")});
            },
            runValidate};
}

Command verifyCommand()
{
    return {"verify", "[TYPE|NAME]", "Re-hash weights against the registry's checksums, in parallel",
            [](QCommandLineParser &p) { p.addOption(kJson); }, runVerify};
}

} // namespace tantra::cli
