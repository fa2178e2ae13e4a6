#include "validationresultsmodel.h"

#include <QApplication>
#include <QBrush>
#include <QPalette>
#include <QStyle>

#include <algorithm>

namespace tantra {

ValidationResultsModel::ValidationResultsModel(QObject *parent) : QAbstractTableModel(parent) {}

void ValidationResultsModel::setResults(std::vector<ValidationResult> results)
{
    // What needs attention first; stable, so each group keeps the order it was checked in.
    std::stable_sort(results.begin(), results.end(),
                     [](const ValidationResult &a, const ValidationResult &b) { return !a.passed && b.passed; });
    beginResetModel();
    m_results = std::move(results);
    endResetModel();
}

int ValidationResultsModel::failedCount() const
{
    return int(std::count_if(m_results.begin(), m_results.end(), [](const ValidationResult &r) { return !r.passed; }));
}

int ValidationResultsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_results.size());
}

int ValidationResultsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ValidationResultsModel::statusText(const ValidationResult &result)
{
    if (!result.ran)
        return tr("could not run");
    if (result.passed)
        return tr("passed");
    return tr("failed: %n problem(s)", nullptr, int(result.problems.size()));
}

QVariant ValidationResultsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ValidationResult &r = m_results[std::size_t(index.row())];
    QString first = r.problems.isEmpty() ? QString() : r.problems.first();
    if (index.column() == ProblemColumn && role == Qt::DisplayRole && !r.file.isEmpty() && first.startsWith(r.file + QStringLiteral(": ")))
        first = first.mid(r.file.size() + 2);
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case WeightColumn: return r.weight;
        case StatusColumn: return statusText(r);
        case ProblemColumn: return first;
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == ProblemColumn && !first.isEmpty())
            return first;
        break;
    case Qt::DecorationRole:
        if (index.column() == StatusColumn) {
            const QStyle *style = QApplication::style();
            return style->standardIcon(r.passed ? QStyle::SP_DialogApplyButton
                                                : r.ran ? QStyle::SP_MessageBoxCritical : QStyle::SP_MessageBoxWarning);
        }
        break;
    default: break;
    }
    return {};
}

QVariant ValidationResultsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case WeightColumn: return tr("Weight");
    case StatusColumn: return tr("Status");
    case ProblemColumn: return tr("First problem");
    }
    return {};
}

} // namespace tantra
