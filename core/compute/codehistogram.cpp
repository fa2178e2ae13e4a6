#include "codehistogram.h"

#include <algorithm>
#include <cstring>

namespace tantra {

namespace {

// Codes counted between checks of the 16-bit data for a dominant code.
constexpr std::uint64_t kStepBytes = std::uint64_t(4) << 20;

// ++bins[code] over a run of equal codes waits on the store of the previous increment; giving
// neighbouring values separate copies of the histogram (sub-histograms) hides that, but costs
// cache when no code dominates. Codes are unpacked from 64-bit loads, leaving the load units
// to the counters (10-50% faster than one load per code). Measured on this project's machine
// (AMD EPYC, Zen 3; one thread, 32-bit counters, see docs/PERFORMANCE.md), codes per second:
//   bf16 weights (2,800 distinct codes):  1 copy 2.9 G, 2 copies 2.9 G, 4 copies 2.2-2.5 G
//   f16 weights (16,000 distinct codes):  1 copy 2.2-2.4 G, 2 copies 1.7 G, 4 copies 1.4-1.5 G
//   bf16 with half the values zero:       1 copy 1.0 G, 2 copies 1.0-1.7 G, 4 copies 1.7-2.4 G
// For 8-bit codes, eight copies beat one by 2-5x.
template<int Subs, int Bits>
void countCodes(const std::byte *p, std::size_t n, std::uint32_t *bins)
{
    constexpr int kPerWord = 64 / Bits;
    constexpr std::size_t kCodes = std::size_t(1) << Bits;
    std::size_t i = 0;
    for (; i + kPerWord <= n; i += kPerWord) {
        std::uint64_t word; // little-endian, as everywhere in the format
        std::memcpy(&word, p + i * (Bits / 8), 8);
        for (int k = 0; k < kPerWord; ++k)
            ++bins[((word >> (Bits * k)) & (kCodes - 1)) + std::size_t(k % Subs) * kCodes];
    }
    for (; i < n; ++i) {
        std::uint16_t code = 0;
        std::memcpy(&code, p + i * (Bits / 8), Bits / 8);
        ++bins[code];
    }
}

// 16-bit codes without a dominant one: one 16-bit load per code and 16-bit counters (128 KiB
// for all 65,536 codes; the ~16,000 that f16 weights touch take 32 KB, within a 48 KiB L1d,
// where 32-bit counters take 64 KB), a counter that wraps to zero carrying 65,536 into the
// totals: `add word [mem], 1` sets the flags the rarely taken branch tests. Measured on
// an AMD EPYC Zen 5 (family 26; one thread, CPU time of the counting only, best of 9 with the
// variants alternating, load 4.4-4.7), codes per second against countCodes<1, 16> above:
//   each 1 MiB piece first copied to a buffer 79 bytes into a page, as StreamReader does:
//     bf16 weights 3.88-3.95 G against 3.53-3.60 G, f16 weights 3.21-3.31 G against 3.13-3.21 G;
//   pieces counted where they lie in a 128 MiB array (from DRAM):
//     bf16 3.72-3.89 G against 3.46-3.53 G, f16 3.03-3.14 G against 2.54-2.62 G.
// 64-bit loads with shifts into these 16-bit counters were slower (3.15-3.32 G on bf16), and
// per-code loads into 32-bit counters no faster than countCodes (3.14-3.62 G).
void countCodes16(const std::byte *p, std::size_t n, std::uint16_t *counts, std::uint64_t *totals)
{
    const auto one = [&](std::size_t i) {
        std::uint16_t code;
        std::memcpy(&code, p + 2 * i, 2);
        if (++counts[code] == 0) [[unlikely]]
            totals[code] += std::uint64_t(1) << 16;
    };
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        one(i);
        one(i + 1);
        one(i + 2);
        one(i + 3);
    }
    for (; i < n; ++i)
        one(i);
}

// Whether one 16-bit code is common enough that its increments would queue up: a sixteenth
// or more of the first 4,096 values (pruned weights: their zeros). `scratch` holds 65,536
// zero counters and is left zeroed.
bool dominantCode(const std::byte *p, std::size_t n, std::vector<std::uint16_t> &scratch)
{
    n = std::min<std::size_t>(n, 4096);
    std::uint16_t top = 0;
    const auto codeAt = [p](std::size_t i) {
        std::uint16_t c;
        std::memcpy(&c, p + 2 * i, 2);
        return c;
    };
    for (std::size_t i = 0; i < n; ++i)
        top = std::max(top, ++scratch[codeAt(i)]);
    for (std::size_t i = 0; i < n; ++i)
        scratch[codeAt(i)] = 0;
    return std::size_t(top) * 16 >= n && n > 0;
}

constexpr int kDominantCopies = 4;

// The 16-bit counters of a histogram, kept by its thread for the next one, all zero. A
// statistics pass over 1 GiB of bf16 makes eight histograms on two pool threads, and their
// 256 KiB of fresh counters (1 MiB more once a dominant code is seen) were zeroed and
// faulted in each time: 5% of the process's CPU in perf (memset and the page faults under it,
// `inspect --stats` on 1 GiB of bf16).
struct SpareCounters
{
    std::vector<std::uint32_t> copies;
    std::vector<std::uint16_t> scratch;
    std::vector<std::uint16_t> counts16;
};
thread_local SpareCounters t_spare;

// `spare` if it has `size` zeroed counters, else `size` new ones.
template<typename T>
std::vector<T> zeroedCounters(std::vector<T> &spare, std::size_t size)
{
    std::vector<T> out = std::move(spare);
    spare.clear();
    if (out.size() != size)
        out.assign(size, 0);
    return out;
}

int copiesFor(int bits)
{
    return bits == 8 ? 8 : bits == 16 ? kDominantCopies : 1;
}

} // namespace

