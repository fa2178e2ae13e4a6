#include "tensorstats.h"

#include "jobcontext.h"

#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

namespace tantra {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Values per block: small enough that a block's second pass (deviations from the block
// mean) reads from L1, large enough that block bookkeeping costs nothing.
constexpr std::size_t kBlock = 2048;
// Bytes between progress reports and cancel checks.
constexpr std::size_t kReportBytes = std::size_t(4) << 20;

// Count, mean and sum of squared deviations, merged with Chan et al.'s pairwise formula:
// stable for billions of values where a running sum of squares would cancel catastrophically.
struct Moments
{
    std::uint64_t n = 0;
    double mean = 0;
    double m2 = 0;

    void merge(std::uint64_t nb, double meanb, double m2b)
    {
        if (nb == 0)
            return;
        if (n == 0) {
            n = nb;
            mean = meanb;
            m2 = m2b;
            return;
        }
        const double total = double(n + nb);
        const double delta = meanb - mean;
        mean += delta * double(nb) / total;
        m2 += m2b + delta * delta * double(n) * double(nb) / total;
        n += nb;
    }
};

struct Partial
{
    Moments moments;
    double min = kInf;
    double max = -kInf;
    std::uint64_t nan = 0;
    std::uint64_t posInf = 0;
    std::uint64_t negInf = 0;
    std::uint64_t zeros = 0;
    std::uint64_t values = 0;
    // Narrow types: a count per code. Wide types: a count per 16-bit order-preserving key.
    std::vector<std::uint64_t> bins;
    bool canceled = false;
};

// --- narrow types: count codes, derive everything from the counts ------------------------

template<typename Code>
void countCodes(const Code *p, std::size_t n, std::uint64_t *bins)
{
    // Two sub-histograms halve the store-to-load dependency on runs of equal codes.
    std::size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        ++bins[p[i]];
        ++bins[std::size_t(p[i + 1]) + (std::size_t(1) << (8 * sizeof(Code)))];
    }
    for (; i < n; ++i)
        ++bins[p[i]];
}

// --- wide types: fused moments, counts and key histogram per block -----------------------

inline std::uint32_t orderKey(float x)
{
    // Flip so that unsigned order equals float order; the top 16 bits are a bfloat16-like key.
    const std::uint32_t b = std::bit_cast<std::uint32_t>(x);
    const std::uint32_t mask = (b & 0x80000000u) ? 0xffffffffu : 0x80000000u;
    return (b ^ mask) >> 16;
}

// The smallest value with this key. The key is monotonic in the value and the exponent
// lies wholly in the top 16 bits, so a key holds only finite values or only Inf/NaN.
inline float keyLowerBound(std::uint32_t key)
{
    const std::uint32_t u = key << 16;
    return std::bit_cast<float>((u & 0x80000000u) ? (u ^ 0x80000000u) : ~u);
}

template<typename T>
inline float toKeyFloat(T v)
{
    if constexpr (std::is_same_v<T, double>) {
        // Saturate so that huge finite doubles stay finite in the key, but keep infinities
        // infinite: saturated, they were binned as finite values.
        constexpr double lim = double(std::numeric_limits<float>::max());
        return float(std::isinf(v) ? v : v > lim ? lim : v < -lim ? -lim : v);
    } else {
        return float(v);
    }
}

template<typename T>
__attribute__((target_clones("avx2", "default"))) void wideBlock(const T *p, std::size_t n, Partial &acc,
                                                                  std::uint64_t *bins)
{
    double mn = kInf;
    double mx = -kInf;
    double sum = 0;
    std::uint64_t finite = 0;
    std::uint64_t nan = 0;
    std::uint64_t pinf = 0;
    std::uint64_t ninf = 0;
    std::uint64_t zeros = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = double(p[i]);
        const bool fin = std::isfinite(v);
        nan += v != v;
        pinf += v == kInf;
        ninf += v == -kInf;
        zeros += v == 0;
        finite += fin;
        mn = fin && v < mn ? v : mn;
        mx = fin && v > mx ? v : mx;
        sum += fin ? v : 0.0;
    }
    const double mean = finite ? sum / double(finite) : 0.0;
    double m2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = double(p[i]);
        const double d = std::isfinite(v) ? v - mean : 0.0;
        m2 += d * d;
    }
    for (std::size_t i = 0; i < n; ++i)
        ++bins[orderKey(toKeyFloat(p[i]))];
    acc.moments.merge(finite, mean, m2);
    acc.min = std::min(acc.min, mn);
    acc.max = std::max(acc.max, mx);
    acc.nan += nan;
    acc.posInf += pinf;
    acc.negInf += ninf;
    acc.zeros += zeros;
    acc.values += n;
}

