#include "tensorsortfilterproxy.h"

#include "tensoritemsource.h"

namespace tantra {

TensorSortFilterProxy::TensorSortFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(TensorItemSource::SortRole);
    // A group stays visible while any tensor below it passes the filter.
    setRecursiveFilteringEnabled(true);
}

void TensorSortFilterProxy::setSourceModel(QAbstractItemModel *model)
{
    m_source = dynamic_cast<const TensorItemSource *>(model);
    QSortFilterProxyModel::setSourceModel(model);
}

bool TensorSortFilterProxy::setFilterPattern(const QString &pattern)
{
    TensorFilter filter(pattern);
    if (!filter.isValid()) {
        m_error = filter.errorString();
        return false;
    }
    m_error.clear();
    if (pattern == m_pattern)
        return true;
    m_pattern = pattern;
    m_filter = std::move(filter);
    invalidateFilter();
    return true;
}

void TensorSortFilterProxy::setOnlyIssues(bool only)
{
    if (only == m_onlyIssues)
        return;
    m_onlyIssues = only;
    invalidateFilter();
}

bool TensorSortFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_source)
        return m_source->rowMatches(sourceModel()->index(sourceRow, 0, sourceParent), m_filter, m_onlyIssues);
    if (m_filter.isEmpty())
        return true;
    const QString name = sourceModel()->index(sourceRow, 0, sourceParent).data(TensorItemSource::TensorNameRole).toString();
    return m_filter.matches(name.toStdString());
}

bool TensorSortFilterProxy::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    if (m_source)
        return m_source->compareRows(left, right, left.column()) < 0;
    const QVariant a = left.data(sortRole());
    const QVariant b = right.data(sortRole());
    return QVariant::compare(a, b) == QPartialOrdering::Less;
}

} // namespace tantra
