#pragma once

#include "weightconversion.h"

#include <QAbstractTableModel>

namespace tantra {

// The per-tensor rows of a conversion report, over the report's own vector. Sorting goes
// through SortRole (numbers as numbers, an undefined relative error after every defined one).
class ConversionReportModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, DtypeColumn, ElementsColumn, OverflowedColumn, FlushedColumn, MaxErrorColumn, RelL2Column, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1 };

    explicit ConversionReportModel(QObject *parent = nullptr);

    void setReport(ConversionReport report);
    const ConversionReport &report() const { return m_report; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    ConversionReport m_report;
};

} // namespace tantra
