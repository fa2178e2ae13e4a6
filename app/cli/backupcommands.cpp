// backup, restore, list-backups, cleanup
#include "workspacecontext.h"

#include "jobcontext.h"

#include <QFileInfo>

namespace tantra::cli {

namespace {

const QCommandLineOption kJson(QStringLiteral("json"), QStringLiteral("Print JSON instead of text."));

int runBackup(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("backup: give one weight name"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    JobContext job;
    ctx.attachProgress(job, QStringLiteral("backup"));
    auto archive = manager->backupWeight(ctx.positional.first(), &job);
    ctx.endProgress();
    if (!archive)
        return fail(ctx, archive.error());
    ctx.outLine(QStringLiteral("Backed up %1 to %2").arg(ctx.positional.first(), *archive));
    return ExitOk;
}

int runRestore(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("restore: give one backup archive"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    JobContext job;
    ctx.attachProgress(job, QStringLiteral("restore"));
    auto entry = manager->restoreBackup(ctx.positional.first(), ctx.parser.value(QStringLiteral("as")), &job);
    ctx.endProgress();
    if (!entry)
        return fail(ctx, entry.error());
    ctx.outLine(QStringLiteral("Restored %1 (checksums verified)").arg(entry->name));
    return ExitOk;
}

int runListBackups(Context &ctx)
{
    // A stray argument was silently ignored; it is wrong usage, like extra arguments elsewhere.
    if (!ctx.positional.isEmpty()) {
        ctx.err(QStringLiteral("list-backups: takes no arguments, not '%1'").arg(ctx.positional.join(QLatin1Char(' '))));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    auto backups = manager->listBackups();
    if (!backups)
        return fail(ctx, backups.error());
    QJsonArray array;
    std::vector<QStringList> rows;
    for (const auto &b : *backups) {
        array.append(QJsonObject{{QStringLiteral("path"), b.path},
                                 {QStringLiteral("weight"), b.weight},
                                 {QStringLiteral("model_type"), b.modelType},
                                 {QStringLiteral("size"), double(b.size)},
                                 {QStringLiteral("created"), isoUtc(b.created)}});
        rows.push_back({QFileInfo(b.path).fileName(), b.weight.isEmpty() ? QStringLiteral("(unreadable)") : b.weight,
                        humanBytes(b.size), b.created.toString(QStringLiteral("yyyy-MM-dd HH:mm"))});
    }
    if (ctx.parser.isSet(kJson))
        printJson(ctx, array);
    else if (rows.empty())
        ctx.outLine(QStringLiteral("No backups in ") + manager->workspace().backupsDir());
    else
        ctx.out(formatTable({QStringLiteral("ARCHIVE"), QStringLiteral("WEIGHT"), QStringLiteral("SIZE"), QStringLiteral("CREATED (UTC)")}, rows, {2}));
    return ExitOk;
}

int runCleanup(Context &ctx)
{
    if (ctx.positional.size() != 1 || !ctx.parser.isSet(QStringLiteral("keep"))) {
        ctx.err(QStringLiteral("cleanup: usage: cleanup TYPE --keep N [--dry-run]"));
        return ExitUsage;
    }
    bool ok = false;
    const int keep = ctx.parser.value(QStringLiteral("keep")).toInt(&ok);
    if (!ok || keep < 0) {
        ctx.err(QStringLiteral("cleanup: --keep needs a whole number of 0 or more"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    const bool dryRun = ctx.parser.isSet(QStringLiteral("dry-run"));
    auto plan = manager->cleanupOldWeights(ctx.positional.first(), keep, dryRun);
    if (!plan)
        return fail(ctx, plan.error());
    if (ctx.parser.isSet(kJson)) {
        QJsonArray removed;
        for (const auto &w : plan->remove) {
            QJsonObject o = weightJson(w, false);
            if (const auto shared = plan->fileKeptFor.find(w.name); shared != plan->fileKeptFor.end())
                o[QStringLiteral("file_kept_for")] = QJsonArray::fromStringList(shared->second);
            removed.append(o);
        }
        printJson(ctx, QJsonObject{{QStringLiteral("model_type"), plan->modelType},
                                   {QStringLiteral("dry_run"), dryRun},
                                   {QStringLiteral("kept"), QJsonArray::fromStringList(plan->kept)},
                                   {QStringLiteral("removed"), removed},
                                   {QStringLiteral("bytes_freed"), double(plan->bytesFreed)}});
        return ExitOk;
    }
    for (const auto &w : plan->remove) {
        const auto shared = plan->fileKeptFor.find(w.name);
        if (shared == plan->fileKeptFor.end())
            ctx.outLine(QStringLiteral("%1 %2 (%3)").arg(dryRun ? QStringLiteral("would remove") : QStringLiteral("removed"), w.name, humanBytes(w.size)));
        else
            ctx.outLine(QStringLiteral("%1 %2 (the entry only: its file is also registered as '%3')")
                                .arg(dryRun ? QStringLiteral("would remove") : QStringLiteral("removed"), w.name,
                                     shared->second.join(QStringLiteral("', '"))));
    }
    for (const QString &k : plan->kept)
        ctx.outLine(QStringLiteral("keep %1").arg(k));
    ctx.outLine(QStringLiteral("%1 %2").arg(dryRun ? QStringLiteral("Would free") : QStringLiteral("Freed"), humanBytes(plan->bytesFreed)));
    return ExitOk;
}

} // namespace

Command backupCommand()
{
    return {"backup", "NAME", "Archive a weight with its config and checksums into Model/backups", {}, runBackup};
}

Command restoreCommand()
{
    return {"restore", "ARCHIVE", "Verify and restore a backup archive",
            [](QCommandLineParser &p) {
                p.addOption({QStringLiteral("as"), QStringLiteral("Restore under this version instead of the original."), QStringLiteral("VERSION")});
            },
            runRestore};
}

Command listBackupsCommand()
{
    return {"list-backups", "", "List backup archives", [](QCommandLineParser &p) { p.addOption(kJson); }, runListBackups};
}

Command cleanupCommand()
{
    return {"cleanup", "TYPE --keep N", "Delete all but the N newest weights of a type (never the active one)",
            [](QCommandLineParser &p) {
                p.addOption(kJson);
                p.addOption({QStringLiteral("keep"), QStringLiteral("How many of the newest weights to keep (besides the active one)."), QStringLiteral("N")});
                p.addOption({QStringLiteral("dry-run"), QStringLiteral("Only show what would be removed and the space freed.")});
            },
            runCleanup};
}

} // namespace tantra::cli
