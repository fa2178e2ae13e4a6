#include "importdialog.h"

#include "errortext.h"
#include "jobrunner.h"
#include "torchcheckpoint.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRadioButton>
#include <QResizeEvent>
#include <QSignalBlocker>
#include <QStyle>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include <map>

namespace tantra {

ImportAnalysis ImportDialog::analyse(const QString &source, const std::vector<ModelConfig> &configs)
{
    if (isTorchCheckpointName(source) && !QFileInfo(source).isDir())
        return analyseTorch(source, configs);
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

ImportAnalysis ImportDialog::analyseTorch(const QString &source, const std::vector<ModelConfig> &configs)
{
    ImportAnalysis a;
    a.torch = true;
    auto checkpoint = readTorchCheckpoint(source);
    if (!checkpoint) {
        a.error = errorText(checkpoint.error());
        return a;
    }
    a.tensors = int(checkpoint->tensors().size());
    if (a.tensors == 0) {
        a.error = tr("%1 holds no tensors at the top or under state_dict, model, model_state_dict or module; "
                     "import it with the command line's import --key, which names the dict that holds its weights")
                          .arg(QFileInfo(source).fileName());
        return a;
    }
    a.bytes = checkpoint->tensorBytes();
    // Whatever the checkpoint's form, what is imported is the one safetensors file made from
    // it, and the version checks look for that file.
    a.sharded = false;
    a.torchNotes = checkpoint->notes();
    if (checkpoint->format() == TorchCheckpoint::Format::Sharded)
        a.torchNotes.prepend(tr("A shard set of checkpoints: it becomes one safetensors file."));
    std::map<QString, int> counts;
    std::vector<TensorShape> shapes;
    for (const TorchTensor &t : checkpoint->tensors()) {
        ++counts[QString::fromLatin1(dtypeName(t.dtype))];
        shapes.push_back(TensorShape{t.name.toStdString(), t.dtype, t.shape});
    }
    QStringList parts;
    for (const auto &[dtype, n] : counts)
        parts << QStringLiteral("%1 ×%2").arg(dtype).arg(n);
    a.dtypes = parts.join(QStringLiteral(", "));
    a.guesses = guessModelType(configs, shapes);
    return a;
}

void ImportDialog::showTorchNote(const ImportAnalysis &analysis)
{
    QString note = tr("<br><b>A PyTorch checkpoint:</b> read without running its pickle, and converted to safetensors as it "
                      "is imported. The checkpoint itself is left where it is.");
    for (const QString &line : analysis.torchNotes)
        note += QStringLiteral("<br>") + line.toHtmlEscaped();
    m_summary->setText(m_summary->text() + note);
    m_copy->setChecked(true);
    m_move->setEnabled(false);
    m_move->setToolTip(tr("A checkpoint is converted, not moved"));
}

namespace {

// Entries of the type combo: Qt::UserRole holds the type; this role marks the "new type" entry.
constexpr int NewTypeRole = Qt::UserRole + 1;

// A word-wrapped label whose preferred height is that of its text at its current width. A
// plain QLabel prefers the height of its text wrapped at a guessed narrow width: the form gave
// it that many lines, and the text sat in the middle of an empty band.
class WrappedLabel : public QLabel
{
public:
    WrappedLabel() { setWordWrap(true); }
    QSize sizeHint() const override
    {
        QSize hint = QLabel::sizeHint();
        if (width() > 0)
            hint.setHeight(heightForWidth(width()));
        return hint;
    }

protected:
    void resizeEvent(QResizeEvent *event) override
    {
        QLabel::resizeEvent(event);
        if (event->oldSize().width() != event->size().width())
            updateGeometry();
    }
};

// A model type name from a file's stem: "gpt2_v3" gives "gpt2", "my model" gives "my_model".
QString typeNameFrom(const QString &stem, const QStringList &taken)
{
    QString name = stem.section(QLatin1Char('_'), 0, 0);
    for (QChar &c : name) {
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != QLatin1Char('-') && c != QLatin1Char('.'))
            c = QLatin1Char('_');
    }
    if (!isValidModelTypeName(name))
        name = QStringLiteral("new_type");
    const QString base = name;
    for (int n = 2; taken.contains(name); ++n)
        name = base + QLatin1Char('_') + QString::number(n);
    return name;
}

} // namespace

ImportDialog::ImportDialog(WeightManager *manager, const QString &source, QWidget *parent)
    : QDialog(parent),
      m_manager(manager),
      m_source(source),
      m_status(new WrappedLabel),
      m_form(new QWidget),
      m_summary(new WrappedLabel),
      m_type(new QComboBox),
      m_newType(new QLineEdit),
      m_newTypeNote(new WrappedLabel),
      m_fitNote(new WrappedLabel),
      m_unvalidated(new QCheckBox(tr("Import it anyway, marked as &unvalidated"))),
      m_version(new QLineEdit),
      m_versionNote(new WrappedLabel),
      m_versionMark(nullptr),
      m_copy(new QRadioButton(tr("&Copy into the workspace"))),
      m_move(new QRadioButton(tr("&Move into the workspace"))),
      m_activate(new QCheckBox(tr("Make it the &active weight of its type"))),
      m_showMismatches(new QCheckBox(tr("Show how the file fits each model type"))),
      m_mismatches(new QTextBrowser),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel)),
      m_jobs(new JobRunner(this))
{
    const QFileInfo info(source);
    setWindowTitle(tr("Import %1").arg(info.fileName()));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setText(tr("Reading %1\u2026").arg(info.fileName().toHtmlEscaped()));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_copy->setChecked(true);
    m_type->setEditable(false);
    m_mismatches->setVisible(false);
    m_mismatches->setMinimumHeight(140);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Import"));
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
    m_form->setVisible(false);

    for (QLabel *note : {m_versionNote, m_newTypeNote, m_fitNote}) {
        note->setWordWrap(true);
        note->setVisible(false);
        note->setTextFormat(Qt::RichText);
    }
    m_versionNote->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_fitNote->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_unvalidated->setVisible(false);
    m_unvalidated->setToolTip(tr("The weight is registered with the mismatches as a failed validation and marked "
                                 "\u201cunvalidated\u201d in the weights table until it is validated again."));
    m_versionMark = m_version->addAction(style()->standardIcon(QStyle::SP_MessageBoxWarning), QLineEdit::TrailingPosition);
    m_versionMark->setVisible(false);
    if (auto known = manager->snapshot())
        m_known = std::move(known).value();
    m_knownTypes = manager->configs().modelTypes();

    // Suggest the version from a "<type>_<version>" file name, else a timestamp; a shard set
    // is named by its folder.
    m_stem = (info.isDir() ? info.fileName() : info.completeBaseName()).section(QLatin1Char('.'), 0, 0);
    if (info.fileName().endsWith(QStringLiteral(".index.json")))
        m_stem = info.absoluteDir().dirName();
    m_version->setText(QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss")));
    m_newType->setText(typeNameFrom(m_stem, m_knownTypes));

    // The path may be long and has no spaces to wrap at: elided in the middle, whole in the tooltip.
    auto *file = new QLabel;
    const QString nativePath = QDir::toNativeSeparators(info.absoluteFilePath());
    file->setText(file->fontMetrics().elidedText(nativePath, Qt::ElideMiddle, 480));
    file->setToolTip(nativePath);

    auto *form = new QFormLayout;
    form->setContentsMargins(0, 0, 0, 0);
    // Wrapped labels grow to the full width: at their preferred width (the style's default
    // policy) the layout reserved the height of twice as many lines, as empty bands.
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("File:"), file);
    form->addRow(tr("Contents:"), m_summary);
    form->addRow(tr("Model &type:"), m_type);
    form->addRow(tr("New type &name:"), m_newType);
    form->addRow(QString(), m_newTypeNote);
    form->addRow(QString(), m_fitNote);
    form->addRow(QString(), m_unvalidated);
    m_typeForm = form;
    form->addRow(tr("&Version:"), m_version);
    form->addRow(QString(), m_versionNote);
    auto *formLayout = new QVBoxLayout(m_form);
    formLayout->setContentsMargins(0, 0, 0, 0);
    formLayout->addLayout(form);
    formLayout->addWidget(m_copy);
    formLayout->addWidget(m_move);
    formLayout->addWidget(m_activate);
    formLayout->addWidget(m_showMismatches);
    formLayout->addWidget(m_mismatches, 1);
    // Room the dialog is given beyond its content goes below the options (to the list when shown).
    formLayout->addStretch();
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_status);
    layout->addWidget(m_form, 1);
    layout->addWidget(m_buttons);
    // As wide as a path can use; as high as the content (a fixed height left an empty band
    // between the options and the buttons).
    setMinimumWidth(600);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &ImportDialog::tryAccept);
    connect(m_version, &QLineEdit::textChanged, this, &ImportDialog::updateImportButton);
    connect(m_newType, &QLineEdit::textChanged, this, &ImportDialog::updateMismatches); // the note names the file
    connect(m_unvalidated, &QCheckBox::toggled, this, &ImportDialog::updateImportButton);
    connect(m_versionNote, &QLabel::linkActivated, this, [this] {
        if (!m_suggestion.isEmpty()) {
            m_version->setText(m_suggestion);
            m_version->setFocus();
        }
    });
    connect(m_fitNote, &QLabel::linkActivated, m_showMismatches, [this] { m_showMismatches->setChecked(true); });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_showMismatches, &QCheckBox::toggled, this, [this](bool on) {
        m_mismatches->setVisible(on);
        // Grow for the list and shrink back without it, rather than leave its room empty.
        if (on)
            resize(width(), qMax(height(), sizeHint().height()));
        else
            fitToContents();
    });
    connect(m_type, &QComboBox::currentIndexChanged, this, &ImportDialog::updateMismatches);
    connect(m_type, &QComboBox::currentIndexChanged, this, &ImportDialog::suggestVersion);

    // Configs are a few small YAML files: read them here; the weight's headers may be large
    // (and a shard set is many files), so they are read in the background.
    std::vector<ModelConfig> configs = manager->configs().loadAll(&m_brokenConfigs);
    // The job holds its own copies; a dialog closed early drops the late analysis.
    m_jobs->run(
            QString(), [source, configs](JobContext &) { return analyse(source, configs); }, this,
            [this](const ImportAnalysis &analysis) { showAnalysis(analysis); });
}

