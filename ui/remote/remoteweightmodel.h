#pragma once

#include "registry.h"
#include "remotestore.h"

#include <QAbstractTableModel>
#include <QHash>

#include <vector>

namespace tantra {

// One remote's weights beside the workspace's own, by name: what is on both sides, what only
// the remote has (to pull), what only this workspace has (to push), and a name both sides use
// for different bytes (a different SHA-256: neither push nor pull may proceed). A table over a
// plain vector, rebuilt whole on each refresh, with a typed SortRole.
class RemoteWeightModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, WhereColumn, TypeColumn, SizeColumn, CreatedColumn, PushedColumn, PushedByColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, NameRole, WhereRole };
    // Sorted in this order: what needs the user (a conflict) first, what is in sync last.
    enum class Where { Differs, RemoteOnly, LocalOnly, Both };

    struct Row
    {
        WeightEntry entry; // the remote's entry where it has one, else the local one
        Where where = Where::Both;
        QString localSha256; // when the workspace has the name
        QString pushedBy;    // when the remote has it
        QDateTime pushedAt;
        bool localActive = false;
    };

    explicit RemoteWeightModel(QObject *parent = nullptr);

    // The rows of a remote's weights (its manifests) and the local registry, one per name.
    static std::vector<Row> merge(const std::vector<RemoteWeight> &remote, const RegistryData &local);
    void setRows(std::vector<Row> rows);
    // Whether `rows` would show what the table shows now (a registry change that does not
    // touch these weights leaves the table, its selection and its scroll position alone).
    bool sameRows(const std::vector<Row> &rows) const;
    const std::vector<Row> &rows() const { return m_rows; }
    const Row *rowFor(const QString &name) const;
    int rowOf(const QString &name) const;

    static QString whereText(Where where);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<Row> m_rows;
    QHash<QString, int> m_rowOf; // by name: selections of thousands of rows look rows up
};

} // namespace tantra
