#pragma once

#include "configmanager.h"
#include "registry.h"
#include "result.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "weightconversion.h"
#include "workspace.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <map>
#include <set>
#include <vector>

namespace tantra {

class JobContext;

struct CleanupPlan
{
    QString modelType;
    int keep = 0;
    bool dryRun = true;
    std::vector<WeightEntry> remove; // what goes (or went), newest first
    QStringList kept;                // names kept, newest first (the active one included)
    quint64 bytesFreed = 0;
    // Removed entries whose file stays because other entries still use it (by name).
    std::map<QString, QStringList> fileKeptFor;
};

struct RemovedWeight
{
    WeightEntry entry;
    QStringList fileKeptFor; // other entries still using its file, which was therefore kept
};

struct ValidationReport
{
    QString weight;
    QString path;
    bool deep = false;
    bool passed = false;
    QStringList issues;   // every problem found, each naming the file or tensor
    int tensorCount = 0;
    int rulesChecked = 0; // tensors the config expects
};

struct ImportRequest
{
    // A .safetensors file, an index, or a shard folder; or a PyTorch checkpoint (.bin, .pt,
    // .pth, .ckpt, pytorch_model.bin.index.json), converted to safetensors first.
    QString source;
    QString modelType;     // empty: guessed from the configs' shape rules
    QString version;       // empty: a UTC timestamp
    bool move = false;     // move instead of copy
    bool activate = false;
    QString sourceNote;    // the entry's source; empty: "imported from <absolute path>"
    // For a file that fits no config. createType: first write Config/<modelType>.yaml with
    // rules made from the file's tensors (ConfigManager::createModelConfigFromTensors);
    // removed again when the import fails. unvalidated: import it under modelType even though
    // it does not fit, recorded as a failed validation marked unvalidatedImport.
    bool createType = false;
    bool unvalidated = false;
    // PyTorch checkpoints: where the state dict is (TorchReadOptions::key; --key).
    QString torchKey;
    // The SHA-256 of a single-file source moved into place, from a caller that has just
    // hashed that very file (a pull checks each download against its manifest): the import
    // then records it instead of reading the whole file again. Empty: hashed here.
    QString verifiedSha256;
};

struct BackupInfo
{
    QString path;   // absolute
    QString weight; // from the manifest
    QString modelType;
    quint64 size = 0;
    QDateTime created;
};

enum class ChecksumStatus {
    Ok,      // the file hashes to the registered checksum
    Changed, // it hashes to something else
    Missing, // it is not there
    Error,   // it could not be read (message says why)
};

struct VerifyResult
{
    QString weight;
    ChecksumStatus status = ChecksumStatus::Error;
    QString message;
    QString sha256 = {}; // what the files hashed to, when they could be read
};

struct DoctorReport
{
    QStringList problems; // what is wrong
    QStringList fixed;    // what was repaired (leftovers removed, registry rebuilt)
    Remedy remedy = Remedy::None; // what fixes the problems when one action does (an unreadable registry: rebuild it)
};

struct SetupReport
{
    QStringList created;  // folders and configs created
    QStringList migrated; // legacy files moved in
    QStringList samples;  // sample weights written
};

// The façade the GUI and the CLI call: every weight operation of a workspace. Long operations
// take a JobContext for progress and cancel; all return Results naming the file at fault.
// Registry changes go through Registry::update (locked, atomic); files are written under a
// partial name and renamed into place before they are registered, so a killed process never
// leaves a registered half-file.
class WeightManager
{
public:
    explicit WeightManager(const Workspace &workspace);

    const Workspace &workspace() const { return m_workspace; }
    const Registry &registry() const { return m_registry; }
    const ConfigManager &configs() const { return m_configs; }
    ConfigManager &configs() { return m_configs; }
    Result<RegistryData> snapshot() const { return m_registry.load(); }
    // Every change of the registry made through this manager gives up waiting for its lock
    // once `job` is cancelled (see Registry::setJobContext).
    void setJobContext(const JobContext *job) { m_registry.setJobContext(job); }

