#include "registry.h"

#include "mappedfile.h"
#include "regularfile.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QSaveFile>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace tantra {

QString isoUtc(const QDateTime &time)
{
    return time.toUTC().toString(Qt::ISODateWithMs);
}

namespace {

QDateTime parseTime(const QJsonValue &v)
{
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(v.toString(), Qt::ISODate);
    return t.toUTC();
}

// Where in the text a byte offset lies, for parse errors that a person can find.
QString lineColumn(const QByteArray &text, int offset)
{
    int line = 1;
    int column = 1;
    for (int i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return QStringLiteral("line %1, column %2").arg(line).arg(column);
}

} // namespace

QJsonObject Registry::entryToJson(const WeightEntry &w)
{
    QJsonObject o;
    o[QStringLiteral("model_type")] = w.modelType;
    o[QStringLiteral("version")] = w.version;
    o[QStringLiteral("path")] = w.path;
    o[QStringLiteral("format")] = w.sharded ? QStringLiteral("sharded") : QStringLiteral("safetensors");
    o[QStringLiteral("size")] = double(w.size);
    o[QStringLiteral("sha256")] = w.sha256;
    if (!w.files.empty()) {
        QJsonArray files;
        for (const auto &f : w.files)
            files.append(QJsonObject{{QStringLiteral("path"), f.path},
                                     {QStringLiteral("size"), double(f.size)},
                                     {QStringLiteral("sha256"), f.sha256}});
        o[QStringLiteral("files")] = files;
    }
    o[QStringLiteral("created")] = isoUtc(w.created);
    o[QStringLiteral("source")] = w.source;
    QJsonObject metadata;
    for (const auto &[k, v] : w.metadata)
        metadata[k] = v;
    o[QStringLiteral("metadata")] = metadata;
    if (!w.validation.status.isEmpty()) {
        o[QStringLiteral("validation")] = QJsonObject{
            {QStringLiteral("status"), w.validation.status},
            {QStringLiteral("checked_at"), isoUtc(w.validation.checkedAt)},
            {QStringLiteral("deep"), w.validation.deep},
            {QStringLiteral("issues"), QJsonArray::fromStringList(w.validation.issues)},
        };
    }
    return o;
}


const WeightEntry *RegistryData::find(const QString &name) const
{
    const auto it = weights.find(name);
    return it == weights.end() ? nullptr : &it->second;
}

std::vector<const WeightEntry *> RegistryData::weightsOf(const QString &type) const
{
    std::vector<const WeightEntry *> out;
    for (const auto &[name, w] : weights) {
        if (w.modelType == type)
            out.push_back(&w);
    }
    std::sort(out.begin(), out.end(), [](const WeightEntry *a, const WeightEntry *b) {
        return a->created != b->created ? a->created > b->created : a->name > b->name;
    });
    return out;
}

QString RegistryData::activeOf(const QString &type) const
{
    const auto it = active.find(type);
    return it == active.end() ? QString() : it->second;
}

void RegistryData::activate(const QString &name, const QDateTime &at)
{
    const WeightEntry *w = find(name);
    if (!w)
        return;
    const QString previous = activeOf(w->modelType);
    active[w->modelType] = name;
    history[w->modelType].push_back(Activation{name, previous, at.toUTC()});
}

Registry::Registry(QString path) : m_path(std::move(path))
{
}

Result<WeightEntry> Registry::entryFromJson(const QString &name, const QJsonObject &o, const QString &path)
{
    WeightEntry w;
    w.name = name;
    w.modelType = o.value(QStringLiteral("model_type")).toString();
    w.version = o.value(QStringLiteral("version")).toString();
    w.path = o.value(QStringLiteral("path")).toString();
    if (w.modelType.isEmpty() || w.path.isEmpty())
        return makeError(path + QStringLiteral(": weights.%1 lacks model_type or path").arg(name));
    w.sharded = o.value(QStringLiteral("format")).toString() == QLatin1String("sharded");
    w.size = quint64(o.value(QStringLiteral("size")).toDouble());
    w.sha256 = o.value(QStringLiteral("sha256")).toString();
    for (const QJsonValue &f : o.value(QStringLiteral("files")).toArray()) {
        const QJsonObject fo = f.toObject();
        w.files.push_back(WeightFile{fo.value(QStringLiteral("path")).toString(),
                                     quint64(fo.value(QStringLiteral("size")).toDouble()),
                                     fo.value(QStringLiteral("sha256")).toString()});
    }
    w.created = parseTime(o.value(QStringLiteral("created")));
    w.source = o.value(QStringLiteral("source")).toString();
    const QJsonObject metadata = o.value(QStringLiteral("metadata")).toObject();
    for (auto m = metadata.begin(); m != metadata.end(); ++m)
        w.metadata.emplace_back(m.key(), m.value().toString());
    const QJsonObject v = o.value(QStringLiteral("validation")).toObject();
    if (!v.isEmpty()) {
        w.validation.status = v.value(QStringLiteral("status")).toString();
        w.validation.checkedAt = parseTime(v.value(QStringLiteral("checked_at")));
        w.validation.deep = v.value(QStringLiteral("deep")).toBool();
        for (const QJsonValue &issue : v.value(QStringLiteral("issues")).toArray())
            w.validation.issues << issue.toString();
    }
    return w;
}

Result<RegistryData> Registry::parse(const QByteArray &json, const QString &path)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError) {
        return makeError(path + QStringLiteral(": not valid JSON at %1: %2").arg(lineColumn(json, error.offset), error.errorString())
                         + QStringLiteral(". The file was left untouched; run 'tantra-model-manager doctor --rebuild' to rebuild it from the weight files."));
    }
    if (!doc.isObject())
        return makeError(path + QStringLiteral(": the registry must be a JSON object"));
    const QJsonObject root = doc.object();
    RegistryData data;
    data.schemaVersion = root.value(QStringLiteral("schema_version")).toInt(RegistryData::kSchemaVersion);
    if (data.schemaVersion > RegistryData::kSchemaVersion)
        return makeError(path + QStringLiteral(": schema_version %1 is newer than this program understands (%2); upgrade Tantra Weight Manager")
                                        .arg(data.schemaVersion)
                                        .arg(RegistryData::kSchemaVersion));

    const QJsonObject weights = root.value(QStringLiteral("weights")).toObject();
    for (auto it = weights.begin(); it != weights.end(); ++it) {
        if (!it.value().isObject())
            return makeError(path + QStringLiteral(": weights.%1 must be an object").arg(it.key()));
        auto w = entryFromJson(it.key(), it.value().toObject(), path);
        if (!w)
            return w.error();
        data.weights.emplace(it.key(), std::move(w).value());
    }
    const QJsonObject active = root.value(QStringLiteral("active_weights")).toObject();
    for (auto it = active.begin(); it != active.end(); ++it) {
        if (!it.value().toString().isEmpty())
            data.active[it.key()] = it.value().toString();
    }
    const QJsonObject history = root.value(QStringLiteral("history")).toObject();
    for (auto it = history.begin(); it != history.end(); ++it) {
        auto &list = data.history[it.key()];
        for (const QJsonValue &a : it.value().toArray()) {
            const QJsonObject ao = a.toObject();
            list.push_back(Activation{ao.value(QStringLiteral("weight")).toString(),
                                      ao.value(QStringLiteral("previous")).toString(),
                                      parseTime(ao.value(QStringLiteral("activated_at")))});
        }
    }
    return data;
}

