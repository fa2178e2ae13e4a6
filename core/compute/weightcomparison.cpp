#include "weightcomparison.h"

#include "computepool.h"
#include "jobcontext.h"
#include "safetensorsmodel.h"
#include "streamreader.h"
#include "tensorstats.h"
#include "valuedecoder.h"
#include "tensorfilter.h"

#include <QRegularExpression>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentMap>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>

namespace tantra {

namespace {

// Elements per kernel block: the decoded values of both sides (up to 2 x 2,048 doubles for
// C64) stay in L1 between the decode and the kernel.
constexpr std::uint64_t kBlockElements = 1024;

// Sums of one block in plain double: a few thousand terms lose nothing that matters, and the
// block totals go into CompensatedSum.
struct BlockSums
{
    double absDiff = 0, diff2 = 0, a2 = 0, b2 = 0, dot = 0, maxAbs = 0, check = 0;
    std::uint64_t notClose = 0, valueDiffering = 0;
};

// One range's (then one tensor's) accumulated comparison.
struct Partial
{
    std::uint64_t differing = 0;      // bitwise, same dtype; decoded values when retyped
    std::uint64_t valueDiffering = 0; // decoded values differ (two NaNs equal)
    std::uint64_t nonfinite = 0;
    std::uint64_t finitePairs = 0;
    std::uint64_t notClose = 0;
    CompensatedSum absDiff, diff2, a2, b2, dot;
    double maxAbs = -1; // none yet
    std::uint64_t maxAbsValue = 0; // value index (element index times values per element)
    bool allEqual = true;          // every byte equal (only meaningful for the same dtype)
    bool canceled = false;
    QString error;

    void addBlock(const BlockSums &s)
    {
        absDiff.add(s.absDiff);
        diff2.add(s.diff2);
        a2.add(s.a2);
        b2.add(s.b2);
        dot.add(s.dot);
        notClose += s.notClose;
    }

