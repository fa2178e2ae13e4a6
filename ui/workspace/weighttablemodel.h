#pragma once

#include "registry.h"
#include "workspacesession.h"

#include <QAbstractTableModel>

#include <vector>

namespace tantra {

// The weights of one model type: a table over a plain vector, one reset per refresh, and a
// typed SortRole so size and dates sort as numbers, not text.
class WeightTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { ActiveColumn, NameColumn, VersionColumn, SizeColumn, CreatedColumn, ChecksumColumn, ValidationColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, NameRole, ActiveRole };

    struct Row
    {
        WeightEntry entry;
        bool active = false;
        ChecksumState checksum = ChecksumState::NotChecked;
        // The type's config changed after the recorded validation: its verdict no longer says
        // whether the weight fits, so it is shown as outdated, not as passed or failed.
        bool validationOutdated = false;
    };

    explicit WeightTableModel(QObject *parent = nullptr);

    void setRows(std::vector<Row> rows);
    // Rows of `type` from the session (all types when empty).
    void refresh(const WorkspaceSession &session, const QString &type);
    const std::vector<Row> &rows() const { return m_rows; }
    const Row *rowFor(const QString &name) const;
    int rowOf(const QString &name) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString checksumText(ChecksumState state);
    static QString validationText(const Row &row);

private:
    std::vector<Row> m_rows;
};

} // namespace tantra
