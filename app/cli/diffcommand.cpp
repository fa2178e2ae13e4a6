#include "cli.h"

#include "comparisonreport.h"
#include "jobcontext.h"
#include "printablename.h"
#include "safetensorsmodel.h"
#include "weightcomparison.h"
#include "weightmanager.h"
#include "workspace.h"

#include "workspacecontext.h"

#include <QFileInfo>

#include <algorithm>
#include <cmath>

namespace tantra::cli {

namespace {

// diff(1)'s exit status, which scripts test as "same or not": 0 the same (within tolerance),
// 1 different, 2 trouble. Unlike the other commands, an invalid file is trouble (2), not a
// finding (1), so that 1 always means "they differ".
enum DiffExit { DiffSame = 0, DiffDifferent = 1, DiffTrouble = 2 };

QString shapeText(const std::optional<std::vector<std::uint64_t>> &shape)
{
    if (!shape)
        return QStringLiteral("-");
    QStringList dims;
    for (auto d : *shape)
        dims << QString::number(d);
    return QLatin1Char('[') + dims.join(QStringLiteral(", ")) + QLatin1Char(']');
}

QString dtypeText(const std::optional<Dtype> &dtype)
{
    return dtype ? QString::fromLatin1(dtypeName(*dtype)) : QStringLiteral("-");
}

// Both sides' value when they agree, "A→B" when not.
QString pairText(const QString &a, const QString &b, bool hasA, bool hasB)
{
    if (hasA && hasB && a != b)
        return a + QStringLiteral("→") + b;
    return hasA ? a : b;
}

QString number(const std::optional<double> &v)
{
    return v ? QString::number(*v, 'g', 4) : QStringLiteral("-");
}

// What the report prints where a quotient has a zero norm in its denominator.
const QString kUndefined = QStringLiteral("undefined (zero norm)");

QString quotient(const TensorComparison &t, const std::optional<double> &v)
{
    if (!t.valuesCompared)
        return QStringLiteral("-");
    return v ? QString::number(*v, 'g', 4) : kUndefined;
}

QString indexText(const std::vector<std::uint64_t> &index)
{
    QStringList parts;
    for (auto i : index)
        parts << QString::number(i);
    return QLatin1Char('[') + parts.join(QLatin1Char(',')) + QLatin1Char(']');
}

QString textReport(const WeightComparison &c, bool all)
{
    QString text = comparisonSummary(c) + QLatin1Char('\n');
    std::vector<const TensorComparison *> shown;
    for (const auto &t : c.tensors)
        if (all || t.status != CompareStatus::Identical)
            shown.push_back(&t);
    // Largest rel_l2 first; undefined ones (zero norm) and those not compared after, by name.
    std::stable_sort(shown.begin(), shown.end(), [](const TensorComparison *x, const TensorComparison *y) {
        const double rx = x->relL2 ? *x->relL2 : -1;
        const double ry = y->relL2 ? *y->relL2 : -1;
        return rx > ry;
    });
    if (!shown.empty()) {
        const QStringList header{QStringLiteral("NAME"),      QStringLiteral("STATUS"),   QStringLiteral("DTYPE"),
                                 QStringLiteral("SHAPE"),     QStringLiteral("DIFFERING"), QStringLiteral("MAX|Δ|"),
                                 QStringLiteral("AT"),        QStringLiteral("MEAN|Δ|"),  QStringLiteral("REL_L2"),
                                 QStringLiteral("COSINE"),    QStringLiteral("NONFINITE")};
        std::vector<QStringList> rows;
        for (const auto *t : shown) {
            QStringList row{QString::fromStdString(printableName(t->name, 1000)),
                            QString::fromLatin1(compareStatusName(t->status)),
                            pairText(dtypeText(t->dtypeA), dtypeText(t->dtypeB), bool(t->dtypeA), bool(t->dtypeB)),
                            pairText(shapeText(t->shapeA), shapeText(t->shapeB), bool(t->shapeA), bool(t->shapeB))};
            if (t->valuesCompared)
                row << QString::number(t->differing) << number(t->maxAbsDiff)
                    << (hasMaxIndex(*t) ? indexText(t->maxAbsDiffIndex) : QStringLiteral("-")) << number(t->meanAbsDiff)
                    << quotient(*t, t->relL2) << quotient(*t, t->cosine) << QString::number(t->nonfiniteMismatch);
            else
                row << QStringLiteral("-") << QStringLiteral("-") << QStringLiteral("-") << QStringLiteral("-")
                    << QStringLiteral("-") << QStringLiteral("-") << QStringLiteral("-");
            rows.push_back(row);
        }
        text += QLatin1Char('\n') + formatTable(header, rows, {4, 5, 7, 8, 9, 10});
    }
    if (!c.metadata.empty()) {
        text += QStringLiteral("\nMetadata:\n");
        const auto p = [](const std::string &s) { return QString::fromStdString(printableName(s, 1000)); };
        for (const auto &m : c.metadata) {
            if (!m.a)
                text += QStringLiteral("  + %1: %2\n").arg(p(m.key), p(*m.b));
            else if (!m.b)
                text += QStringLiteral("  - %1: %2\n").arg(p(m.key), p(*m.a));
            else
                text += QStringLiteral("  ~ %1: %2 → %3\n").arg(p(m.key), p(*m.a), p(*m.b));
        }
    }
    return text;
}

bool parseTolerance(Context &ctx, const char *name, double &into)
{
    const QString option = QLatin1String(name);
    if (!ctx.parser.isSet(option))
        return true;
    bool ok = false;
    const double v = ctx.parser.value(option).toDouble(&ok);
    if (!ok || !std::isfinite(v) || v < 0) {
        ctx.err(QStringLiteral("diff: --%1 takes a number >= 0, not '%2'").arg(option, ctx.parser.value(option)));
        return false;
    }
    into = v;
    return true;
}

int runDiff(Context &ctx)
{
    if (ctx.positional.size() != 2) {
        ctx.err(QStringLiteral("diff: give two weights A and B (files, indexes, shard folders or registered weight names)"));
        return DiffTrouble;
    }
    CompareOptions options;
    if (!parseTolerance(ctx, "rtol", options.rtol) || !parseTolerance(ctx, "atol", options.atol))
        return DiffTrouble;
    options.filter = ctx.parser.value(QStringLiteral("filter"));
    for (const QString &map : ctx.parser.values(QStringLiteral("map"))) {
        // The first '=' splits: a pattern with '=' of its own can write it as \x3d.
        const qsizetype eq = map.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            ctx.err(QStringLiteral("diff: --map takes REGEX=REPLACEMENT, not '%1'").arg(map));
            return DiffTrouble;
        }
        options.renameB.emplace_back(map.left(eq), map.mid(eq + 1));
    }

