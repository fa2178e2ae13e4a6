#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tantra {

// Exact counts of the codes (bit patterns) of a type of 16 bits or fewer: 2^bits 64-bit
// totals. For such types these counts describe the data completely, so the statistics derive
// everything else (min, max, sums, NaN/Inf/zero counts, the 64 bins) from them once at the
// end, and the per-value work is this one increment.
//
// Counting goes into 32-bit counters (half the cache of 64-bit ones), which are added into
// the totals at least every `flushValues` values, long before one could wrap; 16-bit codes
// without a dominant one go into 16-bit counters (which fit L1), a wrap carried into the
// totals as it happens.
class CodeHistogram
{
public:
    // 2^31: the most a 32-bit counter could then hold is half its range.
    static constexpr std::uint64_t kFlushValues = std::uint64_t(1) << 31;

    // `bits`: 4, 6, 8 or 16. `flushValues` (a multiple of 8, at most kFlushValues) is for
    // tests, which cannot afford billions of values to reach the real limit.
    explicit CodeHistogram(int bits, std::uint64_t flushValues = kFlushValues);
    // Counts into `totals` (2^bits of them, not cleared), which outlives the histogram: the
    // ranges of a pass that one thread runs in turn add into one vector.
    CodeHistogram(int bits, std::vector<std::uint64_t> &totals, std::uint64_t flushValues = kFlushValues);
    // Flushes what was counted into the totals; 16 bits: hands the (zeroed) counters to the
    // next histogram of this thread.
    ~CodeHistogram();
    CodeHistogram(const CodeHistogram &) = delete;
    CodeHistogram &operator=(const CodeHistogram &) = delete;

    // Counts `count` codes packed LSB first from `data` (whole bytes; for 4 and 6 bits a
    // multiple of 8 codes but in the last call).
    void add(const std::byte *data, std::uint64_t count);

    // The totals so far; flushes the 32-bit counters first.
    const std::vector<std::uint64_t> &totals();
    // The same, moved out (of a histogram with totals of its own); it is then spent.
    std::vector<std::uint64_t> takeTotals();

private:
    void flush();
    void count(const std::byte *data, std::uint64_t at, std::uint64_t n);

    int m_bits;
    std::size_t m_codes;
    std::uint64_t m_flushValues;
    std::vector<std::uint32_t> m_counts; // sub-histograms, m_codes each (16 bits: from the first dominant code on)
    std::vector<std::uint64_t> m_ownTotals;
    std::vector<std::uint64_t> *m_totals; // m_ownTotals or the caller's
    std::vector<std::uint16_t> m_scratch; // 16 bits: zeroed counters for dominantCode
    std::vector<std::uint16_t> m_counts16; // 16 bits without a dominant code; wraps carried into m_totals
    std::uint64_t m_sinceFlush = 0;
};

} // namespace tantra