    void merge(const Partial &o)
    {
        differing += o.differing;
        valueDiffering += o.valueDiffering;
        nonfinite += o.nonfinite;
        finitePairs += o.finitePairs;
        notClose += o.notClose;
        absDiff.add(o.absDiff);
        diff2.add(o.diff2);
        a2.add(o.a2);
        b2.add(o.b2);
        dot.add(o.dot);
        // Ranges merge in order, so on a tie the earlier (first) element is kept.
        if (o.maxAbs > maxAbs) {
            maxAbs = o.maxAbs;
            maxAbsValue = o.maxAbsValue;
        }
        allEqual = allEqual && o.allEqual;
        canceled = canceled || o.canceled;
        if (error.isEmpty())
            error = o.error;
    }
};


// The kernel for blocks of finite pairs, in kLanes independent sums the compiler turns into
// vector operations (it may not reorder one double sum). `check` ends NaN when a value is
// not finite (x - x is NaN for NaN and ±Inf): the block then goes through slowBlock instead.
// Cloned for AVX2, where it runs 4 doubles per instruction instead of SSE2's 2.
constexpr int kLanes = 8;
__attribute__((target_clones("avx2", "default"))) BlockSums fastBlock(const double *x, const double *y,
                                                                       std::size_t n, double rtol, double atol)
{
    double absDiff[kLanes] = {}, diff2[kLanes] = {}, a2[kLanes] = {}, b2[kLanes] = {}, dot[kLanes] = {};
    double maxAbs[kLanes] = {}, check[kLanes] = {};
    std::uint64_t notClose[kLanes] = {}, differ[kLanes] = {};
    for (std::size_t i = 0; i + kLanes <= n; i += kLanes) {
        for (int l = 0; l < kLanes; ++l) {
            const double a = x[i + std::size_t(l)];
            const double b = y[i + std::size_t(l)];
            const double d = a - b;
            const double ad = std::fabs(d);
            absDiff[l] += ad;
            diff2[l] += d * d;
            a2[l] += a * a;
            b2[l] += b * b;
            dot[l] += a * b;
            maxAbs[l] = ad > maxAbs[l] ? ad : maxAbs[l];
            check[l] += (a - a) + (b - b);
            notClose[l] += ad > atol + rtol * std::fabs(b) ? 1 : 0;
            differ[l] += a != b ? 1 : 0;
        }
    }
    BlockSums s;
    for (int l = 0; l < kLanes; ++l) {
        s.absDiff += absDiff[l];
        s.diff2 += diff2[l];
        s.a2 += a2[l];
        s.b2 += b2[l];
        s.dot += dot[l];
        s.maxAbs = std::max(s.maxAbs, maxAbs[l]);
        s.check += check[l];
        s.notClose += notClose[l];
        s.valueDiffering += differ[l];
    }
    return s;
}

// Any pairs, one at a time: non-finite values, and the tail of a tensor.
void slowBlock(const double *x, const double *y, std::size_t n, std::uint64_t firstValue, double rtol, double atol,
               Partial &p)
{
    BlockSums s;
    for (std::size_t i = 0; i < n; ++i) {
        const double a = x[i];
        const double b = y[i];
        const bool bothNan = std::isnan(a) && std::isnan(b);
        p.valueDiffering += a != b && !bothNan ? 1 : 0;
        if (!std::isfinite(a) || !std::isfinite(b)) {
            if (!bothNan && a != b)
                ++p.nonfinite;
            continue;
        }
        const double d = a - b;
        const double ad = std::fabs(d);
        s.absDiff += ad;
        s.diff2 += d * d;
        s.a2 += a * a;
        s.b2 += b * b;
        s.dot += a * b;
        s.notClose += ad > atol + rtol * std::fabs(b) ? 1 : 0;
        ++p.finitePairs;
        if (ad > p.maxAbs) {
            p.maxAbs = ad;
            p.maxAbsValue = firstValue + i;
        }
    }
    p.addBlock(s);
}

void compareBlock(const double *x, const double *y, std::size_t n, std::uint64_t firstValue, double rtol, double atol,
                  Partial &p)
{
    const std::size_t fast = n / kLanes * kLanes;
    const BlockSums s = fastBlock(x, y, fast, rtol, atol);
    if (s.check != s.check) { // a non-finite value: the whole block one by one
        slowBlock(x, y, n, firstValue, rtol, atol, p);
        return;
    }
    p.addBlock(s);
    p.valueDiffering += s.valueDiffering;
    p.finitePairs += fast;
    if (fast > 0 && s.maxAbs > p.maxAbs) {
        for (std::size_t i = 0; i < fast; ++i) {
            if (std::fabs(x[i] - y[i]) == s.maxAbs) {
                p.maxAbs = s.maxAbs;
                p.maxAbsValue = firstValue + i;
                break;
            }
        }
    }
    if (fast < n)
        slowBlock(x + fast, y + fast, n - fast, firstValue + fast, rtol, atol, p);
}

// Elements of a same-dtype chunk whose bits differ. Byte-aligned types compare each value's
// bytes (C64: each part's); F4/F6 have no NaN, and their codes map one to one onto (value,
// sign), so decoded values with the sign of zero decide.
std::uint64_t bitwiseDiffering(Dtype dtype, const std::byte *a, const std::byte *b, std::uint64_t elements,
                               const double *xa, const double *xb, bool useDecoded)
{
    if (useDecoded) {
        std::uint64_t n = 0;
        for (std::uint64_t i = 0; i < elements; ++i)
            n += xa[i] != xb[i] || std::signbit(xa[i]) != std::signbit(xb[i]) ? 1 : 0;
        return n;
    }
    const std::size_t width = dtype == Dtype::C64 ? 4 : std::size_t(dtypeBits(dtype) / 8);
    const std::uint64_t values = dtype == Dtype::C64 ? 2 * elements : elements;
    std::uint64_t n = 0;
    const auto count = [&](auto zero) {
        using T = decltype(zero);
        for (std::uint64_t i = 0; i < values; ++i) {
            T u, v;
            std::memcpy(&u, a + i * sizeof(T), sizeof(T));
            std::memcpy(&v, b + i * sizeof(T), sizeof(T));
            n += u != v ? 1 : 0;
        }
    };
    switch (width) {
    case 1: count(std::uint8_t(0)); break;
    case 2: count(std::uint16_t(0)); break;
    case 4: count(std::uint32_t(0)); break;
    default: count(std::uint64_t(0)); break;
    }
    return n;
}

// A tensor in both models with one shape: its values are compared.
struct Pair
{
    std::size_t row = 0; // in WeightComparison::tensors
    Dtype dtypeA = Dtype::F32;
    Dtype dtypeB = Dtype::F32;
    std::uint64_t elements = 0;
    StreamReader readerA;
    StreamReader readerB;
    std::uint64_t chunkElements = 0;

