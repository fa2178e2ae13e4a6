#include "weightconversion.h"

#include "atomicfilewriter.h"
#include "computepool.h"
#include "floatrounding.h"
#include "jobcontext.h"
#include "safetensorsfile.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "streamreader.h"
#include "tensorcopy.h"
#include "tensorfilter.h"
#include "valuedecoder.h"

#include <QThreadPool>
#include <QFuture>
#include <QtConcurrent/QtConcurrentMap>

#include <algorithm>
#include <bit>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tantra {

namespace {

// Elements per chunk of a converted tensor: 512 KiB of f32 in, so that what a thread reads
// stays in its L2 cache until it is converted (4 MiB chunks cost 40 MB more RSS, no speed).
constexpr std::uint64_t kChunkElements = std::uint64_t(1) << 17;
constexpr std::uint64_t kBlock = 1024;

bool convertible(Dtype dtype)
{
    return dtypeIsFloat(dtype) && dtype != Dtype::C64;
}

struct ChunkStats
{
    std::uint64_t overflowed = 0;
    std::uint64_t flushed = 0;
    double maxAbsError = 0;
    CompensatedSum err2;
    CompensatedSum x2;

    void merge(const ChunkStats &o)
    {
        overflowed += o.overflowed;
        flushed += o.flushed;
        maxAbsError = std::max(maxAbsError, o.maxAbsError);
        err2.add(o.err2);
        x2.add(o.x2);
    }
};

struct Piece
{
    std::uint64_t from = 0; // elements
    std::uint64_t count = 0;
    std::vector<std::byte> in;
    std::vector<std::byte> out;
    ChunkStats stats;
    QString error;
};

void store(std::byte *out, std::uint64_t i, int width, std::uint32_t bits)
{
    switch (width) {
    case 1: out[i] = std::byte(bits); break;
    case 2: {
        const auto v = std::uint16_t(bits);
        std::memcpy(out + i * 2, &v, 2);
        break;
    }
    default: std::memcpy(out + i * 4, &bits, 4); break;
    }
}

// The error statistics of one block of F32 values `in` against their conversion decoded
// back to float (`decoded`): what both fast paths share. Branch-free so that it vectorises:
// GCC keeps a floating-point sum in order without -ffast-math, which kept this loop scalar;
// the simd reductions allow exactly that reordering and nothing else (-fopenmp-simd, no
// OpenMP runtime). Selections are bit masks, not conditionals, which the vectoriser refused
// as "control flow in loop".
// The difference is taken in float because it is exact there: the result is the input
// rounded to fewer significand bits, so their difference is a multiple of the input's f32
// ulp smaller than 2^13 of them (BF16, F16, and F16's subnormals alike). Its square and the
// input's square are exact in double. Counters stay 32-bit within a block (n <= kBlock).
[[gnu::always_inline]] inline void addBlockErrors(const std::byte *in, const float *decoded, std::size_t n, ChunkStats &stats)
{
    std::uint32_t overflowed = 0, flushed = 0;
    float maxError = 0;
    double e2 = 0, s2 = 0;
#pragma omp simd reduction(+ : overflowed, flushed, e2, s2) reduction(max : maxError)
    for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t b;
        std::memcpy(&b, in + i * 4, 4);
        const auto yb = std::bit_cast<std::uint32_t>(decoded[i]);
        const std::uint32_t xFinite = std::uint32_t((b & 0x7f800000u) != 0x7f800000u);
        const std::uint32_t yFinite = std::uint32_t((yb & 0x7f800000u) != 0x7f800000u);
        overflowed += xFinite & (yFinite ^ 1u);
        flushed += std::uint32_t((b & 0x7fffffffu) != 0) & std::uint32_t((yb & 0x7fffffffu) == 0);
        // Where either side is not finite both become 0: no error and no norm counted.
        const std::uint32_t bothMask = 0u - (xFinite & yFinite);
        const float x = std::bit_cast<float>(b & bothMask);
        const float d = std::fabs(x - std::bit_cast<float>(yb & bothMask));
        maxError = std::max(maxError, d);
        e2 += double(d) * double(d);
        s2 += double(x) * double(x);
    }
    stats.overflowed += overflowed;
    stats.flushed += flushed;
    stats.maxAbsError = std::max(stats.maxAbsError, double(maxError));
    stats.err2.add(e2);
    stats.x2.add(s2);
}

