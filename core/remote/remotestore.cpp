#include "remotestore.h"

#include "configmanager.h"
#include "jobcontext.h"
#include "regularfile.h"
#include "sha256.h"
#include "uniquefd.h"
#include "weightmanager.h"
#include "workspace.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLockFile>
#include <QMutex>
#include <QRegularExpression>
#include <QSemaphore>
#include <QStorageInfo>
#include <QSysInfo>
#include <QThreadPool>
#include <QWaitCondition>
#include <QtConcurrent>

#include <atomic>
#include <map>
#include <cmath>
#include <optional>
#include <set>
#include <cerrno>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tantra {

namespace {

constexpr int kManifestSchema = 1;
constexpr std::uint64_t kMaxManifestBytes = std::uint64_t(16) << 20;
constexpr std::size_t kMaxFiles = 100000;

QString userAtHost()
{
    QString user = qEnvironmentVariable("USER", qEnvironmentVariable("LOGNAME"));
    if (user.isEmpty()) {
        const passwd *pw = ::getpwuid(::getuid());
        user = pw ? QString::fromLocal8Bit(pw->pw_name) : QStringLiteral("uid%1").arg(::getuid());
    }
    return user + QLatin1Char('@') + QSysInfo::machineHostName();
}

// The first error any of several threads met, kept once.
class FirstError
{
public:
    void set(const Error &error)
    {
        QMutexLocker lock(&m_mutex);
        if (!m_failed.exchange(true))
            m_error = error;
    }
    bool failed() const { return m_failed.load(); }
    Error error() const
    {
        QMutexLocker lock(&m_mutex);
        return m_error;
    }

private:
    mutable QMutex m_mutex;
    std::atomic<bool> m_failed{false};
    Error m_error;
};

// A part's MD5, which S3 servers give as its ETag: how a part on the server is recognised.
class Md5
{
public:
    Md5() : m_ctx(EVP_MD_CTX_new()) { EVP_DigestInit_ex(m_ctx, EVP_md5(), nullptr); }
    ~Md5() { EVP_MD_CTX_free(m_ctx); }
    Md5(const Md5 &) = delete;
    Md5 &operator=(const Md5 &) = delete;
    void update(std::span<const std::byte> data) { EVP_DigestUpdate(m_ctx, data.data(), data.size()); }
    QByteArray finalHex()
    {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        EVP_DigestFinal_ex(m_ctx, digest, &length);
        return QByteArray(reinterpret_cast<const char *>(digest), qsizetype(length)).toHex();
    }

private:
    EVP_MD_CTX *m_ctx;
};

constexpr std::size_t kHashChunkBytes = std::size_t(4) << 20;

} // namespace

RemoteStore::RemoteStore(Remote remote, S3Credentials credentials)
    : m_remote(std::move(remote)), m_client(m_remote.s3Endpoint(), std::move(credentials))
{
}

QString RemoteStore::blobKey(const QString &sha256) const
{
    return m_remote.prefix + QStringLiteral("blobs/sha256/") + sha256;
}

QString RemoteStore::manifestKey(const QString &name) const
{
    return m_remote.prefix + QStringLiteral("weights/") + name + QStringLiteral(".json");
}