    bool sameDtype() const { return dtypeA == dtypeB; }
    bool pairs() const { return dtypeA == Dtype::C64 || dtypeB == Dtype::C64; }
};

std::uint64_t bytesOf(Dtype dtype, std::uint64_t elements)
{
    return (elements * std::uint64_t(dtypeBits(dtype)) + 7) / 8;
}

// A range of one pair's elements, compared by one task of the pool.
struct WorkItem
{
    const Pair *pair = nullptr;
    std::uint64_t from = 0; // elements, a multiple of the pair's chunk
    std::uint64_t count = 0;
    bool detect = true;     // bytes only, until the first difference
    bool progress = true;
    Partial result;
};

enum class Pass { Detect, Full };

// Streams the item's elements from both files, a chunk of each at a time.
void runItem(WorkItem &item, double rtol, double atol, JobContext *job)
{
    const Pair &pair = *item.pair;
    Partial &p = item.result;
    const bool pairs = pair.pairs();
    const std::size_t vp = pairs ? 2 : 1;
    const Decoder decodeA(pair.dtypeA, pairs);
    const Decoder decodeB(pair.dtypeB, pairs);
    const std::uint64_t chunk = std::min(pair.chunkElements, item.count);
    std::vector<std::byte> bufA(std::size_t(bytesOf(pair.dtypeA, chunk)));
    std::vector<std::byte> bufB(std::size_t(bytesOf(pair.dtypeB, chunk)));
    std::vector<double> xa(std::size_t(kBlockElements * vp));
    std::vector<double> xb(std::size_t(kBlockElements * vp));
    const bool subByte = dtypeBits(pair.dtypeA) < 8;

    // Bytes already reported as progress: a restart after the first difference reads the
    // chunks before it again without counting them twice.
    std::uint64_t reportedTo = item.from;
    Pass pass = item.detect && pair.sameDtype() ? Pass::Detect : Pass::Full;
    for (std::uint64_t at = item.from; at < item.from + item.count;) {
        if (job && job->isCanceled()) {
            p.canceled = true;
            return;
        }
        const std::uint64_t n = std::min(chunk, item.from + item.count - at);
        const std::uint64_t lenA = bytesOf(pair.dtypeA, n);
        const std::uint64_t lenB = bytesOf(pair.dtypeB, n);
        const std::span<std::byte> spanA(bufA.data(), std::size_t(lenA));
        const std::span<std::byte> spanB(bufB.data(), std::size_t(lenB));
        // Chunk starts are multiples of 4 elements, so a packed F4/F6 chunk starts on a byte.
        const auto readA = pair.readerA.readInto(bytesOf(pair.dtypeA, at), spanA);
        const auto readB = readA ? pair.readerB.readInto(bytesOf(pair.dtypeB, at), spanB) : readA;
        if (!readB) {
            p.error = readB.errorString();
            return;
        }
        if (job && item.progress && at >= reportedTo) {
            job->advance(lenA + lenB);
            reportedTo = at + n;
        }
        const bool equal = pair.sameDtype() && std::memcmp(bufA.data(), bufB.data(), std::size_t(lenA)) == 0;
        if (pass == Pass::Detect) {
            if (equal) {
                at += n;
                continue;
            }
            // The first difference: the numbers need every chunk, so start the range over.
            pass = Pass::Full;
            p.allEqual = false;
            at = item.from;
            continue;
        }
        p.allEqual = p.allEqual && equal;
        for (std::uint64_t e = 0; e < n; e += kBlockElements) {
            const std::size_t m = std::size_t(std::min(kBlockElements, n - e));
            decodeA.decode(bufA.data(), e, m, xa.data());
            // Equal bytes decode to equal values: decode once.
            const double *yb = xa.data();
            if (!equal) {
                decodeB.decode(bufB.data(), e, m, xb.data());
                yb = xb.data();
            }
            compareBlock(xa.data(), yb, m * vp, (at + e) * vp, rtol, atol, p);
            if (!equal && pair.sameDtype() && subByte)
                p.differing += bitwiseDiffering(pair.dtypeA, nullptr, nullptr, m, xa.data(), xb.data(), true);
        }
        if (!equal && pair.sameDtype() && !subByte)
            p.differing += bitwiseDiffering(pair.dtypeA, bufA.data(), bufB.data(), n, nullptr, nullptr, false);
        at += n;
    }
}

std::vector<std::uint64_t> multiIndex(std::uint64_t flat, const std::vector<std::uint64_t> &shape)
{
    std::vector<std::uint64_t> index(shape.size(), 0);
    for (std::size_t d = shape.size(); d-- > 0;) {
        if (shape[d] == 0)
            break;
        index[d] = flat % shape[d];
        flat /= shape[d];
    }
    return index;
}

void finish(TensorComparison &row, const Pair &pair, const Partial &p, const std::vector<std::uint64_t> &shape)
{
    row.valuesCompared = true;
    row.nonfiniteMismatch = p.nonfinite;
    if (pair.sameDtype() && p.allEqual) {
        row.status = CompareStatus::Identical;
        row.differing = 0;
        row.maxAbsDiff = 0.0;
        row.meanAbsDiff = 0.0;
        row.relL2 = 0.0;
        row.cosine = 1.0;
        row.nonfiniteMismatch = 0;
        return;
    }
    row.differing = pair.sameDtype() ? p.differing : p.valueDiffering;
    if (p.finitePairs > 0) {
        row.maxAbsDiff = p.maxAbs;
        row.maxAbsDiffIndex = multiIndex(p.maxAbsValue / (pair.pairs() ? 2 : 1), shape);
        row.meanAbsDiff = p.absDiff.value() / double(p.finitePairs);
    }
    const double normA = std::sqrt(p.a2.value());
    const double normB = std::sqrt(p.b2.value());
    if (normA > 0)
        row.relL2 = std::sqrt(p.diff2.value()) / normA;
    if (normA > 0 && normB > 0)
        row.cosine = p.dot.value() / normA / normB;
    if (!pair.sameDtype())
        row.status = CompareStatus::Retyped;
    else
        row.status = p.notClose == 0 && p.nonfinite == 0 ? CompareStatus::Close : CompareStatus::Changed;
}

} // namespace

const char *compareStatusName(CompareStatus status)
{
    switch (status) {
    case CompareStatus::Identical: return "identical";
    case CompareStatus::Close: return "close";
    case CompareStatus::Changed: return "changed";
    case CompareStatus::Retyped: return "retyped";
    case CompareStatus::Reshaped: return "reshaped";
    case CompareStatus::Added: return "added";
    case CompareStatus::Removed: return "removed";
    }
    return "?";
}

std::array<std::uint64_t, kCompareStatusCount> WeightComparison::counts() const
{
    std::array<std::uint64_t, kCompareStatusCount> n{};
    for (const auto &t : tensors)
        ++n[std::size_t(t.status)];
    return n;
}

bool WeightComparison::identical() const
{
    return metadata.empty()
        && std::all_of(tensors.begin(), tensors.end(), [](const auto &t) { return t.status == CompareStatus::Identical; });
}

bool WeightComparison::equalWithinTolerance() const
{
    return metadata.empty() && std::all_of(tensors.begin(), tensors.end(), [](const auto &t) {
               return t.status == CompareStatus::Identical || t.status == CompareStatus::Close;
           });
}

Result<WeightComparison> compareWeights(const SafetensorsModel &a, const SafetensorsModel &b,
                                        const CompareOptions &options, JobContext *job, QThreadPool *pool)
{
    const TensorFilter filter(options.filter);
    if (!filter.isValid())
        return makeError(QStringLiteral("invalid filter regular expression: ") + filter.errorString());
    std::vector<std::pair<QRegularExpression, QString>> renames;
    for (const auto &[pattern, replacement] : options.renameB) {
        QRegularExpression re(pattern);
        if (!re.isValid())
            return makeError(QStringLiteral("invalid --map pattern '%1': %2").arg(pattern, re.errorString()));
        renames.emplace_back(std::move(re), replacement);
    }

    // Names on both sides; B's after renaming, which must stay distinct.
    std::map<std::string, const ModelTensor *> inA;
    std::map<std::string, std::pair<const ModelTensor *, std::string>> inB;
    for (const auto &t : a.tensors())
        if (filter.matches(t.info->name))
            inA.emplace(t.info->name, &t);
    for (const auto &t : b.tensors()) {
        std::string name = t.info->name;
        if (!renames.empty()) {
            QString renamed = QString::fromStdString(name);
            for (const auto &[re, replacement] : renames)
                renamed.replace(re, replacement);
            name = renamed.toStdString();
        }
        if (!filter.matches(name))
            continue;
        const auto [it, inserted] = inB.emplace(name, std::make_pair(&t, name == t.info->name ? std::string() : t.info->name));
        if (!inserted) {
            const std::string &other = it->second.second.empty() ? name : it->second.second;
            return makeError(b.path(), QStringLiteral("--map renames tensors %1 and %2 both to %3")
                                               .arg(quoteName(other), quoteName(t.info->name), quoteName(name)));
        }
    }

    WeightComparison result;
    std::vector<Pair> pairs;
    std::vector<std::vector<std::uint64_t>> pairShapes;
    auto ia = inA.begin();
    auto ib = inB.begin();
    while (ia != inA.end() || ib != inB.end()) {
        TensorComparison row;
        const bool takeA = ib == inB.end() || (ia != inA.end() && ia->first <= ib->first);
        const bool takeB = ia == inA.end() || (ib != inB.end() && ib->first <= ia->first);
        const ModelTensor *ta = takeA ? ia->second : nullptr;
        const ModelTensor *tb = takeB ? ib->second.first : nullptr;
        row.name = takeA ? ia->first : ib->first;
        if (takeB)
            row.nameB = ib->second.second;
        if (ta) {
            row.dtypeA = ta->info->dtype;
            row.shapeA = ta->info->shape;
        }
        if (tb) {
            row.dtypeB = tb->info->dtype;
            row.shapeB = tb->info->shape;
        }
        if (!tb)
            row.status = CompareStatus::Removed;
        else if (!ta)
            row.status = CompareStatus::Added;
        else if (ta->info->shape != tb->info->shape)
            row.status = CompareStatus::Reshaped;
        else {
            Pair pair{result.tensors.size(), ta->info->dtype, tb->info->dtype, ta->info->elementCount(),
                      a.reader(*ta), b.reader(*tb), 0};
            // Chunks of about StreamReader::kChunkBytes on the wider side, a multiple of the
            // block and of 4 elements (whole bytes of F4 and F6 at every chunk start).
            const int bits = std::max(dtypeBits(pair.dtypeA), dtypeBits(pair.dtypeB));
            pair.chunkElements = std::max<std::uint64_t>(
                    kBlockElements, std::uint64_t(StreamReader::kChunkBytes) * 8 / std::uint64_t(bits) / kBlockElements * kBlockElements);
            pairs.push_back(std::move(pair));
            pairShapes.push_back(ta->info->shape);
        }
        result.tensors.push_back(std::move(row));
        if (takeA)
            ++ia;
        if (takeB)
            ++ib;
    }

    // Metadata, key by key.
    // The weights' metadata: a shard set's index metadata (total_size) is about its layout.
    const std::map<std::string, std::string> metaA(a.weightMetadata().begin(), a.weightMetadata().end());
    const std::map<std::string, std::string> metaB(b.weightMetadata().begin(), b.weightMetadata().end());
    for (const auto &[key, value] : metaA) {
        const auto other = metaB.find(key);
        if (other == metaB.end())
            result.metadata.push_back({key, value, std::nullopt});
        else if (other->second != value)
            result.metadata.push_back({key, value, other->second});
    }
    for (const auto &[key, value] : metaB)
        if (!metaA.count(key))
            result.metadata.push_back({key, std::nullopt, value});
    std::sort(result.metadata.begin(), result.metadata.end(),
              [](const MetadataChange &x, const MetadataChange &y) { return x.key < y.key; });
    for (const Pair &pair : pairs)
        if (!pair.sameDtype())
            result.tensors[pair.row].status = CompareStatus::Retyped;
    if (options.onProgress)
        options.onProgress(result, {});

    // Ranges over the pool: several per large tensor, and many small tensors side by side.
    if (!pool)
        pool = computePool();
    const std::uint64_t tasks = 4 * std::uint64_t(std::max(1, pool->maxThreadCount()));
    std::vector<WorkItem> items;
    std::vector<std::vector<std::size_t>> itemsOf(pairs.size());
    std::uint64_t totalBytes = 0;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        const Pair &pair = pairs[i];
        const std::uint64_t wideBytes = std::max(bytesOf(pair.dtypeA, pair.elements), bytesOf(pair.dtypeB, pair.elements));
        totalBytes += bytesOf(pair.dtypeA, pair.elements) + bytesOf(pair.dtypeB, pair.elements);
        std::uint64_t ranges = std::max<std::uint64_t>(1, std::min(tasks, wideBytes / std::max<std::uint64_t>(1, options.minRangeBytes)));
        std::uint64_t each = (pair.elements + ranges - 1) / ranges;
        each = std::max<std::uint64_t>(1, (each + pair.chunkElements - 1) / pair.chunkElements) * pair.chunkElements;
        for (std::uint64_t from = 0; from < pair.elements || (from == 0 && pair.elements == 0); from += each) {
            WorkItem item;
            item.pair = &pair;
            item.from = from;
            item.count = std::min(each, pair.elements - from);
            itemsOf[i].push_back(items.size());
            items.push_back(std::move(item));
            if (pair.elements == 0)
                break;
        }
    }
    if (job)
        job->addTotal(totalBytes);

