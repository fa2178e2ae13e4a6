#pragma once

#include "modelconfig.h"
#include "page.h"

#include <QFileSystemWatcher>
#include <QMessageBox>
#include <QTimer>
#include <QWidget>

#include <functional>
#include <optional>

class QAction;
class QLabel;
class QPushButton;
class QSplitter;
class QTabWidget;

namespace tantra {

class ConfigCheckPanel;
class ConfigFormPage;
class WorkspaceSession;
class YamlTextEdit;

// The editor page of one model type's Config/<type>.yaml: a form of its settings and the raw
// YAML, kept in sync; errors marked at their exact line and column; a check of the edited
// values against one of the type's weights; atomic saving; undo and redo across form and text;
// and a bar offering to reload when another process changes the file.
//
// The YAML text is the single source of truth. A form edit replaces only the characters of the
// edited value on its line (so comments, layout and key order stay), as one edit of the text
// document, so one undo stack covers form and text edits alike. A text edit re-parses after a
// 300 ms pause and refreshes the form and the check.
class ConfigEditor : public QWidget, public Page
{
    Q_OBJECT
public:
    // Asked by maybeSave(): QMessageBox::Save, Discard or Cancel. Replaceable for tests.
    using SaveQuestion = std::function<QMessageBox::StandardButton(QWidget *parent, const QString &title, const QString &text)>;

    ConfigEditor(WorkspaceSession *session, const QString &modelType, QWidget *parent = nullptr);
    ~ConfigEditor() override;

    QString modelType() const { return m_type; }
    // The absolute path of the file, fixed when the editor opens: saving writes there even
    // after the window has moved on to another workspace.
    QString filePath() const;
    // "mamba.yaml", with '*' when there are unsaved changes: for the page's tab.
    QString title() const;
    bool isModified() const;
    // Parses the text and, if it is a valid config, replaces the file atomically. Returns false
    // (and shows why in the page) when the text is invalid or the file cannot be written.
    bool save();
    // For closing: true when there is nothing to save, or the user chose Save (and it worked)
    // or Discard; false on Cancel or a failed save. The question says why the editor closes.
    bool maybeSave(Page::CloseReason reason = Page::CloseReason::CloseTab);
    bool canClose(CloseReason reason) override { return maybeSave(reason); }
    QString sourcePath() const override { return filePath(); }
    QString workspaceRoot() const override { return m_root; }
    void setSaveQuestion(SaveQuestion question) { m_question = std::move(question); }
    // Re-reads the file, dropping unsaved changes (one undoable step).
    void reload();

    QAction *saveAction() const { return m_save; }
    QAction *undoAction() const { return m_undo; }
    QAction *redoAction() const { return m_redo; }

    // The config the current text gives, or nothing while it has an error (error()).
    const std::optional<ModelConfig> &config() const { return m_config; }
    const std::optional<ConfigError> &error() const { return m_error; }
    // The text as edited.
    QString text() const;

    YamlTextEdit *textEdit() const { return m_text; }
    ConfigFormPage *formPage() const { return m_form; }
    ConfigCheckPanel *checkPanel() const { return m_check; }
    QTabWidget *tabs() const { return m_tabs; }
    QLabel *statusLabel() const { return m_status; }
    // The bar shown when the file changed on disk while there are unsaved edits.
    QWidget *diskChangeBar() const { return m_diskBar; }
    QWidget *messageBar() const { return m_messageBar; }

public Q_SLOTS:
    void undo();
    void redo();
    // Parses now instead of after the typing pause.
    void reparse();
    void showLine(int line, int column = 1);

Q_SIGNALS:
    void modificationChanged(bool modified);
    void titleChanged(const QString &title);
    // After each parse: whether the text is a valid config.
    void parsed(bool valid);
    void saved();

private:
    void load(bool keepUndo);
    void applyFormEdit(const QString &section, const QString &key, const QString &yamlText);
    void updateActions();
    void showMessage(const QString &text);
    void hideMessage();
    void onFileChanged();
    void keepMine();

    QString m_type;
    QString m_root;  // the workspace the file belongs to, as it was when the editor opened
    QString m_path;
    YamlTextEdit *m_text;
    ConfigFormPage *m_form;
    ConfigCheckPanel *m_check;
    QTabWidget *m_tabs;
    QSplitter *m_splitter;
    QLabel *m_status;
    QLabel *m_statusIcon;
    QWidget *m_diskBar;
    QLabel *m_diskText;
    QWidget *m_messageBar;
    QLabel *m_messageText;
    QAction *m_save;
    QAction *m_undo;
    QAction *m_redo;
    QTimer m_parseTimer;
    QTimer m_diskTimer;
    QFileSystemWatcher m_watcher;
    QByteArray m_diskBytes;  // the file as last read, saved or knowingly overridden
    bool m_diskMissing = false;
    std::optional<ModelConfig> m_config;
    std::optional<ConfigError> m_error;
    SaveQuestion m_question;
    // Consecutive form edits of one key within a short time join one undo step, as typing does.
    QString m_lastFormKey;
    qint64 m_lastFormEditMs = 0;
    int m_undoStepsAfterFormEdit = -1;
};

} // namespace tantra
