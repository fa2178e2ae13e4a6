#pragma once

#include <QMap>
#include <QPlainTextEdit>
#include <QTextCursor>

namespace tantra {

class YamlHighlighter;

// The config editor's text view: YAML highlighting, a gutter with line numbers and markers, and
// an error mark at an exact line and column (a red caret at the position, a wavy underline
// from it, a tinted line and a gutter marker whose tooltip is the message). Tab inserts spaces
// (YAML forbids tab indentation) and Enter keeps the indentation, adding a level after "key:".
class YamlTextEdit : public QPlainTextEdit
{
    Q_OBJECT
public:
    explicit YamlTextEdit(QWidget *parent = nullptr);

    // `line` and `column` are 1-based as in ConfigError; the column counts UTF-8 bytes, as
    // yaml-cpp's marks do, and is converted to the character it points at. Line 0 clears.
    void setErrorMark(int line, int column, const QString &message);
    void clearErrorMark();
    bool hasErrorMark() const { return !m_errorCursor.isNull(); }
    // The marked line (1-based, following later edits), 0 when there is no mark.
    int errorLine() const;
    // The document position of the marked character, -1 when there is no mark.
    int errorPosition() const;
    const QString &errorMessage() const { return m_errorMessage; }

    // Lines (1-based) to flag in the gutter with a warning and a tooltip: the rules a shape
    // check found mismatches for.
    void setIssueMarks(const QMap<int, QString> &marks);
    const QMap<int, QString> &issueMarks() const { return m_issueMarks; }

    // Moves the cursor to a 1-based line and column (UTF-8 bytes, as above) and shows it.
    void goToLine(int line, int column = 1);
    QWidget *gutter() const { return m_gutter; }

    // The document position of a 1-based line and byte column: the column is clamped to the
    // line's end, so a mark just past the last character is still on its line.
    static int positionFor(const QTextDocument *document, int line, int column);

protected:
    void resizeEvent(QResizeEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    int gutterWidth() const;
    void updateGutterWidth();
    void updateGutter(const QRect &rect, int dy);
    void paintGutter(QPaintEvent *event);
    void refreshSelections();
    int lineAt(int y) const;

    QWidget *m_gutter;
    YamlHighlighter *m_highlighter;
    QTextCursor m_errorCursor; // at the marked character; moves with edits
    QString m_errorMessage;
    QMap<int, QString> m_issueMarks;
};

} // namespace tantra
