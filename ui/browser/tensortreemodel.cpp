#include "tensortreemodel.h"

#include "icons.h"
#include "safetensorsmodel.h"
#include "tensorfilter.h"
#include "tensortext.h"

#include <QFileInfo>
#include <QFont>
#include <QGuiApplication>
#include <QPalette>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace tantra {

namespace {

template<typename T>
int threeWay(const T &a, const T &b)
{
    return a < b ? -1 : (b < a ? 1 : 0);
}

} // namespace

TensorTreeModel::TensorTreeModel(QObject *parent)
    : QAbstractItemModel(parent)
{
    m_nodes.emplace_back();
}

TensorTreeModel::~TensorTreeModel() = default;

int TensorTreeModel::addChild(int parent, std::string_view label, std::string_view path)
{
    Node node;
    node.parent = parent;
    node.row = int(m_nodes[std::size_t(parent)].children.size());
    node.label = label;
    node.path = path;
    m_nodes.push_back(std::move(node));
    const int id = int(m_nodes.size() - 1);
    m_nodes[std::size_t(parent)].children.push_back(id);
    return id;
}

void TensorTreeModel::setModel(std::shared_ptr<const SafetensorsModel> model)
{
    beginResetModel();
    m_model = std::move(model);
    m_nodes.clear();
    m_nodes.emplace_back();
    m_leafOfTensor.clear();
    if (m_model) {
        const auto &tensors = m_model->tensors();
        m_nodes.reserve(tensors.size() * 5 / 4 + 1);
        m_leafOfTensor.resize(tensors.size());
        // A leaf keeps the last two segments ("in_proj.weight", a module and its parameter);
        // the rest are groups. But a parameter whose module is a group anyway (mixer.A_log
        // beside mixer.in_proj.weight, model.bias beside model.layers.…) goes inside that
        // group: otherwise it would sit beside its own folder.
        const auto defaultLeafStart = [](std::string_view name) -> std::size_t {
            const std::size_t lastDot = name.rfind('.');
            if (lastDot == std::string_view::npos || lastDot == 0)
                return 0;
            const std::size_t secondLast = name.rfind('.', lastDot - 1);
            return secondLast == std::string_view::npos ? 0 : secondLast + 1;
        };
        std::unordered_set<std::string_view> groupPrefixes;
        for (const ModelTensor &tensor : tensors) {
            const std::string_view name = tensor.info->name;
            const std::size_t leafStart = defaultLeafStart(name);
            for (std::size_t dot = name.find('.'); dot != std::string_view::npos && dot < leafStart; dot = name.find('.', dot + 1))
                groupPrefixes.insert(name.substr(0, dot));
        }
        // A group is identified by its full prefix, a view into the first name that has it.
        std::unordered_map<std::string_view, int> groupByPrefix;
        for (std::size_t t = 0; t < tensors.size(); ++t) {
            const std::string_view name = tensors[t].info->name;
            std::size_t leafStart = defaultLeafStart(name);
            const std::size_t lastDot = name.rfind('.');
            if (lastDot != std::string_view::npos && lastDot > 0 && lastDot + 1 < name.size()
                && groupPrefixes.contains(name.substr(0, lastDot)))
                leafStart = lastDot + 1;
            int parent = 0;
            std::size_t segmentStart = 0;
            while (segmentStart < leafStart) {
                const std::size_t dot = name.find('.', segmentStart);
                const std::string_view prefix = name.substr(0, dot);
                auto it = groupByPrefix.find(prefix);
                if (it == groupByPrefix.end())
                    it = groupByPrefix.emplace(prefix, addChild(parent, name.substr(segmentStart, dot - segmentStart), prefix)).first;
                parent = it->second;
                segmentStart = dot + 1;
            }
            const int leaf = addChild(parent, name.substr(leafStart), name);
            Node &node = m_nodes[std::size_t(leaf)];
            node.tensor = int(t);
            node.dtype = tensors[t].info->dtype;
            node.elements = tensors[t].info->elementCount();
            node.bytes = tensors[t].info->byteSize();
            node.tensorCount = 1;
            m_leafOfTensor[t] = leaf;
            // Totals flow up to every group on the way.
            for (int up = node.parent; up > 0; up = m_nodes[std::size_t(up)].parent) {
                Node &group = m_nodes[std::size_t(up)];
                if (group.tensorCount == 0)
                    group.dtype = node.dtype;
                else if (group.dtype != node.dtype)
                    group.mixedDtypes = true;
                group.elements += node.elements;
                group.bytes += node.bytes;
                ++group.tensorCount;
            }
        }
        rankSiblings();
    }
    markPassingNodes();
    endResetModel();
}

bool TensorTreeModel::prepareFilter(const TensorFilter &filter, bool onlyIssues) const
{
    m_filter = filter;
    m_onlyIssues = onlyIssues;
    markPassingNodes();
    return true;
}