    // Zero-copy views of every tensor of a weight (`version` empty: the active one).
    Result<SafetensorsModel> loadWeights(const QString &type, const QString &version = {}) const;
    Result<QString> getWeightPath(const QString &type, const QString &version = {}) const;
    // Before anything reads a registered weight: its file, or every file of its shard folder
    // and of its files[], is a regular file (a FIFO would hang the reader) inside the
    // workspace with links resolved (a shard linked outside would be read from there).
    Status checkWeightFiles(const WeightEntry &entry) const;
    Result<WeightEntry> saveWeights(const std::vector<TensorWrite> &tensors, const QString &type,
                                    const QString &version, bool isActive, const Metadata &metadata = {},
                                    JobContext *job = nullptr);
    Status setActiveWeight(const QString &name);
    // Makes active again the weight that was active before the current one of `type`: the
    // most recent other weight in its activation history that is still registered and on
    // disk. Twice in a row returns to where it started, like `cd -`. Returns that weight.
    Result<QString> rollbackActiveWeight(const QString &type);
    // The weight rollbackActiveWeight would activate in `data`, or an error saying why there
    // is none (naming the earlier weights that are gone).
    Result<QString> rollbackTarget(const RegistryData &data, const QString &type) const;
    // Deletes a weight and its registry entry; the active weight is refused. A file that
    // another entry also uses (a second name for one file) stays; the result says for whom.
    Result<RemovedWeight> removeWeight(const QString &name);

    Result<QString> backupWeight(const QString &name, JobContext *job = nullptr) const;
    Result<WeightEntry> restoreBackup(const QString &archive, const QString &asVersion = {}, JobContext *job = nullptr);
    Result<std::vector<BackupInfo>> listBackups() const;

    // Keeps the `keep` newest weights of the type and the active one; never touches backups
    // or checkpoints. With dryRun, only plans.
    Result<CleanupPlan> cleanupOldWeights(const QString &type, int keep, bool dryRun);

