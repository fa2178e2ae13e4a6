#pragma once

#include <QAbstractTableModel>
#include <QStringList>

#include <vector>

namespace tantra {

// One weight's line in the results of a validation run: what the table shows, and every
// problem for the details on demand.
struct ValidationResult
{
    QString weight;
    QString file;        // its file or shard folder, relative to the workspace
    bool ran = true;     // false: the check itself could not run (its one problem says why)
    bool passed = false;
    QStringList problems; // each naming its file, relative to the workspace
};

// The results of Validate All (or of the selected weights) as a table over a plain vector:
// weight, status, first problem (without the weight's own file in front, which the row names
// already); failures first, in the order they were checked.
class ValidationResultsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { WeightColumn, StatusColumn, ProblemColumn, ColumnCount };

    explicit ValidationResultsModel(QObject *parent = nullptr);

    void setResults(std::vector<ValidationResult> results);
    const std::vector<ValidationResult> &results() const { return m_results; }
    int failedCount() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString statusText(const ValidationResult &result);

private:
    std::vector<ValidationResult> m_results;
};

} // namespace tantra
