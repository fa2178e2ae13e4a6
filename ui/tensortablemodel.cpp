#include "tensortablemodel.h"

#include "icons.h"
#include "safetensorsmodel.h"
#include "tensorfilter.h"
#include "tensortext.h"

#include <QFileInfo>

namespace tantra {

namespace {

template<typename T>
int threeWay(const T &a, const T &b)
{
    return a < b ? -1 : (b < a ? 1 : 0);
}

} // namespace

TensorTableModel::TensorTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

TensorTableModel::~TensorTableModel() = default;

void TensorTableModel::setModel(std::shared_ptr<const SafetensorsModel> model)
{
    beginResetModel();
    m_model = std::move(model);
    m_rows.clear();
    m_shardNames.clear();
    m_issueCount = 0;
    if (m_model) {
        const auto &tensors = m_model->tensors();
        m_rows.reserve(tensors.size());
        for (const ModelTensor &tensor : tensors)
            m_rows.push_back(Row{&tensor, tensor.info->elementCount(), {}});
        for (const auto &shard : m_model->shards())
            m_shardNames.push_back(QFileInfo(shard->path()).fileName());
    }
    endResetModel();
}

void TensorTableModel::setTensorIssues(const QHash<QString, QString> &issueByTensorName)
{
    m_issueCount = 0;
    for (Row &row : m_rows) {
        row.issue = issueByTensorName.value(TensorText::name(row.tensor->info->name));
        m_issueCount += row.issue.isEmpty() ? 0 : 1;
    }
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, NameColumn), index(rowCount() - 1, NameColumn),
                           {Qt::DecorationRole, Qt::ToolTipRole, IssueRole});
}

int TensorTableModel::rowOf(std::string_view tensorName) const
{
    if (!m_model)
        return -1;
    const ModelTensor *tensor = m_model->find(tensorName);
    // Rows are in the model's tensor order, so the row is the tensor's position.
    return tensor ? int(tensor - m_model->tensors().data()) : -1;
}

int TensorTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TensorTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TensorTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows[std::size_t(index.row())];
    const TensorInfo &info = *row.tensor->info;
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case NameColumn: return TensorText::name(info.name);
        case DtypeColumn: return QString::fromLatin1(dtypeName(info.dtype));
        case ShapeColumn: return TensorText::shape(info.shape);
        case ElementsColumn: return TensorText::count(row.elements);
        case BytesColumn: return TensorText::bytes(info.byteSize());
        case OffsetColumn: return TensorText::count(info.begin);
        case ShardColumn: return m_shardNames.value(row.tensor->shard);
        }
        return {};
    case SortRole:
        switch (column) {
        case NameColumn: return TensorText::name(info.name);
        case DtypeColumn: return QString::fromLatin1(dtypeName(info.dtype));
        case ShapeColumn: return TensorText::shape(info.shape);
        case ElementsColumn: return qulonglong(row.elements);
        case BytesColumn: return qulonglong(info.byteSize());
        case OffsetColumn: return qulonglong(info.begin);
        case ShardColumn: return row.tensor->shard;
        }
        return {};
    case TensorNameRole:
        return TensorText::name(info.name);
    case IssueRole:
        return row.issue;
    case Qt::DecorationRole:
        if (column == NameColumn)
            return Icons::get(row.issue.isEmpty() ? QStringLiteral("tensor") : QStringLiteral("warning"));
        return {};
    case Qt::ToolTipRole:
        if (column == NameColumn && !row.issue.isEmpty())
            return tr("<b>Breaks a config rule</b><br>%1").arg(row.issue.toHtmlEscaped());
        if (column == BytesColumn)
            return tr("%1 bytes").arg(TensorText::count(info.byteSize()));
        if (column == OffsetColumn) {
            const auto &shard = m_model->shardOf(*row.tensor);
            return tr("Data bytes [%1, %2); file offset %3")
                    .arg(TensorText::count(info.begin), TensorText::count(info.end),
                         TensorText::count(shard.header().dataStart() + info.begin));
        }
        if (column == ShardColumn)
            return m_model->shardOf(*row.tensor).path();
        return {};
    case Qt::TextAlignmentRole:
        if (isNumericColumn(column))
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    return {};
}

QVariant TensorTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole)
        return columnTitle(section);
    if (role == Qt::ToolTipRole)
        return columnToolTip(section);
    if (role == Qt::TextAlignmentRole && isNumericColumn(section))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

const ModelTensor *TensorTableModel::tensorAt(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || index.row() >= rowCount())
        return nullptr;
    return m_rows[std::size_t(index.row())].tensor;
}

int TensorTableModel::compareRows(const QModelIndex &a, const QModelIndex &b, int column) const
{
    const Row &ra = m_rows[std::size_t(a.row())];
    const Row &rb = m_rows[std::size_t(b.row())];
    const TensorInfo &ia = *ra.tensor->info;
    const TensorInfo &ib = *rb.tensor->info;
    int c = 0;
    switch (column) {
    case DtypeColumn: c = std::string_view(dtypeName(ia.dtype)).compare(dtypeName(ib.dtype)); break;
    case ShapeColumn:
        // Rank first, then dimension by dimension: [4] < [2, 2] < [2, 3].
        c = threeWay(ia.shape.size(), ib.shape.size());
        if (!c)
            c = threeWay(ia.shape, ib.shape);
        break;
    case ElementsColumn: c = threeWay(ra.elements, rb.elements); break;
    case BytesColumn: c = threeWay(ia.byteSize(), ib.byteSize()); break;
    case OffsetColumn: c = threeWay(ia.begin, ib.begin); break;
    case ShardColumn: c = threeWay(ra.tensor->shard, rb.tensor->shard); break;
    default: break;
    }
    // Ties fall back to the name so that the order is stable and predictable.
    return c ? c : TensorText::naturalCompare(ia.name, ib.name);
}

bool TensorTableModel::rowMatches(const QModelIndex &index, const TensorFilter &filter, bool onlyIssues) const
{
    const Row &row = m_rows[std::size_t(index.row())];
    if (onlyIssues && row.issue.isEmpty())
        return false;
    return filter.isEmpty() || filter.matches(row.tensor->info->name);
}

} // namespace tantra
