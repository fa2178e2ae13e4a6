#include "jsonwriter.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace tantra {

void JsonWriter::indent(std::size_t depth)
{
    m_out.append(qsizetype(depth * 4), ' ');
}

void JsonWriter::beforeValue()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (m_empty.empty())
        return;
    if (!m_empty.back())
        m_out += ",\n";
    m_empty.back() = false;
    indent(m_empty.size());
}

void JsonWriter::open(char bracket)
{
    beforeValue();
    m_out += bracket;
    m_out += '\n';
    m_empty.push_back(true);
}

void JsonWriter::close(char bracket)
{
    if (!m_empty.back())
        m_out += '\n';
    m_empty.pop_back();
    indent(m_empty.size());
    m_out += bracket;
}

void JsonWriter::beginObject()
{
    open('{');
}

void JsonWriter::endObject()
{
    close('}');
}

void JsonWriter::beginArray()
{
    open('[');
}

void JsonWriter::endArray()
{
    close(']');
}

void JsonWriter::key(const QString &name)
{
    beforeValue();
    string(name);
    m_out += ": ";
    m_afterKey = true;
}

void JsonWriter::value(const QString &text)
{
    beforeValue();
    string(text);
}

void JsonWriter::value(std::uint64_t number)
{
    beforeValue();
    m_out += QByteArray::number(quint64(number));
}

void JsonWriter::value(double number)
{
    if (!std::isfinite(number)) {
        null();
        return;
    }
    beforeValue();
    // Qt's own formatting, so a statistic reads exactly as it did with QJsonDocument.
    const QByteArray one = QJsonDocument(QJsonArray{number}).toJson(QJsonDocument::Compact);
    m_out += one.mid(1, one.size() - 2);
}

void JsonWriter::null()
{
    beforeValue();
    m_out += "null";
}

void JsonWriter::boolean(bool b)
{
    beforeValue();
    m_out += b ? "true" : "false";
}

// Escapes as QJsonDocument does: the two-character forms where JSON has them, \u00XX for the
// other control characters, everything else as UTF-8.
void JsonWriter::string(const QString &text)
{
    static const char hex[] = "0123456789abcdef";
    const QByteArray utf8 = text.toUtf8();
    m_out += '"';
    for (const char c : utf8) {
        switch (c) {
        case '"': m_out += "\\\""; break;
        case '\\': m_out += "\\\\"; break;
        case '\b': m_out += "\\b"; break;
        case '\f': m_out += "\\f"; break;
        case '\n': m_out += "\\n"; break;
        case '\r': m_out += "\\r"; break;
        case '\t': m_out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                m_out += "\\u00";
                m_out += hex[static_cast<unsigned char>(c) >> 4];
                m_out += hex[c & 0xf];
            } else {
                m_out += c;
            }
        }
    }
    m_out += '"';
}

} // namespace tantra
