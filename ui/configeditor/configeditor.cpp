#include "configeditor.h"

#include "configcheckpanel.h"
#include "configformpage.h"
#include "configmanager.h"
#include "configtextmap.h"
#include "icons.h"
#include "regularfile.h"
#include "systemappearance.h"
#include "workspacesession.h"
#include "yamltextedit.h"

#include <QAction>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QStyle>
#include <QTabWidget>
#include <QTextBlock>
#include <QTime>
#include <QToolButton>
#include <QVBoxLayout>

namespace tantra {

namespace {

constexpr int kParseDelayMs = 300;   // after the last keystroke
constexpr int kDiskSettleMs = 150;   // writers replace by rename: let the burst settle
constexpr int kJoinFormEditsMs = 1500;

struct Bar
{
    QFrame *frame;
    QLabel *icon;
    QLabel *text;
    QHBoxLayout *buttons;
};

// An inline, non-blocking notice above the page (KMessageWidget's look): tinted background,
// an icon, the text and its buttons.
Bar makeBar(QWidget *parent, const QColor &tint, const QIcon &icon)
{
    Bar bar;
    bar.frame = new QFrame(parent);
    bar.frame->setFrameShape(QFrame::StyledPanel);
    bar.frame->setAutoFillBackground(true);
    QPalette pal = bar.frame->palette();
    const QColor base = pal.color(QPalette::Window);
    const double t = SystemAppearance::isDark(pal) ? 0.35 : 0.18;
    pal.setColor(QPalette::Window, QColor::fromRgbF(float(base.redF() * (1 - t) + tint.redF() * t),
                                                    float(base.greenF() * (1 - t) + tint.greenF() * t),
                                                    float(base.blueF() * (1 - t) + tint.blueF() * t)));
    bar.frame->setPalette(pal);
    auto *layout = new QHBoxLayout(bar.frame);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->setSpacing(8);
    bar.icon = new QLabel(bar.frame);
    bar.icon->setPixmap(icon.pixmap(18, 18));
    layout->addWidget(bar.icon, 0, Qt::AlignTop);
    bar.text = new QLabel(bar.frame);
    bar.text->setWordWrap(true);
    bar.text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(bar.text, 1);
    bar.buttons = new QHBoxLayout;
    bar.buttons->setSpacing(6);
    layout->addLayout(bar.buttons);
    bar.frame->hide();
    return bar;
}

QToolButton *toolButton(QAction *action, QWidget *parent)
{
    auto *button = new QToolButton(parent);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    button->setAutoRaise(true);
    return button;
}

QMessageBox::StandardButton askWithDialog(QWidget *parent, const QString &title, const QString &text)
{
    QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, parent);
    box.setDefaultButton(QMessageBox::Save);
    return QMessageBox::StandardButton(box.exec());
}

} // namespace

