#pragma once

#include "page.h"
#include "weightconversion.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace tantra {

class ConversionReportModel;

// A tab with what a conversion cost, tensor by tensor: sortable, filterable, copyable, and a
// button that compares the result with its source (the compare view's numbers are the
// independent check of the report's).
class ConversionReportView : public QWidget, public Page
{
    Q_OBJECT
public:
    // Labels are for people (registered names); paths are what compare opens.
    ConversionReportView(ConversionReport report, const QString &sourceLabel, const QString &resultLabel, QWidget *parent = nullptr);

    QString title() const;
    QString summary() const;
    QString tableText() const;
    QTableView *table() const { return m_table; }
    ConversionReportModel *model() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    bool focusFilter() override;

Q_SIGNALS:
    void compareRequested(const QString &pathA, const QString &labelA, const QString &pathB, const QString &labelB);

private:
    ConversionReportModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_table;
    QLineEdit *m_filter;
    QLabel *m_summary;
    QString m_sourceLabel;
    QString m_resultLabel;
};

} // namespace tantra
