#pragma once

#include "result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace tantra {

class JobContext;

// One file of a weight: the weight itself, or one shard (and the index) of a shard set.
struct WeightFile
{
    QString path; // relative to the workspace root
    quint64 size = 0;
    QString sha256;
    QJsonObject json = {}; // as read: fields other tools wrote survive a rewrite
};

enum class ValidationStatus { NotValidated, Passed, Failed };

// The registry's words for a validation status ("passed", "failed"): only the JSON boundary
// (the registry file, a backup's manifest, the CLI's output) uses them. NotValidated has no
// word; it is written as no "validation" object at all.
QString validationStatusName(ValidationStatus status);
std::optional<ValidationStatus> validationStatusFromName(const QString &name);

struct ValidationRecord
{
    ValidationStatus status = ValidationStatus::NotValidated;
    QDateTime checkedAt;
    bool deep = false;
    QStringList issues;
    // Imported although it did not fit its type's config (the user chose to): the status is
    // Failed with the mismatches as issues, and the GUI marks the weight "unvalidated" until
    // the next validation replaces this record.
    bool unvalidatedImport = false;
    QJsonObject json = {}; // as read, see WeightFile::json
};

struct WeightEntry
{
    QString name;      // <type>_<version>
    QString modelType;
    QString version;
    QString path;      // relative to the root: the .safetensors file, or the shard set's folder
    bool sharded = false;
    quint64 size = 0;  // bytes on disk, all files
    // SHA-256 of the file; for a shard set, of its manifest ("<sha256>  <file>\n" per file,
    // sorted by file name), so one value still identifies the whole set.
    QString sha256;
    std::vector<WeightFile> files; // shard sets only: each file with its own checksum
    QDateTime created;             // UTC; a restored weight keeps its original time
    QDateTime restored;            // UTC, when it was restored from a backup; invalid otherwise
    QDateTime verifiedAt;          // UTC, when its files last matched sha256 on a re-hash; invalid: never
    QString source;                // "saved", "imported from PATH", "migrated from PATH", "restored from ARCHIVE"
    std::vector<std::pair<QString, QString>> metadata; // the file's __metadata__
    ValidationRecord validation;
    // The entry as read. Other tools (the team's Python tooling) add fields of their own; the
    // known fields are written over this object, so theirs survive every rewrite.
    QJsonObject json = {};
};

struct Activation
{
    QString weight;   // the weight made active
    QString previous; // what was active before, empty if none
    QDateTime at;
    QJsonObject json = {}; // as read, see WeightFile::json
};

// A file a `remove` or `cleanup` took out of the registry and is about to delete. Recorded in
// the same write that drops the entry, cleared once the file is gone: a process killed in
// between leaves a record, so the doctor knows the file was meant to go (and deletes it)
// instead of advising to import it back.
struct PendingRemoval
{
    QString path;   // relative to the workspace root, as the entry had it
    QString weight; // the entry it belonged to
    bool sharded = false;
    QDateTime at;
    // The file's modification time when its removal was recorded: the doctor deletes only
    // that file, not one a later import put under the same name.
    QDateTime modified;
    QJsonObject json = {}; // as read, see WeightFile::json
};

struct RegistryData
{
    static constexpr int kSchemaVersion = 1;

    int schemaVersion = kSchemaVersion;
    std::map<QString, WeightEntry> weights;        // by name
    std::map<QString, QString> active;             // model type -> weight name
    std::map<QString, std::vector<Activation>> history; // model type -> activations, oldest first
    std::vector<PendingRemoval> pendingRemovals;
    QJsonObject json = {}; // the whole file as read: unknown top-level fields are written back

    const WeightEntry *find(const QString &name) const;
    std::vector<const WeightEntry *> weightsOf(const QString &type) const; // newest first
    QString activeOf(const QString &type) const;
    // The record of a removal of the file at `path` (relative), or nullptr.
    const PendingRemoval *pendingRemovalOf(const QString &path) const;
    // Makes `name` active for its type and records the activation.
    void activate(const QString &name, const QDateTime &at);
};

// The registry file Model/weight_config.json. Reads are lock-free (the file is only ever
// replaced by an atomic rename); every change is a read-modify-write under a cross-process
// QLockFile, re-reading the file first, so concurrent GUI and CLI processes lose no update.
// A file that does not parse is never overwritten.
class Registry
{
public:
    explicit Registry(QString path);

    const QString &path() const { return m_path; }
    // While `job` is cancelled, waiting for the lock ends with an error instead of running to
    // the timeout (30 s by default): closing the window must not wait for another process.
    void setJobContext(const JobContext *job) { m_job = job; }
    // The current contents; an absent file is an empty registry.
    Result<RegistryData> load() const;
    // Applies `change` to the freshly read registry and writes the result atomically. When
    // `change` fails, nothing is written and its error is returned.
    Status update(const std::function<Status(RegistryData &)> &change, int lockTimeoutMs = 30000) const;

    // QSaveFile writes the registry through a temporary file that it links as
    // "weight_config.json.XXXXXX" just before renaming it into place: a process killed between
    // the two leaves that file behind. Under the lock no write is in progress, so every such
    // regular file is a leftover; removes them and returns their paths (for the doctor). Names
    // of six small letters ("weight_config.json.backup") are a user's, and left.
    Result<QStringList> removeLeftoverTemporaries(int lockTimeoutMs = 30000) const;

    // Writes `data` under the lock without reading the current file: for rebuilding a
    // registry that does not parse (the caller has set the broken file aside).
    Status replace(const RegistryData &data, int lockTimeoutMs = 30000) const;

    // The one way in: a well-typed registry, or an error naming the file, the JSON path of the
    // field and what was expected ("weights.mamba_old.size: expected a non-negative integer,
    // found \"big\""). Mistyped fields are errors, never defaults; names (keys, model types,
    // versions) must pass validateName, as they would on the command line.
    static Result<RegistryData> parse(const QByteArray &json, const QString &path);
    static QByteArray serialize(const RegistryData &data);
    // Accepts an absent schema_version or exactly 1; a newer or unreadable one is refused.
    static Status checkSchemaVersion(const QJsonObject &root, const QString &path);
    // One weight's entry as the registry (and a backup's manifest) stores it: known fields
    // written over the entry's json. `where` is the entry's JSON path for messages
    // ("weights.mamba_v1", "entry"); `name` is checked like a CLI argument.
    static QJsonObject entryToJson(const WeightEntry &entry);
    static Result<WeightEntry> entryFromJson(const QString &name, const QJsonValue &json, const QString &path,
                                             const QString &where);
    // "weights.mamba_v1", or weights["odd name"] when the key would be ambiguous.
    static QString jsonPath(const QString &parent, const QString &key);

private:
    QString m_path;
    const JobContext *m_job = nullptr;
};

QString isoUtc(const QDateTime &time);

} // namespace tantra