ConfigEditor::ConfigEditor(WorkspaceSession *session, const QString &modelType, QWidget *parent)
    : QWidget(parent)
    , m_type(modelType)
    , m_text(new YamlTextEdit(this))
    , m_form(new ConfigFormPage(this))
    , m_check(new ConfigCheckPanel(session, modelType, this))
    , m_tabs(new QTabWidget(this))
    , m_splitter(new QSplitter(Qt::Vertical, this))
    , m_status(new QLabel(this))
    , m_statusIcon(new QLabel(this))
    , m_question(askWithDialog)
{
    // Resolved once: the session follows whichever workspace the window opens next.
    if (session && session->manager()) {
        m_root = session->root();
        m_path = QFileInfo(session->manager()->configs().configPath(modelType)).absoluteFilePath();
    }

    // Actions first: the widgets below show them.
    m_save = new QAction(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("&Save"), this);
    m_save->setShortcut(QKeySequence::Save);
    m_save->setToolTip(tr("Save the config (Ctrl+S); only a valid config is written"));
    m_undo = new QAction(QIcon::fromTheme(QStringLiteral("edit-undo"), style()->standardIcon(QStyle::SP_ArrowBack)), tr("&Undo"), this);
    m_undo->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Z));
    m_undo->setToolTip(tr("Undo the last change, in the form or the text (Ctrl+Z)"));
    m_redo = new QAction(QIcon::fromTheme(QStringLiteral("edit-redo"), style()->standardIcon(QStyle::SP_ArrowForward)), tr("&Redo"), this);
    m_redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    m_redo->setToolTip(tr("Redo (Ctrl+Shift+Z)"));
    // Several editors can be open in tabs: each one's shortcuts act only inside it.
    for (QAction *action : {m_save, m_undo, m_redo}) {
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(action);
    }
    connect(m_save, &QAction::triggered, this, [this] { save(); });
    connect(m_undo, &QAction::triggered, this, &ConfigEditor::undo);
    connect(m_redo, &QAction::triggered, this, &ConfigEditor::redo);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    const Bar disk = makeBar(this, QColor(0xf5, 0xa6, 0x23), Icons::get(QStringLiteral("reload")));
    m_diskBar = disk.frame;
    m_diskText = disk.text;
    auto *reloadButton = new QPushButton(tr("Reload"), m_diskBar);
    reloadButton->setToolTip(tr("Show the file as it is on disk; your unsaved changes can be undone back"));
    auto *keepButton = new QPushButton(tr("Keep Mine"), m_diskBar);
    keepButton->setToolTip(tr("Keep editing your version; saving will replace the file on disk"));
    disk.buttons->addWidget(reloadButton);
    disk.buttons->addWidget(keepButton);
    connect(reloadButton, &QPushButton::clicked, this, &ConfigEditor::reload);
    connect(keepButton, &QPushButton::clicked, this, &ConfigEditor::keepMine);
    layout->addWidget(m_diskBar);

    const Bar message = makeBar(this, QColor(0xd3, 0x2f, 0x2f), style()->standardIcon(QStyle::SP_MessageBoxCritical));
    m_messageBar = message.frame;
    m_messageText = message.text;
    auto *dismiss = new QToolButton(m_messageBar);
    dismiss->setIcon(Icons::get(QStringLiteral("close")));
    dismiss->setAutoRaise(true);
    dismiss->setToolTip(tr("Dismiss"));
    message.buttons->addWidget(dismiss);
    connect(dismiss, &QToolButton::clicked, this, &ConfigEditor::hideMessage);
    layout->addWidget(m_messageBar);

    auto *header = new QWidget(this);
    auto *headerLayout = new QHBoxLayout(header);
    headerLayout->setContentsMargins(10, 4, 6, 4);
    auto *heading = new QLabel(header);
    QString shown = m_path;
    if (!m_root.isEmpty())
        shown = QDir(m_root).relativeFilePath(m_path);
    heading->setText(QStringLiteral("<b>%1</b>&nbsp;&nbsp;<span style='color:%2'>%3</span>")
                       .arg(m_type.toHtmlEscaped(), palette().color(QPalette::PlaceholderText).name(),
                            QDir::toNativeSeparators(shown).toHtmlEscaped()));
    heading->setToolTip(QDir::toNativeSeparators(m_path));
    headerLayout->addWidget(heading, 1);
    headerLayout->addWidget(toolButton(m_undo, header));
    headerLayout->addWidget(toolButton(m_redo, header));
    headerLayout->addWidget(toolButton(m_save, header));
    layout->addWidget(header);

    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_form, tr("Form"));
    m_tabs->addTab(m_text, tr("YAML"));
    m_splitter->addWidget(m_tabs);
    m_splitter->addWidget(m_check);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setSizes({640, 200});
    m_splitter->setChildrenCollapsible(false);
    layout->addWidget(m_splitter, 1);

    auto *statusRow = new QWidget(this);
    auto *statusLayout = new QHBoxLayout(statusRow);
    statusLayout->setContentsMargins(10, 3, 10, 5);
    statusLayout->setSpacing(6);
    statusLayout->addWidget(m_statusIcon);
    m_status->setTextFormat(Qt::RichText);
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    statusLayout->addWidget(m_status, 1);
    auto *position = new QLabel(statusRow);
    position->setEnabled(false);
    statusLayout->addWidget(position);
    layout->addWidget(statusRow);
    connect(m_status, &QLabel::linkActivated, this, [this] {
        if (m_error && m_error->line > 0)
            showLine(m_error->line, m_error->column);
    });
    connect(m_text, &QPlainTextEdit::cursorPositionChanged, position, [this, position] {
        const QTextCursor c = m_text->textCursor();
        position->setText(tr("Line %1, column %2").arg(c.blockNumber() + 1).arg(c.positionInBlock() + 1));
    });

    QTextDocument *document = m_text->document();
    m_parseTimer.setSingleShot(true);
    m_parseTimer.setInterval(kParseDelayMs);
    connect(&m_parseTimer, &QTimer::timeout, this, &ConfigEditor::reparse);
    connect(document, &QTextDocument::contentsChanged, this, [this] { m_parseTimer.start(); });
    connect(document, &QTextDocument::modificationChanged, this, [this](bool modified) {
        updateActions();
        Q_EMIT modificationChanged(modified);
        Q_EMIT titleChanged(title());
    });
    connect(document, &QTextDocument::undoAvailable, this, &ConfigEditor::updateActions);
    connect(document, &QTextDocument::redoAvailable, this, &ConfigEditor::updateActions);

    connect(m_form, &ConfigFormPage::valueEdited, this, &ConfigEditor::applyFormEdit);
    connect(m_form, &ConfigFormPage::editPending, this, &ConfigEditor::updateActions);
    connect(m_form, &ConfigFormPage::lineRequested, this, [this](int line) { showLine(line); });
    connect(m_check, &ConfigCheckPanel::ruleLineActivated, this, [this](int line) { showLine(line); });
    connect(m_check, &ConfigCheckPanel::issueLinesChanged, m_text, &YamlTextEdit::setIssueMarks);

    m_diskTimer.setSingleShot(true);
    m_diskTimer.setInterval(kDiskSettleMs);
    connect(&m_diskTimer, &QTimer::timeout, this, &ConfigEditor::onFileChanged);
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, [this] { m_diskTimer.start(); });
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, [this] { m_diskTimer.start(); });
    if (!m_path.isEmpty()) {
        m_watcher.addPath(QFileInfo(m_path).absolutePath());
        if (QFileInfo::exists(m_path))
            m_watcher.addPath(m_path);
    }

    load(false);
    m_text->moveCursor(QTextCursor::Start);
}

