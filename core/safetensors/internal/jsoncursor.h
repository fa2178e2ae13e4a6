#pragma once

#include "printablename.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tantra {

// A forward-only cursor over strict JSON (RFC 8259, with serde_json's limits: nesting depth
// 127, lone surrogate escapes rejected, integers above 2^64-1 are not integers, a number that
// serde_json would read as infinite is "out of range"). It builds no tree: callers pull exactly
// the values they expect, so a 100 MB header costs one pass and the caller can see duplicate
// keys, which QJsonDocument silently merges.
//
// The input must already be valid UTF-8. On failure every method returns false and
// errorMessage() tells what and where ("line 1, column 17: expected ':'").
class JsonCursor
{
public:
    JsonCursor(const char *begin, std::size_t size);

    // Whether a number beyond the range of a double (1e400, a 310-digit integer) is an error,
    // as in serde_json (the default), or read as infinity, as in Python's json module.
    void setRejectOutOfRangeNumbers(bool reject) { m_rejectOutOfRange = reject; }

    enum class Kind { Object, Array, String, Number, True, False, Null, End, Invalid };

    void skipWhitespace();
    // The kind of the next value, after skipping whitespace.
    Kind peek();
    bool atEnd();

    bool consume(char c, const char *what);
    // Object iteration: call beginObject, then nextKey until it sets `done`.
    bool beginObject();
    bool nextKey(std::string &key, bool &done);
    bool beginArray();
    // Between array elements: sets `done` at ']' and otherwise consumes the ',' if one is due.
    bool nextElement(bool &done);
    void leaveContainer() { --m_depth; }

    bool readString(std::string &out);
    // A non-negative integer that fits 64 bits, nothing else: no sign, fraction or exponent.
    bool readUnsigned(std::uint64_t &out, const char *what);
    // Any number; returns its value as double and whether it was written as an integer.
    bool readNumber(double &out, bool &isInteger);
    bool readNull();
    bool skipValue();

    std::size_t position() const { return std::size_t(m_pos - m_begin); }
    // Raw access for a caller's fast path over one exact, common form: it reads from current()
    // up to limit() and, on success, moves past what it read with skipTo(). On anything else it
    // leaves the cursor alone and uses the methods above, which also give the errors.
    const char *current() const { return m_pos; }
    const char *limit() const { return m_end; }
    void skipTo(const char *p) { m_pos = p; }
    const std::string &errorMessage() const { return m_error; }
    bool fail(std::string_view message);

    static constexpr int kMaxDepth = 127;

private:
    bool enter();
    bool scanNumber(bool &isInteger, bool &negative);
    bool readHex4(std::uint32_t &out);
    std::string location() const;

    const char *m_begin;
    const char *m_pos;
    const char *m_end;
    int m_depth = 0;
    bool m_rejectOutOfRange = true;
    std::string m_error;
};

// Whether serde_json 1.x (without its float_roundtrip feature, as the safetensors crate builds
// it) reads the number [begin, end), already checked to be JSON, as a finite value; if not, it
// fails with "number out of range".
bool serdeNumberIsFinite(const char *begin, const char *end);

// Checks that [data, data+size) is valid UTF-8 as Rust's str::from_utf8 defines it (no
// overlong forms, no surrogates, nothing above U+10FFFF). Returns the offset of the first
// bad byte, or size when all is well.
std::size_t firstInvalidUtf8(const char *data, std::size_t size);

} // namespace tantra
