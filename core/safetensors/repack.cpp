#include "repack.h"

#include "atomicfilewriter.h"
#include "jobcontext.h"
#include "pathjoin.h"
#include "safetensorsfile.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "streamreader.h"
#include "tensorcopy.h"

#include <QDir>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace tantra {

namespace {

// Writes the tensors `indices` of `source` into one file at `path`, streamed.
Status writeFileOf(const SafetensorsModel &source, const std::vector<std::size_t> &indices, const QString &path,
                   std::vector<std::byte> &buffer, JobContext *job, Durability durability)
{
    const auto &tensors = source.tensors();
    std::vector<TensorSpec> specs;
    for (std::size_t i : indices)
        specs.push_back({tensors[i].info->name, tensors[i].info->dtype, tensors[i].info->shape});
    auto layout = layoutHeader(specs, source.weightMetadata());
    if (!layout)
        return makeError(path, layout.errorString());
    AtomicFileWriter file(path, durability);
    if (auto opened = file.open(); !opened)
        return opened;
    if (auto written = file.write(layout->bytes.constData(), std::size_t(layout->bytes.size())); !written)
        return written;
    for (std::size_t k = 0; k < layout->tensors.size(); ++k) {
        const ModelTensor &t = tensors[indices[layout->order[k]]];
        auto copied = copyTensorBytes(source.reader(t), t.info->name, t.info->byteSize(), file, buffer, job);
        if (!copied)
            return copied.error();
        if (!*copied)
            return makeError(path, QStringLiteral("cancelled; nothing was written"));
    }
    return file.commit();
}

std::uint64_t dataSize(const SafetensorsModel &source)
{
    std::uint64_t total = 0;
    for (const auto &t : source.tensors())
        total += t.info->byteSize();
    return total;
}

} // namespace

Result<RepackResult> mergeIntoFile(const SafetensorsModel &source, const QString &outPath, JobContext *job, Durability durability)
{
    std::vector<std::size_t> all(source.tensors().size());
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = i;
    RepackResult result;
    result.totalSize = dataSize(source);
    if (job)
        job->addTotal(result.totalSize);
    std::vector<std::byte> buffer;
    if (auto written = writeFileOf(source, all, outPath, buffer, job, durability); !written)
        return written.error();
    result.files << outPath;
    return result;
}

std::vector<std::vector<std::size_t>> planShards(const SafetensorsModel &source, std::uint64_t maxShardBytes)
{
    // Name order, so that a shard holds neighbouring layers, as transformers packs them.
    const auto &tensors = source.tensors();
    std::vector<std::size_t> order(tensors.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return tensors[a].info->name < tensors[b].info->name; });
    std::vector<std::vector<std::size_t>> shards;
    std::uint64_t current = 0;
    for (std::size_t i : order) {
        const std::uint64_t size = tensors[i].info->byteSize();
        if (shards.empty() || (current + size > maxShardBytes && current > 0)) {
            shards.emplace_back();
            current = 0;
        }
        shards.back().push_back(i);
        current += size;
    }
    if (shards.empty())
        shards.emplace_back();
    return shards;
}

Result<RepackResult> reshard(const SafetensorsModel &source, const QString &folder, std::uint64_t maxShardBytes, JobContext *job,
                             const QString &prefix, Durability durability)
{
    if (maxShardBytes == 0)
        return makeError(QStringLiteral("the largest shard size must be more than 0 bytes"));
    if (!QDir().mkpath(folder))
        return makeError(folder, QStringLiteral("cannot create the folder"));
    const QStringList existing = QDir(folder).entryList({QStringLiteral("*.safetensors"), QStringLiteral("*.safetensors.index.json")}, QDir::Files);
    if (!existing.isEmpty())
        return makeError(folder, QStringLiteral("holds safetensors files already (%1); give an empty or new folder").arg(existing.first()));

    const auto &tensors = source.tensors();
    const std::vector<std::vector<std::size_t>> shards = planShards(source, maxShardBytes);

    RepackResult result;
    result.totalSize = dataSize(source);
    if (job)
        job->addTotal(result.totalSize);
    std::vector<std::pair<std::string, QString>> weightMap;
    std::vector<std::byte> buffer;
    const int n = int(shards.size());
    const auto removeWritten = [&] {
        for (const QString &f : std::as_const(result.files))
            QFile::remove(f);
    };
    for (int s = 0; s < n; ++s) {
        const QString name = QStringLiteral("%1-%2-of-%3.safetensors").arg(prefix).arg(s + 1, 5, 10, QLatin1Char('0')).arg(n, 5, 10, QLatin1Char('0'));
        const QString path = joinPath(folder, name);
        if (auto written = writeFileOf(source, shards[std::size_t(s)], path, buffer, job, durability); !written) {
            removeWritten();
            return written.error();
        }
        result.files << path;
        for (std::size_t i : shards[std::size_t(s)])
            weightMap.emplace_back(tensors[i].info->name, name);
    }
    result.indexPath = joinPath(folder, prefix + QStringLiteral(".safetensors.index.json"));
    if (auto written = writeShardIndex(result.indexPath, weightMap, result.totalSize); !written) {
        removeWritten();
        return written.error();
    }
    return result;
}

std::optional<std::uint64_t> parseByteSize(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([KMGT]?)(i?)B?\\s*$"),
                                       QRegularExpression::CaseInsensitiveOption);
    const auto m = re.match(text);
    if (!m.hasMatch() || (m.captured(2).isEmpty() && !m.captured(3).isEmpty()))
        return std::nullopt;
    const double number = m.captured(1).toDouble();
    const QString unit = m.captured(2).toUpper();
    const double base = m.captured(3).isEmpty() ? 1000.0 : 1024.0;
    const int power = unit.isEmpty() ? 0 : unit == QLatin1String("K") ? 1 : unit == QLatin1String("M") ? 2 : unit == QLatin1String("G") ? 3 : 4;
    const double bytes = number * std::pow(base, power);
    if (!(bytes >= 1) || bytes > 1.8e19)
        return std::nullopt;
    return std::uint64_t(std::llround(bytes));
}

} // namespace tantra
