#pragma once

#include "dtype.h"

#include <QString>

#include <chrono>
#include <cstdint>

namespace tantra {

// Test data for the benchmark, written once and synced so that write-back does not run
// under a measurement. Return an empty string or what went wrong.
QString writeRandomFile(const QString &path, std::uint64_t size, std::uint64_t seed);
// Weights-like values (roughly normal, sd 0.02) as F32, BF16 or F16.
QString writeWeightsFile(const QString &path, Dtype dtype, std::uint64_t size, std::uint64_t seed);

// Monotonic seconds.
inline double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The fastest of `runs` timings of f(), in seconds.
template<typename F>
double bestOf(int runs, F &&f)
{
    double best = 1e300;
    for (int i = 0; i < runs; ++i) {
        const double start = now();
        f();
        const double t = now() - start;
        best = t < best ? t : best;
    }
    return best;
}

// From /proc/self/status, in KiB: the peak and the current resident set size.
std::uint64_t peakRssKiB();
std::uint64_t currentRssKiB();

} // namespace tantra
