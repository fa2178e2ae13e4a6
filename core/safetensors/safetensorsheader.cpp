#include "safetensorsheader.h"

#include "jsoncursor.h"
#include "printablename.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace tantra {

std::uint64_t TensorInfo::elementCount() const
{
    std::uint64_t n = 1;
    for (std::uint64_t d : shape)
        n *= d;
    return n;
}

const char *headerRuleName(HeaderRule rule)
{
    switch (rule) {
    case HeaderRule::HeaderTooSmall: return "HeaderTooSmall";
    case HeaderRule::HeaderTooLarge: return "HeaderTooLarge";
    case HeaderRule::InvalidHeaderLength: return "InvalidHeaderLength";
    case HeaderRule::InvalidHeader: return "InvalidHeader";
    case HeaderRule::InvalidHeaderDeserialization: return "InvalidHeaderDeserialization";
    case HeaderRule::DuplicateKey: return "DuplicateKey";
    case HeaderRule::InvalidOffset: return "InvalidOffset";
    case HeaderRule::ValidationOverflow: return "ValidationOverflow";
    case HeaderRule::MisalignedSlice: return "MisalignedSlice";
    case HeaderRule::TensorInvalidInfo: return "TensorInvalidInfo";
    case HeaderRule::MetadataIncompleteBuffer: return "MetadataIncompleteBuffer";
    }
    return "?";
}

namespace {

std::string range(std::uint64_t b, std::uint64_t e)
{
    return "bytes " + std::to_string(b) + ".." + std::to_string(e);
}

std::string shapeString(const std::vector<std::uint64_t> &shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i)
            s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

// Big-endian bytes [at, at+8) of a name, zero-padded: comparing two such keys as integers
// compares those bytes as std::string does.
inline std::uint64_t nameKey(const std::string &name, std::size_t at)
{
    std::uint64_t v = 0;
    if (at + 8 <= name.size())
        std::memcpy(&v, name.data() + at, 8);
    else if (at < name.size())
        std::memcpy(&v, name.data() + at, name.size() - at);
    return __builtin_bswap64(v);
}

// a < b as std::string compares them (bytes as unsigned char), eight bytes at a time and
// inline: names share long prefixes, on which a call to memcmp per comparison dominated.
inline bool nameLess(const std::string &a, const std::string &b)
{
    const std::size_t n = std::min(a.size(), b.size());
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t x;
        std::uint64_t y;
        std::memcpy(&x, a.data() + i, 8);
        std::memcpy(&y, b.data() + i, 8);
        if (x != y)
            return __builtin_bswap64(x) < __builtin_bswap64(y);
    }
    for (; i < n; ++i) {
        if (a[i] != b[i])
            return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
    }
    return a.size() < b.size();
}

// Two 64-bit sort keys and the entry they belong to.
struct SortKey
{
    std::uint64_t hi;
    std::uint64_t lo;
    std::uint32_t index;
};

// Data order, as the reference sorts: by (begin, end), ties in header order. Headers are
// usually written in data order already; otherwise sort small keys and move each entry once
// instead of shuffling whole TensorInfos through a merge sort.
void sortByOffsets(std::vector<TensorInfo> &tensors)
{
    const auto before = [](const TensorInfo &a, const TensorInfo &b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    };
    if (std::is_sorted(tensors.begin(), tensors.end(), before))
        return;
    std::vector<SortKey> keys(tensors.size());
    for (std::uint32_t i = 0; i < keys.size(); ++i)
        keys[i] = {tensors[i].begin, tensors[i].end, i};
    std::sort(keys.begin(), keys.end(), [](const SortKey &a, const SortKey &b) {
        return a.hi != b.hi ? a.hi < b.hi : a.lo != b.lo ? a.lo < b.lo : a.index < b.index;
    });
    std::vector<TensorInfo> sorted;
    sorted.reserve(tensors.size());
    for (const SortKey &k : keys)
        sorted.push_back(std::move(tensors[k.index]));
    tensors = std::move(sorted);
}

class HeaderParser
{
public:
    HeaderParser(const char *json, std::size_t size, SafetensorsHeader &out)
        : m_cursor(json, size), m_out(out)
    {
    }