// Decoded value of a narrow code.
double decodeCode(Dtype dtype, std::uint32_t code)
{
    switch (dtype) {
    case Dtype::BOOL: return code ? 1.0 : 0.0;
    case Dtype::U8: return double(code);
    case Dtype::I8: return double(std::int8_t(code));
    case Dtype::I16: return double(std::int16_t(code));
    case Dtype::U16: return double(code);
    case Dtype::F16: return halfToDouble(std::uint16_t(code));
    case Dtype::BF16: return bfloat16ToDouble(std::uint16_t(code));
    default: return minifloatToDouble(dtype, std::uint8_t(code));
    }
}

int codeBits(Dtype dtype)
{
    switch (dtype) {
    case Dtype::F4: return 4;
    case Dtype::F6_E2M3:
    case Dtype::F6_E3M2: return 6;
    default: return dtypeBits(dtype);
    }
}

bool isNarrow(Dtype dtype)
{
    return dtypeBits(dtype) <= 16;
}

// Processes elements [first, first+count) of the tensor into `acc`.
void processRange(Dtype dtype, const std::byte *data, std::uint64_t first, std::uint64_t count, Partial &acc,
                  JobContext *job)
{
    const int bits = codeBits(dtype);
    if (isNarrow(dtype)) {
        const std::size_t codes = std::size_t(1) << bits;
        acc.bins.assign(2 * codes, 0); // two sub-histograms, folded at the end
        std::uint64_t done = 0;
        while (done < count) {
            if (job && job->isCanceled()) {
                acc.canceled = true;
                return;
            }
            // Steps of whole bytes (8 elements make whole bytes of any width), or the bytes
            // reported for 6-bit types would fall short of the tensor's size.
            const std::uint64_t step = std::min<std::uint64_t>(count - done, kReportBytes * 8 / std::uint64_t(bits) / 8 * 8);
            const std::uint64_t at = first + done;
            if (bits == 8) {
                countCodes(reinterpret_cast<const std::uint8_t *>(data) + at, std::size_t(step), acc.bins.data());
            } else if (bits == 16) {
                countCodes(reinterpret_cast<const std::uint16_t *>(data) + at, std::size_t(step), acc.bins.data());
            } else if (bits == 4) {
                for (std::uint64_t i = at; i < at + step; ++i) {
                    const auto byte = std::to_integer<std::uint8_t>(data[i / 2]);
                    ++acc.bins[i % 2 ? byte >> 4 : byte & 0x0f];
                }
            } else { // 6 bits, four values per three bytes
                for (std::uint64_t i = at; i < at + step; ++i) {
                    const std::byte *g = data + (i / 4) * 3;
                    const std::uint32_t word = std::to_integer<std::uint32_t>(g[0])
                            | (std::to_integer<std::uint32_t>(g[1]) << 8) | (std::to_integer<std::uint32_t>(g[2]) << 16);
                    ++acc.bins[(word >> (6 * (i % 4))) & 0x3f];
                }
            }
            done += step;
            if (job)
                job->advance(step * std::uint64_t(bits) / 8);
        }
        for (std::size_t c = 0; c < codes; ++c)
            acc.bins[c] += acc.bins[c + codes];
        acc.bins.resize(codes);
        acc.values = count;
        return;
    }

    acc.bins.assign(std::size_t(1) << 16, 0);
    const int width = dtypeBits(dtype) / 8;
    std::uint64_t done = 0;
    std::uint64_t sinceReport = 0;
    while (done < count) {
        if (job && job->isCanceled()) {
            acc.canceled = true;
            return;
        }
        const std::size_t n = std::size_t(std::min<std::uint64_t>(count - done, kBlock));
        const std::byte *p = data + (first + done) * std::uint64_t(dtype == Dtype::C64 ? 4 : width);
        switch (dtype) {
        case Dtype::F32:
        case Dtype::C64: wideBlock(reinterpret_cast<const float *>(p), n, acc, acc.bins.data()); break;
        case Dtype::F64: wideBlock(reinterpret_cast<const double *>(p), n, acc, acc.bins.data()); break;
        case Dtype::I32: wideBlock(reinterpret_cast<const std::int32_t *>(p), n, acc, acc.bins.data()); break;
        case Dtype::U32: wideBlock(reinterpret_cast<const std::uint32_t *>(p), n, acc, acc.bins.data()); break;
        case Dtype::I64: wideBlock(reinterpret_cast<const std::int64_t *>(p), n, acc, acc.bins.data()); break;
        case Dtype::U64: wideBlock(reinterpret_cast<const std::uint64_t *>(p), n, acc, acc.bins.data()); break;
        default: break;
        }
        done += n;
        sinceReport += n;
        if (sinceReport * std::uint64_t(width) >= kReportBytes) {
            if (job)
                job->advance(sinceReport * std::uint64_t(dtype == Dtype::C64 ? 4 : width));
            sinceReport = 0;
        }
    }
    if (job && sinceReport)
        job->advance(sinceReport * std::uint64_t(dtype == Dtype::C64 ? 4 : width));
}

