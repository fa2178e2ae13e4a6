// setup, doctor, list-models, config, create-config
#include "workspacecontext.h"

#include "jobcontext.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>

namespace tantra::cli {

namespace {

const QCommandLineOption kJson(QStringLiteral("json"), QStringLiteral("Print JSON instead of text."));

void addJson(QCommandLineParser &p)
{
    p.addOption(kJson);
}

// These commands take no positional arguments; a stray one ("doctor now") was silently ignored
// and the command ran anyway. It is wrong usage, like extra arguments elsewhere.
bool refuseArguments(Context &ctx, const char *command)
{
    if (ctx.positional.isEmpty())
        return false;
    ctx.err(QStringLiteral("%1: takes no arguments, not '%2'").arg(QLatin1String(command), ctx.positional.join(QLatin1Char(' '))));
    return true;
}

int runSetup(Context &ctx)
{
    if (refuseArguments(ctx, "setup"))
        return ExitUsage;
    auto manager = openWorkspace(ctx, false);
    if (!manager)
        return ExitUsage;
    JobContext job;
    ctx.attachProgress(job, QStringLiteral("setup"));
    auto report = manager->setup(&job);
    ctx.endProgress();
    if (!report)
        return fail(ctx, report.error());
    if (ctx.parser.isSet(kJson)) {
        printJson(ctx, QJsonObject{{QStringLiteral("root"), manager->workspace().root()},
                                   {QStringLiteral("created"), QJsonArray::fromStringList(report->created)},
                                   {QStringLiteral("migrated"), QJsonArray::fromStringList(report->migrated)},
                                   {QStringLiteral("samples"), QJsonArray::fromStringList(report->samples)}});
        return ExitOk;
    }
    ctx.outLine(QStringLiteral("Workspace ready: ") + manager->workspace().root());
    for (const QString &c : report->created)
        ctx.outLine(QStringLiteral("  created  ") + c);
    for (const QString &m : report->migrated)
        ctx.outLine(QStringLiteral("  migrated ") + m);
    for (const QString &s : report->samples)
        ctx.outLine(QStringLiteral("  sample   ") + s);
    if (report->created.isEmpty() && report->migrated.isEmpty() && report->samples.isEmpty())
        ctx.outLine(QStringLiteral("  nothing to do: the layout, configs and samples were already there"));
    return ExitOk;
}

int runDoctor(Context &ctx)
{
    if (refuseArguments(ctx, "doctor"))
        return ExitUsage;
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    JobContext job;
    ctx.attachProgress(job, QStringLiteral("doctor"));
    auto report = manager->doctor(ctx.parser.isSet(QStringLiteral("rebuild")), &job);
    ctx.endProgress();
    if (!report)
        return fail(ctx, report.error());
    if (ctx.parser.isSet(kJson)) {
        printJson(ctx, QJsonObject{{QStringLiteral("problems"), QJsonArray::fromStringList(report->problems)},
                                   {QStringLiteral("fixed"), QJsonArray::fromStringList(report->fixed)}});
    } else {
        for (const QString &f : report->fixed)
            ctx.outLine(QStringLiteral("fixed:   ") + f);
        for (const QString &p : report->problems)
            ctx.outLine(QStringLiteral("problem: ") + p);
        if (report->remedy != Remedy::None)
            ctx.outLine(QStringLiteral("hint:    ") + remedyText(report->remedy));
        if (report->problems.isEmpty())
            ctx.outLine(QStringLiteral("The workspace is healthy."));
    }
    return report->problems.isEmpty() ? ExitOk : ExitProblem;
}

int runListModels(Context &ctx)
{
    if (refuseArguments(ctx, "list-models"))
        return ExitUsage;
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    auto data = manager->snapshot();
    if (!data)
        return fail(ctx, data.error());
    QStringList types = manager->configs().modelTypes();
    for (const auto &[name, w] : data->weights) {
        if (!types.contains(w.modelType))
            types << w.modelType;
    }
    types.sort();
    QJsonArray array;
    std::vector<QStringList> rows;
    for (const QString &type : types) {
        const auto weights = data->weightsOf(type);
        quint64 bytes = 0;
        for (const auto *w : weights)
            bytes += w->size;
        const QString config = QDir(manager->workspace().configDir()).filePath(type + QStringLiteral(".yaml"));
        const bool hasConfig = QFileInfo::exists(config);
        const QString active = data->activeOf(type);
        array.append(QJsonObject{{QStringLiteral("name"), type},
                                 {QStringLiteral("config"), hasConfig ? QJsonValue(config) : QJsonValue(QJsonValue::Null)},
                                 {QStringLiteral("active"), active.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(active)},
                                 {QStringLiteral("weights"), int(weights.size())},
                                 {QStringLiteral("size"), double(bytes)}});
        rows.push_back({type, active.isEmpty() ? QStringLiteral("-") : active, QString::number(weights.size()), humanBytes(bytes),
                        hasConfig ? manager->workspace().relativePath(config) : QStringLiteral("(no config)")});
    }
    if (ctx.parser.isSet(QStringLiteral("quiet")))
        ctx.out(types.isEmpty() ? QString() : types.join(QLatin1Char('\n')) + QLatin1Char('\n'));
    else if (ctx.parser.isSet(kJson))
        printJson(ctx, array);
    else
        ctx.out(formatTable({QStringLiteral("MODEL TYPE"), QStringLiteral("ACTIVE"), QStringLiteral("WEIGHTS"), QStringLiteral("SIZE"),
                             QStringLiteral("CONFIG")},
                            rows, {2, 3}));
    return ExitOk;
}

int runConfig(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("config: give one model type"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    auto config = manager->configs().getConfig(ctx.positional.first());
    if (!config)
        return fail(ctx, config.error());
    if (ctx.parser.isSet(kJson)) {
        printJson(ctx, QJsonObject{{QStringLiteral("model_type"), config->type},
                                   {QStringLiteral("file"), config->filePath},
                                   {QStringLiteral("architecture"), QJsonObject::fromVariantMap(config->architecture)},
                                   {QStringLiteral("training"), QJsonObject::fromVariantMap(config->training)},
                                   {QStringLiteral("serve"), QJsonObject::fromVariantMap(config->serve)},
                                   {QStringLiteral("paths"), QJsonObject::fromVariantMap(config->paths)},
                                   {QStringLiteral("extra"), QJsonObject::fromVariantMap(config->extra)}});
        return ExitOk;
    }
    ctx.outLine(QStringLiteral("# ") + config->filePath);
    ctx.out(config->yaml.endsWith(QLatin1Char('\n')) ? config->yaml : config->yaml + QLatin1Char('\n'));
    return ExitOk;
}

int runCreateConfig(Context &ctx)
{
    if (ctx.positional.isEmpty()) {
        ctx.err(QStringLiteral("create-config: give the new model type, then optional key=value overrides"));
        return ExitUsage;
    }
    auto manager = openWorkspace(ctx);
    if (!manager)
        return ExitUsage;
    const QString type = ctx.positional.first();
    const QStringList overrides = ctx.positional.mid(1);
    for (const QString &o : overrides) {
        if (!o.contains(QLatin1Char('='))) {
            ctx.err(QStringLiteral("create-config: '%1' is not a key=value override").arg(o));
            return ExitUsage;
        }
    }
    auto created = manager->configs().createModelConfig(type, ctx.parser.value(QStringLiteral("from")), overrides);
    if (!created)
        return fail(ctx, created.error());
    ctx.outLine(QStringLiteral("Created ") + created->filePath);
    return ExitOk;
}

} // namespace

Command setupCommand()
{
    return {"setup", "", "Create or complete the workspace: layout, default configs, migration of legacy files, sample weights",
            addJson, runSetup};
}

Command doctorCommand()
{
    return {"doctor", "", "Check the workspace; clean leftovers of interrupted work; --rebuild the registry from the files",
            [](QCommandLineParser &p) {
                addJson(p);
                p.addOption({QStringLiteral("rebuild"), QStringLiteral("Rebuild the registry from the weight files on disk (checksums recomputed).")});
            },
            runDoctor};
}

Command listModelsCommand()
{
    return {"list-models", "", "List model types with their active weight, weight count and disk use",
            [](QCommandLineParser &p) {
                addJson(p);
                p.addOption({{QStringLiteral("q"), QStringLiteral("quiet")}, QStringLiteral("Print only the type names, one per line.")});
            },
            runListModels};
}

Command configCommand()
{
    return {"config", "TYPE", "Print a model type's config", addJson, runConfig};
}

Command createConfigCommand()
{
    return {"create-config", "TYPE [key=value …]", "Create a config for a new model type",
            [](QCommandLineParser &p) {
                p.addOption({QStringLiteral("from"), QStringLiteral("Start from this existing type's config."), QStringLiteral("TYPE")});
            },
            runCreateConfig};
}

} // namespace tantra::cli
