#pragma once

#include "dtype.h"
#include "result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace tantra {

// Which part of a checkpoint holds the weights.
struct TorchReadOptions
{
    // A dotted path of dict keys to the state dict ("model.encoder"); empty: the top-level dict,
    // or the first of state_dict, model, model_state_dict, module that holds tensors.
    QString key;
};

// One tensor of a checkpoint: where its elements lie in a storage, so tied tensors (two names,
// one storage), views with an offset and transposed tensors are all described exactly.
struct TorchTensor
{
    QString name;
    Dtype dtype = Dtype::F32;
    std::vector<std::uint64_t> shape;
    std::vector<std::uint64_t> stride; // in elements
    std::uint64_t storageOffset = 0;   // in elements
    std::uint32_t storage = 0;         // index into the checkpoint's storages

    std::uint64_t elementCount() const;
    std::uint64_t byteSize() const; // of the contiguous tensor
    bool isContiguous() const;      // row-major, so its bytes are one run of the storage
};

// A PyTorch `torch.save` file (the zip format of PyTorch >= 1.6 or the legacy pickle-stream
// format), or a `pytorch_model.bin.index.json` shard set, read without running any of it: the
// pickle is interpreted against an allow-list (PickleInterpreter), and tensor bytes are read
// from the file only when asked for.
class TorchCheckpoint
{
public:
    enum class Format { Zip, Legacy, Sharded };

    // Where a storage's bytes lie: a byte range of a file.
    struct Storage
    {
        QString file;
        std::uint64_t offset = 0; // bytes into the file
        std::uint64_t size = 0;   // bytes
    };

    const QString &path() const { return m_path; }
    Format format() const { return m_format; }
    const std::vector<TorchTensor> &tensors() const { return m_tensors; }
    const std::vector<Storage> &storages() const { return m_storages; }
    // The key the state dict was found under ("model"), empty for a flat state dict.
    const QString &stateDictKey() const { return m_stateDictKey; }
    // What was read but not taken: non-tensor values (epoch, optimizer state), nested dicts.
    const QStringList &notes() const { return m_notes; }
    std::uint64_t tensorBytes() const;

    // The tensor's elements in row-major order, as a safetensors file holds them.
    Result<QByteArray> contiguousBytes(std::size_t index) const;

private:
    friend class TorchCheckpointReader;
    QString m_path;
    Format m_format = Format::Zip;
    std::vector<TorchTensor> m_tensors;
    std::vector<Storage> m_storages;
    QString m_stateDictKey;
    QStringList m_notes;
};

// Reads the structure of a checkpoint (no tensor data). Errors name the file; a pickle that
// names anything outside the allow-list is refused with the name in the message.
Result<TorchCheckpoint> readTorchCheckpoint(const QString &path, const TorchReadOptions &options = {});

// True for the names PyTorch checkpoints go by: .bin, .pt, .pth, .ckpt, and a
// pytorch_model.bin.index.json.
bool isTorchCheckpointName(const QString &path);

} // namespace tantra
