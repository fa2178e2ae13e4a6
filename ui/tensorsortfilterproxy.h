#pragma once

#include "tensorfilter.h"

#include <QSortFilterProxyModel>

namespace tantra {

class TensorItemSource;

// Filters tensor rows by name (glob or /regex/, see TensorFilter) and sorts them on typed
// values. Over a TensorItemSource (the tensor table or tree) it compares the rows' own data
// directly; over any other model it compares SortRole values, never their display text.
class TensorSortFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit TensorSortFilterProxy(QObject *parent = nullptr);

    void setSourceModel(QAbstractItemModel *model) override;

    // Returns false (and keeps the previous filter) when the pattern is an invalid regex.
    bool setFilterPattern(const QString &pattern);
    QString filterPattern() const { return m_pattern; }
    QString filterError() const { return m_error; }
    void setOnlyIssues(bool only);
    bool onlyIssues() const { return m_onlyIssues; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    const TensorItemSource *m_source = nullptr;
    TensorFilter m_filter;
    QString m_pattern;
    QString m_error;
    bool m_onlyIssues = false;
};

} // namespace tantra
