#pragma once

#include "result.h"

#include <QString>
#include <QStringList>

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

class QThreadPool;

namespace tantra {

class JobContext;

// Incremental SHA-256 through OpenSSL's EVP interface (hardware SHA extensions where the CPU
// has them; QCryptographicHash is several times slower). For hashing while copying.
class Sha256
{
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void update(std::span<const std::byte> data);
    void update(const char *data, std::size_t size);
    // Lower-case hex digest; the object is spent afterwards.
    QString finalHex();

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

QString sha256Hex(std::span<const std::byte> data);

// Streams one file through SHA-256. Adds the file's size to the job's total and advances it
// as bytes are hashed; returns an error naming the file when cancelled or on I/O failure.
Result<QString> sha256File(const QString &path, JobContext *job = nullptr);

// Hashes several files at once on `pool` (computePool() by default), one task per file.
// Results come in the order of `paths`.
std::vector<Result<QString>> sha256Files(const QStringList &paths, JobContext *job = nullptr,
                                         QThreadPool *pool = nullptr);

} // namespace tantra
