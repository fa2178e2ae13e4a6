#pragma once

#include <QDateTime>

#include "registry.h"
#include "result.h"

#include <QIODevice>
#include <QString>

#include <vector>

namespace tantra {

class JobContext;

// What is on disk for one weight: its files with sizes and checksums.
struct WeightFiles
{
    quint64 size = 0;
    QString sha256; // the file's, or the shard manifest's (see WeightEntry::sha256)
    std::vector<WeightFile> files; // shard sets only
};

// Hashes a weight in place: a .safetensors file, or a shard folder (its index and every
// shard, in parallel). Paths in the result are relative to `root`.
Result<WeightFiles> hashWeight(const QString &root, const QString &absolutePath, bool sharded, JobContext *job);

// SHA-256 over "<sha256>  <file name>\n" lines sorted by name: one digest for a shard set.
QString shardManifestDigest(const std::vector<WeightFile> &files);

// Copies `from` to `to` (which must not exist), hashing the bytes as they pass, syncing
// before returning. On failure or cancel the partial copy is removed.
Result<QString> copyAndHash(const QString &from, const QString &to, JobContext *job);

// A hidden name next to `finalPath` for work in progress: ".<name>.partial-<pid>-<n>".
// Leftovers of killed processes are found (and cleaned) by the doctor through the pid.
QString partialPathFor(const QString &finalPath);
bool isPartialName(const QString &fileName);
// The pid recorded in a partial name, or 0.
qint64 partialOwnerPid(const QString &fileName);
// Whether the process `pid` can still be working on a partial file whose inode last changed
// at `lastChanged` (its ctime, which writes and renames both set). A live pid is not enough:
// after a reboot or a wrap-around the pid of a killed writer may belong to an unrelated
// process, which would keep the leftover forever. A process that started more than ten
// minutes after the file's last change is not its writer.
bool partialOwnerAlive(qint64 pid, const QDateTime &lastChanged);
// When the process `pid` started (from /proc), or an invalid time.
QDateTime processStartTime(qint64 pid);

// Writes all `size` bytes, repeating short writes: a full disk first gives a short count with no
// error, and only the next write says why ("No space left on device"). False on failure, with
// the device's errorString() telling the reason.
bool writeFully(QIODevice &out, const char *data, qint64 size);

// Deletes a weight's file or shard folder; a symbolic link is deleted as a link, never followed.
Status removeWeightPath(const QString &absolutePath, bool sharded);

} // namespace tantra
