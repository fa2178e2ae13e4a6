#include "registry.h"

#include "jobcontext.h"
#include "mappedfile.h"
#include "regularfile.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QRegularExpression>
#include <QSaveFile>

#include "workspace.h"

#include <algorithm>
#include <cerrno>
#include <optional>

#include <fcntl.h>
#include <unistd.h>

namespace tantra {

QString validationStatusName(ValidationStatus status)
{
    switch (status) {
    case ValidationStatus::Passed: return QStringLiteral("passed");
    case ValidationStatus::Failed: return QStringLiteral("failed");
    case ValidationStatus::NotValidated: break;
    }
    return QString();
}

std::optional<ValidationStatus> validationStatusFromName(const QString &name)
{
    if (name == QLatin1String("passed"))
        return ValidationStatus::Passed;
    if (name == QLatin1String("failed"))
        return ValidationStatus::Failed;
    return std::nullopt; // "" too: a validation object says how it went
}

QString isoUtc(const QDateTime &time)
{
    return time.toUTC().toString(Qt::ISODateWithMs);
}

namespace {

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

// A value as JSON text, short: what the message says was found. JSON escaping also keeps
// control characters from reaching a terminal raw.
QString shown(const QJsonValue &value)
{
    if (value.isUndefined())
        return QStringLiteral("nothing");
    QString text = QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
    text = text.mid(1, text.size() - 2);
    if (text.size() > 60)
        text = text.left(57) + QStringLiteral("…");
    return text;
}

// Reads typed fields and remembers the first mistake with its JSON path.
class Reader
{
public:
    explicit Reader(QString file) : m_file(std::move(file)) {}

    bool failed() const { return m_error.has_value(); }
    Error error() const { return *m_error; }

    bool fail(const QString &where, const QString &problem)
    {
        if (!m_error)
            m_error = makeError(m_file, where + QStringLiteral(": ") + problem);
        return false;
    }
    bool expected(const QString &where, const QString &what, const QJsonValue &found)
    {
        return fail(where, QStringLiteral("expected %1, found %2").arg(what, shown(found)));
    }

    bool string(const QJsonObject &o, const QString &parent, const QString &key, QString &out, bool required)
    {
        const QJsonValue v = o.value(key);
        if (v.isUndefined() && !required)
            return true;
        if (!v.isString())
            return expected(Registry::jsonPath(parent, key), QStringLiteral("a string"), v);
        out = v.toString();
        return true;
    }
    bool name(const QJsonObject &o, const QString &parent, const QString &key, QString &out, const QString &what)
    {
        const QJsonValue v = o.value(key);
        if (!v.isString())
            return expected(Registry::jsonPath(parent, key), QStringLiteral("a %1 (a string)").arg(what), v);
        return checkName(Registry::jsonPath(parent, key), v.toString(), what) && (out = v.toString(), true);
    }
    bool checkName(const QString &where, const QString &value, const QString &what)
    {
        const bool weightName = what == QLatin1String("weight name");
        if (auto s = validateName(value, what, weightName ? kMaxWeightName : 100); !s)
            return fail(where, s.errorString());
        return true;
    }
    bool size(const QJsonObject &o, const QString &parent, const QString &key, quint64 &out)
    {
        const QJsonValue v = o.value(key);
        // toInteger() is exact for integers (Qt keeps them as 64-bit) and refuses fractions.
        const qint64 n = v.isDouble() ? v.toInteger(-1) : -1;
        if (n < 0)
            return expected(Registry::jsonPath(parent, key), QStringLiteral("a non-negative integer"), v);
        out = quint64(n);
        return true;
    }
    bool sha256(const QJsonObject &o, const QString &parent, const QString &key, QString &out)
    {
        static const QRegularExpression hex(QStringLiteral("^[0-9a-f]{64}$"));
        const QJsonValue v = o.value(key);
        if (!v.isString() || !(v.toString().isEmpty() || hex.match(v.toString()).hasMatch()))
            return expected(Registry::jsonPath(parent, key), QStringLiteral("a SHA-256 (64 lowercase hex digits)"), v);
        out = v.toString();
        return true;
    }
    bool time(const QJsonObject &o, const QString &parent, const QString &key, QDateTime &out)
    {
        const QJsonValue v = o.value(key);
        if (v.isUndefined())
            return true;
        QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
        if (!t.isValid())
            t = QDateTime::fromString(v.toString(), Qt::ISODate);
        if (!v.isString() || !t.isValid())
            return expected(Registry::jsonPath(parent, key), QStringLiteral("an ISO 8601 time"), v);
        out = t.toUTC();
        return true;
    }
    bool object(const QJsonValue &v, const QString &where, QJsonObject &out, bool required)
    {
        if (v.isUndefined() && !required)
            return true;
        if (!v.isObject())
            return expected(where, QStringLiteral("an object"), v);
        out = v.toObject();
        return true;
    }
    bool array(const QJsonValue &v, const QString &where, QJsonArray &out)
    {
        if (v.isUndefined())
            return true;
        if (!v.isArray())
            return expected(where, QStringLiteral("an array"), v);
        out = v.toArray();
        return true;
    }
    bool path(const QJsonObject &o, const QString &parent, const QString &key, QString &out)
    {
        // Where the path leads is checked where it is used (Workspace::checkInside, which also
        // sees symbolic links); here only that it is a path at all.
        if (!string(o, parent, key, out, true))
            return false;
        if (out.isEmpty())
            return fail(Registry::jsonPath(parent, key), QStringLiteral("expected a path relative to the workspace, found \"\""));
        for (const QChar c : out) {
            if (c.unicode() < 0x20 || c.unicode() == 0x7f)
                return expected(Registry::jsonPath(parent, key), QStringLiteral("a path without control characters"), o.value(key));
        }
        return true;
    }

private:
    QString m_file;
    std::optional<Error> m_error;
};

const QString kWeights = QStringLiteral("weights");
const QString kPendingRemovals = QStringLiteral("pending_removals");

} // namespace

QString Registry::jsonPath(const QString &parent, const QString &key)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_+-]+$"));
    if (plain.match(key).hasMatch())
        return parent.isEmpty() ? key : parent + QLatin1Char('.') + key;
    return parent + QLatin1Char('[') + shown(key) + QLatin1Char(']');
}

