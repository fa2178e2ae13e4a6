#include "tensorstats.h"
#include "statskernel.h"

#include "codehistogram.h"
#include "computepool.h"
#include "jobcontext.h"
#include "streamreader.h"

#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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
    // Filled in once all ranges are done (see BinSlots).
    std::vector<std::uint64_t> bins;
    bool canceled = false;
    QString error; // a read error, naming the file
};

// The counts of the ranges of a pass. Counts are integers, added in any order, so the ranges
// a thread runs one after the other add into one slot rather than each into 512 KiB of totals
// of its own: eight ranges' fresh totals (and the wide kernels' counters) were zeroed and
// faulted in one after the other, 4% of the CPU of `inspect --stats` on 1 GiB of f16 (perf).
// The moments are merged range by range, in order, as before: they are floating point.
struct BinSlot
{
    std::vector<std::uint64_t> totals;
    std::vector<std::uint32_t> counts; // the wide kernels' 32-bit counters, zero between ranges
};

class BinSlots
{
public:
    BinSlot *acquire()
    {
        const std::lock_guard lock(m_mutex);
        if (m_free.empty()) {
            m_all.push_back(std::make_unique<BinSlot>());
            return m_all.back().get();
        }
        BinSlot *slot = m_free.back();
        m_free.pop_back();
        return slot;
    }
    void release(BinSlot *slot)
    {
        const std::lock_guard lock(m_mutex);
        m_free.push_back(slot);
    }
    // All slots' totals added up; call once every range has ended.
    std::vector<std::uint64_t> sum() const
    {
        std::vector<std::uint64_t> out;
        for (const auto &slot : m_all) {
            out.resize(std::max(out.size(), slot->totals.size()));
            for (std::size_t i = 0; i < slot->totals.size(); ++i)
                out[i] += slot->totals[i];
        }
        return out;
    }

private:
    std::mutex m_mutex;
    std::vector<std::unique_ptr<BinSlot>> m_all;
    std::vector<BinSlot *> m_free;
};

// Tensor data carry no alignment promise (a header need not be a multiple of 8 bytes long and
// the data start right after it), so a typed pointer into them makes every load undefined
// behaviour, which UBSan reports as "load of misaligned address". The kernels read through
// this view instead: a memcpy of 2, 4 or 8 bytes compiles to the same single load.
template<typename T>
struct Unaligned
{
    const std::byte *p;
    T operator[](std::size_t i) const
    {
        T v;
        std::memcpy(&v, p + i * sizeof(T), sizeof(T));
        return v;
    }
};

// Keeps the kernel reading ahead of a sweep over [begin, end). MappedFile maps with
// MADV_RANDOM, which turns readahead off: on a file not yet in the page cache, statistics
// then fault it in a page at a time, measured at 0.04 GB/s against 0.4-0.6 GB/s with these
// hints on this project's test machine. MADV_WILLNEED starts the reads of the next window
// without waiting and changes no state of the mapping, but even on cached pages it walks
// the page cache, which cost 5% of a warm sweep: a window whose last page is already cached
// (one mincore call) is taken to be cached and not advised.
class ReadAhead
{
public:
    ReadAhead(const std::byte *begin, const std::byte *end) : m_advised(begin), m_end(end) {}

    // Called with the position about to be read: keeps at least one window ahead advised.
    void at(const std::byte *pos)
    {
        if (m_advised >= m_end || m_advised - pos >= std::ptrdiff_t(kWindow))
            return;
        const std::byte *to = m_end - pos > std::ptrdiff_t(2 * kWindow) ? pos + 2 * kWindow : m_end;
        const std::uintptr_t from = pageOf(m_advised);
        if (!isCached(to - 1))
            ::madvise(reinterpret_cast<void *>(from), reinterpret_cast<std::uintptr_t>(to) - from, MADV_WILLNEED);
        m_advised = to;
    }

private:
    static std::uintptr_t pageOf(const std::byte *p)
    {
        static const auto page = std::uintptr_t(::sysconf(_SC_PAGESIZE));
        return reinterpret_cast<std::uintptr_t>(p) & ~(page - 1);
    }
    static bool isCached(const std::byte *p)
    {
        unsigned char state = 0;
        return ::mincore(reinterpret_cast<void *>(pageOf(p)), 1, &state) == 0 && (state & 1) != 0;
    }

