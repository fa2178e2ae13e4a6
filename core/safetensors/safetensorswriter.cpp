#include "safetensorswriter.h"

#include "atomicfilewriter.h"
#include "jobcontext.h"
#include "mappedfile.h"
#include "pathjoin.h"
#include "regularfile.h"
#include "safetensorsfile.h"

#include <QDir>
#include <QFile>

#include <algorithm>
#include <numeric>
#include <optional>
#include <set>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace tantra {

void appendJsonString(std::string &out, std::string_view text)
{
    static const char hex[] = "0123456789abcdef";
    out.push_back('"');
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0xf]);
            } else {
                out.push_back(ch);
            }
        }
    }
    out.push_back('"');
}

Result<HeaderLayout> layoutHeader(const std::vector<TensorSpec> &tensors, const Metadata &metadata)
{
    HeaderLayout layout;
    layout.order.resize(tensors.size());
    std::iota(layout.order.begin(), layout.order.end(), std::size_t(0));
    std::sort(layout.order.begin(), layout.order.end(), [&](std::size_t a, std::size_t b) {
        if (tensors[a].dtype != tensors[b].dtype)
            return tensors[a].dtype > tensors[b].dtype;
        return tensors[a].name < tensors[b].name;
    });

    std::string json = "{";
    if (!metadata.empty()) {
        Metadata sorted = metadata;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t i = 1; i < sorted.size(); ++i) {
            if (sorted[i].first == sorted[i - 1].first)
                return makeError(QStringLiteral("metadata key '%1' given twice").arg(QString::fromStdString(sorted[i].first)));
        }
        json += "\"__metadata__\":{";
        for (std::size_t i = 0; i < sorted.size(); ++i) {
            if (i)
                json.push_back(',');
            appendJsonString(json, sorted[i].first);
            json.push_back(':');
            appendJsonString(json, sorted[i].second);
        }
        json += "}";
    }

    std::uint64_t offset = 0;
    for (std::size_t k = 0; k < layout.order.size(); ++k) {
        const TensorSpec &spec = tensors[layout.order[k]];
        if (spec.name == "__metadata__")
            return makeError(QStringLiteral("a tensor cannot be called '__metadata__'"));
        std::uint64_t elements = 1;
        for (std::uint64_t d : spec.shape) {
            if (d != 0 && elements > UINT64_MAX / d / 64)
                return makeError(QStringLiteral("tensor %1: shape too large").arg(quoteName(spec.name)));
            elements *= d;
        }
        const std::uint64_t bits = elements * std::uint64_t(dtypeBits(spec.dtype));
        if (bits % 8)
            return makeError(QStringLiteral("tensor %1: %2 elements of %3 are not a whole number of bytes")
                                     .arg(quoteName(spec.name))
                                     .arg(elements)
                                     .arg(QString::fromLatin1(dtypeName(spec.dtype))));
        TensorInfo info;
        info.name = spec.name;
        info.dtype = spec.dtype;
        info.shape = spec.shape;
        info.begin = offset;
        info.end = offset + bits / 8;
        offset = info.end;

        if (k > 0 || !metadata.empty())
            json.push_back(',');
        appendJsonString(json, spec.name);
        json += ":{\"dtype\":\"";
        json += dtypeName(spec.dtype);
        json += "\",\"shape\":[";
        for (std::size_t d = 0; d < spec.shape.size(); ++d) {
            if (d)
                json.push_back(',');
            json += std::to_string(spec.shape[d]);
        }
        json += "],\"data_offsets\":[" + std::to_string(info.begin) + "," + std::to_string(info.end) + "]}";
        layout.tensors.push_back(std::move(info));
    }
    json += "}";
    {
        std::vector<std::string_view> names;
        for (const auto &t : tensors)
            names.emplace_back(t.name);
        std::sort(names.begin(), names.end());
        const auto dup = std::adjacent_find(names.begin(), names.end());
        if (dup != names.end())
            return makeError(QStringLiteral("tensor %1 given twice").arg(quoteName(*dup)));
    }
    json.append((8 - json.size() % 8) % 8, ' ');
    if (json.size() > kMaxHeaderLength)
        return makeError(QStringLiteral("the header would be %1 bytes, more than the format's limit of 100000000").arg(json.size()));

    const std::uint64_t n = json.size();
    layout.bytes.resize(qsizetype(8 + n));
    std::memcpy(layout.bytes.data(), &n, 8);
    std::memcpy(layout.bytes.data() + 8, json.data(), n);
    layout.dataSize = offset;
    return layout;
}