    bool parse()
    {
        if (m_cursor.peek() != JsonCursor::Kind::Object)
            return failJson(m_cursor.peek() == JsonCursor::Kind::End ? "the header is empty, expected a JSON object"
                                                                      : "the header is not a JSON object");
        if (!m_cursor.beginObject())
            return failJson();
        std::string key;
        bool sawMetadata = false;
        for (;;) {
            bool done;
            if (!m_cursor.nextKey(key, done))
                return failJson();
            if (done)
                break;
            if (key == "__metadata__") {
                if (sawMetadata)
                    return failDuplicate(std::nullopt, "'__metadata__' appears twice");
                sawMetadata = true;
                if (!parseMetadata())
                    return false;
            } else {
                TensorInfo &t = m_out.tensors.emplace_back();
                t.name = std::move(key);
                key = std::string();
                if (!parseTensor(t))
                    return false;
            }
        }
        if (!m_cursor.atEnd()) {
            m_cursor.fail("unexpected bytes after the JSON object");
            return failJson();
        }
        return true;
    }

    HeaderError error;

private:
    bool failJson(std::string message = {})
    {
        error.rule = HeaderRule::InvalidHeaderDeserialization;
        error.message = "header is not valid: "
                + (message.empty() ? m_cursor.errorMessage() : message);
        return false;
    }

    bool failEntry(const std::string &tensor, const std::string &message)
    {
        error.rule = HeaderRule::InvalidHeaderDeserialization;
        error.tensor = tensor;
        error.message = message.empty() ? m_cursor.errorMessage()
                                        : message + " (" + m_cursor.errorMessage() + ")";
        return false;
    }

    bool failDuplicate(std::optional<std::string> tensor, const std::string &message)
    {
        error.rule = HeaderRule::DuplicateKey;
        error.tensor = std::move(tensor);
        error.message = message;
        return false;
    }

    bool parseMetadata()
    {
        const auto kind = m_cursor.peek();
        if (kind == JsonCursor::Kind::Null) {
            m_out.hasMetadata = false;
            return m_cursor.readNull() || failJson();
        }
        if (kind != JsonCursor::Kind::Object) {
            m_cursor.fail("'__metadata__' must be an object of strings or null");
            return failJson();
        }
        m_out.hasMetadata = true;
        if (!m_cursor.beginObject())
            return failJson();
        for (;;) {
            std::string key;
            bool done;
            if (!m_cursor.nextKey(key, done))
                return failJson();
            if (done)
                break;
            if (m_cursor.peek() != JsonCursor::Kind::String) {
                m_cursor.fail("'__metadata__' value of '" + printableName(key) + "' must be a string");
                return failJson();
            }
            std::string value;
            if (!m_cursor.readString(value))
                return failJson();
            m_out.metadata.emplace_back(std::move(key), std::move(value));
        }
        // Sort a copy of the keys rather than hashing: one allocation, O(n log n) worst case.
        std::vector<std::string_view> keys;
        keys.reserve(m_out.metadata.size());
        for (const auto &kv : m_out.metadata)
            keys.emplace_back(kv.first);
        std::sort(keys.begin(), keys.end());
        const auto dup = std::adjacent_find(keys.begin(), keys.end());
        if (dup != keys.end())
            return failDuplicate(std::nullopt, "'__metadata__' has the key '" + printableName(*dup) + "' twice");
        return true;
    }

