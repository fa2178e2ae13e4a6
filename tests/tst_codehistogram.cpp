// CodeHistogram: exact counts of 4-, 6-, 8- and 16-bit codes against a count taken here one
// code at a time, whatever the data (a dominant code takes other copies of the counters), the
// pieces it is handed, and the flush of its 32-bit counters. The real flush interval is 2^31
// values, beyond a test's reach, so the rows near it use a small interval: counts of one code
// just below, at and above it, and pieces that end off it.

#include "codehistogram.h"
#include "testutil.h"

#include <QTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>

using namespace tantra;

namespace {

std::uint32_t codeAt(const QByteArray &bytes, std::uint64_t i, int bits)
{
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.constData());
    const std::uint64_t bit = i * std::uint64_t(bits);
    std::uint32_t word = p[bit / 8];
    if (bit % 8 + std::uint64_t(bits) > 8)
        word |= std::uint32_t(p[bit / 8 + 1]) << 8;
    return (word >> (bit % 8)) & ((1u << bits) - 1);
}

QByteArray repeated16(std::uint16_t code, int count)
{
    QByteArray out(qsizetype(count) * 2, Qt::Uninitialized);
    for (int i = 0; i < count; ++i)
        std::memcpy(out.data() + 2 * i, &code, 2);
    return out;
}

// bfloat16 codes of normally distributed weights (sd 0.02): a few thousand distinct codes.
QByteArray weights16(int count, std::uint32_t seed)
{
    std::mt19937 generator(seed);
    std::normal_distribution<float> dist(0.0f, 0.02f);
    QByteArray out(qsizetype(count) * 2, Qt::Uninitialized);
    for (int i = 0; i < count; ++i) {
        const auto code = std::uint16_t(std::bit_cast<std::uint32_t>(dist(generator)) >> 16);
        std::memcpy(out.data() + 2 * i, &code, 2);
    }
    return out;
}

// `distinct` codes in turn, `count` values: no code dominates, so they go to the 16-bit
// counters, and codes counted more than 65,535 times wrap them.
QByteArray cycled16(int distinct, int count)
{
    QByteArray out(qsizetype(count) * 2, Qt::Uninitialized);
    for (int i = 0; i < count; ++i) {
        const auto code = std::uint16_t(0x3c00 + 37 * (i % distinct));
        std::memcpy(out.data() + 2 * i, &code, 2);
    }
    return out;
}

} // namespace

class TestCodeHistogram : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void countsEveryCode_data();
    void countsEveryCode();
    void totalsCanBeReadBetweenPieces();
    void nextHistogramStartsFromZero_data();
    void nextHistogramStartsFromZero();
    void histogramsAddIntoSharedTotals();
};