namespace {

std::vector<TensorSpec> specsOf(const std::vector<TensorWrite> &tensors)
{
    std::vector<TensorSpec> specs;
    specs.reserve(tensors.size());
    for (const auto &t : tensors)
        specs.push_back(TensorSpec{t.name, t.dtype, t.shape});
    return specs;
}

Status writeFile(const QString &path, const std::vector<TensorWrite> &tensors, const HeaderLayout &layout,
                 JobContext *job)
{
    for (std::size_t k = 0; k < layout.tensors.size(); ++k) {
        const TensorWrite &t = tensors[layout.order[k]];
        if (t.data.size() != layout.tensors[k].byteSize()) {
            return makeError(path, QStringLiteral("tensor %1: shape and dtype need %2 bytes, but %3 were given")
                                            .arg(quoteName(t.name))
                                            .arg(layout.tensors[k].byteSize())
                                            .arg(t.data.size()));
        }
    }
    AtomicFileWriter file(path);
    if (auto opened = file.open(); !opened)
        return opened;
    if (auto written = file.write(layout.bytes.constData(), std::size_t(layout.bytes.size())); !written)
        return written;
    if (job)
        job->addTotal(layout.dataSize);
    constexpr std::size_t kSlice = std::size_t(64) << 20;
    for (std::size_t k = 0; k < layout.tensors.size(); ++k) {
        const auto data = tensors[layout.order[k]].data;
        for (std::size_t pos = 0; pos < data.size(); pos += kSlice) {
            if (job && job->isCanceled())
                return makeError(path, QStringLiteral("cancelled; nothing was written"));
            const std::size_t n = std::min(kSlice, data.size() - pos);
            if (auto written = file.write(data.data() + pos, n); !written)
                return written;
            if (job)
                job->advance(n);
        }
    }
    return file.commit();
}

} // namespace

Status writeSafetensors(const QString &path, const std::vector<TensorWrite> &tensors, const Metadata &metadata,
                        JobContext *job)
{
    auto layout = layoutHeader(specsOf(tensors), metadata);
    if (!layout)
        return makeError(path, layout.errorString());
    return writeFile(path, tensors, *layout, job);
}

namespace {

// The sink of one tensor: counts what it is given against what the tensor needs, and keeps
// its own errors apart from the producer's (a write error names the output; a read error,
// returned by the producer, names its source).
class CountingSink : public TensorSink
{
public:
    CountingSink(AtomicFileWriter &file, const QString &path, const TensorInfo &info, JobContext *job)
        : m_file(file), m_path(path), m_info(info), m_needed(info.byteSize()), m_job(job)
    {
    }

    Status operator()(std::span<const std::byte> piece) const override
    {
        if (auto ok = admit(piece.size()); !ok)
            return ok;
        if (auto written = m_file.write(piece.data(), piece.size()); !written)
            return fail(written.error());
        advance(piece.size());
        return {};
    }

