#include "configtextmap.h"

#include "configparser.h"

#include <QLocale>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tantra {

namespace {

int indentOf(const QString &line)
{
    int n = 0;
    while (n < line.size() && line.at(n) == QLatin1Char(' '))
        ++n;
    return n;
}

bool isBlank(const QString &line)
{
    return line.trimmed().isEmpty();
}

bool isComment(const QString &line)
{
    return line.trimmed().startsWith(QLatin1Char('#'));
}

// A block key at `indent` spaces: a plain key (no quotes, no flow or anchor indicators), then
// ':' followed by a blank or the end of the line.
QRegularExpression keyPattern(int indent)
{
    return QRegularExpression(
        QStringLiteral("^[ ]{%1}([^\\s#'\"{}\\[\\],:&*!|>%@`\\-?][^:#]*?|[\\-?][^\\s:#][^:#]*?)[ \\t]*:(?=[ \\t]|$)").arg(indent));
}

// The end of a quoted scalar starting at `from` (the index of the closing quote), or -1.
qsizetype closingQuote(const QString &line, qsizetype from)
{
    const QChar quote = line.at(from);
    for (qsizetype i = from + 1; i < line.size(); ++i) {
        const QChar c = line.at(i);
        if (quote == QLatin1Char('"') && c == QLatin1Char('\\')) {
            ++i;
            continue;
        }
        if (c == quote) {
            if (quote == QLatin1Char('\'') && i + 1 < line.size() && line.at(i + 1) == QLatin1Char('\'')) {
                ++i; // '' is an escaped quote inside single quotes
                continue;
            }
            return i;
        }
    }
    return -1;
}

// The '#' of a trailing comment: after whitespace, and after the closing quote when the
// value is quoted (a '#' inside quotes is text).
qsizetype commentIn(const QString &line, qsizetype valueStart)
{
    qsizetype from = valueStart;
    if (from < line.size() && (line.at(from) == QLatin1Char('"') || line.at(from) == QLatin1Char('\''))) {
        const qsizetype close = closingQuote(line, from);
        if (close < 0)
            return -1;
        from = close + 1;
    }
    for (qsizetype i = from; i < line.size(); ++i) {
        if (line.at(i) == QLatin1Char('#') && (i == 0 || line.at(i - 1).isSpace()))
            return i;
    }
    return -1;
}

const char *const kSectionNames[] = {"architecture", "derived", "tensors", "training", "serve", "paths", "extra"};

bool isSectionName(const QString &name)
{
    for (const char *s : kSectionNames) {
        if (name == QLatin1String(s))
            return true;
    }
    return false;
}

bool plainIsSafe(const QString &text)
{
    if (text.isEmpty() || text != text.trimmed())
        return false;
    static const QString indicators = QStringLiteral("-?:,[]{}#&*!|>'\"%@`");
    if (indicators.contains(text.at(0)))
        return false;
    if (text.contains(QStringLiteral(": ")) || text.endsWith(QLatin1Char(':')) || text.contains(QStringLiteral(" #")))
        return false;
    for (const QChar c : text) {
        if (c.category() == QChar::Other_Control)
            return false;
    }
    const QVariant back = ConfigTextMap::resolvePlain(text);
    return back.typeId() == QMetaType::QString && back.toString() == text;
}

QString singleQuoted(const QString &text)
{
    QString out = text;
    out.replace(QLatin1Char('\''), QStringLiteral("''"));
    return QLatin1Char('\'') + out + QLatin1Char('\'');
}

QString doubleQuoted(const QString &text)
{
    QString out;
    out.reserve(text.size() + 2);
    out += QLatin1Char('"');
    for (const QChar c : text) {
        switch (c.unicode()) {
        case '"': out += QStringLiteral("\\\""); break;
        case '\\': out += QStringLiteral("\\\\"); break;
        case '\n': out += QStringLiteral("\\n"); break;
        case '\t': out += QStringLiteral("\\t"); break;
        case '\r': out += QStringLiteral("\\r"); break;
        default:
            if (c.category() == QChar::Other_Control)
                out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
            else
                out += c;
        }
    }
    out += QLatin1Char('"');
    return out;
}

} // namespace