void mergeInto(Partial &into, const Partial &from)
{
    into.moments.merge(from.moments.n, from.moments.mean, from.moments.m2);
    into.min = std::min(into.min, from.min);
    into.max = std::max(into.max, from.max);
    into.nan += from.nan;
    into.posInf += from.posInf;
    into.negInf += from.negInf;
    into.zeros += from.zeros;
    into.values += from.values;
    if (into.bins.empty())
        into.bins.assign(from.bins.size(), 0);
    for (std::size_t i = 0; i < from.bins.size(); ++i)
        into.bins[i] += from.bins[i];
    into.canceled = into.canceled || from.canceled;
}

int binOf(double v, double min, double max)
{
    if (!(max > min))
        return 0;
    const double f = (v - min) / (max - min) * TensorStats::kBins;
    return std::clamp(int(f), 0, TensorStats::kBins - 1);
}

TensorStats finishNarrow(Dtype dtype, const Partial &p)
{
    TensorStats s;
    s.values = p.values;
    // Neumaier-compensated sum over the distinct codes: exact to double precision.
    double sum = 0;
    double comp = 0;
    double min = kInf;
    double max = -kInf;
    for (std::size_t code = 0; code < p.bins.size(); ++code) {
        const std::uint64_t c = p.bins[code];
        if (!c)
            continue;
        const double v = decodeCode(dtype, std::uint32_t(code));
        if (std::isnan(v)) {
            s.nan += c;
            continue;
        }
        if (std::isinf(v)) {
            (v > 0 ? s.posInf : s.negInf) += c;
            continue;
        }
        if (v == 0)
            s.zeros += c;
        s.finite += c;
        min = std::min(min, v);
        max = std::max(max, v);
        const double term = v * double(c);
        const double t = sum + term;
        comp += std::abs(sum) >= std::abs(term) ? (sum - t) + term : (term - t) + sum;
        sum = t;
    }
    if (s.finite) {
        s.min = min;
        s.max = max;
        s.mean = (sum + comp) / double(s.finite);
        double m2 = 0;
        for (std::size_t code = 0; code < p.bins.size(); ++code) {
            const std::uint64_t c = p.bins[code];
            if (!c)
                continue;
            const double v = decodeCode(dtype, std::uint32_t(code));
            if (!std::isfinite(v))
                continue;
            m2 += (v - s.mean) * (v - s.mean) * double(c);
            s.histogram[std::size_t(binOf(v, min, max))] += c;
        }
        s.std = std::sqrt(m2 / double(s.finite));
    }
    s.histogramExact = true;
    return s;
}

TensorStats finishWide(const Partial &p)
{
    TensorStats s;
    s.values = p.values;
    s.finite = p.moments.n;
    s.nan = p.nan;
    s.posInf = p.posInf;
    s.negInf = p.negInf;
    s.zeros = p.zeros;
    s.histogramExact = false;
    if (s.finite) {
        s.min = p.min;
        s.max = p.max;
        s.mean = p.moments.mean;
        s.std = std::sqrt(p.moments.m2 / double(p.moments.n));
        for (std::uint32_t key = 0; key < p.bins.size(); ++key) {
            const std::uint64_t c = p.bins[key];
            if (!c)
                continue;
            const float lo = keyLowerBound(key);
            if (!std::isfinite(lo))
                continue; // a key of infinities or NaNs, counted above
            const float hi = key + 1 < p.bins.size() ? keyLowerBound(key + 1) : lo;
            const double mid = std::isfinite(hi) ? (double(lo) + double(hi)) / 2 : double(lo);
            s.histogram[std::size_t(binOf(std::clamp(mid, s.min, s.max), s.min, s.max))] += c;
        }
    }
    return s;
}

