#include "torchconversion.h"

#include "jobcontext.h"
#include "safetensorsfile.h"
#include "safetensorswriter.h"
#include "mappedfile.h"
#include "regularfile.h"
#include "torchcheckpoint.h"

#include <QFileInfo>
#include <QHash>
#include <QScopeGuard>

#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

namespace tantra {

QString torchSourceNote(const QString &checkpointPath)
{
    return QStringLiteral("converted from PyTorch checkpoint %1").arg(QFileInfo(checkpointPath).fileName());
}

QString safetensorsNameFor(const QString &checkpointPath)
{
    QString name = QFileInfo(checkpointPath).fileName();
    if (name.endsWith(QLatin1String(".index.json")))
        name.chop(int(qstrlen(".index.json")));
    const qsizetype dot = name.lastIndexOf(QLatin1Char('.'));
    if (dot > 0)
        name.truncate(dot);
    return (name.isEmpty() ? QStringLiteral("model") : name) + QStringLiteral(".safetensors");
}

Result<TorchConversion> convertTorchCheckpoint(const TorchCheckpoint &checkpoint, const QString &outPath, JobContext *job,
                                               const QString &sourceName, Durability durability)
{
    const auto &tensors = checkpoint.tensors();
    if (tensors.empty()) {
        QString problem = QStringLiteral("holds no tensors to convert");
        if (!checkpoint.notes().isEmpty())
            problem += QStringLiteral(" (%1)").arg(checkpoint.notes().join(QStringLiteral("; ")));
        return makeError(checkpoint.path(), problem);
    }
    std::vector<TensorSpec> specs;
    specs.reserve(tensors.size());
    for (const TorchTensor &t : tensors)
        specs.push_back(TensorSpec{t.name.toStdString(), t.dtype, t.shape});

    Metadata metadata{{"format", "pt"},
                      {"converted_from", (sourceName.isEmpty() ? QFileInfo(checkpoint.path()).fileName() : sourceName).toStdString()}};
    if (!checkpoint.stateDictKey().isEmpty())
        metadata.emplace_back("state_dict_key", checkpoint.stateDictKey().toStdString());

    // One descriptor per storage file (a shard set has several), opened on first use.
    struct Source
    {
        int fd = -1;
        std::uint64_t size = 0;
    };
    QHash<QString, Source> sources;
    const auto closeAll = qScopeGuard([&] {
        for (const Source &source : std::as_const(sources))
            ::close(source.fd);
    });
    const auto produce = [&](std::size_t index, const TensorSink &sink) -> Status {
        const TorchTensor &t = tensors[index];
        if (t.elementCount() == 0)
            return {};
        if (!t.isContiguous()) {
            auto bytes = checkpoint.contiguousBytes(index);
            if (!bytes)
                return bytes.error();
            return sink(std::as_bytes(std::span<const char>(bytes->constData(), std::size_t(bytes->size()))));
        }
        const TorchCheckpoint::Storage &s = checkpoint.storages().at(t.storage);
        const std::uint64_t es = std::uint64_t(dtypeBits(t.dtype) / 8);
        const std::uint64_t begin = t.storageOffset * es;
        const std::uint64_t length = t.byteSize();
        if (begin > s.size || length > s.size - begin)
            return makeError(s.file, QStringLiteral("tensor %1 reaches past its storage").arg(t.name));
        auto source = sources.find(s.file);
        if (source == sources.end()) {
            auto fd = openRegularFile(s.file);
            if (!fd)
                return fd.error();
            struct stat st;
            if (::fstat(*fd, &st) != 0) {
                const int error = errno;
                ::close(*fd);
                return makeError(s.file, QStringLiteral("cannot read file status: ") + systemErrorString(error));
            }
            source = sources.insert(s.file, Source{*fd, std::uint64_t(st.st_size)});
        }
        if (s.offset + begin + length > source->size)
            return makeError(s.file, QStringLiteral("the file ends inside tensor %1 (was it truncated?)").arg(t.name));
        return sink.copyRange(source->fd, s.file, s.offset + begin, length);
    };
    if (auto status = writeSafetensorsStreamed(outPath, specs, metadata, produce, job, durability); !status)
        return status.error();
    return TorchConversion{outPath, tensors.size(), checkpoint.tensorBytes()};
}

} // namespace tantra
