#include "jsoncursor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>

namespace tantra {

namespace {

bool isWs(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

void appendUtf8(std::string &out, std::uint32_t cp)
{
    if (cp < 0x80) {
        out.push_back(char(cp));
    } else if (cp < 0x800) {
        out.push_back(char(0xc0 | (cp >> 6)));
        out.push_back(char(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out.push_back(char(0xe0 | (cp >> 12)));
        out.push_back(char(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(char(0x80 | (cp & 0x3f)));
    } else {
        out.push_back(char(0xf0 | (cp >> 18)));
        out.push_back(char(0x80 | ((cp >> 12) & 0x3f)));
        out.push_back(char(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(char(0x80 | (cp & 0x3f)));
    }
}

// 1e0 .. 1e308 as the compiler rounds each literal (correctly, as rustc does serde_json's table).
#define TANTRA_POW10(n) 1e##n
#define TANTRA_POW10_DECADE(d)                                                                       \
    TANTRA_POW10(d##0), TANTRA_POW10(d##1), TANTRA_POW10(d##2), TANTRA_POW10(d##3), TANTRA_POW10(d##4), \
            TANTRA_POW10(d##5), TANTRA_POW10(d##6), TANTRA_POW10(d##7), TANTRA_POW10(d##8), TANTRA_POW10(d##9)
constexpr double kPow10[309] = {
    TANTRA_POW10_DECADE(),   TANTRA_POW10_DECADE(1),  TANTRA_POW10_DECADE(2),  TANTRA_POW10_DECADE(3),
    TANTRA_POW10_DECADE(4),  TANTRA_POW10_DECADE(5),  TANTRA_POW10_DECADE(6),  TANTRA_POW10_DECADE(7),
    TANTRA_POW10_DECADE(8),  TANTRA_POW10_DECADE(9),  TANTRA_POW10_DECADE(10), TANTRA_POW10_DECADE(11),
    TANTRA_POW10_DECADE(12), TANTRA_POW10_DECADE(13), TANTRA_POW10_DECADE(14), TANTRA_POW10_DECADE(15),
    TANTRA_POW10_DECADE(16), TANTRA_POW10_DECADE(17), TANTRA_POW10_DECADE(18), TANTRA_POW10_DECADE(19),
    TANTRA_POW10_DECADE(20), TANTRA_POW10_DECADE(21), TANTRA_POW10_DECADE(22), TANTRA_POW10_DECADE(23),
    TANTRA_POW10_DECADE(24), TANTRA_POW10_DECADE(25), TANTRA_POW10_DECADE(26), TANTRA_POW10_DECADE(27),
    TANTRA_POW10_DECADE(28), TANTRA_POW10_DECADE(29), TANTRA_POW10(300),       TANTRA_POW10(301),
    TANTRA_POW10(302),       TANTRA_POW10(303),       TANTRA_POW10(304),       TANTRA_POW10(305),
    TANTRA_POW10(306),       TANTRA_POW10(307),       TANTRA_POW10(308),
};
#undef TANTRA_POW10_DECADE
#undef TANTRA_POW10

// serde_json's overflow! macro: would a * 10 + b exceed max?
template<typename T>
constexpr bool overflows(T a, T b, T max)
{
    return a >= max / 10 && (a > max / 10 || b > max % 10);
}

} // namespace

bool serdeNumberIsFinite(const char *p, const char *end)
{
    // serde_json keeps a u64 significand until the next digit would overflow it; further digits
    // of the integer part raise the exponent, further digits of the fraction are dropped. It
    // then scales the significand by a table power of ten, and only a product that is infinite
    // (never a quotient) or an exponent beyond the table with a non-zero significand fails.
    if (p < end && *p == '-')
        ++p;
    std::uint64_t significand = 0;
    std::int64_t exponent = 0; // an i32 in serde_json; a 100 MB header cannot leave its range here
    bool full = false;
    bool plainInteger = true;
    for (; p < end && isDigit(*p); ++p) {
        const auto digit = std::uint64_t(*p - '0');
        if (!full && overflows<std::uint64_t>(significand, digit, UINT64_MAX))
            full = true;
        if (full)
            ++exponent;
        else
            significand = significand * 10 + digit;
    }
    if (p < end && *p == '.') {
        plainInteger = false;
        // The fraction checks for overflow afresh, even after a long integer part: a significand
        // of exactly (2^64-1)/10 still takes one more digit up to 5.
        bool fractionFull = false;
        for (++p; p < end && isDigit(*p); ++p) {
            const auto digit = std::uint64_t(*p - '0');
            if (!fractionFull && overflows<std::uint64_t>(significand, digit, UINT64_MAX))
                fractionFull = true;
            if (!fractionFull) {
                significand = significand * 10 + digit;
                --exponent;
            }
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        plainInteger = false;
        ++p;
        bool positiveExponent = true;
        if (*p == '+' || *p == '-')
            positiveExponent = *p++ == '+';
        std::int32_t written = 0;
        for (; p < end && isDigit(*p); ++p) {
            const auto digit = std::int32_t(*p - '0');
            if (overflows<std::int32_t>(written, digit, INT32_MAX)) {
                // Past i32: zero for a zero significand or a negative exponent, else the error.
                return significand == 0 || !positiveExponent;
            }
            written = written * 10 + digit;
        }
        // i32 saturating arithmetic, as serde_json's.
        exponent = std::clamp<std::int64_t>(positiveExponent ? exponent + written : exponent - written, INT32_MIN,
                                            INT32_MAX);
    }
    // An integer that fits 64 bits is kept as an integer, whatever its sign.
    if (plainInteger && !full)
        return true;
    if (exponent < 0 || significand == 0)
        return true;
    if (exponent >= std::int64_t(std::size(kPow10)))
        return false;
    return !std::isinf(double(significand) * kPow10[exponent]);
}

JsonCursor::JsonCursor(const char *begin, std::size_t size)
    : m_begin(begin), m_pos(begin), m_end(begin + size)
{
}

std::string JsonCursor::location() const
{
    std::size_t line = 1;
    const char *lineStart = m_begin;
    for (const char *p = m_begin; p < m_pos && p < m_end; ++p) {
        if (*p == '\n') {
            ++line;
            lineStart = p + 1;
        }
    }
    // Columns count characters, not bytes, so they match what an editor shows.
    std::size_t column = 1;
    for (const char *p = lineStart; p < m_pos && p < m_end; ++p) {
        if ((static_cast<unsigned char>(*p) & 0xc0) != 0x80)
            ++column;
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

bool JsonCursor::fail(std::string_view message)
{
    if (m_error.empty())
        m_error = location() + ": " + std::string(message);
    return false;
}

void JsonCursor::skipWhitespace()
{
    while (m_pos < m_end && isWs(*m_pos))
        ++m_pos;
}

bool JsonCursor::atEnd()
{
    skipWhitespace();
    return m_pos == m_end;
}

JsonCursor::Kind JsonCursor::peek()
{
    skipWhitespace();
    if (m_pos == m_end)
        return Kind::End;
    switch (*m_pos) {
    case '{': return Kind::Object;
    case '[': return Kind::Array;
    case '"': return Kind::String;
    case 't': return Kind::True;
    case 'f': return Kind::False;
    case 'n': return Kind::Null;
    default:
        if (*m_pos == '-' || isDigit(*m_pos))
            return Kind::Number;
        return Kind::Invalid;
    }
}

bool JsonCursor::consume(char c, const char *what)
{
    skipWhitespace();
    if (m_pos == m_end)
        return fail(std::string("unexpected end of header, expected ") + what);
    if (*m_pos != c)
        return fail(std::string("expected ") + what);
    ++m_pos;
    return true;
}

bool JsonCursor::enter()
{
    if (++m_depth > kMaxDepth)
        return fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    return true;
}

bool JsonCursor::beginObject()
{
    if (!consume('{', "'{' (an object)"))
        return false;
    if (!enter())
        return false;
    skipWhitespace();
    if (m_pos < m_end && *m_pos == '}') {
        // Let nextKey see the empty object: leave the brace for it.
        return true;
    }
    return true;
}

bool JsonCursor::nextKey(std::string &key, bool &done)
{
    skipWhitespace();
    if (m_pos == m_end)
        return fail("unexpected end of header inside an object");
    done = false;
    if (*m_pos == '}') {
        ++m_pos;
        leaveContainer();
        done = true;
        return true;
    }
    // Not the first key: a comma is due. We find out by looking back at what preceded us.
    const char *back = m_pos;
    while (back > m_begin && isWs(back[-1]))
        --back;
    if (back > m_begin && back[-1] != '{') {
        if (*m_pos != ',')
            return fail("expected ',' or '}'");
        ++m_pos;
        skipWhitespace();
        if (m_pos < m_end && *m_pos == '}')
            return fail("trailing comma before '}'");
    }
    if (m_pos == m_end || *m_pos != '"')
        return fail("expected a key in double quotes");
    if (!readString(key))
        return false;
    return consume(':', "':' after the key");
}

bool JsonCursor::beginArray()
{
    if (!consume('[', "'[' (an array)"))
        return false;
    return enter();
}

bool JsonCursor::nextElement(bool &done)
{
    skipWhitespace();
    if (m_pos == m_end)
        return fail("unexpected end of header inside an array");
    done = false;
    if (*m_pos == ']') {
        ++m_pos;
        leaveContainer();
        done = true;
        return true;
    }
    const char *back = m_pos;
    while (back > m_begin && isWs(back[-1]))
        --back;
    if (back > m_begin && back[-1] != '[') {
        if (*m_pos != ',')
            return fail("expected ',' or ']'");
        ++m_pos;
        skipWhitespace();
        if (m_pos < m_end && *m_pos == ']')
            return fail("trailing comma before ']'");
    }
    return true;
}

bool JsonCursor::readHex4(std::uint32_t &out)
{
    if (m_end - m_pos < 4)
        return fail("unexpected end of header in a \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
        const char c = *m_pos++;
        out <<= 4;
        if (c >= '0' && c <= '9')
            out |= std::uint32_t(c - '0');
        else if (c >= 'a' && c <= 'f')
            out |= std::uint32_t(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            out |= std::uint32_t(c - 'A' + 10);
        else
            return fail("invalid hex digit in a \\u escape");
    }
    return true;
}

bool JsonCursor::readString(std::string &out)
{
    skipWhitespace();
    if (m_pos == m_end || *m_pos != '"')
        return fail("expected a string");
    ++m_pos;
    out.clear();
    for (;;) {
        const char *runStart = m_pos;
        // Eight bytes at a time while none is a quote, a backslash or a control character
        // (the usual bit tricks; bytes >= 0x80 never match).
        constexpr std::uint64_t kOnes = 0x0101010101010101ull;
        constexpr std::uint64_t kHigh = 0x8080808080808080ull;
        while (m_end - m_pos >= 8) {
            std::uint64_t w;
            std::memcpy(&w, m_pos, 8);
            const std::uint64_t quote = w ^ (kOnes * '"');
            const std::uint64_t backslash = w ^ (kOnes * '\\');
            const std::uint64_t special = ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)
                    | ((w - kOnes * 0x20) & ~w);
            if (special & kHigh)
                break;
            m_pos += 8;
        }
        while (m_pos < m_end) {
            const auto c = static_cast<unsigned char>(*m_pos);
            if (c == '"' || c == '\\' || c < 0x20)
                break;
            ++m_pos;
        }
        out.append(runStart, std::size_t(m_pos - runStart));
        if (m_pos == m_end)
            return fail("unterminated string");
        const auto c = static_cast<unsigned char>(*m_pos);
        if (c == '"') {
            ++m_pos;
            return true;
        }
        if (c < 0x20)
            return fail("control character inside a string (must be escaped)");
        ++m_pos; // backslash
        if (m_pos == m_end)
            return fail("unterminated escape");
        switch (*m_pos++) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
            std::uint32_t cp;
            if (!readHex4(cp))
                return false;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return fail("lone trailing surrogate in a \\u escape");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (m_end - m_pos < 2 || m_pos[0] != '\\' || m_pos[1] != 'u')
                    return fail("lone leading surrogate in a \\u escape");
                m_pos += 2;
                std::uint32_t low;
                if (!readHex4(low))
                    return false;
                if (low < 0xdc00 || low > 0xdfff)
                    return fail("lone leading surrogate in a \\u escape");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            }
            appendUtf8(out, cp);
            break;
        }
        default:
            --m_pos;
            return fail("invalid escape in a string");
        }
    }
}

bool JsonCursor::scanNumber(bool &isInteger, bool &negative)
{
    const char *start = m_pos;
    isInteger = true;
    negative = false;
    if (m_pos < m_end && *m_pos == '-') {
        negative = true;
        ++m_pos;
    }
    if (m_pos == m_end || !isDigit(*m_pos))
        return fail("invalid number");
    if (*m_pos == '0') {
        ++m_pos;
        if (m_pos < m_end && isDigit(*m_pos))
            return fail("invalid number (leading zero)");
    } else {
        while (m_pos < m_end && isDigit(*m_pos))
            ++m_pos;
    }
    if (m_pos < m_end && *m_pos == '.') {
        isInteger = false;
        ++m_pos;
        if (m_pos == m_end || !isDigit(*m_pos))
            return fail("invalid number (no digit after '.')");
        while (m_pos < m_end && isDigit(*m_pos))
            ++m_pos;
    }
    if (m_pos < m_end && (*m_pos == 'e' || *m_pos == 'E')) {
        isInteger = false;
        ++m_pos;
        if (m_pos < m_end && (*m_pos == '+' || *m_pos == '-'))
            ++m_pos;
        if (m_pos == m_end || !isDigit(*m_pos))
            return fail("invalid number (no digit in the exponent)");
        while (m_pos < m_end && isDigit(*m_pos))
            ++m_pos;
    }
    // Twenty digits or more, a fraction or an exponent: the only numbers that can be too large.
    if (m_rejectOutOfRange && (!isInteger || m_pos - start >= 20) && !serdeNumberIsFinite(start, m_pos)) {
        m_pos = start;
        return fail("number out of range (larger than the largest double, about 1.8e308)");
    }
    return true;
}

bool JsonCursor::readUnsigned(std::uint64_t &out, const char *what)
{
    skipWhitespace();
    if (peek() != Kind::Number)
        return fail(std::string(what) + " must be a non-negative integer");
    const char *start = m_pos;
    bool isInteger;
    bool negative;
    if (!scanNumber(isInteger, negative))
        return false;
    if (negative || !isInteger) {
        m_pos = start;
        return fail(std::string(what) + (negative ? " must be a non-negative integer, not a negative number"
                                                  : " must be an integer, not a fraction or exponent"));
    }
    std::uint64_t v = 0;
    for (const char *p = start; p < m_pos; ++p) {
        const std::uint64_t d = std::uint64_t(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            m_pos = start;
            return fail(std::string(what) + " is larger than 2^64-1");
        }
        v = v * 10 + d;
    }
    out = v;
    return true;
}

bool JsonCursor::readNumber(double &out, bool &isInteger)
{
    skipWhitespace();
    const char *start = m_pos;
    bool negative;
    if (!scanNumber(isInteger, negative))
        return false;
    out = std::strtod(std::string(start, m_pos).c_str(), nullptr);
    return true;
}

bool JsonCursor::readNull()
{
    skipWhitespace();
    if (m_end - m_pos >= 4 && std::memcmp(m_pos, "null", 4) == 0) {
        m_pos += 4;
        return true;
    }
    return fail("expected null");
}

bool JsonCursor::skipValue()
{
    std::string scratch;
    switch (peek()) {
    case Kind::Object: {
        if (!beginObject())
            return false;
        for (;;) {
            bool done;
            if (!nextKey(scratch, done))
                return false;
            if (done)
                return true;
            if (!skipValue())
                return false;
        }
    }
    case Kind::Array: {
        if (!beginArray())
            return false;
        for (;;) {
            bool done;
            if (!nextElement(done))
                return false;
            if (done)
                return true;
            if (!skipValue())
                return false;
        }
    }
    case Kind::String:
        return readString(scratch);
    case Kind::Number: {
        bool isInteger;
        bool negative;
        return scanNumber(isInteger, negative);
    }
    case Kind::True:
    case Kind::False:
    case Kind::Null: {
        const char *word = peek() == Kind::True ? "true" : peek() == Kind::False ? "false" : "null";
        const std::size_t len = std::strlen(word);
        if (std::size_t(m_end - m_pos) >= len && std::memcmp(m_pos, word, len) == 0) {
            m_pos += len;
            return true;
        }
        return fail("invalid literal");
    }
    case Kind::End:
        return fail("unexpected end of header, expected a value");
    case Kind::Invalid:
        break;
    }
    return fail("expected a value");
}

std::size_t firstInvalidUtf8(const char *data, std::size_t size)
{
    const auto *s = reinterpret_cast<const unsigned char *>(data);
    std::size_t i = 0;
    while (i < size) {
        // ASCII fast path, 32 then 8 bytes at a time: headers are almost all ASCII.
        while (i + 32 <= size) {
            std::uint64_t chunk[4];
            std::memcpy(chunk, s + i, 32);
            if ((chunk[0] | chunk[1] | chunk[2] | chunk[3]) & 0x8080808080808080ull)
                break;
            i += 32;
        }
        while (i + 8 <= size) {
            std::uint64_t chunk;
            std::memcpy(&chunk, s + i, 8);
            if (chunk & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= size)
            break;
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        unsigned char lo = 0x80;
        unsigned char hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0)
                lo = 0xa0; // no overlong forms
            else if (c == 0xed)
                hi = 0x9f; // no surrogates
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f; // nothing above U+10FFFF
        } else {
            return i;
        }
        if (i + len > size)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (std::size_t k = 2; k < len; ++k) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
        }
        i += len;
    }
    return size;
}

} // namespace tantra