Result<RemoteStore::BlobUpload> RemoteStore::uploadBlob(const QString &path, const QString &sha256, std::uint64_t size,
                                                         JobContext *job) const
{
    const QString key = blobKey(sha256);
    auto there = m_client.head(key);
    if (!there)
        return there.error();
    if (*there && **there == size)
        return BlobUpload{};
    QFile file;
    if (auto opened = openRegularFile(file, path); !opened)
        return opened.error();
    if (std::uint64_t(file.size()) != size)
        return makeError(path, QStringLiteral("is %1 bytes, not the %2 the registry records; run 'verify' (nothing was pushed)").arg(file.size()).arg(size));
    const auto changed = [&](const QString &actual) {
        return makeError(path, QStringLiteral("no longer matches its registered SHA-256 (now %1, registered %2); run 'verify' (nothing was pushed)")
                                       .arg(actual, sha256));
    };
    // By position, so that the uploads on several threads share the one descriptor.
    const S3Client::BodyReader readAt = [fd = file.handle()](std::uint64_t offset, char *into, std::size_t max) -> std::size_t {
        for (;;) {
            const ssize_t n = ::pread(fd, into, max, off_t(offset));
            if (n < 0 && errno == EINTR)
                continue;
            return n > 0 ? std::size_t(n) : 0;
        }
    };
    // Bytes [begin, begin + length) handed to `use` in order, a chunk at a time.
    std::vector<std::byte> chunk(kHashChunkBytes);
    const auto readChunks = [&](std::uint64_t begin, std::uint64_t length, const std::function<void(std::span<const std::byte>)> &use) -> Status {
        for (std::uint64_t at = 0; at < length;) {
            const std::size_t want = std::size_t(std::min<std::uint64_t>(chunk.size(), length - at));
            for (std::size_t got = 0; got < want;) {
                const std::size_t k = readAt(begin + at + got, reinterpret_cast<char *>(chunk.data()) + got, want - got);
                if (k == 0)
                    return makeError(path, QStringLiteral("read failed: ") + systemErrorString(errno ? errno : EIO));
                got += k;
            }
            use(std::span<const std::byte>(chunk.data(), want));
            at += want;
        }
        return {};
    };
    // Each body is read twice: first in order, for its hash (and a part's MD5); then by its
    // upload, streamed from the file (the page cache has it), so memory holds a chunk per
    // reader, not the body. Bytes that change in between fail the server's check of the
    // SHA-256 sent with them.
    if (size <= kPartBytes) {
        Sha256 whole;
        if (auto read = readChunks(0, size, [&](std::span<const std::byte> bytes) { whole.update(bytes); }); !read)
            return read.error();
        if (const QString actual = whole.finalHex(); actual != sha256)
            return changed(actual);
        // The server checks the body against x-amz-content-sha256, the registered hash.
        if (auto put = m_client.put(key, size, readAt, sha256); !put)
            return put.error();
        if (job)
            job->advance(size);
        return BlobUpload{size, 0};
    }

    // An earlier push of this blob that did not finish: continue its newest upload.
    QString uploadId;
    QString initiated;
    std::map<int, S3Part> existing;
    auto uploads = m_client.listMultipartUploads(key);
    if (!uploads)
        return uploads.error();
    for (const S3Upload &u : *uploads) {
        if (u.key == key && (uploadId.isEmpty() || u.initiated > initiated)) {
            uploadId = u.uploadId;
            initiated = u.initiated;
        }
    }
    if (!uploadId.isEmpty()) {
        auto listed = m_client.listParts(key, uploadId);
        if (listed) {
            for (const S3Part &p : *listed)
                existing[p.number] = p;
        } else {
            uploadId.clear(); // aborted meanwhile: start a new one
        }
    }
    if (uploadId.isEmpty()) {
        auto created = m_client.createMultipartUpload(key);
        if (!created)
            return created.error();
        uploadId = *created;
    }
    const int partCount = int((size + kPartBytes - 1) / kPartBytes);
    auto parts = std::vector<S3Part>(std::size_t(partCount));
    FirstError failure;
    std::atomic<std::uint64_t> uploaded{0};
    std::uint64_t resumed = 0;
    QSemaphore slots(kInFlight);
    QThreadPool pool;
    pool.setMaxThreadCount(kInFlight);
    Sha256 whole;
    for (int n = 0; n < partCount && !failure.failed(); ++n) {
        if (job && job->isCanceled()) {
            failure.set(makeError(path, QStringLiteral("push cancelled; pushing again continues this upload")));
            break;
        }
        const std::uint64_t begin = std::uint64_t(n) * kPartBytes;
        const std::uint64_t length = std::min(kPartBytes, size - begin);
        Sha256 partSha;
        Md5 partMd5;
        const auto hashed = readChunks(begin, length, [&](std::span<const std::byte> bytes) {
            whole.update(bytes);
            partSha.update(bytes);
            partMd5.update(bytes);
        });
        if (!hashed) {
            failure.set(hashed.error());
            break;
        }
        const QByteArray md5 = partMd5.finalHex();
        if (const auto it = existing.find(n + 1);
            it != existing.end() && it->second.size == length && QByteArray(it->second.etag).replace('"', "") == md5) {
            parts[std::size_t(n)] = it->second;
            resumed += length;
            if (job)
                job->advance(length);
            continue;
        }
        const QString sha = partSha.finalHex();
        slots.acquire();
        QThreadPool *target = &pool;
        (void)QtConcurrent::run(target, [&, n, begin, length, sha] {
            if (!failure.failed() && !(job && job->isCanceled())) {
                const S3Client::BodyReader body = [&](std::uint64_t offset, char *into, std::size_t max) {
                    return readAt(begin + offset, into, max);
                };
                auto etag = m_client.uploadPart(key, uploadId, n + 1, length, body, sha, job);
                if (!etag) {
                    failure.set(etag.error());
                } else {
                    parts[std::size_t(n)] = {n + 1, *etag, length};
                    uploaded += length;
                    if (job)
                        job->advance(length);
                }
            }
            slots.release();
        });
    }
    pool.waitForDone();
    // Parts in flight when the job was cancelled fail with the client's "cancelled".
    if (job && job->isCanceled())
        return makeError(path, QStringLiteral("push cancelled; pushing again continues this upload"));
    if (!failure.failed()) {
        if (const QString actual = whole.finalHex(); actual != sha256) {
            // Parts of other bytes must not be continued: this upload goes.
            (void)m_client.abortMultipartUpload(key, uploadId);
            return changed(actual);
        }
    }
    // A failure or a cancel leaves the upload for the next push to continue ('remote gc'
    // aborts what nobody continues).
    if (failure.failed())
        return failure.error();
    if (auto completed = m_client.completeMultipartUpload(key, uploadId, parts); !completed) {
        // Another machine pushing the same blob may have completed this very upload first.
        auto now = m_client.head(key);
        if (!(now && *now && **now == size))
            return completed.error();
    }
    return BlobUpload{uploaded.load(), resumed};
}

