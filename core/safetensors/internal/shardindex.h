#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tantra {

// The contents of a `*.safetensors.index.json`: which shard file holds each tensor.
struct ShardIndex
{
    std::optional<std::uint64_t> totalSize; // metadata.total_size: bytes of tensor data, all shards
    std::vector<std::pair<std::string, std::string>> metadata; // every metadata entry, as text
    std::vector<std::pair<std::string, std::string>> weightMap; // tensor -> shard file, in file order
};

// Parses an index strictly: duplicate keys, shard names with a path in them (`../x`, `/etc/x`)
// and a total_size that is not a non-negative integer are errors. Returns the message on
// failure (without the file name).
std::variant<ShardIndex, std::string> parseShardIndex(const char *json, std::size_t size);

} // namespace tantra
