#pragma once

#include <QAbstractTableModel>

#include <string>
#include <utility>
#include <vector>

namespace tantra {

// A file's __metadata__ (or a shard set's index metadata): one row per key, in the file's
// order. Values are free text, often JSON written by the training code, so a long one is
// shown on one line and in full in its tooltip.
class MetadataModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { KeyColumn, ValueColumn, ColumnCount };

    explicit MetadataModel(QObject *parent = nullptr);

    void setMetadata(const std::vector<std::pair<std::string, std::string>> &metadata);
    // "key: value" lines, for the clipboard.
    QString text() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<std::pair<QString, QString>> m_rows;
};

} // namespace tantra
