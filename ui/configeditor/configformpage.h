#pragma once

#include "modelconfig.h"

#include <QTimer>
#include <QWidget>

#include <vector>

class QFormLayout;
class QLabel;
class QScrollArea;

namespace tantra {

class ConfigTextMap;
struct ConfigTextEntry;

// The config editor's form: one editor per setting of the general, architecture, training,
// serve, paths and extra sections (whole numbers as spin boxes, other numbers and large
// integers as validated line edits, booleans as check boxes, text as line edits), and the
// derived values read-only. Lists, mappings, empty values and anything the text map cannot
// place on one line are shown as read-only YAML with a button that opens them in the text.
//
// The form never writes YAML itself: an edit is announced as valueEdited(section, key, text)
// with the new value's YAML text in the old value's style, and the editor puts that text in
// place of the old value's characters. Values keep their type (a double stays a double, text
// stays text, quoted stays quoted).
class ConfigFormPage : public QWidget
{
    Q_OBJECT
public:
    explicit ConfigFormPage(QWidget *parent = nullptr);

    // Shows `config`, with each value's text and place from `map` (the same text). When the
    // rows are the same as shown, only values change, so focus and scroll position stay.
    void setConfig(const ModelConfig &config, const ConfigTextMap &map);
    // The text does not parse as a config but its lines are still readable: update the values
    // from the text alone (keeping the last good layout), so the form never shows stale values.
    void refreshFromText(const ConfigTextMap &map);
    // The text is not YAML: the form is disabled with `reason` in its banner. Empty re-enables.
    void setUnreadable(const QString &reason);
    // Marks the row of `key` ("architecture.d_model", or a key below it) with `message`;
    // empty clears every mark. Returns whether a row was marked.
    bool setProblem(const QString &key, const QString &message);
    QString problemKey() const { return m_problemKey; }

    // Commits line edits that were typed but not yet committed (Enter, focus change and a
    // short pause commit them too): before saving, checking or undoing.
    void commitPending();
    bool hasPending() const;

    // The editor of a setting (section empty for description), or nullptr: a QSpinBox,
    // QLineEdit or QCheckBox for editable values, the read-only view otherwise.
    QWidget *editorFor(const QString &section, const QString &key) const;
    bool isEditable(const QString &section, const QString &key) const;
    QLabel *banner() const { return m_banner; }

Q_SIGNALS:
    void valueEdited(const QString &section, const QString &key, const QString &yamlText);
    // 1-based line to show in the YAML text.
    void lineRequested(int line);
    // Typing in a field started (an edit not yet in the text, which undo must also cover).
    void editPending();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    enum class Kind { Bool, Int, BigInt, Double, Text, ReadOnly };
    struct Row
    {
        QString section;
        QString key;
        Kind kind = Kind::ReadOnly;
        QString raw;     // the value as written, last seen or committed
        int line = 0;    // 1-based
        QWidget *editor = nullptr;
        QLabel *keyLabel = nullptr;
        QLabel *problem = nullptr;
        bool pending = false;
    };

    void rebuild(const ModelConfig &config, const ConfigTextMap &map);
    void addRow(QFormLayout *form, const QString &section, const QString &key, const QVariant &value, const ConfigTextMap &map);
    void showValue(Row &row, const QString &raw);
    void commit(Row &row);
    Row *rowOf(QObject *editor);
    static QString signatureOf(const ModelConfig &config, const ConfigTextMap &map);
    static Kind kindOf(const QVariant &value, const ConfigTextEntry *entry);

    QLabel *m_banner;
    QScrollArea *m_scroll;
    std::vector<Row> m_rows;
    std::vector<std::pair<QString, QLabel *>> m_derived; // name → its "expression = value" label
    QString m_signature;
    QString m_problemKey;
    QTimer m_idle;
};

} // namespace tantra
