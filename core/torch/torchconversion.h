#pragma once

#include "durability.h"
#include "result.h"

#include <QString>
#include <QStringList>

#include <cstdint>

namespace tantra {

class JobContext;
class TorchCheckpoint;

struct TorchConversion
{
    QString output;
    std::size_t tensorCount = 0;
    std::uint64_t bytes = 0; // tensor data written
};

// Writes the tensors of `checkpoint` as the safetensors file `outPath`, atomically (the core's
// streamed writer: an error or a cancel leaves nothing at outPath). Contiguous tensors are
// copied from their storage by the kernel (TensorSink::copyRange), so memory does not grow
// with the file; a
// strided view (transposed, sliced with a step) is gathered in row-major order from the part
// of its storage it spans, which is read whole. Tied tensors (one storage, two names) are
// written under both names. __metadata__ gets format "pt" (as Hugging Face's conversion
// writes it), converted_from (`sourceName`, or the checkpoint's file name) and, when the
// state dict was not at the top, state_dict_key. A checkpoint without tensors is an error
// naming what it holds instead. Progress counts bytes written.
Result<TorchConversion> convertTorchCheckpoint(const TorchCheckpoint &checkpoint, const QString &outPath,
                                               JobContext *job = nullptr, const QString &sourceName = {},
                                               Durability durability = Durability::Flushed);

// "converted from PyTorch checkpoint model.bin": the registry's source of an imported
// checkpoint, naming the file as given.
QString torchSourceNote(const QString &checkpointPath);

// The file name a checkpoint's conversion takes: "pytorch_model.bin" → "pytorch_model.safetensors",
// "pytorch_model.bin.index.json" → "pytorch_model.safetensors".
QString safetensorsNameFor(const QString &checkpointPath);

} // namespace tantra
