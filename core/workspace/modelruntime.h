#pragma once

#include "modelconfig.h"
#include "registry.h"
#include "result.h"
#include "safetensorsmodel.h"

#include <QHash>
#include <QString>

#include <span>
#include <string_view>
#include <vector>

namespace tantra {

class WeightManager;

// A tensor bound for inference: its description and a read-only view of its bytes (zero-copy,
// straight from the mapped file).
struct BoundTensor
{
    QString name;          // the config's canonical name
    QString fileName;      // the name in the file (an alias, or the tied tensor's name)
    const TensorInfo *info = nullptr;
    std::span<const std::byte> data;
};

// The C++ counterpart of the seed's MambaRuntime/TextRuntime: built from a model type, it
// resolves the active weight and the config, checks every tensor the shape rules expect
// (refusing the weight with every mismatch when one does not fit), and hands tensors out by
// their canonical names. Aliases are resolved and a tied tensor that is absent (lm_head tied to
// the embedding) is served from the tensor it is tied to. No path is hard-coded anywhere.
class ModelRuntime
{
public:
    static Result<ModelRuntime> create(const WeightManager &manager, const QString &modelType, const QString &version = {});

    const ModelConfig &config() const { return m_config; }
    const WeightEntry &weight() const { return m_weight; }
    const SafetensorsModel &model() const { return m_model; }
    const std::vector<BoundTensor> &tensors() const { return m_tensors; }

    // By canonical name or alias; nullptr when the config does not name it.
    const BoundTensor *tensor(const QString &name) const;
    // An architecture or derived value (d_model, d_inner, …), for sizing buffers.
    std::optional<qint64> dimension(const QString &name) const { return m_config.dimension(name); }

private:
    ModelConfig m_config;
    WeightEntry m_weight;
    SafetensorsModel m_model;
    std::vector<BoundTensor> m_tensors;
    QHash<QString, int> m_index;
};

} // namespace tantra
