#include "validationresultsdialog.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace tantra {

ValidationResultsDialog::ValidationResultsDialog(std::vector<ValidationResult> results, QWidget *parent)
    : QDialog(parent),
      m_model(new ValidationResultsModel(this)),
      m_summary(new QLabel),
      m_table(new QTableView),
      m_details(new QPlainTextEdit)
{
    setWindowTitle(tr("Validation results"));
    m_model->setResults(std::move(results));
    const int total = m_model->rowCount();
    const int failed = m_model->failedCount();
    m_summary->setText(failed == 0 ? tr("All %n weight(s) passed.", nullptr, total)
                                   : tr("%1 of %n weight(s) failed. Select one to see all its problems.", nullptr, total).arg(failed));
    m_summary->setWordWrap(true);

    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setTabKeyNavigation(false);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight); // the tensor and the rule come first
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->resizeColumnsToContents();

    m_details->setReadOnly(true);
    m_details->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_details->setPlaceholderText(tr("Select a weight to see every problem found."));

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(m_table);
    splitter->addWidget(m_details);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(splitter, 1);
    layout->addWidget(buttons);
    resize(760, 440);

    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ValidationResultsDialog::showDetails);
    if (total > 0)
        m_table->setCurrentIndex(m_model->index(0, 0)); // the first failure, when there is one
}

void ValidationResultsDialog::showDetails()
{
    const QModelIndex current = m_table->currentIndex();
    if (!current.isValid()) {
        m_details->clear();
        return;
    }
    const ValidationResult &r = m_model->results()[std::size_t(current.row())];
    m_details->setPlainText(r.passed ? tr("%1 passed: its tensors fit the config and its checksum matches.").arg(r.weight)
                                     : r.problems.join(QLatin1Char('\n')));
}

} // namespace tantra
