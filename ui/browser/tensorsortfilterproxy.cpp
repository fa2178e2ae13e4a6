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
    m_sourceSorts = m_source && m_source->sortsItself();
    // A source that knows which groups hold matches spares the proxy its recursive walk.
    const bool sourcePrepares = m_source && m_source->prepareFilter(m_filter, m_onlyIssues);
    setRecursiveFilteringEnabled(!sourcePrepares);
    QSortFilterProxyModel::setSourceModel(model);
}

void TensorSortFilterProxy::sort(int column, Qt::SortOrder order)
{
    if (!m_sourceSorts) {
        QSortFilterProxyModel::sort(column, order);
        return;
    }
    // The proxy keeps the source's order; the source reorders itself with one layoutChanged.
    if (sortColumn() != -1)
        QSortFilterProxyModel::sort(-1, order);
    sourceModel()->sort(column, order);
}

TensorFilter TensorSortFilterProxy::searchFilter(const QString &pattern)
{
    // A plain word ("proj") finds the names that contain it, as every filter box does; the
    // full-name match of a glob is for patterns that use its wildcards.
    const bool isRegex = pattern.size() >= 2 && pattern.startsWith(QLatin1Char('/')) && pattern.endsWith(QLatin1Char('/'));
    const bool plain = !isRegex && !pattern.isEmpty() && !pattern.contains(QLatin1Char('*')) && !pattern.contains(QLatin1Char('?'))
            && !pattern.contains(QLatin1Char('['));
    return TensorFilter(plain ? QLatin1Char('*') + pattern + QLatin1Char('*') : pattern);
}

bool TensorSortFilterProxy::setFilterPattern(const QString &pattern)
{
    TensorFilter filter = searchFilter(pattern);
    if (!filter.isValid()) {
        m_error = filter.errorString();
        return false;
    }
    m_error.clear();
    if (pattern == m_pattern)
        return true;
    m_pattern = pattern;
    m_filter = std::move(filter);
    refilter();
    return true;
}

void TensorSortFilterProxy::setOnlyIssues(bool only)
{
    if (only == m_onlyIssues)
        return;
    m_onlyIssues = only;
    refilter();
}

void TensorSortFilterProxy::refilter()
{
    // invalidateFilter() removes and inserts the changed rows range by range: a glob over
    // 100,000 names changes thousands of ranges, and each notice costs the views O(rows).
    // invalidate() rebuilds the mapping with one layoutChanged, keeping the selection.
    if (m_source)
        m_source->prepareFilter(m_filter, m_onlyIssues);
    invalidate();
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
    // Ties are not broken here: the proxy's sort is stable, so equal rows keep the source's
    // order (the file's data order in the table).
    if (m_source)
        return m_source->compareRows(left, right, left.column()) < 0;
    const QVariant a = left.data(sortRole());
    const QVariant b = right.data(sortRole());
    return QVariant::compare(a, b) == QPartialOrdering::Less;
}

} // namespace tantra
