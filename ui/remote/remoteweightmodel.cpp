#include "remoteweightmodel.h"

#include "icons.h"

#include <QFont>
#include <QLocale>

#include <algorithm>
#include <map>

namespace tantra {

RemoteWeightModel::RemoteWeightModel(QObject *parent) : QAbstractTableModel(parent) {}

std::vector<RemoteWeightModel::Row> RemoteWeightModel::merge(const std::vector<RemoteWeight> &remote, const RegistryData &local)
{
    std::map<QString, Row> byName;
    for (const RemoteWeight &w : remote) {
        Row row;
        row.entry = w.entry;
        row.where = Where::RemoteOnly;
        row.pushedBy = w.pushedBy;
        row.pushedAt = w.pushedAt;
        byName[w.entry.name] = std::move(row);
    }
    for (const auto &[name, entry] : local.weights) {
        const bool active = local.activeOf(entry.modelType) == name;
        auto it = byName.find(name);
        if (it == byName.end()) {
            byName[name] = Row{entry, Where::LocalOnly, entry.sha256, {}, {}, active};
            continue;
        }
        Row &row = it->second;
        row.localSha256 = entry.sha256;
        row.localActive = active;
        // Shard sets are named by the SHA-256 of their manifest on both sides.
        row.where = entry.sha256.compare(row.entry.sha256, Qt::CaseInsensitive) == 0 ? Where::Both : Where::Differs;
    }
    std::vector<Row> rows;
    rows.reserve(byName.size());
    for (auto &[name, row] : byName)
        rows.push_back(std::move(row));
    return rows;
}

void RemoteWeightModel::setRows(std::vector<Row> rows)
{
    beginResetModel();
    m_rows = std::move(rows);
    m_rowOf.clear();
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        m_rowOf.insert(m_rows[i].entry.name, int(i));
    endResetModel();
}

bool RemoteWeightModel::sameRows(const std::vector<Row> &rows) const
{
    const auto same = [](const Row &a, const Row &b) {
        return a.entry.name == b.entry.name && a.where == b.where && a.localActive == b.localActive && a.entry.sha256 == b.entry.sha256
                && a.entry.size == b.entry.size && a.entry.created == b.entry.created && a.entry.modelType == b.entry.modelType
                && a.pushedAt == b.pushedAt && a.pushedBy == b.pushedBy && a.localSha256 == b.localSha256;
    };
    return std::equal(m_rows.begin(), m_rows.end(), rows.begin(), rows.end(), same);
}

const RemoteWeightModel::Row *RemoteWeightModel::rowFor(const QString &name) const
{
    const int r = rowOf(name);
    return r < 0 ? nullptr : &m_rows[std::size_t(r)];
}

int RemoteWeightModel::rowOf(const QString &name) const
{
    return m_rowOf.value(name, -1);
}

QString RemoteWeightModel::whereText(Where where)
{
    switch (where) {
    case Where::Both: return tr("on both");
    case Where::RemoteOnly: return tr("remote only");
    case Where::LocalOnly: return tr("local only");
    case Where::Differs: return tr("DIFFERENT FILES");
    }
    return {};
}

int RemoteWeightModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RemoteWeightModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RemoteWeightModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Row &r = m_rows[std::size_t(index.row())];
    const WeightEntry &w = r.entry;
    const int column = index.column();
    const auto when = [](const QDateTime &t) { return t.isValid() ? QLocale().toString(t.toLocalTime(), QLocale::ShortFormat) : QString(); };
    if (role == NameRole)
        return w.name;
    if (role == WhereRole)
        return int(r.where);
    if (role == Qt::DisplayRole) {
        switch (column) {
        case NameColumn: return w.name;
        case WhereColumn: return whereText(r.where);
        case TypeColumn: return w.modelType;
        case SizeColumn: return QLocale().formattedDataSize(qint64(w.size));
        case CreatedColumn: return when(w.created);
        case PushedColumn: return when(r.pushedAt);
        case PushedByColumn: return r.pushedBy;
        }
    }
    if (role == SortRole) {
        switch (column) {
        case WhereColumn: return int(r.where);
        case SizeColumn: return w.size;
        case CreatedColumn: return w.created;
        case PushedColumn: return r.pushedAt;
        default: return data(index, Qt::DisplayRole);
        }
    }
    if (role == Qt::DecorationRole && column == WhereColumn) {
        switch (r.where) {
        case Where::Differs: return Icons::get(QStringLiteral("warning"));
        case Where::RemoteOnly: return Icons::get(QStringLiteral("import"));
        case Where::LocalOnly: return Icons::get(QStringLiteral("backup"));
        case Where::Both: return Icons::get(QStringLiteral("validate"));
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (r.where) {
        case Where::Differs:
            return tr("The remote's %1 is not this workspace's file (SHA-256 %2 there, %3 here). Neither push nor pull "
                      "replaces a weight: rename one of them (import it as another version).")
                    .arg(w.name, w.sha256.left(12), r.localSha256.left(12));
        case Where::RemoteOnly: return tr("Only on the remote: Pull downloads, verifies and registers it (%1).").arg(QLocale().formattedDataSize(qint64(w.size)));
        case Where::LocalOnly: return tr("Only in this workspace: Push uploads what the remote lacks, then its manifest.");
        case Where::Both: return tr("The same file on both sides (SHA-256 %1).").arg(w.sha256.left(12));
        }
    }
    if (role == Qt::TextAlignmentRole && column == SizeColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::FontRole && r.localActive) {
        QFont f;
        f.setBold(true);
        return f;
    }
    return {};
}

QVariant RemoteWeightModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn: return tr("Name");
    case WhereColumn: return tr("Where");
    case TypeColumn: return tr("Model type");
    case SizeColumn: return tr("Size");
    case CreatedColumn: return tr("Created");
    case PushedColumn: return tr("Pushed");
    case PushedByColumn: return tr("Pushed by");
    }
    return {};
}

} // namespace tantra