void TestCodeHistogram::countsEveryCode_data()
{
    QTest::addColumn<int>("bits");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<quint64>("flushValues"); // 0: the real interval
    QTest::addColumn<int>("piece");           // codes per add(); 0: all at once

    const quint64 real = 0;
    QTest::newRow("16 bits, random, one piece") << 16 << test::randomBytes(2 * 100'003, 1) << real << 0;
    QTest::newRow("16 bits, weights, pieces of 777") << 16 << weights16(50'001, 2) << real << 777;
    constexpr int kFlush = 1024;
    // One code throughout: the dominant-code path (several counter copies), the counts of the
    // copies summed at each flush.
    for (const int count : {kFlush - 1, kFlush, kFlush + 1, 2 * kFlush + 1, 5 * kFlush + 3}) {
        QTest::addRow("16 bits, one code %d times, flush every %d", count, kFlush)
                << 16 << repeated16(0x3f80, count) << quint64(kFlush) << 0;
        QTest::addRow("16 bits, one code %d times, flush every %d, pieces of 100", count, kFlush)
                << 16 << repeated16(0x8000, count) << quint64(kFlush) << 100;
    }
    QByteArray pruned = weights16(20'000, 3);
    for (qsizetype i = 0; i < pruned.size(); i += 4)
        pruned[i] = pruned[i + 1] = 0;
    QTest::newRow("16 bits, half zeros, flush every 1024, pieces of 1000") << 16 << pruned << quint64(kFlush) << 1000;
    QTest::newRow("16 bits, weights, flush every 1024, pieces of 4096") << 16 << weights16(30'011, 4) << quint64(kFlush) << 4096;
    // The 16-bit counters: codes counted 65,535, 65,536 (one wrap) and 65,538 times, whole and
    // in pieces across the wrap, and with flushes between wraps.
    QTest::newRow("16 bits, 32 codes, 65,535-65,536 times each") << 16 << cycled16(32, 32 * 65'535 + 17) << real << 0;
    QTest::newRow("16 bits, 32 codes, 65,537-65,538 times each, pieces of 9,999")
            << 16 << cycled16(32, 32 * 65'537 + 8) << real << 9'999;
    QTest::newRow("16 bits, 32 codes, 131,073 times each, flush every 1,000,000")
            << 16 << cycled16(32, 32 * 131'073) << quint64(1'000'000) << 0;
    // Pieces without a dominant code, then with one (whose counter copies start there), then
    // without again, with flushes between.
    QTest::newRow("16 bits, weights, one code, weights, flush every 1024, pieces of 3000")
            << 16 << weights16(7'000, 8) + repeated16(0, 9'000) + weights16(7'000, 9) << quint64(kFlush) << 3'000;
    QTest::newRow("16 bits, 3 codes (a tail after the 64-bit words)") << 16 << QByteArray("\x01\x00\xff\xff\x01\x00", 6) << real << 0;
    QTest::newRow("8 bits, random") << 8 << test::randomBytes(70'001, 5) << real << 0;
    QTest::newRow("8 bits, one code, flush every 512, pieces of 100") << 8 << QByteArray(513 * 3, '\x7f') << quint64(512) << 100;
    QTest::newRow("6 bits, random, flush every 64, pieces of 40") << 6 << test::randomBytes(3 * 10'000, 6) << quint64(64) << 40;
    QTest::newRow("4 bits, random, flush every 64, pieces of 48") << 4 << test::randomBytes(10'001, 7) << quint64(64) << 48;
    QTest::newRow("4 bits, one code, flush every 8") << 4 << QByteArray(1000, '\x55') << quint64(8) << 0;
}

void TestCodeHistogram::countsEveryCode()
{
    QFETCH(int, bits);
    QFETCH(QByteArray, bytes);
    QFETCH(quint64, flushValues);
    QFETCH(int, piece);

    const std::uint64_t count = std::uint64_t(bytes.size()) * 8 / std::uint64_t(bits);
    std::vector<std::uint64_t> want(std::size_t(1) << bits);
    for (std::uint64_t i = 0; i < count; ++i)
        ++want[codeAt(bytes, i, bits)];

    CodeHistogram histogram(bits, flushValues ? flushValues : CodeHistogram::kFlushValues);
    const auto *p = reinterpret_cast<const std::byte *>(bytes.constData());
    const std::uint64_t step = piece ? std::uint64_t(piece) : count;
    for (std::uint64_t done = 0; done < count; done += step) {
        const std::uint64_t n = std::min(step, count - done);
        histogram.add(p + done * std::uint64_t(bits) / 8, n);
    }
    const std::vector<std::uint64_t> got = histogram.takeTotals();
    QCOMPARE(got.size(), want.size());
    for (std::size_t code = 0; code < want.size(); ++code)
        QVERIFY2(got[code] == want[code],
                 qPrintable(QStringLiteral("code 0x%1: counted %2, expected %3").arg(code, 0, 16).arg(got[code]).arg(want[code])));
}

void TestCodeHistogram::totalsCanBeReadBetweenPieces()
{
    // Reading the totals flushes; counting then goes on from there.
    CodeHistogram histogram(16, 64);
    const QByteArray bytes = repeated16(7, 100);
    const auto *p = reinterpret_cast<const std::byte *>(bytes.constData());
    histogram.add(p, 60);
    QCOMPARE(histogram.totals()[7], std::uint64_t(60));
    histogram.add(p, 100);
    QCOMPARE(histogram.totals()[7], std::uint64_t(160));
    QCOMPARE(histogram.totals()[0], std::uint64_t(0));
}

void TestCodeHistogram::nextHistogramStartsFromZero_data()
{
    QTest::addColumn<QByteArray>("first");
    QTest::addColumn<bool>("readTotals");
    // The 16-bit counters are kept by the thread for its next histogram: whatever the first one
    // left in them (counts not yet flushed when it was dropped midway, as a cancelled pass
    // drops it; the dominant-code copies) must not show up in the second's totals.
    QTest::newRow("weights, dropped unread") << weights16(30'000, 11) << false;
    QTest::newRow("weights, read") << weights16(30'000, 12) << true;
    QTest::newRow("one code (copies), dropped unread") << repeated16(0x3f80, 9'000) << false;
    QTest::newRow("weights then one code, dropped unread") << weights16(5'000, 13) + repeated16(0, 9'000) << false;
}

void TestCodeHistogram::nextHistogramStartsFromZero()
{
    QFETCH(QByteArray, first);
    QFETCH(bool, readTotals);
    {
        CodeHistogram dropped(16);
        dropped.add(reinterpret_cast<const std::byte *>(first.constData()), std::uint64_t(first.size() / 2));
        if (readTotals)
            QVERIFY(!dropped.takeTotals().empty());
    }
    const QByteArray bytes = weights16(20'000, 14) + repeated16(0x3f80, 5'000);
    std::vector<std::uint64_t> want(65536);
    for (std::uint64_t i = 0; i < std::uint64_t(bytes.size() / 2); ++i)
        ++want[codeAt(bytes, i, 16)];
    CodeHistogram next(16, 1024);
    next.add(reinterpret_cast<const std::byte *>(bytes.constData()), std::uint64_t(bytes.size() / 2));
    const std::vector<std::uint64_t> got = next.takeTotals();
    for (std::size_t code = 0; code < want.size(); ++code)
        QVERIFY2(got[code] == want[code],
                 qPrintable(QStringLiteral("code 0x%1: counted %2, expected %3").arg(code, 0, 16).arg(got[code]).arg(want[code])));
}

void TestCodeHistogram::histogramsAddIntoSharedTotals()
{
    // Two histograms in turn on the same totals (as the ranges of a statistics pass on one
    // thread): the totals hold both, the second's counts flushed when it ends.
    std::vector<std::uint64_t> totals;
    const QByteArray a = weights16(10'000, 15);
    const QByteArray b = cycled16(3, 70'000); // wraps no 16-bit counter, but crosses 65,536 in the totals
    {
        CodeHistogram h(16, totals);
        h.add(reinterpret_cast<const std::byte *>(a.constData()), std::uint64_t(a.size() / 2));
    }
    {
        CodeHistogram h(16, totals);
        h.add(reinterpret_cast<const std::byte *>(b.constData()), std::uint64_t(b.size() / 2));
    }
    std::vector<std::uint64_t> want(65536);
    for (const QByteArray *bytes : {&a, &b})
        for (std::uint64_t i = 0; i < std::uint64_t(bytes->size() / 2); ++i)
            ++want[codeAt(*bytes, i, 16)];
    QCOMPARE(totals.size(), want.size());
    QVERIFY(totals == want);
}

QTEST_GUILESS_MAIN(TestCodeHistogram)
#include "tst_codehistogram.moc"