// F64 values outside float's normal range defeat the one-pass kernel: its histogram key is a
// float (it saturates above 3.4e38 and has no precision below 1.2e-38), and beyond ~1e154
// squares, near the largest double even sums, overflow. Such tensors are rare; they get a
// second, exact pass.
bool needsExactDoublePass(const TensorStats &s)
{
    if (!s.finite)
        return false;
    const double maxAbs = std::max(std::abs(s.min), std::abs(s.max));
    return maxAbs > double(std::numeric_limits<float>::max())
            || (maxAbs > 0 && maxAbs < double(std::numeric_limits<float>::min())) || !std::isfinite(s.mean)
            || !std::isfinite(s.std);
}

// Mean, deviation and histogram in units of the power of two above the largest magnitude, so
// that no sum, square or range overflows (scaling by a power of two is exact). Counts, min and
// max from the first pass are exact already. Returns false when cancelled.
bool exactDoublePass(std::span<const std::byte> data, TensorStats &s, JobContext *job)
{
    int exponent = 0;
    std::frexp(std::max(std::abs(s.min), std::abs(s.max)), &exponent);
    const double unit = std::ldexp(1.0, -exponent);
    const std::size_t count = data.size() / sizeof(double);
    const auto scaled = [&](std::size_t i, double &x) {
        double v;
        std::memcpy(&v, data.data() + i * sizeof(double), sizeof v);
        x = v * unit;
        return std::isfinite(v);
    };
    constexpr std::size_t kCancelCheck = std::size_t(1) << 20;
    double sum = 0;
    double comp = 0; // Neumaier compensation
    for (std::size_t i = 0; i < count; ++i) {
        if (i % kCancelCheck == 0 && job && job->isCanceled())
            return false;
        double x;
        if (!scaled(i, x))
            continue;
        const double t = sum + x;
        comp += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
        sum = t;
    }
    const double mean = (sum + comp) / double(s.finite);
    const double lo = s.min * unit;
    const double hi = s.max * unit;
    double m2 = 0;
    s.histogram.fill(0);
    for (std::size_t i = 0; i < count; ++i) {
        if (i % kCancelCheck == 0 && job && job->isCanceled())
            return false;
        double x;
        if (!scaled(i, x))
            continue;
        m2 += (x - mean) * (x - mean);
        ++s.histogram[std::size_t(binOf(x, lo, hi))];
    }
    s.mean = mean / unit;
    s.std = std::sqrt(m2 / double(s.finite)) / unit;
    s.histogramExact = true;
    return true;
}

} // namespace

Result<TensorStats> computeStats(Dtype dtype, std::span<const std::byte> data, JobContext *job, QThreadPool *pool)
{
    const int bits = codeBits(dtype);
    const bool complex = dtype == Dtype::C64;
    const int valueBits = complex ? 32 : bits;
    const std::uint64_t count = std::uint64_t(data.size()) * 8 / std::uint64_t(valueBits);
    if (job)
        job->addTotal(data.size());

    // Chunks of at least 64 MiB: each chunk's histogram merge is then negligible.
    if (!pool)
        pool = QThreadPool::globalInstance();
    const std::uint64_t minChunk = (std::uint64_t(64) << 20) * 8 / std::uint64_t(valueBits);
    const int threads = std::max(1, pool->maxThreadCount());
    std::uint64_t chunk = std::max<std::uint64_t>(minChunk, (count + std::uint64_t(threads) - 1) / std::uint64_t(threads));
    chunk = (chunk + 7) / 8 * 8; // keep packed sub-byte groups whole

    Partial total;
    if (count <= chunk) {
        processRange(dtype, data.data(), 0, count, total, job);
    } else {
        std::vector<QFuture<Partial>> futures;
        for (std::uint64_t first = 0; first < count; first += chunk) {
            const std::uint64_t n = std::min(chunk, count - first);
            futures.push_back(QtConcurrent::run(pool, [=] {
                Partial p;
                processRange(dtype, data.data(), first, n, p, job);
                return p;
            }));
        }
        for (auto &f : futures)
            mergeInto(total, f.result());
    }
    if (total.canceled || (job && job->isCanceled()))
        return makeError(QStringLiteral("statistics cancelled"));

    TensorStats stats = isNarrow(dtype) ? finishNarrow(dtype, total) : finishWide(total);
    if (dtype == Dtype::F64 && needsExactDoublePass(stats) && !exactDoublePass(data, stats, job))
        return makeError(QStringLiteral("statistics cancelled"));
    return stats;
}

} // namespace tantra
