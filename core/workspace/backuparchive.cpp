#include "backuparchive.h"

#include "jobcontext.h"
#include "printablename.h"
#include "mappedfile.h"
#include "pathjoin.h"
#include "regularfile.h"
#include "sha256.h"
#include "weightfiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <quazip/quazip.h>
#include <quazip/quazipfile.h>
#include <quazip/quazipfileinfo.h>
#include <quazip/quazipnewinfo.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <unistd.h>

namespace tantra {

namespace {

// A member name as a message may show it: from a hostile archive it can hold anything.
QString printableName(const QString &name)
{
    return QString::fromStdString(tantra::printableName(name.toStdString()));
}

constexpr qint64 kBuffer = qint64(4) << 20;
constexpr qint64 kMaxManifestBytes = qint64(64) << 20;
const QString kManifestName = QStringLiteral("manifest.json");

QString zipError(int code)
{
    return QStringLiteral("zip error %1").arg(code);
}

// What a file looks like from outside, read before QuaZip takes the device: a zip starts with
// a local header and ends with the end-of-central-directory record (plus its comment). A backup
// cut short (a full disk, an interrupted copy) starts right but lacks that end; it was called
// "not a readable zip archive" or, with a few bytes of the record left, "not a Tantra weight
// backup", which sent users looking for the wrong file.
struct ZipShape
{
    qint64 size = 0;
    bool startsLikeZip = false;
    bool endsLikeZip = false;
};

ZipShape zipShape(QFile &device)
{
    ZipShape z;
    z.size = device.size();
    z.startsLikeZip = device.peek(4) == QByteArrayLiteral("PK\x03\x04");
    constexpr qint64 kRecord = 22;
    const qint64 tailSize = std::min<qint64>(z.size, kRecord + 0xffff);
    if (tailSize >= kRecord && device.seek(z.size - tailSize)) {
        const QByteArray tail = device.read(tailSize);
        for (qsizetype p = tail.lastIndexOf("PK\x05\x06"); p >= 0; p = p > 0 ? tail.lastIndexOf("PK\x05\x06", p - 1) : -1) {
            if (p + kRecord > tail.size())
                continue;
            const int comment = quint8(tail[p + 20]) | (quint8(tail[p + 21]) << 8);
            if (p + kRecord + comment == tail.size()) {
                z.endsLikeZip = true;
                break;
            }
        }
    }
    device.seek(0);
    return z;
}

QString incompleteZip(const QString &path)
{
    return path + QStringLiteral(": the zip archive is incomplete (its central directory at the end is missing or damaged; "
                                 "was it truncated by a full disk or an interrupted copy?)");
}

QString notAZip(const QString &path, const ZipShape &shape)
{
    if (shape.size == 0)
        return path + QStringLiteral(": the file is empty, not a zip archive");
    if (shape.startsLikeZip)
        return incompleteZip(path);
    return path + QStringLiteral(": not a zip archive");
}

// Streams one file into the open archive as a stored member, hashing it on the way.
Result<BackupMember> addMember(QuaZip &zip, const QString &archivePath, const QString &source, const QString &name, JobContext *job)
{
    QFile in;
    if (auto opened = openRegularFile(in, source); !opened)
        return opened.error();
    QuaZipFile out(&zip);
    QuaZipNewInfo info(name, source);
    if (!out.open(QIODevice::WriteOnly, info, nullptr, 0, 0 /* stored */, 0))
        return makeError(source, QStringLiteral("cannot add to the archive (%1)").arg(zipError(out.getZipError())));
    QByteArray buffer(kBuffer, Qt::Uninitialized);
    Sha256 hash;
    quint64 size = 0;
    for (;;) {
        if (job && job->isCanceled())
            return makeError(QStringLiteral("backup cancelled"));
        const qint64 n = in.read(buffer.data(), kBuffer);
        errno = 0;
        if (n < 0)
            return makeError(source, QStringLiteral("read error: ") + in.errorString());
        if (n == 0)
            break;
        hash.update(buffer.constData(), std::size_t(n));
        if (!writeFully(out, buffer.constData(), n)) {
            const int err = errno;
            return makeError(archivePath, QStringLiteral("cannot write member '%1' to the archive (%2; is the disk full?)")
                                              .arg(name, err ? systemErrorString(err) : zipError(out.getZipError())));
        }
        size += quint64(n);
        if (job)
            job->advance(quint64(n));
    }
    out.close();
    if (out.getZipError() != 0)
        return makeError(QStringLiteral("cannot finish archive member %1 (%2)").arg(name, zipError(out.getZipError())));
    return BackupMember{name, size, hash.finalHex()};
}

// Gives `from` the name `to` only if nothing has that name, atomically. QFile::rename is not
// that: it checks first and, when another process takes the name in between, falls back to
// COPYING over it, truncating that process's finished archive (concurrent backups read
// "not a readable zip archive"). link() fails with EEXIST instead.
enum class Placed { Done, Taken, Failed };
Placed placeWithoutReplacing(const QString &from, const QString &to)
{
    const QByteArray source = QFile::encodeName(from);
    const QByteArray target = QFile::encodeName(to);
    if (::link(source.constData(), target.constData()) == 0) {
        ::unlink(source.constData());
        return Placed::Done;
    }
    if (errno == EEXIST)
        return Placed::Taken;
    // A file system without hard links: a plain rename, which never leaves a half file.
    if (QFileInfo::exists(to))
        return Placed::Taken;
    return ::rename(source.constData(), target.constData()) == 0 ? Placed::Done : Placed::Failed;
}

} // namespace

QString BackupArchive::memberNameProblem(const QString &name)
{
    if (name.isEmpty())
        return QStringLiteral("is empty");
    if (name.startsWith(QLatin1Char('/')))
        return QStringLiteral("is an absolute path");
    if (name.contains(QLatin1Char('\\')))
        return QStringLiteral("contains a backslash");
    // "C:x" is a drive-relative path to an extractor on Windows. A ':' anywhere else is an
    // ordinary character of a Linux file name: a shard called ":x.safetensors" was backed up
    // and then refused as "absolute, or with '..'", so its backup could never be restored.
    if (name.size() >= 2 && name.at(1) == QLatin1Char(':') && name.at(0).isLetter())
        return QStringLiteral("starts with a drive letter");
    const auto parts = name.split(QLatin1Char('/'));
    for (const QString &part : parts) {
        if (part.isEmpty())
            return QStringLiteral("has an empty path component");
        if (part == QLatin1String("..") || part == QLatin1String("."))
            return QStringLiteral("has a '%1' path component").arg(part);
        for (const QChar c : part) {
            if (c.unicode() < 0x20 || c.unicode() == 0x7f)
                return QStringLiteral("contains a control character");
        }
    }
    return {};
}

Result<QString> BackupArchive::write(const QString &archivePath, const WeightEntry &entry,
                            const std::vector<std::pair<QString, QString>> &files, const QString &configPath,
                            JobContext *job)
{
    const QString partial = partialPathFor(archivePath);
    if (job) {
        for (const auto &f : files)
            job->addTotal(quint64(QFileInfo(f.first).size()));
    }
    BackupManifest manifest;
    manifest.entry = entry;
    manifest.created = QDateTime::currentDateTimeUtc();
    {
        QuaZip zip(partial);
        zip.setZip64Enabled(true);
        if (!zip.open(QuaZip::mdCreate))
            return makeError(archivePath, QStringLiteral("cannot create the archive (%1)").arg(zipError(zip.getZipError())));
        const auto abandon = [&](const Error &error) -> Result<QString> {
            zip.close();
            QFile::remove(partial);
            return error;
        };
        for (const auto &[source, name] : files) {
            // Refused here, before the archive exists, rather than by the restore that needs it.
            if (const QString problem = memberNameProblem(name); !problem.isEmpty())
                return abandon(makeError(source, QStringLiteral("cannot be backed up under the member name '%1': it %2").arg(printableName(name), problem)));
            auto member = addMember(zip, archivePath, source, name, job);
            if (!member)
                return abandon(member.error());
            manifest.members.push_back(*member);
        }
        if (!configPath.isEmpty() && QFileInfo::exists(configPath)) {
            manifest.configMember = QStringLiteral("config/") + QFileInfo(configPath).fileName();
            auto member = addMember(zip, archivePath, configPath, manifest.configMember, nullptr);
            if (!member)
                return abandon(member.error());
            manifest.members.push_back(*member);
        }
        QJsonArray members;
        for (const auto &m : manifest.members)
            members.append(QJsonObject{{QStringLiteral("name"), m.name},
                                       {QStringLiteral("size"), double(m.size)},
                                       {QStringLiteral("sha256"), m.sha256}});
        const QJsonObject root{
            {QStringLiteral("format"), QStringLiteral("tantra-weight-backup")},
            {QStringLiteral("format_version"), BackupManifest::kFormatVersion},
            {QStringLiteral("created"), isoUtc(manifest.created)},
            {QStringLiteral("name"), entry.name},
            {QStringLiteral("entry"), Registry::entryToJson(entry)},
            {QStringLiteral("config"), manifest.configMember},
            {QStringLiteral("members"), members},
        };
        const QByteArray json = QJsonDocument(root).toJson(QJsonDocument::Indented);
        QuaZipFile out(&zip);
        if (!out.open(QIODevice::WriteOnly, QuaZipNewInfo(kManifestName), nullptr, 0, 0, 0) || out.write(json) != json.size())
            return abandon(makeError(archivePath, QStringLiteral("cannot write the manifest")));
        out.close();
        zip.close();
        if (zip.getZipError() != 0) {
            QFile::remove(partial);
            return makeError(archivePath, QStringLiteral("cannot finish the archive (%1; is the disk full?)").arg(zipError(zip.getZipError())));
        }
    }
    {
        QFile f(partial);
        if (f.open(QIODevice::ReadOnly))
            ::fsync(f.handle());
    }
    // Two backups of one weight in the same second chose the same name, and all but one
    // failed here ("cannot move the finished archive into place"); the next free name is
    // taken instead.
    const QFileInfo target(archivePath);
    QString finalPath = archivePath;
    for (int n = 2;; ++n) {
        const Placed placed = placeWithoutReplacing(partial, finalPath);
        if (placed == Placed::Done)
            return finalPath;
        if (placed == Placed::Failed || n > 1000) {
            QFile::remove(partial);
            return makeError(archivePath, QStringLiteral("cannot move the finished archive into place"));
        }
        finalPath = joinPath(target.path(), QStringLiteral("%1-%2.%3").arg(target.completeBaseName()).arg(n).arg(target.suffix()));
    }
}

Result<BackupManifest> BackupArchive::readManifest(const QString &archivePath)
{
    QFile device;
    if (auto opened = openRegularFile(device, archivePath); !opened)
        return opened.error();
    const ZipShape shape = zipShape(device);
    QuaZip zip(&device);
    if (!zip.open(QuaZip::mdUnzip))
        return makeError(notAZip(archivePath, shape));
    if (!zip.setCurrentFile(kManifestName))
        return shape.endsLikeZip ? makeError(archivePath, QStringLiteral("no manifest.json; this is not a Tantra weight backup"))
                                 : makeError(incompleteZip(archivePath));
    QuaZipFileInfo64 info;
    zip.getCurrentFileInfo(&info);
    if (info.uncompressedSize > quint64(kMaxManifestBytes))
        return makeError(archivePath, QStringLiteral("manifest.json is implausibly large; refusing it"));
    QuaZipFile file(&zip);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(archivePath, QStringLiteral("cannot read manifest.json"));
    const QByteArray json = file.read(kMaxManifestBytes + 1);
    if (json.size() > kMaxManifestBytes)
        return makeError(archivePath, QStringLiteral("manifest.json is larger than its header says; refusing it"));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return makeError(archivePath, QStringLiteral("manifest.json is not valid JSON (%1)").arg(error.errorString()));
    const QJsonObject root = doc.object();
    if (root.value(QStringLiteral("format")).toString() != QLatin1String("tantra-weight-backup"))
        return makeError(archivePath, QStringLiteral("manifest.json is not a Tantra weight backup manifest"));
    BackupManifest manifest;
    manifest.formatVersion = root.value(QStringLiteral("format_version")).toInt();
    if (manifest.formatVersion > BackupManifest::kFormatVersion)
        return makeError(archivePath, QStringLiteral("backup format %1 is newer than this program understands").arg(manifest.formatVersion));
    // The manifest's entry is read like a registry entry: its names and paths are checked
    // before restore builds any path from them.
    auto entry = Registry::entryFromJson(root.value(QStringLiteral("name")).toString(),
                                         root.value(QStringLiteral("entry")), archivePath, QStringLiteral("entry"));
    if (!entry)
        return entry.error();
    manifest.entry = *entry;
    manifest.created = QDateTime::fromString(root.value(QStringLiteral("created")).toString(), Qt::ISODateWithMs);
    manifest.configMember = root.value(QStringLiteral("config")).toString();
    for (const QJsonValue &v : root.value(QStringLiteral("members")).toArray()) {
        const QJsonObject o = v.toObject();
        BackupMember m{o.value(QStringLiteral("name")).toString(), quint64(o.value(QStringLiteral("size")).toDouble()),
                       o.value(QStringLiteral("sha256")).toString()};
        if (const QString problem = memberNameProblem(m.name); !problem.isEmpty())
            return makeError(archivePath, QStringLiteral("the manifest's member name '%1' %2; refusing the archive").arg(printableName(m.name), problem));
        if (m.sha256.size() != 64)
            return makeError(archivePath, QStringLiteral("member '%1' has no valid checksum in the manifest").arg(m.name));
        manifest.members.push_back(m);
    }
    if (manifest.members.empty())
        return makeError(archivePath, QStringLiteral("the manifest lists no members"));
    // Every entry of the zip itself must be safe too, even those the manifest does not list.
    for (bool more = zip.goToFirstFile(); more; more = zip.goToNextFile()) {
        const QString name = zip.getCurrentFileName();
        if (const QString problem = memberNameProblem(name); !problem.isEmpty())
            return makeError(archivePath, QStringLiteral("the archive entry '%1' %2; refusing the archive").arg(printableName(name), problem));
    }
    return manifest;
}

Status BackupArchive::extractMember(const QString &archivePath, const BackupMember &member, const QString &destination,
                                    JobContext *job)
{
    QFile device;
    if (auto opened = openRegularFile(device, archivePath); !opened)
        return opened.error();
    const ZipShape shape = zipShape(device);
    QuaZip zip(&device);
    if (!zip.open(QuaZip::mdUnzip))
        return makeError(notAZip(archivePath, shape));
    if (!zip.setCurrentFile(member.name))
        return makeError(archivePath, QStringLiteral("member '%1' listed in the manifest is missing").arg(member.name));
    QuaZipFileInfo64 info;
    zip.getCurrentFileInfo(&info);
    if (info.uncompressedSize != member.size)
        return makeError(archivePath, QStringLiteral("member '%1' is %2 bytes but the manifest says %3; refusing it")
                                               .arg(member.name)
                                               .arg(info.uncompressedSize)
                                               .arg(member.size));
    QuaZipFile in(&zip);
    if (!in.open(QIODevice::ReadOnly))
        return makeError(archivePath, QStringLiteral("cannot read member '%1'").arg(member.name));
    QFile out(destination);
    if (!out.open(QIODevice::WriteOnly | QIODevice::NewOnly))
        return makeError(destination, QStringLiteral("cannot create: ") + out.errorString());
    const auto fail = [&](Error error) -> Status {
        out.close();
        QFile::remove(destination);
        return error;
    };
    QByteArray buffer(kBuffer, Qt::Uninitialized);
    Sha256 hash;
    quint64 total = 0;
    for (;;) {
        if (job && job->isCanceled())
            return fail(makeError(QStringLiteral("restore cancelled")));
        const qint64 n = in.read(buffer.data(), kBuffer);
        if (n < 0)
            return fail(makeError(archivePath, QStringLiteral("member '%1' is corrupt").arg(member.name)));
        if (n == 0)
            break;
        total += quint64(n);
        // The header's size can lie (a zip bomb); the bytes actually read cannot.
        if (total > member.size)
            return fail(makeError(archivePath, QStringLiteral("member '%1' holds more than the %2 bytes the manifest says; refusing it")
                                              .arg(member.name)
                                              .arg(member.size)));
        hash.update(buffer.constData(), std::size_t(n));
        if (!writeFully(out, buffer.constData(), n))
            return fail(makeError(destination, QStringLiteral("write error: ") + out.errorString() + QStringLiteral(" (is the disk full?)")));
        if (job)
            job->advance(quint64(n));
    }
    in.close();
    if (in.getZipError() != 0)
        return fail(makeError(archivePath, QStringLiteral("member '%1' failed its CRC check").arg(member.name)));
    if (total != member.size)
        return fail(makeError(archivePath, QStringLiteral("member '%1' is truncated").arg(member.name)));
    const QString sha = hash.finalHex();
    if (sha != member.sha256)
        return fail(makeError(archivePath, QStringLiteral("member '%1' has checksum %2 but the manifest says %3; the backup is damaged")
                                          .arg(member.name, sha, member.sha256)));
    if (!out.flush() || ::fsync(out.handle()) != 0)
        return fail(makeError(destination, QStringLiteral("cannot flush to disk")));
    return {};
}

} // namespace tantra
