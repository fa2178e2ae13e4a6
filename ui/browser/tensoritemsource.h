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
    // Whether the row passes the filter. Without prepareFilter(): whether its own tensor
    // passes, groups passing only when nothing is filtered (a recursive proxy then shows them
    // when a descendant passes). With it: the prepared answer; the arguments are ignored.
    virtual bool rowMatches(const QModelIndex &index, const TensorFilter &filter, bool onlyIssues) const = 0;
    // True when the model's own sort() orders its rows by these typed comparisons: a proxy
    // then leaves sorting to it (see TensorSortFilterProxy::sort).
    virtual bool sortsItself() const { return false; }
    // A model may work out, in one pass, which rows pass a filter (a tree: the matching
    // tensors and every group above one) and answer rowMatches() from that. It keeps the
    // filter and applies it again after a reset or new issues. Returns true if it does so,
    // in which case a proxy needs no recursive filtering of its own.
    virtual bool prepareFilter(const TensorFilter &filter, bool onlyIssues) const
    {
        Q_UNUSED(filter);
        Q_UNUSED(onlyIssues);
        return false;
    }

    static QString columnTitle(int column);
    static QString columnToolTip(int column);
    static bool isNumericColumn(int column)
    {
        return column == ElementsColumn || column == BytesColumn || column == OffsetColumn;
    }
};

} // namespace tantra
