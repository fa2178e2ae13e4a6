#pragma once

#include "dtype.h"
#include "tensorfilter.h"
#include "tensoritemsource.h"

#include <QAbstractItemModel>
#include <QHash>

#include <memory>
#include <string_view>
#include <vector>

namespace tantra {

class SafetensorsModel;

// The tensors grouped by name prefix: "backbone.layers.0.mixer.in_proj.weight" sits under
// backbone › layers › 0 › mixer as the leaf "in_proj.weight" (a leaf keeps its module and
// parameter together). Built once per load into a flat node vector; groups show the totals
// of what lies below them.
class TensorTreeModel : public QAbstractItemModel, public TensorItemSource
{
    Q_OBJECT
public:
    explicit TensorTreeModel(QObject *parent = nullptr);
    ~TensorTreeModel() override;

    void setModel(std::shared_ptr<const SafetensorsModel> model);
    const std::shared_ptr<const SafetensorsModel> &model() const { return m_model; }
    void setTensorIssues(const QHash<QString, QString> &issueByTensorName);

    // The index of a tensor's leaf (column 0), or invalid.
    QModelIndex indexOf(std::string_view tensorName) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const ModelTensor *tensorAt(const QModelIndex &index) const override;
    int compareRows(const QModelIndex &a, const QModelIndex &b, int column) const override;
    bool rowMatches(const QModelIndex &index, const TensorFilter &filter, bool onlyIssues) const override;
    bool prepareFilter(const TensorFilter &filter, bool onlyIssues) const override;

private:
    struct Node
    {
        int parent = -1;
        int row = 0;
        int tensor = -1; // index into the model's tensors; -1 for a group
        std::string_view label; // a view into the tensor name, which the model keeps alive
        std::string_view path;  // the full prefix (group) or name (leaf)
        std::vector<int> children;
        // Totals over the leaves below (or the leaf itself).
        std::uint64_t elements = 0;
        std::uint64_t bytes = 0;
        int tensorCount = 0;
        int nameRank = 0; // position among its siblings in natural name order
        int issueCount = 0;
        Dtype dtype = Dtype::F32;
        bool mixedDtypes = false;
        QString issue;
    };

    int nodeOf(const QModelIndex &index) const { return index.isValid() ? int(index.internalId()) : 0; }
    int addChild(int parent, std::string_view label, std::string_view path);
    void rankSiblings();

    std::shared_ptr<const SafetensorsModel> m_model;
    std::vector<Node> m_nodes; // m_nodes[0] is the invisible root
    std::vector<int> m_leafOfTensor;
    // Filtering state (see prepareFilter): the last filter and, by node, whether it passes.
    void markPassingNodes() const;
    mutable TensorFilter m_filter;
    mutable bool m_onlyIssues = false;
    mutable std::vector<int> m_passes; // by node, its passing tensors; empty: every node passes
};

} // namespace tantra
