#include "cleanupdialog.h"

#include "errortext.h"
#include "weightmanager.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace tantra {

CleanupDialog::CleanupDialog(WeightManager *manager, const QString &type, QWidget *parent)
    : QDialog(parent),
      m_manager(manager),
      m_type(type),
      m_keep(new QSpinBox),
      m_preview(new QListWidget),
      m_summary(new QLabel),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel))
{
    setWindowTitle(tr("Clean up %1").arg(type));
    m_keep->setRange(0, 1000);
    m_keep->setValue(3);
    m_keep->setToolTip(tr("How many of the newest weights to keep, besides the active one"));
    auto *form = new QFormLayout;
    form->addRow(tr("Keep the newest:"), m_keep);
    auto *note = new QLabel(tr("The active weight is always kept. Backups and checkpoints are never touched."));
    note->setWordWrap(true);
    auto *remove = m_buttons->addButton(tr("Delete"), QDialogButtonBox::DestructiveRole);
    remove->setObjectName(QStringLiteral("deleteButton"));
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(new QLabel(tr("These weights will be deleted:")));
    layout->addWidget(m_preview, 1);
    layout->addWidget(m_summary);
    layout->addWidget(m_buttons);
    connect(m_keep, &QSpinBox::valueChanged, this, &CleanupDialog::updatePreview);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(remove, &QPushButton::clicked, this, &QDialog::accept);
    resize(520, 420);
    updatePreview();
}

int CleanupDialog::keep() const
{
    return m_keep->value();
}

void CleanupDialog::updatePreview()
{
    m_preview->clear();
    m_toRemove.clear();
    auto plan = m_manager->cleanupOldWeights(m_type, keep(), true);
    const auto removeButton = m_buttons->findChild<QPushButton *>(QStringLiteral("deleteButton"));
    if (!plan) {
        m_summary->setText(errorText(plan.error()));
        if (removeButton)
            removeButton->setEnabled(false);
        return;
    }
    const QLocale locale;
    for (const auto &w : plan->remove) {
        m_preview->addItem(QStringLiteral("%1   (%2, %3)").arg(w.name, locale.formattedDataSize(qint64(w.size)),
                                                               locale.toString(w.created.toLocalTime(), QLocale::ShortFormat)));
        m_toRemove << w.name;
    }
    m_summary->setText(plan->remove.empty() ? tr("Nothing to delete: %n weight(s) will be kept.", nullptr, int(plan->kept.size()))
                                            : tr("Clean Up will delete %n weight(s) and will free %1; %2.", nullptr, int(plan->remove.size()))
                                                      .arg(locale.formattedDataSize(qint64(plan->bytesFreed)))
                                                      .arg(tr("%n weight(s) will be kept", nullptr, int(plan->kept.size()))));
    if (removeButton)
        removeButton->setEnabled(!plan->remove.empty());
}

} // namespace tantra