    // The exact form writers emit, {"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}, read in
    // one pass: a million-tensor header is mostly this. Anything else (whitespace, another key
    // order, escapes, signs, fractions, leading zeros, 20-digit numbers, unknown dtypes) returns
    // false with the cursor untouched, and the general path reads or rejects it.
    bool parseCompactEntry(TensorInfo &t)
    {
        const char *p = m_cursor.current();
        const char *const end = m_cursor.limit();
        const auto literal = [&](std::string_view text) {
            if (std::size_t(end - p) < text.size() || std::memcmp(p, text.data(), text.size()) != 0)
                return false;
            p += text.size();
            return true;
        };
        const auto isDigit = [&] { return p != end && *p >= '0' && *p <= '9'; };
        // At most 19 digits, which always fit 64 bits; what must follow is checked by the caller.
        const auto number = [&](std::uint64_t &out) {
            if (!isDigit())
                return false;
            if (*p == '0') {
                ++p;
                out = 0;
                return !isDigit();
            }
            std::uint64_t v = 0;
            for (int digits = 0; isDigit(); ++p) {
                if (++digits > 19)
                    return false;
                v = v * 10 + std::uint64_t(*p - '0');
            }
            out = v;
            return true;
        };

        if (!literal("{\"dtype\":\""))
            return false;
        const char *dtypeText = p;
        while (p != end && ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            ++p;
        const auto dtype = dtypeFromName(std::string_view(dtypeText, std::size_t(p - dtypeText)));
        if (!dtype || !literal("\",\"shape\":["))
            return false;
        std::uint64_t dims[8];
        std::size_t rank = 0;
        if (p != end && *p == ']') {
            ++p;
        } else {
            for (;;) {
                if (rank == std::size(dims) || !number(dims[rank]))
                    return false;
                ++rank;
                if (literal("]"))
                    break;
                if (!literal(","))
                    return false;
            }
        }
        std::uint64_t begin;
        std::uint64_t stop;
        if (!literal(",\"data_offsets\":[") || !number(begin) || !literal(",") || !number(stop) || !literal("]}"))
            return false;
        t.dtype = *dtype;
        t.shape.assign(dims, dims + rank);
        t.begin = begin;
        t.end = stop;
        m_cursor.skipTo(p);
        return true;
    }

    bool parseTensor(TensorInfo &t)
    {
        m_cursor.skipWhitespace();
        if (parseCompactEntry(t))
            return true;
        const auto kind = m_cursor.peek();
        if (kind == JsonCursor::Kind::Array)
            return parseTensorSequence(t);
        if (kind != JsonCursor::Kind::Object) {
            m_cursor.fail("expected an object with dtype, shape and data_offsets");
            return failEntry(t.name, {});
        }
        if (!m_cursor.beginObject())
            return failEntry(t.name, {});
        bool haveDtype = false;
        bool haveShape = false;
        bool haveOffsets = false;
        std::string key;
        for (;;) {
            bool done;
            if (!m_cursor.nextKey(key, done))
                return failEntry(t.name, {});
            if (done)
                break;
            if (key == "dtype") {
                if (haveDtype)
                    return failDuplicate(t.name, "field 'dtype' appears twice");
                haveDtype = true;
                if (!parseDtype(t))
                    return false;
            } else if (key == "shape") {
                if (haveShape)
                    return failDuplicate(t.name, "field 'shape' appears twice");
                haveShape = true;
                if (!parseShape(t))
                    return false;
            } else if (key == "data_offsets") {
                if (haveOffsets)
                    return failDuplicate(t.name, "field 'data_offsets' appears twice");
                haveOffsets = true;
                if (!parseOffsets(t))
                    return false;
            } else if (!m_cursor.skipValue()) {
                // Unknown fields are ignored, as by the reference, but must still be JSON.
                return failEntry(t.name, {});
            }
        }
        const char *missing = !haveDtype ? "dtype" : !haveShape ? "shape" : !haveOffsets ? "data_offsets" : nullptr;
        if (missing) {
            error.rule = HeaderRule::InvalidHeaderDeserialization;
            error.tensor = t.name;
            error.message = std::string("the entry has no '") + missing + "' field";
            return false;
        }
        return true;
    }

    // serde reads a struct from a sequence of its fields in declaration order, so the reference
    // takes ["F32", [2], [0, 8]] for {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}:
    // exactly three elements, fewer is "invalid length", more is "trailing" elements.
    bool parseTensorSequence(TensorInfo &t)
    {
        if (!m_cursor.beginArray())
            return failEntry(t.name, {});
        // Plain calls, not an array of member-function pointers: GCC 12's UBSan miscomputes the
        // bounds check of such an array and reports an out-of-bounds index that is not there.
        constexpr std::size_t kFields = 3;
        std::size_t count = 0;
        for (;;) {
            bool done;
            if (!m_cursor.nextElement(done))
                return failEntry(t.name, {});
            if (done)
                break;
            if (count == kFields) {
                m_cursor.fail("an entry written as an array must hold exactly dtype, shape and data_offsets, not more");
                return failEntry(t.name, {});
            }
            const bool parsed = count == 0 ? parseDtype(t) : count == 1 ? parseShape(t) : parseOffsets(t);
            if (!parsed)
                return false;
            ++count;
        }
        if (count != kFields) {
            m_cursor.fail("an entry written as an array must hold exactly dtype, shape and data_offsets, not "
                          + std::to_string(count) + (count == 1 ? " element" : " elements"));
            return failEntry(t.name, {});
        }
        return true;
    }

    // A dtype is a string, or the other spelling serde accepts for a unit variant of an
    // externally tagged enum: an object of exactly one key, the name, whose value is null.
    bool parseDtype(TensorInfo &t)
    {
        std::string name;
        const auto kind = m_cursor.peek();
        if (kind == JsonCursor::Kind::String) {
            if (!m_cursor.readString(name))
                return failEntry(t.name, {});
        } else if (kind == JsonCursor::Kind::Object) {
            if (!m_cursor.beginObject())
                return failEntry(t.name, {});
            bool done;
            if (!m_cursor.nextKey(name, done))
                return failEntry(t.name, {});
            if (done) {
                m_cursor.fail("a dtype written as an object must have exactly one key, the dtype's name, not none");
                return failEntry(t.name, {});
            }
            if (m_cursor.peek() != JsonCursor::Kind::Null) {
                m_cursor.fail("a dtype written as an object, {\"" + printableName(name, 40)
                              + "\": ...}, must have the value null");
                return failEntry(t.name, {});
            }
            if (!m_cursor.readNull())
                return failEntry(t.name, {});
            // A second key: the message points at it rather than at its value.
            m_cursor.skipWhitespace();
            if (m_cursor.current() != m_cursor.limit() && *m_cursor.current() == ',') {
                m_cursor.skipTo(m_cursor.current() + 1);
                m_cursor.skipWhitespace();
                m_cursor.fail("a dtype written as an object must have exactly one key, the dtype's name, not more");
                return failEntry(t.name, {});
            }
            std::string none;
            if (!m_cursor.nextKey(none, done))
                return failEntry(t.name, {});
        } else {
            m_cursor.fail("dtype must be a string (or an object {\"NAME\": null})");
            return failEntry(t.name, {});
        }
        const auto dtype = dtypeFromName(name);
        if (!dtype) {
            error.rule = HeaderRule::InvalidHeaderDeserialization;
            error.tensor = t.name;
            error.message = "unknown dtype '" + printableName(name, 40)
                    + "' (dtype names are upper-case, e.g. F32, BF16, I64)";
            return false;
        }
        t.dtype = *dtype;
        return true;
    }

    bool parseShape(TensorInfo &t)
    {
        if (m_cursor.peek() != JsonCursor::Kind::Array) {
            m_cursor.fail("shape must be an array of non-negative integers");
            return failEntry(t.name, {});
        }
        if (!m_cursor.beginArray())
            return failEntry(t.name, {});
        for (;;) {
            bool end;
            if (!m_cursor.nextElement(end))
                return failEntry(t.name, {});
            if (end)
                return true;
            std::uint64_t d;
            if (!m_cursor.readUnsigned(d, "a shape dimension"))
                return failEntry(t.name, {});
            t.shape.push_back(d);
        }
    }

    bool parseOffsets(TensorInfo &t)
    {
        if (m_cursor.peek() != JsonCursor::Kind::Array) {
            m_cursor.fail("data_offsets must be an array of two non-negative integers");
            return failEntry(t.name, {});
        }
        if (!m_cursor.beginArray())
            return failEntry(t.name, {});
        std::uint64_t v[2];
        int count = 0;
        for (;;) {
            bool end;
            if (!m_cursor.nextElement(end))
                return failEntry(t.name, {});
            if (end)
                break;
            if (count == 2) {
                m_cursor.fail("data_offsets must hold exactly two integers, not more");
                return failEntry(t.name, {});
            }
            if (!m_cursor.readUnsigned(v[count], "a data offset"))
                return failEntry(t.name, {});
            ++count;
        }
        if (count != 2) {
            m_cursor.fail("data_offsets must hold exactly two integers, not " + std::to_string(count));
            return failEntry(t.name, {});
        }
        t.begin = v[0];
        t.end = v[1];
        return true;
    }

    JsonCursor m_cursor;
    SafetensorsHeader &m_out;
};

HeaderError makeError(HeaderRule rule, std::string message, std::optional<std::string> tensor = std::nullopt)
{
    return HeaderError{rule, std::move(tensor), std::move(message)};
}

} // namespace

