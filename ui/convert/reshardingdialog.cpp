#include "reshardingdialog.h"

#include "errortext.h"
#include "repack.h"
#include "safetensorsmodel.h"
#include "weightmanager.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

namespace tantra {

ReshardingDialog::ReshardingDialog(WeightManager *manager, RegistryData known, WeightEntry source, std::shared_ptr<const SafetensorsModel> model,
                                   QWidget *parent)
    : QDialog(parent), m_manager(manager), m_known(std::move(known)), m_source(std::move(source)), m_model(std::move(model)),
      m_sharded(new QRadioButton(tr("&Shards of at most"))), m_single(new QRadioButton(tr("One &file"))), m_size(new QLineEdit),
      m_version(new QLineEdit), m_activate(new QCheckBox(tr("Make it the active weight of %1").arg(m_source.modelType))), m_plan(new QLabel),
      m_versionNote(new QLabel), m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel))
{
    setWindowTitle(tr("Reshard %1").arg(m_source.name));
    setObjectName(QStringLiteral("reshardingDialog"));
    auto *group = new QButtonGroup(this);
    group->addButton(m_sharded);
    group->addButton(m_single);
    // A shard set is most often merged, a single file most often split.
    (m_model->isSharded() ? m_single : m_sharded)->setChecked(true);
    m_size->setText(QStringLiteral("5GB"));
    m_size->setPlaceholderText(tr("5GB, 500MB, 2GiB"));
    m_size->setToolTip(tr("Tensor bytes per shard at most; GB/MB/KB are decimal as in transformers' max_shard_size, GiB/MiB/KiB binary"));
    m_plan->setObjectName(QStringLiteral("reshardPlan"));
    m_plan->setWordWrap(true);
    m_versionNote->setObjectName(QStringLiteral("reshardVersionNote"));
    m_versionNote->setWordWrap(true);
    m_versionNote->hide();
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Reshard"));

    auto *sizeRow = new QHBoxLayout;
    sizeRow->addWidget(m_sharded);
    sizeRow->addWidget(m_size, 1);
    auto *form = new QFormLayout;
    form->addRow(tr("Source:"), new QLabel(m_model->isSharded() ? tr("%1 (%n shard(s), %2)", nullptr, int(m_model->shards().size()))
                                                                           .arg(m_source.name, QLocale().formattedDataSize(qint64(m_source.size)))
                                                                 : tr("%1 (one file, %2)").arg(m_source.name, QLocale().formattedDataSize(qint64(m_source.size)))));
    form->addRow(tr("Write:"), sizeRow);
    form->addRow(QString(), m_single);
    form->addRow(QString(), m_plan);
    form->addRow(tr("New &version:"), m_version);
    form->addRow(QString(), m_versionNote);
    form->addRow(QString(), m_activate);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addStretch(1);
    layout->addWidget(m_buttons);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &ReshardingDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ReshardingDialog::reject);
    connect(m_size, &QLineEdit::textChanged, this, &ReshardingDialog::updatePlan);
    connect(m_single, &QRadioButton::toggled, this, [this] {
        suggestVersion();
        updatePlan();
    });
    connect(m_version, &QLineEdit::textEdited, this, [this] {
        m_versionEdited = true;
        m_versionNote->hide();
    });
    suggestVersion();
    updatePlan();
    resize(520, sizeHint().height());
}

bool ReshardingDialog::single() const
{
    return m_single->isChecked();
}

std::uint64_t ReshardingDialog::maxShardBytes() const
{
    return single() ? 0 : parseByteSize(m_size->text().trimmed()).value_or(0);
}

QString ReshardingDialog::sizeText() const
{
    return m_size->text().trimmed();
}

QString ReshardingDialog::version() const
{
    return m_version->text().trimmed();
}

bool ReshardingDialog::activate() const
{
    return m_activate->isChecked();
}

void ReshardingDialog::suggestVersion()
{
    m_size->setEnabled(!single());
    if (m_versionEdited)
        return;
    const QString wanted = m_source.version + (single() ? QStringLiteral("_single") : QStringLiteral("_sharded"));
    m_version->setText(m_manager->freeVersion(m_known, m_source.modelType, wanted, !single()));
}

void ReshardingDialog::updatePlan()
{
    const QLocale locale;
    if (single()) {
        m_planOk = true;
        m_plan->setText(tr("Writes one file of %1 with every tensor and the metadata.").arg(locale.formattedDataSize(qint64(m_model->tensorBytes()))));
    } else if (const auto max = parseByteSize(m_size->text().trimmed()); !max || *max == 0) {
        m_planOk = false;
        m_plan->setText(QStringLiteral("<span style='color:#c0392b'>%1</span>")
                                .arg(tr("'%1' is not a size: write it as 5GB, 500MB or 2GiB.").arg(m_size->text().trimmed()).toHtmlEscaped()));
    } else {
        m_planOk = true;
        const auto shards = planShards(*m_model, *max);
        std::uint64_t largest = 0;
        for (const auto &shard : shards) {
            std::uint64_t bytes = 0;
            for (std::size_t i : shard)
                bytes += m_model->tensors()[i].info->byteSize();
            largest = std::max(largest, bytes);
        }
        QString text = tr("Writes %n shard(s) in Hugging Face's layout", nullptr, int(shards.size()));
        text += tr(" (the largest %1)").arg(locale.formattedDataSize(qint64(largest)));
        if (largest > *max)
            text += tr("; a tensor larger than the limit gets a shard of its own");
        m_plan->setText(text + QLatin1Char('.'));
    }
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(m_planOk);
}

void ReshardingDialog::accept()
{
    if (!m_planOk)
        return;
    if (const QString note = newVersionProblem(*m_manager, m_known, m_source.modelType, version(), !single()); !note.isEmpty()) {
        m_versionNote->setText(QStringLiteral("<span style='color:#c0392b'>%1</span>").arg(note.toHtmlEscaped()));
        m_versionNote->show();
        m_version->setFocus();
        m_version->selectAll();
        return;
    }
    QDialog::accept();
}

} // namespace tantra
