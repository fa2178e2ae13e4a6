#include "tensortablemodel.h"

#include "icons.h"
#include "jobrunner.h"
#include "safetensorsmodel.h"
#include "tensorfilter.h"
#include "tensortext.h"

#include <QFileInfo>

#include <algorithm>
#include <optional>

namespace tantra {

namespace {

template<typename T>
int threeWay(const T &a, const T &b)
{
    return a < b ? -1 : (b < a ? 1 : 0);
}

// The rank of each tensor (by data position) in natural name order.
std::vector<std::uint32_t> rankNames(const SafetensorsModel &model)
{
    const auto &tensors = model.tensors();
    std::vector<std::uint32_t> order(tensors.size());
    for (std::uint32_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&tensors](std::uint32_t a, std::uint32_t b) {
        return TensorText::naturalCompare(tensors[a].info->name, tensors[b].info->name) < 0;
    });
    std::vector<std::uint32_t> rank(order.size());
    for (std::uint32_t r = 0; r < order.size(); ++r)
        rank[order[r]] = r;
    return rank;
}

} // namespace

TensorTableModel::TensorTableModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_jobs(new JobRunner(this, JobRunner::Mode::LatestOnly))
{
}

TensorTableModel::~TensorTableModel() = default;

void TensorTableModel::setModel(std::shared_ptr<const SafetensorsModel> model)
{
    beginResetModel();
    m_model = std::move(model);
    m_rows.clear();
    m_rowOfPosition.clear();
    m_nameRank.clear();
    m_nameRankFuture = {};
    m_jobs->cancelAll();
    m_sortColumn = -1;
    m_sortOrder = Qt::AscendingOrder;
    m_shardNames.clear();
    m_issueCount = 0;
    if (m_model) {
        const auto &tensors = m_model->tensors();
        m_rows.reserve(tensors.size());
        m_rowOfPosition.resize(tensors.size());
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            m_rows.push_back(Row{&tensors[i], std::uint32_t(i), tensors[i].info->elementCount(), {}});
            m_rowOfPosition[i] = int(i);
        }
        for (const auto &shard : m_model->shards())
            m_shardNames.push_back(QFileInfo(shard->path()).fileName());
        // Natural comparison costs a walk over both names and a sort makes ~n log n of them,
        // so a name sort compares ranks instead. Ranking 100,000 names takes ~80 ms: done in
        // the background now, so that the first click on the Name header does not wait for it.
        // The task holds its own reference to the model.
        m_nameRankFuture = m_jobs->run(
                QString(), [model = m_model](JobContext &) { return rankNames(*model); }, this,
                [this](const std::vector<std::uint32_t> &rank) {
                    if (m_nameRank.size() != m_rows.size())
                        m_nameRank = rank;
                });
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
    return tensor ? m_rowOfPosition[std::size_t(tensor - m_model->tensors().data())] : -1;
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
        case ShardColumn:
            // "2 of 6": the file names (model-00002-of-00006.safetensors) say no more and
            // need three times the width; the tooltip and the detail pane name the file.
            return tr("%1 of %2").arg(row.tensor->shard + 1).arg(m_shardNames.size());
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
    case PathRole:
        return TensorText::name(info.name);
    case IssueRole:
        return row.issue;
    case Qt::DecorationRole:
        if (column == NameColumn)
            return Icons::get(row.issue.isEmpty() ? QStringLiteral("tensor") : QStringLiteral("warning"));
        return {};
    case Qt::ToolTipRole:
        // The full text of the columns a narrow window cuts off.
        if (column == NameColumn)
            return row.issue.isEmpty() ? TensorText::name(info.name)
                                       : tr("%1<br><b>Breaks a config rule</b><br>%2")
                                                 .arg(TensorText::name(info.name).toHtmlEscaped(), row.issue.toHtmlEscaped());
        if (column == ShapeColumn)
            return TensorText::shape(info.shape);
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
    return compare(m_rows[std::size_t(a.row())], m_rows[std::size_t(b.row())], column);
}