namespace {

// The general case of sortedByName: an MSD sort on 16 name bytes at a time, compared as one
// 128-bit integer, because real names share long prefixes ("model.layers.12.") that make
// every string comparison slow. Runs that tie on 16 bytes are sorted again on the next 16,
// from an explicit stack so that a hostile header of very long names cannot exhaust the
// call stack.
void sortByNameKeys(const std::vector<TensorInfo> &tensors, std::vector<std::uint32_t> &order)
{
    __extension__ using Key = unsigned __int128;
    struct Entry
    {
        Key key;
        std::uint32_t index;
    };
    std::vector<Entry> entries(order.size());
    for (std::size_t i = 0; i < entries.size(); ++i)
        entries[i].index = order[i];
    struct Run
    {
        std::size_t first;
        std::size_t last;
        std::size_t depth;
    };
    std::vector<Run> todo{{0, entries.size(), 0}};
    while (!todo.empty()) {
        const Run run = todo.back();
        todo.pop_back();
        const auto first = entries.begin() + std::ptrdiff_t(run.first);
        const auto last = entries.begin() + std::ptrdiff_t(run.last);
        for (auto e = first; e != last; ++e) {
            const std::string &name = tensors[e->index].name;
            e->key = (Key(nameKey(name, run.depth)) << 64) | nameKey(name, run.depth + 8);
        }
        std::sort(first, last, [](const Entry &a, const Entry &b) { return a.key < b.key; });
        const std::size_t chunkEnd = run.depth + 16;
        for (auto tie = first; tie != last;) {
            auto end = tie + 1;
            while (end != last && end->key == tie->key)
                ++end;
            if (end - tie > 1) {
                // Equal keys: a name that ends within these 16 bytes is a prefix of every longer
                // one, so those come first, shorter before longer, equal names by index; the
                // rest go another round.
                const auto length = [&](const Entry &e) { return std::min(tensors[e.index].name.size(), chunkEnd + 1); };
                std::sort(tie, end, [&](const Entry &a, const Entry &b) {
                    const std::size_t la = length(a);
                    const std::size_t lb = length(b);
                    return la != lb ? la < lb : a.index < b.index;
                });
                auto rest = tie;
                while (rest != end && tensors[rest->index].name.size() <= chunkEnd)
                    ++rest;
                if (end - rest > 1)
                    todo.push_back({std::size_t(rest - entries.begin()), std::size_t(end - entries.begin()), chunkEnd});
            }
            tie = end;
        }
    }
    for (std::size_t i = 0; i < entries.size(); ++i)
        order[i] = entries[i].index;
}

} // namespace

