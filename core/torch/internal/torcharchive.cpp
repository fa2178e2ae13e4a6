#include "torcharchive.h"

#include "mappedfile.h"
#include "printablename.h"
#include "regularfile.h"

#include <quazip/quazip.h>
#include <quazip/quazipfile.h>
#include <quazip/unzip.h>

#include <QFile>
#include <QHash>

#include <cstring>
#include <unordered_map>

namespace tantra {

namespace {

// data.pkl holds names and shapes, not weights: a large model's is a few MB. A bigger one is a
// zip bomb or not a checkpoint.
constexpr qint64 kMaxPickleBytes = qint64(256) << 20;
constexpr int kMaxEntries = 1 << 20;

QString problemOf(const std::string &message)
{
    return QString::fromStdString(message);
}

// Element bytes of every storage, checked against what the file holds for it.
Result<std::uint64_t> storageBytes(const QString &path, const PickleInterpreter::Storage &s, std::uint64_t numel)
{
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(numel, std::uint64_t(PickleInterpreter::elementBytes(s.dtype)), &bytes))
        return makeError(path, QStringLiteral("storage '%1' declares an impossible size").arg(QString::fromStdString(printableName(s.rootKey, 100))));
    return bytes;
}

} // namespace

Result<TorchArchive> readTorchZip(const QString &path)
{
    QFile device;
    if (auto opened = openRegularFile(device, path); !opened)
        return opened.error();
    const auto fileSize = std::uint64_t(device.size());
    QuaZip zip(&device);
    if (!zip.open(QuaZip::mdUnzip))
        return makeError(path, QStringLiteral("not a readable zip archive (a PyTorch checkpoint of the zip format is one)"));
    if (zip.getEntriesCount() > kMaxEntries)
        return makeError(path, QStringLiteral("the archive has %1 records; refusing more than %2").arg(zip.getEntriesCount()).arg(kMaxEntries));

    // One pass over the central directory: the pickle's record, the byte order, the storages.
    QString pickleName;
    QString prefix;
    QuaZipFileInfo64 pickleInfo;
    QString byteOrderName;
    QHash<QString, QuaZipFileInfo64> records;
    QHash<QString, std::uint64_t> dataOffsets;
    for (bool more = zip.goToFirstFile(); more; more = zip.goToNextFile()) {
        QuaZipFileInfo64 info;
        if (!zip.getCurrentFileInfo(&info))
            return makeError(path, QStringLiteral("cannot read the archive's directory"));
        const QString name = info.name;
        const qsizetype slash = name.indexOf(QLatin1Char('/'));
        if (slash > 0 && name.mid(slash) == QLatin1String("/data.pkl")) {
            if (!pickleName.isEmpty())
                return makeError(path, QStringLiteral("the archive holds two pickles (%1 and %2)").arg(pickleName, name));
            pickleName = name;
            prefix = name.left(slash);
            pickleInfo = info;
        }
    }
    if (pickleName.isEmpty())
        return makeError(path, QStringLiteral("a zip archive without a <name>/data.pkl record; not a PyTorch checkpoint"));
    const QString dataPrefix = prefix + QStringLiteral("/data/");
    for (bool more = zip.goToFirstFile(); more; more = zip.goToNextFile()) {
        QuaZipFileInfo64 info;
        if (!zip.getCurrentFileInfo(&info))
            return makeError(path, QStringLiteral("cannot read the archive's directory"));
        if (info.name == prefix + QStringLiteral("/byteorder"))
            byteOrderName = info.name;
        if (!info.name.startsWith(dataPrefix))
            continue;
        const QString key = info.name.mid(dataPrefix.size());
        if (records.contains(key))
            return makeError(path, QStringLiteral("the archive holds record %1 twice").arg(info.name));
        // Where the record's bytes start: opened raw, so nothing is decompressed.
        QuaZipFile file(&zip);
        int method = 0;
        int level = 0;
        if (!file.open(QIODevice::ReadOnly, &method, &level, true))
            return makeError(path, QStringLiteral("cannot open record %1").arg(info.name));
        dataOffsets.insert(key, std::uint64_t(unzGetCurrentFileZStreamPos64(zip.getUnzFile())));
        file.close();
        records.insert(key, info);
    }

    if (!byteOrderName.isEmpty() && zip.setCurrentFile(byteOrderName)) {
        QuaZipFile file(&zip);
        if (!file.open(QIODevice::ReadOnly))
            return makeError(path, QStringLiteral("cannot read record %1").arg(byteOrderName));
        const QByteArray order = file.read(16).trimmed();
        if (order != "little")
            return makeError(path, QStringLiteral("the tensors are stored in %1-endian byte order; only little-endian is read")
                                           .arg(QString::fromLatin1(order.left(8).toHex())));
    }

    if (pickleInfo.uncompressedSize > quint64(kMaxPickleBytes))
        return makeError(path, QStringLiteral("%1 is implausibly large (%2 bytes); refusing it").arg(pickleName).arg(pickleInfo.uncompressedSize));
    if (!zip.setCurrentFile(pickleName, QuaZip::csSensitive))
        return makeError(path, QStringLiteral("cannot find %1 again").arg(pickleName));
    QuaZipFile pickleFile(&zip);
    if (!pickleFile.open(QIODevice::ReadOnly))
        return makeError(path, QStringLiteral("cannot read %1").arg(pickleName));
    const QByteArray pickleBytes = pickleFile.read(kMaxPickleBytes + 1);
    pickleFile.close();
    if (quint64(pickleBytes.size()) != pickleInfo.uncompressedSize || pickleFile.getZipError() != UNZ_OK)
        return makeError(path, QStringLiteral("%1 is damaged (its size or checksum does not match the archive's directory)").arg(pickleName));

    TorchArchive archive;
    archive.format = TorchCheckpoint::Format::Zip;
    const std::string problem = archive.pickle.run(std::as_bytes(std::span(pickleBytes.constData(), std::size_t(pickleBytes.size()))));
    if (!problem.empty())
        return makeError(path, problemOf(problem));

    for (const auto &s : archive.pickle.storages()) {
        const QString key = QString::fromStdString(s.rootKey);
        const auto record = records.constFind(key);
        if (record == records.constEnd())
            return makeError(path, QStringLiteral("storage '%1' has no record %2%1").arg(QString::fromStdString(printableName(s.rootKey, 100)), dataPrefix));
        if (record->method != 0 || record->compressedSize != record->uncompressedSize)
            return makeError(path, QStringLiteral("record %1 is compressed; PyTorch stores storages uncompressed").arg(record->name));
        auto bytes = storageBytes(path, s, s.numel);
        if (!bytes)
            return bytes.error();
        const std::uint64_t offset = dataOffsets.value(key);
        if (*bytes > record->uncompressedSize || offset > fileSize || record->uncompressedSize > fileSize - offset)
            return makeError(path, QStringLiteral("record %1 holds %2 bytes, less than its %3 elements need, or lies past the end of the file")
                                           .arg(record->name).arg(record->uncompressedSize).arg(s.numel));
        const std::uint64_t es = std::uint64_t(PickleInterpreter::elementBytes(s.dtype));
        archive.storages.push_back({path, offset + s.viewOffset * es, s.viewNumel * es});
    }
    return archive;
}