    auto a = openWeightArgument(ctx, ctx.positional[0]);
    if (!a) {
        ctx.err(a.errorString());
        return DiffTrouble;
    }
    auto b = openWeightArgument(ctx, ctx.positional[1]);
    if (!b) {
        ctx.err(b.errorString());
        return DiffTrouble;
    }

    JobContext job;
    ctx.attachProgress(job, QStringLiteral("diff"));
    auto compared = compareWeights(*a, *b, options, &job);
    ctx.endProgress();
    if (!compared) {
        ctx.err(QStringLiteral("diff: ") + compared.errorString());
        return DiffTrouble;
    }
    if (ctx.parser.isSet(QStringLiteral("json")))
        ctx.out(QString::fromUtf8(comparisonJson(a->path(), b->path(), options, *compared)));
    else
        ctx.out(textReport(*compared, ctx.parser.isSet(QStringLiteral("all"))));
    return compared->equalWithinTolerance() ? DiffSame : DiffDifferent;
}

} // namespace

Command diffCommand()
{
    return Command{
        "diff",
        "A B",
        "Compare two weights tensor by tensor (exit 0 same within tolerance, 1 different, 2 trouble)",
        [](QCommandLineParser &p) {
            p.addOption({QStringLiteral("json"), QStringLiteral("Print one JSON object instead of the summary and table.")});
            p.addOption({QStringLiteral("rtol"), QStringLiteral("Relative tolerance of 'close' (default 1e-5)."), QStringLiteral("R")});
            p.addOption({QStringLiteral("atol"), QStringLiteral("Absolute tolerance of 'close' (default 1e-8)."), QStringLiteral("A")});
            p.addOption({QStringLiteral("filter"), QStringLiteral("Only tensors whose name matches GLOB (or /REGEX/)."), QStringLiteral("GLOB")});
            p.addOption({QStringLiteral("map"), QStringLiteral("Rename B's tensors: REGEX=REPLACEMENT (repeatable, applied in order)."),
                         QStringLiteral("RE=REPL")});
            p.addOption({QStringLiteral("all"), QStringLiteral("List identical tensors in the table too.")});
        },
        runDiff,
    };
}

} // namespace tantra::cli
