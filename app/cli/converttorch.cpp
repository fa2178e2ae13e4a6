#include "converttorch.h"

#include "englishplurals.h"
#include "jobcontext.h"
#include "jsonwriter.h"
#include "regularfile.h"
#include "safetensorsmodel.h"
#include "torchcheckpoint.h"
#include "torchconversion.h"
#include "weightconversion.h"
#include "weightmanager.h"
#include "workspacecontext.h"

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

#include <algorithm>

namespace tantra::cli {

namespace {

// What one run did: the plain conversion, and the --dtype report when asked for.
struct Outcome
{
    TorchConversion conversion;
    std::optional<ConversionReport> report;
};

// Writes `checkpoint` to `out`. With a dtype, the checkpoint becomes a safetensors file in a
// scratch folder beside `out` first and convertWeight takes it from there: the dtype
// conversion (its pool pipeline, rounding, error report and options) works on safetensors
// files through StreamReader, and one more sequential pass on the same disk costs less than a
// second implementation of it over checkpoint storages would. The scratch folder goes either way,
// so its file is never flushed; `out` is flushed as `durability` says (Flushed for what the
// registry will name, NotFlushed for an export).
Result<Outcome> convertTo(const TorchCheckpoint &checkpoint, const QString &out, const std::optional<ConvertOptions> &options, JobContext &job,
                          Durability durability)
{
    const QString name = QFileInfo(checkpoint.path()).fileName();
    Outcome outcome;
    if (!options) {
        auto written = convertTorchCheckpoint(checkpoint, out, &job, name, durability);
        if (!written)
            return written.error();
        outcome.conversion = *written;
        return outcome;
    }
    const QString folder = QFileInfo(out).absolutePath();
    QTemporaryDir scratch(QDir(folder).filePath(QStringLiteral(".tantra-convert-XXXXXX")));
    if (!scratch.isValid())
        return makeError(folder, QStringLiteral("cannot create a scratch folder: ") + scratch.errorString());
    auto written = convertTorchCheckpoint(checkpoint, scratch.filePath(safetensorsNameFor(checkpoint.path())), &job, name,
                                          Durability::NotFlushed);
    if (!written)
        return written.error();
    outcome.conversion = *written;
    auto model = SafetensorsModel::open(written->output);
    if (!model)
        return model.error();
    ConvertOptions withName = *options;
    withName.sourceName = name;
    withName.durability = durability;
    auto report = convertWeight(*model, out, withName, &job);
    if (!report)
        return report.error();
    report->source = checkpoint.path();
    outcome.report = std::move(*report);
    return outcome;
}

QString textOf(const TorchCheckpoint &checkpoint, const Outcome &outcome, const QString &output, const QString &registeredAs)
{
    QString text = QStringLiteral("%1 (%2) converted from PyTorch checkpoint %3")
                           .arg(plural("%n tensor(s)", qint64(outcome.conversion.tensorCount)), humanBytes(outcome.conversion.bytes), checkpoint.path());
    text += registeredAs.isEmpty() ? QStringLiteral(", written to %1\n").arg(output) : QStringLiteral(", registered as %1\n").arg(registeredAs);
    if (!checkpoint.notes().isEmpty())
        text += QStringLiteral("Notes:\n  ") + checkpoint.notes().join(QStringLiteral("\n  ")) + QLatin1Char('\n');
    return text;
}

QByteArray jsonOf(const TorchCheckpoint &checkpoint, const Outcome &outcome, const QString &output, const QString &registeredAs)
{
    JsonWriter w;
    w.beginObject();
    w.key(QStringLiteral("source"));
    w.value(checkpoint.path());
    w.key(QStringLiteral("output"));
    w.value(output);
    w.key(QStringLiteral("registered_as"));
    registeredAs.isEmpty() ? w.null() : w.value(registeredAs);
    w.key(QStringLiteral("state_dict_key"));
    w.value(checkpoint.stateDictKey());
    w.key(QStringLiteral("tensors"));
    w.value(std::uint64_t(outcome.conversion.tensorCount));
    w.key(QStringLiteral("bytes"));
    w.value(outcome.conversion.bytes);
    w.key(QStringLiteral("notes"));
    w.beginArray();
    for (const QString &note : checkpoint.notes())
        w.value(note);
    w.endArray();
    w.endObject();
    return w.text();
}

} // namespace

int runConvertTorch(Context &ctx, const QString &checkpointPath)
{
    std::optional<ConvertOptions> options;
    if (ctx.parser.isSet(QStringLiteral("dtype"))) {
        options = convertOptionsOf(ctx);
        if (!options)
            return ExitUsage;
    } else {
        for (const char *option : {"include", "exclude", "keep-sensitive", "no-saturate"}) {
            if (ctx.parser.isSet(QLatin1String(option))) {
                ctx.err(QStringLiteral("convert: --%1 needs --dtype (a PyTorch checkpoint alone is converted to safetensors as it is)").arg(QLatin1String(option)));
                return ExitUsage;
            }
        }
    }
    const bool toWorkspace = ctx.parser.isSet(QStringLiteral("as"));
    const bool toFile = ctx.parser.isSet(QStringLiteral("out"));
    if (toWorkspace == toFile) {
        ctx.err(QStringLiteral("convert: give either --as VERSION (a new version in the workspace) or --out PATH (a file)"));
        return ExitUsage;
    }
    const QString out = ctx.parser.value(QStringLiteral("out"));
    if (toFile && QFileInfo(out).isDir()) {
        ctx.err(QStringLiteral("convert: --out %1 is a folder; give the file to write").arg(out));
        return ExitUsage;
    }
    if (toFile && (QFileInfo(out).absoluteFilePath() == QFileInfo(checkpointPath).absoluteFilePath() || isSameFile(out, checkpointPath))) {
        ctx.err(QStringLiteral("convert: --out %1 is the source itself; write the result elsewhere").arg(out));
        return ExitUsage;
    }

    // Read (and refuse a hostile pickle) before anything is written or a workspace opened.
    auto checkpoint = readTorchCheckpoint(checkpointPath, TorchReadOptions{ctx.parser.value(QStringLiteral("key"))});
    if (!checkpoint)
        return fail(ctx, checkpoint.error());

    JobContext job;
    QString output = out;
    QString registeredAs;
    Result<Outcome> outcome = makeError(QStringLiteral("not run"));
    if (toFile) {
        ctx.attachProgress(job, QStringLiteral("convert"));
        outcome = convertTo(*checkpoint, out, options, job, Durability::NotFlushed);
        ctx.endProgress();
        if (!outcome)
            return fail(ctx, outcome.error());
    } else {
        auto manager = openWorkspace(ctx);
        if (!manager)
            return ExitUsage;
        QString note = torchSourceNote(checkpointPath);
        if (options)
            note += QStringLiteral(" (%1)").arg(conversionTargetName(options->target));
        auto imported = manager->addDerivedVersion(
                ctx.parser.value(QStringLiteral("type")), ctx.parser.value(QStringLiteral("as")), false,
                ctx.parser.isSet(QStringLiteral("activate")), note,
                [&](const QString &path) -> Status {
                    ctx.attachProgress(job, QStringLiteral("convert"));
                    outcome = convertTo(*checkpoint, path, options, job, Durability::Flushed);
                    ctx.endProgress();
                    if (!outcome)
                        return outcome.error();
                    return {};
                },
                &job);
        if (!imported)
            return fail(ctx, imported.error());
        registeredAs = imported->name;
        output = manager->workspace().absolutePath(imported->path);
        if (outcome->report)
            outcome->report->output = output;
    }
    const bool json = ctx.parser.isSet(QStringLiteral("json"));
    if (outcome->report)
        ctx.out(json ? QString::fromUtf8(conversionJsonReport(*outcome->report, registeredAs)) : conversionTextReport(*outcome->report, registeredAs));
    else
        ctx.out(json ? QString::fromUtf8(jsonOf(*checkpoint, *outcome, output, registeredAs)) : textOf(*checkpoint, *outcome, output, registeredAs));
    return ExitOk;
}

} // namespace tantra::cli