Result<PushReport> RemoteStore::push(WeightManager &manager, const QString &name, JobContext *job) const
{
    if (auto valid = validateName(name, QStringLiteral("weight name"), kMaxWeightName); !valid)
        return valid.error();
    auto data = manager.snapshot();
    if (!data)
        return data.error();
    const WeightEntry *entry = data->find(name);
    if (!entry)
        return makeError(manager.workspace().registryPath(), QStringLiteral("no weight named '%1'").arg(name));
    auto config = manager.configs().getConfig(entry->modelType);
    if (!config)
        return config.error();

    // Each file of the weight: the file itself, or the shard set's files and index.
    struct Local
    {
        QString path;
        RemoteWeight::File file;
    };
    std::vector<Local> locals;
    const QString root = manager.workspace().absolutePath(entry->path);
    if (auto inside = manager.workspace().checkInside(root); !inside)
        return inside.error();
    if (entry->sharded) {
        for (const WeightFile &f : entry->files) {
            const QString path = manager.workspace().absolutePath(f.path);
            if (auto inside = manager.workspace().checkInside(path); !inside)
                return inside.error();
            locals.push_back({path, {QFileInfo(path).fileName(), f.sha256, f.size}});
        }
    } else {
        locals.push_back({root, {QFileInfo(root).fileName(), entry->sha256, entry->size}});
    }

    PushReport report;
    report.weight = name;
    report.manifest = m_client.describe(manifestKey(name));
    if (job) {
        for (const Local &l : locals)
            job->addTotal(l.file.size);
    }
    QJsonArray files;
    for (const Local &l : locals) {
        auto uploaded = uploadBlob(l.path, l.file.sha256, l.file.size, job);
        if (!uploaded && !(job && job->isCanceled())) {
            // Another machine pushing the same blob may have completed (or aborted) the upload
            // this one continued: the blob being there is what counts.
            if (auto now = m_client.head(blobKey(l.file.sha256)); now && *now && **now == l.file.size)
                uploaded = BlobUpload{};
        }
        if (!uploaded)
            return uploaded.error();
        if (uploaded->uploaded + uploaded->resumed > 0) {
            report.uploadedBytes += uploaded->uploaded;
            report.resumedBytes += uploaded->resumed;
            ++report.uploadedBlobs;
        } else {
            report.skippedBytes += l.file.size;
            ++report.skippedBlobs;
            if (job)
                job->advance(l.file.size);
        }
        files.append(QJsonObject{{QStringLiteral("name"), l.file.name},
                                 {QStringLiteral("sha256"), l.file.sha256},
                                 {QStringLiteral("size"), double(l.file.size)}});
    }
    // Written last: a reader never sees a manifest whose blobs are missing.
    const QJsonObject manifest{{QStringLiteral("schema_version"), kManifestSchema},
                               {QStringLiteral("name"), name},
                               {QStringLiteral("entry"), Registry::entryToJson(*entry)},
                               {QStringLiteral("files"), files},
                               {QStringLiteral("config"), config->yaml},
                               {QStringLiteral("pushed_by"), userAtHost()},
                               {QStringLiteral("pushed_at"), isoUtc(QDateTime::currentDateTimeUtc())}};
    const QByteArray bytes = QJsonDocument(manifest).toJson(QJsonDocument::Indented);
    const auto body = std::as_bytes(std::span(bytes.constData(), std::size_t(bytes.size())));
    if (auto put = m_client.put(manifestKey(name), body, sha256Hex(body), "application/json"); !put)
        return put.error();
    // A blob found on the remote and skipped may be old and unreferenced (a push that failed
    // before its manifest), and a `remote gc` elsewhere may have deleted it while this push
    // ran: now that the manifest references it, put back what is gone.
    for (const Local &l : locals) {
        auto there = m_client.head(blobKey(l.file.sha256));
        if (!there)
            return there.error();
        if (*there && **there == l.file.size)
            continue;
        auto again = uploadBlob(l.path, l.file.sha256, l.file.size, nullptr);
        if (!again)
            return again.error();
        report.uploadedBytes += again->uploaded;
    }
    return report;
}

