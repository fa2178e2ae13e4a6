#pragma once

#include <QSyntaxHighlighter>
#include <QTextCharFormat>

namespace tantra {

// Colours YAML as configs are written: keys, comments, quoted text, numbers, booleans and
// null, list dashes and flow punctuation, anchors, aliases and tags. Line-based (a config has
// no block scalars worth tracking across lines), so re-highlighting one edited line is cheap.
// The palette follows the widget's: darker tones on a light base, lighter ones on a dark base.
class YamlHighlighter : public QSyntaxHighlighter
{
    Q_OBJECT
public:
    explicit YamlHighlighter(QTextDocument *document, bool darkBackground = false);

    void setDarkBackground(bool dark);

protected:
    void highlightBlock(const QString &text) override;

private:
    void highlightValue(const QString &text, int from, int to);

    QTextCharFormat m_key;
    QTextCharFormat m_comment;
    QTextCharFormat m_string;
    QTextCharFormat m_number;
    QTextCharFormat m_keyword;
    QTextCharFormat m_punctuation;
    QTextCharFormat m_special;
};

} // namespace tantra