    // Structure and shapes against the config; `deep` adds the checksum against the
    // registry and a NaN/Inf scan. The result is recorded in the registry.
    Result<ValidationReport> validateWeights(const QString &type, const QString &version, bool deep,
                                             JobContext *job = nullptr);
    // The same for a weight by its registry name (validate --all: the name is the entry's
    // identity, whatever its model_type and version say).
    Result<ValidationReport> validateWeightNamed(const QString &name, bool deep, JobContext *job = nullptr);
    Result<WeightEntry> importWeight(const ImportRequest &request, JobContext *job = nullptr);
    // importWeight of a PyTorch checkpoint (importWeight sends one here): the checkpoint is
    // read without running it (a hostile pickle is refused before anything in the workspace
    // is touched), converted in a scratch folder under Model/ and that file imported by moving
    // it, with "converted from PyTorch checkpoint <file>" as its source unless sourceNote says
    // otherwise. The checkpoint itself is never moved (`move` is ignored).
    Result<WeightEntry> importTorchCheckpoint(const ImportRequest &request, JobContext *job = nullptr);
    // A new version made from another weight (converted, resharded): `produce` writes it at the
    // path it is given, a file or (`sharded`) a folder in a scratch folder under Model/, on the
    // weights' file system; it is then imported by moving it into place (hashed, validated)
    // with `sourceNote` as its source. The version is checked before `produce` runs, so a
    // name clash costs no work; the scratch folder goes either way. `type` empty: guessed.
    // `verifiedSha256`: see ImportRequest (a single file that `produce` checked).
    Result<WeightEntry> addDerivedVersion(const QString &type, const QString &version, bool sharded, bool activate,
                                          const QString &sourceNote, const std::function<Status(const QString &path)> &produce,
                                          JobContext *job = nullptr, const QString &verifiedSha256 = {});
    // `source` converted (convertWeight) into the new version `type`_`version`, as Weight ▸
    // Convert and `convert --as` make it: the converted shapes are checked against the type's
    // config before any byte is written (a dtype the config does not allow fails at once, not
    // after the whole model), then addDerivedVersion with the source "converted from
    // <sourceName> (<dtype>)". The report's output is the registered file.
    struct ConvertedVersion
    {
        WeightEntry entry;
        ConversionReport report;
    };
    Result<ConvertedVersion> convertToVersion(const SafetensorsModel &source, const QString &sourceName, const QString &type,
                                              const QString &version, const ConvertOptions &options, bool activate,
                                              JobContext *job = nullptr);
    // Whether `version` of `type` can take a new weight in `data`: a valid name, not registered
    // (Remedy::ChooseAnotherVersion), no stray file at its place (Remedy::RepairOrChooseVersion).
    // The checks importWeight makes, for a dialog to make before it closes.
    Status checkNewVersion(const RegistryData &data, const QString &type, const QString &version, bool sharded) const;
    // Whether tensors of these names, dtypes and shapes would fit `type`'s config: what a
    // derived version (converted, resharded) is checked with before any byte is written, so
    // that an FP8 conversion for a config that allows no FP8 fails at once, naming the rule.
    // `what` names the weight to be in the message.
    Status checkFitsConfig(const QString &type, const QString &what, const std::vector<TensorShape> &shapes) const;
    // The first version from `wanted` on that is neither registered nor has a file at its place:
    // a short trailing number counts up ("v1" → "v2", "3" → "4"), anything else (a timestamp)
    // gets "-2", "-3", … appended.
    QString freeVersion(const RegistryData &data, const QString &type, const QString &wanted, bool sharded) const;
    // Re-hashes weights (all, a type's, or one by name) against the registry, in parallel.
    Result<std::vector<VerifyResult>> verify(const QString &typeOrName, JobContext *job = nullptr) const;
    // Records `at` as verified_at of the weights whose checksum matched in `results`, so a
    // reopened workspace still knows (the GUI's Verify Checksums and the CLI's `verify` call it;
    // `verify` itself only reads).
    // An entry removed or re-registered with another checksum meanwhile is left alone.
    Status recordVerified(const std::vector<VerifyResult> &results, const QDateTime &at);
    Result<DoctorReport> doctor(bool rebuild, JobContext *job = nullptr);
    Result<SetupReport> setup(JobContext *job = nullptr);
    // For the demo workspace: two more versions of each type's sample, "v1" (another seed, a
    // second training run) and "v2" (v1 with some values changed, a fine-tune), activated in
    // turn, so that history, roll back, clean-up and compare have something to show at once.
    // Types that already have a v1 are left alone. Returns the weights written.
    Result<QStringList> addDemoVersions(JobContext *job = nullptr);

    // Registers a weight already in place under Model/weights (hashing it).
    Result<WeightEntry> registerInPlace(const QString &type, const QString &version, const QString &absolutePath,
                                        bool sharded, const QString &source, bool activate, JobContext *job);

    // The registry entry of a type's version (empty version: the active one).
    Result<WeightEntry> findWeight(const QString &type, const QString &version) const;
    QString finalPathFor(const QString &type, const QString &version, bool sharded) const;

private:
    // importWeight without createType.
    Result<WeightEntry> importIntoType(const ImportRequest &request, JobContext *job);
    // Moves a finished weight from its partial name to its final one and registers it, both
    // under the registry lock, so two processes can never claim one name.
    Result<WeightEntry> commitWeight(WeightEntry entry, const QString &partial, bool activate);
    QString uniqueBackupPath(const QString &name) const;
    Result<ValidationReport> validateEntry(const WeightEntry &entry, bool deep, JobContext *job);
    // The other entries (not `except`) whose file or shard folder is the file or folder at
    // `absolutePath`, holds it or lies inside it, compared by canonical path so links and
    // spellings do not hide a shared file.
    QStringList entriesUsing(const RegistryData &data, const QString &absolutePath, const QString &except) const;
    // Drops the pending-removal records of these (relative) paths once their files are gone.
    void forgetPendingRemovals(const QStringList &paths);
    // The doctor's part for removals a killed process left half done; see PendingRemoval.
    void finishPendingRemovals(DoctorReport &report, std::set<QString> &leftAlone);

    Workspace m_workspace;
    Registry m_registry;
    ConfigManager m_configs;
};

} // namespace tantra