std::vector<std::uint32_t> sortedByName(const std::vector<TensorInfo> &tensors)
{
    std::vector<std::uint32_t> order(tensors.size());
    for (std::uint32_t i = 0; i < order.size(); ++i)
        order[i] = i;
    // Writers emit tensors by dtype, then name (the reference's data order), so a header is
    // usually a few sorted runs: merging them costs a few comparisons per name where a full
    // sort costs twenty.
    std::vector<std::size_t> runs{0};
    for (std::size_t i = 1; i < tensors.size() && runs.size() <= 32; ++i) {
        if (nameLess(tensors[i].name, tensors[i - 1].name))
            runs.push_back(i);
    }
    if (runs.size() > 32) {
        sortByNameKeys(tensors, order);
        return order;
    }
    runs.push_back(tensors.size());
    // Bottom-up merges of neighbouring runs; std::merge keeps equal names in index order.
    const auto less = [&](std::uint32_t a, std::uint32_t b) { return nameLess(tensors[a].name, tensors[b].name); };
    std::vector<std::uint32_t> buffer(order.size());
    while (runs.size() > 2) {
        std::vector<std::size_t> merged{0};
        for (std::size_t r = 0; r + 1 < runs.size(); r += 2) {
            const std::size_t a = runs[r];
            const std::size_t b = runs[r + 1];
            const std::size_t c = r + 2 < runs.size() ? runs[r + 2] : b;
            std::merge(order.begin() + std::ptrdiff_t(a), order.begin() + std::ptrdiff_t(b),
                       order.begin() + std::ptrdiff_t(b), order.begin() + std::ptrdiff_t(c),
                       buffer.begin() + std::ptrdiff_t(a), less);
            merged.push_back(c);
        }
        order.swap(buffer);
        runs = std::move(merged);
    }
    return order;
}