ConfigEditor::~ConfigEditor()
{
    // The children outlive this class's part of the object, and closing the window moves
    // focus, which commits a pending form edit: nothing may call back in here any more.
    m_form->disconnect(this);
    m_check->disconnect(this);
    m_text->disconnect(this);
    m_text->document()->disconnect(this);
}

QString ConfigEditor::filePath() const
{
    return m_path;
}

QString ConfigEditor::title() const
{
    return m_type + QStringLiteral(".yaml") + (isModified() ? QStringLiteral("*") : QString());
}

bool ConfigEditor::isModified() const
{
    return m_text->document()->isModified();
}

QString ConfigEditor::text() const
{
    return m_text->toPlainText();
}

void ConfigEditor::load(bool keepUndo)
{
    if (m_path.isEmpty()) {
        showMessage(tr("No workspace is open, so there is no config of %1 to edit.").arg(m_type));
        reparse();
        return;
    }
    // Through openRegularFile: a FIFO under the config's name would block the GUI thread.
    QFile file;
    if (auto opened = openRegularFile(file, m_path); !opened) {
        m_diskMissing = !QFileInfo::exists(m_path);
        showMessage(opened.errorString());
        reparse();
        return;
    }
    const QByteArray bytes = file.readAll();
    m_diskBytes = bytes;
    m_diskMissing = false;
    QString text = QString::fromUtf8(bytes);
    // The text view would keep a byte-order mark as an invisible first character; the file
    // is UTF-8 either way.
    if (text.startsWith(QChar(0xFEFF)))
        text.remove(0, 1);
    QTextDocument *document = m_text->document();
    if (!keepUndo) {
        m_text->setPlainText(text);
    } else if (text != m_text->toPlainText()) {
        // One undoable replacement, so a reload can be undone back to the user's version.
        const QTextCursor old = m_text->textCursor();
        const int line = old.blockNumber();
        const int column = old.positionInBlock();
        const int scroll = m_text->verticalScrollBar()->value();
        QTextCursor c(document);
        c.beginEditBlock();
        c.select(QTextCursor::Document);
        c.insertText(text);
        c.endEditBlock();
        const QTextBlock block = document->findBlockByNumber(std::min(line, document->blockCount() - 1));
        QTextCursor back(document);
        back.setPosition(block.position() + std::min(column, int(block.text().size())));
        m_text->setTextCursor(back);
        m_text->verticalScrollBar()->setValue(scroll);
    }
    document->setModified(false);
    m_diskBar->hide();
    m_lastFormKey.clear();
    reparse();
}

void ConfigEditor::reload()
{
    m_form->commitPending();
    load(true);
    hideMessage();
}