CodeHistogram::CodeHistogram(int bits, std::uint64_t flushValues)
    : m_bits(bits),
      m_codes(std::size_t(1) << bits),
      m_flushValues(std::clamp<std::uint64_t>(flushValues / 8 * 8, 8, kFlushValues)),
      // 16 bits: the copies for a dominant code (1 MiB) only once one is seen. Data without
      // one never touch them, and zeroing them and summing them at the end cost ~0.6 ms of
      // CPU (page faults included) in every range of a pass.
      m_counts(bits == 16 ? 0 : std::size_t(copiesFor(bits)) * m_codes, 0),
      m_ownTotals(m_codes, 0),
      m_totals(&m_ownTotals)
{
    if (bits == 16) {
        m_scratch = zeroedCounters(t_spare.scratch, m_codes);
        m_counts16 = zeroedCounters(t_spare.counts16, m_codes);
    }
}

CodeHistogram::CodeHistogram(int bits, std::vector<std::uint64_t> &totals, std::uint64_t flushValues)
    : m_bits(bits),
      m_codes(std::size_t(1) << bits),
      m_flushValues(std::clamp<std::uint64_t>(flushValues / 8 * 8, 8, kFlushValues)),
      m_counts(bits == 16 ? 0 : std::size_t(copiesFor(bits)) * m_codes, 0),
      m_totals(&totals)
{
    if (totals.size() != m_codes)
        totals.resize(m_codes);
    if (bits == 16) {
        m_scratch = zeroedCounters(t_spare.scratch, m_codes);
        m_counts16 = zeroedCounters(t_spare.counts16, m_codes);
    }
}

CodeHistogram::~CodeHistogram()
{
    // Leaves the counters zeroed for the next histogram of this thread.
    if (m_sinceFlush && m_totals->size() == m_codes)
        flush();
    if (m_bits != 16)
        return;
    if (!m_scratch.empty())
        t_spare.scratch = std::move(m_scratch);
    if (!m_counts16.empty())
        t_spare.counts16 = std::move(m_counts16);
    if (!m_counts.empty())
        t_spare.copies = std::move(m_counts);
}

void CodeHistogram::add(const std::byte *data, std::uint64_t count)
{
    // Steps of whole bytes (8 codes make whole bytes of any width), none longer than the
    // flush interval, so that no counter holds more than that between flushes.
    const std::uint64_t maxStep = std::min(kStepBytes * 8 / std::uint64_t(m_bits) / 8 * 8, m_flushValues);
    for (std::uint64_t done = 0; done < count;) {
        const std::uint64_t step = std::min<std::uint64_t>(count - done, maxStep);
        if (m_sinceFlush + step > m_flushValues)
            flush();
        this->count(data, done, step);
        done += step;
        m_sinceFlush += step;
    }
}

const std::vector<std::uint64_t> &CodeHistogram::totals()
{
    flush();
    return *m_totals;
}

std::vector<std::uint64_t> CodeHistogram::takeTotals()
{
    flush();
    return std::move(*m_totals);
}

void CodeHistogram::flush()
{
    for (std::size_t i = 0; i < m_counts.size(); ++i)
        (*m_totals)[i % m_codes] += m_counts[i];
    std::fill(m_counts.begin(), m_counts.end(), 0);
    for (std::size_t i = 0; i < m_counts16.size(); ++i)
        (*m_totals)[i] += m_counts16[i];
    std::fill(m_counts16.begin(), m_counts16.end(), 0);
    m_sinceFlush = 0;
}

// Codes [at, at + n) of `data`.
void CodeHistogram::count(const std::byte *data, std::uint64_t at, std::uint64_t n)
{
    std::uint32_t *counts = m_counts.data();
    if (m_bits == 8) {
        countCodes<8, 8>(data + at, std::size_t(n), counts);
    } else if (m_bits == 16) {
        const std::byte *codes = data + at * 2;
        if (dominantCode(codes, std::size_t(n), m_scratch)) {
            if (m_counts.empty())
                m_counts = zeroedCounters(t_spare.copies, std::size_t(kDominantCopies) * m_codes);
            countCodes<kDominantCopies, 16>(codes, std::size_t(n), m_counts.data());
        } else {
            countCodes16(codes, std::size_t(n), m_counts16.data(), m_totals->data());
        }
    } else if (m_bits == 4) {
        for (std::uint64_t i = at; i < at + n; ++i) {
            const auto byte = std::to_integer<std::uint8_t>(data[i / 2]);
            ++counts[i % 2 ? byte >> 4 : byte & 0x0f];
        }
    } else { // 6 bits, four codes per three bytes
        for (std::uint64_t i = at; i < at + n; ++i) {
            const std::byte *g = data + (i / 4) * 3;
            const std::uint32_t word = std::to_integer<std::uint32_t>(g[0]) | (std::to_integer<std::uint32_t>(g[1]) << 8)
                    | (std::to_integer<std::uint32_t>(g[2]) << 16);
            ++counts[(word >> (6 * (i % 4))) & 0x3f];
        }
    }
}

} // namespace tantra
