#pragma once

#include "modelconfig.h"
#include "result.h"
#include "safetensorswriter.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tantra {

// How a rule's `init` fills a sample tensor. `normal` is N(0, σ) with σ 0.02 unless given as
// normal(σ); `small` is N(0, 0.002) for biases; `a_log` is Mamba's log(1 … d_state) along
// the last dimension; `dt_bias` is Mamba's inverse-softplus of a step drawn log-uniformly
// from [0.001, 0.1].
struct SampleInit
{
    enum class Kind { Normal, Ones, Zeros, ALog, DtBias };
    Kind kind = Kind::Normal;
    double sigma = 0.02;
};

// Reads an `init` value; an empty text is the default normal(0.02).
Result<SampleInit> parseSampleInit(const QString &text);

// Owned buffers and the TensorWrite views into them. The views point into `buffers`, so the
// struct moves but does not copy.
struct SampleWeights
{
    SampleWeights() = default;
    SampleWeights(SampleWeights &&) = default;
    SampleWeights &operator=(SampleWeights &&) = default;
    SampleWeights(const SampleWeights &) = delete;
    SampleWeights &operator=(const SampleWeights &) = delete;

    std::vector<std::vector<std::byte>> buffers;
    std::vector<TensorWrite> tensors;
    Metadata metadata; // format, tantra.model_type, tantra.sample_seed
    std::uint64_t bytes = 0;
};

// Samples bigger than this are refused: the defaults make a few megabytes, and a real-size
// config (gigabytes) asked for a sample is a mistake better reported than filled.
inline constexpr std::uint64_t kMaxSampleBytes = std::uint64_t(1) << 30;

// A seeded random weight that passes the config's shape rules: every required tensor (not
// optional or tied ones), in the first allowed dtype, filled per the rule's `init`. The same
// seed gives the same bytes; each tensor draws from its own stream, seeded by the seed and its
// name, so editing one rule leaves the other tensors' values unchanged.
Result<SampleWeights> generateSampleWeights(const ModelConfig &config, std::uint64_t seed,
                                            std::uint64_t maxBytes = kMaxSampleBytes);

} // namespace tantra
