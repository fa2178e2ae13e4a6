#include "sha256.h"

#include "computepool.h"
#include "jobcontext.h"
#include "mappedfile.h"
#include "streamreader.h"

#include <QFile>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tantra {

struct Sha256::Impl
{
    EVP_MD_CTX *ctx = nullptr;
};

Sha256::Sha256() : d(std::make_unique<Impl>())
{
    d->ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(d->ctx, EVP_sha256(), nullptr);
}

Sha256::~Sha256()
{
    EVP_MD_CTX_free(d->ctx);
    // OpenSSL keeps state per thread (its error queue) and frees it when the thread exits,
    // unless OPENSSL_cleanup has run first, as it does at process exit while the thread pool's
    // threads live on: LeakSanitizer then fails the CLI about one run in three. Freeing it here
    // costs a small allocation the next time this thread hashes.
    OPENSSL_thread_stop();
}

void Sha256::update(const char *data, std::size_t size)
{
    EVP_DigestUpdate(d->ctx, data, size);
}

void Sha256::update(std::span<const std::byte> data)
{
    EVP_DigestUpdate(d->ctx, data.data(), data.size());
}

QString Sha256::finalHex()
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(d->ctx, digest, &length);
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(digest), int(length)).toHex());
}

QString sha256Hex(std::span<const std::byte> data)
{
    Sha256 h;
    h.update(data);
    return h.finalHex();
}

Result<QString> sha256File(const QString &path, JobContext *job)
{
    auto reader = StreamReader::open(path);
    if (!reader)
        return reader.error();
    if (job)
        job->addTotal(reader->size());
    Sha256 hash;
    auto status = reader->readAll(1, job, [&](std::span<const std::byte> chunk) {
        hash.update(chunk);
        return true;
    });
    if (!status) {
        if (job && job->isCanceled())
            return makeError(path, QStringLiteral("checksum cancelled"));
        return status.error();
    }
    // A file that grew after it was opened is hashed as it was then: its size at the open is
    // what the registry records beside the digest.
    return hash.finalHex();
}

std::vector<Result<QString>> sha256Files(const QStringList &paths, JobContext *job, QThreadPool *pool)
{
    if (!pool)
        pool = computePool();
    std::vector<QFuture<Result<QString>>> futures;
    futures.reserve(std::size_t(paths.size()));
    for (const QString &path : paths)
        futures.push_back(QtConcurrent::run(pool, [path, job] { return sha256File(path, job); }));
    std::vector<Result<QString>> results;
    results.reserve(futures.size());
    for (auto &f : futures)
        results.push_back(f.result());
    return results;
}

} // namespace tantra
