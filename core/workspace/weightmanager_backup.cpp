// WeightManager: backups and restore (the archive format itself is BackupArchive's).
#include "weightmanager.h"

#include "backuparchive.h"
#include "configmanager.h"
#include "jobcontext.h"
#include "mappedfile.h"
#include "pathjoin.h"
#include "regularfile.h"
#include "weightfiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStorageInfo>

#include <algorithm>
#include <cerrno>
#include <unistd.h>

namespace tantra {

QString WeightManager::uniqueBackupPath(const QString &name) const
{
    const QString stamp = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    const QDir dir(m_workspace.backupsDir());
    QString path = dir.filePath(QStringLiteral("%1-%2.zip").arg(name, stamp));
    for (int n = 2; QFileInfo::exists(path); ++n)
        path = dir.filePath(QStringLiteral("%1-%2-%3.zip").arg(name, stamp).arg(n));
    return path;
}

Result<QString> WeightManager::backupWeight(const QString &name, JobContext *job) const
{
    // The name becomes the archive's file name: "../../../outside/pwn2" made one outside.
    if (auto s = validateName(name, QStringLiteral("weight name"), kMaxWeightName); !s)
        return s.error();
    auto data = m_registry.load();
    if (!data)
        return data.error();
    const WeightEntry *entry = data->find(name);
    if (!entry)
        return withKind(makeError(m_registry.path(), QStringLiteral("no weight named '%1' is registered").arg(name)), ErrorKind::NotFound);
    const QString path = m_workspace.absolutePath(entry->path);
    if (auto inside = m_workspace.checkInside(path); !inside)
        return inside.error();
    if (auto made = m_workspace.createLayout(); !made)
        return made.error();

    std::vector<std::pair<QString, QString>> files;
    if (entry->sharded) {
        const QDir dir(path);
        if (!dir.exists())
            return makeError(path, QStringLiteral("the shard folder of '%1' is missing").arg(name));
        for (const QString &file : dir.entryList(QDir::Files, QDir::Name)) {
            if (isPartialName(file))
                continue;
            // A shard that is a link to a file outside would be copied into the archive.
            if (auto inside = m_workspace.checkInside(joinPath(dir, file)); !inside)
                return inside.error();
            files.emplace_back(joinPath(dir, file), QStringLiteral("weights/%1/%2").arg(name, file));
        }
    } else {
        if (auto special = checkNotSpecialFile(path); !special)
            return makeError(special.error().path, special.error().problem + QStringLiteral("; '%1' cannot be backed up").arg(name));
        if (!QFileInfo(path).isFile())
            return makeError(path, QStringLiteral("the file of '%1' is missing").arg(name));
        files.emplace_back(path, QStringLiteral("weights/%1.safetensors").arg(name));
    }

    quint64 needed = 0;
    for (const auto &f : files)
        needed += quint64(QFileInfo(f.first).size());
    // The margin covers the zip's headers and the manifest. The message states it: "N bytes
    // needed" with more than N free read as a wrong check.
    constexpr quint64 kMargin = quint64(16) << 20;
    const QStorageInfo storage(m_workspace.backupsDir());
    if (storage.isValid() && quint64(storage.bytesAvailable()) < needed + kMargin)
        return makeError(m_workspace.backupsDir(),
                         QStringLiteral("not enough free space for the backup (%1 bytes needed: %2 bytes of weight files plus a margin of %3 bytes "
                                          "for the archive's headers and manifest; %4 bytes free)")
                               .arg(needed + kMargin)
                               .arg(needed)
                               .arg(kMargin)
                               .arg(storage.bytesAvailable()));

    // The archive goes to Model/backups, never through a link there to somewhere else.
    const QString target = uniqueBackupPath(name);
    if (auto inside = m_workspace.checkInside(target); !inside)
        return inside.error();
    // model_type was checked as a name when the registry was read, so this stays in Config/.
    const QString config = QDir(m_workspace.configDir()).filePath(entry->modelType + QStringLiteral(".yaml"));
    auto written = BackupArchive::write(target, *entry, files, config, job);
    if (!written)
        return written.error();
    const QString archive = *written;

    // The archive's checksums were computed from the bytes it holds; if they disagree with
    // the registry the file changed since it was registered, and this backup would preserve
    // the damage. Refuse it rather than hand out a false sense of safety.
    auto manifest = BackupArchive::readManifest(archive);
    if (!manifest) {
        QFile::remove(archive);
        return manifest.error();
    }
    std::vector<WeightFile> members;
    for (const auto &m : manifest->members) {
        if (m.name != manifest->configMember)
            members.push_back(WeightFile{m.name, m.size, m.sha256});
    }
    const QString digest = entry->sharded ? shardManifestDigest(members) : members.front().sha256;
    if (!entry->sha256.isEmpty() && digest != entry->sha256) {
        QFile::remove(archive);
        return makeError(path, QStringLiteral("its checksum no longer matches the registry (the file changed after it was registered); no backup was made"),
                         Remedy::VerifyWeight, name);
    }
    return archive;
}

Result<WeightEntry> WeightManager::restoreBackup(const QString &archive, const QString &asVersion, JobContext *job)
{
    auto manifest = BackupArchive::readManifest(archive);
    if (!manifest)
        return manifest.error();
    const WeightEntry &original = manifest->entry;
    const QString type = original.modelType;
    const QString version = asVersion.isEmpty() ? original.version : asVersion;
    if (auto s = validateName(type, QStringLiteral("model type")); !s)
        return makeError(archive, s.errorString());
    if (auto s = validateName(version, QStringLiteral("version")); !s)
        return makeError(archive, s.errorString());
    const QString name = weightName(type, version);
    {
        auto data = m_registry.load();
        if (!data)
            return data.error();
        if (data->find(name))
            return makeError(archive, QStringLiteral("'%1' is already registered").arg(name), Remedy::RestoreAsAnotherVersion);
    }
    if (auto made = m_workspace.createLayout(); !made)
        return made.error();

    std::vector<BackupMember> weightMembers;
    quint64 needed = 0;
    for (const auto &m : manifest->members) {
        if (m.name != manifest->configMember) {
            weightMembers.push_back(m);
            needed += m.size;
        }
    }
    if (!original.sharded && weightMembers.size() != 1)
        return makeError(archive, QStringLiteral("a single-file weight must have exactly one weight member, not %1").arg(weightMembers.size()));
    // The entry is registered as the manifest states it, but only the members' bytes are
    // verified on extraction: an entry whose checksum or size disagrees with its members would
    // register a weight that 'verify' then calls changed. Refuse such a manifest.
    std::vector<WeightFile> memberFiles;
    for (const auto &m : weightMembers)
        memberFiles.push_back(WeightFile{m.name, m.size, m.sha256});
    const QString memberDigest = original.sharded ? shardManifestDigest(memberFiles) : weightMembers.front().sha256;
    if (original.sha256 != memberDigest || original.size != needed)
        return makeError(archive, QStringLiteral("the manifest's entry (sha256 %1, %2 bytes) does not match its members (sha256 %3, %4 bytes); the backup is damaged")
                                           .arg(original.sha256)
                                           .arg(original.size)
                                           .arg(memberDigest)
                                           .arg(needed));
    const QStorageInfo storage(m_workspace.weightsDir());
    if (storage.isValid() && quint64(storage.bytesAvailable()) < needed)
        return makeError(m_workspace.weightsDir(), QStringLiteral("not enough free space to restore (%1 bytes needed, %2 free)")
                                                        .arg(needed)
                                                        .arg(storage.bytesAvailable()));
    if (job)
        job->addTotal(needed);

    // The config member is checked like the weight's, before anything is installed: a member
    // that failed its checksum used to be skipped while the CLI reported "checksums verified".
    // Where the workspace has no config of the type, the archived one is installed, so it must
    // also parse as that type's config, as any config saved by this program does.
    const QString configPath = QDir(m_workspace.configDir()).filePath(type + QStringLiteral(".yaml"));
    struct RemoveOnExit
    {
        QString path;
        ~RemoveOnExit()
        {
            if (!path.isEmpty())
                QFile::remove(path);
        }
    } configPartial;
    if (!manifest->configMember.isEmpty()) {
        const auto member = std::find_if(manifest->members.begin(), manifest->members.end(),
                                         [&](const BackupMember &m) { return m.name == manifest->configMember; });
        if (member == manifest->members.end())
            return makeError(archive, QStringLiteral("the manifest names the config member '%1' but does not list its checksum; the backup is damaged")
                                 .arg(manifest->configMember));
        if (!QDir().mkpath(m_workspace.configDir()))
            return makeError(m_workspace.configDir(), QStringLiteral("cannot create the folder"));
        configPartial.path = partialPathFor(configPath);
        if (auto s = BackupArchive::extractMember(archive, *member, configPartial.path, nullptr); !s)
            return s.error();
        if (!QFileInfo::exists(configPath)) {
            QFile file;
            if (auto opened = openRegularFile(file, configPartial.path); !opened)
                return opened.error();
            auto parsed = ConfigManager::parseConfig(file.readAll(), configPath);
            if (!parsed)
                return makeError(archive, QStringLiteral("member '%1' is not a valid config, so nothing was restored: %2")
                                     .arg(member->name, parsed.errorString()));
        }
    }

    const QString finalPath = finalPathFor(type, version, original.sharded);
    if (auto inside = m_workspace.checkInside(finalPath); !inside)
        return inside.error();
    const QString partial = partialPathFor(finalPath);
    // Best effort: the partial name is hidden and the doctor removes what this cannot.
    const auto cleanup = [&] { (void)removeWeightPath(partial, original.sharded); };
    if (original.sharded) {
        if (!QDir().mkpath(partial))
            return makeError(partial, QStringLiteral("cannot create the folder"));
        QStringList seen;
        for (const auto &m : weightMembers) {
            const QString file = QFileInfo(m.name).fileName();
            if (seen.contains(file)) {
                cleanup();
                return makeError(archive, QStringLiteral("two members are named '%1'").arg(file));
            }
            seen << file;
            if (auto s = BackupArchive::extractMember(archive, m, joinPath(partial, file), job); !s) {
                cleanup();
                return s.error();
            }
        }
    } else if (auto s = BackupArchive::extractMember(archive, weightMembers.front(), partial, job); !s) {
        return s.error();
    }

    auto model = SafetensorsModel::open(partial);
    if (!model) {
        cleanup();
        return makeError(archive, QStringLiteral("the restored weight does not open: ") + model.errorString());
    }

    WeightEntry entry = original;
    entry.name = name;
    entry.version = version;
    entry.path = m_workspace.relativePath(finalPath);
    // Created stays the weight's own time (when it was trained or saved), so a restored weight
    // sorts and reads as what it is; the restore has a time of its own.
    entry.restored = QDateTime::currentDateTimeUtc();
    if (!entry.created.isValid())
        entry.created = entry.restored;
    entry.source = QStringLiteral("restored from %1").arg(QFileInfo(archive).fileName());
    entry.validation = {};
    if (original.sharded) {
        entry.files.clear();
        for (const auto &m : weightMembers)
            entry.files.push_back(WeightFile{m_workspace.relativePath(joinPath(finalPath, QFileInfo(m.name).fileName())),
                                             m.size, m.sha256});
    }
    auto committed = commitWeight(entry, partial, false);
    if (!committed) {
        cleanup();
        return committed.error();
    }

    // Bring the config back only where the workspace has none: never overwrite edits (a
    // hard link fails where a config appeared meanwhile; rename would replace it).
    if (!configPartial.path.isEmpty() && !QFileInfo::exists(configPath)
        && ::link(QFile::encodeName(configPartial.path).constData(), QFile::encodeName(configPath).constData()) != 0
        && errno != EEXIST) {
        return makeError(configPath, QStringLiteral("the weight was restored as '%1', but its config could not be installed: %2")
                             .arg(committed->name, systemErrorString(errno)));
    }
    return committed;
}

Result<std::vector<BackupInfo>> WeightManager::listBackups() const
{
    std::vector<BackupInfo> out;
    // Reading archives through a link that leads outside would read another folder's files.
    if (QFileInfo::exists(m_workspace.backupsDir())) {
        if (auto inside = m_workspace.checkInside(m_workspace.backupsDir()); !inside)
            return inside.error();
    }
    const QDir dir(m_workspace.backupsDir());
    for (const QFileInfo &info : dir.entryInfoList({QStringLiteral("*.zip")}, QDir::Files, QDir::Time)) {
        BackupInfo b;
        b.path = info.absoluteFilePath();
        b.size = quint64(info.size());
        b.created = info.lastModified().toUTC();
        auto manifest = BackupArchive::readManifest(b.path);
        if (manifest) {
            b.weight = manifest->entry.name;
            b.modelType = manifest->entry.modelType;
            if (manifest->created.isValid())
                b.created = manifest->created.toUTC();
        }
        out.push_back(b);
    }
    return out;
}

} // namespace tantra