void ConfigEditor::reparse()
{
    m_parseTimer.stop();
    const QString text = m_text->toPlainText();
    const ConfigTextMap map = ConfigTextMap::scan(text);
    auto result = ConfigManager::parseConfigDetailed(text.toUtf8(), m_path.isEmpty() ? QString(m_type + QStringLiteral(".yaml")) : m_path);
    if (auto *config = std::get_if<ModelConfig>(&result)) {
        m_config = std::move(*config);
        m_error.reset();
        m_text->clearErrorMark();
        m_form->setUnreadable(QString());
        m_form->setConfig(*m_config, map);
        m_form->setProblem(QString(), QString());
        m_statusIcon->setPixmap(QPixmap());
        m_statusIcon->hide();
        const auto rules = qsizetype(m_config->tensors.size());
        const qsizetype values = m_config->architecture.size();
        m_status->setText(tr("<span style='color:#2e7d32'>\u2714</span> Valid config \u00b7 %1 \u00b7 %2")
                              .arg(rules == 1 ? tr("1 shape rule") : tr("%1 shape rules").arg(rules),
                                   values == 1 ? tr("1 architecture value") : tr("%1 architecture values").arg(values)));
        m_check->setConfig(m_config);
    } else {
        const ConfigError &e = std::get<ConfigError>(result);
        m_config.reset();
        m_error = e;
        m_text->setErrorMark(e.line, e.column, e.message);
        const QString where = e.line > 0 ? tr("Line %1, column %2").arg(e.line).arg(e.column) : QString();
        if (e.key.isEmpty()) {
            // Not YAML (or not one mapping): the lines cannot be trusted to hold the settings.
            m_form->setUnreadable(tr("The YAML cannot be read%1: %2\nFix it in the YAML tab; the form shows the last readable values.")
                                      .arg(where.isEmpty() ? QString() : QString(QStringLiteral(" (") + where.toLower() + QLatin1Char(')')),
                                           e.message));
            m_form->setProblem(QString(), QString());
        } else {
            m_form->setUnreadable(QString());
            m_form->refreshFromText(map);
            m_form->setProblem(e.key, e.message);
        }
        m_statusIcon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxCritical).pixmap(16, 16));
        m_statusIcon->show();
        m_status->setText(where.isEmpty() ? e.message.toHtmlEscaped()
                                          : QStringLiteral("<a href='#error'>%1</a>: %2").arg(where, e.message.toHtmlEscaped()));
        m_check->setConfig(std::nullopt, e.message);
    }
    m_tabs->setTabIcon(m_tabs->indexOf(m_text), m_error ? style()->standardIcon(QStyle::SP_MessageBoxCritical) : QIcon());
    updateActions();
    Q_EMIT parsed(m_config.has_value());
}

void ConfigEditor::applyFormEdit(const QString &section, const QString &key, const QString &yamlText)
{
    QTextDocument *document = m_text->document();
    const ConfigTextMap map = ConfigTextMap::scan(m_text->toPlainText());
    const ConfigTextEntry *entry = map.find(section, key);
    const QString name = section.isEmpty() ? key : QString(section + QLatin1Char('.') + key);
    if (!entry || !entry->inlineScalar) {
        // The form only offers values it can place; the text changed under it. Show the truth.
        showMessage(tr("%1 is no longer a one-line value in the text; edit it in the YAML tab.").arg(name));
        reparse();
        return;
    }
    const QTextBlock block = document->findBlockByNumber(entry->line);
    int to = entry->valueEnd;
    QString insert = yamlText;
    if (entry->commentStart >= 0) {
        // Keep a trailing comment where it was when the new value fits before it.
        const int gap = entry->commentStart - entry->valueEnd;
        const int pad = std::max(gap >= 2 ? 2 : 1, entry->commentStart - (entry->valueStart + int(yamlText.size())));
        insert += QString(pad, QLatin1Char(' '));
        to = entry->commentStart;
    }

    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const bool join = name == m_lastFormKey && now - m_lastFormEditMs < kJoinFormEditsMs
                      && document->availableUndoSteps() == m_undoStepsAfterFormEdit && !document->isRedoAvailable();
    QTextCursor c(document);
    if (join)
        c.joinPreviousEditBlock();
    else
        c.beginEditBlock();
    c.setPosition(block.position() + entry->valueStart);
    c.setPosition(block.position() + to, QTextCursor::KeepAnchor);
    c.insertText(insert);
    c.endEditBlock();
    m_lastFormKey = name;
    m_lastFormEditMs = now;
    m_undoStepsAfterFormEdit = document->availableUndoSteps();
    reparse();
}

void ConfigEditor::undo()
{
    // Typing not yet committed counts as the last change.
    m_form->commitPending();
    m_text->undo();
    m_lastFormKey.clear();
    reparse();
}

void ConfigEditor::redo()
{
    m_text->redo();
    m_lastFormKey.clear();
    reparse();
}

void ConfigEditor::showLine(int line, int column)
{
    m_tabs->setCurrentWidget(m_text);
    m_text->goToLine(line, column);
}