ImportDialog::~ImportDialog() = default;

void ImportDialog::suggestVersion()
{
    const QString type = currentType();
    if (!type.isEmpty() && m_stem.startsWith(type + QLatin1Char('_')) && m_stem.size() > type.size() + 1)
        m_version->setText(m_stem.mid(type.size() + 1));
}

void ImportDialog::fitToContents()
{
    // The layouts learn of rows shown or hidden, and of text that needs more lines, by posted
    // events, and a wrapped label knows its height only once it has its width. So: lay out,
    // take the height the rows need, and once more after the events have been delivered (the
    // labels then have their widths). A fixed height had left an empty band; a height
    // measured once cut off the last line of a note or left a gap.
    const auto fit = [this] {
        for (int pass = 0; pass < 2; ++pass) {
            m_form->layout()->invalidate();
            layout()->activate();
        }
        const int w = qMax(width(), minimumWidth());
        resize(w, layout()->hasHeightForWidth() ? layout()->totalHeightForWidth(w) : sizeHint().height());
    };
    fit();
    QTimer::singleShot(0, this, fit);
}

int ImportDialog::newTypeIndex() const
{
    return m_type->findData(true, NewTypeRole);
}

bool ImportDialog::isNewTypeChosen() const
{
    return m_type->currentData(NewTypeRole).toBool();
}

