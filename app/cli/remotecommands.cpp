// remote add/list/remove, push, pull, and list-weights --remote (called from weightcommands)
#include "remotecommands.h"

#include "jobcontext.h"
#include "remotelist.h"
#include "remotestore.h"
#include "workspacecontext.h"

#include <optional>
#include <set>

namespace tantra::cli {

namespace {

const QCommandLineOption kJson(QStringLiteral("json"), QStringLiteral("Print JSON instead of text."));
const QCommandLineOption kRemote(QStringLiteral("remote"), QStringLiteral("The remote (default: the only one)."), QStringLiteral("NAME"));
const QCommandLineOption kProfile(QStringLiteral("profile"), QStringLiteral("Credentials profile of ~/.aws (default: $AWS_PROFILE, else the environment's keys)."),
                                  QStringLiteral("NAME"));

// The options openStore reads: every command that calls it takes them.
void addStoreOptions(QCommandLineParser &parser)
{
    parser.addOption(kRemote);
    parser.addOption(kProfile);
}

std::optional<RemoteStore> openStore(Context &ctx, const WeightManager &manager)
{
    auto remote = RemoteList(manager.workspace()).find(ctx.parser.value(kRemote));
    if (!remote) {
        ctx.err(errorText(remote.error()));
        return std::nullopt;
    }
    auto credentials = S3Credentials::load(ctx.parser.value(kProfile));
    if (!credentials) {
        ctx.err(errorText(credentials.error()));
        return std::nullopt;
    }
    return RemoteStore(*remote, *credentials);
}

int runRemote(Context &ctx)
{
    const QString action = ctx.positional.value(0);
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    RemoteList remotes(manager->workspace());
    if (action == QLatin1String("add")) {
        if (ctx.positional.size() != 3 || !ctx.parser.isSet(QStringLiteral("endpoint"))) {
            ctx.err(QStringLiteral("remote add: usage: remote add NAME s3://BUCKET[/PREFIX] --endpoint URL [--region R] [--path-style]"));
            return ExitUsage;
        }
        Remote r;
        r.name = ctx.positional.at(1);
        if (auto parsed = parseS3Url(ctx.positional.at(2), r); !parsed) {
            ctx.err(QStringLiteral("remote add: ") + parsed.errorString());
            return ExitUsage;
        }
        r.endpoint = ctx.parser.value(QStringLiteral("endpoint"));
        if (ctx.parser.isSet(QStringLiteral("region")))
            r.region = ctx.parser.value(QStringLiteral("region"));
        r.pathStyle = ctx.parser.isSet(QStringLiteral("path-style"));
        if (auto added = remotes.add(r); !added)
            return fail(ctx, added.error(), ExitUsage);
        ctx.outLine(QStringLiteral("Added remote %1: %2 at %3").arg(r.name, r.url(), r.endpoint));
        return ExitOk;
    }
    if (action == QLatin1String("remove")) {
        if (ctx.positional.size() != 2) {
            ctx.err(QStringLiteral("remote remove: give one remote name"));
            return ExitUsage;
        }
        if (auto removed = remotes.remove(ctx.positional.at(1)); !removed)
            return fail(ctx, removed.error());
        ctx.outLine(QStringLiteral("Removed remote %1 (nothing on the server was touched)").arg(ctx.positional.at(1)));
        return ExitOk;
    }
    if (action == QLatin1String("list") || action.isEmpty()) {
        auto all = remotes.load();
        if (!all)
            return fail(ctx, all.error());
        QJsonArray array;
        std::vector<QStringList> rows;
        for (const Remote &r : *all) {
            array.append(QJsonObject{{QStringLiteral("name"), r.name}, {QStringLiteral("url"), r.url()},
                                     {QStringLiteral("endpoint"), r.endpoint}, {QStringLiteral("region"), r.region},
                                     {QStringLiteral("addressing_style"), r.pathStyle ? QStringLiteral("path") : QStringLiteral("virtual")}});
            rows.push_back({r.name, r.url(), r.endpoint, r.region, r.pathStyle ? QStringLiteral("path") : QStringLiteral("virtual")});
        }
        if (ctx.parser.isSet(kJson))
            printJson(ctx, array);
        else if (rows.empty())
            ctx.outLine(QStringLiteral("No remotes. Add one with: remote add NAME s3://BUCKET/PREFIX --endpoint URL"));
        else
            ctx.out(formatTable({QStringLiteral("NAME"), QStringLiteral("URL"), QStringLiteral("ENDPOINT"), QStringLiteral("REGION"),
                                 QStringLiteral("ADDRESSING")}, rows));
        return ExitOk;
    }
    if (action == QLatin1String("gc")) {
        if (ctx.positional.size() > 2) {
            ctx.err(QStringLiteral("remote gc: usage: remote gc [NAME] [--dry-run]"));
            return ExitUsage;
        }
        auto remote = remotes.find(ctx.positional.value(1));
        if (!remote)
            return fail(ctx, remote.error(), ExitUsage);
        auto credentials = S3Credentials::load(ctx.parser.value(kProfile));
        if (!credentials)
            return fail(ctx, credentials.error(), ExitUsage);
        const bool dryRun = ctx.parser.isSet(QStringLiteral("dry-run"));
        const RemoteStore store(*remote, *credentials);
        auto report = store.collectGarbage(QDateTime::currentDateTimeUtc().addDays(-1), dryRun);
        if (!report)
            return fail(ctx, report.error());
        if (ctx.parser.isSet(kJson)) {
            QJsonArray blobs;
            for (const S3Object &o : report->blobs)
                blobs.append(QJsonObject{{QStringLiteral("key"), o.key}, {QStringLiteral("size"), double(o.size)}, {QStringLiteral("last_modified"), o.lastModified}});
            QJsonArray uploads;
            for (const S3Upload &u : report->uploads)
                uploads.append(QJsonObject{{QStringLiteral("key"), u.key}, {QStringLiteral("upload_id"), u.uploadId}, {QStringLiteral("initiated"), u.initiated}});
            printJson(ctx, QJsonObject{{QStringLiteral("remote"), remote->name}, {QStringLiteral("dry_run"), dryRun},
                                       {QStringLiteral("manifests"), report->manifests}, {QStringLiteral("blobs"), blobs},
                                       {QStringLiteral("blob_bytes"), double(report->blobBytes)}, {QStringLiteral("uploads"), uploads}});
            return ExitOk;
        }
        ctx.outLine(QStringLiteral("%1 %2 unreferenced blob(s) (%3) and %4 %5 abandoned upload(s) on %6; %7 manifest(s) read")
                            .arg(dryRun ? QStringLiteral("Would delete") : QStringLiteral("Deleted")).arg(report->blobs.size())
                            .arg(humanBytes(report->blobBytes), dryRun ? QStringLiteral("would abort") : QStringLiteral("aborted"))
                            .arg(report->uploads.size()).arg(remote->name).arg(report->manifests));
        return ExitOk;
    }
    ctx.err(QStringLiteral("remote: unknown action '%1' (add, list, remove, gc)").arg(action));
    return ExitUsage;
}

int runPush(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("push: give one weight name"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    auto store = openStore(ctx, *manager);
    if (!store)
        return ExitUsage;
    JobContext job;
    ctx.attachProgress(job, QStringLiteral("push"));
    auto report = store->push(*manager, ctx.positional.first(), &job);
    ctx.endProgress();
    if (!report)
        return fail(ctx, report.error());
    if (ctx.parser.isSet(kJson)) {
        printJson(ctx, QJsonObject{{QStringLiteral("weight"), report->weight},
                                   {QStringLiteral("remote"), store->remote().name},
                                   {QStringLiteral("manifest"), report->manifest},
                                   {QStringLiteral("uploaded_bytes"), double(report->uploadedBytes)},
                                   {QStringLiteral("skipped_bytes"), double(report->skippedBytes)},
                                   {QStringLiteral("resumed_bytes"), double(report->resumedBytes)},
                                   {QStringLiteral("uploaded_blobs"), report->uploadedBlobs},
                                   {QStringLiteral("skipped_blobs"), report->skippedBlobs}});
        return ExitOk;
    }
    ctx.outLine(QStringLiteral("Pushed %1 to %2: uploaded %3, %4 already there%5")
                        .arg(report->weight, store->remote().name, humanBytes(report->uploadedBytes), humanBytes(report->skippedBytes),
                             report->resumedBytes ? QStringLiteral(", %1 from an interrupted push").arg(humanBytes(report->resumedBytes)) : QString()));
    return ExitOk;
}

int runPull(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("pull: give one weight name"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    auto store = openStore(ctx, *manager);
    if (!store)
        return ExitUsage;
    JobContext job;
    ctx.attachProgress(job, QStringLiteral("pull"));
    auto entry = store->pull(*manager, ctx.positional.first(), ctx.parser.isSet(QStringLiteral("activate")), &job);
    ctx.endProgress();
    if (!entry)
        return fail(ctx, entry.error());
    if (ctx.parser.isSet(kJson)) {
        auto data = manager->snapshot();
        printJson(ctx, weightJson(*entry, data && data->activeOf(entry->modelType) == entry->name));
        return ExitOk;
    }
    ctx.outLine(QStringLiteral("Pulled %1 from %2 (%3, SHA-256 verified)%4")
                        .arg(entry->name, store->remote().name, humanBytes(entry->size),
                             ctx.parser.isSet(QStringLiteral("activate")) ? QStringLiteral("; now active") : QString()));
    return ExitOk;
}

} // namespace

void addRemoteListingOptions(QCommandLineParser &parser)
{
    addStoreOptions(parser);
}

bool wantsRemoteListing(const Context &ctx)
{
    return ctx.parser.isSet(kRemote);
}

int runListRemoteWeights(Context &ctx, const QString &type)
{
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    auto store = openStore(ctx, *manager);
    if (!store)
        return ExitUsage;
    auto listing = store->listWeights();
    if (!listing)
        return fail(ctx, listing.error());
    const std::vector<RemoteWeight> *weights = &listing->weights;
    auto data = manager->snapshot();
    std::set<QString> local;
    if (data) {
        for (const auto &[name, w] : data->weights)
            local.insert(name + QLatin1Char('\n') + w.sha256);
    }
    QJsonArray array;
    std::vector<QStringList> rows;
    for (const RemoteWeight &w : *weights) {
        if (!type.isEmpty() && w.entry.modelType != type)
            continue;
        const bool here = local.count(w.entry.name + QLatin1Char('\n') + w.entry.sha256) > 0;
        QJsonObject o = weightJson(w.entry, false);
        o.remove(QStringLiteral("active"));
        o.remove(QStringLiteral("path"));
        o[QStringLiteral("present_locally")] = here;
        o[QStringLiteral("pushed_by")] = w.pushedBy;
        o[QStringLiteral("pushed_at")] = isoUtc(w.pushedAt);
        array.append(o);
        rows.push_back({here ? QStringLiteral("local") : QStringLiteral("remote only"), w.entry.name, w.entry.modelType, w.entry.version,
                        humanBytes(w.entry.size), w.pushedAt.toString(QStringLiteral("yyyy-MM-dd HH:mm")), w.pushedBy, w.entry.sha256.left(12)});
    }
    if (ctx.parser.isSet(kJson))
        printJson(ctx, array);
    else if (rows.empty())
        ctx.outLine(QStringLiteral("No weights on remote %1.").arg(store->remote().name));
    else
        ctx.out(formatTable({QStringLiteral("HERE"), QStringLiteral("NAME"), QStringLiteral("TYPE"), QStringLiteral("VERSION"), QStringLiteral("SIZE"),
                             QStringLiteral("PUSHED (UTC)"), QStringLiteral("BY"), QStringLiteral("SHA-256")}, rows, {4}));
    // The readable ones are listed; each unreadable manifest is named, and the exit status
    // says a problem was found.
    for (const Error &e : listing->unreadable)
        ctx.err(QStringLiteral("unreadable manifest: ") + e.message());
    return listing->unreadable.empty() ? ExitOk : ExitProblem;
}

Command remoteCommand()
{
    return {"remote", "add NAME s3://BUCKET/PREFIX | list | remove NAME | gc [NAME]",
            "Manage the S3-compatible remotes of the workspace (Model/remotes.json; credentials from the environment or ~/.aws)",
            [](QCommandLineParser &p) {
                p.addOption(kJson);
                p.addOption({QStringLiteral("endpoint"), QStringLiteral("The server's address, e.g. https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:7480."),
                             QStringLiteral("URL")});
                p.addOption({QStringLiteral("region"), QStringLiteral("The region to sign for (default: us-east-1)."), QStringLiteral("REGION")});
                p.addOption({QStringLiteral("path-style"), QStringLiteral("Address the bucket in the path (Ceph, MinIO) instead of the host name.")});
                p.addOption({QStringLiteral("dry-run"), QStringLiteral("gc: list what would be deleted and aborted, change nothing.")});
                p.addOption(kProfile);
            },
            runRemote};
}

Command pushCommand()
{
    return {"push", "NAME", "Upload a weight to a remote: only the files it lacks, then its manifest",
            [](QCommandLineParser &p) {
                p.addOption(kJson);
                addStoreOptions(p);
            },
            runPush};
}

Command pullCommand()
{
    return {"pull", "NAME", "Download a weight from a remote, verify its SHA-256 and register it",
            [](QCommandLineParser &p) {
                p.addOption(kJson);
                addStoreOptions(p);
                p.addOption({QStringLiteral("activate"), QStringLiteral("Make it the active weight of its type.")});
            },
            runPull};
}

} // namespace tantra::cli