// F32 -> BF16 of one block (n <= kBlock): round to nearest even on the bits, NaN made quiet
// with its sign, as roundToDtype does.
__attribute__((target_clones("avx2", "default"))) void f32ToBf16Block(const std::byte *in, std::byte *out, std::size_t n,
                                                                      ChunkStats &stats)
{
    alignas(32) float decoded[kBlock];
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t b;
        std::memcpy(&b, in + i * 4, 4);
        const std::uint32_t nanMask = 0u - std::uint32_t((b & 0x7fffffffu) > 0x7f800000u);
        const std::uint32_t rounded = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
        const std::uint32_t quiet = ((b >> 16) & 0x8000u) | 0x7fc0u;
        const auto r = std::uint16_t((rounded & ~nanMask) | (quiet & nanMask));
        std::memcpy(out + i * 2, &r, 2);
        decoded[i] = std::bit_cast<float>(std::uint32_t(r) << 16);
    }
    addBlockErrors(in, decoded, n, stats);
}

// Every code of an 8- or 16-bit target decoded once (256 or 65,536 doubles): decoding the
// result back, for its error, went through scalbn for each value. Empty for F32.
const std::vector<double> &decodedCodes(Dtype target)
{
    const auto build = [](Dtype dtype) {
        const int bits = dtypeBits(dtype);
        std::vector<double> table(std::size_t(1) << bits);
        for (std::uint32_t code = 0; code < table.size(); ++code) {
            const std::byte b[2] = {std::byte(code), std::byte(code >> 8)};
            table[code] = decodeValue(dtype, b, 0);
        }
        return table;
    };
    static const std::vector<double> e4m3 = build(Dtype::F8_E4M3), e5m2 = build(Dtype::F8_E5M2), f16 = build(Dtype::F16),
                                     bf16 = build(Dtype::BF16), none;
    switch (target) {
    case Dtype::F8_E4M3: return e4m3;
    case Dtype::F8_E5M2: return e5m2;
    case Dtype::F16: return f16;
    case Dtype::BF16: return bf16;
    default: return none;
    }
}

#if defined(__x86_64__)
// F32 -> F16 of one block on F16C: the instruction rounds to nearest even with subnormals
// and overflow to ±Inf, as numpy's astype(float16) and roundToDtype do; only NaN differs (it
// keeps the payload), so NaN lanes are rewritten to roundToDtype's quiet NaN with the sign.
__attribute__((target("avx2,f16c"))) void f32ToF16BlockF16c(const std::byte *in, std::byte *out, std::size_t n, ChunkStats &stats)
{
    alignas(32) float decoded[kBlock];
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(reinterpret_cast<const float *>(in + i * 4)), _MM_FROUND_TO_NEAREST_INT);
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + i * 2), h);
        _mm256_store_ps(decoded + i, _mm256_cvtph_ps(h));
    }
    if (i < n) {
        alignas(32) float tail[8] = {};
        alignas(16) std::uint16_t halves[8];
        std::memcpy(tail, in + i * 4, (n - i) * 4);
        const __m128i h = _mm256_cvtps_ph(_mm256_load_ps(tail), _MM_FROUND_TO_NEAREST_INT);
        _mm_store_si128(reinterpret_cast<__m128i *>(halves), h);
        std::memcpy(out + i * 2, halves, (n - i) * 2);
        _mm256_store_ps(tail, _mm256_cvtph_ps(h));
        std::memcpy(decoded + i, tail, (n - i) * 4);
    }
#pragma omp simd
    for (std::size_t k = 0; k < n; ++k) {
        std::uint32_t b;
        std::memcpy(&b, in + k * 4, 4);
        std::uint16_t r;
        std::memcpy(&r, out + k * 2, 2);
        const std::uint32_t nanMask = 0u - std::uint32_t((b & 0x7fffffffu) > 0x7f800000u);
        const auto fixed = std::uint16_t((std::uint32_t(r) & ~nanMask) | ((((b >> 16) & 0x8000u) | 0x7e00u) & nanMask));
        std::memcpy(out + k * 2, &fixed, 2);
    }
    addBlockErrors(in, decoded, n, stats);
}

bool hasF16c()
{
    static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
    return has;
}
#endif