std::variant<SafetensorsHeader, HeaderError> parseSafetensorsHeader(std::span<const std::byte> file,
                                                                    std::uint64_t fileSize)
{
    if (fileSize < 8) {
        return makeError(HeaderRule::HeaderTooSmall,
                         "the file is " + std::to_string(fileSize)
                                 + " bytes long; a safetensors file starts with an 8-byte header length");
    }
    std::uint64_t n;
    std::memcpy(&n, file.data(), 8); // little-endian on every supported platform
    if (n > kMaxHeaderLength) {
        return makeError(HeaderRule::HeaderTooLarge,
                         "the header length field says " + std::to_string(n)
                                 + " bytes, more than the format's limit of 100000000");
    }
    if (n > fileSize - 8 || file.size() < 8 + n) {
        return makeError(HeaderRule::InvalidHeaderLength,
                         "the header length field says " + std::to_string(n) + " bytes, but only "
                                 + std::to_string(fileSize - 8) + " bytes follow it");
    }
    const char *json = reinterpret_cast<const char *>(file.data() + 8);
    const std::size_t bad = firstInvalidUtf8(json, std::size_t(n));
    if (bad != n) {
        return makeError(HeaderRule::InvalidHeader,
                         "the header is not valid UTF-8 (at byte " + std::to_string(8 + bad) + ")");
    }

    SafetensorsHeader header;
    header.headerLength = n;
    // Every entry opens a '{' and takes at least 49 bytes, which bounds the tensors: reserving
    // that spares a large header the vector's doublings, each a copy of everything parsed so
    // far into fresh pages. Reserved pages that are never written cost no memory.
    header.tensors.reserve(std::min(std::size_t(std::count(json, json + n, '{')), std::size_t(n / 49 + 1)));
    HeaderParser parser(json, std::size_t(n), header);
    if (!parser.parse())
        return parser.error;

    // Duplicate names: sort rather than hash, which has no worst case; equal names end up
    // side by side.
    {
        const std::vector<std::uint32_t> byName = sortedByName(header.tensors);
        for (std::size_t i = 1; i < byName.size(); ++i) {
            const std::string &name = header.tensors[byName[i]].name;
            if (name == header.tensors[byName[i - 1]].name) {
                return makeError(HeaderRule::DuplicateKey,
                                 "the name appears twice in the header (the reference would silently keep the last one)",
                                 name);
            }
        }
    }

    sortByOffsets(header.tensors);
    auto &tensors = header.tensors;

    std::uint64_t expected = 0;
    const TensorInfo *previous = nullptr;
    for (const auto &t : tensors) {
        if (t.end < t.begin) {
            return makeError(HeaderRule::InvalidOffset,
                             "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end)
                                     + "] end before they begin",
                             t.name);
        }
        if (t.begin > expected) {
            return makeError(HeaderRule::InvalidOffset,
                             range(t.begin, t.end) + " leave a gap after byte " + std::to_string(expected),
                             t.name);
        }
        if (t.begin < expected) {
            std::string what;
            if (previous && previous->begin == t.begin && previous->end == t.end)
                what = " are also claimed by tensor '" + printableName(previous->name) + "'";
            else if (previous)
                what = " overlap tensor '" + printableName(previous->name) + "' ("
                        + range(previous->begin, previous->end) + ")";
            else
                what = " overlap the data before byte " + std::to_string(expected);
            return makeError(HeaderRule::InvalidOffset, range(t.begin, t.end) + what, t.name);
        }
        expected = t.end;
        previous = &t;

        // Overflow checks by multiplication rather than division: a 64-bit division costs
        // tens of cycles, three per tensor of a million.
        std::uint64_t elements = 1;
        for (std::uint64_t d : t.shape) {
            if (__builtin_mul_overflow(elements, d, &elements)) {
                return makeError(HeaderRule::ValidationOverflow,
                                 "shape " + shapeString(t.shape) + " has more elements than fit in 64 bits",
                                 t.name);
            }
        }
        const auto bits = std::uint64_t(dtypeBits(t.dtype));
        std::uint64_t totalBits;
        if (__builtin_mul_overflow(elements, bits, &totalBits)) {
            return makeError(HeaderRule::ValidationOverflow,
                             "shape " + shapeString(t.shape) + " of " + dtypeName(t.dtype)
                                     + " has more bits than fit in 64 bits",
                             t.name);
        }
        if (totalBits % 8 != 0) {
            return makeError(HeaderRule::MisalignedSlice,
                             std::to_string(elements) + " elements of " + dtypeName(t.dtype) + " make "
                                     + std::to_string(totalBits) + " bits, which is not a whole number of bytes",
                             t.name);
        }
        if (totalBits / 8 != t.byteSize()) {
            return makeError(HeaderRule::TensorInvalidInfo,
                             "shape " + shapeString(t.shape) + " of " + dtypeName(t.dtype) + " needs "
                                     + std::to_string(totalBits / 8) + " bytes, but " + range(t.begin, t.end)
                                     + " hold " + std::to_string(t.byteSize()),
                             t.name);
        }
    }
    header.dataSize = expected;
    // n <= fileSize - 8 was checked above, so this cannot wrap; comparing with `available`
    // rather than computing 8 + n + expected avoids the overflow a hostile offset could cause.
    const std::uint64_t available = fileSize - 8 - n;
    if (expected > available) {
        return makeError(HeaderRule::MetadataIncompleteBuffer,
                         "the tensors need " + std::to_string(expected) + " bytes of data but the file holds only "
                                 + std::to_string(available) + " after the header (is it truncated?)");
    }
    if (expected < available) {
        return makeError(HeaderRule::MetadataIncompleteBuffer,
                         "the file has " + std::to_string(available - expected)
                                 + " bytes after the last tensor's data (the format allows none)");
    }
    return header;
}

