#include "convertdialog.h"

#include "errortext.h"
#include "modelconfig.h"
#include "safetensorsmodel.h"
#include "weightmanager.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

namespace tantra {

QStringList splitPatterns(const QString &text)
{
    static const QRegularExpression separators(QStringLiteral("[\\s,]+"));
    return text.split(separators, Qt::SkipEmptyParts);
}

ConvertDialog::ConvertDialog(WeightManager *manager, RegistryData known, WeightEntry source, std::shared_ptr<const SafetensorsModel> model,
                             QWidget *parent)
    : QDialog(parent), m_manager(manager), m_known(std::move(known)), m_source(std::move(source)), m_model(std::move(model)),
      m_dtype(new QComboBox), m_include(new QLineEdit), m_exclude(new QLineEdit),
      m_keepSensitive(new QCheckBox(tr("Keep norms and 1-D tensors (biases) in their dtype"))),
      m_saturate(new QCheckBox(tr("Saturate values beyond the FP8 range (else NaN or Inf)"))), m_version(new QLineEdit),
      m_activate(new QCheckBox(tr("Make it the active weight of %1").arg(m_source.modelType))), m_selection(new QLabel),
      m_versionNote(new QLabel), m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel))
{
    setWindowTitle(tr("Convert %1").arg(m_source.name));
    // Read once (a small YAML file); a broken config leaves the check to the job, which names it.
    if (auto config = m_manager->configs().getConfig(m_source.modelType); config)
        m_config = std::make_shared<const ModelConfig>(std::move(*config));
    setObjectName(QStringLiteral("convertDialog"));
    const struct
    {
        const char *name;
        const char *text;
    } targets[] = {
            {"bf16", QT_TR_NOOP("BF16 (bfloat16)")},
            {"f16", QT_TR_NOOP("F16 (IEEE half)")},
            {"f32", QT_TR_NOOP("F32")},
            {"f8_e4m3", QT_TR_NOOP("F8 E4M3 (e4m3fn, max 448)")},
            {"f8_e5m2", QT_TR_NOOP("F8 E5M2 (max 57344)")},
    };
    for (const auto &t : targets)
        m_dtype->addItem(tr(t.text), QString::fromLatin1(t.name));
    m_include->setPlaceholderText(tr("every float tensor (globs or /regex/, separated by spaces)"));
    m_exclude->setPlaceholderText(tr("none (excluded tensors are copied bit for bit)"));
    m_saturate->setChecked(true);
    m_selection->setObjectName(QStringLiteral("convertSelection"));
    m_selection->setWordWrap(true);
    m_versionNote->setObjectName(QStringLiteral("convertVersionNote"));
    m_versionNote->setWordWrap(true);
    m_versionNote->hide();
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Convert"));

    auto *form = new QFormLayout;
    form->addRow(tr("Source:"), new QLabel(tr("%1 (%2)").arg(m_source.name, QLocale().formattedDataSize(qint64(m_source.size)))));
    form->addRow(tr("&Target dtype:"), m_dtype);
    form->addRow(tr("&Include:"), m_include);
    form->addRow(tr("E&xclude:"), m_exclude);
    form->addRow(QString(), m_keepSensitive);
    form->addRow(QString(), m_saturate);
    form->addRow(QString(), m_selection);
    form->addRow(tr("New &version:"), m_version);
    form->addRow(QString(), m_versionNote);
    form->addRow(QString(), m_activate);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addStretch(1);
    layout->addWidget(m_buttons);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &ConvertDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ConvertDialog::reject);
    connect(m_dtype, &QComboBox::currentIndexChanged, this, [this] {
        suggestVersion();
        updateSelection();
    });
    connect(m_include, &QLineEdit::textChanged, this, &ConvertDialog::updateSelection);
    connect(m_exclude, &QLineEdit::textChanged, this, &ConvertDialog::updateSelection);
    connect(m_keepSensitive, &QCheckBox::toggled, this, &ConvertDialog::updateSelection);
    connect(m_version, &QLineEdit::textEdited, this, [this] {
        m_versionEdited = true;
        m_versionNote->hide();
    });
    suggestVersion();
    updateSelection();
    resize(560, sizeHint().height());
}