void convertPiece(Piece &p, const StreamReader &reader, Dtype from, Dtype to, bool saturate)
{
    const int inBits = dtypeBits(from);
    const int outWidth = dtypeBits(to) / 8;
    const std::uint64_t inBytes = (p.count * std::uint64_t(inBits) + 7) / 8;
    // resize() to a size the buffer had before neither reallocates nor clears.
    p.in.resize(std::size_t(inBytes));
    p.out.resize(std::size_t(p.count) * std::size_t(outWidth));
    if (auto read = reader.readInto((p.from * std::uint64_t(inBits)) / 8, std::span<std::byte>(p.in.data(), p.in.size())); !read) {
        p.error = read.errorString();
        return;
    }
    if (from == Dtype::F32 && to == Dtype::BF16) {
        for (std::uint64_t e = 0; e < p.count; e += kBlock) {
            const std::size_t m = std::size_t(std::min(kBlock, p.count - e));
            f32ToBf16Block(p.in.data() + e * 4, p.out.data() + e * 2, m, p.stats);
        }
        return;
    }
#if defined(__x86_64__)
    if (from == Dtype::F32 && to == Dtype::F16 && hasF16c()) {
        for (std::uint64_t e = 0; e < p.count; e += kBlock) {
            const std::size_t m = std::size_t(std::min(kBlock, p.count - e));
            f32ToF16BlockF16c(p.in.data() + e * 4, p.out.data() + e * 2, m, p.stats);
        }
        return;
    }
#endif
    const Decoder decode(from, false);
    const std::vector<double> &decodeOut = decodedCodes(to);
    double x[kBlock];
    for (std::uint64_t e = 0; e < p.count; e += kBlock) {
        const std::size_t m = std::size_t(std::min(kBlock, p.count - e));
        decode.decode(p.in.data(), e, m, x);
        double err2 = 0, x2 = 0;
        for (std::size_t i = 0; i < m; ++i) {
            const RoundingOutcome r = roundToDtype(x[i], to, saturate);
            const std::uint32_t bits = r.bits;
            const bool overflowed = r.overflowed;
            const bool flushed = r.flushed;
            double y;
            if (!decodeOut.empty()) {
                y = decodeOut[bits];
            } else {
                const std::byte b[4] = {std::byte(bits), std::byte(bits >> 8), std::byte(bits >> 16), std::byte(bits >> 24)};
                y = decodeValue(to, b, 0);
            }
            store(p.out.data(), e + i, outWidth, bits);
            p.stats.overflowed += overflowed ? 1 : 0;
            p.stats.flushed += flushed ? 1 : 0;
            if (std::isfinite(x[i]) && std::isfinite(y)) {
                const double d = std::fabs(x[i] - y);
                p.stats.maxAbsError = std::max(p.stats.maxAbsError, d);
                err2 += d * d;
                x2 += x[i] * x[i];
            }
        }
        p.stats.err2.add(err2);
        p.stats.x2.add(x2);
    }
}

bool isSensitive(const TensorInfo &info)
{
    return info.shape.size() == 1 || info.name.find("norm") != std::string::npos;
}

} // namespace

std::uint64_t ConversionReport::convertedCount() const
{
    return std::uint64_t(std::count_if(tensors.begin(), tensors.end(), [](const TensorConversion &t) { return t.converted; }));
}

std::optional<Dtype> conversionTargetFromName(const QString &name)
{
    const QString n = name.toLower();
    if (n == QLatin1String("bf16") || n == QLatin1String("bfloat16"))
        return Dtype::BF16;
    if (n == QLatin1String("f16") || n == QLatin1String("fp16") || n == QLatin1String("float16"))
        return Dtype::F16;
    if (n == QLatin1String("f32") || n == QLatin1String("fp32") || n == QLatin1String("float32"))
        return Dtype::F32;
    if (n == QLatin1String("f8_e4m3") || n == QLatin1String("fp8_e4m3") || n == QLatin1String("e4m3"))
        return Dtype::F8_E4M3;
    if (n == QLatin1String("f8_e5m2") || n == QLatin1String("fp8_e5m2") || n == QLatin1String("e5m2"))
        return Dtype::F8_E5M2;
    return std::nullopt;
}

QString conversionTargetName(Dtype target)
{
    return QString::fromLatin1(dtypeName(target)).toLower();
}

