#include "comparefilterproxy.h"

#include "comparetablemodel.h"
#include "tensorsortfilterproxy.h"

namespace tantra {

CompareFilterProxy::CompareFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    m_visible.set();
    // Identical tensors are what a user does not look for: hidden until asked.
    m_visible.reset(std::size_t(CompareStatus::Identical));
}

void CompareFilterProxy::sort(int column, Qt::SortOrder order)
{
    // The proxy keeps the source's order; the source reorders itself with one layoutChanged.
    if (sortColumn() != -1)
        QSortFilterProxyModel::sort(-1, order);
    if (sourceModel())
        sourceModel()->sort(column, order);
}

bool CompareFilterProxy::setFilterPattern(const QString &pattern)
{
    TensorFilter filter = TensorSortFilterProxy::searchFilter(pattern);
    if (!filter.isValid()) {
        m_error = filter.errorString();
        return false;
    }
    m_error.clear();
    if (pattern == m_pattern)
        return true;
    m_pattern = pattern;
    m_filter = std::move(filter);
    // invalidate(): one layoutChanged for the whole table, not thousands of row ranges.
    invalidate();
    return true;
}

void CompareFilterProxy::setStatusVisible(CompareStatus status, bool visible)
{
    if (m_visible.test(std::size_t(status)) == visible)
        return;
    m_visible.set(std::size_t(status), visible);
    invalidate();
}

bool CompareFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const auto *model = static_cast<const CompareTableModel *>(sourceModel());
    const TensorComparison *t = model->rowAt(sourceRow);
    if (!t || sourceParent.isValid())
        return false;
    if (!CompareTableModel::isPending(*t) && !m_visible.test(std::size_t(t->status)))
        return false;
    return m_filter.isEmpty() || m_filter.matches(t->name);
}

} // namespace tantra
