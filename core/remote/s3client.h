#pragma once

#include "result.h"

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace tantra {

class JobContext;

// Where a bucket is served and how to sign for it. Credentials are never stored by this
// program: S3Credentials::load reads them where every S3 tool does.
struct S3Endpoint
{
    QString endpoint;     // "http://127.0.0.1:7480", "https://s3.eu-west-1.amazonaws.com"
    QString region = QStringLiteral("us-east-1");
    QString bucket;
    bool pathStyle = true; // https://host/bucket/key; false: https://bucket.host/key
};

struct S3Credentials
{
    QString accessKey;
    QString secretKey;
    QString sessionToken;

    // AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the profile
    // (`profile`, else $AWS_PROFILE, else "default") of $AWS_SHARED_CREDENTIALS_FILE or
    // ~/.aws/credentials, then of $AWS_CONFIG_FILE or ~/.aws/config ("[profile NAME]").
    static Result<S3Credentials> load(const QString &profile = {});
};

struct S3Object
{
    QString key;
    std::uint64_t size = 0;
    QString lastModified; // ISO 8601, as the server gives it
};

struct S3Part
{
    int number = 0;
    QByteArray etag;
    std::uint64_t size = 0;
};

struct S3Upload
{
    QString key;
    QString uploadId;
    QString initiated;
};

// The S3 operations this program needs, over libcurl with its own SigV4 signing
// (CURLOPT_AWS_SIGV4). Each call uses its own connection handle, so calls may run on several
// threads at once. Keys are relative to the bucket. Transient failures (connection errors,
// 5xx, 429) are retried with backoff; an error names the bucket, the key and what the server
// said, in words for the usual causes (credentials, clock, a missing bucket).
class S3Client
{
public:
    S3Client(S3Endpoint endpoint, S3Credentials credentials);

    const S3Endpoint &endpoint() const { return m_endpoint; }
    // "s3://bucket/key", for messages.
    QString describe(const QString &key) const;

    // The object's size, or nothing when there is no such object.
    Result<std::optional<std::uint64_t>> head(const QString &key) const;
    // The whole object, refused beyond `maxBytes` (manifests, not weights).
    Result<QByteArray> get(const QString &key, std::uint64_t maxBytes) const;
    // Bytes [from, from + length) of the object, handed to `sink` as they arrive. On a retry
    // the sink is called again from `from`: it must write by position, not append.
    using Sink = std::function<bool(std::uint64_t offset, const char *data, std::size_t size)>;
    Status getRange(const QString &key, std::uint64_t from, std::uint64_t length, const Sink &sink,
                    const JobContext *job = nullptr) const;
    // `sha256Hex` is the body's SHA-256: the server refuses a body that does not match it.
    Status put(const QString &key, std::span<const std::byte> body, const QString &sha256Hex,
               const QByteArray &contentType = "application/octet-stream") const;
    // A body of `size` bytes, read by `read(offset, into, max)` as it is sent (again from 0 on
    // a retry); it returns the bytes read, 0 on failure.
    using BodyReader = std::function<std::size_t(std::uint64_t offset, char *into, std::size_t max)>;
    // The same, with the body read as it is sent instead of held in memory.
    Status put(const QString &key, std::uint64_t size, const BodyReader &read, const QString &sha256Hex,
               const QByteArray &contentType = "application/octet-stream") const;
    Status remove(const QString &key) const;
    Result<std::vector<S3Object>> list(const QString &prefix) const;

    Result<QString> createMultipartUpload(const QString &key) const;
    // A part's body of `size` bytes, read by `read` as it is sent (see BodyReader). The server
    // checks the body against `sha256Hex`, so bytes that changed since they were hashed are refused.
    Result<QByteArray> uploadPart(const QString &key, const QString &uploadId, int number, std::uint64_t size,
                                  const BodyReader &read, const QString &sha256Hex, const JobContext *job = nullptr) const;
    Status completeMultipartUpload(const QString &key, const QString &uploadId, const std::vector<S3Part> &parts) const;
    Status abortMultipartUpload(const QString &key, const QString &uploadId) const;
    Result<std::vector<S3Part>> listParts(const QString &key, const QString &uploadId) const;
    Result<std::vector<S3Upload>> listMultipartUploads(const QString &prefix) const;

    // For tests and `remote add --create-bucket`: creates the bucket.
    Status createBucket() const;

    struct Request;
    struct Response;

private:
    Result<Response> perform(const Request &request) const;
    // perform(), and any status but the `expected` ones turned into an error in words.
    Result<Response> performExpecting(const Request &request, std::initializer_list<long> expected) const;
    // A PUT of a body read as it is sent: an object, or (with `query`) a part.
    Result<Response> putBody(const QString &key, std::vector<std::pair<QByteArray, QByteArray>> query, std::uint64_t size,
                             const BodyReader &read, const QString &sha256Hex, const QByteArray &contentType, const JobContext *job) const;
    Error httpError(const Request &request, const Response &response) const;

    S3Endpoint m_endpoint;
    S3Credentials m_credentials;
};

// Percent-encodes an object key as SigV4 canonicalises it: all but A-Z a-z 0-9 - . _ ~ and /.
QByteArray encodeS3Key(const QString &key);

} // namespace tantra