std::vector<TensorShape> convertedShapes(const SafetensorsModel &source, const std::vector<bool> &selected, Dtype target)
{
    std::vector<TensorShape> shapes = tensorShapesOf(source);
    for (std::size_t i = 0; i < shapes.size() && i < selected.size(); ++i) {
        if (selected[i])
            shapes[i].dtype = target;
    }
    return shapes;
}

Result<std::vector<bool>> selectForConversion(const SafetensorsModel &source, const ConvertOptions &options)
{
    std::vector<TensorFilter> includes, excludes;
    for (const QString &p : options.include) {
        includes.emplace_back(p);
        if (!includes.back().isValid())
            return makeError(QStringLiteral("invalid --include pattern '%1': %2").arg(p, includes.back().errorString()));
    }
    for (const QString &p : options.exclude) {
        excludes.emplace_back(p);
        if (!excludes.back().isValid())
            return makeError(QStringLiteral("invalid --exclude pattern '%1': %2").arg(p, excludes.back().errorString()));
    }
    const auto &tensors = source.tensors();
    std::vector<bool> selected(tensors.size(), false);
    std::vector<bool> includeHitFloat(includes.size(), false);
    std::vector<std::string> includeHitOther(includes.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const TensorInfo &info = *tensors[i].info;
        bool included = includes.empty();
        for (std::size_t k = 0; k < includes.size(); ++k) {
            if (!includes[k].matches(info.name))
                continue;
            included = true;
            if (convertible(info.dtype))
                includeHitFloat[k] = true;
            else if (includeHitOther[k].empty())
                includeHitOther[k] = info.name;
        }
        const bool excluded = std::any_of(excludes.begin(), excludes.end(), [&](const TensorFilter &f) { return f.matches(info.name); });
        selected[i] = included && !excluded && convertible(info.dtype) && info.dtype != options.target
                && !(options.keepSensitive && isSensitive(info));
    }
    for (std::size_t k = 0; k < includes.size(); ++k) {
        if (includeHitFloat[k])
            continue;
        if (!includeHitOther[k].empty()) {
            const auto *t = source.find(includeHitOther[k]);
            return makeError(source.path(), QStringLiteral("--include '%1' selects no float tensor: %2 is %3, and integer and bool "
                                                           "tensors are copied unchanged")
                                                    .arg(options.include[int(k)], quoteName(includeHitOther[k]),
                                                         QString::fromLatin1(dtypeName(t->info->dtype))));
        }
        return makeError(source.path(), QStringLiteral("--include '%1' matches no tensor").arg(options.include[int(k)]));
    }
    return selected;
}