    const double rtol = options.rtol;
    const double atol = options.atol;
    const auto run = [&](std::vector<WorkItem *> &batch) {
        QtConcurrent::blockingMap(pool, batch, [rtol, atol, job](WorkItem *item) { runItem(*item, rtol, atol, job); });
    };
    // Waves of consecutive pairs, so that a view sees rows fill while the job runs. A wave is
    // large enough (hundreds of MiB, or thousands of ranges) that waiting for its last range
    // costs little next to it; a large tensor is a wave of its own, split over the pool.
    constexpr std::size_t kWaveItems = 4096;
    std::vector<WorkItem *> batch;
    std::vector<std::size_t> waveRows;
    for (std::size_t first = 0; first < pairs.size();) {
        std::size_t last = first;
        std::uint64_t waveBytes = 0;
        batch.clear();
        while (last < pairs.size() && (last == first || (waveBytes < options.waveBytes && batch.size() < kWaveItems))) {
            waveBytes += bytesOf(pairs[last].dtypeA, pairs[last].elements) + bytesOf(pairs[last].dtypeB, pairs[last].elements);
            for (std::size_t id : itemsOf[last])
                batch.push_back(&items[id]);
            ++last;
        }
        if (!(job && job->isCanceled()))
            run(batch);

        // A tensor that differs in one range needs the numbers of its equal ranges too, which
        // the byte comparison skipped: those ranges run again, decoded (not counted as progress).
        batch.clear();
        for (std::size_t i = first; i < last; ++i) {
            const auto &ids = itemsOf[i];
            const bool anyDiffers = std::any_of(ids.begin(), ids.end(), [&](std::size_t id) { return !items[id].result.allEqual; });
            if (!anyDiffers)
                continue;
            for (std::size_t id : ids) {
                if (items[id].result.allEqual && items[id].result.error.isEmpty() && !items[id].result.canceled) {
                    items[id].detect = false;
                    items[id].progress = false;
                    items[id].result = Partial();
                    batch.push_back(&items[id]);
                }
            }
        }
        if (!batch.empty() && !(job && job->isCanceled()))
            run(batch);

        waveRows.clear();
        for (std::size_t i = first; i < last; ++i) {
            Partial total;
            for (std::size_t id : itemsOf[i])
                total.merge(items[id].result);
            if (!total.error.isEmpty())
                return makeError(QStringLiteral("tensor %1: %2").arg(quoteName(result.tensors[pairs[i].row].name), total.error));
            if (total.canceled || (job && job->isCanceled()))
                return makeError(QStringLiteral("comparison cancelled"));
            finish(result.tensors[pairs[i].row], pairs[i], total, pairShapes[i]);
            waveRows.push_back(pairs[i].row);
        }
        if (options.onProgress)
            options.onProgress(result, waveRows);
        first = last;
    }
    if (job && job->isCanceled())
        return makeError(QStringLiteral("comparison cancelled"));
    return result;
}

