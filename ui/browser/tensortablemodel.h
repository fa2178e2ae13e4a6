#pragma once

#include "tensoritemsource.h"

#include <QAbstractTableModel>
#include <QFuture>
#include <QHash>
#include <QStringList>

#include <memory>
#include <string_view>
#include <vector>

namespace tantra {

class JobRunner;
class SafetensorsModel;
struct TensorInfo;

// Every tensor of a model as one flat row. A plain vector of row structs, filled with one
// model reset per load; display text is made only for the rows a view asks for.
class TensorTableModel : public QAbstractTableModel, public TensorItemSource
{
    Q_OBJECT
public:
    explicit TensorTableModel(QObject *parent = nullptr);
    ~TensorTableModel() override;

    void setModel(std::shared_ptr<const SafetensorsModel> model);
    const std::shared_ptr<const SafetensorsModel> &model() const { return m_model; }
    // Replaces every issue; tensors not named have none.
    void setTensorIssues(const QHash<QString, QString> &issueByTensorName);
    int issueCount() const { return m_issueCount; }

    // The row of a tensor, or -1.
    int rowOf(std::string_view tensorName) const;

    // Reorders the rows by a column's typed values (ties, and column -1, in the file's data
    // order), keeping persistent indexes (selections) on their tensors.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }
    bool sortsItself() const override { return true; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const ModelTensor *tensorAt(const QModelIndex &index) const override;
    int compareRows(const QModelIndex &a, const QModelIndex &b, int column) const override;
    bool rowMatches(const QModelIndex &index, const TensorFilter &filter, bool onlyIssues) const override;

private:
    struct Row
    {
        const ModelTensor *tensor = nullptr;
        std::uint32_t position = 0; // the tensor's place in the model's data order
        std::uint64_t elements = 0;
        QString issue;
    };
    int compare(const Row &a, const Row &b, int column) const;

    std::shared_ptr<const SafetensorsModel> m_model;
    std::uint32_t nameRank(const Row &row) const;

    std::vector<Row> m_rows;
    std::vector<int> m_rowOfPosition;               // inverse of Row::position
    mutable std::vector<std::uint32_t> m_nameRank; // by position; from the ranking job, or its future on a sort before it ends
    QFuture<std::vector<std::uint32_t>> m_nameRankFuture;
    JobRunner *m_jobs; // the ranking of the current model; a new model supersedes it
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    QStringList m_shardNames;
    int m_issueCount = 0;
};

} // namespace tantra
