#include "cli.h"
#include "inspectformat.h"
#include "inspecttorch.h"

#include "englishplurals.h"
#include "jobcontext.h"
#include "printablename.h"
#include "safetensorsmodel.h"
#include "tensorfilter.h"
#include "tensorstats.h"
#include "torchcheckpoint.h"

#include "jsonwriter.h"

#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace tantra::cli {

namespace {

int runInspect(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("inspect: give exactly one PATH (a .safetensors file, an index, a folder with an index, or a PyTorch .bin/.pt/.pth)"));
        return ExitUsage;
    }
    const bool json = ctx.parser.isSet(QStringLiteral("json"));
    const bool withStats = ctx.parser.isSet(QStringLiteral("stats"));
    const TensorFilter filter(ctx.parser.value(QStringLiteral("filter")));
    if (!filter.isValid()) {
        ctx.err(QStringLiteral("inspect: invalid --filter regular expression: ") + filter.errorString());
        return ExitUsage;
    }

    if (isTorchCheckpointName(ctx.positional.first()))
        return runInspectTorch(ctx, ctx.positional.first(), filter, json, withStats);
    if (ctx.parser.isSet(QStringLiteral("key"))) {
        ctx.err(QStringLiteral("inspect: --key applies to PyTorch checkpoints only"));
        return ExitUsage;
    }

    auto opened = SafetensorsModel::open(ctx.positional.first());
    if (!opened) {
        ctx.err(opened.errorString());
        return ExitProblem;
    }
    const SafetensorsModel &model = *opened;

    std::vector<const ModelTensor *> selected;
    for (const auto &t : model.tensors()) {
        if (filter.matches(t.info->name))
            selected.push_back(&t);
    }

    std::vector<TensorStats> stats;
    if (withStats) {
        JobContext job;
        std::uint64_t bytes = 0;
        for (const auto *t : selected)
            bytes += t->info->byteSize();
        ctx.attachProgress(job, QStringLiteral("statistics"));
        stats.reserve(selected.size());
        for (const auto *t : selected) {
            auto s = computeStats(t->info->dtype, model.reader(*t), &job);
            if (!s) {
                ctx.endProgress();
                ctx.err(model.shardOf(*t).path() + QStringLiteral(": tensor ") + quoteName(t->info->name)
                        + QStringLiteral(": ") + s.errorString());
                return ExitProblem;
            }
            stats.push_back(*s);
        }
        ctx.endProgress();
        (void)bytes;
    }

    if (json) {
        // Keys in the order QJsonObject used to write them (sorted), so the output did not move.
        JsonWriter w;
        w.beginObject();
        w.key(QStringLiteral("metadata"));
        w.beginObject();
        std::vector<std::pair<QString, QString>> metadata;
        for (const auto &[k, v] : model.metadata())
            metadata.emplace_back(QString::fromStdString(k), QString::fromStdString(v));
        std::sort(metadata.begin(), metadata.end());
        for (const auto &[k, v] : metadata) {
            w.key(k);
            w.value(v);
        }
        w.endObject();
        w.key(QStringLiteral("path"));
        w.value(model.path());
        w.key(QStringLiteral("tensors"));
        w.beginArray();
        for (std::size_t i = 0; i < selected.size(); ++i) {
            const TensorInfo &info = *selected[i]->info;
            w.beginObject();
            w.key(QStringLiteral("data_offsets"));
            w.beginArray();
            w.value(info.begin);
            w.value(info.end);
            w.endArray();
            w.key(QStringLiteral("dtype"));
            w.value(QString::fromLatin1(dtypeName(info.dtype)));
            if (model.isSharded()) {
                w.key(QStringLiteral("file"));
                w.value(QFileInfo(model.shardOf(*selected[i]).path()).fileName());
            }
            w.key(QStringLiteral("name"));
            w.value(QString::fromStdString(info.name));
            w.key(QStringLiteral("shape"));
            w.beginArray();
            for (auto d : info.shape)
                w.value(d);
            w.endArray();
            if (withStats)
                writeStatsJson(w, stats[i]);
            w.endObject();
        }
        w.endArray();
        w.endObject();
        ctx.out(QString::fromUtf8(w.text()));
        return ExitOk;
    }

    // Human output: a table sized to its content, then the metadata.
    QStringList header{QStringLiteral("NAME"), QStringLiteral("DTYPE"), QStringLiteral("SHAPE"), QStringLiteral("BYTES")};
    if (model.isSharded())
        header << QStringLiteral("FILE");
    if (withStats)
        header << statsHeader();
    std::vector<QStringList> rows;
    rows.reserve(selected.size());
    for (std::size_t i = 0; i < selected.size(); ++i) {
        const TensorInfo &info = *selected[i]->info;
        QStringList row{QString::fromStdString(printableName(info.name, 1000)), QString::fromLatin1(dtypeName(info.dtype)),
                        shapeText(info.shape), QString::number(info.byteSize())};
        if (model.isSharded())
            row << QFileInfo(model.shardOf(*selected[i]).path()).fileName();
        if (withStats)
            row << statsCells(stats[i]);
        rows.push_back(row);
    }
    QString text = formatTable(header, rows, [&](qsizetype c) { return c == 3 || c >= (model.isSharded() ? 5 : 4); });
    text += QStringLiteral("\n%1 shown of %2; %3 of tensor data in %4, %5 on disk\n")
                    .arg(plural("%n tensor(s)", qint64(selected.size())))
                    .arg(model.tensors().size())
                    .arg(humanBytes(model.tensorBytes()))
                    .arg(plural("%n file(s)", qint64(model.shards().size())))
                    .arg(humanBytes(model.fileBytes()));
    if (!model.metadata().empty()) {
        text += QStringLiteral("\nMetadata:\n");
        for (const auto &[k, v] : model.metadata())
            text += QStringLiteral("  %1: %2\n").arg(QString::fromStdString(printableName(k, 1000)),
                                                     QString::fromStdString(printableName(v, 1000)));
    }
    ctx.out(text);
    return ExitOk;
}

} // namespace

Command inspectCommand()
{
    return Command{
        "inspect",
        "PATH",
        "Show the tensors and metadata of a .safetensors file or shard set, or of a PyTorch checkpoint (read without running it)",
        [](QCommandLineParser &p) {
            p.addOption({QStringLiteral("json"), QStringLiteral("Print one JSON object instead of a table.")});
            p.addOption({QStringLiteral("stats"), QStringLiteral("Compute min, max, mean, std and NaN/Inf/zero counts (reads all data).")});
            p.addOption({QStringLiteral("filter"), QStringLiteral("Only tensors whose name matches GLOB (or /REGEX/)."), QStringLiteral("GLOB")});
            p.addOption({QStringLiteral("key"), QStringLiteral("PyTorch checkpoints: the dotted path of the state dict inside it (default: the top level, or state_dict, model, model_state_dict, module)."), QStringLiteral("PATH")});
        },
        runInspect,
    };
}

} // namespace tantra::cli
