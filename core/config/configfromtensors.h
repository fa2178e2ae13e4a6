#pragma once

#include "result.h"
#include "shapevalidator.h"

#include <QByteArray>
#include <QString>

#include <vector>

namespace tantra {

// The YAML of a config for a new model type whose shape rules accept exactly these tensors:
// for a file that fits no config, so it can be imported under a type of its own. Tensors that
// differ only in one number of their name ("h.0.attn.weight" … "h.11.attn.weight", same shape)
// become one rule repeated over a count in `architecture` ("n_h: 12"), so the config can be
// grown by editing one value; everything else is listed as it is. Shapes are the file's
// numbers: naming dimensions is left to the user (docs/CONFIG.md). Dtypes other than the
// default F32/BF16/F16 are listed. `origin` (the file's name) goes into the comment and the
// description. Fails for a tensor name that a rule cannot spell ('{' or '}' in it).
Result<QByteArray> configFromTensors(const QString &type, const std::vector<TensorShape> &tensors, const QString &origin);

} // namespace tantra
