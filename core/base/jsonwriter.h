#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <vector>

namespace tantra {

// Writes JSON text laid out as QJsonDocument::Indented does, but holds what QJsonValue cannot:
// integers up to 2^64-1, written exactly. QJsonValue keeps a number as a double or a qint64, so
// a shape dimension above 2^53 came out rounded (9007199254740993 as ...992), and one above
// 2^63-1 could not be written at all.
//
// Calls must nest properly: key() before each value inside an object, nothing else.
class JsonWriter
{
public:
    void beginObject();
    void endObject();
    void beginArray();
    void endArray();
    void key(const QString &name);
    void value(const QString &text);
    void value(std::uint64_t number);
    // NaN and infinities, which JSON cannot hold, become null, as with QJsonValue.
    void value(double number);
    void null();
    // Not an overload of value(): a stray const char * would convert to bool silently.
    void boolean(bool b);

    // The document, with a final newline.
    QByteArray text() const { return m_out + '\n'; }

private:
    void beforeValue();
    void open(char bracket);
    void close(char bracket);
    void indent(std::size_t depth);
    void string(const QString &text);

    QByteArray m_out;
    std::vector<bool> m_empty; // per open container: nothing written in it yet
    bool m_afterKey = false;
};

} // namespace tantra