ConfigTextMap ConfigTextMap::scan(const QString &text)
{
    ConfigTextMap map;
    map.m_lines = text.split(QLatin1Char('\n'));
    // A byte-order mark would hide the first key from the patterns.
    if (!map.m_lines.isEmpty() && map.m_lines.first().startsWith(QChar(0xFEFF)))
        map.m_lines.first().remove(0, 1);
    const QStringList &lines = map.m_lines;

    const QRegularExpression topKey = keyPattern(0);
    QString section;
    int childIndent = -1;
    QRegularExpression childKey;
    for (int i = 0; i < lines.size(); ++i) {
        const QString &line = lines.at(i);
        if (isBlank(line) || isComment(line))
            continue;
        const int indent = indentOf(line);
        QRegularExpressionMatch m;
        QString entrySection;
        if (indent == 0) {
            section.clear();
            m = topKey.match(line);
            if (!m.hasMatch())
                continue; // "---", a flow document or a typo: nothing to place
        } else {
            if (section.isEmpty())
                continue;
            if (childIndent < 0) {
                childIndent = indent;
                childKey = keyPattern(childIndent);
            }
            if (indent != childIndent)
                continue; // inside the previous key's block value
            m = childKey.match(line);
            if (!m.hasMatch())
                continue; // a list item ("- name: …") of a list section
            entrySection = section;
        }

        ConfigTextEntry e;
        e.section = entrySection;
        e.key = m.captured(1).trimmed();
        e.line = i;
        e.keyIndent = indent;
        qsizetype start = m.capturedEnd(0);
        while (start < line.size() && (line.at(start) == QLatin1Char(' ') || line.at(start) == QLatin1Char('\t')))
            ++start;
        const qsizetype comment = commentIn(line, start);
        qsizetype end = comment >= 0 ? comment : line.size();
        while (end > start && line.at(end - 1).isSpace())
            --end;
        e.valueStart = int(start);
        e.valueEnd = int(end);
        e.commentStart = int(comment);
        e.rawValue = line.mid(start, end - start);
        if (comment >= 0)
            e.comment = line.mid(comment + 1).trimmed();

        // The value's extent: the more-indented lines after the key, and for an empty value a
        // list written at the key's own indent ("key:\n- a").
        e.lastLine = i;
        for (int j = i + 1; j < lines.size(); ++j) {
            const QString &next = lines.at(j);
            if (isBlank(next) || isComment(next))
                continue;
            const int nextIndent = indentOf(next);
            const bool compactList = e.rawValue.isEmpty() && nextIndent == indent && next.mid(indent).startsWith(QStringLiteral("- "));
            if (nextIndent <= indent && !compactList)
                break;
            e.lastLine = j;
        }

        if (!e.rawValue.isEmpty() && e.lastLine == i) {
            const QChar first = e.rawValue.at(0);
            if (first == QLatin1Char('"') || first == QLatin1Char('\'')) {
                e.inlineScalar = closingQuote(e.rawValue, 0) == e.rawValue.size() - 1;
            } else {
                static const QString notScalar = QStringLiteral("[{|>&*!%@`");
                const bool dashItem = first == QLatin1Char('-') && (e.rawValue.size() == 1 || e.rawValue.at(1) == QLatin1Char(' '));
                e.inlineScalar = !notScalar.contains(first) && !dashItem;
            }
        }

        if (indent == 0) {
            map.m_sections.emplace_back(e.key, i);
            if (isSectionName(e.key)) {
                if (e.rawValue.isEmpty()) {
                    section = e.key;
                    childIndent = -1;
                } else {
                    map.m_flowSections << e.key;
                }
            }
        }
        map.m_entries.push_back(std::move(e));
    }
    return map;
}

const ConfigTextEntry *ConfigTextMap::find(const QString &section, const QString &key) const
{
    for (const ConfigTextEntry &e : m_entries) {
        if (e.section == section && e.key == key)
            return &e;
    }
    return nullptr;
}

int ConfigTextMap::sectionLine(const QString &section) const
{
    for (const auto &[name, line] : m_sections) {
        if (name == section)
            return line;
    }
    return -1;
}