Result<RemoteWeight> RemoteStore::manifest(const QString &name) const
{
    if (auto valid = validateName(name, QStringLiteral("weight name"), kMaxWeightName); !valid)
        return valid.error();
    const QString key = manifestKey(name);
    const QString where = m_client.describe(key);
    auto bytes = m_client.get(key, kMaxManifestBytes);
    if (!bytes) {
        Error e = bytes.error();
        if (e.kind == ErrorKind::NotFound)
            e.problem = QStringLiteral("the remote '%1' has no weight named '%2'").arg(m_remote.name, name);
        return e;
    }
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(*bytes, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return makeError(where, QStringLiteral("not a weight manifest: %1").arg(error.error != QJsonParseError::NoError ? error.errorString() : QStringLiteral("not a JSON object")));
    const QJsonObject o = doc.object();
    if (o.value(QLatin1String("schema_version")).toInt(-1) != kManifestSchema)
        return makeError(where, QStringLiteral("manifest schema_version is not %1; a newer version of this program may read it").arg(kManifestSchema));
    if (o.value(QLatin1String("name")).toString() != name)
        return makeError(where, QStringLiteral("the manifest names another weight ('%1')").arg(o.value(QLatin1String("name")).toString()));
    RemoteWeight w;
    auto entry = Registry::entryFromJson(name, o.value(QLatin1String("entry")), where, QStringLiteral("entry"));
    if (!entry)
        return entry.error();
    w.entry = std::move(entry).value();
    // The pull registers the entry's type and version: they must make the name asked for, or a
    // manifest called bert_v1 could register (and activate) mamba_run8.
    if (weightName(w.entry.modelType, w.entry.version) != name)
        return makeError(where, QStringLiteral("the manifest's entry is '%1', not '%2'").arg(weightName(w.entry.modelType, w.entry.version), name));
    const QJsonValue files = o.value(QLatin1String("files"));
    if (!files.isArray() || files.toArray().isEmpty() || std::size_t(files.toArray().size()) > kMaxFiles)
        return makeError(where, QStringLiteral("\"files\" must be a non-empty array"));
    static const QRegularExpression fileName(QStringLiteral("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$"));
    static const QRegularExpression hex(QStringLiteral("^[0-9a-f]{64}$"));
    std::set<QString> seen;
    for (const QJsonValue &v : files.toArray()) {
        const QJsonObject f = v.toObject();
        RemoteWeight::File file{f.value(QLatin1String("name")).toString(), f.value(QLatin1String("sha256")).toString(), 0};
        const double size = f.value(QLatin1String("size")).toDouble(-1);
        if (!fileName.match(file.name).hasMatch() || !seen.insert(file.name).second)
            return makeError(where, QStringLiteral("files: '%1' is not a plain, unique file name").arg(file.name));
        if (!hex.match(file.sha256).hasMatch())
            return makeError(where, QStringLiteral("files: '%1' has no valid sha256").arg(file.name));
        if (!(size >= 0 && size <= 9007199254740992.0) || size != std::floor(size))
            return makeError(where, QStringLiteral("files: '%1' has no valid size").arg(file.name));
        file.size = std::uint64_t(size);
        w.files.push_back(file);
    }
    if (!w.entry.sharded && (w.files.size() != 1 || !w.files[0].name.endsWith(QLatin1String(".safetensors"))))
        return makeError(where, QStringLiteral("a single-file weight's manifest must list one .safetensors file"));
    if (!w.entry.sharded && (w.files[0].sha256 != w.entry.sha256 || w.files[0].size != w.entry.size))
        return makeError(where, QStringLiteral("the file's sha256 or size differ from the entry's"));
    w.config = o.value(QLatin1String("config")).toString();
    w.pushedBy = o.value(QLatin1String("pushed_by")).toString();
    w.pushedAt = QDateTime::fromString(o.value(QLatin1String("pushed_at")).toString(), Qt::ISODate);
    return w;
}

Result<RemoteListing> RemoteStore::listWeights(JobContext *job) const
{
    const QString prefix = m_remote.prefix + QStringLiteral("weights/");
    auto objects = m_client.list(prefix);
    if (!objects)
        return objects.error();
    QStringList names;
    for (const S3Object &object : *objects) {
        if (!object.key.endsWith(QLatin1String(".json")))
            continue;
        const QString name = object.key.mid(prefix.size()).chopped(5);
        if (!validateName(name, QStringLiteral("weight name"), kMaxWeightName))
            continue; // not one of ours: skipped rather than failing the whole listing
        names << name;
    }
    if (job)
        job->addTotal(std::uint64_t(names.size()));
    // A request each, most of it waiting on the server: eight in flight (each thread keeps its
    // own connection).
    QThreadPool pool;
    pool.setMaxThreadCount(8);
    std::vector<std::optional<Result<RemoteWeight>>> read(std::size_t(names.size()));
    for (qsizetype i = 0; i < names.size(); ++i) {
        (void)QtConcurrent::run(&pool, [&, i] {
            if (job && job->isCanceled())
                return;
            read[std::size_t(i)] = manifest(names[i]);
            if (job)
                job->advance(1);
        });
    }
    pool.waitForDone();
    if (job && job->isCanceled())
        return makeError(m_client.describe(prefix), QStringLiteral("listing cancelled"));
    RemoteListing listing;
    for (auto &w : read) {
        if (!w)
            continue;
        if (*w)
            listing.weights.push_back(std::move(*w).value());
        else
            listing.unreadable.push_back(w->error());
    }
    return listing;
}

Result<GarbageReport> RemoteStore::collectGarbage(const QDateTime &before, bool dryRun) const
{
    GarbageReport report;
    // Stricter than listWeights: any object among the manifests that cannot be read stops
    // the collection, as it might reference any blob.
    const QString manifests = m_remote.prefix + QStringLiteral("weights/");
    auto listed = m_client.list(manifests);
    if (!listed)
        return listed.error();
    std::set<QString> referenced;
    for (const S3Object &object : *listed) {
        const QString name = object.key.mid(manifests.size()).chopped(object.key.endsWith(QLatin1String(".json")) ? 5 : 0);
        auto w = object.key.endsWith(QLatin1String(".json")) ? manifest(name)
                                                              : Result<RemoteWeight>(makeError(m_client.describe(object.key), QStringLiteral("is not a weight manifest")));
        if (!w)
            return makeError(w.error().path, w.error().problem + QStringLiteral("; nothing was deleted"));
        ++report.manifests;
        for (const auto &f : w->files)
            referenced.insert(f.sha256);
    }
    const QString blobs = m_remote.prefix + QStringLiteral("blobs/sha256/");
    auto objects = m_client.list(blobs);
    if (!objects)
        return objects.error();
    for (const S3Object &o : *objects) {
        const QDateTime written = QDateTime::fromString(o.lastModified, Qt::ISODateWithMs);
        if (referenced.count(o.key.mid(blobs.size())) || !written.isValid() || written >= before)
            continue;
        report.blobs.push_back(o);
        report.blobBytes += o.size;
    }
    // Only this program's uploads (blobs/sha256/<hex>): the bucket may hold other tools' too.
    auto uploads = m_client.listMultipartUploads(blobs);
    if (!uploads)
        return uploads.error();
    static const QRegularExpression blobName(QStringLiteral("^[0-9a-f]{64}$"));
    for (const S3Upload &u : *uploads) {
        const QDateTime started = QDateTime::fromString(u.initiated, Qt::ISODateWithMs);
        if (u.key.startsWith(blobs) && blobName.match(u.key.mid(blobs.size())).hasMatch() && started.isValid() && started < before)
            report.uploads.push_back(u);
    }
    if (dryRun)
        return report;
    for (const S3Upload &u : report.uploads)
        if (auto aborted = m_client.abortMultipartUpload(u.key, u.uploadId); !aborted)
            return aborted.error();
    for (const S3Object &o : report.blobs)
        if (auto removed = m_client.remove(o.key); !removed)
            return removed.error();
    return report;
}

Status RemoteStore::downloadBlob(const RemoteWeight::File &file, const QString &partialDir, const QString &into, JobContext *job) const
{
    const QString key = blobKey(file.sha256);
    auto there = m_client.head(key);
    if (!there)
        return there.error();
    if (!*there)
        return makeError(m_client.describe(key), QStringLiteral("the manifest names this blob for '%1', but the remote does not have it").arg(file.name));
    if (**there != file.size)
        return makeError(m_client.describe(key), QStringLiteral("is %1 bytes, the manifest says %2").arg(**there).arg(file.size));

    // The partial file and its list of finished ranges, kept across tries. The folder is the
    // workspace's, which others write too: a link there could point the writes anywhere.
    if (QFileInfo(partialDir).isSymLink() || (QFileInfo::exists(partialDir) && !QFileInfo(partialDir).isDir()))
        return makeError(partialDir, QStringLiteral("is not a folder; remove it and pull again"));
    if (!QDir().mkpath(partialDir))
        return makeError(partialDir, QStringLiteral("cannot create the folder"));
    const QString partial = QDir(partialDir).filePath(file.sha256 + QStringLiteral(".partial"));
    const QString rangesPath = QDir(partialDir).filePath(file.sha256 + QStringLiteral(".ranges"));
    const QString lockPath = QDir(partialDir).filePath(file.sha256 + QStringLiteral(".lock"));
    // QLockFile reads an existing lock file: a FIFO there would block it for ever.
    if (auto plain = checkNotSpecialFile(lockPath); !plain)
        return plain.error();
    QLockFile lock(lockPath);
    if (!lock.tryLock(0))
        return makeError(partial, QStringLiteral("another pull of this file is running in this workspace"));
    const std::uint64_t rangeCount = (file.size + kPartBytes - 1) / kPartBytes;
    std::set<std::uint64_t> finished;
    const QFileInfo partialInfo(partial);
    if (partialInfo.isFile() && !partialInfo.isSymLink() && std::uint64_t(partialInfo.size()) == file.size) {
        QFile ranges;
        if (!QFileInfo(rangesPath).isSymLink() && openRegularFile(ranges, rangesPath)) {
            for (const QByteArray &line : ranges.read(qint64(1) << 20).split('\n')) {
                bool ok = false;
                const std::uint64_t index = line.toULongLong(&ok);
                if (ok && index < rangeCount)
                    finished.insert(index);
            }
        }
    } else {
        QFile::remove(partial);
        QFile::remove(rangesPath);
    }

    const UniqueFd out(::open(QFile::encodeName(partial).constData(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!out.valid())
        return makeError(partial, QStringLiteral("cannot write: ") + systemErrorString(errno));
    if (::ftruncate(out.get(), off_t(file.size)) != 0)
        return makeError(partial, QStringLiteral("cannot set the size: ") + systemErrorString(errno));
    // Not through a link or into a FIFO: the folder is the workspace's, which others write.
    const UniqueFd rangesFd(::open(QFile::encodeName(rangesPath).constData(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644));
    struct stat rangesStat {};
    if (!rangesFd.valid() || ::fstat(rangesFd.get(), &rangesStat) != 0 || !S_ISREG(rangesStat.st_mode))
        return makeError(rangesPath, QStringLiteral("cannot write a list of finished ranges here; remove it and pull again"));
    QMutex rangesMutex;

    FirstError failure;
    const JobContext *constJob = job;
    const S3Client::Sink writeAt = [&](std::uint64_t offset, const char *data, std::size_t size) {
        for (std::size_t done = 0; done < size;) {
            const ssize_t n = ::pwrite(out.get(), data + done, size - done, off_t(offset + done));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                failure.set(makeError(partial, QStringLiteral("write failed: ") + systemErrorString(n < 0 ? errno : ENOSPC)));
                return false;
            }
            done += std::size_t(n);
        }
        return true;
    };
    if (job)
        job->addTotal(file.size);
    // This thread hashes the ranges in order as they arrive (read back from the page cache),
    // so the check at the end costs no second pass over the file.
    QMutex arrivedMutex;
    QWaitCondition arrivedChanged;
    std::vector<char> arrived(std::size_t(rangeCount), 0);
    const auto markArrived = [&](std::uint64_t index) {
        QMutexLocker locker(&arrivedMutex);
        arrived[std::size_t(index)] = 1;
        arrivedChanged.wakeAll();
    };
    QThreadPool pool;
    pool.setMaxThreadCount(kInFlight);
    for (std::uint64_t index = 0; index < rangeCount; ++index) {
        const std::uint64_t at = index * kPartBytes;
        const std::uint64_t length = std::min(kPartBytes, file.size - at);
        if (finished.count(index)) {
            arrived[std::size_t(index)] = 1;
            if (job)
                job->advance(length);
            continue;
        }
        QThreadPool *target = &pool;
        (void)QtConcurrent::run(target, [&, index, at, length] {
            if (failure.failed() || (job && job->isCanceled()))
                return;
            if (auto got = m_client.getRange(key, at, length, writeAt, constJob); !got) {
                failure.set(got.error());
                markArrived(index); // wakes the hasher, which then sees the failure
                return;
            }
            {
                // A range listed here whose bytes a crash lost is caught by the hash at the end.
                QMutexLocker locker(&rangesMutex);
                const QByteArray line = QByteArray::number(index) + '\n';
                (void)!::write(rangesFd.get(), line.constData(), std::size_t(line.size())); // a lost line costs a range
            }
            if (job)
                job->advance(length);
            markArrived(index);
        });
    }
    Sha256 hash;
    {
        const UniqueFd in(::open(QFile::encodeName(partial).constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!in.valid())
            failure.set(makeError(partial, QStringLiteral("cannot read: ") + systemErrorString(errno)));
        std::vector<std::byte> chunk(kHashChunkBytes);
        for (std::uint64_t index = 0; index < rangeCount && !failure.failed(); ++index) {
            {
                QMutexLocker locker(&arrivedMutex);
                while (!arrived[std::size_t(index)] && !failure.failed() && !(job && job->isCanceled()))
                    arrivedChanged.wait(&arrivedMutex, 100);
            }
            if (failure.failed() || (job && job->isCanceled()))
                break;
            const std::uint64_t end = std::min(file.size, (index + 1) * kPartBytes);
            for (std::uint64_t at = index * kPartBytes; at < end;) {
                const ssize_t n = ::pread(in.get(), chunk.data(), std::size_t(std::min<std::uint64_t>(chunk.size(), end - at)), off_t(at));
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0) {
                    failure.set(makeError(partial, QStringLiteral("read failed: ") + systemErrorString(n < 0 ? errno : EIO)));
                    break;
                }
                hash.update(std::span<const std::byte>(chunk.data(), std::size_t(n)));
                at += std::uint64_t(n);
            }
        }
    }
    pool.waitForDone();
    if (job && job->isCanceled())
        return makeError(into, QStringLiteral("pull cancelled; pulling again continues from %1").arg(partial));
    if (failure.failed())
        return failure.error();
    if (::fdatasync(out.get()) != 0)
        return makeError(partial, QStringLiteral("cannot flush: ") + systemErrorString(errno));
    const QString actual = hash.finalHex();
    if (actual != file.sha256) {
        // Start the next try from nothing: some of these bytes are wrong.
        QFile::remove(partial);
        QFile::remove(rangesPath);
        return makeError(m_client.describe(key), QStringLiteral("the downloaded bytes of '%1' have SHA-256 %2, not the manifest's %3: the copy on the remote is damaged; "
                                                                "nothing was registered").arg(file.name, actual, file.sha256));
    }
    struct stat written {};
    if (::fstat(out.get(), &written) != 0 || std::uint64_t(written.st_size) != file.size)
        return makeError(partial, QStringLiteral("is not %1 bytes long after the download").arg(file.size));
    if (::rename(QFile::encodeName(partial).constData(), QFile::encodeName(into).constData()) != 0)
        return makeError(into, QStringLiteral("cannot move the downloaded file into place: ") + systemErrorString(errno));
    QFile::remove(rangesPath);
    return {};
}

Result<WeightEntry> RemoteStore::pull(WeightManager &manager, const QString &name, bool activate, JobContext *job) const
{
    auto w = manifest(name);
    if (!w)
        return w.error();
    // A type this workspace does not know yet gets the config the weight was pushed with
    // (checked like an edit in the config editor), written once the bytes are verified and
    // removed again if the import fails; a known type keeps its own config, and the import
    // checks the weight against that.
    // Room for what is still to come, before any request: a manifest (or a server) naming a
    // larger file than the disk holds would otherwise fill it, and a hostile size would queue
    // a task per 64 MiB of it. What an earlier try downloaded is on disk already (the partial
    // file is sparse: its allocated blocks are what it holds).
    const QString partialDir = manager.workspace().absolutePath(QStringLiteral("Model/.pull"));
    std::uint64_t needed = 0;
    for (const auto &f : w->files) {
        std::uint64_t still = f.size;
        struct stat st {};
        const QString partial = QDir(partialDir).filePath(f.sha256 + QStringLiteral(".partial"));
        if (::lstat(QFile::encodeName(partial).constData(), &st) == 0 && S_ISREG(st.st_mode))
            still -= std::min<std::uint64_t>(std::uint64_t(st.st_blocks) * 512, f.size);
        needed = needed > UINT64_MAX - still ? UINT64_MAX : needed + still; // sizes are the manifest's word
    }
    const QStorageInfo storage(manager.workspace().weightsDir());
    if (storage.isValid() && std::uint64_t(storage.bytesAvailable()) < needed)
        return makeError(manager.workspace().weightsDir(), QStringLiteral("not enough free space to pull '%1' (%2 bytes needed, %3 free)")
                                                                   .arg(name)
                                                                   .arg(needed)
                                                                   .arg(storage.bytesAvailable()));
    const bool newType = !manager.configs().hasType(w->entry.modelType) && !w->config.isEmpty();
    bool configWritten = false;
    const QString note = QStringLiteral("pulled from %1 (%2)").arg(m_remote.name, m_remote.url());
    auto entry = manager.addDerivedVersion(w->entry.modelType, w->entry.version, w->entry.sharded, activate, note,
                                           [&](const QString &path) -> Status {
                                               if (!w->entry.sharded) {
                                                   if (auto got = downloadBlob(w->files.front(), partialDir, path, job); !got)
                                                       return got;
                                               } else {
                                                   if (!QDir().mkpath(path))
                                                       return makeError(path, QStringLiteral("cannot create the folder"));
                                                   for (const auto &f : w->files)
                                                       if (auto got = downloadBlob(f, partialDir, QDir(path).filePath(f.name), job); !got)
                                                           return got;
                                               }
                                               if (newType) {
                                                   if (auto saved = manager.configs().saveConfigText(w->entry.modelType, w->config.toUtf8()); !saved)
                                                       return saved;
                                                   configWritten = true;
                                               }
                                               return {};
                                           },
                                           // Checked against the download by downloadBlob.
                                           job, w->entry.sharded ? QString() : w->files.front().sha256);
    if (!entry && configWritten)
        QFile::remove(manager.configs().configPath(w->entry.modelType));
    // What is left there is a partial file to continue; an empty folder is not worth keeping.
    QDir().rmdir(partialDir);
    return entry;
}

} // namespace tantra