void TensorTreeModel::markPassingNodes() const
{
    m_passes.clear();
    if (m_filter.isEmpty() && !m_onlyIssues)
        return;
    // One pass over the leaves; a passing leaf counts itself in every group above it (a
    // group shows "3 of 12 tensors" while filtered; a count of 0 hides the row).
    m_passes.assign(m_nodes.size(), 0);
    for (std::size_t id = 1; id < m_nodes.size(); ++id) {
        const Node &node = m_nodes[id];
        if (node.tensor < 0 || (m_onlyIssues && node.issue.isEmpty()) || (!m_filter.isEmpty() && !m_filter.matches(node.path)))
            continue;
        for (int up = int(id); up > 0; up = m_nodes[std::size_t(up)].parent)
            ++m_passes[std::size_t(up)];
    }
}

void TensorTreeModel::rankSiblings()
{
    // Sorting by name compares siblings' ranks instead of walking their labels each time.
    std::vector<int> order;
    for (const Node &node : m_nodes) {
        order = node.children;
        std::sort(order.begin(), order.end(), [this](int a, int b) {
            return TensorText::naturalCompare(m_nodes[std::size_t(a)].label, m_nodes[std::size_t(b)].label) < 0;
        });
        for (std::size_t rank = 0; rank < order.size(); ++rank)
            m_nodes[std::size_t(order[rank])].nameRank = int(rank);
    }
}

void TensorTreeModel::setTensorIssues(const QHash<QString, QString> &issueByTensorName)
{
    for (Node &node : m_nodes) {
        node.issueCount = 0;
        node.issue.clear();
    }
    for (std::size_t id = 1; id < m_nodes.size(); ++id) {
        Node &node = m_nodes[id];
        if (node.tensor < 0)
            continue;
        node.issue = issueByTensorName.value(TensorText::name(node.path));
        if (node.issue.isEmpty())
            continue;
        node.issueCount = 1;
        for (int up = node.parent; up > 0; up = m_nodes[std::size_t(up)].parent)
            ++m_nodes[std::size_t(up)].issueCount;
    }
    markPassingNodes();
    // One change notice per parent: issue marks can appear anywhere in the tree.
    for (std::size_t id = 0; id < m_nodes.size(); ++id) {
        const Node &node = m_nodes[id];
        if (node.children.empty())
            continue;
        const QModelIndex parent = id == 0 ? QModelIndex() : createIndex(node.row, 0, quintptr(id));
        Q_EMIT dataChanged(index(0, NameColumn, parent), index(int(node.children.size()) - 1, NameColumn, parent),
                           {Qt::DecorationRole, Qt::ToolTipRole, IssueRole});
    }
}

QModelIndex TensorTreeModel::indexOf(std::string_view tensorName) const
{
    if (!m_model)
        return {};
    const ModelTensor *tensor = m_model->find(tensorName);
    if (!tensor)
        return {};
    const int leaf = m_leafOfTensor[std::size_t(tensor - m_model->tensors().data())];
    return createIndex(m_nodes[std::size_t(leaf)].row, 0, quintptr(leaf));
}

QModelIndex TensorTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    return createIndex(row, column, quintptr(m_nodes[std::size_t(nodeOf(parent))].children[std::size_t(row)]));
}

QModelIndex TensorTreeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    const int parentId = m_nodes[std::size_t(nodeOf(child))].parent;
    if (parentId <= 0)
        return {};
    return createIndex(m_nodes[std::size_t(parentId)].row, 0, quintptr(parentId));
}

int TensorTreeModel::rowCount(const QModelIndex &parent) const
{
    if (parent.column() > 0)
        return 0;
    return int(m_nodes[std::size_t(nodeOf(parent))].children.size());
}

int TensorTreeModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

bool TensorTreeModel::hasChildren(const QModelIndex &parent) const
{
    return rowCount(parent) > 0;
}

