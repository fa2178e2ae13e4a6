#pragma once

#include "dtype.h"
#include "durability.h"
#include "result.h"
#include "safetensorsheader.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace tantra {

class JobContext;

using Metadata = std::vector<std::pair<std::string, std::string>>;

// A tensor to write: name, type, shape and its bytes (elements × bits / 8, little-endian).
struct TensorWrite
{
    std::string name;
    Dtype dtype = Dtype::F32;
    std::vector<std::uint64_t> shape;
    std::span<const std::byte> data;
};

// A tensor's description without data, for header-only (sparse) files.
struct TensorSpec
{
    std::string name;
    Dtype dtype = Dtype::F32;
    std::vector<std::uint64_t> shape;
};

// The header as the reference writes it: __metadata__ first, tensors ordered by dtype
// (widest first) then name, JSON padded with spaces to a multiple of 8.
struct HeaderLayout
{
    QByteArray bytes;                // 8-byte length + JSON + padding
    std::vector<TensorInfo> tensors; // in data order, with offsets
    std::vector<std::size_t> order;  // order[i] = index into the input of tensors[i]
    std::uint64_t dataSize = 0;
};

Result<HeaderLayout> layoutHeader(const std::vector<TensorSpec> &tensors, const Metadata &metadata);

// Writes atomically: the data go to a temporary file in the same folder which replaces
// `path` only once complete, so no half-written file ever carries the final name.
Status writeSafetensors(const QString &path, const std::vector<TensorWrite> &tensors,
                        const Metadata &metadata = {}, JobContext *job = nullptr);

// Where a producer sends a tensor's bytes, in order: pieces from memory, or byte ranges of
// an open file, which are copied by the kernel (copy_file_range, as cp does: nothing passes
// through this process, which on this project's machine made a 1 GiB conversion 3x faster
// than read + write). An error stops the write.
class TensorSink
{
public:
    virtual ~TensorSink() = default;
    virtual Status operator()(std::span<const std::byte> piece) const = 0;
    // Bytes [offset, offset + length) of the regular file open as `fd` (named `path` in
    // errors). Falls back to reads and writes where the kernel cannot copy (another file
    // system on an old kernel); a file that ends early is an error naming `path`.
    virtual Status copyRange(int fd, const QString &path, std::uint64_t offset, std::uint64_t length) const = 0;
};
// Produces tensor `index` (into the specs given) by sending its bytes to `sink`.
using TensorProducer = std::function<Status(std::size_t index, const TensorSink &sink)>;

// writeSafetensors for tensors that are not in memory: each is asked for in the file's data
// order and written as its pieces arrive, so memory holds a piece, never the file. Atomic the
// same way; a producer that gives more or fewer bytes than its spec needs fails the write.
// Progress counts bytes written (the total is added first); cancel is checked per piece and
// per 64 MiB of a copied range.
Status writeSafetensorsStreamed(const QString &path, const std::vector<TensorSpec> &tensors, const Metadata &metadata,
                                const TensorProducer &produce, JobContext *job = nullptr,
                                Durability durability = Durability::Flushed);

// Writes the header and sets the file's length without writing data: the data section is a
// hole of zeros. For tests and benchmarks of real-size models without their gigabytes.
Status writeSparseSafetensors(const QString &path, const std::vector<TensorSpec> &tensors,
                              const Metadata &metadata = {});

struct ShardSet
{
    QString indexPath;
    QStringList shardPaths;
};

// Splits tensors over shards of at most `maxShardBytes` of data each (a larger tensor gets a
// shard of its own), named `<prefix>-0000k-of-0000n.safetensors`, plus
// `<prefix>.safetensors.index.json`. The index is written last: it is the commit point.
Result<ShardSet> writeShardSet(const QString &folder, const QString &prefix,
                               const std::vector<TensorWrite> &tensors, std::uint64_t maxShardBytes,
                               const Metadata &metadata = {});

// The index of a shard set as transformers writes it: {"metadata": {"total_size": N},
// "weight_map": {tensor: file, …}} (entries in the order given), atomically.
Status writeShardIndex(const QString &path, const std::vector<std::pair<std::string, QString>> &weightMap, std::uint64_t totalSize);

// JSON string literal with serde_json's escaping (control characters escaped, UTF-8 kept).
void appendJsonString(std::string &out, std::string_view text);

} // namespace tantra