bool ConfigTextMap::isFlowSection(const QString &section) const
{
    return m_flowSections.contains(section);
}

QString ConfigTextMap::blockText(const ConfigTextEntry &entry) const
{
    if (entry.line < 0)
        return QString();
    if (entry.lastLine == entry.line)
        return entry.rawValue;
    QStringList out;
    int common = std::numeric_limits<int>::max();
    for (int j = entry.line + 1; j <= entry.lastLine && j < m_lines.size(); ++j) {
        if (!isBlank(m_lines.at(j)))
            common = std::min(common, indentOf(m_lines.at(j)));
    }
    for (int j = entry.line + 1; j <= entry.lastLine && j < m_lines.size(); ++j)
        out << (isBlank(m_lines.at(j)) ? QString() : m_lines.at(j).mid(common));
    return out.join(QLatin1Char('\n'));
}

QVariant ConfigTextMap::resolvePlain(const QString &text)
{
    return resolvePlainScalar(text);
}

QString ConfigTextMap::unquote(const QString &raw)
{
    if (raw.size() >= 2 && raw.startsWith(QLatin1Char('\'')) && raw.endsWith(QLatin1Char('\''))) {
        QString inner = raw.mid(1, raw.size() - 2);
        inner.replace(QStringLiteral("''"), QStringLiteral("'"));
        return inner;
    }
    if (raw.size() >= 2 && raw.startsWith(QLatin1Char('"')) && raw.endsWith(QLatin1Char('"'))) {
        QString out;
        const QString inner = raw.mid(1, raw.size() - 2);
        for (qsizetype i = 0; i < inner.size(); ++i) {
            const QChar c = inner.at(i);
            if (c != QLatin1Char('\\') || i + 1 == inner.size()) {
                out += c;
                continue;
            }
            const QChar n = inner.at(++i);
            switch (n.unicode()) {
            case 'n': out += QLatin1Char('\n'); break;
            case 't': out += QLatin1Char('\t'); break;
            case 'r': out += QLatin1Char('\r'); break;
            case '0': out += QChar(0); break;
            case 'x':
            case 'u':
            case 'U': {
                const int digits = n == QLatin1Char('x') ? 2 : n == QLatin1Char('u') ? 4 : 8;
                bool ok = false;
                const uint code = inner.mid(i + 1, digits).toUInt(&ok, 16);
                if (ok) {
                    const char32_t c32 = char32_t(code);
                    out += QString::fromUcs4(&c32, 1);
                    i += digits;
                } else {
                    out += n;
                }
                break;
            }
            default: out += n; // \" \\ \/ and the rest stand for themselves
            }
        }
        return out;
    }
    return raw;
}

QString ConfigTextMap::scalarText(const QVariant &value, const QString &oldRaw)
{
    switch (value.typeId()) {
    case QMetaType::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::UInt:
    case QMetaType::ULongLong:
        return value.toString();
    case QMetaType::Double:
    case QMetaType::Float: {
        const double v = value.toDouble();
        if (std::isnan(v))
            return QStringLiteral(".nan");
        if (std::isinf(v))
            return v < 0 ? QStringLiteral("-.inf") : QStringLiteral(".inf");
        QString text = QString::number(v, 'g', QLocale::FloatingPointShortest);
        // A double must stay a double when read back: "2" would be an integer.
        if (resolvePlain(text).typeId() != QMetaType::Double)
            text += QStringLiteral(".0");
        return text;
    }
    default: break;
    }
    const QString text = value.toString();
    const bool wasSingle = oldRaw.startsWith(QLatin1Char('\''));
    const bool wasDouble = oldRaw.startsWith(QLatin1Char('"'));
    bool control = false;
    for (const QChar c : text)
        control = control || c.category() == QChar::Other_Control;
    if (wasDouble || (control && !wasSingle))
        return doubleQuoted(text);
    if (wasSingle)
        return control ? doubleQuoted(text) : singleQuoted(text);
    if (plainIsSafe(text))
        return text;
    // Single quotes need no escapes but doubled quotes, and keep backslashes (Windows paths) as typed.
    return singleQuoted(text);
}

} // namespace tantra
