#pragma once

#include "registry.h"
#include "remotelist.h"
#include "result.h"
#include "s3client.h"

#include <QDateTime>
#include <QJsonObject>

#include <vector>

namespace tantra {

class JobContext;
class WeightManager;

struct PushReport
{
    QString weight;
    QString manifest;            // s3://bucket/prefix/weights/<name>.json
    std::uint64_t uploadedBytes = 0;
    std::uint64_t skippedBytes = 0; // blobs the remote held already (same SHA-256 and size)
    std::uint64_t resumedBytes = 0; // parts of an interrupted upload found intact (in neither)
    int uploadedBlobs = 0;
    int skippedBlobs = 0;
};

// A weight as its manifest on the remote describes it (nothing else is read).
struct RemoteWeight
{
    WeightEntry entry;
    struct File
    {
        QString name; // the file's name (single file) or its name in the shard folder
        QString sha256;
        std::uint64_t size = 0;
    };
    std::vector<File> files;
    QString config;   // the YAML config it was pushed with
    QString pushedBy;
    QDateTime pushedAt;
};

// What a listing found: the weights whose manifests read, and why the others did not (a
// colleague's newer build, a truncated upload): one bad manifest does not hide the rest.
struct RemoteListing
{
    std::vector<RemoteWeight> weights; // by name
    std::vector<Error> unreadable;
};

struct GarbageReport
{
    std::vector<S3Object> blobs;     // no manifest names them: deleted (or, dry run, would be)
    std::vector<S3Upload> uploads;   // abandoned multipart uploads: aborted (or would be)
    std::uint64_t blobBytes = 0;
    int manifests = 0;               // read to find what is referenced
};

// The remote store layout (docs/REMOTE.md): content-addressed blobs under
// <prefix>blobs/sha256/<hex>, one manifest per weight under <prefix>weights/<name>.json,
// written only after all its blobs are complete.
class RemoteStore
{
public:
    RemoteStore(Remote remote, S3Credentials credentials);

    const Remote &remote() const { return m_remote; }
    const S3Client &client() const { return m_client; }

    // Uploads what the remote lacks of the registered weight `name`, then its manifest. Every
    // byte sent is hashed on the way: a local file that no longer matches its registered
    // SHA-256 is refused, and the server checks each body against the hash sent with it. A
    // multipart upload that was interrupted (cancelled, failed, killed) is continued: parts the
    // server lists (ListParts) whose size and MD5 (their ETag) match are not sent again.
    Result<PushReport> push(WeightManager &manager, const QString &name, JobContext *job = nullptr) const;
    // Downloads `name` into the workspace and registers it (like an import), only after every
    // file's SHA-256 matched the manifest. Each file is fetched into Model/.pull/<sha256>.partial
    // in 64 MiB ranges, the finished ones listed beside it, so a pull that was cancelled, failed
    // or killed continues where it stopped.
    Result<WeightEntry> pull(WeightManager &manager, const QString &name, bool activate, JobContext *job = nullptr) const;
    // Every manifest, read eight at a time; fails only when the listing itself does or `job`
    // is cancelled (checked between manifests; progress counts manifests).
    Result<RemoteListing> listWeights(JobContext *job = nullptr) const;
    Result<RemoteWeight> manifest(const QString &name) const;
    // Deletes the blobs no manifest references and aborts the multipart uploads, of those last
    // written (started) before `before`: a push in progress writes its blobs before its
    // manifest, so only what is old enough to be abandoned goes (`remote gc`: a day). Every
    // manifest must be readable, or nothing is deleted: an unreadable one might reference
    // any blob.
    Result<GarbageReport> collectGarbage(const QDateTime &before, bool dryRun) const;

    static constexpr std::uint64_t kPartBytes = std::uint64_t(64) << 20;
    static constexpr int kInFlight = 4;

private:
    QString blobKey(const QString &sha256) const;
    QString manifestKey(const QString &name) const;
    // Uploaded bytes (0: the remote had the blob) and bytes of parts found from an earlier try.
    struct BlobUpload
    {
        std::uint64_t uploaded = 0;
        std::uint64_t resumed = 0;
    };
    Result<BlobUpload> uploadBlob(const QString &path, const QString &sha256, std::uint64_t size, JobContext *job) const;
    Status downloadBlob(const RemoteWeight::File &file, const QString &partialDir, const QString &into, JobContext *job) const;

    Remote m_remote;
    S3Client m_client;
};

} // namespace tantra