Status Registry::checkSchemaVersion(const QJsonObject &root, const QString &path)
{
    const QJsonValue v = root.value(QStringLiteral("schema_version"));
    if (v.isUndefined())
        return {}; // written by hand or by an early tool: version 1 is the only one there was
    const qint64 version = v.isDouble() ? v.toInteger(0) : 0;
    if (version > RegistryData::kSchemaVersion)
        return makeError(path, QStringLiteral("schema_version %1 is newer than this program understands (%2); upgrade Tantra Weight Manager")
                                        .arg(version)
                                        .arg(RegistryData::kSchemaVersion), Remedy::NoRepair);
    if (version != RegistryData::kSchemaVersion)
        return makeError(path, QStringLiteral("schema_version: expected the integer %1, found %2; refusing to read or rewrite the registry")
                                        .arg(RegistryData::kSchemaVersion)
                                        .arg(shown(v)),
                         Remedy::NoRepair);
    return {};
}

QJsonObject Registry::entryToJson(const WeightEntry &w)
{
    QJsonObject o = w.json;
    o[QStringLiteral("model_type")] = w.modelType;
    o[QStringLiteral("version")] = w.version;
    o[QStringLiteral("path")] = w.path;
    o[QStringLiteral("format")] = w.sharded ? QStringLiteral("sharded") : QStringLiteral("safetensors");
    // An integer, exact above 2^53 too (a double would round a 9 PB size, and Qt keeps qint64).
    o[QStringLiteral("size")] = qint64(w.size);
    o[QStringLiteral("sha256")] = w.sha256;
    if (!w.files.empty()) {
        QJsonArray files;
        for (const auto &f : w.files) {
            QJsonObject fo = f.json;
            fo[QStringLiteral("path")] = f.path;
            fo[QStringLiteral("size")] = qint64(f.size);
            fo[QStringLiteral("sha256")] = f.sha256;
            files.append(fo);
        }
        o[QStringLiteral("files")] = files;
    } else {
        o.remove(QStringLiteral("files"));
    }
    // An unknown time is left out rather than written as "", which would not read back.
    if (w.created.isValid())
        o[QStringLiteral("created")] = isoUtc(w.created);
    else
        o.remove(QStringLiteral("created"));
    if (w.restored.isValid())
        o[QStringLiteral("restored")] = isoUtc(w.restored);
    else
        o.remove(QStringLiteral("restored"));
    if (w.verifiedAt.isValid())
        o[QStringLiteral("verified_at")] = isoUtc(w.verifiedAt);
    else
        o.remove(QStringLiteral("verified_at"));
    o[QStringLiteral("source")] = w.source;
    QJsonObject metadata;
    for (const auto &[k, v] : w.metadata)
        metadata[k] = v;
    o[QStringLiteral("metadata")] = metadata;
    if (w.validation.status != ValidationStatus::NotValidated) {
        QJsonObject v = w.validation.json;
        v[QStringLiteral("status")] = validationStatusName(w.validation.status);
        if (w.validation.checkedAt.isValid())
            v[QStringLiteral("checked_at")] = isoUtc(w.validation.checkedAt);
        else
            v.remove(QStringLiteral("checked_at"));
        v[QStringLiteral("deep")] = w.validation.deep;
        v[QStringLiteral("issues")] = QJsonArray::fromStringList(w.validation.issues);
        if (w.validation.unvalidatedImport)
            v[QStringLiteral("unvalidated_import")] = true;
        else
            v.remove(QStringLiteral("unvalidated_import"));
        o[QStringLiteral("validation")] = v;
    } else {
        o.remove(QStringLiteral("validation"));
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

const PendingRemoval *RegistryData::pendingRemovalOf(const QString &path) const
{
    const auto it = std::find_if(pendingRemovals.begin(), pendingRemovals.end(), [&](const PendingRemoval &p) { return p.path == path; });
    return it == pendingRemovals.end() ? nullptr : &*it;
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

Result<WeightEntry> Registry::entryFromJson(const QString &name, const QJsonValue &json, const QString &path, const QString &where)
{
    Reader r(path);
    WeightEntry w;
    w.name = name;
    if (!r.object(json, where, w.json, true) || !r.checkName(where, name, QStringLiteral("weight name")))
        return r.error();
    const QJsonObject &o = w.json;
    QString format = QStringLiteral("safetensors");
    QJsonObject metadata;
    QJsonArray files;
    if (!r.name(o, where, QStringLiteral("model_type"), w.modelType, QStringLiteral("model type"))
        || !r.name(o, where, QStringLiteral("version"), w.version, QStringLiteral("version"))
        || !r.path(o, where, QStringLiteral("path"), w.path)
        || !r.string(o, where, QStringLiteral("format"), format, false)
        || !r.size(o, where, QStringLiteral("size"), w.size)
        || !r.sha256(o, where, QStringLiteral("sha256"), w.sha256)
        || !r.time(o, where, QStringLiteral("created"), w.created)
        || !r.time(o, where, QStringLiteral("restored"), w.restored)
        || !r.time(o, where, QStringLiteral("verified_at"), w.verifiedAt)
        || !r.string(o, where, QStringLiteral("source"), w.source, false)
        || !r.object(o.value(QStringLiteral("metadata")), jsonPath(where, QStringLiteral("metadata")), metadata, false)
        || !r.array(o.value(QStringLiteral("files")), jsonPath(where, QStringLiteral("files")), files))
        return r.error();
    if (format != QLatin1String("safetensors") && format != QLatin1String("sharded")) {
        r.expected(jsonPath(where, QStringLiteral("format")), QStringLiteral("\"safetensors\" or \"sharded\""), o.value(QStringLiteral("format")));
        return r.error();
    }
    w.sharded = format == QLatin1String("sharded");
    for (auto m = metadata.begin(); m != metadata.end(); ++m) {
        if (!m.value().isString()) {
            r.expected(jsonPath(jsonPath(where, QStringLiteral("metadata")), m.key()), QStringLiteral("a string"), m.value());
            return r.error();
        }
        w.metadata.emplace_back(m.key(), m.value().toString());
    }
    for (qsizetype i = 0; i < files.size(); ++i) {
        const QString at = jsonPath(where, QStringLiteral("files")) + QStringLiteral("[%1]").arg(i);
        WeightFile f;
        if (!r.object(files.at(i), at, f.json, true) || !r.path(f.json, at, QStringLiteral("path"), f.path)
            || !r.size(f.json, at, QStringLiteral("size"), f.size) || !r.sha256(f.json, at, QStringLiteral("sha256"), f.sha256))
            return r.error();
        w.files.push_back(std::move(f));
    }
    const QString vWhere = jsonPath(where, QStringLiteral("validation"));
    ValidationRecord &v = w.validation;
    if (!r.object(o.value(QStringLiteral("validation")), vWhere, v.json, false))
        return r.error();
    if (o.contains(QStringLiteral("validation"))) {
        QJsonArray issues;
        QString status;
        const QJsonValue deep = v.json.value(QStringLiteral("deep"));
        if (!r.string(v.json, vWhere, QStringLiteral("status"), status, true)
            || !r.time(v.json, vWhere, QStringLiteral("checked_at"), v.checkedAt)
            || !r.array(v.json.value(QStringLiteral("issues")), jsonPath(vWhere, QStringLiteral("issues")), issues))
            return r.error();
        const auto known = validationStatusFromName(status);
        if (!known) {
            r.expected(jsonPath(vWhere, QStringLiteral("status")), QStringLiteral("\"passed\" or \"failed\""), v.json.value(QStringLiteral("status")));
            return r.error();
        }
        v.status = *known;
        if (!deep.isUndefined() && !deep.isBool()) {
            r.expected(jsonPath(vWhere, QStringLiteral("deep")), QStringLiteral("true or false"), deep);
            return r.error();
        }
        v.deep = deep.toBool();
        const QJsonValue unvalidated = v.json.value(QStringLiteral("unvalidated_import"));
        if (!unvalidated.isUndefined() && !unvalidated.isBool()) {
            r.expected(jsonPath(vWhere, QStringLiteral("unvalidated_import")), QStringLiteral("true or false"), unvalidated);
            return r.error();
        }
        v.unvalidatedImport = unvalidated.toBool();
        for (qsizetype i = 0; i < issues.size(); ++i) {
            if (!issues.at(i).isString()) {
                r.expected(jsonPath(vWhere, QStringLiteral("issues")) + QStringLiteral("[%1]").arg(i), QStringLiteral("a string"), issues.at(i));
                return r.error();
            }
            v.issues << issues.at(i).toString();
        }
    }
    return w;
}

Result<RegistryData> Registry::parse(const QByteArray &json, const QString &path)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError) {
        return makeError(path,
                         QStringLiteral("not valid JSON at %1: %2. The file was left untouched").arg(lineColumn(json, error.offset), error.errorString()),
                         Remedy::RebuildRegistry);
    }
    if (!doc.isObject())
        return makeError(path, QStringLiteral("the registry must be a JSON object"));
    RegistryData data;
    data.json = doc.object();
    const QJsonObject &root = data.json;
    if (auto s = checkSchemaVersion(root, path); !s)
        return s.error();

    Reader r(path);
    QJsonObject weights;
    QJsonObject active;
    QJsonObject history;
    QJsonArray pending;
    if (!r.array(root.value(kPendingRemovals), kPendingRemovals, pending))
        return r.error();
    if (!r.object(root.value(kWeights), kWeights, weights, false)
        || !r.object(root.value(QStringLiteral("active_weights")), QStringLiteral("active_weights"), active, false)
        || !r.object(root.value(QStringLiteral("history")), QStringLiteral("history"), history, false))
        return r.error();
    for (auto it = weights.begin(); it != weights.end(); ++it) {
        auto w = entryFromJson(it.key(), it.value(), path, jsonPath(kWeights, it.key()));
        if (!w)
            return w.error();
        data.weights.emplace(it.key(), std::move(w).value());
    }
    for (auto it = active.begin(); it != active.end(); ++it) {
        const QString where = jsonPath(QStringLiteral("active_weights"), it.key());
        if (!r.checkName(where, it.key(), QStringLiteral("model type")))
            return r.error();
        if (it.value().isNull() || it.value() == QJsonValue(QString()))
            continue; // Python's None, or an empty name: no active weight, as before
        if (!it.value().isString())
            return r.expected(where, QStringLiteral("a weight name (a string) or null"), it.value()), r.error();
        if (!r.checkName(where, it.value().toString(), QStringLiteral("weight name")))
            return r.error();
        data.active[it.key()] = it.value().toString();
    }
    for (auto it = history.begin(); it != history.end(); ++it) {
        const QString where = jsonPath(QStringLiteral("history"), it.key());
        QJsonArray items;
        if (!r.checkName(where, it.key(), QStringLiteral("model type")) || !r.array(it.value(), where, items))
            return r.error();
        auto &list = data.history[it.key()];
        for (qsizetype i = 0; i < items.size(); ++i) {
            const QString at = where + QStringLiteral("[%1]").arg(i);
            Activation a;
            if (!r.object(items.at(i), at, a.json, true)
                || !r.name(a.json, at, QStringLiteral("weight"), a.weight, QStringLiteral("weight name"))
                || !r.time(a.json, at, QStringLiteral("activated_at"), a.at))
                return r.error();
            const QJsonValue previous = a.json.value(QStringLiteral("previous"));
            if (!previous.isNull() && !previous.isUndefined()) {
                if (!previous.isString())
                    return r.expected(jsonPath(at, QStringLiteral("previous")), QStringLiteral("a weight name (a string) or null"), previous), r.error();
                if (!r.checkName(jsonPath(at, QStringLiteral("previous")), previous.toString(), QStringLiteral("weight name")))
                    return r.error();
                a.previous = previous.toString();
            }
            list.push_back(std::move(a));
        }
    }
    for (qsizetype i = 0; i < pending.size(); ++i) {
        const QString at = kPendingRemovals + QStringLiteral("[%1]").arg(i);
        PendingRemoval p;
        const QJsonValue sharded = pending.at(i).toObject().value(QStringLiteral("sharded"));
        if (!r.object(pending.at(i), at, p.json, true) || !r.path(p.json, at, QStringLiteral("path"), p.path)
            || !r.name(p.json, at, QStringLiteral("weight"), p.weight, QStringLiteral("weight name"))
            || !r.time(p.json, at, QStringLiteral("at"), p.at) || !r.time(p.json, at, QStringLiteral("modified"), p.modified))
            return r.error();
        if (!sharded.isUndefined() && !sharded.isBool())
            return r.expected(jsonPath(at, QStringLiteral("sharded")), QStringLiteral("true or false"), sharded), r.error();
        p.sharded = sharded.toBool();
        data.pendingRemovals.push_back(std::move(p));
    }
    return data;
}

QByteArray Registry::serialize(const RegistryData &data)
{
    QJsonObject root = data.json;
    root[QStringLiteral("schema_version")] = RegistryData::kSchemaVersion;
    QJsonObject active;
    for (const auto &[type, name] : data.active)
        active[type] = name;
    root[QStringLiteral("active_weights")] = active;
    QJsonObject weights;
    for (const auto &[name, w] : data.weights)
        weights[name] = entryToJson(w);
    root[kWeights] = weights;
    QJsonObject history;
    for (const auto &[type, list] : data.history) {
        QJsonArray arr;
        for (const auto &a : list) {
            QJsonObject ao = a.json;
            ao[QStringLiteral("weight")] = a.weight;
            if (a.at.isValid())
                ao[QStringLiteral("activated_at")] = isoUtc(a.at);
            else
                ao.remove(QStringLiteral("activated_at"));
            ao[QStringLiteral("previous")] = a.previous.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(a.previous);
            arr.append(ao);
        }
        history[type] = arr;
    }
    root[QStringLiteral("history")] = history;
    // Absent when empty: the usual registry looks as it always did to other tools.
    if (data.pendingRemovals.empty()) {
        root.remove(kPendingRemovals);
    } else {
        QJsonArray pending;
        for (const auto &p : data.pendingRemovals) {
            QJsonObject po = p.json;
            po[QStringLiteral("path")] = p.path;
            po[QStringLiteral("weight")] = p.weight;
            po[QStringLiteral("sharded")] = p.sharded;
            if (p.at.isValid())
                po[QStringLiteral("at")] = isoUtc(p.at);
            if (p.modified.isValid())
                po[QStringLiteral("modified")] = isoUtc(p.modified);
            pending.append(po);
        }
        root[kPendingRemovals] = pending;
    }
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

Result<RegistryData> Registry::load() const
{
    if (!QFileInfo::exists(m_path))
        return RegistryData{};
    QFile f;
    if (auto opened = openRegularFile(f, m_path); !opened)
        return makeError(m_path, QStringLiteral("cannot read the registry: ") + opened.error().problem);
    const QByteArray json = f.readAll();
    if (f.error() != QFileDevice::NoError)
        return makeError(m_path, QStringLiteral("cannot read the registry: ") + f.errorString());
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

Status acquire(QLockFile &lock, const QString &path, int lockTimeoutMs, const JobContext *job)
{
    // A lock held by a process that died is taken over at once (QLockFile checks the PID);
    // the stale time only matters for a lock from another host on a shared disk.
    lock.setStaleLockTime(5 * 60 * 1000);
    const QString lockPath = path + QStringLiteral(".lock");
    // QLockFile reads an existing lock file to learn its owner: a FIFO there blocks that read
    // forever, and a folder there passed for a lock held by "another process (pid 0)".
    if (auto special = checkNotSpecialFile(lockPath); !special)
        return makeError(special.error().path, special.error().problem + QStringLiteral("; the registry lock must be a file: remove it"));
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
        // A window being closed cancels its change rather than wait out the timeout.
        if (job && job->isCanceled())
            return makeError(path, QStringLiteral("cancelled while waiting for the registry lock; nothing was changed"));
    }
    if (!locked) {
        qint64 pid = 0;
        QString host;
        QString app;
        lock.getLockInfo(&pid, &host, &app);
        if (lock.error() == QLockFile::LockFailedError)
            return withKind(makeError(path, QStringLiteral("the registry is locked by %1 (pid %2 on %3); try again when it has finished")
                                                       .arg(app.isEmpty() ? QStringLiteral("another process") : app)
                                                       .arg(pid)
                                                       .arg(host)),
                            ErrorKind::Locked);
        return makeError(path, QStringLiteral("cannot create the registry lock %1: %2").arg(lockPath, lockCreationFailure(lockPath)));
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
        return makeError(path, QStringLiteral("cannot write the registry: ") + out.errorString());
    for (qint64 done = 0; done < bytes.size();) {
        const qint64 n = out.write(bytes.constData() + done, bytes.size() - done);
        if (n <= 0) {
            const QString why = out.errorString();
            out.cancelWriting();
            return makeError(path, QStringLiteral("could not save the registry (%1); it is unchanged").arg(why));
        }
        done += n;
    }
    if (!out.commit())
        return makeError(path, QStringLiteral("could not save the registry (%1); it is unchanged").arg(out.errorString()));
    return {};
}

} // namespace

Status Registry::update(const std::function<Status(RegistryData &)> &change, int lockTimeoutMs) const
{
    QLockFile lock(m_path + QStringLiteral(".lock"));
    if (auto locked = acquire(lock, m_path, lockTimeoutMs, m_job); !locked)
        return locked;
    auto data = load();
    if (!data)
        return data.error();
    auto status = change(*data);
    if (!status)
        return status;
    return writeAtomically(m_path, serialize(*data));
}

Result<QStringList> Registry::removeLeftoverTemporaries(int lockTimeoutMs) const
{
    const QFileInfo registry(m_path);
    const QDir dir = registry.absoluteDir();
    // Qt's six random letters and digits; at least one capital or digit, so that a user's
    // "weight_config.json.backup" is never taken for one (a leftover of all small letters, one
    // in 180, is left for the user).
    const QRegularExpression temporary(
            QStringLiteral("^%1\\.(?=[a-z]*[A-Z0-9])[A-Za-z0-9]{6}$").arg(QRegularExpression::escape(registry.fileName())));
    const QStringList candidates = dir.entryList({registry.fileName() + QStringLiteral(".??????")}, QDir::Files | QDir::Hidden | QDir::System);
    QStringList removed;
    if (std::none_of(candidates.begin(), candidates.end(), [&](const QString &n) { return temporary.match(n).hasMatch(); }))
        return removed;
    QLockFile lock(m_path + QStringLiteral(".lock"));
    if (auto locked = acquire(lock, m_path, lockTimeoutMs, m_job); !locked)
        return locked.error();
    for (const QString &name : candidates) {
        const QFileInfo info(dir.filePath(name));
        // Regular files only (QDir::Files lists links to them too): never a link's target.
        if (!temporary.match(name).hasMatch() || info.isSymLink() || !info.isFile())
            continue;
        if (QFile::remove(info.absoluteFilePath()))
            removed << info.absoluteFilePath();
    }
    return removed;
}

Status Registry::replace(const RegistryData &data, int lockTimeoutMs) const
{
    QLockFile lock(m_path + QStringLiteral(".lock"));
    if (auto locked = acquire(lock, m_path, lockTimeoutMs, m_job); !locked)
        return locked;
    return writeAtomically(m_path, serialize(data));
}

} // namespace tantra
