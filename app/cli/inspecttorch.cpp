#include "inspecttorch.h"

#include "englishplurals.h"
#include "inspectformat.h"
#include "jobcontext.h"
#include "jsonwriter.h"
#include "printablename.h"
#include "tensorfilter.h"
#include "tensorstats.h"
#include "torchcheckpoint.h"

namespace tantra::cli {

namespace {

QString formatName(TorchCheckpoint::Format format)
{
    switch (format) {
    case TorchCheckpoint::Format::Zip: return QStringLiteral("PyTorch zip");
    case TorchCheckpoint::Format::Legacy: return QStringLiteral("PyTorch legacy");
    case TorchCheckpoint::Format::Sharded: return QStringLiteral("PyTorch shard set");
    }
    return {};
}

} // namespace

int runInspectTorch(Context &ctx, const QString &path, const TensorFilter &filter, bool json, bool withStats)
{
    const auto opened = readTorchCheckpoint(path, {ctx.parser.value(QStringLiteral("key"))});
    if (!opened) {
        ctx.err(opened.errorString());
        return ExitProblem;
    }
    const TorchCheckpoint &checkpoint = *opened;

    std::vector<std::size_t> selected;
    for (std::size_t i = 0; i < checkpoint.tensors().size(); ++i)
        if (filter.matches(checkpoint.tensors()[i].name.toStdString()))
            selected.push_back(i);

    std::vector<TensorStats> stats;
    if (withStats) {
        JobContext job;
        ctx.attachProgress(job, QStringLiteral("statistics"));
        for (std::size_t i : selected) {
            const TorchTensor &t = checkpoint.tensors()[i];
            auto bytes = checkpoint.contiguousBytes(i);
            auto s = bytes ? computeStats(t.dtype, std::as_bytes(std::span(bytes->constData(), std::size_t(bytes->size()))), &job)
                           : Result<TensorStats>(bytes.error());
            if (!s) {
                ctx.endProgress();
                ctx.err(QStringLiteral("%1: tensor %2: %3").arg(path, t.name, s.errorString()));
                return ExitProblem;
            }
            stats.push_back(*s);
        }
        ctx.endProgress();
    }

    if (json) {
        JsonWriter w;
        w.beginObject();
        w.key(QStringLiteral("format"));
        w.value(formatName(checkpoint.format()));
        w.key(QStringLiteral("notes"));
        w.beginArray();
        for (const QString &note : checkpoint.notes())
            w.value(note);
        w.endArray();
        w.key(QStringLiteral("path"));
        w.value(checkpoint.path());
        w.key(QStringLiteral("state_dict_key"));
        w.value(checkpoint.stateDictKey());
        w.key(QStringLiteral("tensors"));
        w.beginArray();
        for (std::size_t k = 0; k < selected.size(); ++k) {
            const TorchTensor &t = checkpoint.tensors()[selected[k]];
            w.beginObject();
            w.key(QStringLiteral("bytes"));
            w.value(t.byteSize());
            w.key(QStringLiteral("dtype"));
            w.value(QString::fromLatin1(dtypeName(t.dtype)));
            w.key(QStringLiteral("name"));
            w.value(t.name);
            w.key(QStringLiteral("shape"));
            w.beginArray();
            for (auto d : t.shape)
                w.value(d);
            w.endArray();
            if (withStats)
                writeStatsJson(w, stats[k]);
            w.endObject();
        }
        w.endArray();
        w.endObject();
        ctx.out(QString::fromUtf8(w.text()));
        return ExitOk;
    }

    QStringList header{QStringLiteral("NAME"), QStringLiteral("DTYPE"), QStringLiteral("SHAPE"), QStringLiteral("BYTES")};
    if (withStats)
        header << statsHeader();
    std::vector<QStringList> rows;
    rows.reserve(selected.size());
    for (std::size_t k = 0; k < selected.size(); ++k) {
        const TorchTensor &t = checkpoint.tensors()[selected[k]];
        QStringList row{QString::fromStdString(printableName(t.name.toStdString(), 1000)), QString::fromLatin1(dtypeName(t.dtype)),
                        shapeText(t.shape), QString::number(t.byteSize())};
        if (withStats)
            row << statsCells(stats[k]);
        rows.push_back(row);
    }
    QString text = formatTable(header, rows, [](qsizetype c) { return c >= 3; });
    text += QStringLiteral("\n%1 shown of %2; %3 of tensor data (%4 format, read without running its pickle)\n")
                    .arg(plural("%n tensor(s)", qint64(selected.size())))
                    .arg(checkpoint.tensors().size())
                    .arg(humanBytes(checkpoint.tensorBytes()))
                    .arg(formatName(checkpoint.format()));
    if (!checkpoint.notes().isEmpty()) {
        text += QStringLiteral("\nNotes:\n");
        for (const QString &note : checkpoint.notes())
            text += QStringLiteral("  ") + note + QLatin1Char('\n');
    }
    ctx.out(text);
    return ExitOk;
}

} // namespace tantra::cli
