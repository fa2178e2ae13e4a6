#pragma once

#include <QAbstractItemModel>
#include <QString>

namespace tantra {

class TensorFilter;
struct ModelTensor;

// What the tensor table and the tensor tree have in common, so that one proxy filters and
// sorts both on typed data without going through QVariant for each of 100,000 rows.
class TensorItemSource
{
public:
    enum Column { NameColumn, DtypeColumn, ShapeColumn, ElementsColumn, BytesColumn, OffsetColumn, ShardColumn, ColumnCount };
    enum Role {
        // The raw value of a cell (qulonglong, QString, int): what sorting compares.
        SortRole = Qt::UserRole + 1,
        // The full tensor name; empty for a group row of the tree.
        TensorNameRole,
        // The failing config rule for this tensor, empty when none.
        IssueRole,
        // The full name of a tensor, or the full prefix of a tree group ("model.layers.0").
        PathRole,
    };

    virtual ~TensorItemSource() = default;

    // The tensor a row stands for; nullptr for a group row.
    virtual const ModelTensor *tensorAt(const QModelIndex &index) const = 0;
    // Typed three-way comparison of two rows under the same parent, by `column`; 0 for ties,
    // which a stable sort leaves in the source's order.
    virtual int compareRows(const QModelIndex &a, const QModelIndex &b, int column) const = 0;
    // Whether the row's own tensor passes; group rows pass only when nothing is filtered
    // (a recursive proxy then shows them when a descendant passes).
    virtual bool rowMatches(const QModelIndex &index, const TensorFilter &filter, bool onlyIssues) const = 0;
    // True when the model's own sort() orders its rows by these typed comparisons: a proxy
    // then leaves sorting to it (see TensorSortFilterProxy::sort).
    virtual bool sortsItself() const { return false; }

    static QString columnTitle(int column);
    static QString columnToolTip(int column);
    static bool isNumericColumn(int column)
    {
        return column == ElementsColumn || column == BytesColumn || column == OffsetColumn;
    }
};

} // namespace tantra
