#pragma once

#include "registry.h"
#include "result.h"

#include <QJsonObject>
#include <QString>

#include <utility>
#include <vector>

namespace tantra {

class JobContext;

struct BackupMember
{
    QString name; // path inside the archive
    quint64 size = 0;
    QString sha256;
};

// manifest.json of a backup: the registry entry as it was, and every member's checksum.
struct BackupManifest
{
    static constexpr int kFormatVersion = 1;

    int formatVersion = kFormatVersion;
    WeightEntry entry;
    QDateTime created;
    std::vector<BackupMember> members; // the weight's files, then the config
    QString configMember;              // "config/<type>.yaml", empty if none was archived
};

// A backup is a zip (QuaZip, zip64 so members may exceed 4 GB) holding
//   manifest.json                   the registry entry and each member's SHA-256
//   weights/<name>.safetensors      or weights/<name>/<file> for a shard set
//   config/<type>.yaml              the model type's config at backup time
// Members are stored, not deflated: weights barely compress and storing keeps backup at
// disk speed. Restore trusts nothing in the archive: names, sizes and checksums are checked.
class BackupArchive
{
public:
    // `files`: (absolute path, member name) pairs. The archive appears under `archivePath`
    // only when complete (written under a partial name, then renamed); when another process
    // took that name meanwhile, under "<name>-2.zip", "-3", …. Returns the path it has.
    static Result<QString> write(const QString &archivePath, const WeightEntry &entry,
                        const std::vector<std::pair<QString, QString>> &files, const QString &configPath,
                        JobContext *job);

    static Result<BackupManifest> readManifest(const QString &archivePath);

    // Extracts member `name` to `destination` (which must not exist), refusing it when it is
    // larger than the manifest says or its checksum differs. The file is removed on failure.
    static Status extractMember(const QString &archivePath, const BackupMember &member, const QString &destination,
                                JobContext *job);

    // Member names must be plain relative paths: no "..", no absolute paths, no backslashes.
    // Why `name` may not be extracted (absolute, '..', a drive letter, a control character), or
    // an empty string when it is safe.
    static QString memberNameProblem(const QString &name);
};

} // namespace tantra