QString ImportDialog::currentType() const
{
    return isNewTypeChosen() ? m_newType->text().trimmed() : m_type->currentData().toString();
}

QString ImportDialog::newTypeProblem() const
{
    const QString name = m_newType->text().trimmed();
    if (name.isEmpty())
        return tr("Name the new model type.");
    if (!isValidModelTypeName(name))
        return tr("A model type name may hold letters, digits, _ . and - (at most 64, not starting with . or -).");
    if (m_knownTypes.contains(name))
        return tr("The model type %1 exists already.").arg(name);
    return {};
}

void ImportDialog::showAnalysis(const ImportAnalysis &analysis)
{
    m_analysis = analysis;
    m_analysed = true;
    if (!analysis.error.isEmpty()) {
        // Not a weight: the reason alone, no form to fill in for nothing.
        setWindowTitle(tr("Cannot import %1").arg(QFileInfo(m_source).fileName()));
        m_status->setText(tr("<b>This file cannot be imported:</b><br>%1").arg(analysis.error.toHtmlEscaped()));
        m_buttons->button(QDialogButtonBox::Ok)->setVisible(false);
        m_buttons->button(QDialogButtonBox::Cancel)->setText(tr("Close"));
        m_buttons->button(QDialogButtonBox::Cancel)->setFocus();
        fitToContents();
        return;
    }
    m_status->setVisible(false);
    m_form->setVisible(true);
    m_summary->setText(tr("%n tensor(s), %1 on disk%2<br>%3", nullptr, analysis.tensors)
                               .arg(QLocale().formattedDataSize(qint64(analysis.bytes)))
                               .arg(analysis.sharded ? tr(" (shard set)") : QString())
                               .arg(analysis.dtypes.toHtmlEscaped()));
    {
        const QSignalBlocker quiet(m_type); // one update below, not one per item
        m_type->clear();
        for (const auto &g : analysis.guesses)
            m_type->addItem(g.report.ok() ? tr("%1 (fits)").arg(g.type) : tr("%1 (%n mismatch(es))", nullptr, int(g.report.issues.size())).arg(g.type),
                            g.type);
        if (m_type->count() > 0)
            m_type->insertSeparator(m_type->count());
        m_type->addItem(tr("New model type from this file\u2026"));
        m_type->setItemData(m_type->count() - 1, true, NewTypeRole);
        // A type that fits, or one that nearly does (its config may just need a fix), is the
        // first guess; a file that is far from every type most likely is a new type.
        const bool close = !analysis.guesses.empty()
                && (analysis.guesses.front().report.ok() || 2 * analysis.guesses.front().report.matched >= analysis.guesses.front().report.expected);
        m_type->setCurrentIndex(close ? 0 : newTypeIndex());
    }
    suggestVersion();
    // A config that does not parse is not offered; say which, or its type just seems absent.
    if (!m_brokenConfigs.isEmpty())
        m_summary->setText(m_summary->text() + tr("<br><b>%n config(s) could not be read, so their types are not offered:</b><br>%1", nullptr,
                                                  int(m_brokenConfigs.size()))
                                                   .arg(m_brokenConfigs.join(QStringLiteral("\n")).toHtmlEscaped().replace(QStringLiteral("\n"), QStringLiteral("<br>"))));
    if (analysis.torch)
        showTorchNote(analysis);
    m_showMismatches->setVisible(!analysis.guesses.empty());
    updateMismatches();
    m_type->setFocus();
    fitToContents();
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
    const TypeGuess *chosen = nullptr;
    for (const auto &g : m_analysis.guesses) {
        if (g.type == type)
            chosen = &g;
    }
    m_fits = chosen && chosen->report.ok();
    const bool anyFits = !m_analysis.guesses.empty() && m_analysis.guesses.front().report.ok();
    const bool newType = isNewTypeChosen();
    const bool misfit = chosen && !m_fits;
    // Rows, not widgets, are hidden: a hidden widget left its row's spacing behind.
    m_typeForm->setRowVisible(m_newType, newType); // the row's label too
    m_typeForm->setRowVisible(m_fitNote, misfit || newType);
    if (misfit)
        m_fitNote->setText(QStringLiteral("<span style='color:#c62828'>%1</span>")
                                   .arg(tr("The file does not fit the %1 config (%2).").arg(type.toHtmlEscaped(), chosen->report.findings().toHtmlEscaped()))
                           + QLatin1Char(' ') + tr("<a href=\"#show\">Show why</a>"));
    else if (newType)
        m_fitNote->setText((anyFits ? QString() : tr("<b>No model type's shape rules fit this file.</b>") + QLatin1Char(' '))
                           + tr("A config with rules made from its tensors is written to Config/%1.yaml; edit it later to name "
                                "the dimensions. Or choose a type above to import it under, marked as unvalidated.")
                                     .arg(m_newType->text().trimmed().toHtmlEscaped()));
    m_typeForm->setRowVisible(m_unvalidated, misfit);
    if (!misfit)
        m_unvalidated->setChecked(false);
    updateImportButton();
}