namespace {

// Text where binary is expected: a script, a README or an error page saved under a
// .safetensors name. No safetensors file passes: a plausible header length (at most 10^8)
// has zero high bytes, and zero is no text byte. `head` may be cut mid-character.
bool startsWithText(std::span<const std::byte> head)
{
    if (head.empty())
        return false;
    for (const std::byte b : head) {
        const auto c = std::to_integer<unsigned char>(b);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
            return false;
    }
    const char *text = reinterpret_cast<const char *>(head.data());
    const bool blank = std::all_of(text, text + head.size(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
    return !blank && firstInvalidUtf8(text, head.size()) + 3 >= head.size();
}

// The first non-blank line of the text, cut to 40 bytes at a character boundary and escaped.
std::string textExcerpt(std::span<const std::byte> head)
{
    std::string_view text(reinterpret_cast<const char *>(head.data()), head.size());
    const auto first = text.find_first_not_of(" \t\r\n");
    text = first == std::string_view::npos ? std::string_view() : text.substr(first);
    text = text.substr(0, text.find_first_of("\r\n"));
    constexpr std::size_t kMax = 40;
    bool cut = false;
    if (text.size() > kMax) {
        std::size_t end = kMax;
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
            --end; // not inside a UTF-8 sequence
        text = text.substr(0, end);
        cut = true;
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return printableName(text) + (cut ? "…" : "");
}

} // namespace

std::string recogniseForeignFile(std::span<const std::byte> head)
{
    const auto starts = [&](std::string_view magic) {
        return head.size() >= magic.size() && std::memcmp(head.data(), magic.data(), magic.size()) == 0;
    };
    if (starts("version https://git-lfs.github.com/spec/"))
        return "this is a Git LFS pointer file, not the weights: fetch them with 'git lfs pull'";
    if (starts("GGUF"))
        return "this is a GGUF file (llama.cpp format), not safetensors";
    if (starts("PK\x03\x04"))
        return "this is a ZIP archive, as written by torch.save (PyTorch checkpoint), not safetensors";
    // A pickle starts 0x80 <protocol 2..5>, but so does a safetensors file whose header is 640
    // (0x280) or 1408 (0x580) bytes long: only a length prefix beyond the format's limit makes
    // it a pickle, else a truncated model would be reported as a PyTorch checkpoint.
    std::uint64_t n = UINT64_MAX;
    if (head.size() >= 8)
        std::memcpy(&n, head.data(), 8);
    if (head.size() >= 2 && n > kMaxHeaderLength && std::to_integer<unsigned char>(head[0]) == 0x80
        && std::to_integer<unsigned char>(head[1]) >= 2 && std::to_integer<unsigned char>(head[1]) <= 5)
        return "this is a Python pickle (an old-style PyTorch checkpoint), not safetensors";
    if (starts("\x93NUMPY"))
        return "this is a NumPy .npy file, not safetensors";
    if (starts("\x89HDF\r\n\x1a\n"))
        return "this is an HDF5 file (e.g. Keras .h5), not safetensors";
    if (starts("<!DOCTYPE") || starts("<!doctype") || starts("<html") || starts("<HTML"))
        return "this is an HTML page (a failed download?), not safetensors";
    if (startsWithText(head))
        return "not a safetensors file: it starts with text ('" + textExcerpt(head) + "')";
    return {};
}

} // namespace tantra
