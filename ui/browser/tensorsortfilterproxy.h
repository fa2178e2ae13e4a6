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
    // A source that sorts itself (the tensor table) is asked to: sorting 100,000 rows here
    // would cost two index() calls and a lessThan() per comparison, ~1.7 million times.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    // What a filter box's text means: a glob, a /regex/, or a plain word found anywhere in
    // the name. Shared with the compare view's filter.
    static TensorFilter searchFilter(const QString &pattern);
    // Returns false (and keeps the previous filter) when the pattern is an invalid regex.
    bool setFilterPattern(const QString &pattern);
    QString filterPattern() const { return m_pattern; }
    QString filterError() const { return m_error; }
    void setOnlyIssues(bool only);
    bool onlyIssues() const { return m_onlyIssues; }
    // Filters again, e.g. after the source's issues changed under an issues-only filter.
    void refilter();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:

    const TensorItemSource *m_source = nullptr;
    bool m_sourceSorts = false;
    TensorFilter m_filter;
    QString m_pattern;
    QString m_error;
    bool m_onlyIssues = false;
};

} // namespace tantra
