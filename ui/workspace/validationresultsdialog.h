#pragma once

#include "validationresultsmodel.h"

#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QTableView;

namespace tantra {

// The results of a validation run as a list (weight, status, first problem), with every
// problem of the selected weight below on demand; paths are relative to the workspace. Replaces
// a message box that listed every problem of every weight with its absolute path.
class ValidationResultsDialog : public QDialog
{
    Q_OBJECT
public:
    ValidationResultsDialog(std::vector<ValidationResult> results, QWidget *parent = nullptr);

    ValidationResultsModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    QPlainTextEdit *details() const { return m_details; }
    QLabel *summary() const { return m_summary; }

private:
    void showDetails();

    ValidationResultsModel *m_model;
    QLabel *m_summary;
    QTableView *m_table;
    QPlainTextEdit *m_details;
};

} // namespace tantra
