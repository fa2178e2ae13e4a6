#pragma once

#include "durability.h"
#include "result.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <vector>
#include <optional>

namespace tantra {

class JobContext;
class SafetensorsModel;

struct RepackResult
{
    QStringList files;     // the safetensors files written, in order
    QString indexPath;     // the shard index, or empty for a single file
    std::uint64_t totalSize = 0; // tensor data bytes
};

// One file `outPath` with every tensor and the metadata of `source` (a file or a shard set):
// `reshard --single`. Tensor bytes are streamed from the source's files (StreamReader), never
// held whole; the write is atomic, and flushed unless `durability` says otherwise.
Result<RepackResult> mergeIntoFile(const SafetensorsModel &source, const QString &outPath, JobContext *job = nullptr,
                                   Durability durability = Durability::Flushed);

// A shard set in `folder` as Hugging Face writes one: tensors in name order packed into shards
// of at most `maxShardBytes` of tensor data (a larger tensor gets a shard of its own), named
// `<prefix>-00001-of-0000N.safetensors`, each with the source's metadata, and
// `<prefix>.safetensors.index.json` with metadata.total_size and weight_map, written last (the
// commit point). Streamed like mergeIntoFile; fails if `folder` holds safetensors files already.
Result<RepackResult> reshard(const SafetensorsModel &source, const QString &folder, std::uint64_t maxShardBytes,
                             JobContext *job = nullptr, const QString &prefix = QStringLiteral("model"),
                             Durability durability = Durability::Flushed);

// Which tensors (indices into source.tensors()) each shard of `reshard` holds: name order,
// at most `maxShardBytes` of tensor data per shard, a larger tensor alone. At least one shard.
std::vector<std::vector<std::size_t>> planShards(const SafetensorsModel &source, std::uint64_t maxShardBytes);

// "5GB", "500MB", "200KB", "1.5GiB", "123" (bytes) → bytes; decimal units as transformers'
// max_shard_size, binary with "i". Empty when the text is not a size.
std::optional<std::uint64_t> parseByteSize(const QString &text);

} // namespace tantra
