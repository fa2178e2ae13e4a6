#pragma once

#include <QAbstractListModel>
#include <QString>

#include <vector>

namespace tantra {

class WorkspaceSession;

// The model types of the workspace, each with its active weight, weight count and disk use.
class ModelTypeListModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role { TypeRole = Qt::UserRole + 1, ActiveRole, CountRole, BytesRole, HasConfigRole };

    struct Row
    {
        QString type;
        QString active;
        int count = 0;
        quint64 bytes = 0;
        bool hasConfig = false;
    };

    explicit ModelTypeListModel(QObject *parent = nullptr);

    // One reset per refresh: the list is short, and a reset keeps the code simple.
    void setRows(std::vector<Row> rows);
    void refresh(const WorkspaceSession &session);
    const std::vector<Row> &rows() const { return m_rows; }
    int rowOf(const QString &type) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

private:
    std::vector<Row> m_rows;
};

} // namespace tantra