    static constexpr std::size_t kWindow = std::size_t(4) << 20;
    const std::byte *m_advised;
    const std::byte *m_end;
};

// --- narrow types: count codes (CodeHistogram), derive everything from the counts ---------

// Values counted between flushes of the wide types' 32-bit key counters into the 64-bit totals.
constexpr std::uint64_t kFlushValues = CodeHistogram::kFlushValues;

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

// The generic kernel, for F64 and the integer types, and for F32 blocks holding an Inf or NaN.
// (It was target_clones("avx2", "default"), which bought nothing measurable, as the compiler
// vectorises none of it, and which clang does not support on templates.)
template<typename T>
void wideBlock(Unaligned<T> p, std::size_t n, Partial &acc, std::uint32_t *bins)
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

#if defined(__x86_64__)
// The F32 (and C64) block kernel for AVX2 machines, 16 values per step: in the generic kernel
// above the compiler vectorises nothing (the double sum must stay in order, and every value
// takes six counters and two conditional selects), and it runs at about 0.5 GB/s per core.
// Here the common case, a block of finite values, costs one pass that takes counts, min,
// max, shifted double sums of values and squares, and the histogram keys. The histogram increments run in the first pass, where the load/store
// units are otherwise idle while the vector units work. A block holding an Inf or NaN, or of
// fewer than a multiple of 16 values, returns false untouched and goes to wideBlock.
// Counts 16 histogram keys. Counting a group one step after its keys were stored, and four
// keys per 64-bit load, was 30-50% faster than counting each key right after the store.
inline void countKeys16(const std::uint16_t *keys, std::uint32_t *bins)
{
    for (int q = 0; q < 4; ++q) {
        std::uint64_t word;
        std::memcpy(&word, keys + 4 * q, 8);
        ++bins[word & 0xffff];
        ++bins[(word >> 16) & 0xffff];
        ++bins[(word >> 32) & 0xffff];
        ++bins[word >> 48];
    }
}

// A vector kernel's block totals into the accumulator: one function, so that the AVX2 and
// AVX-512 kernels, which add the same lanes in the same order, also finish alike.
void mergeBlock(Partial &acc, float pivotValue, std::size_t n, const double (&sums)[4], const double (&squares)[4], float mn, float mx,
                std::uint64_t zeroCount)
{
    const double s = sums[0] + sums[1] + sums[2] + sums[3];
    const double q = squares[0] + squares[1] + squares[2] + squares[3];
    const double mean = double(pivotValue) + s / double(n);
    const double m2 = std::max(0.0, q - s * s / double(n));

    acc.moments.merge(n, mean, m2);
    acc.min = std::min(acc.min, double(mn));
    acc.max = std::max(acc.max, double(mx));
    acc.zeros += zeroCount;
    acc.values += n;
}

