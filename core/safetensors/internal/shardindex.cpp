#include "shardindex.h"

#include "jsoncursor.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>

namespace tantra {

namespace {

bool isPlainFileName(std::string_view name)
{
    if (name.empty() || name == "." || name == "..")
        return false;
    return std::none_of(name.begin(), name.end(), [](char c) {
        return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
    });
}

// A key that appears twice, if any. Optional rather than "" for none: "" is a valid key.
std::optional<std::string> firstDuplicate(const std::vector<std::pair<std::string, std::string>> &entries)
{
    std::vector<std::string_view> keys;
    keys.reserve(entries.size());
    for (const auto &e : entries)
        keys.emplace_back(e.first);
    std::sort(keys.begin(), keys.end());
    const auto dup = std::adjacent_find(keys.begin(), keys.end());
    if (dup == keys.end())
        return std::nullopt;
    return std::string(*dup);
}

} // namespace

std::variant<ShardIndex, std::string> parseShardIndex(const char *json, std::size_t size)
{
    const std::size_t bad = firstInvalidUtf8(json, size);
    if (bad != size)
        return "the index is not valid UTF-8 (at byte " + std::to_string(bad) + ")";

    JsonCursor cursor(json, size);
    // Indexes are written and read by Python's json module, which takes 1e400 for infinity; a
    // total_size that large is refused below all the same.
    cursor.setRejectOutOfRangeNumbers(false);
    ShardIndex index;
    bool sawMetadata = false;
    bool sawWeightMap = false;
    if (cursor.peek() != JsonCursor::Kind::Object)
        return std::string("the index is not a JSON object");
    if (!cursor.beginObject())
        return cursor.errorMessage();
    std::string key;
    for (;;) {
        bool done;
        if (!cursor.nextKey(key, done))
            return cursor.errorMessage();
        if (done)
            break;
        if (key == "metadata") {
            if (sawMetadata)
                return std::string("'metadata' appears twice");
            sawMetadata = true;
            if (cursor.peek() == JsonCursor::Kind::Null) {
                cursor.readNull();
                continue;
            }
            if (cursor.peek() != JsonCursor::Kind::Object)
                return std::string("'metadata' must be an object");
            cursor.beginObject();
            for (;;) {
                std::string mkey;
                if (!cursor.nextKey(mkey, done))
                    return cursor.errorMessage();
                if (done)
                    break;
                std::string text;
                if (mkey == "total_size") {
                    // Some writers store it as a float (4305.0); accept whole numbers only.
                    double value;
                    bool isInteger;
                    if (cursor.peek() != JsonCursor::Kind::Number || !cursor.readNumber(value, isInteger))
                        return std::string("metadata.total_size must be a number");
                    if (!(value >= 0) || value != std::floor(value) || value > 1.8e19)
                        return std::string("metadata.total_size must be a non-negative whole number");
                    index.totalSize = std::uint64_t(value);
                    text = std::to_string(*index.totalSize);
                } else if (cursor.peek() == JsonCursor::Kind::String) {
                    if (!cursor.readString(text))
                        return cursor.errorMessage();
                } else {
                    cursor.skipWhitespace();
                    const std::size_t start = cursor.position();
                    if (!cursor.skipValue())
                        return cursor.errorMessage();
                    text.assign(json + start, cursor.position() - start);
                }
                index.metadata.emplace_back(std::move(mkey), std::move(text));
            }
            if (const auto dup = firstDuplicate(index.metadata))
                return "'metadata' has the key '" + printableName(*dup) + "' twice";
        } else if (key == "weight_map") {
            if (sawWeightMap)
                return std::string("'weight_map' appears twice");
            sawWeightMap = true;
            if (cursor.peek() != JsonCursor::Kind::Object)
                return std::string("'weight_map' must be an object mapping tensor names to shard files");
            cursor.beginObject();
            for (;;) {
                std::string tensor;
                if (!cursor.nextKey(tensor, done))
                    return cursor.errorMessage();
                if (done)
                    break;
                std::string file;
                if (cursor.peek() != JsonCursor::Kind::String)
                    return "weight_map: the shard of tensor '" + printableName(tensor) + "' must be a file name";
                if (!cursor.readString(file))
                    return cursor.errorMessage();
                if (!isPlainFileName(file))
                    return "weight_map: tensor '" + printableName(tensor) + "' names the shard '"
                            + printableName(file) + "', which is not a plain file name next to the index";
                index.weightMap.emplace_back(std::move(tensor), std::move(file));
            }
            if (const auto dup = firstDuplicate(index.weightMap))
                return "weight_map lists tensor '" + printableName(*dup) + "' twice";
        } else if (!cursor.skipValue()) {
            return cursor.errorMessage();
        }
    }
    if (!cursor.atEnd())
        return std::string("unexpected bytes after the JSON object");
    if (!sawWeightMap)
        return std::string("the index has no 'weight_map'");
    return index;
}

} // namespace tantra