Result<ConversionReport> convertWeight(const SafetensorsModel &source, const QString &outPath, const ConvertOptions &options,
                                       JobContext *job, QThreadPool *pool)
{
    if (!isConversionTarget(options.target))
        return makeError(QStringLiteral("cannot convert to %1: the targets are bf16, f16, f32, f8_e4m3 and f8_e5m2")
                                 .arg(QString::fromLatin1(dtypeName(options.target))));
    auto selected = selectForConversion(source, options);
    if (!selected)
        return selected.error();
    if (!pool)
        pool = computePool();

    ConversionReport report;
    report.source = source.path();
    report.output = outPath;
    report.target = options.target;
    const auto &tensors = source.tensors();
    std::vector<TensorSpec> specs;
    specs.reserve(tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const TensorInfo &info = *tensors[i].info;
        TensorConversion t;
        t.name = info.name;
        t.from = info.dtype;
        t.to = (*selected)[i] ? options.target : info.dtype;
        t.converted = (*selected)[i];
        t.elements = info.elementCount();
        report.tensors.push_back(t);
        specs.push_back({info.name, t.to, info.shape});
        report.bytesBefore += info.byteSize();
    }

    Metadata metadata = source.weightMetadata();
    const auto setKey = [&](const std::string &key, const std::string &value) {
        for (auto &[k, v] : metadata)
            if (k == key) {
                v = value;
                return;
            }
        metadata.emplace_back(key, value);
    };
    QStringList how{QStringLiteral("dtype=%1").arg(conversionTargetName(options.target))};
    for (const QString &p : options.include)
        how << QStringLiteral("include=%1").arg(p);
    for (const QString &p : options.exclude)
        how << QStringLiteral("exclude=%1").arg(p);
    if (options.keepSensitive)
        how << QStringLiteral("keep-sensitive");
    if (!options.saturate)
        how << QStringLiteral("no-saturate");
    setKey("converted_from", (options.sourceName.isEmpty() ? source.path() : options.sourceName).toStdString());
    setKey("dtype", conversionTargetName(options.target).toStdString());
    setKey("conversion", how.join(QLatin1Char(' ')).toStdString());

    auto layout = layoutHeader(specs, metadata);
    if (!layout)
        return makeError(outPath, layout.errorString());
    report.bytesAfter = layout->dataSize;

    AtomicFileWriter file(outPath, options.durability);
    if (auto opened = file.open(); !opened)
        return opened.error();
    const auto fail = [&](const QString &message) {
        file.cancel();
        return makeError(outPath, message);
    };
    if (auto written = file.write(layout->bytes.constData(), std::size_t(layout->bytes.size())); !written)
        return written.error();
    if (job)
        job->addTotal(report.bytesBefore);

    const std::size_t group = std::size_t(std::max(1, pool->maxThreadCount())) * 4;
    std::vector<std::byte> copyBuffer;
    // Reused from group to group and tensor to tensor: fresh buffers would cost a page fault
    // and a memset per 4 KiB, measured at half of a conversion's time.
    std::vector<Piece> pieces(2 * group);
    std::vector<Piece *> batches[2];
    QFuture<void> running;
    for (std::size_t k = 0; k < layout->tensors.size(); ++k) {
        const std::size_t i = layout->order[k];
        const ModelTensor &mt = tensors[i];
        const TensorInfo &info = *mt.info;
        const StreamReader reader = source.reader(mt);
        TensorConversion &row = report.tensors[i];
        if (!row.converted) {
            auto copied = copyTensorBytes(reader, info.name, info.byteSize(), file, copyBuffer, job);
            if (!copied)
                return copied.error();
            if (!*copied)
                return fail(QStringLiteral("conversion cancelled"));
            continue;
        }
        ChunkStats total;
        const Dtype from = row.from;
        const Dtype to = row.to;
        const bool saturate = options.saturate;
        // Two sets of pieces: the pool converts one while this thread writes the other, so
        // neither the disk nor the cores wait for each other. Chunks start on whole bytes of
        // packed F4/F6 sources (kChunkElements is a multiple of 4).
        std::uint64_t at = 0;
        const auto launch = [&](int set) {
            batches[set].clear();
            for (std::size_t g = 0; g < group && at < row.elements; ++g) {
                Piece &p = pieces[std::size_t(set) * group + g];
                p.from = at;
                p.count = std::min(kChunkElements, row.elements - at);
                p.stats = {};
                p.error.clear();
                at += p.count;
                batches[set].push_back(&p);
            }
            running = QtConcurrent::map(pool, batches[set], [&reader, from, to, saturate](Piece *p) { convertPiece(*p, reader, from, to, saturate); });
        };
        int set = 0;
        launch(set);
        while (!batches[set].empty()) {
            running.waitForFinished();
            const int done = set;
            set ^= 1;
            if (!(job && job->isCanceled()))
                launch(set);
            else
                batches[set].clear();
            for (Piece *piece : batches[done]) {
                Piece &p = *piece;
                std::optional<Error> problem;
                if (!p.error.isEmpty())
                    problem = makeError(outPath, QStringLiteral("tensor %1: %2").arg(quoteName(info.name), p.error));
                else if (auto written = file.write(p.out.data(), p.out.size()); !written)
                    problem = written.error();
                if (problem) {
                    running.waitForFinished(); // the other set's pieces are still being filled
                    file.cancel();
                    return *problem;
                }
                total.merge(p.stats);
                if (job)
                    job->advance(p.in.size());
            }
            if (job && job->isCanceled()) {
                running.waitForFinished();
                return fail(QStringLiteral("conversion cancelled"));
            }
        }
        row.overflowed = total.overflowed;
        row.flushed = total.flushed;
        row.maxAbsError = total.maxAbsError;
        if (total.x2.value() > 0)
            row.relL2Error = std::sqrt(total.err2.value()) / std::sqrt(total.x2.value());
    }
    if (job && job->isCanceled())
        return fail(QStringLiteral("conversion cancelled"));
    if (auto committed = file.commit(); !committed)
        return committed.error();
    std::sort(report.tensors.begin(), report.tensors.end(), [](const TensorConversion &a, const TensorConversion &b) { return a.name < b.name; });
    return report;
}

} // namespace tantra
