#pragma once

#include "cli.h"

namespace tantra {
class TensorFilter;
}

namespace tantra::cli {

// `inspect` of a PyTorch checkpoint (.bin/.pt/.pth/.ckpt or a pytorch_model.bin.index.json):
// the same table and JSON as for safetensors, read-only, without running the pickle.
int runInspectTorch(Context &ctx, const QString &path, const TensorFilter &filter, bool json, bool withStats);

} // namespace tantra::cli
