#pragma once

#include "dtype.h"
#include "result.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

class QThreadPool;

namespace tantra {

class JobContext;
class StreamReader;

struct TensorStats
{
    static constexpr int kBins = 64;

    std::uint64_t values = 0; // values examined: elements, or 2 per element for C64
    std::uint64_t finite = 0;
    std::uint64_t nan = 0;
    std::uint64_t posInf = 0;
    std::uint64_t negInf = 0;
    std::uint64_t zeros = 0;
    // Over the finite values; NaN when there are none. std is the population deviation.
    double min = std::numeric_limits<double>::quiet_NaN();
    double max = std::numeric_limits<double>::quiet_NaN();
    double mean = std::numeric_limits<double>::quiet_NaN();
    double std = std::numeric_limits<double>::quiet_NaN();
    // kBins equal-width bins over [min, max] of the finite values.
    std::array<std::uint64_t, kBins> histogram{};
    // Types of 16 bits or fewer are binned exactly. Wider ones up to 16 MiB are binned exactly
    // in a second pass; larger ones through a 65,536-bin order-preserving key (the value
    // rounded to bfloat16's 8 significant bits) in the same pass, so a value within 0.4% of a
    // bin edge may land in the neighbouring bin. F64 values outside float's range are always
    // binned exactly, in a second pass.
    bool histogramExact = true;
};

// Statistics of one tensor in one pass over its bytes, split into chunks over `pool`
// (computePool() by default) when large. C64 is treated as its real and imaginary parts.
// Fails with "cancelled" when the job is cancelled.
Result<TensorStats> computeStats(Dtype dtype, std::span<const std::byte> data, JobContext *job = nullptr,
                                 QThreadPool *pool = nullptr);
// The same, bit for bit, of a tensor read from its file by `reader` (SafetensorsModel::reader):
// for whole-tensor passes over files, as it holds only a buffer per thread in memory where a
// pass over the mapping makes every page of the tensor resident. Also fails with the reader's
// error (naming the file) when the file cannot be read or became shorter.
Result<TensorStats> computeStats(Dtype dtype, const StreamReader &reader, JobContext *job = nullptr,
                                 QThreadPool *pool = nullptr);

} // namespace tantra
