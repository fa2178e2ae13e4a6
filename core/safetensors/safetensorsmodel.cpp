#include "safetensorsmodel.h"

#include "pathjoin.h"
#include "regularfile.h"
#include "shardindex.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <map>

namespace tantra {

QStringList SafetensorsModel::files() const
{
    QStringList files;
    if (isSharded())
        files << m_indexPath;
    for (const auto &shard : m_shards)
        files << shard->path();
    return files;
}

namespace {

constexpr qint64 kMaxIndexBytes = qint64(1) << 30;

} // namespace

bool isShardIndexName(const QString &fileName)
{
    return fileName.endsWith(QStringLiteral(".safetensors.index.json"));
}

Result<SafetensorsModel> SafetensorsModel::open(const QString &path)
{
    const QFileInfo info(path);
    if (!info.exists())
        return makeError(path, QStringLiteral("no such file or folder"));
    if (info.isDir()) {
        const QDir dir(path);
        const QStringList indexes = dir.entryList({QStringLiteral("*.safetensors.index.json")}, QDir::Files, QDir::Name);
        if (indexes.size() > 1) {
            return makeError(path, QStringLiteral("the folder holds several shard indexes (")
                             + indexes.join(QStringLiteral(", ")) + QStringLiteral("); open one of them"));
        }
        if (indexes.size() == 1) {
            auto model = openIndex(joinPath(dir, indexes.first()));
            if (model)
                model->m_path = path;
            return model;
        }
        const QStringList files = dir.entryList({QStringLiteral("*.safetensors")}, QDir::Files, QDir::Name);
        if (files.size() == 1) {
            auto model = open(joinPath(dir, files.first()));
            if (model)
                model->m_path = path;
            return model;
        }
        return makeError(path, QStringLiteral("the folder holds no *.safetensors.index.json")
                         + (files.isEmpty() ? QStringLiteral(" and no .safetensors file")
                                            : QStringLiteral(" and %1 .safetensors files; open one of them").arg(files.size())));
    }
    if (isShardIndexName(info.fileName()))
        return openIndex(path);

    auto file = SafetensorsFile::open(path);
    if (!file)
        return file.error();
    SafetensorsModel model;
    model.m_path = path;
    model.m_metadata = (*file)->metadata();
    model.m_shards.push_back(std::move(file).value());
    model.buildLookup();
    return model;
}

Result<SafetensorsModel> SafetensorsModel::openIndex(const QString &indexPath)
{
    QFile f;
    if (auto opened = openRegularFile(f, indexPath); !opened)
        return opened.error();
    if (f.size() > kMaxIndexBytes)
        return makeError(indexPath, QStringLiteral("the index is larger than 1 GiB; refusing to read it"));
    const QByteArray json = f.readAll();
    if (f.error() != QFileDevice::NoError)
        return makeError(indexPath, QStringLiteral("read error: ") + f.errorString());

    auto parsed = parseShardIndex(json.constData(), std::size_t(json.size()));
    if (auto *message = std::get_if<std::string>(&parsed))
        return makeError(indexPath, QString::fromStdString(*message));
    ShardIndex &index = std::get<ShardIndex>(parsed);

    SafetensorsModel model;
    model.m_path = indexPath;
    model.m_indexPath = indexPath;
    model.m_metadata = std::move(index.metadata);
    const QDir dir = QFileInfo(indexPath).absoluteDir();

    // Shards in name order (model-00001-of-…, model-00002-of-…), each opened once.
    std::map<std::string, int> shardNumber;
    for (const auto &entry : index.weightMap)
        shardNumber.emplace(entry.second, 0);
    std::vector<std::string> shardNames;
    for (auto &[name, number] : shardNumber) {
        number = int(shardNames.size());
        shardNames.push_back(name);
    }

    for (const auto &name : shardNames) {
        const QString shardPath = joinPath(dir, QString::fromStdString(name));
        const QFileInfo shardInfo(shardPath);
        if (!shardInfo.exists()) {
            // exists() follows links: a link that leads nowhere (or round in a loop) is there,
            // and calling it missing sent users looking for a file they could see.
            if (shardInfo.isSymLink()) {
                return makeError(indexPath, QStringLiteral("shard ") + quoteName(name)
                                 + QStringLiteral(" is a symbolic link to no file (") + shardPath + QStringLiteral(" -> ")
                                 + shardInfo.symLinkTarget() + QLatin1Char(')'));
            }
            return makeError(indexPath, QStringLiteral("shard ") + quoteName(name)
                             + QStringLiteral(" is missing (expected at ") + shardPath + QLatin1Char(')'));
        }
        auto shard = SafetensorsFile::open(shardPath);
        if (!shard)
            return shard.error();
        model.m_shards.push_back(std::move(shard).value());
    }

    // Every mapped tensor must be in its shard, and every shard tensor must be mapped there;
    // a tensor found in a second shard is an error even if the index names only one.
    std::map<std::string_view, int> seenIn;
    for (std::size_t s = 0; s < model.m_shards.size(); ++s) {
        for (const auto &t : model.m_shards[s]->tensors()) {
            const auto [it, fresh] = seenIn.emplace(t.name, int(s));
            if (!fresh) {
                return makeError(indexPath, QStringLiteral("tensor ") + quoteName(t.name)
                                 + QStringLiteral(" is in two shards, ") + quoteName(shardNames[std::size_t(it->second)])
                                 + QStringLiteral(" and ") + quoteName(shardNames[s]));
            }
        }
    }
    for (const auto &[tensor, file] : index.weightMap) {
        const int s = shardNumber[file];
        if (!model.m_shards[std::size_t(s)]->find(tensor)) {
            const auto elsewhere = seenIn.find(tensor);
            return makeError(indexPath, QStringLiteral("tensor ") + quoteName(tensor)
                             + QStringLiteral(" is mapped to shard ") + quoteName(file)
                             + QStringLiteral(", which does not hold it")
                             + (elsewhere != seenIn.end()
                                        ? QStringLiteral(" (it is in ") + quoteName(shardNames[std::size_t(elsewhere->second)]) + QLatin1Char(')')
                                        : QString()));
        }
    }
    if (seenIn.size() != index.weightMap.size()) {
        std::map<std::string_view, bool> mapped;
        for (const auto &entry : index.weightMap)
            mapped.emplace(entry.first, true);
        for (const auto &[name, s] : seenIn) {
            if (!mapped.count(name)) {
                return makeError(indexPath, QStringLiteral("shard ") + quoteName(shardNames[std::size_t(s)])
                                 + QStringLiteral(" holds tensor ") + quoteName(name)
                                 + QStringLiteral(", which the index does not list"));
            }
        }
    }

    model.buildLookup();
    if (index.totalSize && *index.totalSize != model.tensorBytes()) {
        return makeError(indexPath, QStringLiteral("metadata.total_size says %1 bytes, but the shards' tensors hold %2 bytes")
                                             .arg(*index.totalSize)
                                             .arg(model.tensorBytes()));
    }
    return model;
}

void SafetensorsModel::buildLookup()
{
    m_tensors.clear();
    for (std::size_t s = 0; s < m_shards.size(); ++s) {
        for (const auto &t : m_shards[s]->tensors())
            m_tensors.push_back(ModelTensor{&t, int(s)});
    }
    m_byName.resize(m_tensors.size());
    for (std::uint32_t i = 0; i < m_tensors.size(); ++i)
        m_byName[i] = i;
    std::sort(m_byName.begin(), m_byName.end(),
              [&](std::uint32_t a, std::uint32_t b) { return m_tensors[a].info->name < m_tensors[b].info->name; });
}

const ModelTensor *SafetensorsModel::find(std::string_view name) const
{
    const auto it = std::lower_bound(m_byName.begin(), m_byName.end(), name,
                                     [&](std::uint32_t i, std::string_view n) { return m_tensors[i].info->name < n; });
    if (it == m_byName.end() || m_tensors[*it].info->name != name)
        return nullptr;
    return &m_tensors[*it];
}

std::span<const std::byte> SafetensorsModel::data(const ModelTensor &tensor) const
{
    return m_shards[std::size_t(tensor.shard)]->data(*tensor.info);
}

StreamReader SafetensorsModel::reader(const ModelTensor &tensor) const
{
    return m_shards[std::size_t(tensor.shard)]->reader(*tensor.info);
}

std::uint64_t SafetensorsModel::tensorBytes() const
{
    std::uint64_t total = 0;
    for (const auto &shard : m_shards)
        total += shard->header().dataSize;
    return total;
}

std::uint64_t SafetensorsModel::fileBytes() const
{
    std::uint64_t total = 0;
    for (const auto &shard : m_shards)
        total += shard->fileSize();
    return total;
}

} // namespace tantra
