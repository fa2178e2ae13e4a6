#include "yamlhighlighter.h"

#include "configtextmap.h"

#include <QRegularExpression>

namespace tantra {

namespace {

QTextCharFormat charFormat(const QColor &colour, bool bold = false, bool italic = false)
{
    QTextCharFormat f;
    f.setForeground(colour);
    if (bold)
        f.setFontWeight(QFont::DemiBold);
    f.setFontItalic(italic);
    return f;
}

bool isFlowIndicator(QChar c)
{
    return c == QLatin1Char('[') || c == QLatin1Char(']') || c == QLatin1Char('{') || c == QLatin1Char('}') || c == QLatin1Char(',');
}

// Index of the quote closing the one at `from`, or the line's end.
int quoteEnd(const QString &text, int from, int to)
{
    const QChar quote = text.at(from);
    for (int i = from + 1; i < to; ++i) {
        if (quote == QLatin1Char('"') && text.at(i) == QLatin1Char('\\')) {
            ++i;
            continue;
        }
        if (text.at(i) == quote) {
            if (quote == QLatin1Char('\'') && i + 1 < to && text.at(i + 1) == QLatin1Char('\'')) {
                ++i;
                continue;
            }
            return i;
        }
    }
    return to - 1;
}

} // namespace

YamlHighlighter::YamlHighlighter(QTextDocument *document, bool darkBackground)
    : QSyntaxHighlighter(document)
{
    setDarkBackground(darkBackground);
}

void YamlHighlighter::setDarkBackground(bool dark)
{
    // Tones chosen for contrast against the editor's base colour in either scheme.
    if (dark) {
        m_key = charFormat(QColor(0x79, 0xb8, 0xff));
        m_comment = charFormat(QColor(0x8b, 0x94, 0x9e), false, true);
        m_string = charFormat(QColor(0xa5, 0xd6, 0xa7));
        m_number = charFormat(QColor(0xf0, 0xa3, 0x5e));
        m_keyword = charFormat(QColor(0xd2, 0xa8, 0xff));
        m_punctuation = charFormat(QColor(0x9d, 0xa5, 0xb4));
        m_special = charFormat(QColor(0xff, 0x7e, 0xb6));
    } else {
        m_key = charFormat(QColor(0x1a, 0x4f, 0xa0));
        m_comment = charFormat(QColor(0x6a, 0x73, 0x7d), false, true);
        m_string = charFormat(QColor(0x1d, 0x7a, 0x35));
        m_number = charFormat(QColor(0xb3, 0x59, 0x00));
        m_keyword = charFormat(QColor(0x8a, 0x2b, 0xb0));
        m_punctuation = charFormat(QColor(0x6a, 0x73, 0x7d));
        m_special = charFormat(QColor(0xc2, 0x18, 0x5b));
    }
    rehighlight();
}

void YamlHighlighter::highlightBlock(const QString &text)
{
    const int n = int(text.size());
    int i = 0;
    while (i < n && text.at(i) == QLatin1Char(' '))
        ++i;
    if (i == n)
        return;
    if (text.at(i) == QLatin1Char('#')) {
        setFormat(i, n - i, m_comment);
        return;
    }
    if (i == 0 && (text.startsWith(QStringLiteral("---")) || text.startsWith(QStringLiteral("...")))) {
        setFormat(0, 3, m_special);
        highlightValue(text, 3, n);
        return;
    }
    // List dashes, possibly nested ("- - a").
    while (i < n && text.at(i) == QLatin1Char('-') && (i + 1 == n || text.at(i + 1) == QLatin1Char(' '))) {
        setFormat(i, 1, m_punctuation);
        ++i;
        while (i < n && text.at(i) == QLatin1Char(' '))
            ++i;
    }
    static const QRegularExpression keyRe(QStringLiteral(
        "\\G([^\\s#'\"{}\\[\\],&*!|>%@`][^#]*?|\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^']|'')*')[ \\t]*:(?=[ \\t]|$)"));
    const QRegularExpressionMatch m = keyRe.match(text, i);
    if (m.hasMatch()) {
        // A plain key stops at the first ": ", which the lazy pattern finds.
        setFormat(int(m.capturedStart(1)), int(m.capturedLength(1)), m_key);
        setFormat(int(m.capturedEnd(0)) - 1, 1, m_punctuation);
        i = int(m.capturedEnd(0));
    }
    highlightValue(text, i, n);
}

void YamlHighlighter::highlightValue(const QString &text, int from, int to)
{
    int depth = 0;
    int j = from;
    bool first = true;
    while (j < to) {
        const QChar c = text.at(j);
        if (c.isSpace()) {
            ++j;
            continue;
        }
        if (c == QLatin1Char('#') && (j == 0 || text.at(j - 1).isSpace())) {
            setFormat(j, to - j, m_comment);
            return;
        }
        if (c == QLatin1Char('"') || c == QLatin1Char('\'')) {
            const int end = quoteEnd(text, j, to);
            setFormat(j, end - j + 1, m_string);
            j = end + 1;
            first = false;
            continue;
        }
        if (isFlowIndicator(c)) {
            depth += (c == QLatin1Char('[') || c == QLatin1Char('{')) ? 1 : (c == QLatin1Char(',') ? 0 : -1);
            setFormat(j, 1, m_punctuation);
            ++j;
            first = false;
            continue;
        }
        if (c == QLatin1Char('&') || c == QLatin1Char('*') || c == QLatin1Char('!')
            || (first && (c == QLatin1Char('|') || c == QLatin1Char('>')))) {
            int end = j + 1;
            while (end < to && !text.at(end).isSpace() && !isFlowIndicator(text.at(end)))
                ++end;
            setFormat(j, end - j, m_special);
            j = end;
            first = false;
            continue;
        }
        // A plain scalar: up to " #", and inside flow collections up to the next indicator.
        int end = j;
        while (end < to) {
            const QChar d = text.at(end);
            if (d == QLatin1Char('#') && text.at(end - 1).isSpace())
                break;
            if (depth > 0 && isFlowIndicator(d))
                break;
            ++end;
        }
        int tokenEnd = end;
        while (tokenEnd > j && text.at(tokenEnd - 1).isSpace())
            --tokenEnd;
        QString token = text.mid(j, tokenEnd - j);
        // "i: n_layer" inside a flow mapping: a key, then its value.
        if (depth > 0) {
            const qsizetype colon = token.indexOf(QStringLiteral(": "));
            if (colon > 0) {
                setFormat(j, int(colon), m_key);
                setFormat(j + int(colon), 1, m_punctuation);
                j += int(colon) + 1;
                continue;
            }
        }
        const QVariant value = ConfigTextMap::resolvePlain(token);
        switch (value.typeId()) {
        case QMetaType::LongLong:
        case QMetaType::Double: setFormat(j, tokenEnd - j, m_number); break;
        case QMetaType::Bool: setFormat(j, tokenEnd - j, m_keyword); break;
        case QMetaType::QString: break; // plain text keeps the editor's colour
        default: setFormat(j, tokenEnd - j, m_keyword); break; // null
        }
        j = end;
        first = false;
    }
}

} // namespace tantra