void ConfigEditor::updateActions()
{
    QTextDocument *document = m_text->document();
    const bool modified = document->isModified();
    m_save->setEnabled(modified && m_config.has_value() && !m_path.isEmpty());
    m_save->setToolTip(!m_config ? tr("The config has an error and cannot be saved until it is fixed")
                                 : tr("Save the config (Ctrl+S); only a valid config is written"));
    m_undo->setEnabled(document->isUndoAvailable() || m_form->hasPending());
    m_redo->setEnabled(document->isRedoAvailable());
}

bool ConfigEditor::save()
{
    m_form->commitPending();
    if (m_path.isEmpty()) {
        showMessage(tr("No workspace is open; the config cannot be saved."));
        return false;
    }
    reparse();
    const QByteArray bytes = text().toUtf8();
    // The folder of this editor's own file, never the session's current workspace: the window
    // may have opened another one since (and a save there would overwrite its config).
    const Status written = ConfigManager(QFileInfo(m_path).absolutePath()).saveConfigText(m_type, bytes);
    if (!written) {
        showMessage(tr("Not saved: %1").arg(written.errorString()));
        return false;
    }
    m_diskBytes = bytes;
    m_diskMissing = false;
    if (!m_watcher.files().contains(m_path))
        m_watcher.addPath(m_path);
    m_diskBar->hide();
    hideMessage();
    m_text->document()->setModified(false);
    m_lastFormKey.clear();
    m_status->setText(tr("<span style='color:#2e7d32'>\u2714</span> Saved %1 at %2")
                          .arg(QFileInfo(m_path).fileName().toHtmlEscaped(), QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))));
    Q_EMIT saved();
    return true;
}

bool ConfigEditor::maybeSave(Page::CloseReason reason)
{
    m_form->commitPending();
    if (!isModified())
        return true;
    const QString text =
        reason == Page::CloseReason::SwitchWorkspace
            ? tr("The config of %1 in workspace %2 has unsaved changes.\nOpening another workspace closes this editor. Do you want to "
                 "save the changes to %3 first?")
                  .arg(m_type, QFileInfo(m_root).fileName(), QDir::toNativeSeparators(m_path))
            : tr("The config of %1 has unsaved changes.\nDo you want to save them?").arg(m_type);
    const QMessageBox::StandardButton answer = m_question(this, tr("Unsaved Changes"), text);
    switch (answer) {
    case QMessageBox::Save: return save();
    case QMessageBox::Discard: return true;
    default: return false;
    }
}

void ConfigEditor::showMessage(const QString &text)
{
    m_messageText->setText(text);
    m_messageBar->show();
}

void ConfigEditor::hideMessage()
{
    m_messageBar->hide();
}

void ConfigEditor::onFileChanged()
{
    if (m_path.isEmpty())
        return;
    // A file replaced by rename leaves the watcher: watch the new one.
    if (QFileInfo::exists(m_path) && !m_watcher.files().contains(m_path))
        m_watcher.addPath(m_path);
    QFile file(m_path);
    if (!file.exists()) {
        if (m_diskMissing)
            return;
        m_diskMissing = true;
        m_diskBytes.clear();
        m_diskText->setText(tr("<b>%1 was deleted on disk.</b> Your text is kept; saving writes it again.")
                                .arg(QFileInfo(m_path).fileName().toHtmlEscaped()));
        m_diskBar->show();
        // Closing must now ask: the only copy is in this editor.
        m_text->document()->setModified(true);
        return;
    }
    if (!openRegularFile(file, m_path))
        return; // mid-replacement or unreadable: the next notification will tell
    const QByteArray bytes = file.readAll();
    if (bytes == m_diskBytes && !m_diskMissing)
        return; // our own save, or a touch without a change
    if (!isModified() && !m_diskBar->isVisible()) {
        load(true);
        m_status->setText(tr("Reloaded: %1 changed on disk at %2")
                              .arg(QFileInfo(m_path).fileName().toHtmlEscaped(), QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))));
        return;
    }
    m_diskText->setText(tr("<b>%1 changed on disk.</b> Reload it (your edits can be undone back), or keep your version and "
                           "overwrite the file when you save.")
                            .arg(QFileInfo(m_path).fileName().toHtmlEscaped()));
    m_diskBar->show();
}

void ConfigEditor::keepMine()
{
    // Remember what is on disk now, so only a further change brings the bar back.
    QFile file;
    if (openRegularFile(file, m_path)) {
        m_diskBytes = file.readAll();
        m_diskMissing = false;
    }
    m_diskBar->hide();
    // The user's version now differs from the file whatever the undo stack says: closing asks.
    m_text->document()->setModified(true);
}

} // namespace tantra
