#include "s3client.h"

#include "curlapi.h"
#include "jobcontext.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QSettings>
#include <QThread>
#include <QUrl>
#include <QXmlStreamReader>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>

namespace tantra {

struct S3Client::Request
{
    const char *method = "GET";
    QString key; // empty: the bucket itself
    std::vector<std::pair<QByteArray, QByteArray>> query;
    bool sendsBody = false;
    std::span<const std::byte> body;
    const BodyReader *bodyReader = nullptr; // instead of `body`: bodyLength bytes read as sent
    std::uint64_t bodyLength = 0;
    QString sha256Hex; // empty: UNSIGNED-PAYLOAD
    QByteArray contentType;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> range; // from, length
    const Sink *sink = nullptr;
    std::uint64_t maxBody = std::uint64_t(16) << 20;
    const JobContext *job = nullptr;
};

struct S3Client::Response
{
    long status = 0;
    QByteArray body;
    std::vector<std::pair<QByteArray, QByteArray>> headers;
    bool truncated = false;
    std::uint64_t received = 0; // body bytes, to a sink or into `body`
    std::size_t headerBytes = 0;

    QByteArray header(const char *name) const
    {
        for (const auto &[k, v] : headers)
            if (k.compare(name, Qt::CaseInsensitive) == 0)
                return v;
        return {};
    }
};

namespace {

constexpr std::uint64_t kMaxListBody = std::uint64_t(64) << 20;
constexpr int kAttempts = 5;
constexpr std::size_t kMaxListed = 10'000'000;

// One handle per thread, reset between requests: the handle keeps its connections, so a
// thread's requests to the same server reuse one TCP connection.
struct ThreadHandle
{
    const CurlApi *api;
    CURL *curl;
    explicit ThreadHandle(const CurlApi *a) : api(a), curl(a->easyInit()) {}
    ~ThreadHandle()
    {
        if (curl)
            api->easyCleanup(curl);
    }
};

CURL *threadHandle(const CurlApi *api)
{
    thread_local ThreadHandle handle(api);
    if (handle.curl)
        api->easyReset(handle.curl);
    return handle.curl;
}

bool unreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~';
}

QByteArray percentEncode(const QByteArray &raw, bool keepSlash)
{
    QByteArray out;
    out.reserve(raw.size() * 3);
    static const char hex[] = "0123456789ABCDEF";
    for (char c : raw) {
        if (unreserved(c) || (keepSlash && c == '/')) {
            out += c;
        } else {
            const auto u = static_cast<unsigned char>(c);
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    return out;
}

// The text of each child element of every `record` element, by child name. `ok` goes false
// when the document does not parse: a listing cut short must not pass for a whole one.
std::vector<QHash<QString, QString>> xmlRecords(const QByteArray &xml, const QString &record, bool *ok = nullptr)
{
    std::vector<QHash<QString, QString>> records;
    QXmlStreamReader reader(xml);
    int depth = 0;
    int recordDepth = -1;
    while (!reader.atEnd()) {
        const auto token = reader.readNext();
        if (token == QXmlStreamReader::StartElement) {
            ++depth;
            if (recordDepth < 0 && reader.name() == record) {
                recordDepth = depth;
                records.emplace_back();
            } else if (recordDepth >= 0 && depth == recordDepth + 1) {
                const QString name = reader.name().toString();
                records.back().insert(name, reader.readElementText(QXmlStreamReader::SkipChildElements));
                --depth;
            }
        } else if (token == QXmlStreamReader::EndElement) {
            if (depth == recordDepth)
                recordDepth = -1;
            --depth;
        }
    }
    if (ok)
        *ok = !reader.hasError();
    return records;
}

// The text of the first element called `name`, at any depth.
QString xmlValue(const QByteArray &xml, const QString &name)
{
    QXmlStreamReader reader(xml);
    while (!reader.atEnd()) {
        if (reader.readNext() == QXmlStreamReader::StartElement && reader.name() == name)
            return reader.readElementText(QXmlStreamReader::SkipChildElements);
    }
    return {};
}

std::uint64_t toSize(const QString &text)
{
    return text.toULongLong();
}

bool transient(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_FAIL_REWIND:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

bool transient(long status)
{
    return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

struct Transfer
{
    const S3Client::Request *request = nullptr;
    S3Client::Response *response = nullptr;
    std::size_t sent = 0;
    std::uint64_t received = 0;
    bool sinkFailed = false;
    bool readFailed = false;
};

std::size_t onHeader(char *data, std::size_t size, std::size_t count, void *user)
{
    auto *t = static_cast<Transfer *>(user);
    const QByteArray line = QByteArray(data, qsizetype(size * count)).trimmed();
    // A hostile server could send headers without end.
    t->response->headerBytes += size * count;
    if (t->response->headerBytes > (std::size_t(1) << 20))
        return 0;
    if (line.startsWith("HTTP/")) {
        // A new response (after "100 Continue", or a redirect): start over.
        t->response->headers.clear();
        const QList<QByteArray> parts = line.split(' ');
        t->response->status = parts.size() > 1 ? parts[1].toLong() : 0;
    } else if (const qsizetype colon = line.indexOf(':'); colon > 0) {
        t->response->headers.emplace_back(line.left(colon).trimmed(), line.mid(colon + 1).trimmed());
    }
    return size * count;
}

std::size_t onBody(char *data, std::size_t size, std::size_t count, void *user)
{
    auto *t = static_cast<Transfer *>(user);
    const std::size_t n = size * count;
    const long status = t->response->status;
    if (t->request->sink && status == 206) {
        // Only the range asked for is written: a server that sends more (or ignores the
        // range) must not write past it.
        if (t->request->range && t->received + n > t->request->range->second) {
            t->response->truncated = true;
            return 0;
        }
        const std::uint64_t offset = (t->request->range ? t->request->range->first : 0) + t->received;
        if (!(*t->request->sink)(offset, data, n)) {
            t->sinkFailed = true;
            return 0;
        }
    } else if (std::uint64_t(t->response->body.size()) + n <= t->request->maxBody) {
        t->response->body.append(data, qsizetype(n));
    } else {
        t->response->truncated = true;
        return 0;
    }
    t->received += n;
    t->response->received = t->received;
    return n;
}

std::size_t onRead(char *into, std::size_t size, std::size_t count, void *user)
{
    auto *t = static_cast<Transfer *>(user);
    if (t->request->bodyReader) {
        const std::size_t want = std::size_t(std::min<std::uint64_t>(size * count, t->request->bodyLength - t->sent));
        if (want == 0)
            return 0;
        const std::size_t got = (*t->request->bodyReader)(t->sent, into, want);
        if (got == 0) {
            t->readFailed = true;
            return CURL_READFUNC_ABORT;
        }
        t->sent += got;
        return got;
    }
    const std::size_t n = std::min(size * count, t->request->body.size() - t->sent);
    std::memcpy(into, t->request->body.data() + t->sent, n);
    t->sent += n;
    return n;
}

// libcurl rewinds the body when it resends a request on a reused connection that died.
int onSeek(void *user, curl_off_t offset, int origin)
{
    auto *t = static_cast<Transfer *>(user);
    const std::uint64_t length = t->request->bodyReader ? t->request->bodyLength : t->request->body.size();
    if (origin != SEEK_SET || offset < 0 || std::uint64_t(offset) > length)
        return CURL_SEEKFUNC_CANTSEEK;
    t->sent = std::size_t(offset);
    return CURL_SEEKFUNC_OK;
}

int onProgress(void *user, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    const auto *t = static_cast<Transfer *>(user);
    return t->request->job && t->request->job->isCanceled() ? 1 : 0;
}

QString quoted(const QString &s)
{
    return QLatin1Char('\'') + s + QLatin1Char('\'');
}

} // namespace

QByteArray encodeS3Key(const QString &key)
{
    return percentEncode(key.toUtf8(), true);
}

S3Client::S3Client(S3Endpoint endpoint, S3Credentials credentials)
    : m_endpoint(std::move(endpoint)), m_credentials(std::move(credentials))
{
    while (m_endpoint.endpoint.endsWith(QLatin1Char('/')))
        m_endpoint.endpoint.chop(1);
}

QString S3Client::describe(const QString &key) const
{
    return QStringLiteral("s3://") + m_endpoint.bucket + (key.isEmpty() ? QString() : QLatin1Char('/') + key);
}

Result<S3Client::Response> S3Client::perform(const Request &request) const
{
    const QUrl base(m_endpoint.endpoint);
    QByteArray url;
    if (m_endpoint.pathStyle) {
        url = m_endpoint.endpoint.toUtf8() + '/' + percentEncode(m_endpoint.bucket.toUtf8(), false) + '/';
    } else {
        QUrl hosted = base;
        hosted.setHost(m_endpoint.bucket + QLatin1Char('.') + base.host());
        url = hosted.toString(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::StripTrailingSlash).toUtf8() + '/';
    }
    url += encodeS3Key(request.key);
    // SigV4 signs the query as given; libcurl 7.88 neither sorts it nor adds the '=' a
    // value-less parameter needs, and the server then computes another signature (403).
    auto query = request.query;
    std::sort(query.begin(), query.end());
    for (std::size_t i = 0; i < query.size(); ++i)
        url += (i ? '&' : '?') + percentEncode(query[i].first, false) + '=' + percentEncode(query[i].second, false);

    QByteArrayList headerLines;
    // libcurl 7.88 does not add it, and RGW refuses a request without it (403).
    headerLines << "x-amz-content-sha256: " + (request.sha256Hex.isEmpty() ? QByteArray("UNSIGNED-PAYLOAD") : request.sha256Hex.toLatin1());
    if (!m_credentials.sessionToken.isEmpty())
        headerLines << "x-amz-security-token: " + m_credentials.sessionToken.toUtf8();
    if (!request.contentType.isEmpty())
        headerLines << "Content-Type: " + request.contentType;
    if (request.range)
        headerLines << "Range: bytes=" + QByteArray::number(request.range->first) + '-'
                        + QByteArray::number(request.range->first + request.range->second - 1);
    const QByteArray sigv4 = "aws:amz:" + m_endpoint.region.toUtf8() + ":s3";
    const QByteArray user = m_credentials.accessKey.toUtf8();
    const QByteArray password = m_credentials.secretKey.toUtf8();

    QString lastProblem;
    const CurlApi *api = curlApi(&lastProblem);
    if (!api)
        return makeError(describe(request.key), lastProblem);
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        if (attempt > 0) {
            if (request.job && request.job->isCanceled())
                break;
            QThread::msleep(200UL << (attempt - 1));
        }
        CURL *curl = threadHandle(api);
        if (!curl)
            return makeError(describe(request.key), QStringLiteral("cannot start an HTTP client"));
        Response response;
        Transfer transfer{&request, &response};
        curl_slist *headers = nullptr;
        for (const QByteArray &line : headerLines)
            headers = api->slistAppend(headers, line.constData());
        char curlError[CURL_ERROR_SIZE] = {};
        api->easySetopt(curl, CURLOPT_URL, url.constData());
        api->easySetopt(curl, CURLOPT_AWS_SIGV4, sigv4.constData());
        api->easySetopt(curl, CURLOPT_USERNAME, user.constData());
        api->easySetopt(curl, CURLOPT_PASSWORD, password.constData());
        api->easySetopt(curl, CURLOPT_HTTPHEADER, headers);
        api->easySetopt(curl, CURLOPT_ERRORBUFFER, curlError);
        api->easySetopt(curl, CURLOPT_NOSIGNAL, 1L);
        api->easySetopt(curl, CURLOPT_CONNECTTIMEOUT, 15L);
        // No total timeout (a part may take minutes on a slow link), but a stalled one ends.
        api->easySetopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
        api->easySetopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
        api->easySetopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
        api->easySetopt(curl, CURLOPT_HEADERDATA, &transfer);
        api->easySetopt(curl, CURLOPT_WRITEFUNCTION, onBody);
        api->easySetopt(curl, CURLOPT_WRITEDATA, &transfer);
        api->easySetopt(curl, CURLOPT_XFERINFOFUNCTION, onProgress);
        api->easySetopt(curl, CURLOPT_XFERINFODATA, &transfer);
        api->easySetopt(curl, CURLOPT_NOPROGRESS, 0L);
        const QByteArray method(request.method);
        if (method == "HEAD") {
            api->easySetopt(curl, CURLOPT_NOBODY, 1L);
        } else if (method == "PUT") {
            // A known length: RGW refuses a chunked upload without one (411).
            api->easySetopt(curl, CURLOPT_UPLOAD, 1L);
            api->easySetopt(curl, CURLOPT_READFUNCTION, onRead);
            api->easySetopt(curl, CURLOPT_READDATA, &transfer);
            api->easySetopt(curl, CURLOPT_SEEKFUNCTION, onSeek);
            api->easySetopt(curl, CURLOPT_SEEKDATA, &transfer);
            api->easySetopt(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.bodyReader ? request.bodyLength : request.body.size()));
        } else if (method == "POST") {
            api->easySetopt(curl, CURLOPT_POST, 1L);
            api->easySetopt(curl, CURLOPT_POSTFIELDS, request.body.empty() ? "" : reinterpret_cast<const char *>(request.body.data()));
            api->easySetopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.size()));
        } else if (method != "GET") {
            api->easySetopt(curl, CURLOPT_CUSTOMREQUEST, request.method);
        }
        const CURLcode code = api->easyPerform(curl);
        // The handle outlives this call: no pointer to this frame may stay in it.
        api->easySetopt(curl, CURLOPT_HTTPHEADER, nullptr);
        api->easySetopt(curl, CURLOPT_ERRORBUFFER, nullptr);
        api->slistFreeAll(headers);
        if (code == CURLE_ABORTED_BY_CALLBACK && transfer.readFailed)
            return makeError(describe(request.key), QStringLiteral("stopped: the bytes to send could not be read"));
        if (code == CURLE_ABORTED_BY_CALLBACK)
            return makeError(describe(request.key), QStringLiteral("cancelled"));
        if (code == CURLE_WRITE_ERROR && transfer.sinkFailed)
            return makeError(describe(request.key), QStringLiteral("stopped: the downloaded bytes could not be stored"));
        if (code == CURLE_WRITE_ERROR && response.truncated)
            return makeError(describe(request.key), request.sink ? QStringLiteral("the server sent more than the %1 bytes asked for").arg(request.range ? request.range->second : 0)
                                                                 : QStringLiteral("the server's answer is larger than %1 bytes").arg(request.maxBody));
        if (code != CURLE_OK) {
            lastProblem = QStringLiteral("%1 (%2)").arg(QString::fromUtf8(curlError[0] ? curlError : api->easyStrerror(code)),
                                                        m_endpoint.endpoint);
            if (transient(code))
                continue;
            return makeError(describe(request.key), lastProblem);
        }
        if (transient(response.status) && attempt + 1 < kAttempts) {
            lastProblem = httpError(request, response).problem;
            continue;
        }
        return response;
    }
    if (request.job && request.job->isCanceled())
        return makeError(describe(request.key), QStringLiteral("cancelled"));
    return makeError(describe(request.key), lastProblem + QStringLiteral(", after %1 attempts").arg(kAttempts));
}