ConvertOptions ConvertDialog::options() const
{
    ConvertOptions o;
    o.target = conversionTargetFromName(m_dtype->currentData().toString()).value_or(Dtype::BF16);
    o.include = splitPatterns(m_include->text());
    o.exclude = splitPatterns(m_exclude->text());
    o.keepSensitive = m_keepSensitive->isChecked();
    o.saturate = m_saturate->isChecked();
    o.sourceName = m_source.name;
    return o;
}

QString ConvertDialog::version() const
{
    return m_version->text().trimmed();
}

bool ConvertDialog::activate() const
{
    return m_activate->isChecked();
}

void ConvertDialog::suggestVersion()
{
    const ConvertOptions o = options();
    m_saturate->setEnabled(o.target == Dtype::F8_E4M3 || o.target == Dtype::F8_E5M2);
    if (m_versionEdited)
        return;
    // "v1" converted to bf16 is "v1_bf16"; a taken one counts on ("v1_bf16-2").
    const QString wanted = m_source.version + QLatin1Char('_') + m_dtype->currentData().toString();
    m_version->setText(m_manager->freeVersion(m_known, m_source.modelType, wanted, false));
}

void ConvertDialog::updateSelection()
{
    const ConvertOptions o = options();
    auto selected = selectForConversion(*m_model, o);
    m_selectionOk = bool(selected);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(m_selectionOk);
    if (!selected) {
        // The core words it for the command line; the fields here have other names.
        QString message = selected.error().message();
        message.replace(QStringLiteral("--include"), tr("include pattern")).replace(QStringLiteral("--exclude"), tr("exclude pattern"));
        m_selection->setText(QStringLiteral("<span style='color:#c0392b'>%1</span>").arg(message.toHtmlEscaped()));
        return;
    }
    // A result the type's config would refuse is refused here, before any work: say which
    // rule and what to change.
    if (m_config) {
        const ShapeReport report = validateShapes(*m_config, convertedShapes(*m_model, *selected, o.target));
        if (!report.ok()) {
            m_selectionOk = false;
            m_buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
            QString text = tr("The result would not fit the %1 config: %2.").arg(m_source.modelType, report.issues.front().message);
            if (report.count(ShapeIssue::Kind::DtypeNotAllowed) > 0)
                text += QLatin1Char(' ') + tr("Allow %1 in the config (Workspace › Edit Config), keep those tensors with Exclude, or choose another dtype.")
                                                   .arg(QLatin1String(dtypeName(o.target)));
            m_selection->setText(QStringLiteral("<span style='color:#c0392b'>%1</span>").arg(text.toHtmlEscaped()));
            return;
        }
    }
    const auto &tensors = m_model->tensors();
    std::uint64_t before = 0;
    std::uint64_t after = 0;
    int count = 0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const TensorInfo &info = *tensors[i].info;
        before += info.byteSize();
        if ((*selected)[i]) {
            ++count;
            after += info.elementCount() * std::uint64_t(dtypeBits(o.target)) / 8;
        } else {
            after += info.byteSize();
        }
    }
    const QLocale locale;
    if (count == 0) {
        m_selection->setText(tr("Converts nothing: every selected tensor is %1 already, kept, or not a float tensor.")
                                     .arg(QLatin1String(dtypeName(o.target))));
        m_selectionOk = false;
        m_buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
        return;
    }
    m_selection->setText(tr("Converts %1 of %n tensor(s) to %2: %3 \u2192 %4", nullptr, int(tensors.size()))
                                 .arg(count)
                                 .arg(QLatin1String(dtypeName(o.target)), locale.formattedDataSize(qint64(before)),
                                      locale.formattedDataSize(qint64(after))));
}

void ConvertDialog::accept()
{
    if (!m_selectionOk)
        return;
    if (const QString note = newVersionProblem(*m_manager, m_known, m_source.modelType, version(), false); !note.isEmpty()) {
        m_versionNote->setText(QStringLiteral("<span style='color:#c0392b'>%1</span>").arg(note.toHtmlEscaped()));
        m_versionNote->show();
        m_version->setFocus();
        m_version->selectAll();
        return;
    }
    QDialog::accept();
}

} // namespace tantra
