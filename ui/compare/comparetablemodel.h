#pragma once

#include "weightcomparison.h"

#include <QAbstractTableModel>

#include <utility>
#include <vector>

namespace tantra {

// The rows of a comparison (one per tensor of either side) over a plain vector, filled in
// two steps as compareWeights reports them: the structure from the headers, then the values
// wave by wave. Sorting is the model's own (typed fields, a stable std::sort): a
// QSortFilterProxyModel sorting 100,000 rows through QVariant stalls the GUI thread.
class CompareTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, StatusColumn, DtypeColumn, ShapeColumn, DifferingColumn, MaxAbsColumn, RelL2Column, CosineColumn, ColumnCount };
    enum Role {
        // The cell's raw value (QString, qulonglong, double; a missing number sorts first).
        SortRole = Qt::UserRole + 1,
        // int(CompareStatus), or -1 while the row's values are still being compared.
        StatusRole,
        // The row's index in the comparison (WeightComparison::tensors).
        ComparisonRowRole,
    };

    explicit CompareTableModel(QObject *parent = nullptr);

    // Every row, from the structure (values not compared yet) or a finished comparison. Moved
    // in, not copied: 100,000 rows are that many strings and shapes.
    void setComparison(WeightComparison comparison);
    // These rows of the comparison have their values now (index in the comparison, row).
    void updateRows(std::vector<std::pair<std::size_t, TensorComparison>> rows);
    void clear();
    const WeightComparison &comparison() const { return m_comparison; }

    // The row shown at `row`, or nullptr.
    const TensorComparison *rowAt(int row) const;
    // Where the comparison's row `comparisonRow` is shown, or -1.
    int rowOf(std::size_t comparisonRow) const;
    // A same-shape pair whose values are not compared yet.
    static bool isPending(const TensorComparison &t);
    static QString statusText(const TensorComparison &t);
    static QColor statusColor(CompareStatus status);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    // -1, 0, 1 on typed fields; missing values first.
    static int compare(const TensorComparison &x, const TensorComparison &y, int column);
    // Orders m_order by the sort column; ties keep the comparison's (name) order.
    void sortOrder();
    void reindex();

    WeightComparison m_comparison; // rows in the comparison's (name) order
    // Sorting moves these indices, not the rows: a row is a few hundred bytes of strings
    // and vectors, an index four.
    std::vector<int> m_order;    // shown row -> comparison row
    std::vector<int> m_position; // comparison row -> shown row
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
};

} // namespace tantra