Error S3Client::httpError(const Request &request, const Response &response) const
{
    const QString code = xmlValue(response.body, QStringLiteral("Code"));
    const QString message = xmlValue(response.body, QStringLiteral("Message"));
    const QString where = describe(request.key);
    const QString said = code.isEmpty() ? QStringLiteral("HTTP %1").arg(response.status)
                                        : QStringLiteral("HTTP %1 %2%3").arg(response.status).arg(code, message.isEmpty() ? QString() : QStringLiteral(": ") + message);
    if (code == QLatin1String("RequestTimeTooSkewed"))
        return makeError(where, QStringLiteral("this machine's clock differs from the server's by more than 15 minutes (%1); set the clock").arg(said));
    if (code == QLatin1String("NoSuchBucket"))
        return makeError(where, QStringLiteral("bucket %1 does not exist at %2 (%3)").arg(quoted(m_endpoint.bucket), m_endpoint.endpoint, said));
    if (response.status == 403 || code == QLatin1String("InvalidAccessKeyId") || code == QLatin1String("SignatureDoesNotMatch"))
        return makeError(where, QStringLiteral("access denied (%1); check the credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                                               "or the profile in ~/.aws/credentials").arg(said));
    if (response.status == 404)
        return withKind(makeError(where, QStringLiteral("no such object (%1)").arg(said)), ErrorKind::NotFound);
    return makeError(where, said);
}

Result<S3Client::Response> S3Client::performExpecting(const Request &request, std::initializer_list<long> expected) const
{
    auto response = perform(request);
    if (response && std::find(expected.begin(), expected.end(), response->status) == expected.end())
        return httpError(request, *response);
    return response;
}

Result<std::optional<std::uint64_t>> S3Client::head(const QString &key) const
{
    Request r;
    r.method = "HEAD";
    r.key = key;
    auto response = performExpecting(r, {200, 404});
    if (!response)
        return response.error();
    if (response->status == 404) {
        // A HEAD has no body to say whether the object or the bucket is missing.
        Request bucket;
        bucket.method = "HEAD";
        if (auto b = perform(bucket); b && b->status == 404)
            return makeError(describe(key), QStringLiteral("bucket %1 does not exist at %2").arg(quoted(m_endpoint.bucket), m_endpoint.endpoint));
        return std::optional<std::uint64_t>();
    }
    return std::optional<std::uint64_t>(response->header("Content-Length").toULongLong());
}

Result<QByteArray> S3Client::get(const QString &key, std::uint64_t maxBytes) const
{
    Request r;
    r.key = key;
    r.maxBody = maxBytes;
    auto response = performExpecting(r, {200});
    if (!response)
        return response.error();
    return response->body;
}

Status S3Client::getRange(const QString &key, std::uint64_t from, std::uint64_t length, const Sink &sink, const JobContext *job) const
{
    if (length == 0)
        return {};
    Request r;
    r.key = key;
    r.range = std::pair(from, length);
    r.sink = &sink;
    r.job = job;
    for (int attempt = 0;; ++attempt) {
        auto response = performExpecting(r, {206, 200});
        if (!response)
            return response.error();
        // 206 and the very range: a 200 would be the whole object, written at the range's place.
        if (response->status == 200)
            return makeError(describe(key), QStringLiteral("the server ignored the byte range asked for (HTTP 200 instead of 206)"));
        const QByteArray expected = "bytes " + QByteArray::number(from) + '-' + QByteArray::number(from + length - 1) + '/';
        if (!response->header("Content-Range").startsWith(expected))
            return makeError(describe(key), QStringLiteral("the server sent another range (%1) than [%2, %3)")
                                                    .arg(QString::fromLatin1(response->header("Content-Range"))).arg(from).arg(from + length));
        // A connection that ended early delivered fewer bytes without an error from the server.
        if (response->received == length)
            return {};
        if (attempt + 1 >= kAttempts)
            return makeError(describe(key), QStringLiteral("the server sent %1 bytes of [%2, %3)").arg(response->received).arg(from).arg(from + length));
    }
}

Status S3Client::put(const QString &key, std::span<const std::byte> body, const QString &sha256Hex, const QByteArray &contentType) const
{
    const BodyReader read = [body](std::uint64_t offset, char *into, std::size_t max) {
        const std::size_t n = std::min<std::size_t>(max, body.size() - std::size_t(offset));
        std::memcpy(into, body.data() + offset, n);
        return n;
    };
    return put(key, body.size(), read, sha256Hex, contentType);
}

Status S3Client::put(const QString &key, std::uint64_t size, const BodyReader &read, const QString &sha256Hex,
                     const QByteArray &contentType) const
{
    if (auto response = putBody(key, {}, size, read, sha256Hex, contentType, nullptr); !response)
        return response.error();
    return {};
}

Result<S3Client::Response> S3Client::putBody(const QString &key, std::vector<std::pair<QByteArray, QByteArray>> query, std::uint64_t size,
                                             const BodyReader &read, const QString &sha256Hex, const QByteArray &contentType,
                                             const JobContext *job) const
{
    Request r;
    r.method = "PUT";
    r.key = key;
    r.query = std::move(query);
    r.sendsBody = true;
    r.bodyReader = &read;
    r.bodyLength = size;
    r.sha256Hex = sha256Hex;
    r.contentType = contentType;
    r.job = job;
    return performExpecting(r, {200});
}

Status S3Client::remove(const QString &key) const
{
    Request r;
    r.method = "DELETE";
    r.key = key;
    auto response = performExpecting(r, {200, 204, 404});
    if (!response)
        return response.error();
    return {};
}

Result<std::vector<S3Object>> S3Client::list(const QString &prefix) const
{
    std::vector<S3Object> objects;
    QString token;
    std::set<QString> seen;
    do {
        Request r;
        r.query = {{"list-type", "2"}, {"prefix", prefix.toUtf8()}};
        if (!token.isEmpty())
            r.query.push_back({"continuation-token", token.toUtf8()});
        r.maxBody = kMaxListBody;
        auto response = performExpecting(r, {200});
        if (!response)
            return response.error();
        bool parsed = false;
        for (const auto &record : xmlRecords(response->body, QStringLiteral("Contents"), &parsed))
            objects.push_back({record.value(QStringLiteral("Key")), toSize(record.value(QStringLiteral("Size"))),
                               record.value(QStringLiteral("LastModified"))});
        if (!parsed)
            return makeError(describe(prefix), QStringLiteral("the server's listing is not valid XML"));
        if (xmlValue(response->body, QStringLiteral("IsTruncated")) != QLatin1String("true"))
            break;
        // A listing that says "more" must say where: one that stops early would pass for whole.
        token = xmlValue(response->body, QStringLiteral("NextContinuationToken"));
        if (token.isEmpty() || !seen.insert(token).second || objects.size() > kMaxListed)
            return makeError(describe(prefix), QStringLiteral("the server's listing cannot be followed to its end"));
    } while (true);
    return objects;
}

Result<QString> S3Client::createMultipartUpload(const QString &key) const
{
    Request r;
    r.method = "POST";
    r.key = key;
    r.query = {{"uploads", ""}};
    auto response = performExpecting(r, {200});
    if (!response)
        return response.error();
    const QString id = xmlValue(response->body, QStringLiteral("UploadId"));
    if (id.isEmpty())
        return makeError(describe(key), QStringLiteral("the server started a multipart upload without naming it"));
    return id;
}

Result<QByteArray> S3Client::uploadPart(const QString &key, const QString &uploadId, int number, std::uint64_t size,
                                        const BodyReader &read, const QString &sha256Hex, const JobContext *job) const
{
    auto response = putBody(key, {{"partNumber", QByteArray::number(number)}, {"uploadId", uploadId.toUtf8()}}, size, read, sha256Hex, {}, job);
    if (!response)
        return response.error();
    return response->header("ETag");
}

Status S3Client::completeMultipartUpload(const QString &key, const QString &uploadId, const std::vector<S3Part> &parts) const
{
    QByteArray xml = "<CompleteMultipartUpload>";
    for (const S3Part &p : parts)
        xml += "<Part><PartNumber>" + QByteArray::number(p.number) + "</PartNumber><ETag>" + QString::fromUtf8(p.etag).toHtmlEscaped().toUtf8() + "</ETag></Part>";
    xml += "</CompleteMultipartUpload>";
    Request r;
    r.method = "POST";
    r.key = key;
    r.query = {{"uploadId", uploadId.toUtf8()}};
    r.sendsBody = true;
    r.body = std::as_bytes(std::span(xml.constData(), std::size_t(xml.size())));
    r.contentType = "application/xml";
    auto response = performExpecting(r, {200});
    if (!response)
        return response.error();
    // The server may fail a completion after answering 200: the error is in the body.
    if (response->body.contains("<Error>"))
        return httpError(r, *response);
    return {};
}

Status S3Client::abortMultipartUpload(const QString &key, const QString &uploadId) const
{
    Request r;
    r.method = "DELETE";
    r.key = key;
    r.query = {{"uploadId", uploadId.toUtf8()}};
    auto response = performExpecting(r, {200, 204, 404});
    if (!response)
        return response.error();
    return {};
}

Result<std::vector<S3Part>> S3Client::listParts(const QString &key, const QString &uploadId) const
{
    std::vector<S3Part> parts;
    QString marker;
    for (;;) {
        Request r;
        r.key = key;
        r.query = {{"uploadId", uploadId.toUtf8()}};
        if (!marker.isEmpty())
            r.query.push_back({"part-number-marker", marker.toUtf8()});
        r.maxBody = kMaxListBody;
        auto response = performExpecting(r, {200});
        if (!response)
            return response.error();
        bool parsed = false;
        for (const auto &record : xmlRecords(response->body, QStringLiteral("Part"), &parsed))
            parts.push_back({record.value(QStringLiteral("PartNumber")).toInt(), record.value(QStringLiteral("ETag")).toUtf8(),
                             toSize(record.value(QStringLiteral("Size")))});
        if (!parsed)
            return makeError(describe(key), QStringLiteral("the server's list of parts is not valid XML"));
        if (xmlValue(response->body, QStringLiteral("IsTruncated")) != QLatin1String("true"))
            break;
        const QString next = xmlValue(response->body, QStringLiteral("NextPartNumberMarker"));
        if (next.toInt() <= marker.toInt() || parts.size() > kMaxListed)
            return makeError(describe(key), QStringLiteral("the server's list of parts cannot be followed to its end"));
        marker = next;
    }
    return parts;
}

Result<std::vector<S3Upload>> S3Client::listMultipartUploads(const QString &prefix) const
{
    std::vector<S3Upload> uploads;
    QString keyMarker;
    QString idMarker;
    std::set<QString> seenMarkers;
    for (;;) {
        Request r;
        r.query = {{"uploads", ""}, {"prefix", prefix.toUtf8()}};
        if (!keyMarker.isEmpty())
            r.query.insert(r.query.end(), {{"key-marker", keyMarker.toUtf8()}, {"upload-id-marker", idMarker.toUtf8()}});
        r.maxBody = kMaxListBody;
        auto response = performExpecting(r, {200});
        if (!response)
            return response.error();
        bool parsed = false;
        for (const auto &record : xmlRecords(response->body, QStringLiteral("Upload"), &parsed))
            uploads.push_back({record.value(QStringLiteral("Key")), record.value(QStringLiteral("UploadId")),
                               record.value(QStringLiteral("Initiated"))});
        if (!parsed)
            return makeError(describe(prefix), QStringLiteral("the server's list of uploads is not valid XML"));
        if (xmlValue(response->body, QStringLiteral("IsTruncated")) != QLatin1String("true"))
            break;
        const QString nextKey = xmlValue(response->body, QStringLiteral("NextKeyMarker"));
        const QString nextId = xmlValue(response->body, QStringLiteral("NextUploadIdMarker"));
        if (!seenMarkers.insert(nextKey + QLatin1Char('\n') + nextId).second || uploads.size() > kMaxListed)
            return makeError(describe(prefix), QStringLiteral("the server's list of uploads cannot be followed to its end"));
        keyMarker = nextKey;
        idMarker = nextId;
    }
    return uploads;
}

Status S3Client::createBucket() const
{
    Request r;
    r.method = "PUT";
    r.sendsBody = true;
    auto response = perform(r);
    if (!response)
        return response.error();
    if (response->status != 200 && xmlValue(response->body, QStringLiteral("Code")) != QLatin1String("BucketAlreadyOwnedByYou"))
        return httpError(r, *response);
    return {};
}

namespace {

// One profile's keys from an INI file of the AWS CLI's kind ("[name]" or "[profile name]").
QHash<QString, QString> iniSection(const QString &path, const QStringList &sectionNames)
{
    QHash<QString, QString> values;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return values;
    bool inSection = false;
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')) || line.startsWith(QLatin1Char(';')))
            continue;
        if (line.startsWith(QLatin1Char('[')) && line.endsWith(QLatin1Char(']'))) {
            inSection = sectionNames.contains(line.mid(1, line.size() - 2).trimmed());
            continue;
        }
        const qsizetype eq = line.indexOf(QLatin1Char('='));
        if (inSection && eq > 0)
            values.insert(line.left(eq).trimmed().toLower(), line.mid(eq + 1).trimmed());
    }
    return values;
}

} // namespace

Result<S3Credentials> S3Credentials::load(const QString &profile)
{
    S3Credentials c;
    c.accessKey = qEnvironmentVariable("AWS_ACCESS_KEY_ID");
    c.secretKey = qEnvironmentVariable("AWS_SECRET_ACCESS_KEY");
    c.sessionToken = qEnvironmentVariable("AWS_SESSION_TOKEN");
    if (profile.isEmpty() && !c.accessKey.isEmpty() && !c.secretKey.isEmpty())
        return c;
    QString name = profile.isEmpty() ? qEnvironmentVariable("AWS_PROFILE") : profile;
    if (name.isEmpty())
        name = QStringLiteral("default");
    const QString home = QDir::homePath();
    const QString credentials = qEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", home + QStringLiteral("/.aws/credentials"));
    const QString config = qEnvironmentVariable("AWS_CONFIG_FILE", home + QStringLiteral("/.aws/config"));
    for (const auto &[file, sections] : {std::pair{credentials, QStringList{name}},
                                         std::pair{config, QStringList{QStringLiteral("profile ") + name, name}}}) {
        const auto values = iniSection(file, sections);
        const QString key = values.value(QStringLiteral("aws_access_key_id"));
        const QString secret = values.value(QStringLiteral("aws_secret_access_key"));
        if (!key.isEmpty() && !secret.isEmpty()) {
            S3Credentials found;
            found.accessKey = key;
            found.secretKey = secret;
            found.sessionToken = values.value(QStringLiteral("aws_session_token"));
            return found;
        }
    }
    return makeError(credentials, QStringLiteral("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile '%1' "
                                                 "aws_access_key_id and aws_secret_access_key in this file or in %2")
                                          .arg(name, config));
}

} // namespace tantra
