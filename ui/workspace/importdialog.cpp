#include "importdialog.h"

#include "errortext.h"
#include "jobrunner.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRadioButton>
#include <QStyle>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <map>

namespace tantra {

ImportAnalysis ImportDialog::analyse(const QString &source, const std::vector<ModelConfig> &configs)
{
    ImportAnalysis a;
    auto model = SafetensorsModel::open(source);
    if (!model) {
        a.error = errorText(model.error());
        return a;
    }
    a.tensors = int(model->tensors().size());
    a.bytes = model->fileBytes();
    a.sharded = model->isSharded();
    std::map<QString, int> counts;
    for (const auto &t : model->tensors())
        ++counts[QString::fromLatin1(dtypeName(t.info->dtype))];
    QStringList parts;
    for (const auto &[dtype, n] : counts)
        parts << QStringLiteral("%1 ×%2").arg(dtype).arg(n);
    a.dtypes = parts.join(QStringLiteral(", "));
    a.guesses = guessModelType(configs, tensorShapesOf(*model));
    return a;
}

ImportDialog::ImportDialog(WeightManager *manager, const QString &source, QWidget *parent)
    : QDialog(parent),
      m_manager(manager),
      m_source(source),
      m_summary(new QLabel(tr("Reading the file…"))),
      m_type(new QComboBox),
      m_version(new QLineEdit),
      m_versionNote(new QLabel),
      m_versionMark(nullptr),
      m_copy(new QRadioButton(tr("&Copy into the workspace"))),
      m_move(new QRadioButton(tr("&Move into the workspace"))),
      m_activate(new QCheckBox(tr("Make it the &active weight of its type"))),
      m_mismatches(new QTextBrowser),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel)),
      m_jobs(new JobRunner(this))
{
    setWindowTitle(tr("Import weight"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_copy->setChecked(true);
    m_type->setEditable(false);
    m_mismatches->setVisible(false);
    m_mismatches->setMinimumHeight(140);
    auto *showMismatches = new QCheckBox(tr("Show how the file fits each model type"));
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Import"));
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(false);

    m_versionNote->setWordWrap(true);
    m_versionNote->setVisible(false);
    m_versionNote->setTextFormat(Qt::RichText);
    m_versionNote->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_versionMark = m_version->addAction(style()->standardIcon(QStyle::SP_MessageBoxWarning), QLineEdit::TrailingPosition);
    m_versionMark->setVisible(false);
    if (auto known = manager->snapshot())
        m_known = std::move(known).value();

    // Suggest the version from a "<type>_<version>" file name, else a timestamp.
    const QString stem = QFileInfo(source).completeBaseName().section(QLatin1Char('.'), 0, 0);
    m_version->setText(QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss")));

    auto *form = new QFormLayout;
    form->addRow(tr("File:"), new QLabel(QFileInfo(source).absoluteFilePath()));
    form->addRow(tr("Contents:"), m_summary);
    form->addRow(tr("Model &type:"), m_type);
    form->addRow(tr("&Version:"), m_version);
    form->addRow(QString(), m_versionNote);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_copy);
    layout->addWidget(m_move);
    layout->addWidget(m_activate);
    layout->addWidget(showMismatches);
    layout->addWidget(m_mismatches, 1);
    layout->addWidget(m_buttons);
    resize(640, 380);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &ImportDialog::tryAccept);
    connect(m_version, &QLineEdit::textChanged, this, &ImportDialog::updateImportButton);
    connect(m_versionNote, &QLabel::linkActivated, this, [this] {
        if (!m_suggestion.isEmpty()) {
            m_version->setText(m_suggestion);
            m_version->setFocus();
        }
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(showMismatches, &QCheckBox::toggled, m_mismatches, &QWidget::setVisible);
    connect(m_type, &QComboBox::currentIndexChanged, this, &ImportDialog::updateMismatches);
    connect(m_type, &QComboBox::currentIndexChanged, this, [this, stem] {
        const QString type = m_type->currentData().toString();
        if (!type.isEmpty() && stem.startsWith(type + QLatin1Char('_')) && stem.size() > type.size() + 1)
            m_version->setText(stem.mid(type.size() + 1));
    });

    // Configs are a few small YAML files: read them here; the weight's headers may be large
    // (and a shard set is many files), so they are read in the background.
    std::vector<ModelConfig> configs = manager->configs().loadAll(&m_brokenConfigs);
    // The job holds its own copies; a dialog closed early drops the late analysis.
    m_jobs->run(
            QString(), [source, configs](JobContext &) { return analyse(source, configs); }, this,
            [this](const ImportAnalysis &analysis) { showAnalysis(analysis); });
}

ImportDialog::~ImportDialog() = default;

void ImportDialog::showAnalysis(const ImportAnalysis &analysis)
{
    m_analysis = analysis;
    m_analysed = true;
    if (!analysis.error.isEmpty()) {
        m_summary->setText(tr("<b>This file cannot be imported:</b><br>%1").arg(analysis.error.toHtmlEscaped()));
        return;
    }
    m_summary->setText(tr("%n tensor(s), %1 on disk%2<br>%3", nullptr, analysis.tensors)
                               .arg(QLocale().formattedDataSize(qint64(analysis.bytes)))
                               .arg(analysis.sharded ? tr(" (shard set)") : QString())
                               .arg(analysis.dtypes.toHtmlEscaped()));
    m_type->clear();
    for (const auto &g : analysis.guesses)
        m_type->addItem(g.report.ok() ? tr("%1 (fits)").arg(g.type) : tr("%1 (%n mismatch(es))", nullptr, int(g.report.issues.size())).arg(g.type),
                        g.type);
    if (!analysis.guesses.empty() && !analysis.guesses.front().report.ok())
        m_summary->setText(m_summary->text() + tr("<br><b>No model type's shape rules fit this file.</b> Fix the config or choose a type to see why."));
    // A config that does not parse is not offered; say which, or its type just seems absent.
    if (!m_brokenConfigs.isEmpty())
        m_summary->setText(m_summary->text() + tr("<br><b>%n config(s) could not be read, so their types are not offered:</b><br>%1", nullptr,
                                                  int(m_brokenConfigs.size()))
                                                   .arg(m_brokenConfigs.join(QStringLiteral("\n")).toHtmlEscaped().replace(QStringLiteral("\n"), QStringLiteral("<br>"))));
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(!analysis.guesses.empty());
    updateMismatches();
}

void ImportDialog::updateMismatches()
{
    const QString type = m_type->currentData().toString();
    QString html;
    for (const auto &g : m_analysis.guesses) {
        html += QStringLiteral("<p><b>%1</b>: %2</p>").arg(g.type.toHtmlEscaped(), g.report.findings().toHtmlEscaped());
        if (g.type != type && g.report.issues.size() > 6)
            continue;
        html += QStringLiteral("<ul>");
        int shown = 0;
        for (const auto &issue : g.report.issues) {
            if (++shown > 40)
                break;
            html += QStringLiteral("<li><code>%1</code></li>").arg(issue.message.toHtmlEscaped());
        }
        html += QStringLiteral("</ul>");
    }
    m_mismatches->setHtml(html);
    bool fits = false;
    for (const auto &g : m_analysis.guesses)
        fits = fits || (g.type == type && g.report.ok());
    m_fits = fits;
    updateImportButton();
}

bool ImportDialog::checkVersion()
{
    const QString type = m_type->currentData().toString();
    const QString version = m_version->text().trimmed();
    m_suggestion.clear();
    Status usable;
    if (m_analysed && m_analysis.error.isEmpty() && !type.isEmpty())
        usable = m_manager->checkNewVersion(m_known, type, version, m_analysis.sharded);
    if (!usable) {
        const Error &error = usable.error();
        const QString name = weightName(type, version).toHtmlEscaped();
        QString note;
        if (error.remedy == Remedy::ChooseAnotherVersion || error.remedy == Remedy::RepairOrChooseVersion) {
            m_suggestion = m_manager->freeVersion(m_known, type, version, m_analysis.sharded);
            note = error.remedy == Remedy::ChooseAnotherVersion
                    ? tr("<b>%1 already exists.</b>").arg(name)
                    : tr("<b>A file that is not registered already holds %1</b> (%2). Use Workspace \u203a Repair "
                         "Workspace\u2026 to tidy the weights folder, or choose another version.")
                              .arg(name, m_manager->workspace().relativePath(error.path).toHtmlEscaped());
            note += QLatin1Char(' ') + tr("Version <b>%1</b> is free: <a href=\"#use\">use it</a>.").arg(m_suggestion.toHtmlEscaped());
        } else {
            QString problem = error.problem;
            if (!problem.isEmpty())
                problem[0] = problem[0].toUpper();
            note = problem.toHtmlEscaped() + QLatin1Char('.');
        }
        m_versionNote->setText(QStringLiteral("<span style='color:#c62828'>%1</span>").arg(note));
    }
    m_versionNote->setVisible(!usable);
    m_versionMark->setVisible(!usable);
    m_versionMark->setToolTip(usable ? QString() : m_versionNote->text());
    return usable.ok();
}

void ImportDialog::updateImportButton()
{
    const bool versionOk = checkVersion();
    QPushButton *import = m_buttons->button(QDialogButtonBox::Ok);
    import->setEnabled(m_fits && versionOk);
    import->setToolTip(!m_fits ? tr("The file does not fit this type's config")
                               : !versionOk ? tr("Choose a version that is not taken") : QString());
}

void ImportDialog::tryAccept()
{
    if (auto known = m_manager->snapshot())
        m_known = std::move(known).value();
    updateImportButton();
    if (!m_buttons->button(QDialogButtonBox::Ok)->isEnabled()) {
        m_version->setFocus();
        m_version->selectAll();
        return;
    }
    accept();
}

ImportRequest ImportDialog::request() const
{
    ImportRequest r;
    r.source = m_source;
    r.modelType = m_type->currentData().toString();
    r.version = m_version->text().trimmed();
    r.move = m_move->isChecked();
    r.activate = m_activate->isChecked();
    return r;
}

} // namespace tantra