__attribute__((target("avx2,fma"))) bool finiteFloatBlockAvx2(const std::byte *p, std::size_t n, Partial &acc,
                                                             std::uint32_t *bins)
{
    if (n % 16 != 0 || n > kBlock)
        return false;
    const __m256i absMask = _mm256_set1_epi32(0x7fffffff);
    const __m256i maxFinite = _mm256_set1_epi32(0x7f7fffff);
    const __m256i signBit = _mm256_set1_epi32(std::int32_t(0x80000000u));
    const __m256i zero = _mm256_setzero_si256();
    __m256i zeros = zero;
    __m256 vmin = _mm256_set1_ps(std::numeric_limits<float>::infinity());
    __m256 vmax = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    // Sums of d = x - pivot and of d*d in one pass, in double. The pivot, a value of this
    // block, keeps d of the order of the block's spread, so S2 - S1*S1/n does not cancel
    // (the shifted-data algorithm); a second pass over the block for the deviations from its
    // mean cost 15% of the kernel's time.
    float pivotValue;
    std::memcpy(&pivotValue, p, sizeof pivotValue);
    const __m256d pivot = _mm256_set1_pd(double(pivotValue));
    __m256d s0 = _mm256_setzero_pd();
    __m256d s1 = s0;
    __m256d s2 = s0;
    __m256d s3 = s0;
    __m256d q0 = s0;
    __m256d q1 = s0;
    __m256d q2 = s0;
    __m256d q3 = s0;
    alignas(32) std::uint16_t keys[kBlock];
    for (std::size_t i = 0; i < n; i += 16) {
        // loadu has no alignment requirement.
        const __m256 x0 = _mm256_loadu_ps(reinterpret_cast<const float *>(p + 4 * i));
        const __m256 x1 = _mm256_loadu_ps(reinterpret_cast<const float *>(p + 4 * (i + 8)));
        const __m256i b0 = _mm256_castps_si256(x0);
        const __m256i b1 = _mm256_castps_si256(x1);
        const __m256i a0 = _mm256_and_si256(b0, absMask);
        const __m256i a1 = _mm256_and_si256(b1, absMask);
        const __m256i nonFinite = _mm256_or_si256(_mm256_cmpgt_epi32(a0, maxFinite), _mm256_cmpgt_epi32(a1, maxFinite));
        if (!_mm256_testz_si256(nonFinite, nonFinite)) {
            const std::size_t counted = i >= 16 ? i - 16 : 0; // counting lags a group behind
            for (std::size_t j = 0; j < counted; ++j)
                --bins[keys[j]];
            return false;
        }
        zeros = _mm256_sub_epi32(zeros, _mm256_cmpeq_epi32(a0, zero));
        zeros = _mm256_sub_epi32(zeros, _mm256_cmpeq_epi32(a1, zero));
        vmin = _mm256_min_ps(vmin, _mm256_min_ps(x0, x1));
        vmax = _mm256_max_ps(vmax, _mm256_max_ps(x0, x1));
        const __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x0)), pivot);
        const __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x0, 1)), pivot);
        const __m256d d2 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x1)), pivot);
        const __m256d d3 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x1, 1)), pivot);
        s0 = _mm256_add_pd(s0, d0);
        s1 = _mm256_add_pd(s1, d1);
        s2 = _mm256_add_pd(s2, d2);
        s3 = _mm256_add_pd(s3, d3);
        q0 = _mm256_fmadd_pd(d0, d0, q0);
        q1 = _mm256_fmadd_pd(d1, d1, q1);
        q2 = _mm256_fmadd_pd(d2, d2, q2);
        q3 = _mm256_fmadd_pd(d3, d3, q3);
        // orderKey, eight at a time: flip all bits of negatives, the sign bit of the rest.
        const __m256i k0 = _mm256_srli_epi32(_mm256_xor_si256(b0, _mm256_or_si256(_mm256_srai_epi32(b0, 31), signBit)), 16);
        const __m256i k1 = _mm256_srli_epi32(_mm256_xor_si256(b1, _mm256_or_si256(_mm256_srai_epi32(b1, 31), signBit)), 16);
        // packus works within 128-bit lanes; the permute restores element order.
        _mm256_store_si256(reinterpret_cast<__m256i *>(keys + i),
                           _mm256_permute4x64_epi64(_mm256_packus_epi32(k0, k1), 0xd8));
        // Count the previous group's keys, whose store has long reached L1, four per load.
        if (i >= 16)
            countKeys16(keys + i - 16, bins);
    }
    countKeys16(keys + n - 16, bins);

    alignas(32) std::uint32_t zeroLanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i *>(zeroLanes), zeros);
    alignas(32) float mins[8];
    alignas(32) float maxs[8];
    _mm256_store_ps(mins, vmin);
    _mm256_store_ps(maxs, vmax);
    std::uint64_t zeroCount = 0;
    float mn = mins[0];
    float mx = maxs[0];
    for (int k = 0; k < 8; ++k) {
        zeroCount += zeroLanes[k];
        mn = std::min(mn, mins[k]);
        mx = std::max(mx, maxs[k]);
    }
    alignas(32) double sums[4];
    _mm256_store_pd(sums, _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)));
    alignas(32) double squares[4];
    _mm256_store_pd(squares, _mm256_add_pd(_mm256_add_pd(q0, q1), _mm256_add_pd(q2, q3)));
    mergeBlock(acc, pivotValue, n, sums, squares, mn, mx, zeroCount);
    return true;
}

