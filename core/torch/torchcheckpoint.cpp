#include "torchcheckpoint.h"

#include "printablename.h"
#include "regularfile.h"
#include "shardindex.h"
#include "torcharchive.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>

#include <cstring>

namespace tantra {

using Kind = PickleInterpreter::Kind;

std::uint64_t TorchTensor::elementCount() const
{
    std::uint64_t n = 1;
    for (auto d : shape)
        n *= d; // checked against overflow when the pickle was read
    return n;
}

std::uint64_t TorchTensor::byteSize() const
{
    return elementCount() * std::uint64_t(dtypeBits(dtype) / 8);
}

bool TorchTensor::isContiguous() const
{
    std::uint64_t expected = 1;
    for (std::size_t d = shape.size(); d-- > 0;) {
        if (shape[d] != 1 && stride[d] != expected)
            return false;
        expected *= shape[d];
    }
    return true;
}

std::uint64_t TorchCheckpoint::tensorBytes() const
{
    std::uint64_t total = 0;
    for (const auto &t : m_tensors)
        total += t.byteSize();
    return total;
}

Result<QByteArray> TorchCheckpoint::contiguousBytes(std::size_t index) const
{
    const TorchTensor &t = m_tensors.at(index);
    const Storage &s = m_storages.at(t.storage);
    const std::uint64_t es = std::uint64_t(dtypeBits(t.dtype) / 8);
    const std::uint64_t n = t.elementCount();
    if (n == 0)
        return QByteArray();
    // The elements it reaches, [offset, last]: checked to lie in the storage when read.
    std::uint64_t last = t.storageOffset;
    for (std::size_t d = 0; d < t.shape.size(); ++d)
        last += (t.shape[d] - 1) * t.stride[d];
    const std::uint64_t begin = t.storageOffset * es;
    const std::uint64_t length = (last - t.storageOffset + 1) * es;
    if (begin > s.size || length > s.size - begin)
        return makeError(s.file, QStringLiteral("tensor %1 reaches past its storage").arg(t.name));
    QFile file;
    if (auto opened = openRegularFile(file, s.file); !opened)
        return opened.error();
    if (!file.seek(qint64(s.offset + begin)))
        return makeError(s.file, QStringLiteral("cannot seek to tensor %1: %2").arg(t.name, file.errorString()));
    QByteArray run(qsizetype(length), Qt::Uninitialized);
    if (file.read(run.data(), qint64(length)) != qint64(length))
        return makeError(s.file, QStringLiteral("the file ends inside tensor %1 (was it truncated?)").arg(t.name));
    if (t.isContiguous())
        return run;

    // Strided (transposed, sliced): walk the index in row-major order, advancing the source
    // offset incrementally rather than recomputing it per element.
    QByteArray out(qsizetype(n * es), Qt::Uninitialized);
    const std::size_t dims = t.shape.size();
    std::vector<std::uint64_t> idx(dims, 0);
    std::uint64_t src = 0;
    char *dst = out.data();
    const char *from = run.constData();
    for (std::uint64_t k = 0; k < n; ++k) {
        std::memcpy(dst + k * es, from + src * es, es);
        for (std::size_t d = dims; d-- > 0;) {
            if (++idx[d] < t.shape[d]) {
                src += t.stride[d];
                break;
            }
            src -= (t.shape[d] - 1) * t.stride[d];
            idx[d] = 0;
        }
    }
    return out;
}

bool isTorchCheckpointName(const QString &path)
{
    const QString name = QFileInfo(path).fileName().toLower();
    for (const char *suffix : {".bin", ".pt", ".pth", ".ckpt", ".bin.index.json"})
        if (name.endsWith(QLatin1String(suffix)))
            return true;
    return false;
}

// Turns an interpreted pickle into a checkpoint: finds the state dict, takes its tensors, and
// notes what it leaves.
class TorchCheckpointReader
{
public:
    static Result<TorchCheckpoint> fromArchive(const QString &path, TorchArchive archive, const TorchReadOptions &options);
    static Result<TorchCheckpoint> fromIndex(const QString &path, const TorchReadOptions &options);

private:
    static QString text(const PickleInterpreter::Object &o) { return QString::fromUtf8(o.text.data(), qsizetype(o.text.size())); }
    static bool holdsTensors(const PickleInterpreter &p, const PickleInterpreter::Object &dict);
    static const PickleInterpreter::Object *value(const PickleInterpreter &p, const PickleInterpreter::Object &dict, const QString &key);
    static QString listIgnored(const QStringList &names);
};

bool TorchCheckpointReader::holdsTensors(const PickleInterpreter &p, const PickleInterpreter::Object &dict)
{
    for (std::size_t i = 1; i < dict.items.size(); i += 2)
        if (p.object(dict.items[i]).kind == Kind::Tensor)
            return true;
    return false;
}

const PickleInterpreter::Object *TorchCheckpointReader::value(const PickleInterpreter &p, const PickleInterpreter::Object &dict, const QString &key)
{
    const PickleInterpreter::Object *found = nullptr;
    for (std::size_t i = 0; i + 1 < dict.items.size(); i += 2) {
        const auto &k = p.object(dict.items[i]);
        if (k.kind == Kind::Str && text(k) == key)
            found = &p.object(dict.items[i + 1]); // the last one wins, as in Python
    }
    return found;
}

QString TorchCheckpointReader::listIgnored(const QStringList &names)
{
    const qsizetype shown = 20;
    QString list = names.mid(0, shown).join(QStringLiteral(", "));
    if (names.size() > shown)
        list += QStringLiteral(" and %1 more").arg(names.size() - shown);
    return list;
}

Result<TorchCheckpoint> TorchCheckpointReader::fromArchive(const QString &path, TorchArchive archive, const TorchReadOptions &options)
{
    const PickleInterpreter &p = archive.pickle;
    TorchCheckpoint checkpoint;
    checkpoint.m_path = path;
    checkpoint.m_format = archive.format;
    checkpoint.m_storages = std::move(archive.storages);

    const PickleInterpreter::Object *dict = &p.object(p.root());
    if (dict->kind != Kind::Dict)
        return makeError(path, QStringLiteral("the checkpoint holds a %1, not a dict of tensors").arg(QLatin1String(PickleInterpreter::kindName(dict->kind))));

    if (!options.key.isEmpty()) {
        // Keys may hold dots themselves ("encoder.layer"): at each level the longest prefix of
        // what is left that names a key wins.
        QString rest = options.key;
        while (!rest.isEmpty()) {
            const PickleInterpreter::Object *next = nullptr;
            QString taken = rest;
            while (true) {
                next = value(p, *dict, taken);
                if (next)
                    break;
                const qsizetype dot = taken.lastIndexOf(QLatin1Char('.'));
                if (dot <= 0)
                    break;
                taken = taken.left(dot);
            }
            if (!next)
                return makeError(path, QStringLiteral("--key %1: no key %2 at this level").arg(options.key, rest.section(QLatin1Char('.'), 0, 0)));
            if (next->kind != Kind::Dict)
                return makeError(path, QStringLiteral("--key %1: %2 is a %3, not a dict").arg(options.key, taken, QLatin1String(PickleInterpreter::kindName(next->kind))));
            dict = next;
            rest = rest.mid(taken.size() + 1);
        }
        checkpoint.m_stateDictKey = options.key;
    } else if (!holdsTensors(p, *dict)) {
        const PickleInterpreter::Object *top = dict;
        for (const char *candidate : {"state_dict", "model", "model_state_dict", "module"}) {
            const auto *v = value(p, *top, QLatin1String(candidate));
            if (v && v->kind == Kind::Dict && holdsTensors(p, *v)) {
                dict = v;
                checkpoint.m_stateDictKey = QLatin1String(candidate);
                break;
            }
        }
        if (!checkpoint.m_stateDictKey.isEmpty()) {
            QStringList others;
            for (std::size_t i = 0; i + 1 < top->items.size(); i += 2) {
                const auto &k = p.object(top->items[i]);
                const QString name = k.kind == Kind::Str ? text(k) : QStringLiteral("<%1 key>").arg(QLatin1String(PickleInterpreter::kindName(k.kind)));
                if (name != checkpoint.m_stateDictKey)
                    others << QStringLiteral("%1 (%2)").arg(name, QLatin1String(PickleInterpreter::kindName(p.object(top->items[i + 1]).kind)));
            }
            checkpoint.m_notes << QStringLiteral("the state dict is under '%1'").arg(checkpoint.m_stateDictKey);
            if (!others.isEmpty())
                checkpoint.m_notes << QStringLiteral("ignored beside it: %1").arg(listIgnored(others));
        }
    }

    QStringList ignored;
    QHash<QString, std::size_t> byName;
    for (std::size_t i = 0; i + 1 < dict->items.size(); i += 2) {
        const auto &k = p.object(dict->items[i]);
        const auto &v = p.object(dict->items[i + 1]);
        const QString name = k.kind == Kind::Str ? text(k) : QStringLiteral("<%1 key>").arg(QLatin1String(PickleInterpreter::kindName(k.kind)));
        if (k.kind != Kind::Str || v.kind != Kind::Tensor) {
            ignored << QStringLiteral("%1 (%2)").arg(name, QLatin1String(PickleInterpreter::kindName(v.kind)));
            continue;
        }
        const auto &pt = p.tensors()[std::size_t(v.integer)];
        TorchTensor t;
        t.name = name;
        t.dtype = p.storages()[pt.storage].dtype;
        t.shape = pt.shape;
        t.stride = pt.stride;
        t.storageOffset = pt.offset;
        t.storage = pt.storage;
        if (auto it = byName.constFind(name); it != byName.constEnd()) {
            checkpoint.m_tensors[*it] = std::move(t);
        } else {
            byName.insert(name, checkpoint.m_tensors.size());
            checkpoint.m_tensors.push_back(std::move(t));
        }
    }
    if (!ignored.isEmpty())
        checkpoint.m_notes << QStringLiteral("not tensors, ignored: %1").arg(listIgnored(ignored));
    return checkpoint;
}

Result<TorchCheckpoint> TorchCheckpointReader::fromIndex(const QString &path, const TorchReadOptions &options)
{
    QFile file;
    if (auto opened = openRegularFile(file, path); !opened)
        return opened.error();
    const QByteArray json = file.read(qint64(64) << 20);
    auto parsed = parseShardIndex(json.constData(), std::size_t(json.size()));
    if (auto *problem = std::get_if<std::string>(&parsed))
        return makeError(path, QString::fromStdString(*problem));
    const ShardIndex &index = std::get<ShardIndex>(parsed);

    TorchCheckpoint set;
    set.m_path = path;
    set.m_format = TorchCheckpoint::Format::Sharded;
    const QDir dir = QFileInfo(path).dir();
    QHash<QString, TorchCheckpoint> shards;
    QStringList order;
    for (const auto &[tensor, shard] : index.weightMap) {
        const QString shardName = QString::fromStdString(shard);
        if (!shards.contains(shardName)) {
            if (shardName.endsWith(QLatin1String(".json")))
                return makeError(path, QStringLiteral("shard %1 is an index itself").arg(shardName));
            auto read = readTorchCheckpoint(dir.filePath(shardName), options);
            if (!read)
                return read.error();
            shards.insert(shardName, std::move(*read));
            order << shardName;
        }
    }
    // Each shard's storages follow the previous ones'; tensors keep the index's order.
    QHash<QString, std::uint32_t> storageBase;
    QHash<QString, QHash<QString, std::size_t>> tensorsOf;
    for (const QString &name : order) {
        const TorchCheckpoint &shard = shards[name];
        storageBase.insert(name, std::uint32_t(set.m_storages.size()));
        set.m_storages.insert(set.m_storages.end(), shard.m_storages.begin(), shard.m_storages.end());
        auto &names = tensorsOf[name];
        for (std::size_t i = 0; i < shard.m_tensors.size(); ++i)
            names.insert(shard.m_tensors[i].name, i);
        for (const QString &note : shard.m_notes)
            set.m_notes << name + QStringLiteral(": ") + note;
    }
    for (const auto &[tensor, shard] : index.weightMap) {
        const QString shardName = QString::fromStdString(shard);
        const QString tensorName = QString::fromStdString(tensor);
        const auto found = tensorsOf[shardName].constFind(tensorName);
        if (found == tensorsOf[shardName].constEnd())
            return makeError(path, QStringLiteral("the index puts tensor %1 in %2, which does not hold it").arg(tensorName, shardName));
        TorchTensor t = shards[shardName].m_tensors[*found];
        t.storage += storageBase[shardName];
        set.m_tensors.push_back(std::move(t));
    }
    return set;
}

Result<TorchCheckpoint> readTorchCheckpoint(const QString &path, const TorchReadOptions &options)
{
    if (path.endsWith(QLatin1String(".index.json")))
        return TorchCheckpointReader::fromIndex(path, options);
    QFile file;
    if (auto opened = openRegularFile(file, path); !opened)
        return opened.error();
    const QByteArray start = file.read(4);
    file.close();
    Result<TorchArchive> archive = start.startsWith("PK\x03\x04") ? readTorchZip(path)
                                   : start.startsWith("\x80\x02\x8a")
                                           ? readTorchLegacy(path)
                                           : Result<TorchArchive>(makeError(path, QStringLiteral("not a PyTorch checkpoint (neither a zip archive nor the legacy pickle format)")));
    if (!archive)
        return archive.error();
    return TorchCheckpointReader::fromArchive(path, std::move(*archive), options);
}

} // namespace tantra
