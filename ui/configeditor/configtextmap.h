#pragma once

#include <QString>
#include <QStringList>
#include <QVariant>

#include <vector>

namespace tantra {

// Where a setting of a config sits in its YAML text, so that the config editor's form can
// change one value by rewriting only that value's characters: comments, blank lines, key order
// and the other values stay exactly as the user wrote them.
struct ConfigTextEntry
{
    QString section; // "architecture", "training", …; empty for a top-level key (description)
    QString key;
    int line = -1;       // 0-based line of "key:"
    int keyIndent = 0;
    int valueStart = -1; // in the line (UTF-16 index): first character of the value
    int valueEnd = -1;   // one past its last character (trailing blanks and comment excluded)
    int commentStart = -1; // the '#' of a trailing comment on the line, -1 when none
    int lastLine = -1;   // the value's last line (beyond `line` for a block list or mapping)
    QString rawValue;    // the value as written on the key's line: "1.5e-3", "'text'", "[1, 2]"
    QString comment;     // the trailing comment without '#', trimmed
    // The value is a single-line scalar on the key's line (plain or quoted, no anchor, tag or
    // block indicator), so replacing [valueStart, valueEnd) replaces exactly that value.
    bool inlineScalar = false;
};

// A line scanner for block-style config files, the layout `setup` writes and people keep. It
// finds the top-level keys and the keys one level inside each section; it does not parse YAML
// (ConfigManager does that) and needs no valid document, so it also works on text being typed.
// Anything it cannot place with certainty (a section in flow style, quoted or multi-line keys,
// multi-line values) is reported as absent or not inline, and the editor leaves it to the text.
class ConfigTextMap
{
public:
    static ConfigTextMap scan(const QString &text);

    const std::vector<ConfigTextEntry> &entries() const { return m_entries; }
    // `section` empty for a top-level key.
    const ConfigTextEntry *find(const QString &section, const QString &key) const;
    // 0-based line of "section:", -1 when absent.
    int sectionLine(const QString &section) const;
    // True when the section's value is written on its own line (`training: {lr: 1}`), which
    // the scanner does not split into keys.
    bool isFlowSection(const QString &section) const;
    // The lines of a block value (a list or mapping under its key), for showing read-only.
    QString blockText(const ConfigTextEntry &entry) const;

    // The YAML text for `value` in place of `oldRaw`: a boolean as true/false, a whole number
    // as digits, a double so that it reads back as a double (2 becomes 2.0), text plain when
    // YAML reads it back as the same text, else quoted in the old value's quote style.
    static QString scalarText(const QVariant &value, const QString &oldRaw = QString());
    // How YAML 1.2's core schema (and so ConfigParser) resolves a plain scalar: an invalid
    // QVariant for null, else bool, qint64, double or QString.
    static QVariant resolvePlain(const QString &text);
    // The text of a quoted or plain scalar as written on one line: 'it''s' → it's.
    static QString unquote(const QString &raw);

private:
    QStringList m_lines;
    std::vector<ConfigTextEntry> m_entries;
    std::vector<std::pair<QString, int>> m_sections; // name → line
    QStringList m_flowSections;
};

} // namespace tantra
