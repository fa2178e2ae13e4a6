// The header rules of the safetensors format, one `_data` row per rule and sub-case. Each
// malformed file is checked twice: parseSafetensorsHeader must name the reference's rule, the
// tensor and the exact message, and SafetensorsFile::open must put the path in front.
//
// The verdicts are the reference's (the safetensors crate, SafeTensors::deserialize), except
// where a key appears twice, which the reference allows (the last one wins) and we refuse.
// Checked by a differential run: TANTRA_HEADER_ROWS_DIR (below) writes every row's file, and the
// reference built from safetensors git 24b0b28 with serde 1.0.152 and serde_json 1.0.87 took
// every accepted row and refused every rejected row but "metadata key twice", for the rule named
// here (DuplicateKey aside, which is ours). The quotes in comments below are its error messages.

#include "safetensorsfile.h"
#include "safetensorsheader.h"
#include "testutil.h"

#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <variant>

using namespace tantra;

namespace {

QByteArray lengthPrefix(std::uint64_t n)
{
    QByteArray out(8, '\0');
    std::memcpy(out.data(), &n, 8);
    return out;
}

QByteArray st(const QByteArray &json, const QByteArray &data = {})
{
    return test::safetensorsBytes(json, data);
}

QByteArray zeros(qsizetype n)
{
    return QByteArray(n, '\0');
}

// `depth` nested arrays: "[[[...]]]".
QByteArray nested(int depth)
{
    return QByteArray(depth, '[') + QByteArray(depth, ']');
}

std::variant<SafetensorsHeader, HeaderError> parse(const QByteArray &file)
{
    return parseSafetensorsHeader(test::bytesOf(file), std::uint64_t(file.size()));
}

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

// For a differential run against the reference: with TANTRA_HEADER_ROWS_DIR set, each row's
// file is also written there as <verdict>-<row>.safetensors, for the reference to read.
void keepForDifferentialRun(const char *verdict, const QByteArray &file)
{
    const QString dir = qEnvironmentVariable("TANTRA_HEADER_ROWS_DIR");
    if (dir.isEmpty())
        return;
    QString name = QString::fromUtf8(QTest::currentDataTag());
    for (QChar &c : name) {
        if (!c.isLetterOrNumber() && c != QLatin1Char('-'))
            c = QLatin1Char('_');
    }
    test::writeBytes(dir + QLatin1Char('/') + QLatin1String(verdict) + QLatin1Char('-') + name
                             + QStringLiteral(".safetensors"),
                     file);
}

// One valid F32 scalar-vector entry, for rows that need a well-formed neighbour.
const QByteArray kOneF32 = R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";

} // namespace

class TestHeader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void rejected_data();
    void rejected();
    void accepted_data();
    void accepted();
    void acceptedValues();
    void namesArePrintedSafely();
    void foreignFiles_data();
    void foreignFiles();
    void binaryIsNotText_data();
    void binaryIsNotText();
    void safetensorsIsNotForeign_data();
    void safetensorsIsNotForeign();
};