Result<TorchArchive> readTorchLegacy(const QString &path)
{
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return mapped.error();
    const std::span<const std::byte> bytes = mapped->bytes();
    std::size_t pos = 0;
    // The three small pickles before the object: magic number, protocol version, system info.
    PickleInterpreter header;
    static const unsigned char kMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
    if (auto problem = header.run(bytes); !problem.empty())
        return makeError(path, QStringLiteral("not a PyTorch checkpoint (its magic number does not read: %1)").arg(problemOf(problem)));
    const auto &magic = header.object(header.root());
    if (magic.kind != PickleInterpreter::Kind::BigInt || magic.text.size() != sizeof kMagic
        || std::memcmp(magic.text.data(), kMagic, sizeof kMagic) != 0)
        return makeError(path, QStringLiteral("not a PyTorch checkpoint (no torch.save magic number)"));
    pos += header.consumed();
    if (auto problem = header.run(bytes.subspan(pos)); !problem.empty())
        return makeError(path, QStringLiteral("the protocol version pickle: %1").arg(problemOf(problem)));
    const auto &version = header.object(header.root());
    if (version.kind != PickleInterpreter::Kind::Int || version.integer != 1001)
        return makeError(path, QStringLiteral("legacy format version %1; only 1001 is read").arg(version.integer));
    pos += header.consumed();
    if (auto problem = header.run(bytes.subspan(pos)); !problem.empty())
        return makeError(path, QStringLiteral("the system information pickle: %1").arg(problemOf(problem)));
    const auto &info = header.object(header.root());
    for (std::size_t i = 0; info.kind == PickleInterpreter::Kind::Dict && i + 1 < info.items.size(); i += 2) {
        const auto &k = header.object(info.items[i]);
        const auto &v = header.object(info.items[i + 1]);
        if (k.kind == PickleInterpreter::Kind::Str && k.text == "little_endian" && v.kind == PickleInterpreter::Kind::Bool && !v.integer)
            return makeError(path, QStringLiteral("written on a big-endian machine; only little-endian is read"));
    }
    pos += header.consumed();

    TorchArchive archive;
    archive.format = TorchCheckpoint::Format::Legacy;
    if (auto problem = archive.pickle.run(bytes.subspan(pos)); !problem.empty())
        return makeError(path, problemOf(problem));
    pos += archive.pickle.consumed();

    PickleInterpreter keysPickle;
    if (auto problem = keysPickle.run(bytes.subspan(pos)); !problem.empty())
        return makeError(path, QStringLiteral("the storage keys pickle: %1").arg(problemOf(problem)));
    pos += keysPickle.consumed();
    const auto &keys = keysPickle.object(keysPickle.root());
    if (keys.kind != PickleInterpreter::Kind::List)
        return makeError(path, QStringLiteral("the storage keys pickle is not a list"));

    // Each root storage, in the listed order: an 8-byte element count, then its bytes.
    const auto &storages = archive.pickle.storages();
    QHash<QString, std::uint64_t> dataOffsets; // root key -> first byte of its data
    std::unordered_map<std::string, std::size_t> rootOf;     // root key -> a storage on it, for its dtype
    for (std::size_t i = 0; i < storages.size(); ++i)
        rootOf.emplace(storages[i].rootKey, i);
    for (const auto keyRef : keys.items) {
        const auto &key = keysPickle.object(keyRef);
        if (key.kind != PickleInterpreter::Kind::Str)
            return makeError(path, QStringLiteral("a storage key is not a string"));
        const auto found = rootOf.find(key.text);
        const PickleInterpreter::Storage *root = found == rootOf.end() ? nullptr : &storages[found->second];
        if (dataOffsets.contains(QString::fromStdString(key.text)))
            return makeError(path, QStringLiteral("storage '%1' is stored twice").arg(QString::fromStdString(printableName(key.text, 100))));
        if (!root)
            return makeError(path, QStringLiteral("storage '%1' is stored but no tensor uses it").arg(QString::fromStdString(printableName(key.text, 100))));
        if (bytes.size() - pos < 8)
            return makeError(path, QStringLiteral("the file ends before storage '%1'").arg(QString::fromStdString(printableName(key.text, 100))));
        std::uint64_t numel = 0;
        for (int i = 7; i >= 0; --i)
            numel = (numel << 8) | std::uint64_t(bytes[pos + std::size_t(i)]);
        pos += 8;
        if (numel != root->numel)
            return makeError(path, QStringLiteral("storage '%1' holds %2 elements, the pickle says %3")
                                           .arg(QString::fromStdString(printableName(key.text, 100))).arg(numel).arg(root->numel));
        auto size = storageBytes(path, *root, numel);
        if (!size)
            return size.error();
        if (*size > bytes.size() - pos)
            return makeError(path, QStringLiteral("the file ends inside storage '%1' (%2 bytes needed, %3 left)")
                                           .arg(QString::fromStdString(printableName(key.text, 100))).arg(*size).arg(bytes.size() - pos));
        dataOffsets.insert(QString::fromStdString(key.text), pos);
        pos += *size;
    }
    for (const auto &s : storages) {
        const auto offset = dataOffsets.constFind(QString::fromStdString(s.rootKey));
        if (offset == dataOffsets.constEnd())
            return makeError(path, QStringLiteral("storage '%1' is used but not stored").arg(QString::fromStdString(printableName(s.rootKey, 100))));
        const std::uint64_t es = std::uint64_t(PickleInterpreter::elementBytes(s.dtype));
        archive.storages.push_back({path, *offset + s.viewOffset * es, s.viewNumel * es});
    }
    return archive;
}

} // namespace tantra
