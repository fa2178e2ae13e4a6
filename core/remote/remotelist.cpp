#include "remotelist.h"

#include "regularfile.h"
#include "workspace.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLockFile>
#include <QRegularExpression>
#include <QSaveFile>
#include <QUrl>

namespace tantra {

namespace {

constexpr qint64 kMaxBytes = qint64(1) << 20;

QString field(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

const QRegularExpression &regionRule()
{
    static const QRegularExpression rule(QStringLiteral("^[a-z0-9-]{1,32}$"));
    return rule;
}

Status checkEndpoint(const QString &endpoint)
{
    const QUrl url(endpoint, QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")) || url.host().isEmpty()
        || !url.query().isEmpty() || !url.userInfo().isEmpty())
        return makeError(QStringLiteral("endpoint '%1' is not an http:// or https:// address of a server").arg(endpoint));
    return {};
}

} // namespace

QString Remote::url() const
{
    return QStringLiteral("s3://") + bucket + (prefix.isEmpty() ? QString() : QLatin1Char('/') + prefix.chopped(1));
}

S3Endpoint Remote::s3Endpoint() const
{
    S3Endpoint e;
    e.endpoint = endpoint;
    e.region = region;
    e.bucket = bucket;
    e.pathStyle = pathStyle;
    return e;
}

Status parseS3Url(const QString &url, Remote &remote)
{
    if (!url.startsWith(QLatin1String("s3://")))
        return makeError(QStringLiteral("'%1' is not an s3://BUCKET/PREFIX address").arg(url));
    const QString rest = url.mid(5);
    const qsizetype slash = rest.indexOf(QLatin1Char('/'));
    const QString bucket = slash < 0 ? rest : rest.left(slash);
    QString prefix = slash < 0 ? QString() : rest.mid(slash + 1);
    static const QRegularExpression bucketRule(QStringLiteral("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"));
    if (!bucketRule.match(bucket).hasMatch() || bucket.contains(QLatin1String("..")))
        return makeError(QStringLiteral("'%1' is not a valid bucket name (3-63 characters: a-z, 0-9, '.', '-')").arg(bucket));
    while (prefix.endsWith(QLatin1Char('/')))
        prefix.chop(1);
    if (!prefix.isEmpty()) {
        static const QRegularExpression segmentRule(QStringLiteral("^[A-Za-z0-9._-]+$"));
        for (const QString &segment : prefix.split(QLatin1Char('/'))) {
            if (segment == QLatin1String(".") || segment == QLatin1String("..") || !segmentRule.match(segment).hasMatch())
                return makeError(QStringLiteral("'%1': each part of the prefix must be made of A-Z, a-z, 0-9, '.', '_', '-', and not be '.' or '..'").arg(url));
        }
        prefix += QLatin1Char('/');
    }
    remote.bucket = bucket;
    remote.prefix = prefix;
    return {};
}

RemoteList::RemoteList(const Workspace &workspace) : m_path(workspace.absolutePath(QStringLiteral("Model/remotes.json"))) {}

Result<QJsonObject> RemoteList::readRoot() const
{
    if (!QFileInfo::exists(m_path) && !QFileInfo(m_path).isSymLink())
        return QJsonObject{};
    QFile file;
    if (auto opened = openRegularFile(file, m_path); !opened)
        return opened.error();
    const QByteArray bytes = file.read(kMaxBytes + 1);
    if (bytes.size() > kMaxBytes)
        return makeError(m_path, QStringLiteral("larger than 1 MiB; not a list of remotes"));
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError)
        return makeError(m_path, QStringLiteral("not valid JSON at byte %1: %2").arg(error.offset).arg(error.errorString()));
    if (!doc.isObject())
        return makeError(m_path, QStringLiteral("must hold a JSON object"));
    const QJsonObject root = doc.object();
    if (root.contains(QLatin1String("remotes")) && !root.value(QLatin1String("remotes")).isObject())
        return makeError(m_path, QStringLiteral("\"remotes\" must be an object of remotes by name"));
    return root;
}

Status RemoteList::writeRoot(const QJsonObject &root) const
{
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(m_path, QStringLiteral("cannot write: ") + file.errorString());
    file.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return makeError(m_path, QStringLiteral("cannot write: ") + file.errorString());
    return {};
}

Result<std::vector<Remote>> RemoteList::load() const
{
    auto root = readRoot();
    if (!root)
        return root.error();
    return parseRoot(*root);
}

Result<std::vector<Remote>> RemoteList::parseRoot(const QJsonObject &root) const
{
    std::vector<Remote> remotes;
    const QJsonObject all = root.value(QLatin1String("remotes")).toObject();
    for (auto it = all.begin(); it != all.end(); ++it) {
        const QString where = QStringLiteral("remotes.%1").arg(it.key());
        if (auto valid = validateName(it.key(), QStringLiteral("remote name"), 64); !valid)
            return makeError(m_path, where + QStringLiteral(": ") + valid.errorString());
        if (!it.value().isObject())
            return makeError(m_path, where + QStringLiteral(" must be an object"));
        const QJsonObject o = it.value().toObject();
        Remote r;
        r.name = it.key();
        r.json = o;
        if (auto parsed = parseS3Url(field(o, "url"), r); !parsed)
            return makeError(m_path, where + QStringLiteral(".url: ") + parsed.errorString());
        r.endpoint = field(o, "endpoint");
        if (auto valid = checkEndpoint(r.endpoint); !valid)
            return makeError(m_path, where + QStringLiteral(".endpoint: ") + valid.errorString());
        if (o.contains(QLatin1String("region"))) {
            r.region = field(o, "region");
            if (!regionRule().match(r.region).hasMatch())
                return makeError(m_path, where + QStringLiteral(".region: '%1' is not a region name").arg(r.region));
        }
        const QJsonValue style = o.value(QLatin1String("addressing_style"));
        if (!style.isUndefined() && style != QLatin1String("path") && style != QLatin1String("virtual"))
            return makeError(m_path, where + QStringLiteral(".addressing_style must be \"path\" or \"virtual\""));
        r.pathStyle = style == QLatin1String("path");
        remotes.push_back(std::move(r));
    }
    return remotes;
}

Result<Remote> RemoteList::find(const QString &name) const
{
    auto remotes = load();
    if (!remotes)
        return remotes.error();
    if (name.isEmpty()) {
        if (remotes->size() == 1)
            return remotes->front();
        return makeError(m_path, remotes->empty() ? QStringLiteral("no remote is set up; add one with 'remote add'")
                                                  : QStringLiteral("several remotes are set up; name one"));
    }
    for (const Remote &r : *remotes)
        if (r.name == name)
            return r;
    return makeError(m_path, QStringLiteral("no remote named '%1'").arg(name));
}

Status checkRemote(const Remote &remote)
{
    if (auto valid = validateName(remote.name, QStringLiteral("remote name"), 64); !valid)
        return valid;
    Remote parsed;
    if (auto url = parseS3Url(remote.url(), parsed); !url)
        return url;
    if (auto valid = checkEndpoint(remote.endpoint); !valid)
        return valid;
    if (!regionRule().match(remote.region).hasMatch())
        return makeError(QStringLiteral("'%1' is not a region name (a-z, 0-9 and '-', as us-east-1)").arg(remote.region));
    return {};
}

Status RemoteList::add(const Remote &remote)
{
    if (auto valid = checkRemote(remote); !valid)
        return valid;
    return rewriteLocked([&](const QJsonObject &root, QJsonObject &all) -> Status {
        // A broken entry is the user's to fix (or remove): adding beside it would hide it.
        if (auto valid = parseRoot(root); !valid)
            return valid.error();
        if (all.contains(remote.name))
            return makeError(m_path, QStringLiteral("a remote named '%1' exists already; remove it first").arg(remote.name));
        QJsonObject o = remote.json;
        o[QStringLiteral("url")] = remote.url();
        o[QStringLiteral("endpoint")] = remote.endpoint;
        o[QStringLiteral("region")] = remote.region;
        o[QStringLiteral("addressing_style")] = remote.pathStyle ? QStringLiteral("path") : QStringLiteral("virtual");
        all[remote.name] = o;
        return {};
    });
}

Status RemoteList::remove(const QString &name)
{
    return rewriteLocked([&](const QJsonObject &, QJsonObject &all) -> Status {
        if (!all.contains(name))
            return makeError(m_path, QStringLiteral("no remote named '%1'").arg(name));
        all.remove(name);
        return {};
    });
}

Status RemoteList::rewriteLocked(const std::function<Status(const QJsonObject &root, QJsonObject &remotes)> &change)
{
    const QString lockPath = m_path + QStringLiteral(".lock");
    // QLockFile reads an existing lock file: a FIFO there would block it for ever.
    if (auto plain = checkNotSpecialFile(lockPath); !plain)
        return plain;
    QLockFile lock(lockPath);
    if (!lock.tryLock(10000))
        return makeError(m_path, QStringLiteral("another process holds the lock on the remotes"));
    // Read under the lock, so that what another process wrote meanwhile is kept.
    auto root = readRoot();
    if (!root)
        return root.error();
    QJsonObject remotes = root->value(QLatin1String("remotes")).toObject();
    if (auto changed = change(*root, remotes); !changed)
        return changed;
    QJsonObject newRoot = *root;
    newRoot[QStringLiteral("remotes")] = remotes;
    return writeRoot(newRoot);
}

} // namespace tantra
