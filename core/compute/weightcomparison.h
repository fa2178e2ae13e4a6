#pragma once

#include "dtype.h"
#include "result.h"

#include <QString>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

class QThreadPool;

namespace tantra {

class JobContext;
class SafetensorsModel;

// What happened to a tensor between weight A and weight B (see docs/ARCHITECTURE.md).
enum class CompareStatus : std::uint8_t {
    Identical, // same dtype, shape and bytes
    Close,     // same dtype and shape; every finite pair within allclose, no non-finite mismatch
    Changed,   // same dtype and shape, values differ beyond the tolerance
    Retyped,   // same shape, another dtype: values compared after decoding
    Reshaped,  // same name, another shape: values not compared
    Added,     // only in B
    Removed,   // only in A
};
inline constexpr int kCompareStatusCount = int(CompareStatus::Removed) + 1;

// The word the CLI, the JSON report and the app use ("identical", "close", …).
const char *compareStatusName(CompareStatus status);

struct WeightComparison;

struct CompareOptions
{
    // numpy.allclose: |a - b| <= atol + rtol * |b|, for every finite pair.
    double rtol = 1e-5;
    double atol = 1e-8;
    // Renames B's tensors before matching: each pattern in turn, QRegularExpression::replace.
    std::vector<std::pair<QString, QString>> renameB;
    // Only tensors whose name (A's, or B's after renaming) matches; empty: all. A glob or a
    // /regex/, as TensorFilter takes it.
    QString filter;
    // For tests: a tensor is split over the pool in ranges of at least this many bytes.
    std::uint64_t minRangeBytes = std::uint64_t(64) << 20;
    // For tests: tensors are compared in waves of consecutive pairs of about this many bytes.
    std::uint64_t waveBytes = std::uint64_t(256) << 20;
    // Called on the calling thread for a view that fills as the job runs: once with the
    // structure and the metadata (every row; a row with values to compare has valuesCompared
    // false, and status Identical when its dtype is the same), then after each wave with the
    // rows whose values were just compared. `soFar` is valid only during the call.
    std::function<void(const WeightComparison &soFar, std::span<const std::size_t> comparedRows)> onProgress;
};

// One tensor of A or B or both. Value fields are set when valuesCompared (same shape in both).
struct TensorComparison
{
    std::string name;  // A's name, or B's after renaming
    std::string nameB; // B's name as stored, when it was renamed (else empty)
    CompareStatus status = CompareStatus::Identical;
    std::optional<Dtype> dtypeA;
    std::optional<Dtype> dtypeB;
    std::optional<std::vector<std::uint64_t>> shapeA;
    std::optional<std::vector<std::uint64_t>> shapeB;

    bool valuesCompared = false;
    // Elements whose values differ: bitwise for the same dtype, decoded values when retyped
    // (two NaNs are equal then). C64 counts real and imaginary parts as two values.
    std::uint64_t differing = 0;
    // Over the pairs where both values are finite; empty when there is no such pair.
    std::optional<double> maxAbsDiff;
    std::vector<std::uint64_t> maxAbsDiffIndex; // multi-index of the first element reaching it
    std::optional<double> meanAbsDiff;
    // ||a - b|| / ||a|| and a.b / (||a|| ||b||) over the finite pairs, in double. Empty when a
    // norm in the denominator is zero (the quotient is undefined), never a silent NaN. An
    // identical tensor is not decoded (the byte comparison is its fast path): rel_l2 0 and
    // cosine 1 by definition, even for an all-zero tensor.
    std::optional<double> relL2;
    std::optional<double> cosine;
    // Positions where exactly one side is NaN/±Inf, or the two are different non-finite
    // values; excluded from the numbers above. NaN on both sides counts as equal.
    std::uint64_t nonfiniteMismatch = 0;
};

struct MetadataChange
{
    std::string key;
    std::optional<std::string> a; // empty: added in B
    std::optional<std::string> b; // empty: removed from A
};

struct WeightComparison
{
    std::vector<TensorComparison> tensors; // every tensor of both sides, in name order
    std::vector<MetadataChange> metadata;  // keys that differ, in key order

    std::array<std::uint64_t, kCompareStatusCount> counts() const;
    // Every tensor identical (bytes), the same names on both sides, the same metadata.
    bool identical() const;
    // Every tensor identical or close, the same names, the same metadata: diff's exit 0.
    bool equalWithinTolerance() const;
};

// Compares two models tensor by tensor. Each tensor pair of one shape is streamed from both
// files through StreamReader (a buffer per thread, never a whole tensor or a pass over the
// mapping), in ranges over `pool` (computePool() by default), chunks compared bytewise first.
// Progress counts the bytes of both sides; fails with "comparison cancelled" when the job is
// cancelled, with the reader's error (naming the file) on a read error, and with a message
// naming the option for an invalid --map pattern or a renaming that makes two names of B one.
Result<WeightComparison> compareWeights(const SafetensorsModel &a, const SafetensorsModel &b,
                                        const CompareOptions &options = {}, JobContext *job = nullptr,
                                        QThreadPool *pool = nullptr);

struct TensorStats;
struct ModelTensor;

// Statistics of a - b over the positions where both values are finite (C64: per part), for
// the comparison's histogram: `finite` counts those positions, `nan` the others, `zeros` the
// equal ones; the histogram spans [min, max] exactly. Two streamed passes over both tensors
// (min and max first), holding two chunks in memory. The tensors must have one shape. Fails
// with "cancelled" when the job is, and with the reader's error on a read error.
Result<TensorStats> differenceStats(const SafetensorsModel &a, const ModelTensor &ta, const SafetensorsModel &b,
                                    const ModelTensor &tb, JobContext *job = nullptr);

} // namespace tantra