int TensorTableModel::compare(const Row &ra, const Row &rb, int column) const
{
    const TensorInfo &ia = *ra.tensor->info;
    const TensorInfo &ib = *rb.tensor->info;
    switch (column) {
    case NameColumn:
        return threeWay(nameRank(ra), nameRank(rb));
    case DtypeColumn: return std::string_view(dtypeName(ia.dtype)).compare(dtypeName(ib.dtype));
    case ShapeColumn: {
        // Rank first, then dimension by dimension: [4] < [2, 2] < [2, 3].
        const int c = threeWay(ia.shape.size(), ib.shape.size());
        return c ? c : threeWay(ia.shape, ib.shape);
    }
    case ElementsColumn: return threeWay(ra.elements, rb.elements);
    case BytesColumn: return threeWay(ia.byteSize(), ib.byteSize());
    case OffsetColumn: return threeWay(ia.begin, ib.begin);
    case ShardColumn: return threeWay(ra.tensor->shard, rb.tensor->shard);
    }
    return 0;
}

std::uint32_t TensorTableModel::nameRank(const Row &row) const
{
    if (m_nameRank.size() != m_rows.size())
        m_nameRank = m_nameRankFuture.isValid() ? m_nameRankFuture.result() : rankNames(*m_model);
    return m_nameRank[row.position];
}

void TensorTableModel::sort(int column, Qt::SortOrder order)
{
    if (column >= ColumnCount)
        return;
    m_sortColumn = column;
    m_sortOrder = order;
    if (m_rows.empty())
        return;
    Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    const QModelIndexList before = persistentIndexList();
    std::vector<std::uint32_t> positions;
    positions.reserve(std::size_t(before.size()));
    for (const QModelIndex &index : before)
        positions.push_back(m_rows[std::size_t(index.row())].position);

    // Ties keep the data order. Columns with a numeric value sort on one 64-bit key per row,
    // worked out once: comparing through the row's tensor (a byte size is a product over the
    // shape) made a sort of 100,000 rows take 50-60 ms, the keys a fraction of that.
    const auto key = [this, column](const Row &r) -> std::optional<std::uint64_t> {
        const TensorInfo &info = *r.tensor->info;
        switch (column) {
        case NameColumn: return nameRank(r);
        case ElementsColumn: return r.elements;
        case BytesColumn: return info.byteSize();
        case OffsetColumn: return info.begin;
        case ShardColumn: return std::uint64_t(r.tensor->shard);
        default: return std::nullopt;
        }
    };
    if (column >= 0 && key(m_rows.front())) {
        std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed; // (key, index into m_rows)
        keyed.reserve(m_rows.size());
        for (std::uint32_t i = 0; i < m_rows.size(); ++i)
            keyed.emplace_back(*key(m_rows[i]), i);
        const bool ascending = order == Qt::AscendingOrder;
        std::sort(keyed.begin(), keyed.end(), [this, ascending](const auto &a, const auto &b) {
            if (a.first != b.first)
                return ascending ? a.first < b.first : a.first > b.first;
            return m_rows[a.second].position < m_rows[b.second].position;
        });
        std::vector<Row> sorted;
        sorted.reserve(m_rows.size());
        for (const auto &k : keyed)
            sorted.push_back(std::move(m_rows[k.second]));
        m_rows = std::move(sorted);
    } else {
        std::sort(m_rows.begin(), m_rows.end(), [this, column, order](const Row &a, const Row &b) {
            const int c = column < 0 ? 0 : compare(a, b, column);
            if (c != 0)
                return order == Qt::AscendingOrder ? c < 0 : c > 0;
            return a.position < b.position;
        });
    }
    for (std::size_t row = 0; row < m_rows.size(); ++row)
        m_rowOfPosition[m_rows[row].position] = int(row);

    QModelIndexList after;
    after.reserve(before.size());
    for (qsizetype i = 0; i < before.size(); ++i)
        after.push_back(index(m_rowOfPosition[positions[std::size_t(i)]], before[i].column()));
    changePersistentIndexList(before, after);
    Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

bool TensorTableModel::rowMatches(const QModelIndex &index, const TensorFilter &filter, bool onlyIssues) const
{
    const Row &row = m_rows[std::size_t(index.row())];
    if (onlyIssues && row.issue.isEmpty())
        return false;
    return filter.isEmpty() || filter.matches(row.tensor->info->name);
}

} // namespace tantra
