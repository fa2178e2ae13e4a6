#include "cli.h"

#include "jobcontext.h"
#include "jsonwriter.h"
#include "regularfile.h"
#include "repack.h"
#include "safetensorsmodel.h"
#include "weightmanager.h"
#include "workspace.h"

#include "workspacecontext.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>

namespace tantra::cli {

namespace {

int runReshard(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("reshard: give one source weight (a file, an index, a shard folder or a registered name)"));
        return ExitUsage;
    }
    const bool single = ctx.parser.isSet(QStringLiteral("single"));
    const bool sized = ctx.parser.isSet(QStringLiteral("max-shard-size"));
    if (single == sized) {
        ctx.err(QStringLiteral("reshard: give either --max-shard-size SIZE (a shard set) or --single (one file)"));
        return ExitUsage;
    }
    std::uint64_t maxBytes = 0;
    if (sized) {
        const auto parsed = parseByteSize(ctx.parser.value(QStringLiteral("max-shard-size")));
        if (!parsed) {
            ctx.err(QStringLiteral("reshard: --max-shard-size takes a size such as 5GB, 500MB, 200KB or 2GiB, not '%1'")
                            .arg(ctx.parser.value(QStringLiteral("max-shard-size"))));
            return ExitUsage;
        }
        maxBytes = *parsed;
    }
    const bool toWorkspace = ctx.parser.isSet(QStringLiteral("as"));
    const bool toPath = ctx.parser.isSet(QStringLiteral("out"));
    if (toWorkspace == toPath) {
        ctx.err(QStringLiteral("reshard: give either --as VERSION (a new version in the workspace) or --out PATH"));
        return ExitUsage;
    }
    std::optional<WeightEntry> entry;
    auto source = openWeightArgument(ctx, ctx.positional[0], &entry);
    if (!source)
        return fail(ctx, source.error());

    JobContext job;
    // --out is an export: written atomically, not flushed, as cp writes (see AtomicFileWriter);
    // what the registry will name is flushed.
    const auto write = [&](const QString &target, Durability durability) {
        ctx.attachProgress(job, QStringLiteral("reshard"));
        auto result = single ? mergeIntoFile(*source, target, &job, durability)
                             : reshard(*source, target, maxBytes, &job, QStringLiteral("model"), durability);
        ctx.endProgress();
        return result;
    };
    QString registeredAs;
    Result<RepackResult> result = makeError(QStringLiteral("not run"));
    if (toPath) {
        const QString out = ctx.parser.value(QStringLiteral("out"));
        if (single && QFileInfo(out).isDir()) {
            ctx.err(QStringLiteral("reshard: --out %1 is a folder; --single writes a file").arg(out));
            return ExitUsage;
        }
        const QStringList sourceFiles = source->files();
        if (single && std::any_of(sourceFiles.begin(), sourceFiles.end(), [&](const QString &f) { return isSameFile(out, f); })) {
            ctx.err(QStringLiteral("reshard: --out %1 is the source itself; write the result elsewhere").arg(out));
            return ExitUsage;
        }
        result = write(out, Durability::NotFlushed);
        if (!result)
            return fail(ctx, result.error());
    } else {
        auto manager = openWorkspace(ctx);
        if (!manager)
            return ExitUsage;
        const QString type = ctx.parser.isSet(QStringLiteral("type")) ? ctx.parser.value(QStringLiteral("type"))
                                                                      : (entry ? entry->modelType : QString());
        const QString version = ctx.parser.value(QStringLiteral("as"));
        const QString from = entry ? entry->name : QFileInfo(source->path()).fileName();
        const QString note = single ? QStringLiteral("merged from %1").arg(from)
                                    : QStringLiteral("resharded from %1 (%2 per shard)").arg(from, ctx.parser.value(QStringLiteral("max-shard-size")));
        auto imported = manager->addDerivedVersion(type, version, !single, ctx.parser.isSet(QStringLiteral("activate")), note,
                                                   [&](const QString &path) -> Status {
                                                       result = write(path, Durability::Flushed);
                                                       if (!result)
                                                           return result.error();
                                                       return {};
                                                   },
                                                   &job);
        if (!imported)
            return fail(ctx, imported.error());
        registeredAs = imported->name;
    }

    if (ctx.parser.isSet(QStringLiteral("json"))) {
        JsonWriter w;
        w.beginObject();
        w.key(QStringLiteral("source"));
        w.value(source->path());
        w.key(QStringLiteral("registered_as"));
        registeredAs.isEmpty() ? w.null() : w.value(registeredAs);
        w.key(QStringLiteral("index"));
        result->indexPath.isEmpty() || toWorkspace ? w.null() : w.value(result->indexPath);
        w.key(QStringLiteral("files"));
        w.beginArray();
        for (const QString &f : std::as_const(result->files))
            w.value(toWorkspace ? QFileInfo(f).fileName() : f);
        w.endArray();
        w.key(QStringLiteral("total_size"));
        w.value(result->totalSize);
        w.endObject();
        ctx.out(QString::fromUtf8(w.text()));
        return ExitOk;
    }
    QString text = single ? QStringLiteral("%1 tensors, %2, merged into one file").arg(source->tensors().size()).arg(humanBytes(result->totalSize))
                          : QStringLiteral("%1 tensors, %2, in %3 shards of at most %4")
                                    .arg(source->tensors().size())
                                    .arg(humanBytes(result->totalSize))
                                    .arg(result->files.size())
                                    .arg(ctx.parser.value(QStringLiteral("max-shard-size")));
    text += registeredAs.isEmpty() ? QStringLiteral(": %1\n").arg(result->indexPath.isEmpty() ? result->files.first() : result->indexPath)
                                   : QStringLiteral(", registered as %1\n").arg(registeredAs);
    ctx.out(text);
    return ExitOk;
}

} // namespace

Command reshardCommand()
{
    return Command{
        "reshard",
        "SRC",
        "Repack a weight into shards of at most SIZE (Hugging Face layout) or merge a shard set into one file",
        [](QCommandLineParser &p) {
            p.addOption({QStringLiteral("max-shard-size"), QStringLiteral("Tensor bytes per shard at most: 5GB, 500MB, 2GiB…"), QStringLiteral("SIZE")});
            p.addOption({QStringLiteral("single"), QStringLiteral("Merge into one .safetensors file.")});
            p.addOption({QStringLiteral("as"), QStringLiteral("Register the result as VERSION of the source's model type."), QStringLiteral("VERSION")});
            p.addOption({QStringLiteral("type"), QStringLiteral("With --as: the model type (default: the source's, or guessed)."), QStringLiteral("TYPE")});
            p.addOption({QStringLiteral("activate"), QStringLiteral("With --as: make the result the active weight of its type.")});
            p.addOption({QStringLiteral("out"), QStringLiteral("Write to PATH instead: a folder for shards, a file with --single."), QStringLiteral("PATH")});
            p.addOption({QStringLiteral("json"), QStringLiteral("Print what was written as one JSON object.")});
        },
        runReshard,
    };
}

} // namespace tantra::cli
