#include "cli.h"
#include "converttorch.h"

#include "floatrounding.h"
#include "jobcontext.h"
#include "jsonwriter.h"
#include "printablename.h"
#include "regularfile.h"
#include "safetensorsmodel.h"
#include "torchcheckpoint.h"
#include "weightconversion.h"
#include "weightmanager.h"
#include "workspace.h"

#include "workspacecontext.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>

namespace tantra::cli {

namespace {

QString number(double v)
{
    return QString::number(v, 'g', 4);
}

} // namespace

QString conversionTextReport(const ConversionReport &r, const QString &registeredAs)
{
    QString text = QStringLiteral("%1 of %2 tensors converted to %3: %4 -> %5")
                           .arg(r.convertedCount())
                           .arg(r.tensors.size())
                           .arg(conversionTargetName(r.target), humanBytes(r.bytesBefore), humanBytes(r.bytesAfter));
    text += registeredAs.isEmpty() ? QStringLiteral(", written to %1\n").arg(r.output) : QStringLiteral(", registered as %1\n").arg(registeredAs);
    const QStringList header{QStringLiteral("NAME"),       QStringLiteral("FROM"),    QStringLiteral("TO"),
                             QStringLiteral("ELEMENTS"),   QStringLiteral("OVERFLOWED"), QStringLiteral("FLUSHED"),
                             QStringLiteral("MAX|ERR|"),   QStringLiteral("REL_L2")};
    std::vector<QStringList> rows;
    for (const auto &t : r.tensors) {
        QStringList row{QString::fromStdString(printableName(t.name, 1000)), QString::fromLatin1(dtypeName(t.from)),
                        t.converted ? QString::fromLatin1(dtypeName(t.to)) : QStringLiteral("(kept)"), QString::number(t.elements)};
        if (t.converted)
            row << QString::number(t.overflowed) << QString::number(t.flushed) << number(t.maxAbsError)
                << (t.relL2Error ? number(*t.relL2Error) : QStringLiteral("undefined (zero norm)"));
        else
            row << QStringLiteral("-") << QStringLiteral("-") << QStringLiteral("-") << QStringLiteral("-");
        rows.push_back(row);
    }
    text += QLatin1Char('\n') + formatTable(header, rows, {3, 4, 5, 6, 7});
    return text;
}

QByteArray conversionJsonReport(const ConversionReport &r, const QString &registeredAs)
{
    JsonWriter w;
    w.beginObject();
    w.key(QStringLiteral("source"));
    w.value(r.source);
    w.key(QStringLiteral("output"));
    w.value(r.output);
    w.key(QStringLiteral("registered_as"));
    registeredAs.isEmpty() ? w.null() : w.value(registeredAs);
    w.key(QStringLiteral("dtype"));
    w.value(conversionTargetName(r.target));
    w.key(QStringLiteral("bytes_before"));
    w.value(r.bytesBefore);
    w.key(QStringLiteral("bytes_after"));
    w.value(r.bytesAfter);
    w.key(QStringLiteral("tensors"));
    w.beginArray();
    for (const auto &t : r.tensors) {
        w.beginObject();
        w.key(QStringLiteral("name"));
        w.value(QString::fromStdString(t.name));
        w.key(QStringLiteral("from"));
        w.value(QString::fromLatin1(dtypeName(t.from)));
        w.key(QStringLiteral("to"));
        w.value(QString::fromLatin1(dtypeName(t.to)));
        w.key(QStringLiteral("converted"));
        w.boolean(t.converted);
        w.key(QStringLiteral("elements"));
        w.value(t.elements);
        if (t.converted) {
            w.key(QStringLiteral("overflowed"));
            w.value(t.overflowed);
            w.key(QStringLiteral("flushed"));
            w.value(t.flushed);
            w.key(QStringLiteral("max_abs_error"));
            w.value(t.maxAbsError);
            w.key(QStringLiteral("rel_l2_error"));
            t.relL2Error ? w.value(*t.relL2Error) : w.null();
        }
        w.endObject();
    }
    w.endArray();
    w.endObject();
    return w.text();
}

std::optional<ConvertOptions> convertOptionsOf(Context &ctx)
{
    const QString dtypeArg = ctx.parser.value(QStringLiteral("dtype"));
    const auto target = conversionTargetFromName(dtypeArg);
    if (!target) {
        ctx.err(QStringLiteral("convert: unknown --dtype '%1': use bf16, f16, f32, f8_e4m3 or f8_e5m2").arg(dtypeArg));
        return std::nullopt;
    }
    ConvertOptions options;
    options.target = *target;
    options.include = ctx.parser.values(QStringLiteral("include"));
    options.exclude = ctx.parser.values(QStringLiteral("exclude"));
    options.keepSensitive = ctx.parser.isSet(QStringLiteral("keep-sensitive"));
    options.saturate = !ctx.parser.isSet(QStringLiteral("no-saturate"));
    return options;
}

namespace {

int runConvert(Context &ctx)
{
    if (ctx.positional.size() != 1) {
        ctx.err(QStringLiteral("convert: give one source weight (a file, an index, a shard folder, a registered name or a PyTorch checkpoint)"));
        return ExitUsage;
    }
    if (const QFileInfo info(ctx.positional[0]); info.exists() && !info.isDir() && isTorchCheckpointName(ctx.positional[0]))
        return runConvertTorch(ctx, ctx.positional[0]);
    if (ctx.parser.isSet(QStringLiteral("key"))) {
        ctx.err(QStringLiteral("convert: --key applies to PyTorch checkpoints only"));
        return ExitUsage;
    }
    if (ctx.parser.value(QStringLiteral("dtype")).isEmpty()) {
        ctx.err(QStringLiteral("convert: --dtype is required (bf16, f16, f32, f8_e4m3 or f8_e5m2)"));
        return ExitUsage;
    }
    const std::optional<ConvertOptions> parsed = convertOptionsOf(ctx);
    if (!parsed)
        return ExitUsage;
    const bool toWorkspace = ctx.parser.isSet(QStringLiteral("as"));
    const bool toFile = ctx.parser.isSet(QStringLiteral("out"));
    if (toWorkspace == toFile) {
        ctx.err(QStringLiteral("convert: give either --as VERSION (a new version in the workspace) or --out PATH (a file)"));
        return ExitUsage;
    }
    ConvertOptions options = *parsed;

    std::optional<WeightEntry> entry;
    auto source = openWeightArgument(ctx, ctx.positional[0], &entry);
    if (!source)
        return fail(ctx, source.error());

    if (entry)
        options.sourceName = entry->name;
    JobContext job;
    QString registeredAs;
    Result<ConversionReport> report = makeError(QStringLiteral("not run"));
    if (toFile) {
        const QString out = ctx.parser.value(QStringLiteral("out"));
        if (QFileInfo(out).isDir()) {
            ctx.err(QStringLiteral("convert: --out %1 is a folder; give the file to write").arg(out));
            return ExitUsage;
        }
        const QStringList sourceFiles = source->files();
        if (QFileInfo(out).absoluteFilePath() == QFileInfo(source->path()).absoluteFilePath()
            || std::any_of(sourceFiles.begin(), sourceFiles.end(), [&](const QString &f) { return isSameFile(out, f); })) {
            ctx.err(QStringLiteral("convert: --out %1 is the source itself; write the result elsewhere").arg(out));
            return ExitUsage;
        }
        ctx.attachProgress(job, QStringLiteral("convert"));
        // An export: written atomically, not flushed, as cp writes (see AtomicFileWriter).
        ConvertOptions exported = options;
        exported.durability = Durability::NotFlushed;
        report = convertWeight(*source, out, exported, &job);
        ctx.endProgress();
        if (!report)
            return fail(ctx, report.error());
    } else {
        auto manager = openWorkspace(ctx);
        if (!manager)
            return ExitUsage;
        const QString type = ctx.parser.isSet(QStringLiteral("type")) ? ctx.parser.value(QStringLiteral("type"))
                                                                      : (entry ? entry->modelType : QString());
        const QString version = ctx.parser.value(QStringLiteral("as"));
        const QString from = entry ? entry->name : QFileInfo(source->path()).fileName();
        ctx.attachProgress(job, QStringLiteral("convert"));
        auto made = manager->convertToVersion(*source, from, type, version, options, ctx.parser.isSet(QStringLiteral("activate")), &job);
        ctx.endProgress();
        if (!made)
            return fail(ctx, made.error());
        registeredAs = made->entry.name;
        report = std::move(made->report);
    }
    if (ctx.parser.isSet(QStringLiteral("json")))
        ctx.out(QString::fromUtf8(conversionJsonReport(*report, registeredAs)));
    else
        ctx.out(conversionTextReport(*report, registeredAs));
    return ExitOk;
}

} // namespace

Command convertCommand()
{
    return Command{
        "convert",
        "SRC",
        "Convert a weight's float tensors to bf16/f16/f32/f8 (round to nearest even), or a PyTorch checkpoint to safetensors, as a new version or file",
        [](QCommandLineParser &p) {
            p.addOption({QStringLiteral("dtype"), QStringLiteral("Target: bf16, f16, f32, f8_e4m3 (e4m3fn) or f8_e5m2 (optional for a PyTorch checkpoint)."), QStringLiteral("DTYPE")});
            p.addOption({QStringLiteral("key"), QStringLiteral("PyTorch checkpoints: the dotted key path of the state dict (model.encoder)."), QStringLiteral("PATH")});
            p.addOption({QStringLiteral("include"), QStringLiteral("Convert only tensors matching GLOB or /REGEX/ (repeatable)."), QStringLiteral("GLOB")});
            p.addOption({QStringLiteral("exclude"), QStringLiteral("Copy tensors matching GLOB or /REGEX/ unchanged (repeatable)."), QStringLiteral("GLOB")});
            p.addOption({QStringLiteral("keep-sensitive"), QStringLiteral("Keep 1-D tensors and names containing 'norm' in their dtype.")});
            p.addOption({QStringLiteral("no-saturate"), QStringLiteral("F8: overflow gives NaN (e4m3fn) or Inf (e5m2) instead of the largest value.")});
            p.addOption({QStringLiteral("as"), QStringLiteral("Register the result as VERSION of the source's model type."), QStringLiteral("VERSION")});
            p.addOption({QStringLiteral("type"), QStringLiteral("With --as: the model type (default: the source's, or guessed)."), QStringLiteral("TYPE")});
            p.addOption({QStringLiteral("activate"), QStringLiteral("With --as: make the result the active weight of its type.")});
            p.addOption({QStringLiteral("out"), QStringLiteral("Write the result to the file PATH instead (atomically)."), QStringLiteral("PATH")});
            p.addOption({QStringLiteral("json"), QStringLiteral("Print the report as one JSON object.")});
        },
        runConvert,
    };
}

} // namespace tantra::cli
