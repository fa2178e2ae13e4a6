#include "conversionreportmodel.h"

#include <QColor>
#include <QLocale>
#include <QPalette>

#include <limits>

namespace tantra {

ConversionReportModel::ConversionReportModel(QObject *parent) : QAbstractTableModel(parent) {}

void ConversionReportModel::setReport(ConversionReport report)
{
    beginResetModel();
    m_report = std::move(report);
    endResetModel();
}

int ConversionReportModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_report.tensors.size());
}

int ConversionReportModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ConversionReportModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn: return tr("Tensor");
        case DtypeColumn: return tr("Dtype");
        case ElementsColumn: return tr("Elements");
        case OverflowedColumn: return tr("Overflowed");
        case FlushedColumn: return tr("Flushed to 0");
        case MaxErrorColumn: return tr("Max |error|");
        case RelL2Column: return tr("Rel. L2 error");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case OverflowedColumn: return tr("Finite values beyond the target's range: saturated to its largest value, or Inf/NaN without saturation");
        case FlushedColumn: return tr("Non-zero values that became zero (below the target's smallest subnormal)");
        case MaxErrorColumn: return tr("Largest |x - converted x| over the values finite on both sides");
        case RelL2Column: return tr("||x - converted x|| / ||x||; undefined for an all-zero tensor");
        }
    }
    return {};
}

QVariant ConversionReportModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const TensorConversion &t = m_report.tensors[std::size_t(index.row())];
    const int column = index.column();
    const QLocale locale;
    if (role == SortRole) {
        switch (column) {
        case NameColumn: return QString::fromStdString(t.name);
        case DtypeColumn: return QString(QString::fromLatin1(dtypeName(t.from)) + QString::fromLatin1(dtypeName(t.to)));
        case ElementsColumn: return qulonglong(t.elements);
        case OverflowedColumn: return qulonglong(t.overflowed);
        case FlushedColumn: return qulonglong(t.flushed);
        case MaxErrorColumn: return t.converted ? t.maxAbsError : -1.0;
        // Copied tensors sort below every converted one, undefined ones below those.
        case RelL2Column: return !t.converted ? -2.0 : t.relL2Error ? *t.relL2Error : -1.0;
        }
        return {};
    }
    if (role == Qt::DisplayRole) {
        switch (column) {
        case NameColumn: return QString::fromStdString(t.name);
        case DtypeColumn:
            return t.converted ? QStringLiteral("%1 \u2192 %2").arg(QLatin1String(dtypeName(t.from)), QLatin1String(dtypeName(t.to)))
                               : tr("%1 (copied)").arg(QLatin1String(dtypeName(t.from)));
        case ElementsColumn: return locale.toString(qulonglong(t.elements));
        case OverflowedColumn: return t.converted ? locale.toString(qulonglong(t.overflowed)) : QString();
        case FlushedColumn: return t.converted ? locale.toString(qulonglong(t.flushed)) : QString();
        case MaxErrorColumn: return t.converted ? QString::number(t.maxAbsError, 'g', 3) : QString();
        case RelL2Column:
            if (!t.converted)
                return QString();
            return t.relL2Error ? QString::number(*t.relL2Error, 'g', 3) : tr("undefined (zero norm)");
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole && column != NameColumn && column != DtypeColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ForegroundRole && !t.converted)
        return QPalette().color(QPalette::Disabled, QPalette::Text);
    if (role == Qt::ForegroundRole && column == OverflowedColumn && t.overflowed > 0)
        return QColor(Qt::red);
    if (role == Qt::ToolTipRole && column == NameColumn)
        return QString::fromStdString(t.name);
    return {};
}

} // namespace tantra