    Status copyRange(int fd, const QString &source, std::uint64_t offset, std::uint64_t length) const override
    {
        if (length > m_needed - m_written)
            return admit(length);
        constexpr std::uint64_t kStep = std::uint64_t(64) << 20;
        loff_t in = loff_t(offset);
        const int out = m_file.handle();
        bool copied = false;
        while (length > 0) {
            if (auto ok = admit(0); !ok)
                return ok;
            const ssize_t n = ::copy_file_range(fd, &in, out, nullptr, std::size_t(std::min(length, kStep)), 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && !copied && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
                return copyByReading(fd, source, std::uint64_t(in), length);
            if (n < 0)
                return fail(makeError(m_path, QStringLiteral("write failed: ") + systemErrorString(errno)));
            if (n == 0)
                return makeError(source, QStringLiteral("the file ends inside tensor %1 (was it truncated?)").arg(quoteName(m_info.name)));
            copied = true;
            length -= std::uint64_t(n);
            advance(std::uint64_t(n));
            if (auto moved = m_file.advancedExternally(std::uint64_t(n)); !moved)
                return fail(moved.error());
        }
        return {};
    }

    std::uint64_t written() const { return m_written; }
    const std::optional<Error> &error() const { return m_error; }

private:
    Status admit(std::uint64_t size) const
    {
        if (m_job && m_job->isCanceled())
            return fail(makeError(m_path, QStringLiteral("cancelled; nothing was written")));
        if (size > m_needed - m_written)
            return fail(makeError(m_path, QStringLiteral("tensor %1: more than the %2 bytes its shape and dtype need were given")
                                                  .arg(quoteName(m_info.name))
                                                  .arg(m_needed)));
        return {};
    }
    void advance(std::uint64_t size) const
    {
        m_written += size;
        if (m_job)
            m_job->advance(size);
    }
    Status fail(Error error) const
    {
        m_error = error;
        return error;
    }
    Status copyByReading(int fd, const QString &source, std::uint64_t offset, std::uint64_t length) const
    {
        std::vector<std::byte> buffer(std::size_t(std::min<std::uint64_t>(length, std::uint64_t(1) << 20)));
        while (length > 0) {
            const std::size_t want = std::size_t(std::min<std::uint64_t>(length, buffer.size()));
            const ssize_t n = ::pread(fd, buffer.data(), want, off_t(offset));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return makeError(source, QStringLiteral("read failed: ") + systemErrorString(errno));
            if (n == 0)
                return makeError(source, QStringLiteral("the file ends inside tensor %1 (was it truncated?)").arg(quoteName(m_info.name)));
            if (auto ok = (*this)(std::span<const std::byte>(buffer.data(), std::size_t(n))); !ok)
                return ok;
            offset += std::uint64_t(n);
            length -= std::uint64_t(n);
        }
        return {};
    }

    AtomicFileWriter &m_file;
    const QString &m_path;
    const TensorInfo &m_info;
    const std::uint64_t m_needed;
    JobContext *m_job;
    mutable std::uint64_t m_written = 0;
    mutable std::optional<Error> m_error;
};

} // namespace

Status writeSafetensorsStreamed(const QString &path, const std::vector<TensorSpec> &tensors, const Metadata &metadata,
                                const TensorProducer &produce, JobContext *job, Durability durability)
{
    auto layout = layoutHeader(tensors, metadata);
    if (!layout)
        return makeError(path, layout.errorString());
    AtomicFileWriter file(path, durability);
    if (auto opened = file.open(); !opened)
        return opened;
    if (auto written = file.write(layout->bytes.constData(), std::size_t(layout->bytes.size())); !written)
        return written;
    if (job)
        job->addTotal(layout->dataSize);
    for (std::size_t k = 0; k < layout->tensors.size(); ++k) {
        const TensorInfo &info = layout->tensors[k];
        const CountingSink sink(file, path, info, job);
        Status produced = produce(layout->order[k], sink);
        if (sink.error() || !produced)
            return sink.error() ? Status(*sink.error()) : produced;
        if (sink.written() != info.byteSize()) {
            return makeError(path, QStringLiteral("tensor %1: shape and dtype need %2 bytes, but %3 were given")
                                           .arg(quoteName(info.name))
                                           .arg(info.byteSize())
                                           .arg(sink.written()));
        }
    }
    return file.commit();
}

Status writeSparseSafetensors(const QString &path, const std::vector<TensorSpec> &tensors, const Metadata &metadata)
{
    auto layout = layoutHeader(tensors, metadata);
    if (!layout)
        return makeError(path, layout.errorString());
    AtomicFileWriter file(path);
    if (auto opened = file.open(); !opened)
        return opened;
    if (auto written = file.write(layout->bytes.constData(), std::size_t(layout->bytes.size())); !written)
        return written;
    if (auto resized = file.resize(std::uint64_t(layout->bytes.size()) + layout->dataSize); !resized)
        return resized;
    return file.commit();
}

Result<ShardSet> writeShardSet(const QString &folder, const QString &prefix, const std::vector<TensorWrite> &tensors,
                               std::uint64_t maxShardBytes, const Metadata &metadata)
{
    if (!QDir().mkpath(folder))
        return makeError(folder, QStringLiteral("cannot create the folder"));
    // Pack in name order so that a shard holds neighbouring layers, as transformers does.
    std::vector<std::size_t> order(tensors.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return tensors[a].name < tensors[b].name; });
    std::vector<std::vector<TensorWrite>> shards;
    std::uint64_t current = 0;
    std::uint64_t total = 0;
    for (std::size_t i : order) {
        const auto size = std::uint64_t(tensors[i].data.size());
        if (shards.empty() || (current + size > maxShardBytes && current > 0)) {
            shards.emplace_back();
            current = 0;
        }
        shards.back().push_back(tensors[i]);
        current += size;
        total += size;
    }
    if (shards.empty())
        shards.emplace_back();

    ShardSet result;
    std::vector<std::pair<std::string, QString>> weightMap;
    const int n = int(shards.size());
    for (int s = 0; s < n; ++s) {
        const QString name = QStringLiteral("%1-%2-of-%3.safetensors")
                                     .arg(prefix)
                                     .arg(s + 1, 5, 10, QLatin1Char('0'))
                                     .arg(n, 5, 10, QLatin1Char('0'));
        const QString path = joinPath(folder, name);
        auto status = writeSafetensors(path, shards[std::size_t(s)], metadata);
        if (!status)
            return status.error();
        result.shardPaths << path;
        for (const auto &t : shards[std::size_t(s)])
            weightMap.emplace_back(t.name, name);
    }
    result.indexPath = joinPath(folder, prefix + QStringLiteral(".safetensors.index.json"));
    if (auto written = writeShardIndex(result.indexPath, weightMap, total); !written)
        return written.error();
    return result;
}

Status writeShardIndex(const QString &path, const std::vector<std::pair<std::string, QString>> &weightMap, std::uint64_t totalSize)
{
    std::string entries;
    for (const auto &[tensor, file] : weightMap) {
        entries += entries.empty() ? "\n    " : ",\n    ";
        appendJsonString(entries, tensor);
        entries += ": ";
        appendJsonString(entries, file.toStdString());
    }
    std::string index = "{\n  \"metadata\": {\n    \"total_size\": " + std::to_string(totalSize) + "\n  },\n  \"weight_map\": {"
            + entries + "\n  }\n}\n";
    AtomicFileWriter file(path);
    if (auto opened = file.open(); !opened)
        return opened;
    if (auto written = file.write(index.data(), index.size()); !written)
        return written;
    return file.commit();
}

} // namespace tantra
