#include "inspectformat.h"

#include "jsonwriter.h"
#include "tensorstats.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tantra::cli {

QString shapeText(const std::vector<std::uint64_t> &shape)
{
    QStringList dims;
    for (auto d : shape)
        dims << QString::number(d);
    return QLatin1Char('[') + dims.join(QStringLiteral(", ")) + QLatin1Char(']');
}

QString statText(double v)
{
    return std::isfinite(v) ? QString::number(v, 'g', 6) : QStringLiteral("-");
}

QStringList statsHeader()
{
    return {QStringLiteral("MIN"), QStringLiteral("MAX"), QStringLiteral("MEAN"), QStringLiteral("STD"),
            QStringLiteral("NAN"), QStringLiteral("+INF"), QStringLiteral("-INF"), QStringLiteral("ZEROS")};
}

QStringList statsCells(const TensorStats &s)
{
    return {statText(s.min), statText(s.max), statText(s.mean), statText(s.std), QString::number(s.nan),
            QString::number(s.posInf), QString::number(s.negInf), QString::number(s.zeros)};
}

void writeStatsJson(JsonWriter &w, const TensorStats &s)
{
    w.key(QStringLiteral("stats"));
    w.beginObject();
    const std::pair<const char *, double> reals[] = {{"max", s.max}, {"mean", s.mean}, {"min", s.min}};
    for (const auto &[name, v] : reals) {
        w.key(QLatin1String(name));
        w.value(v);
    }
    w.key(QStringLiteral("nan"));
    w.value(s.nan);
    w.key(QStringLiteral("neg_inf"));
    w.value(s.negInf);
    w.key(QStringLiteral("pos_inf"));
    w.value(s.posInf);
    w.key(QStringLiteral("std"));
    w.value(s.std);
    w.key(QStringLiteral("zeros"));
    w.value(s.zeros);
    w.endObject();
}

QString formatTable(const QStringList &header, const std::vector<QStringList> &rows, const std::function<bool(qsizetype)> &numeric)
{
    std::vector<qsizetype> width(std::size_t(header.size()));
    for (qsizetype c = 0; c < header.size(); ++c)
        width[std::size_t(c)] = header[c].size();
    for (const auto &row : rows)
        for (qsizetype c = 0; c < row.size(); ++c)
            width[std::size_t(c)] = std::max(width[std::size_t(c)], row[c].size());
    const auto line = [&](const QStringList &cells) {
        QString text;
        for (qsizetype c = 0; c < cells.size(); ++c) {
            const int w = int(width[std::size_t(c)]);
            text += numeric(c) ? cells[c].rightJustified(w) : cells[c].leftJustified(c + 1 == cells.size() ? 0 : w);
            if (c + 1 < cells.size())
                text += QStringLiteral("  ");
        }
        return text;
    };
    QString text = line(header) + QLatin1Char('\n');
    for (const auto &row : rows)
        text += line(row) + QLatin1Char('\n');
    return text;
}

} // namespace tantra::cli