void TestHeader::rejected_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QString>("rule");
    QTest::addColumn<QString>("tensor");
    QTest::addColumn<bool>("namesTensor");
    QTest::addColumn<QString>("message");

    // `tensor` "" for an error about no tensor in particular.
    const auto row = [](const char *name, const QByteArray &file, const char *rule, const char *tensor,
                        const char *message) {
        QTest::newRow(name) << file << QString::fromLatin1(rule) << QString::fromUtf8(tensor) << (*tensor != '\0')
                            << QString::fromUtf8(message);
    };
    // An error about the tensor whose name is the empty string, which must be named all the same.
    const auto rowForEmptyName = [](const char *name, const QByteArray &file, const char *rule, const char *message) {
        QTest::newRow(name) << file << QString::fromLatin1(rule) << QString() << true << QString::fromUtf8(message);
    };

    // --- the length prefix ---------------------------------------------------------------
    row("empty file", {}, "HeaderTooSmall", "",
        "the file is 0 bytes long; a safetensors file starts with an 8-byte header length");
    row("7 bytes", zeros(7), "HeaderTooSmall", "",
        "the file is 7 bytes long; a safetensors file starts with an 8-byte header length");
    row("N one over the limit", lengthPrefix(100'000'001) + "{}", "HeaderTooLarge", "",
        "the header length field says 100000001 bytes, more than the format's limit of 100000000");
    row("N huge (2^64-1)", lengthPrefix(UINT64_MAX) + "{}", "HeaderTooLarge", "",
        "the header length field says 18446744073709551615 bytes, more than the format's limit of 100000000");
    row("N at the limit, past the end", lengthPrefix(100'000'000) + "{}", "InvalidHeaderLength", "",
        "the header length field says 100000000 bytes, but only 2 bytes follow it");
    row("N one past the end", lengthPrefix(3) + "{}", "InvalidHeaderLength", "",
        "the header length field says 3 bytes, but only 2 bytes follow it");
    row("N > file, nothing follows", lengthPrefix(1), "InvalidHeaderLength", "",
        "the header length field says 1 bytes, but only 0 bytes follow it");

    // --- UTF-8 (positions count from the start of the file) ----------------------------------
    row("overlong 2-byte form", st("{\"\xc0\xaf\":1}"), "InvalidHeader", "",
        "the header is not valid UTF-8 (at byte 10)");
    row("overlong 3-byte form", st("{\"\xe0\x80\xaf\":1}"), "InvalidHeader", "",
        "the header is not valid UTF-8 (at byte 10)");
    row("UTF-8 encoded surrogate", st("{\"\xed\xa0\x80\":1}"), "InvalidHeader", "",
        "the header is not valid UTF-8 (at byte 10)");
    row("truncated sequence", st("{\"\xe2\x82\":1}"), "InvalidHeader", "",
        "the header is not valid UTF-8 (at byte 10)");
    row("truncated at the end", st("{}\xe2\x82"), "InvalidHeader", "",
        "the header is not valid UTF-8 (at byte 10)");
    row("above U+10FFFF", st("{\"\xf4\x90\x80\x80\":1}"), "InvalidHeader", "",
        "the header is not valid UTF-8 (at byte 10)");
    row("lone continuation byte", st("{\"\x80\":1}"), "InvalidHeader", "",
        "the header is not valid UTF-8 (at byte 10)");
    row("bad byte in a metadata value", st("{\"__metadata__\":{\"k\":\"\xff\"}}"), "InvalidHeader", "",
        "the header is not valid UTF-8 (at byte 30)");
    row("UTF-8 checked before JSON", st("{\xff"), "InvalidHeader", "",
        "the header is not valid UTF-8 (at byte 9)");

    // --- the header is one JSON object -----------------------------------------------------
    row("NUL padding", st(QByteArray("{}") + zeros(6)), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 3: unexpected bytes after the JSON object");
    row("byte order mark", st("\xef\xbb\xbf{}"), "InvalidHeaderDeserialization", "",
        "header is not valid: the header is not a JSON object");
    row("trailing garbage", st("{} x"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 4: unexpected bytes after the JSON object");
    row("two objects", st("{}{}"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 3: unexpected bytes after the JSON object");
    row("empty header (N = 0)", st(""), "InvalidHeaderDeserialization", "",
        "header is not valid: the header is empty, expected a JSON object");
    row("whitespace only", st(" \n\t "), "InvalidHeaderDeserialization", "",
        "header is not valid: the header is empty, expected a JSON object");
    row("an array", st("[]"), "InvalidHeaderDeserialization", "",
        "header is not valid: the header is not a JSON object");
    row("a string", st("\"{}\""), "InvalidHeaderDeserialization", "",
        "header is not valid: the header is not a JSON object");
    row("form feed is not JSON whitespace", st("\f{}"), "InvalidHeaderDeserialization", "",
        "header is not valid: the header is not a JSON object");
    row("unclosed object", st("{"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 2: unexpected end of header inside an object");
    row("trailing comma", st(R"({"__metadata__":{"a":"b",}})"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 26: trailing comma before '}'");
    row("missing comma", st(R"({"__metadata__":{"a":"b" "c":"d"}})"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 26: expected ',' or '}'");
    row("JSON error beats a duplicate",
        st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},x})",
           zeros(4)),
        "InvalidHeaderDeserialization", "", "header is not valid: line 1, column 108: expected a key in double quotes");

    // --- __metadata__ ------------------------------------------------------------------------
    row("metadata value is a number", st(R"({"__metadata__":{"a":1}})"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 22: '__metadata__' value of 'a' must be a string");
    row("metadata value is null", st(R"({"__metadata__":{"a":null}})"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 22: '__metadata__' value of 'a' must be a string");
    row("metadata value is an object", st(R"({"__metadata__":{"a":{}}})"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 22: '__metadata__' value of 'a' must be a string");
    // The reference reads __metadata__ as Option<HashMap<String, String>>: null or an object of
    // strings. An array fails "invalid type: sequence, expected a map", a string "invalid type:
    // string \"x\", expected a map".
    row("metadata is an array", st(R"({"__metadata__":[]})"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 17: '__metadata__' must be an object of strings or null");
    row("metadata is a string", st(R"({"__metadata__":"x"})"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 17: '__metadata__' must be an object of strings or null");

    // --- strings -------------------------------------------------------------------------------
    row("lone leading surrogate escape", st(R"({"__metadata__":{"a":"\ud800"}})"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 29: lone leading surrogate in a \\u escape");
    row("lone trailing surrogate escape", st(R"({"__metadata__":{"a":"\udc00"}})"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 29: lone trailing surrogate in a \\u escape");
    row("leading surrogate, then no trail", st(R"({"__metadata__":{"a":"\ud800\u0041"}})"),
        "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 35: lone leading surrogate in a \\u escape");
    row("raw newline in a string", st("{\"__metadata__\":{\"a\":\"x\ny\"}}"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 24: control character inside a string (must be escaped)");
    row("raw tab in a tensor name", st("{\"a\tb\":{}}"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 4: control character inside a string (must be escaped)");
    row("invalid escape", st(R"({"__metadata__":{"a":"\x"}})"), "InvalidHeaderDeserialization", "",
        "header is not valid: line 1, column 24: invalid escape in a string");
    row("location counts lines", st("{\n  \"t\": 5\n}"), "InvalidHeaderDeserialization", "t",
        "line 2, column 8: expected an object with dtype, shape and data_offsets");

    // --- tensor entries (column numbers count from the '{' of the header) -------------------
    row("entry is a number", st(R"({"t":5})"), "InvalidHeaderDeserialization", "t",
        "line 1, column 6: expected an object with dtype, shape and data_offsets");
    row("missing dtype", st(R"({"t":{"shape":[1],"data_offsets":[0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "the entry has no 'dtype' field");
    row("missing shape", st(R"({"t":{"dtype":"F32","data_offsets":[0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "the entry has no 'shape' field");
    row("missing data_offsets", st(R"({"t":{"dtype":"F32","shape":[1]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "the entry has no 'data_offsets' field");
    row("lower-case dtype", st(R"({"t":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t",
        "unknown dtype 'f32' (dtype names are upper-case, e.g. F32, BF16, I64)");
    row("PyTorch's dtype name", st(R"({"t":{"dtype":"F8_E4M3FN","shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "unknown dtype 'F8_E4M3FN' (dtype names are upper-case, e.g. F32, BF16, I64)");
    row("dtype with a space", st(R"({"t":{"dtype":"F32 ","shape":[1],"data_offsets":[0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t",
        "unknown dtype 'F32 ' (dtype names are upper-case, e.g. F32, BF16, I64)");
    row("dtype is a number", st(R"({"t":{"dtype":32,"shape":[1],"data_offsets":[0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "line 1, column 15: dtype must be a string (or an object {\"NAME\": null})");
    row("shape is a number", st(R"({"t":{"dtype":"F32","shape":1,"data_offsets":[0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "line 1, column 29: shape must be an array of non-negative integers");
    row("negative dimension", st(R"({"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 30: a shape dimension must be a non-negative integer, not a negative number");
    row("fractional dimension", st(R"({"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 30: a shape dimension must be an integer, not a fraction or exponent");
    row("null dimension", st(R"({"t":{"dtype":"F32","shape":[null],"data_offsets":[0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "line 1, column 30: a shape dimension must be a non-negative integer");
    row("float offset", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 51: a data offset must be an integer, not a fraction or exponent");
    row("offset 0.0", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0.0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 49: a data offset must be an integer, not a fraction or exponent");
    row("offset 4.0", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 51: a data offset must be an integer, not a fraction or exponent");
    row("offset 1e2", st(R"({"t":{"dtype":"F32","shape":[25],"data_offsets":[0,1e2]}})", zeros(100)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 52: a data offset must be an integer, not a fraction or exponent");
    row("negative offset", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 51: a data offset must be a non-negative integer, not a negative number");
    row("offset -0", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[-0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 49: a data offset must be a non-negative integer, not a negative number");
    row("offset above 2^64-1",
        st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "line 1, column 51: a data offset is larger than 2^64-1");
    row("offset with a leading zero", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,04]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "line 1, column 52: invalid number (leading zero)");
    row("offset with a plus sign", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,+4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "line 1, column 51: a data offset must be a non-negative integer");
    row("offset 2^64-1 is an integer",
        st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}})", zeros(4)),
        "TensorInvalidInfo", "t", "shape [1] of F32 needs 4 bytes, but bytes 0..18446744073709551615 hold 18446744073709551615");
    row("three offsets", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 53: data_offsets must hold exactly two integers, not more");
    row("one offset", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "line 1, column 51: data_offsets must hold exactly two integers, not 1");
    row("no offsets", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "line 1, column 50: data_offsets must hold exactly two integers, not 0");
    row("offsets are a string", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":"0,4"}})", zeros(4)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 48: data_offsets must be an array of two non-negative integers");
    row("unknown field is not JSON", st(R"({"t":{"x":tru,"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "line 1, column 11: invalid literal");
    // Top object (1) + entry (2) + 126 arrays = 128 levels, one more than serde_json allows.
    row("nesting too deep in an unknown field",
        st("{\"t\":{\"x\":" + nested(126) + R"(,"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", zeros(4)),
        "InvalidHeaderDeserialization", "t", "line 1, column 137: nesting deeper than 127 levels");

    // --- the other spellings serde accepts, broken -------------------------------------------
    // The reference reads TensorInfo with serde's derive: from a JSON object, or from an array of
    // its fields in declaration order (dtype, shape, data_offsets). From an array it takes exactly
    // three elements: fewer fail "invalid length N, expected struct TensorInfo with 3 elements",
    // more fail "invalid length 4, expected 3 elements in sequence"; each element is read as the
    // field it stands for, so the same rules apply to it as in the object. The reference's error
    // follows each row below when it is not one of those.
    row("array entry, empty", st(R"({"t":[]})"), "InvalidHeaderDeserialization", "t",
        "line 1, column 8: an entry written as an array must hold exactly dtype, shape and data_offsets, not 0 elements");
    row("array entry, two elements", st(R"({"t":["U8",[1]]})", zeros(1)), "InvalidHeaderDeserialization", "t",
        "line 1, column 16: an entry written as an array must hold exactly dtype, shape and data_offsets, not 2 elements");
    row("array entry, four elements", st(R"({"t":["U8",[1],[0,1],null]})", zeros(1)), "InvalidHeaderDeserialization",
        "t", "line 1, column 22: an entry written as an array must hold exactly dtype, shape and data_offsets, not more");
    // Fields by position, not by name: "invalid type: sequence, expected string or map".
    row("array entry, fields out of order", st(R"({"t":[[1],"U8",[0,1]]})", zeros(1)), "InvalidHeaderDeserialization",
        "t", "line 1, column 7: dtype must be a string (or an object {\"NAME\": null})");
    // "invalid length 1, expected a tuple of size 2".
    row("array entry, one offset", st(R"({"t":["U8",[1],[1]]})", zeros(1)), "InvalidHeaderDeserialization", "t",
        "line 1, column 19: data_offsets must hold exactly two integers, not 1");
    // "invalid value: integer `-1`, expected usize".
    row("array entry, negative dimension", st(R"({"t":["U8",[-1],[0,1]]})", zeros(1)), "InvalidHeaderDeserialization",
        "t", "line 1, column 13: a shape dimension must be a non-negative integer, not a negative number");
    // "unknown variant `u8`, expected one of `BOOL`, `F4`, ...".
    row("array entry, unknown dtype", st(R"({"t":["u8",[1],[0,1]]})", zeros(1)), "InvalidHeaderDeserialization", "t",
        "unknown dtype 'u8' (dtype names are upper-case, e.g. F32, BF16, I64)");
    // Read, then validated like any other entry: TensorInvalidInfo.
    row("array entry, size mismatch", st(R"({"t":["F32",[2],[0,4]]})", zeros(4)), "TensorInvalidInfo", "t",
        "shape [2] of F32 needs 8 bytes, but bytes 0..4 hold 4");
    // The object is read as the dtype: "invalid value: map, expected map with a single key".
    row("array entry, an object in it", st(R"({"t":[{"dtype":"U8","shape":[1],"data_offsets":[0,1]}]})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 16: a dtype written as an object, {\"dtype\": ...}, must have the value null");
    // "invalid type: string \"U8\", expected struct TensorInfo".
    row("array entry is a string", st(R"({"t":"U8"})", zeros(1)), "InvalidHeaderDeserialization", "t",
        "line 1, column 6: expected an object with dtype, shape and data_offsets");
    // Dtype is an externally tagged enum; serde's buffered reader (the tensors pass through
    // `#[serde(flatten)]`) takes a unit variant as "NAME" or as a map of exactly one entry,
    // {"NAME": null}. An empty map or one of two entries fails "invalid value: map, expected map
    // with a single key"; a value other than null fails "invalid type: ..., expected unit"; an
    // array, a number or null fails "invalid type: ..., expected string or map".
    row("dtype object, value {}", st(R"({"t":{"dtype":{"U8":{}},"shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 21: a dtype written as an object, {\"U8\": ...}, must have the value null");
    row("dtype object, value []", st(R"({"t":{"dtype":{"U8":[]},"shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 21: a dtype written as an object, {\"U8\": ...}, must have the value null");
    row("dtype object, value \"null\"", st(R"({"t":{"dtype":{"U8":"null"},"shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 21: a dtype written as an object, {\"U8\": ...}, must have the value null");
    row("dtype object, empty", st(R"({"t":{"dtype":{},"shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 17: a dtype written as an object must have exactly one key, the dtype's name, not none");
    row("dtype object, two keys", st(R"({"t":{"dtype":{"U8":null,"I8":null},"shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 26: a dtype written as an object must have exactly one key, the dtype's name, not more");
    row("dtype object, one key twice", st(R"({"t":{"dtype":{"U8":null,"U8":null},"shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 26: a dtype written as an object must have exactly one key, the dtype's name, not more");
    row("dtype object, unknown name", st(R"({"t":{"dtype":{"u8":null},"shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t", "unknown dtype 'u8' (dtype names are upper-case, e.g. F32, BF16, I64)");
    row("dtype is an array", st(R"({"t":{"dtype":["U8"],"shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t", "line 1, column 15: dtype must be a string (or an object {\"NAME\": null})");
    row("dtype is null", st(R"({"t":{"dtype":null,"shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t", "line 1, column 15: dtype must be a string (or an object {\"NAME\": null})");

    // --- numbers beyond a double ---------------------------------------------------------------
    // The reference buffers every tensor entry as serde Content (flatten), so serde_json reads
    // every number in them, unknown fields included, as u64, i64 or f64; an f64 that comes out
    // infinite fails "number out of range". Its f64 (without the float_roundtrip feature) is the
    // significand's first 19-20 digits times a table power of ten, so 1e400, -1e309, 10e308,
    // 1.8e308 and a 310-digit integer fail, while 1e-400, 0e400 and 0.1e309 (= 1e308) pass.
    row("1e400 in an unknown field", st(R"({"t":{"x":1e400,"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 11: number out of range (larger than the largest double, about 1.8e308)");
    row("1E400", st(R"({"t":{"x":1E400,"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 11: number out of range (larger than the largest double, about 1.8e308)");
    row("-1e309 nested in an unknown field",
        st(R"({"t":{"dtype":"U8","x":{"y":[true,-1e309]},"shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 35: number out of range (larger than the largest double, about 1.8e308)");
    row("310-digit integer in an unknown field",
        st("{\"t\":{\"x\":1" + QByteArray(309, '0') + R"(,"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 11: number out of range (larger than the largest double, about 1.8e308)");
    row("10e308", st(R"({"t":{"x":10e308,"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 11: number out of range (larger than the largest double, about 1.8e308)");
    row("1.8e308", st(R"({"t":{"x":1.8e308,"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 11: number out of range (larger than the largest double, about 1.8e308)");
    // An exponent beyond i32 is infinity for a non-zero significand.
    row("exponent beyond 32 bits", st(R"({"t":{"x":1e99999999999,"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 11: number out of range (larger than the largest double, about 1.8e308)");
    row("out of range in a later entry",
        st(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2],"x":[-1e400]}})",
           zeros(2)),
        "InvalidHeaderDeserialization", "b",
        "line 1, column 110: number out of range (larger than the largest double, about 1.8e308)");
    // Where the number is a dimension or an offset it is still read as a number first.
    row("dimension 1e400", st(R"({"t":{"dtype":"U8","shape":[1e400],"data_offsets":[0,1]}})", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 29: number out of range (larger than the largest double, about 1.8e308)");
    row("310-digit offset",
        st("{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1" + QByteArray(309, '0') + "]}}", zeros(1)),
        "InvalidHeaderDeserialization", "t",
        "line 1, column 50: number out of range (larger than the largest double, about 1.8e308)");

    // --- the tensor named "" is named in messages ------------------------------------------------
    // The reference accepts "" as a tensor name like any other.
    rowForEmptyName("empty name, size mismatch", st(R"({"":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", zeros(4)),
                    "TensorInvalidInfo", "shape [2] of F32 needs 8 bytes, but bytes 0..4 hold 4");
    rowForEmptyName("empty name, entry is a number", st(R"({"":5})"), "InvalidHeaderDeserialization",
                    "line 1, column 5: expected an object with dtype, shape and data_offsets");
    rowForEmptyName("empty name, gap", st(R"({"":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", zeros(2)),
                    "InvalidOffset", "bytes 1..2 leave a gap after byte 0");
    rowForEmptyName("empty name twice",
                    st(R"({"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                       zeros(2)),
                    "DuplicateKey", "the name appears twice in the header (the reference would silently keep the last one)");

    // --- duplicates (stricter than the reference, which keeps the last) ----------------------
    row("tensor twice",
        st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
           zeros(8)),
        "DuplicateKey", "t", "the name appears twice in the header (the reference would silently keep the last one)");
    row("__metadata__ twice", st(R"({"__metadata__":{},"__metadata__":null})"), "DuplicateKey", "",
        "'__metadata__' appears twice");
    row("metadata key twice", st(R"({"__metadata__":{"a":"1","b":"2","a":"3"}})"), "DuplicateKey", "",
        "'__metadata__' has the key 'a' twice");
    row("dtype twice", st(R"({"t":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}})", zeros(4)),
        "DuplicateKey", "t", "field 'dtype' appears twice");
    row("shape twice", st(R"({"t":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}})", zeros(4)),
        "DuplicateKey", "t", "field 'shape' appears twice");
    row("data_offsets twice",
        st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"data_offsets":[0,4]}})", zeros(4)),
        "DuplicateKey", "t", "field 'data_offsets' appears twice");

    // --- offsets tile the buffer ---------------------------------------------------------------
    row("gap at the start", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", zeros(8)),
        "InvalidOffset", "t", "bytes 4..8 leave a gap after byte 0");
    row("gap between tensors",
        st(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
           zeros(12)),
        "InvalidOffset", "b", "bytes 8..12 leave a gap after byte 4");
    row("overlap",
        st(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
           zeros(8)),
        "InvalidOffset", "b", "bytes 4..8 overlap tensor 'a' (bytes 0..8)");
    row("same range twice",
        st(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
           zeros(4)),
        "InvalidOffset", "b", "bytes 0..4 are also claimed by tensor 'a'");
    row("end before begin", st(R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})"), "InvalidOffset", "t",
        "data_offsets [4, 0] end before they begin");
    row("zero-sized tensor after a gap", st(R"({"z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})"),
        "InvalidOffset", "z", "bytes 4..4 leave a gap after byte 0");
    row("zero-sized tensor inside another",
        st(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
           zeros(8)),
        "InvalidOffset", "z", "bytes 4..4 overlap tensor 'a' (bytes 0..8)");
    row("gap beats trailing bytes", st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", zeros(12)),
        "InvalidOffset", "t", "bytes 4..8 leave a gap after byte 0");

    // --- sizes -----------------------------------------------------------------------------------
    row("element count overflows",
        st(R"({"t":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", zeros(4)),
        "ValidationOverflow", "t", "shape [4294967296, 4294967296] has more elements than fit in 64 bits");
    row("bit count overflows", st(R"({"t":{"dtype":"U8","shape":[2305843009213693952],"data_offsets":[0,4]}})", zeros(4)),
        "ValidationOverflow", "t", "shape [2305843009213693952] of U8 has more bits than fit in 64 bits");
    row("F4 odd element count", st(R"({"t":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}})", zeros(2)),
        "MisalignedSlice", "t", "3 elements of F4 make 12 bits, which is not a whole number of bytes");
    row("F6 two elements", st(R"({"t":{"dtype":"F6_E2M3","shape":[2],"data_offsets":[0,2]}})", zeros(2)),
        "MisalignedSlice", "t", "2 elements of F6_E2M3 make 12 bits, which is not a whole number of bytes");
    row("size mismatch", st(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", zeros(4)),
        "TensorInvalidInfo", "t", "shape [2] of F32 needs 8 bytes, but bytes 0..4 hold 4");
    row("scalar with two elements' bytes", st(R"({"t":{"dtype":"F32","shape":[],"data_offsets":[0,8]}})", zeros(8)),
        "TensorInvalidInfo", "t", "shape [] of F32 needs 4 bytes, but bytes 0..8 hold 8");
    row("first tensor's size checked before a later gap",
        st(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
           zeros(12)),
        "TensorInvalidInfo", "a", "shape [2] of F32 needs 8 bytes, but bytes 0..4 hold 4");

    // --- the data section ends the file --------------------------------------------------------
    row("trailing bytes", st(kOneF32, zeros(5)), "MetadataIncompleteBuffer", "",
        "the file has 1 bytes after the last tensor's data (the format allows none)");
    row("truncated data", st(kOneF32, zeros(3)), "MetadataIncompleteBuffer", "",
        "the tensors need 4 bytes of data but the file holds only 3 after the header (is it truncated?)");
    row("no data at all", st(kOneF32), "MetadataIncompleteBuffer", "",
        "the tensors need 4 bytes of data but the file holds only 0 after the header (is it truncated?)");
    row("empty header with data", st("{}", zeros(1)), "MetadataIncompleteBuffer", "",
        "the file has 1 bytes after the last tensor's data (the format allows none)");
    // The largest byte range a valid shape can have (2^61 U8 would overflow the bit count).
    row("huge tensor, small file",
        st(R"({"t":{"dtype":"U8","shape":[2305843009213693951],"data_offsets":[0,2305843009213693951]}})"),
        "MetadataIncompleteBuffer", "",
        "the tensors need 2305843009213693951 bytes of data but the file holds only 0 after the header (is it truncated?)");
}

void TestHeader::rejected()
{
    QFETCH(QByteArray, file);
    QFETCH(QString, rule);
    QFETCH(QString, tensor);
    QFETCH(bool, namesTensor);
    QFETCH(QString, message);
    keepForDifferentialRun("rejected", file);

    const auto parsed = parse(file);
    const auto *error = std::get_if<HeaderError>(&parsed);
    QVERIFY2(error, "the header was accepted");
    QCOMPARE(QString::fromLatin1(headerRuleName(error->rule)), rule);
    QCOMPARE(error->tensor.has_value(), namesTensor);
    QCOMPARE(q(error->tensor.value_or(std::string())), tensor);
    QCOMPARE(q(error->message), message);

    // The file on disk: the same words, after the path and the tensor.
    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("model.safetensors")), file);
    const auto opened = SafetensorsFile::open(path);
    QVERIFY(!opened.ok());
    const QString where = namesTensor ? QStringLiteral("tensor '") + tensor + QStringLiteral("': ") : QString();
    QCOMPARE(opened.errorString(), path + QStringLiteral(": ") + where + message);
}

void TestHeader::accepted_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<int>("tensors");

    QTest::newRow("empty header") << st("{}") << 0;
    QTest::newRow("leading and trailing whitespace") << st(" \t\r\n" + kOneF32 + "\n \t\r", zeros(4)) << 1;
    QTest::newRow("space padding to a multiple of 8") << st("{}      ") << 0;
    QTest::newRow("N not a multiple of 8") << st(kOneF32 + " ", zeros(4)) << 1;
    QTest::newRow("unknown field ignored")
            << st(R"({"t":{"x":{"y":[1,2.5,-3e4,"s",null,true,false]},"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                  zeros(4))
            << 1;
    QTest::newRow("metadata null") << st(R"({"__metadata__":null,"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                                         zeros(4))
                                   << 1;
    QTest::newRow("metadata empty") << st(R"({"__metadata__":{}})") << 0;
    QTest::newRow("metadata after the tensors")
            << st(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"a":"b"}})", zeros(4)) << 1;
    QTest::newRow("scalar") << st(R"({"t":{"dtype":"F64","shape":[],"data_offsets":[0,8]}})", zeros(8)) << 1;
    QTest::newRow("zero-sized tensors at one offset")
            << st(R"({"z1":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                  R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                  R"("z2":{"dtype":"I64","shape":[3,0],"data_offsets":[4,4]},)"
                  R"("b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}})",
                  zeros(6))
            << 4;
    QTest::newRow("zero-sized only") << st(R"({"z":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})") << 1;
    QTest::newRow("zero dimension beside a huge one")
            << st(R"({"z":{"dtype":"F64","shape":[0,18446744073709551615],"data_offsets":[0,0]}})") << 1;
    QTest::newRow("F4 even element count") << st(R"({"t":{"dtype":"F4","shape":[2,3],"data_offsets":[0,3]}})", zeros(3))
                                           << 1;
    QTest::newRow("F6 four elements") << st(R"({"t":{"dtype":"F6_E3M2","shape":[4],"data_offsets":[0,3]}})", zeros(3))
                                      << 1;
    QTest::newRow("key order differs from data order")
            << st(R"({"b":{"dtype":"U8","shape":[1],"data_offsets":[4,5]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                  zeros(5))
            << 2;
    // Top object (1) + entry (2) + 125 arrays = 127 levels: the deepest serde_json accepts.
    QTest::newRow("nesting at the limit in an unknown field")
            << st("{\"t\":{\"x\":" + nested(125) + R"(,"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", zeros(4))
            << 1;
    QTest::newRow("duplicate unknown field") << st(R"({"t":{"x":1,"x":2,"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                                                   zeros(4))
                                             << 1;
    QTest::newRow("surrogate pair escape") << st(R"({"\ud83d\ude00":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})",
                                                 zeros(1))
                                           << 1;
    // serde reads a struct from an array of its fields in order, and a unit enum variant from a
    // one-entry map whose value is null; the reference accepts both, so do we.
    QTest::newRow("entry written as an array") << st(R"({"t":["U8",[1],[0,1]]})", zeros(1)) << 1;
    QTest::newRow("array entry, spaced, dtype object")
            << st(R"({"t": [ {"U8" : null} , [ 1 ] , [ 0 , 1 ] ] })", zeros(1)) << 1;
    QTest::newRow("array and object entries")
            << st(R"({"a":["F32",[2],[0,8]],"__metadata__":{"k":"v"},"b":{"dtype":"U8","shape":[],"data_offsets":[8,9]}})",
                  zeros(9))
            << 2;
    QTest::newRow("array entry, scalar") << st(R"({"t":["F64",[],[0,8]]})", zeros(8)) << 1;
    QTest::newRow("dtype as a one-key object") << st(R"({"t":{"dtype":{"U8":null},"shape":[1],"data_offsets":[0,1]}})",
                                                     zeros(1))
                                               << 1;
    QTest::newRow("dtype object with an escaped name")
            << st(R"({"t":{"shape":[1],"dtype":{"\u0055\u0038":null},"data_offsets":[0,1]}})", zeros(1)) << 1;
    // Numbers serde_json reads as finite: tiny ones become 0, a zero significand stays 0 whatever
    // its exponent, and the exponent is applied to the digits as written (0.1e309 is 1 x 1e308).
    QTest::newRow("1e-400") << st(R"({"t":{"x":1e-400,"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1)) << 1;
    QTest::newRow("0e400") << st(R"({"t":{"x":0e400,"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1)) << 1;
    QTest::newRow("-0") << st(R"({"t":{"x":-0,"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1)) << 1;
    QTest::newRow("zero with an exponent beyond 32 bits")
            << st(R"({"t":{"x":[0.000e99999999999,-0E+2147483648],"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1))
            << 1;
    QTest::newRow("negative exponent beyond 32 bits")
            << st(R"({"t":{"x":1e-99999999999,"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1)) << 1;
    QTest::newRow("0.1e309") << st(R"({"t":{"x":0.1e309,"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1)) << 1;
    QTest::newRow("largest double")
            << st(R"({"t":{"x":[1.7976931348623157e308,-1e308],"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1))
            << 1;
    QTest::newRow("300-digit integer")
            << st("{\"t\":{\"x\":" + QByteArray(300, '9') + R"(,"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1))
            << 1;
    QTest::newRow("multi-line header") << st("{\n  \"t\": {\n    \"dtype\": \"F32\",\n    \"shape\": [\n      1\n    ],\n"
                                             "    \"data_offsets\": [\n      0,\n      4\n    ]\n  }\n}",
                                             zeros(4))
                                       << 1;
}

void TestHeader::accepted()
{
    QFETCH(QByteArray, file);
    QFETCH(int, tensors);
    keepForDifferentialRun("accepted", file);

    const auto parsed = parse(file);
    const auto *error = std::get_if<HeaderError>(&parsed);
    QVERIFY2(!error, error ? error->message.c_str() : "");
    const auto &header = std::get<SafetensorsHeader>(parsed);
    QCOMPARE(int(header.tensors.size()), tensors);
    QCOMPARE(header.dataStart() + header.dataSize, std::uint64_t(file.size()));

    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("model.safetensors")), file);
    const auto opened = SafetensorsFile::open(path);
    QVERIFY2(opened.ok(), qPrintable(test::errorOf(opened)));
    QCOMPARE(int((*opened)->tensors().size()), tensors);
}

void TestHeader::acceptedValues()
{
    // Keys in neither alphabetical nor data order, escapes in names and metadata, a scalar,
    // a zero-sized tensor and a sub-byte type.
    const QByteArray json = R"({
        "w.\"q\"\\x": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [4, 16]},
        "__metadata__": {"format": "pt", "note": "caf\u00e9 \ud83d\ude00\n\t\/", "empty": ""},
        "scale": {"dtype": "F32", "shape": [], "data_offsets": [0, 4], "extra": [1, {"a": null}]},
        "none": {"dtype": "I64", "shape": [0, 5], "data_offsets": [16, 16]},
        "packed": {"dtype": "F4", "shape": [4], "data_offsets": [16, 18]}
    })";
    QByteArray data = test::randomBytes(18, 7);
    const QByteArray file = st(json, data);

    const auto parsed = parse(file);
    const auto *error = std::get_if<HeaderError>(&parsed);
    QVERIFY2(!error, error ? error->message.c_str() : "");
    const auto &h = std::get<SafetensorsHeader>(parsed);
    QCOMPARE(h.headerLength, std::uint64_t(json.size()));
    QCOMPARE(h.dataStart(), std::uint64_t(8 + json.size()));
    QCOMPARE(h.dataSize, std::uint64_t(18));

    QVERIFY(h.hasMetadata);
    QCOMPARE(h.metadata.size(), std::size_t(3));
    QCOMPARE(h.metadata[0].first, std::string("format"));
    QCOMPARE(h.metadata[0].second, std::string("pt"));
    QCOMPARE(h.metadata[1].first, std::string("note"));
    QCOMPARE(h.metadata[1].second, std::string("caf\xc3\xa9 \xf0\x9f\x98\x80\n\t/"));
    QCOMPARE(h.metadata[2].first, std::string("empty"));
    QCOMPARE(h.metadata[2].second, std::string());

    // In data order; zero-sized "none" sorts before "packed" at the same offset.
    QCOMPARE(h.tensors.size(), std::size_t(4));
    const auto &scale = h.tensors[0];
    QCOMPARE(scale.name, std::string("scale"));
    QCOMPARE(scale.dtype, Dtype::F32);
    QVERIFY(scale.shape.empty());
    QCOMPARE(scale.elementCount(), std::uint64_t(1));
    QCOMPARE(scale.begin, std::uint64_t(0));
    QCOMPARE(scale.end, std::uint64_t(4));
    const auto &w = h.tensors[1];
    QCOMPARE(w.name, std::string("w.\"q\"\\x"));
    QCOMPARE(w.dtype, Dtype::BF16);
    QCOMPARE(w.shape, (std::vector<std::uint64_t>{2, 3}));
    QCOMPARE(w.begin, std::uint64_t(4));
    QCOMPARE(w.end, std::uint64_t(16));
    QCOMPARE(w.byteSize(), std::uint64_t(12));
    const auto &none = h.tensors[2];
    QCOMPARE(none.name, std::string("none"));
    QCOMPARE(none.dtype, Dtype::I64);
    QCOMPARE(none.shape, (std::vector<std::uint64_t>{0, 5}));
    QCOMPARE(none.elementCount(), std::uint64_t(0));
    QCOMPARE(none.begin, std::uint64_t(16));
    QCOMPARE(none.end, std::uint64_t(16));
    const auto &packed = h.tensors[3];
    QCOMPARE(packed.name, std::string("packed"));
    QCOMPARE(packed.dtype, Dtype::F4);
    QCOMPARE(packed.begin, std::uint64_t(16));
    QCOMPARE(packed.end, std::uint64_t(18));

    // The opened file finds tensors by name and views the right bytes.
    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("model.safetensors")), file);
    const auto opened = SafetensorsFile::open(path);
    QVERIFY2(opened.ok(), qPrintable(test::errorOf(opened)));
    const SafetensorsFile &f = **opened;
    QCOMPARE(f.path(), path);
    QCOMPARE(f.fileSize(), std::uint64_t(file.size()));
    QCOMPARE(f.metadata(), h.metadata);
    const TensorInfo *found = f.find("w.\"q\"\\x");
    QVERIFY(found);
    QCOMPARE(found->dtype, Dtype::BF16);
    const auto bytes = f.data(*found);
    QCOMPARE(bytes.size(), std::size_t(12));
    QVERIFY(std::memcmp(bytes.data(), data.constData() + 4, 12) == 0);
    QCOMPARE(f.data(*f.find("none")).size(), std::size_t(0));
    QVERIFY(!f.find("missing"));
    QVERIFY(!f.find("__metadata__"));
}

void TestHeader::namesArePrintedSafely()
{
    // A hostile name must not garble a terminal: quotes, backslashes and control characters are
    // escaped in the message, while HeaderError keeps the name as decoded.
    const QByteArray file = st(R"({"it's\n\u001b[31m":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", zeros(4));
    const auto parsed = parse(file);
    const auto *error = std::get_if<HeaderError>(&parsed);
    QVERIFY(error);
    QCOMPARE(error->tensor, std::string("it's\n\x1b[31m"));

    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("x.safetensors")), file);
    const auto opened = SafetensorsFile::open(path);
    QCOMPARE(test::errorOf(opened),
             path + QStringLiteral(": tensor 'it\\'s\\x0a\\x1b[31m': shape [2] of F32 needs 8 bytes, but bytes 0..4 hold 4"));
}

void TestHeader::foreignFiles_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QString>("sentence");

    QTest::newRow("Git LFS pointer")
            << QByteArray("version https://git-lfs.github.com/spec/v1\n"
                          "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
            << QStringLiteral("this is a Git LFS pointer file, not the weights: fetch them with 'git lfs pull'");
    // torch.save's legacy format: protocol 2, then the pickled magic number.
    QTest::newRow("PyTorch pickle")
            << QByteArray::fromHex("80028a0a6cfc9c46f9206aa850192e") + QByteArray(64, 'x')
            << QStringLiteral("this is a Python pickle (an old-style PyTorch checkpoint), not safetensors");
    QTest::newRow("pickle protocol 4") << QByteArray::fromHex("800495a2000000000000007d94") + QByteArray(200, 'x')
                                       << QStringLiteral("this is a Python pickle (an old-style PyTorch checkpoint), not safetensors");
    QTest::newRow("PyTorch zip") << QByteArray("PK\x03\x04", 4) + QByteArray("archive/data.pkl") + QByteArray(100, '\0')
                                 << QStringLiteral("this is a ZIP archive, as written by torch.save (PyTorch checkpoint), not safetensors");
    QTest::newRow("GGUF") << QByteArray("GGUF\x03\x00\x00\x00", 8) + QByteArray(64, '\0')
                          << QStringLiteral("this is a GGUF file (llama.cpp format), not safetensors");
    QTest::newRow("2-byte pickle prefix") << QByteArray::fromHex("8002")
                                          << QStringLiteral("this is a Python pickle (an old-style PyTorch checkpoint), not safetensors");
    // Text saved under the name: its first 8 bytes read as an absurd header length.
    const auto text = [](const char *excerpt) { return QStringLiteral("not a safetensors file: it starts with text ('%1')").arg(QString::fromUtf8(excerpt)); };
    QTest::newRow("Python script") << QByteArray("import torch\nmodel = torch.load('x.pt')\n") << text("import torch");
    QTest::newRow("shorter than a length field") << QByteArray("hello") << text("hello");
    QTest::newRow("exactly a length field") << QByteArray("hello!!\n") << text("hello!!");
    QTest::newRow("blank lines first") << QByteArray("\n\n   # README\nmore\n") << text("# README");
    QTest::newRow("CRLF line end") << QByteArray("hello world\r\nsecond line") << text("hello world");
    QTest::newRow("long first line is cut") << QByteArray(70, 'a') << text(QByteArray(40, 'a').append("…").constData());
    QTest::newRow("UTF-8 text") << QByteArray("Grüße aus Köln\n") << text("Grüße aus Köln");
    QTest::newRow("cut before a character, not inside") << QByteArray(39, 'a').append("éé tail") << text(QByteArray(39, 'a').append("…").constData());
    QTest::newRow("tab and quote escaped") << QByteArray("it's\ta test\n") << text("it\\'s\\x09a test");
    QTest::newRow("JSON without the length prefix") << QByteArray(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})")
                                                    << text(R"({"w":{"dtype":"F32","shape":[1],"data_of…)");
}

void TestHeader::foreignFiles()
{
    QFETCH(QByteArray, file);
    QFETCH(QString, sentence);

    QCOMPARE(q(recogniseForeignFile(test::bytesOf(file))), sentence);
    // These are rejected by the rules too; open names what the file is instead.
    QVERIFY(std::holds_alternative<HeaderError>(parse(file)));
    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("model.safetensors")), file);
    QCOMPARE(test::errorOf(SafetensorsFile::open(path)), path + QStringLiteral(": ") + sentence);
}

void TestHeader::binaryIsNotText_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::newRow("a control byte") << QByteArray("hello\x01world, then text");
    QTest::newRow("invalid UTF-8") << QByteArray("hello \xff\xfe world, then more text");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("only a line break") << QByteArray("\r\n"); // says "2 bytes long" instead
    QTest::newRow("only blanks") << QByteArray(80, ' ');
    QTest::newRow("a real length prefix") << st(kOneF32, zeros(4));
}

void TestHeader::binaryIsNotText()
{
    QFETCH(QByteArray, file);
    QCOMPARE(q(recogniseForeignFile(test::bytesOf(file))), QString());
}

void TestHeader::safetensorsIsNotForeign_data()
{
    QTest::addColumn<int>("headerLength");
    // Header lengths whose first two bytes are a pickle's protocol prefix (0x80, 0x02..0x05):
    // 640 = 0x0280 and 1408 = 0x0580. Real headers are this long.
    QTest::newRow("N = 640") << 640;
    QTest::newRow("N = 1408") << 1408;
    QTest::newRow("N = 66176") << 66176; // 0x010280
}

void TestHeader::safetensorsIsNotForeign()
{
    // A truncated safetensors file must be reported as truncated, whatever its length bytes.
    QFETCH(int, headerLength);
    QByteArray json = kOneF32;
    json.append(headerLength - json.size(), ' ');
    const QByteArray file = st(json, zeros(2));
    QCOMPARE(q(recogniseForeignFile(test::bytesOf(file))), QString());

    QTemporaryDir dir;
    const QString path = test::writeBytes(dir.filePath(QStringLiteral("model.safetensors")), file);
    QCOMPARE(test::errorOf(SafetensorsFile::open(path)),
             path
                     + QStringLiteral(": the tensors need 4 bytes of data but the file holds only 2 after the header "
                                      "(is it truncated?)"));
}

QTEST_GUILESS_MAIN(TestHeader)
#include "tst_header.moc"