QVariant TensorTreeModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node &node = m_nodes[std::size_t(nodeOf(index))];
    const bool isGroup = node.tensor < 0;
    const int column = index.column();
    const TensorInfo *info = isGroup ? nullptr : m_model->tensors()[std::size_t(node.tensor)].info;

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case NameColumn: return TensorText::name(node.label);
        case DtypeColumn:
            return node.mixedDtypes ? tr("mixed") : QString::fromLatin1(dtypeName(node.dtype));
        case ShapeColumn:
            if (!isGroup)
                return TensorText::shape(info->shape);
            if (!m_passes.empty())
                return tr("%L1 of %2").arg(m_passes[std::size_t(nodeOf(index))])
                        .arg(TensorText::counted(std::uint64_t(node.tensorCount), tr("tensor"), tr("tensors")));
            return TensorText::counted(std::uint64_t(node.tensorCount), tr("tensor"), tr("tensors"));
        case ElementsColumn: return TensorText::count(node.elements);
        case BytesColumn: return TensorText::bytes(node.bytes);
        case OffsetColumn: return isGroup ? QVariant() : TensorText::count(info->begin);
        case ShardColumn: {
            if (isGroup)
                return {};
            const ModelTensor &tensor = m_model->tensors()[std::size_t(node.tensor)];
            return tr("%1 of %2").arg(tensor.shard + 1).arg(m_model->shards().size());
        }
        }
        return {};
    case SortRole:
        switch (column) {
        case NameColumn: return TensorText::name(node.label);
        case DtypeColumn: return node.mixedDtypes ? QString() : QString::fromLatin1(dtypeName(node.dtype));
        case ShapeColumn: return isGroup ? QString() : TensorText::shape(info->shape);
        case ElementsColumn: return qulonglong(node.elements);
        case BytesColumn: return qulonglong(node.bytes);
        case OffsetColumn: return isGroup ? QVariant() : QVariant(qulonglong(info->begin));
        case ShardColumn: return isGroup ? QVariant() : QVariant(m_model->tensors()[std::size_t(node.tensor)].shard);
        }
        return {};
    case TensorNameRole:
        return isGroup ? QString() : TensorText::name(node.path);
    case PathRole:
        return TensorText::name(node.path);
    case IssueRole:
        return node.issue;
    case Qt::DecorationRole:
        if (column != NameColumn)
            return {};
        if (node.issueCount > 0)
            return Icons::get(QStringLiteral("warning"));
        return Icons::get(isGroup ? QStringLiteral("folder") : QStringLiteral("tensor"));
    case Qt::ToolTipRole:
        if (column == NameColumn) {
            if (!isGroup && !node.issue.isEmpty())
                return tr("<b>Breaks a config rule</b><br>%1").arg(node.issue.toHtmlEscaped());
            if (isGroup && node.issueCount > 0)
                return tr("%1<br>%2 below break config rules")
                        .arg(TensorText::name(node.path).toHtmlEscaped(),
                             TensorText::counted(std::uint64_t(node.issueCount), tr("tensor"), tr("tensors")));
            return TensorText::name(node.path);
        }
        if (column == ShapeColumn && !isGroup)
            return TensorText::shape(info->shape);
        if (column == BytesColumn)
            return tr("%1 bytes").arg(TensorText::count(node.bytes));
        if (column == ShardColumn && !isGroup)
            return m_model->shardOf(m_model->tensors()[std::size_t(node.tensor)]).path();
        return {};
    case Qt::ForegroundRole:
        if (isGroup && column == ShapeColumn)
            return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
        return {};
    case Qt::TextAlignmentRole:
        if (isNumericColumn(column))
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    return {};
}

QVariant TensorTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractItemModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole)
        return columnTitle(section);
    if (role == Qt::ToolTipRole)
        return columnToolTip(section);
    if (role == Qt::TextAlignmentRole && isNumericColumn(section))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

const ModelTensor *TensorTreeModel::tensorAt(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this)
        return nullptr;
    const Node &node = m_nodes[std::size_t(nodeOf(index))];
    return node.tensor < 0 ? nullptr : &m_model->tensors()[std::size_t(node.tensor)];
}

int TensorTreeModel::compareRows(const QModelIndex &a, const QModelIndex &b, int column) const
{
    const Node &na = m_nodes[std::size_t(nodeOf(a))];
    const Node &nb = m_nodes[std::size_t(nodeOf(b))];
    const TensorInfo *ia = na.tensor < 0 ? nullptr : m_model->tensors()[std::size_t(na.tensor)].info;
    const TensorInfo *ib = nb.tensor < 0 ? nullptr : m_model->tensors()[std::size_t(nb.tensor)].info;
    int c = 0;
    switch (column) {
    case NameColumn: return threeWay(na.nameRank, nb.nameRank);
    case DtypeColumn: {
        const std::string_view da = na.mixedDtypes ? std::string_view() : dtypeName(na.dtype);
        const std::string_view db = nb.mixedDtypes ? std::string_view() : dtypeName(nb.dtype);
        c = da.compare(db);
        break;
    }
    case ShapeColumn:
        // Groups (no shape) before tensors; tensors by rank, then dimension by dimension.
        c = threeWay(ia != nullptr, ib != nullptr);
        if (!c && ia) {
            c = threeWay(ia->shape.size(), ib->shape.size());
            if (!c)
                c = threeWay(ia->shape, ib->shape);
        }
        break;
    case ElementsColumn: c = threeWay(na.elements, nb.elements); break;
    case BytesColumn: c = threeWay(na.bytes, nb.bytes); break;
    case OffsetColumn:
        c = threeWay(ia != nullptr, ib != nullptr);
        if (!c && ia)
            c = threeWay(ia->begin, ib->begin);
        break;
    case ShardColumn:
        if (ia && ib)
            c = threeWay(m_model->tensors()[std::size_t(na.tensor)].shard, m_model->tensors()[std::size_t(nb.tensor)].shard);
        break;
    default: break;
    }
    return c;
}

bool TensorTreeModel::rowMatches(const QModelIndex &index, const TensorFilter &, bool) const
{
    // The filter given to prepareFilter() decides, for groups as for tensors.
    return m_passes.empty() || m_passes[std::size_t(nodeOf(index))];
}

} // namespace tantra
