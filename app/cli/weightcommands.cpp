// list-weights, set-active, rollback, remove, history, import
#include "workspacecontext.h"

#include "jobcontext.h"
#include "remotecommands.h"
#include "torchcheckpoint.h"

#include <QFileInfo>

namespace tantra::cli {

namespace {

const QCommandLineOption kJson(QStringLiteral("json"), QStringLiteral("Print JSON instead of text."));

QString checkState(const WeightEntry &w)
{
    if (w.validation.status == ValidationStatus::NotValidated)
        return QStringLiteral("not checked");
    if (w.validation.unvalidatedImport)
        return QStringLiteral("unvalidated (imported without fitting)");
    return validationStatusName(w.validation.status) + (w.validation.deep ? QStringLiteral(" (deep)") : QString());
}

int runListWeights(Context &ctx)
{
    if (ctx.positional.size() > 1) {
        ctx.err(QStringLiteral("list-weights: give at most one model type"));
        return ExitUsage;
    }
    if (wantsRemoteListing(ctx))
        return runListRemoteWeights(ctx, ctx.positional.value(0));
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    auto data = manager->snapshot();
    if (!data)
        return fail(ctx, data.error());
    const QString type = ctx.positional.value(0);
    std::vector<const WeightEntry *> weights;
    for (const auto &[name, w] : data->weights) {
        if (type.isEmpty() || w.modelType == type)
            weights.push_back(&w);
    }
    std::sort(weights.begin(), weights.end(), [](const WeightEntry *a, const WeightEntry *b) {
        return a->modelType != b->modelType ? a->modelType < b->modelType : a->created > b->created;
    });
    QJsonArray array;
    std::vector<QStringList> rows;
    for (const WeightEntry *w : weights) {
        const bool active = data->activeOf(w->modelType) == w->name;
        array.append(weightJson(*w, active));
        rows.push_back({active ? QStringLiteral("*") : QString(), w->name, w->modelType, w->version, humanBytes(w->size),
                        w->created.toString(QStringLiteral("yyyy-MM-dd HH:mm")), w->sha256.left(12), checkState(*w)});
    }
    if (ctx.parser.isSet(QStringLiteral("quiet"))) {
        for (const WeightEntry *w : weights)
            ctx.outLine(w->name);
        return ExitOk;
    }
    if (ctx.parser.isSet(kJson)) {
        printJson(ctx, array);
        return ExitOk;
    }
    if (rows.empty()) {
        ctx.outLine(type.isEmpty() ? QStringLiteral("No weights registered.") : QStringLiteral("No weights registered for '%1'.").arg(type));
        return ExitOk;
    }
    ctx.out(formatTable({QStringLiteral("A"), QStringLiteral("NAME"), QStringLiteral("TYPE"), QStringLiteral("VERSION"), QStringLiteral("SIZE"),
                         QStringLiteral("CREATED (UTC)"), QStringLiteral("SHA256"), QStringLiteral("VALIDATION")},
                        rows, {4}));
    return ExitOk;
}

int runSetActive(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("set-active: give one weight name (see list-weights)"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    if (auto s = manager->setActiveWeight(ctx.positional.first()); !s)
        return fail(ctx, s.error());
    ctx.outLine(QStringLiteral("Active: ") + ctx.positional.first());
    return ExitOk;
}

int runRollback(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("rollback: give one model type"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    const QString type = ctx.positional.first();
    const auto before = manager->snapshot();
    if (!before)
        return fail(ctx, before.error());
    auto now = manager->rollbackActiveWeight(type);
    if (!now)
        return fail(ctx, now.error());
    const QString was = before->activeOf(type);
    if (ctx.parser.isSet(kJson)) {
        printJson(ctx, QJsonObject{{QStringLiteral("model_type"), type},
                                   {QStringLiteral("active"), *now},
                                   {QStringLiteral("previous"), was.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(was)}});
        return ExitOk;
    }
    ctx.outLine(QStringLiteral("Active: %1 (was %2)").arg(*now, was.isEmpty() ? QStringLiteral("none") : was));
    return ExitOk;
}

int runRemove(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("remove: give one weight name"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    auto removed = manager->removeWeight(ctx.positional.first());
    if (!removed)
        return fail(ctx, removed.error());
    if (removed->fileKeptFor.isEmpty())
        ctx.outLine(QStringLiteral("Removed ") + ctx.positional.first());
    else
        ctx.outLine(QStringLiteral("Removed the entry %1; its file %2 stays, registered also as '%3'")
                            .arg(ctx.positional.first(), removed->entry.path, removed->fileKeptFor.join(QStringLiteral("', '"))));
    return ExitOk;
}

int runHistory(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("history: give one model type"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    auto data = manager->snapshot();
    if (!data)
        return fail(ctx, data.error());
    const auto it = data->history.find(ctx.positional.first());
    QJsonArray array;
    std::vector<QStringList> rows;
    if (it != data->history.end()) {
        for (const auto &a : it->second) {
            array.append(QJsonObject{{QStringLiteral("weight"), a.weight},
                                     {QStringLiteral("previous"), a.previous.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(a.previous)},
                                     {QStringLiteral("activated_at"), isoUtc(a.at)}});
            rows.push_back({a.at.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")), a.weight, a.previous.isEmpty() ? QStringLiteral("-") : a.previous});
        }
    }
    if (ctx.parser.isSet(kJson))
        printJson(ctx, array);
    else if (rows.empty())
        ctx.outLine(QStringLiteral("No activations recorded for '%1'.").arg(ctx.positional.first()));
    else
        ctx.out(formatTable({QStringLiteral("ACTIVATED (UTC)"), QStringLiteral("WEIGHT"), QStringLiteral("REPLACED")}, rows));
    return ExitOk;
}

int runImport(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("import: give one PATH (a .safetensors file, an index, a shard folder, or a PyTorch checkpoint)"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    ImportRequest request;
    request.source = ctx.positional.first();
    request.modelType = ctx.parser.value(QStringLiteral("type"));
    request.version = ctx.parser.value(QStringLiteral("version"));
    request.move = ctx.parser.isSet(QStringLiteral("move"));
    request.activate = ctx.parser.isSet(QStringLiteral("activate"));
    request.createType = ctx.parser.isSet(QStringLiteral("new-type"));
    request.unvalidated = ctx.parser.isSet(QStringLiteral("unvalidated"));
    request.torchKey = ctx.parser.value(QStringLiteral("key"));
    const bool torch = isTorchCheckpointName(request.source) && !QFileInfo(request.source).isDir();
    if (!request.torchKey.isEmpty() && !torch) {
        ctx.err(QStringLiteral("import: --key applies to PyTorch checkpoints only"));
        return ExitUsage;
    }
    // The checkpoint stays where it is: what is moved in is its conversion.
    if (request.move && torch) {
        ctx.err(QStringLiteral("import: --move does not apply to a PyTorch checkpoint (it is converted; the checkpoint is left as it is)"));
        return ExitUsage;
    }
    if ((request.createType || request.unvalidated) && request.modelType.isEmpty()) {
        ctx.err(QStringLiteral("import: --%1 needs --type").arg(request.createType ? QStringLiteral("new-type") : QStringLiteral("unvalidated")));
        return ExitUsage;
    }
    if (request.createType && request.unvalidated) {
        ctx.err(QStringLiteral("import: --new-type makes a type the file fits; --unvalidated is for a type it does not fit: give one of them"));
        return ExitUsage;
    }
    JobContext job;
    ctx.attachProgress(job, QStringLiteral("import"));
    auto entry = manager->importWeight(request, &job);
    ctx.endProgress();
    if (!entry)
        return fail(ctx, entry.error());
    if (ctx.parser.isSet(kJson)) {
        printJson(ctx, weightJson(*entry, request.activate));
        return ExitOk;
    }
    ctx.outLine(QStringLiteral("Imported %1 as %2 (%3, sha256 %4)%5")
                        .arg(request.source, entry->name, humanBytes(entry->size), entry->sha256,
                             request.activate ? QStringLiteral(", now active") : QString()));
    return ExitOk;
}

} // namespace

Command listWeightsCommand()
{
    return {"list-weights", "[TYPE]", "List registered weights (all, or one model type's)",
            [](QCommandLineParser &p) {
                p.addOption(kJson);
                p.addOption({{QStringLiteral("q"), QStringLiteral("quiet")}, QStringLiteral("Print only the weight names, one per line.")});
                addRemoteListingOptions(p);
            },
            runListWeights};
}

Command setActiveCommand()
{
    return {"set-active", "NAME", "Make a weight the active one of its model type", {}, runSetActive};
}

Command rollbackCommand()
{
    return {"rollback", "TYPE", "Make active again the weight that was active before the current one",
            [](QCommandLineParser &p) { p.addOption(kJson); }, runRollback};
}

Command removeCommand()
{
    return {"remove", "NAME", "Delete a weight and its registry entry (not the active one)", {}, runRemove};
}

Command historyCommand()
{
    return {"history", "TYPE", "Show which weight was active when, for rollback",
            [](QCommandLineParser &p) { p.addOption(kJson); }, runHistory};
}

Command importCommand()
{
    return {"import", "PATH", "Copy (or move) a weight into the workspace, hash, validate and register it (a PyTorch checkpoint is converted to safetensors)",
            [](QCommandLineParser &p) {
                p.addOption(kJson);
                p.addOption({QStringLiteral("type"), QStringLiteral("Model type (default: guessed from the configs' shape rules)."), QStringLiteral("TYPE")});
                p.addOption({QStringLiteral("version"), QStringLiteral("Version (default: a UTC timestamp)."), QStringLiteral("VERSION")});
                p.addOption({QStringLiteral("move"), QStringLiteral("Move the file instead of copying it.")});
                p.addOption({QStringLiteral("activate"), QStringLiteral("Make it the active weight of its type.")});
                p.addOption({QStringLiteral("new-type"), QStringLiteral("Create the model type --type with rules made from the file's tensors, then import it.")});
                p.addOption({QStringLiteral("unvalidated"), QStringLiteral("Import it under --type even if it does not fit that config (recorded as failed validation).")});
                p.addOption({QStringLiteral("key"), QStringLiteral("PyTorch checkpoints: the dotted key path of the state dict (model.encoder)."), QStringLiteral("PATH")});
            },
            runImport};
}

} // namespace tantra::cli