Result<TensorStats> differenceStats(const SafetensorsModel &a, const ModelTensor &ta, const SafetensorsModel &b,
                                    const ModelTensor &tb, JobContext *job)
{
    if (ta.info->shape != tb.info->shape)
        return makeError(QStringLiteral("tensors %1 and %2 have different shapes")
                                 .arg(quoteName(ta.info->name), quoteName(tb.info->name)));
    const Dtype dtypeA = ta.info->dtype;
    const Dtype dtypeB = tb.info->dtype;
    const bool pairs = dtypeA == Dtype::C64 || dtypeB == Dtype::C64;
    const std::size_t vp = pairs ? 2 : 1;
    const std::uint64_t elements = ta.info->elementCount();
    const int bits = std::max(dtypeBits(dtypeA), dtypeBits(dtypeB));
    const std::uint64_t chunk = std::max<std::uint64_t>(
            kBlockElements, std::uint64_t(StreamReader::kChunkBytes) * 8 / std::uint64_t(bits) / kBlockElements * kBlockElements);
    const StreamReader readerA = a.reader(ta);
    const StreamReader readerB = b.reader(tb);
    const Decoder decodeA(dtypeA, pairs);
    const Decoder decodeB(dtypeB, pairs);
    std::vector<std::byte> bufA(std::size_t(bytesOf(dtypeA, std::min(chunk, elements))));
    std::vector<std::byte> bufB(std::size_t(bytesOf(dtypeB, std::min(chunk, elements))));
    std::vector<double> xa(std::size_t(kBlockElements * vp));
    std::vector<double> xb(std::size_t(kBlockElements * vp));
    if (job)
        job->addTotal(2 * (bytesOf(dtypeA, elements) + bytesOf(dtypeB, elements)));

    // Calls visit(d) for every finite difference, and counts the other positions.
    const auto pass = [&](const auto &visit, std::uint64_t *nonfinite) -> Status {
        for (std::uint64_t at = 0; at < elements;) {
            if (job && job->isCanceled())
                return makeError(QStringLiteral("cancelled"));
            const std::uint64_t n = std::min(chunk, elements - at);
            const std::uint64_t lenA = bytesOf(dtypeA, n);
            const std::uint64_t lenB = bytesOf(dtypeB, n);
            auto read = readerA.readInto(bytesOf(dtypeA, at), std::span<std::byte>(bufA.data(), std::size_t(lenA)));
            if (read)
                read = readerB.readInto(bytesOf(dtypeB, at), std::span<std::byte>(bufB.data(), std::size_t(lenB)));
            if (!read)
                return read;
            for (std::uint64_t e = 0; e < n; e += kBlockElements) {
                const std::size_t m = std::size_t(std::min(kBlockElements, n - e));
                decodeA.decode(bufA.data(), e, m, xa.data());
                decodeB.decode(bufB.data(), e, m, xb.data());
                for (std::size_t i = 0; i < m * vp; ++i) {
                    if (std::isfinite(xa[i]) && std::isfinite(xb[i]))
                        visit(xa[i] - xb[i]);
                    else if (nonfinite)
                        ++*nonfinite;
                }
            }
            if (job)
                job->advance(lenA + lenB);
            at += n;
        }
        return {};
    };

    TensorStats s;
    s.values = elements * vp;
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    CompensatedSum sum;
    const Status first = pass(
            [&](double d) {
                lo = std::min(lo, d);
                hi = std::max(hi, d);
                sum.add(d);
                ++s.finite;
                s.zeros += d == 0 ? 1 : 0;
            },
            &s.nan);
    if (!first)
        return makeError(first.errorString());
    if (s.finite == 0)
        return s;
    s.min = lo;
    s.max = hi;
    s.mean = sum.value() / double(s.finite);
    CompensatedSum squares;
    const double mean = s.mean;
    const Status second = pass(
            [&](double d) {
                squares.add((d - mean) * (d - mean));
                const double f = hi > lo ? (d - lo) / (hi - lo) * TensorStats::kBins : 0;
                ++s.histogram[std::size_t(std::clamp(int(f), 0, TensorStats::kBins - 1))];
            },
            nullptr);
    if (!second)
        return makeError(second.errorString());
    s.std = std::sqrt(squares.value() / double(s.finite));
    s.histogramExact = true;
    return s;
}

} // namespace tantra