// The same block in AVX-512, with the same results bit for bit: the sixteen double
// accumulators of the AVX2 kernel become two of eight lanes each (lane k of the first is s0's
// lane k for k < 4, s1's lane k - 4 beyond), which see the same values in the same order and
// are summed in the same order at the end; min and max keep the AVX2 kernel's two 8-lane
// halves (a tie between -0 and +0 must resolve the same way). What it saves is instructions:
// the test for Inf/NaN is one fpclass into a mask, the key one ternary-logic op and a
// narrowing move, the conversions and sums half as many. Measured on an AMD EPYC Zen 5 (one
// thread, 64 MiB of F32 in memory through computeStats, CPU time, best of 9, both kernels
// alternating in one process; load 4.6-4.8, so the absolute figures wander by 30%): 1.23-1.54
// times the AVX2 kernel's speed over three runs of four data sets (N(0, 0.02) 5.6-7.3 GB/s
// against 7.3-9.7), the same results bit for bit. Counting the keys 16 values behind their
// store gave 1.01-1.15 times AVX2, 32 behind 1.09-1.33, 64 behind 1.2-1.6, 128 and 256 no
// more than 64, and counting a block's keys after its vector pass 0.6-1.0 times.
// GCC 12's AVX-512 headers start some intrinsics (set1, cvtps_pd, reduce_add) from a
// deliberately undefined vector, which -Wmaybe-uninitialized reports (GCC bug 105593, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma"))) bool
finiteFloatBlockAvx512(const std::byte *p, std::size_t n, Partial &acc, std::uint32_t *bins)
{
    if (n % 16 != 0 || n > kBlock)
        return false;
    const __m512i signBit = _mm512_set1_epi32(std::int32_t(0x80000000u));
    const __m512i one = _mm512_set1_epi32(1);
    __m512i zeros = _mm512_setzero_si512();
    __m256 vmin = _mm256_set1_ps(std::numeric_limits<float>::infinity());
    __m256 vmax = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    float pivotValue;
    std::memcpy(&pivotValue, p, sizeof pivotValue);
    const __m512d pivot = _mm512_set1_pd(double(pivotValue));
    __m512d s01 = _mm512_setzero_pd();
    __m512d s23 = s01;
    __m512d q01 = s01;
    __m512d q23 = s01;
    alignas(64) std::uint16_t keys[kBlock];
    // Keys are counted 64 values after their store (see above: 16 behind, as in the AVX2
    // kernel, the loads seem to catch the 32-byte store still in flight).
    constexpr std::size_t kLag = 64;
    for (std::size_t i = 0; i < n; i += 16) {
        const __m512 x = _mm512_loadu_ps(reinterpret_cast<const float *>(p + 4 * i));
        // fpclass 0x99: quiet NaN, +Inf, -Inf, signalling NaN.
        if (_mm512_fpclass_ps_mask(x, 0x99) != 0) {
            const std::size_t counted = i >= kLag ? i - kLag : 0; // counting lags kLag values behind
            for (std::size_t j = 0; j < counted; ++j)
                --bins[keys[j]];
            return false;
        }
        const __m256 x0 = _mm256_loadu_ps(reinterpret_cast<const float *>(p + 4 * i));
        const __m256 x1 = _mm256_loadu_ps(reinterpret_cast<const float *>(p + 4 * (i + 8)));
        // fpclass 0x06: +0, -0.
        zeros = _mm512_mask_add_epi32(zeros, _mm512_fpclass_ps_mask(x, 0x06), zeros, one);
        vmin = _mm256_min_ps(vmin, _mm256_min_ps(x0, x1));
        vmax = _mm256_max_ps(vmax, _mm256_max_ps(x0, x1));
        const __m512d d01 = _mm512_sub_pd(_mm512_cvtps_pd(x0), pivot);
        const __m512d d23 = _mm512_sub_pd(_mm512_cvtps_pd(x1), pivot);
        s01 = _mm512_add_pd(s01, d01);
        s23 = _mm512_add_pd(s23, d23);
        q01 = _mm512_fmadd_pd(d01, d01, q01);
        q23 = _mm512_fmadd_pd(d23, d23, q23);
        // orderKey: b ^ ((b >> 31) | sign), 0x1e being A ^ (B | C); then the top halves.
        const __m512i b = _mm512_castps_si512(x);
        const __m512i k = _mm512_srli_epi32(_mm512_ternarylogic_epi32(b, _mm512_srai_epi32(b, 31), signBit, 0x1e), 16);
        _mm256_store_si256(reinterpret_cast<__m256i *>(keys + i), _mm512_cvtepi32_epi16(k));
        if (i >= kLag)
            countKeys16(keys + i - kLag, bins);
    }
    for (std::size_t i = n >= kLag ? n - kLag : 0; i < n; i += 16)
        countKeys16(keys + i, bins);

    alignas(32) float mins[8];
    alignas(32) float maxs[8];
    _mm256_store_ps(mins, vmin);
    _mm256_store_ps(maxs, vmax);
    const std::uint64_t zeroCount = std::uint64_t(_mm512_reduce_add_epi32(zeros));
    float mn = mins[0];
    float mx = maxs[0];
    for (int k = 0; k < 8; ++k) {
        mn = std::min(mn, mins[k]);
        mx = std::max(mx, maxs[k]);
    }
    // (s0 + s1) + (s2 + s3), lane by lane, then the four lanes in order, as in the AVX2 kernel.
    alignas(32) double sums[4];
    _mm256_store_pd(sums, _mm256_add_pd(_mm256_add_pd(_mm512_castpd512_pd256(s01), _mm512_extractf64x4_pd(s01, 1)),
                                        _mm256_add_pd(_mm512_castpd512_pd256(s23), _mm512_extractf64x4_pd(s23, 1))));
    alignas(32) double squares[4];
    _mm256_store_pd(squares, _mm256_add_pd(_mm256_add_pd(_mm512_castpd512_pd256(q01), _mm512_extractf64x4_pd(q01, 1)),
                                           _mm256_add_pd(_mm512_castpd512_pd256(q23), _mm512_extractf64x4_pd(q23, 1))));
    mergeBlock(acc, pivotValue, n, sums, squares, mn, mx, zeroCount);
    return true;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

bool haveAvx2()
{
    static const bool have = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return have;
}

bool haveAvx512()
{
    static const bool have = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
            && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && haveAvx2();
    return have;
}
#endif

FloatKernel g_floatKernel = FloatKernel::Best;

void floatBlock(Unaligned<float> p, std::size_t n, Partial &acc, std::uint32_t *bins)
{
#if defined(__x86_64__)
    const FloatKernel k = g_floatKernel;
    if (k == FloatKernel::Best && haveAvx512()) {
        if (finiteFloatBlockAvx512(p.p, n, acc, bins))
            return;
    } else if (k == FloatKernel::Avx512) {
        if (finiteFloatBlockAvx512(p.p, n, acc, bins))
            return;
    } else if (k != FloatKernel::Generic && haveAvx2()) {
        if (finiteFloatBlockAvx2(p.p, n, acc, bins))
            return;
    }
#endif
    wideBlock(p, n, acc, bins);
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

// Sources cut chunks at multiples of these, which must hold whole blocks of the widest values.
static_assert(StreamReader::kChunkGranule % (kBlock * 8) == 0 && kReportBytes % (kBlock * 8) == 0);

// Bytes that hold whole elements: one element, or the 8 elements of a packed sub-byte group
// (4 bits: 4 bytes; 6 bits: 6 bytes). Chunks of a tensor are cut at multiples of it.
std::size_t unitBytes(Dtype dtype)
{
    const int bits = codeBits(dtype);
    return bits % 8 ? std::size_t(bits) : std::size_t(dtypeBits(dtype) / 8);
}

// A tensor's bytes, handed to the kernels chunk by chunk, in order: from memory (a mapping,
// or data already read) or streamed from a file. Chunks are multiples of the dtype's unit
// and of kBlock values, so that blocks fall on the same values whichever source feeds them
// and the results are bit for bit the same.
class Source
{
public:
    virtual ~Source() = default;
    virtual std::uint64_t size() const = 0;
    // Feeds [from, from + length) to consume; false when cancelled or on a read error (then
    // `error` says why, naming the file, unless cancelled).
    virtual bool visit(std::uint64_t from, std::uint64_t length, std::size_t unit, JobContext *job, bool progress,
                       const StreamReader::Consumer &consume, QString &error) const = 0;
};

class MemorySource : public Source
{
public:
    explicit MemorySource(std::span<const std::byte> data) : m_data(data) {}
    std::uint64_t size() const override { return m_data.size(); }
    bool visit(std::uint64_t from, std::uint64_t length, std::size_t unit, JobContext *job, bool progress,
               const StreamReader::Consumer &consume, QString &) const override
    {
        const std::byte *begin = m_data.data() + from;
        const std::byte *end = begin + length;
        ReadAhead readAhead(begin, end);
        const std::size_t step = std::max(unit, kReportBytes / unit * unit);
        for (const std::byte *p = begin; p < end;) {
            readAhead.at(p);
            if (job && job->isCanceled())
                return false;
            const std::size_t n = std::size_t(std::min<std::uint64_t>(step, std::uint64_t(end - p)));
            consume({p, n});
            p += n;
            if (job && progress)
                job->advance(n);
        }
        return true;
    }

private:
    std::span<const std::byte> m_data;
};

class FileSource : public Source
{
public:
    explicit FileSource(const StreamReader &reader) : m_reader(reader) {}
    std::uint64_t size() const override { return m_reader.size(); }
    bool visit(std::uint64_t from, std::uint64_t length, std::size_t unit, JobContext *job, bool progress,
               const StreamReader::Consumer &consume, QString &error) const override
    {
        auto status = m_reader.read(from, length, unit, job, consume, progress);
        if (!status && !(job && job->isCanceled()))
            error = status.errorString();
        return status.ok();
    }

private:
    const StreamReader &m_reader;
};

// Moments, counts and key histogram of a wide type, block after block.
class WideCounter
{
public:
    // 32-bit key counters, flushed into the slot's 64-bit totals: weights touch a few thousand
    // keys, whose 32-bit counters stay in L1 where 64-bit ones spill to L2.
    WideCounter(Dtype dtype, Partial &acc, BinSlot &slot) : m_dtype(dtype), m_acc(acc), m_counts(slot.counts), m_bins(slot.totals)
    {
        m_counts.resize(std::size_t(1) << 16);
        m_bins.resize(std::size_t(1) << 16);
    }

    std::uint64_t valueBytes() const { return m_dtype == Dtype::C64 ? 4 : std::uint64_t(dtypeBits(m_dtype) / 8); }

    // A chunk of whole values, a multiple of kBlock values but the tensor's last.
    void feed(const std::byte *data, std::uint64_t count)
    {
        const std::uint64_t width = valueBytes();
        for (std::uint64_t done = 0; done < count;) {
            const std::size_t n = std::size_t(std::min<std::uint64_t>(count - done, kBlock));
            if (m_sinceFlush + n > kFlushValues)
                flush();
            const std::byte *p = data + done * width;
            std::uint32_t *bins = m_counts.data();
            switch (m_dtype) {
            case Dtype::F32:
            case Dtype::C64: floatBlock(Unaligned<float>{p}, n, m_acc, bins); break;
            case Dtype::F64: wideBlock(Unaligned<double>{p}, n, m_acc, bins); break;
            case Dtype::I32: wideBlock(Unaligned<std::int32_t>{p}, n, m_acc, bins); break;
            case Dtype::U32: wideBlock(Unaligned<std::uint32_t>{p}, n, m_acc, bins); break;
            case Dtype::I64: wideBlock(Unaligned<std::int64_t>{p}, n, m_acc, bins); break;
            case Dtype::U64: wideBlock(Unaligned<std::uint64_t>{p}, n, m_acc, bins); break;
            default: break;
            }
            done += n;
            m_sinceFlush += n;
        }
    }

    void flush()
    {
        for (std::size_t i = 0; i < m_counts.size(); ++i)
            m_bins[i] += m_counts[i];
        std::fill(m_counts.begin(), m_counts.end(), 0);
        m_sinceFlush = 0;
    }

private:
    Dtype m_dtype;
    Partial &m_acc;
    std::vector<std::uint32_t> &m_counts; // zero between ranges
    std::vector<std::uint64_t> &m_bins;
    std::uint64_t m_sinceFlush = 0;
};

// Processes bytes [from, from + length) of the tensor (whole units) into `acc`, its counts
// into `slot`.
void processRange(Dtype dtype, const Source &source, std::uint64_t from, std::uint64_t length, Partial &acc, BinSlot &slot,
                  JobContext *job)
{
    const std::size_t unit = unitBytes(dtype);
    bool ok = true;
    if (isNarrow(dtype)) {
        const int bits = codeBits(dtype);
        slot.totals.resize(std::size_t(1) << bits);
        CodeHistogram codes(bits, slot.totals);
        ok = source.visit(from, length, unit, job, true, [&](std::span<const std::byte> chunk) {
            const std::uint64_t count = std::uint64_t(chunk.size()) * 8 / std::uint64_t(bits);
            codes.add(chunk.data(), count);
            acc.values += count;
            return true;
        }, acc.error);
    } else {
        WideCounter counter(dtype, acc, slot);
        const std::uint64_t width = counter.valueBytes();
        ok = source.visit(from, length, unit, job, true, [&](std::span<const std::byte> chunk) {
            counter.feed(chunk.data(), chunk.size() / width);
            return true;
        }, acc.error);
        counter.flush();
    }
    if (!ok)
        acc.canceled = acc.error.isEmpty();
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
    into.canceled = into.canceled || from.canceled;
    if (into.error.isEmpty())
        into.error = from.error;
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
// max from the first pass are exact already. Two sequential passes over the source (the sums
// run in value order, so the chunking does not change them). False when cancelled or on a
// read error (then in `error`).
bool exactDoublePass(const Source &source, TensorStats &s, JobContext *job, QString &error)
{
    int exponent = 0;
    std::frexp(std::max(std::abs(s.min), std::abs(s.max)), &exponent);
    const double unit = std::ldexp(1.0, -exponent);
    const std::uint64_t bytes = source.size() / sizeof(double) * sizeof(double);
    const auto forEach = [&](auto &&f) {
        return source.visit(0, bytes, sizeof(double), job, false, [&](std::span<const std::byte> chunk) {
            for (std::size_t i = 0; i + sizeof(double) <= chunk.size(); i += sizeof(double)) {
                double v;
                std::memcpy(&v, chunk.data() + i, sizeof v);
                if (std::isfinite(v))
                    f(v * unit);
            }
            return true;
        }, error);
    };
    double sum = 0;
    double comp = 0; // Neumaier compensation
    if (!forEach([&](double x) {
            const double t = sum + x;
            comp += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
            sum = t;
        }))
        return false;
    const double mean = (sum + comp) / double(s.finite);
    const double lo = s.min * unit;
    const double hi = s.max * unit;
    double m2 = 0;
    s.histogram.fill(0);
    if (!forEach([&](double x) {
            m2 += (x - mean) * (x - mean);
            ++s.histogram[std::size_t(binOf(x, lo, hi))];
        }))
        return false;
    s.mean = mean / unit;
    s.std = std::sqrt(m2 / double(s.finite)) / unit;
    s.histogramExact = true;
    return true;
}

// Bins every finite value of a wide type exactly over [s.min, s.max], replacing the key
// histogram. Returns false when cancelled.
template<typename T>
bool exactHistogram(std::span<const std::byte> data, TensorStats &s, JobContext *job)
{
    const Unaligned<T> p{data.data()};
    const std::size_t count = data.size() / sizeof(T);
    std::array<std::uint64_t, TensorStats::kBins> bins{};
    constexpr std::size_t kCancelCheck = std::size_t(1) << 20;
    for (std::size_t i = 0; i < count; ++i) {
        if (i % kCancelCheck == 0 && job && job->isCanceled())
            return false;
        const double v = double(p[i]);
        if (std::isfinite(v))
            ++bins[std::size_t(binOf(v, s.min, s.max))];
    }
    s.histogram = bins;
    s.histogramExact = true;
    return true;
}

bool exactWideHistogram(Dtype dtype, std::span<const std::byte> data, TensorStats &s, JobContext *job)
{
    switch (dtype) {
    case Dtype::F32:
    case Dtype::C64: return exactHistogram<float>(data, s, job);
    case Dtype::F64: return exactHistogram<double>(data, s, job);
    case Dtype::I32: return exactHistogram<std::int32_t>(data, s, job);
    case Dtype::U32: return exactHistogram<std::uint32_t>(data, s, job);
    case Dtype::I64: return exactHistogram<std::int64_t>(data, s, job);
    case Dtype::U64: return exactHistogram<std::uint64_t>(data, s, job);
    default: return true;
    }
}

// Up to this size a wide tensor's histogram gets a second, exact pass: the data are still in
// the cache, so it costs a few milliseconds, and most tensors a user looks at are this small.
// Beyond it the one-pass key histogram stands (a value within 0.4% of a bin edge may land in
// the neighbouring bin), as a second pass over gigabytes would double the time.
constexpr std::size_t kExactHistogramBytes = std::size_t(16) << 20;

} // namespace

namespace {

// The one-pass statistics of a source, split over the pool, and the F64 second pass.
Result<TensorStats> statsOf(Dtype dtype, const Source &source, JobContext *job, QThreadPool *pool)
{
    const std::uint64_t size = source.size();
    if (job)
        job->addTotal(size);

    // Ranges of at least 64 MiB, so that each range's histogram merge is negligible, and about
    // four per thread rather than one: a thread that is slowed down (by another program, or
    // by page faults) then delays the result by a quarter of its share, not all of it. Whole
    // blocks of wide values, so that sums split the same way whatever the source.
    if (!pool)
        pool = computePool();
    const std::uint64_t tasks = 4 * std::uint64_t(std::max(1, pool->maxThreadCount()));
    const std::uint64_t unit = isNarrow(dtype) ? unitBytes(dtype) : unitBytes(dtype) * kBlock;
    const std::uint64_t whole = size / unitBytes(dtype) * unitBytes(dtype);
    std::vector<StreamReader::Range> ranges;
    const std::uint64_t minBytes = std::uint64_t(64) << 20;
    std::uint64_t each = std::max(minBytes, (whole + tasks - 1) / tasks);
    each = (each + unit - 1) / unit * unit;
    for (std::uint64_t at = 0; at < whole; at += each)
        ranges.push_back({at, std::min(each, whole - at)});
    // Sub-byte types: a last, partial group of packed elements still holds whole values.
    if (whole < size && isNarrow(dtype)) {
        if (ranges.empty())
            ranges.push_back({0, size});
        else
            ranges.back().length = size - ranges.back().from;
    }

    Partial total;
    BinSlots slots;
    if (ranges.size() <= 1) {
        if (!ranges.empty())
            processRange(dtype, source, ranges[0].from, ranges[0].length, total, *slots.acquire(), job);
    } else {
        std::vector<QFuture<Partial>> futures;
        for (const auto &r : ranges) {
            futures.push_back(QtConcurrent::run(pool, [&source, &slots, dtype, r, job] {
                Partial p;
                BinSlot *slot = slots.acquire();
                processRange(dtype, source, r.from, r.length, p, *slot, job);
                slots.release(slot);
                return p;
            }));
        }
        for (auto &f : futures)
            mergeInto(total, f.result());
    }
    total.bins = slots.sum();
    if (!total.error.isEmpty())
        return makeError(total.error);
    if (total.canceled || (job && job->isCanceled()))
        return makeError(QStringLiteral("statistics cancelled"));

    TensorStats stats = isNarrow(dtype) ? finishNarrow(dtype, total) : finishWide(total);
    if (dtype == Dtype::F64 && needsExactDoublePass(stats)) {
        QString error;
        if (!exactDoublePass(source, stats, job, error))
            return makeError(error.isEmpty() ? QStringLiteral("statistics cancelled") : error);
    }
    return stats;
}

} // namespace

bool setFloatKernel(FloatKernel kernel)
{
#if defined(__x86_64__)
    const bool supported = kernel == FloatKernel::Best || kernel == FloatKernel::Generic
            || (kernel == FloatKernel::Avx2 && haveAvx2()) || (kernel == FloatKernel::Avx512 && haveAvx512());
#else
    const bool supported = kernel == FloatKernel::Best || kernel == FloatKernel::Generic;
#endif
    if (supported)
        g_floatKernel = kernel;
    return supported;
}

Result<TensorStats> computeStats(Dtype dtype, std::span<const std::byte> data, JobContext *job, QThreadPool *pool)
{
    auto stats = statsOf(dtype, MemorySource(data), job, pool);
    if (stats && !stats->histogramExact && stats->finite && data.size() <= kExactHistogramBytes
        && !exactWideHistogram(dtype, data, *stats, job))
        return makeError(QStringLiteral("statistics cancelled"));
    return stats;
}

Result<TensorStats> computeStats(Dtype dtype, const StreamReader &reader, JobContext *job, QThreadPool *pool)
{
    // A small tensor is read whole, which leaves its exact histogram to a second pass in
    // memory; a large one streams, in buffers of the reader's chunk size per thread.
    if (reader.size() <= kExactHistogramBytes) {
        std::vector<std::byte> data(std::size_t(reader.size()));
        if (auto status = reader.readInto(0, data); !status)
            return status.error();
        return computeStats(dtype, std::span<const std::byte>(data), job, pool);
    }
    return statsOf(dtype, FileSource(reader), job, pool);
}

} // namespace tantra
