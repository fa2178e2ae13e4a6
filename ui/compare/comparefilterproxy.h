#pragma once

#include "tensorfilter.h"
#include "weightcomparison.h"

#include <QSortFilterProxyModel>

#include <bitset>

namespace tantra {

// The compare table's filter: tensor names (glob, /regex/ or a plain word, as in the tensor
// browser) and statuses. Rows whose values are still being compared always pass, so the
// table shows the work in progress. Sorting is left to CompareTableModel (see there).
class CompareFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit CompareFilterProxy(QObject *parent = nullptr);

    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    // Returns false (and keeps the previous filter) when the pattern is an invalid regex.
    bool setFilterPattern(const QString &pattern);
    QString filterError() const { return m_error; }
    void setStatusVisible(CompareStatus status, bool visible);
    bool isStatusVisible(CompareStatus status) const { return m_visible.test(std::size_t(status)); }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    TensorFilter m_filter;
    QString m_pattern;
    QString m_error;
    std::bitset<kCompareStatusCount> m_visible;
};

} // namespace tantra
