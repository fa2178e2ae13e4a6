#pragma once

#include "result.h"
#include "safetensorsfile.h"

#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace tantra {

// One tensor of a model: its header entry and the shard that holds it.
struct ModelTensor
{
    const TensorInfo *info = nullptr;
    int shard = 0;
};

// A logical model: one .safetensors file, or a shard set described by a
// `*.safetensors.index.json` (opened through the index or the folder holding it). All shards
// are mapped and their headers checked against the index; data stay on disk until read.
class SafetensorsModel
{
public:
    // `path`: a .safetensors file, an index file, or a folder containing one index (or one
    // .safetensors file).
    static Result<SafetensorsModel> open(const QString &path);

    const QString &path() const { return m_path; }
    bool isSharded() const { return !m_indexPath.isEmpty(); }
    const QString &indexPath() const { return m_indexPath; }
    const std::vector<std::shared_ptr<const SafetensorsFile>> &shards() const { return m_shards; }
    // Every file it was read from: the file, or the index and every shard.
    QStringList files() const;
    // Shard by shard, each in data order.
    const std::vector<ModelTensor> &tensors() const { return m_tensors; }
    // The single file's __metadata__, or the index's metadata for a shard set.
    const std::vector<std::pair<std::string, std::string>> &metadata() const { return m_metadata; }
    // The weights' own __metadata__: the single file's, or a shard set's first shard's
    // (transformers writes the same into every shard; the index's is about the set, such as
    // total_size). What comparing, converting and repacking carry over.
    const std::vector<std::pair<std::string, std::string>> &weightMetadata() const
    {
        return isSharded() && !m_shards.empty() ? m_shards.front()->metadata() : m_metadata;
    }

    const ModelTensor *find(std::string_view name) const;
    std::span<const std::byte> data(const ModelTensor &tensor) const;
    StreamReader reader(const ModelTensor &tensor) const; // see SafetensorsFile::reader
    const SafetensorsFile &shardOf(const ModelTensor &tensor) const { return *m_shards[std::size_t(tensor.shard)]; }

    std::uint64_t tensorBytes() const;
    std::uint64_t fileBytes() const;

private:
    static Result<SafetensorsModel> openIndex(const QString &indexPath);
    void buildLookup();

    QString m_path;
    QString m_indexPath;
    std::vector<std::shared_ptr<const SafetensorsFile>> m_shards;
    std::vector<ModelTensor> m_tensors;
    std::vector<std::uint32_t> m_byName;
    std::vector<std::pair<std::string, std::string>> m_metadata;
};

// True for names the index convention uses: "*.safetensors.index.json".
bool isShardIndexName(const QString &fileName);

} // namespace tantra
