#include "comparisonreport.h"

#include "jsonwriter.h"
#include "printablename.h"

#include <QStringList>

namespace tantra {

namespace {

void writeShape(JsonWriter &w, const std::optional<std::vector<std::uint64_t>> &shape)
{
    if (!shape) {
        w.null();
        return;
    }
    w.beginArray();
    for (auto d : *shape)
        w.value(d);
    w.endArray();
}

void writeOptional(JsonWriter &w, const std::optional<double> &v)
{
    if (v)
        w.value(*v);
    else
        w.null();
}

QByteArray jsonText(const QString &pathA, const QString &pathB, const CompareOptions &options, const WeightComparison &c)
{
    JsonWriter w;
    w.beginObject();
    w.key(QStringLiteral("a"));
    w.value(pathA);
    w.key(QStringLiteral("b"));
    w.value(pathB);
    w.key(QStringLiteral("identical"));
    w.boolean(c.identical());
    w.key(QStringLiteral("rtol"));
    w.value(options.rtol);
    w.key(QStringLiteral("atol"));
    w.value(options.atol);
    w.key(QStringLiteral("summary"));
    w.beginObject();
    const auto counts = c.counts();
    for (int s = 0; s < kCompareStatusCount; ++s) {
        w.key(QString::fromLatin1(compareStatusName(CompareStatus(s))));
        w.value(counts[std::size_t(s)]);
    }
    w.endObject();
    w.key(QStringLiteral("tensors"));
    w.beginArray();
    for (const auto &t : c.tensors) {
        w.beginObject();
        w.key(QStringLiteral("name"));
        w.value(QString::fromStdString(t.name));
        if (!t.nameB.empty()) {
            w.key(QStringLiteral("name_b"));
            w.value(QString::fromStdString(t.nameB));
        }
        w.key(QStringLiteral("status"));
        w.value(QString::fromLatin1(compareStatusName(t.status)));
        w.key(QStringLiteral("dtype_a"));
        t.dtypeA ? w.value(QString::fromLatin1(dtypeName(*t.dtypeA))) : w.null();
        w.key(QStringLiteral("dtype_b"));
        t.dtypeB ? w.value(QString::fromLatin1(dtypeName(*t.dtypeB))) : w.null();
        w.key(QStringLiteral("shape_a"));
        writeShape(w, t.shapeA);
        w.key(QStringLiteral("shape_b"));
        writeShape(w, t.shapeB);
        if (t.valuesCompared) {
            w.key(QStringLiteral("differing"));
            w.value(t.differing);
            w.key(QStringLiteral("max_abs_diff"));
            writeOptional(w, t.maxAbsDiff);
            w.key(QStringLiteral("max_abs_diff_index"));
            if (!hasMaxIndex(t)) {
                w.null();
            } else {
                w.beginArray();
                for (auto i : t.maxAbsDiffIndex)
                    w.value(i);
                w.endArray();
            }
            w.key(QStringLiteral("mean_abs_diff"));
            writeOptional(w, t.meanAbsDiff);
            w.key(QStringLiteral("rel_l2"));
            writeOptional(w, t.relL2);
            w.key(QStringLiteral("cosine"));
            writeOptional(w, t.cosine);
            w.key(QStringLiteral("nonfinite_mismatch"));
            w.value(t.nonfiniteMismatch);
        }
        w.endObject();
    }
    w.endArray();
    w.key(QStringLiteral("metadata"));
    w.beginObject();
    const auto section = [&](const char *name, auto keep, auto write) {
        w.key(QLatin1String(name));
        w.beginObject();
        for (const auto &m : c.metadata) {
            if (!keep(m))
                continue;
            w.key(QString::fromStdString(m.key));
            write(m);
        }
        w.endObject();
    };
    section("added", [](const MetadataChange &m) { return !m.a; }, [&](const MetadataChange &m) { w.value(QString::fromStdString(*m.b)); });
    section("removed", [](const MetadataChange &m) { return !m.b; }, [&](const MetadataChange &m) { w.value(QString::fromStdString(*m.a)); });
    section("changed", [](const MetadataChange &m) { return m.a && m.b; }, [&](const MetadataChange &m) {
        w.beginArray();
        w.value(QString::fromStdString(*m.a));
        w.value(QString::fromStdString(*m.b));
        w.endArray();
    });
    w.endObject();
    w.endObject();
    return w.text();
}

} // namespace

// Where the largest difference lies: known when a finite pair was compared, which an
// identical tensor (bytes compared, not values) does not tell.
bool hasMaxIndex(const TensorComparison &t)
{
    return t.maxAbsDiff && t.status != CompareStatus::Identical;
}

QString comparisonSummary(const WeightComparison &c)
{
    const auto counts = c.counts();
    QStringList parts;
    for (int s = 0; s < kCompareStatusCount; ++s) {
        if (counts[std::size_t(s)] == 0 && s != int(CompareStatus::Identical))
            continue;
        QString part = QStringLiteral("%1 %2").arg(counts[std::size_t(s)]).arg(QString::fromLatin1(compareStatusName(CompareStatus(s))));
        if (CompareStatus(s) == CompareStatus::Changed) {
            const TensorComparison *largest = nullptr;
            for (const auto &t : c.tensors)
                if (t.status == CompareStatus::Changed && t.relL2 && (!largest || *t.relL2 > *largest->relL2))
                    largest = &t;
            if (largest)
                part += QStringLiteral(" (largest rel_l2 %1: %2)")
                                .arg(QString::number(*largest->relL2, 'e', 1), QString::fromStdString(printableName(largest->name, 1000)));
        }
        parts << part;
    }
    QString line = QStringLiteral("%1 tensors: %2").arg(c.tensors.size()).arg(parts.join(QStringLiteral(", ")));
    if (!c.metadata.empty())
        line += c.metadata.size() == 1 ? QStringLiteral("; 1 metadata key differs")
                                       : QStringLiteral("; %1 metadata keys differ").arg(c.metadata.size());
    return line;
}

QByteArray comparisonJson(const QString &pathA, const QString &pathB, const CompareOptions &options,
                          const WeightComparison &c)
{
    return jsonText(pathA, pathB, options, c);
}

} // namespace tantra
