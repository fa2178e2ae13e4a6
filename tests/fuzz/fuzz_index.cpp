// libFuzzer target: the input is a `*.safetensors.index.json`. An index the parser accepts
// must keep its promises (unique keys, shard names that cannot leave the folder); a
// violation aborts so that libFuzzer keeps the input.

#include "shardindex.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
}

bool hasDuplicateKey(const std::vector<std::pair<std::string, std::string>> &entries)
{
    std::vector<std::string_view> keys;
    for (const auto &e : entries)
        keys.emplace_back(e.first);
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    auto parsed = tantra::parseShardIndex(reinterpret_cast<const char *>(data), size);
    if (const auto *message = std::get_if<std::string>(&parsed)) {
        if (message->empty())
            violated("an error without a message");
        return 0;
    }
    const auto &index = std::get<tantra::ShardIndex>(parsed);
    if (hasDuplicateKey(index.weightMap))
        violated("weight_map accepted with a tensor listed twice");
    if (hasDuplicateKey(index.metadata))
        violated("metadata accepted with a key twice");
    for (const auto &[tensor, shard] : index.weightMap) {
        if (shard.empty() || shard == "." || shard == "..")
            violated("an empty or relative shard name was accepted");
        for (char c : shard) {
            if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
                violated("a shard name with a path separator or control character was accepted");
        }
    }
    if (index.totalSize) {
        const auto it = std::find_if(index.metadata.begin(), index.metadata.end(),
                                     [](const auto &kv) { return kv.first == "total_size"; });
        if (it == index.metadata.end())
            violated("totalSize set without a metadata.total_size entry");
    }
    return 0;
}
