#pragma once

#include "result.h"
#include "s3client.h"

#include <QJsonObject>
#include <QString>

#include <functional>
#include <vector>

namespace tantra {

class Workspace;

// A named S3 location the workspace pushes to and pulls from, as Model/remotes.json keeps it.
// Never credentials: those come from the environment or ~/.aws (S3Credentials::load).
struct Remote
{
    QString name;
    QString bucket;
    QString prefix;   // "" or ending in '/': keys are prefix + "blobs/…", prefix + "weights/…"
    QString endpoint; // http(s)://host[:port]
    QString region = QStringLiteral("us-east-1");
    bool pathStyle = false;
    QJsonObject json = {}; // as read: fields other tools wrote survive a rewrite

    QString url() const; // "s3://bucket/prefix"
    S3Endpoint s3Endpoint() const;
};

// Parses "s3://bucket[/prefix]" into `remote`; the bucket must follow S3's naming rules and
// the prefix may not hold empty, "." or ".." segments.
Status parseS3Url(const QString &url, Remote &remote);

// Whether `remote` could be added: its name, bucket and prefix, endpoint and region follow the
// rules remotes.json is read with (the add dialog asks before the user presses OK).
Status checkRemote(const Remote &remote);

// Model/remotes.json: read, added to and removed from under a lock, written atomically. A
// broken file is named and left as it is.
class RemoteList
{
public:
    explicit RemoteList(const Workspace &workspace);

    QString path() const { return m_path; }
    Result<std::vector<Remote>> load() const;
    // `name` empty: the only remote, if there is exactly one.
    Result<Remote> find(const QString &name) const;
    Status add(const Remote &remote);
    Status remove(const QString &name);

private:
    Result<QJsonObject> readRoot() const;
    Result<std::vector<Remote>> parseRoot(const QJsonObject &root) const;
    Status writeRoot(const QJsonObject &root) const;
    // Under the lock, on the file as it is then: `change` edits the remotes by name (or fails,
    // and nothing is written), then the file is rewritten.
    Status rewriteLocked(const std::function<Status(const QJsonObject &root, QJsonObject &remotes)> &change);

    QString m_path;
};

} // namespace tantra