QByteArray Registry::serialize(const RegistryData &data)
{
    QJsonObject root;
    root[QStringLiteral("schema_version")] = RegistryData::kSchemaVersion;
    QJsonObject active;
    for (const auto &[type, name] : data.active)
        active[type] = name;
    root[QStringLiteral("active_weights")] = active;
    QJsonObject weights;
    for (const auto &[name, w] : data.weights)
        weights[name] = entryToJson(w);
    root[QStringLiteral("weights")] = weights;
    QJsonObject history;
    for (const auto &[type, list] : data.history) {
        QJsonArray arr;
        for (const auto &a : list) {
            QJsonObject ao{{QStringLiteral("weight"), a.weight}, {QStringLiteral("activated_at"), isoUtc(a.at)}};
            ao[QStringLiteral("previous")] = a.previous.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(a.previous);
            arr.append(ao);
        }
        history[type] = arr;
    }
    root[QStringLiteral("history")] = history;
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

Result<RegistryData> Registry::load() const
{
    if (!QFileInfo::exists(m_path))
        return RegistryData{};
    QFile f;
    if (auto opened = openRegularFile(f, m_path); !opened)
        return makeError(m_path + QStringLiteral(": cannot read the registry: ") + opened.errorString().mid(m_path.size() + 2));
    const QByteArray json = f.readAll();
    if (f.error() != QFileDevice::NoError)
        return makeError(m_path + QStringLiteral(": cannot read the registry: ") + f.errorString());
    return parse(json, m_path);
}

namespace {

// A lock file that names no process: QLockFile creates the file, then writes its pid, host
// and application into it, so a process killed in between leaves it empty. QLockFile takes
// such a file for a live lock until the stale time (5 minutes) has passed, blocking every
// change to the workspace meanwhile (found by killing CLI processes at random under ASan).
// Once it is older than a moment no live creator can be on its way to fill it in, and
// removeStaleLockFile() only removes it if no process holds its native lock either.
bool isAbandonedEmptyLock(QLockFile &lock, const QString &lockPath)
{
    qint64 pid = 0;
    QString host;
    QString app;
    if (lock.getLockInfo(&pid, &host, &app))
        return false;
    const QFileInfo info(lockPath);
    return info.exists() && info.lastModified().toUTC().msecsTo(QDateTime::currentDateTimeUtc()) > 2000;
}

// Why the lock file cannot be created. QLockFile says only "permission" or "unknown", and
// "check permissions" sent users with a full disk chasing modes. The system's reason is found
// by doing what QLockFile did: create the file, write a lock's worth of bytes, and undo it.
QString lockCreationFailure(const QString &lockPath)
{
    const QByteArray native = QFile::encodeName(lockPath);
    const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        const QByteArray probe(64, '0');
        for (qsizetype done = 0; done < probe.size() && err == 0;) {
            const ssize_t n = ::write(fd, probe.constData() + done, std::size_t(probe.size() - done));
            if (n > 0)
                done += n;
            else if (n == 0 || errno != EINTR)
                err = n == 0 ? ENOSPC : errno;
        }
        ::close(fd);
        ::unlink(native.constData());
    }
    if (err == 0)
        return QStringLiteral("the lock could not be written, for a reason the system did not keep; try again");
    QString advice;
    if (err == EACCES || err == EPERM || err == EROFS)
        advice = QStringLiteral(" (check permissions on the Model folder)");
    else if (err == ENOSPC || err == EFBIG || err == EDQUOT)
        advice = QStringLiteral(" (is the disk full?)");
    return systemErrorString(err) + advice;
}

Status acquire(QLockFile &lock, const QString &path, int lockTimeoutMs)
{
    // A lock held by a process that died is taken over at once (QLockFile checks the PID);
    // the stale time only matters for a lock from another host on a shared disk.
    lock.setStaleLockTime(5 * 60 * 1000);
    const QString lockPath = path + QStringLiteral(".lock");
    // QLockFile reads an existing lock file to learn its owner: a FIFO there blocks that read
    // forever, and a folder there passed for a lock held by "another process (pid 0)".
    if (auto special = checkNotSpecialFile(lockPath); !special)
        return makeError(special.errorString() + QStringLiteral("; the registry lock must be a file: remove it"));
    QElapsedTimer waited;
    waited.start();
    bool locked = false;
    for (;;) {
        // Slices, so that a lock file left empty is noticed while waiting.
        const qint64 left = std::max<qint64>(0, lockTimeoutMs - waited.elapsed());
        locked = lock.tryLock(int(std::min<qint64>(left, 250)));
        if (locked || lock.error() != QLockFile::LockFailedError)
            break;
        if (isAbandonedEmptyLock(lock, lockPath) && lock.removeStaleLockFile())
            continue;
        if (waited.elapsed() >= lockTimeoutMs)
            break;
    }
    if (!locked) {
        qint64 pid = 0;
        QString host;
        QString app;
        lock.getLockInfo(&pid, &host, &app);
        if (lock.error() == QLockFile::LockFailedError)
            return makeError(path + QStringLiteral(": the registry is locked by %1 (pid %2 on %3); try again when it has finished")
                                              .arg(app.isEmpty() ? QStringLiteral("another process") : app)
                                              .arg(pid)
                                              .arg(host));
        return makeError(path + QStringLiteral(": cannot create the registry lock %1: %2").arg(lockPath, lockCreationFailure(lockPath)));
    }
    return {};
}

Status writeAtomically(const QString &path, const QByteArray &bytes)
{
    // Unbuffered, written in a loop: with Qt's buffer, a write that fails in the flush inside
    // QSaveFile::commit() (a full disk) is ignored by Qt 6.4 and the TRUNCATED registry
    // replaced the good one (found with a file size limit). Unbuffered, the failure shows in
    // write() with the system's reason, and commit() is never reached.
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Unbuffered))
        return makeError(path + QStringLiteral(": cannot write the registry: ") + out.errorString());
    for (qint64 done = 0; done < bytes.size();) {
        const qint64 n = out.write(bytes.constData() + done, bytes.size() - done);
        if (n <= 0) {
            const QString why = out.errorString();
            out.cancelWriting();
            return makeError(path + QStringLiteral(": could not save the registry (%1); it is unchanged").arg(why));
        }
        done += n;
    }
    if (!out.commit())
        return makeError(path + QStringLiteral(": could not save the registry (%1); it is unchanged").arg(out.errorString()));
    return {};
}

} // namespace

Status Registry::update(const std::function<Status(RegistryData &)> &change, int lockTimeoutMs) const
{
    QLockFile lock(m_path + QStringLiteral(".lock"));
    if (auto locked = acquire(lock, m_path, lockTimeoutMs); !locked)
        return locked;
    auto data = load();
    if (!data)
        return data.error();
    auto status = change(*data);
    if (!status)
        return status;
    return writeAtomically(m_path, serialize(*data));
}

Status Registry::replace(const RegistryData &data, int lockTimeoutMs) const
{
    QLockFile lock(m_path + QStringLiteral(".lock"));
    if (auto locked = acquire(lock, m_path, lockTimeoutMs); !locked)
        return locked;
    return writeAtomically(m_path, serialize(data));
}

} // namespace tantra