bool ImportDialog::checkVersion()
{
    const QString type = currentType();
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
    m_typeForm->setRowVisible(m_versionNote, !usable);
    m_versionMark->setVisible(!usable);
    m_versionMark->setToolTip(usable ? QString() : m_versionNote->text());
    return usable.ok();
}

void ImportDialog::updateImportButton()
{
    const bool newType = isNewTypeChosen();
    const QString typeProblem = newType ? newTypeProblem() : QString();
    m_typeForm->setRowVisible(m_newTypeNote, !typeProblem.isEmpty());
    m_newTypeNote->setText(QStringLiteral("<span style='color:#c62828'>%1</span>").arg(typeProblem.toHtmlEscaped()));
    const bool typeOk = newType ? typeProblem.isEmpty() : (m_fits || m_unvalidated->isChecked());
    const bool versionOk = checkVersion();
    QPushButton *import = m_buttons->button(QDialogButtonBox::Ok);
    import->setEnabled(m_analysed && m_analysis.error.isEmpty() && typeOk && versionOk);
    import->setToolTip(!typeOk ? (newType ? typeProblem : tr("The file does not fit this type's config"))
                               : !versionOk ? tr("Choose a version that is not taken") : QString());
    // Rows came or went (another type chosen, a note shown): the dialog follows, so neither a
    // gap nor a squeeze is left. Not on every keystroke, which would undo the user's resizing.
    int shownRows = 0;
    for (int row = 0; row < m_typeForm->rowCount(); ++row)
        shownRows |= m_typeForm->isRowVisible(row) ? 1 << row : 0;
    if (m_form->isVisible() && shownRows != m_shownRows) {
        m_shownRows = shownRows;
        fitToContents();
    }
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
    r.modelType = currentType();
    r.createType = isNewTypeChosen();
    r.unvalidated = !r.createType && !m_fits && m_unvalidated->isChecked();
    r.version = m_version->text().trimmed();
    r.move = m_move->isChecked();
    r.activate = m_activate->isChecked();
    return r;
}

} // namespace tantra
