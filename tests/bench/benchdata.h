#pragma once

#include "dtype.h"

#include <QString>

#include <chrono>
#include <cstdint>
#include <ctime>

namespace tantra {

// Test data for the benchmark, written once and synced so that write-back does not run
// under a measurement. Return an empty string or what went wrong.
QString writeRandomFile(const QString &path, std::uint64_t size, std::uint64_t seed);
// Weights-like values (roughly normal, sd 0.02) as F32, BF16 or F16.
QString writeWeightsFile(const QString &path, Dtype dtype, std::uint64_t size, std::uint64_t seed);
// A .safetensors file of one tensor "weight" of `size` bytes of such values. With `sparse`
// (F32 only), the values are roughly N(1, 9) instead and one in a million of them is NaN,
// +Inf, -Inf or zero in turn, and a second tensor of 1,024 values and metadata follow: the
// data deep validation exists to find problems in.
QString writeWeightsSafetensors(const QString &path, Dtype dtype, std::uint64_t size, std::uint64_t seed,
                                bool sparse = false);

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

// This thread's CPU seconds: unlike wall time, barely affected by other programs' load.
inline double threadCpu()
{
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

struct Timing
{
    double wall = 1e300;
    double cpu = 0; // of the same run
};

// The fastest of `runs` runs of f() on this thread, with that run's thread CPU time.
template<typename F>
Timing bestOfWithCpu(int runs, F &&f)
{
    Timing best;
    for (int i = 0; i < runs; ++i) {
        const double start = now();
        const double cpuStart = threadCpu();
        f();
        const double t = now() - start;
        if (t < best.wall)
            best = {t, threadCpu() - cpuStart};
    }
    return best;
}

// From /proc/self/status, in KiB: the peak and the current resident set size.
std::uint64_t peakRssKiB();
std::uint64_t currentRssKiB();

} // namespace tantra
