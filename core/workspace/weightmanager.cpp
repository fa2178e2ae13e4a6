#include "weightmanager.h"

#include "jobcontext.h"
#include "pathjoin.h"
#include "regularfile.h"
#include "weightfiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace tantra {

namespace {

// Deletion follows the registry's path, which other tools write too: only a direct child of
// Model/weights (inside the workspace) may go, so an entry whose path is "Model" or "Config"
// cannot wipe the workspace, and a checked refusal leaves the registry as it was.
Status checkDeletable(const Workspace &workspace, const QString &path)
{
    if (QFileInfo(path).absolutePath() != QDir::cleanPath(workspace.weightsDir()))
        return makeError(path, QStringLiteral("not a weight file or shard folder directly in %1; refusing to delete it").arg(workspace.weightsDir()));
    return workspace.checkInside(path);
}

// Records, in the write that drops `entry`, that its file is about to be deleted.
void recordPendingRemoval(RegistryData &data, const WeightEntry &entry, const QString &absolutePath)
{
    std::erase_if(data.pendingRemovals, [&](const PendingRemoval &p) { return p.path == entry.path; });
    PendingRemoval p;
    p.path = entry.path;
    p.weight = entry.name;
    p.sharded = entry.sharded;
    p.at = QDateTime::currentDateTimeUtc();
    p.modified = QFileInfo(absolutePath).lastModified().toUTC();
    data.pendingRemovals.push_back(std::move(p));
}

// A file's identity for "is this one file registered twice": links resolved, spelling cleaned.
QString canonicalOrClean(const QString &absolutePath)
{
    const QString canonical = QFileInfo(absolutePath).canonicalFilePath();
    return canonical.isEmpty() ? QDir::cleanPath(absolutePath) : canonical;
}

bool sameOrNested(const QString &a, const QString &b)
{
    return a == b || a.startsWith(b + QLatin1Char('/')) || b.startsWith(a + QLatin1Char('/'));
}

// The model types whose active weight is `name`: normally its own, but active_weights is
// written by other tools too, and an entry active for any type must not go.
QStringList activeFor(const RegistryData &data, const QString &name)
{
    QStringList types;
    for (const auto &[type, active] : data.active) {
        if (active == name)
            types << type;
    }
    return types;
}

} // namespace

QStringList WeightManager::entriesUsing(const RegistryData &data, const QString &absolutePath, const QString &except) const
{
    const QString target = canonicalOrClean(absolutePath);
    QStringList names;
    for (const auto &[name, w] : data.weights) {
        if (name != except && sameOrNested(target, canonicalOrClean(m_workspace.absolutePath(w.path))))
            names << name;
    }
    return names;
}

WeightManager::WeightManager(const Workspace &workspace)
    : m_workspace(workspace), m_registry(workspace.registryPath()), m_configs(workspace.configDir())
{
}

QString WeightManager::finalPathFor(const QString &type, const QString &version, bool sharded) const
{
    const QString stem = weightName(type, version);
    return QDir(m_workspace.weightsDir()).filePath(sharded ? stem : stem + QStringLiteral(".safetensors"));
}

Result<WeightEntry> WeightManager::findWeight(const QString &type, const QString &version) const
{
    auto data = m_registry.load();
    if (!data)
        return data.error();
    QString name;
    if (version.isEmpty()) {
        name = data->activeOf(type);
        if (name.isEmpty()) {
            const bool known = !data->weightsOf(type).empty();
            return withKind(makeError(m_registry.path(), QStringLiteral("model type '%1' has no active weight%2")
                                                                  .arg(type, known ? QStringLiteral("; choose one with 'set-active NAME'")
                                                                                   : QStringLiteral(" (no weights registered for it)"))),
                            ErrorKind::NotFound);
        }
    } else {
        name = weightName(type, version);
    }
    const WeightEntry *w = data->find(name);
    if (!w)
        return withKind(makeError(m_registry.path(), QStringLiteral("no weight named '%1' is registered").arg(name)), ErrorKind::NotFound);
    return *w;
}

Result<QString> WeightManager::getWeightPath(const QString &type, const QString &version) const
{
    auto w = findWeight(type, version);
    if (!w)
        return w.error();
    if (auto usable = checkWeightFiles(*w); !usable)
        return usable.error();
    return m_workspace.absolutePath(w->path);
}

Status WeightManager::checkWeightFiles(const WeightEntry &entry) const
{
    const QString path = m_workspace.absolutePath(entry.path);
    if (auto inside = m_workspace.checkInside(path); !inside)
        return inside;
    if (!entry.sharded)
        return checkNotSpecialFile(path);
    QStringList files;
    // QDir::System lists the FIFOs, sockets and devices that QDir::Files leaves out.
    for (const QString &name : QDir(path).entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot, QDir::Name)) {
        if (!isPartialName(name))
            files << joinPath(path, name);
    }
    for (const WeightFile &f : entry.files)
        files << m_workspace.absolutePath(f.path);
    for (const QString &file : files) {
        if (auto inside = m_workspace.checkInside(file); !inside)
            return inside;
        if (auto special = checkNotSpecialFile(file); !special)
            return special;
    }
    return {};
}

Result<SafetensorsModel> WeightManager::loadWeights(const QString &type, const QString &version) const
{
    auto path = getWeightPath(type, version);
    if (!path)
        return path.error();
    return SafetensorsModel::open(*path);
}


// Undoes the move when the registry cannot be written.
Result<WeightEntry> WeightManager::commitWeight(WeightEntry entry, const QString &partial, bool activate)
{
    const QString finalPath = m_workspace.absolutePath(entry.path);
    bool moved = false;
    auto status = m_registry.update([&](RegistryData &data) -> Status {
        if (data.find(entry.name))
            return makeError(m_registry.path(), QStringLiteral("a weight named '%1' is already registered").arg(entry.name));
        if (QFileInfo::exists(finalPath))
            return makeError(finalPath, QStringLiteral("a file is already there but not registered"), Remedy::RepairOrChooseVersion);
        if (!partial.isEmpty()) {
            if (!QDir().rename(partial, finalPath))
                return makeError(finalPath, QStringLiteral("cannot move the new weight into place"));
            moved = true;
        }
        data.weights[entry.name] = entry;
        if (activate)
            data.activate(entry.name, QDateTime::currentDateTimeUtc());
        return {};
    });
    if (!status) {
        if (moved)
            QDir().rename(finalPath, partial);
        return status.error();
    }
    return entry;
}


Result<WeightEntry> WeightManager::saveWeights(const std::vector<TensorWrite> &tensors, const QString &type,
                                               const QString &version, bool isActive, const Metadata &metadata,
                                               JobContext *job)
{
    if (auto s = validateName(type, QStringLiteral("model type")); !s)
        return s.error();
    if (auto s = validateName(version, QStringLiteral("version")); !s)
        return s.error();
    if (auto s = m_workspace.createLayout(); !s)
        return s.error();
    const QString finalPath = finalPathFor(type, version, false);
    // Model/weights may be a link that leads elsewhere; nothing is written through it.
    if (auto inside = m_workspace.checkInside(finalPath); !inside)
        return inside.error();
    const QString partial = partialPathFor(finalPath);
    if (auto s = writeSafetensors(partial, tensors, metadata, job); !s) {
        // The user knows the weight by its final name, not by the hidden partial file's.
        return s.error().path == partial ? makeError(finalPath, s.error().problem) : s.error();
    }
    // The writer opens its files unbuffered, so a full disk fails the write; opening the file
    // also checks its length against the header before anything is registered.
    if (auto written = SafetensorsModel::open(partial); !written) {
        QFile::remove(partial);
        return makeError(finalPath, QStringLiteral("the weight was not written completely (is the disk full?): ") + written.errorString());
    }
    auto files = hashWeight(m_workspace.root(), partial, false, job);
    if (!files) {
        QFile::remove(partial);
        return files.error();
    }
    WeightEntry entry;
    entry.name = weightName(type, version);
    entry.modelType = type;
    entry.version = version;
    entry.path = m_workspace.relativePath(finalPath);
    entry.size = files->size;
    entry.sha256 = files->sha256;
    entry.created = QDateTime::currentDateTimeUtc();
    entry.source = QStringLiteral("saved");
    for (const auto &[k, v] : metadata)
        entry.metadata.emplace_back(QString::fromStdString(k), QString::fromStdString(v));
    auto committed = commitWeight(entry, partial, isActive);
    if (!committed)
        QFile::remove(partial);
    return committed;
}

Result<WeightEntry> WeightManager::registerInPlace(const QString &type, const QString &version, const QString &absolutePath,
                                                   bool sharded, const QString &source, bool activate, JobContext *job)
{
    auto model = SafetensorsModel::open(absolutePath);
    if (!model)
        return model.error();
    auto files = hashWeight(m_workspace.root(), absolutePath, sharded, job);
    if (!files)
        return files.error();
    WeightEntry entry;
    entry.name = weightName(type, version);
    entry.modelType = type;
    entry.version = version;
    entry.path = m_workspace.relativePath(absolutePath);
    entry.sharded = sharded;
    entry.size = files->size;
    entry.sha256 = files->sha256;
    entry.files = files->files;
    entry.created = QFileInfo(absolutePath).lastModified().toUTC();
    entry.source = source;
    for (const auto &[k, v] : model->metadata())
        entry.metadata.emplace_back(QString::fromStdString(k), QString::fromStdString(v));
    auto status = m_registry.update([&](RegistryData &data) -> Status {
        if (data.find(entry.name))
            return makeError(m_registry.path(), QStringLiteral("a weight named '%1' is already registered").arg(entry.name));
        data.weights[entry.name] = entry;
        if (activate && data.activeOf(type).isEmpty())
            data.activate(entry.name, QDateTime::currentDateTimeUtc());
        return {};
    });
    if (!status)
        return status.error();
    return entry;
}

Status WeightManager::setActiveWeight(const QString &name)
{
    return m_registry.update([&](RegistryData &data) -> Status {
        const WeightEntry *w = data.find(name);
        if (!w)
            return withKind(makeError(m_registry.path(), QStringLiteral("no weight named '%1' is registered").arg(name)), ErrorKind::NotFound);
        const QString path = m_workspace.absolutePath(w->path);
        if (!QFileInfo::exists(path))
            return makeError(path, QStringLiteral("the file of '%1' is missing; it cannot be made active").arg(name));
        if (auto usable = checkWeightFiles(*w); !usable)
            return usable;
        if (data.activeOf(w->modelType) == name)
            return {};
        data.activate(name, QDateTime::currentDateTimeUtc());
        return {};
    });
}

Result<QString> WeightManager::rollbackTarget(const RegistryData &data, const QString &type) const
{
    const auto it = data.history.find(type);
    if (it == data.history.end() || it->second.empty())
        return makeError(m_registry.path(), QStringLiteral("no activations are recorded for '%1'").arg(type));
    const QString current = data.activeOf(type);
    // Every candidate passes the same checks as set-active: a FIFO, a folder or a link out of
    // the workspace where the file was is not something to activate (a FIFO used to be).
    QStringList checked;
    QStringList gone;
    const auto usable = [&](const QString &name) {
        if (name.isEmpty() || name == current || checked.contains(name))
            return false;
        checked.append(name);
        const WeightEntry *w = data.find(name);
        if (!w) {
            gone.append(QStringLiteral("%1 is no longer registered").arg(name));
            return false;
        }
        if (auto files = checkWeightFiles(*w); !files) {
            gone.append(QStringLiteral("%1: %2").arg(name, files.errorString()));
            return false;
        }
        if (!QFileInfo::exists(m_workspace.absolutePath(w->path))) {
            gone.append(QStringLiteral("%1 is missing on disk").arg(name));
            return false;
        }
        return true;
    };
    for (auto a = it->second.rbegin(); a != it->second.rend(); ++a) {
        if (usable(a->weight))
            return a->weight;
        if (usable(a->previous))
            return a->previous;
    }
    const QString why = gone.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(gone.join(QStringLiteral("; ")));
    return makeError(m_registry.path(), QStringLiteral("'%1' has no earlier active weight to roll back to%2").arg(type, why));
}

Result<QString> WeightManager::rollbackActiveWeight(const QString &type)
{
    QString chosen;
    auto status = m_registry.update([&](RegistryData &data) -> Status {
        auto target = rollbackTarget(data, type);
        if (!target)
            return target.error();
        chosen = *target;
        data.activate(chosen, QDateTime::currentDateTimeUtc());
        return {};
    });
    if (!status)
        return status.error();
    return chosen;
}

Result<RemovedWeight> WeightManager::removeWeight(const QString &name)
{
    RemovedWeight removed;
    auto status = m_registry.update([&](RegistryData &data) -> Status {
        const WeightEntry *w = data.find(name);
        if (!w)
            return withKind(makeError(m_registry.path(), QStringLiteral("no weight named '%1' is registered").arg(name)), ErrorKind::NotFound);
        // Names the registry like every other refusal here (the message had no file).
        if (const QStringList types = activeFor(data, name); !types.isEmpty())
            return makeError(m_registry.path(), QStringLiteral("'%1' is the active weight of '%2'; make another weight active first")
                                                         .arg(name, types.join(QStringLiteral("', '"))));
        const QString path = m_workspace.absolutePath(w->path);
        if (auto deletable = checkDeletable(m_workspace, path); !deletable)
            return deletable;
        removed.entry = *w;
        data.weights.erase(name);
        // A link is deleted as a link, which takes nothing from the entries it points to.
        if (!QFileInfo(path).isSymLink())
            removed.fileKeptFor = entriesUsing(data, path, name);
        if (removed.fileKeptFor.isEmpty())
            recordPendingRemoval(data, removed.entry, path);
        return {};
    });
    if (!status)
        return status.error();
    // The entry goes first, with a record of the file to delete: a crash now leaves a file the
    // doctor knows was being removed (and deletes), never a registered weight without its file.
    // A file another entry still uses stays.
    if (removed.fileKeptFor.isEmpty()) {
        if (auto gone = removeWeightPath(m_workspace.absolutePath(removed.entry.path), removed.entry.sharded); !gone)
            return gone.error();
        forgetPendingRemovals({removed.entry.path});
    }
    return removed;
}

void WeightManager::finishPendingRemovals(DoctorReport &report, std::set<QString> &leftAlone)
{
    // Under the registry lock, so no import can register a file between the check that no
    // entry uses it and its deletion.
    QStringList fixed;
    QStringList problems;
    auto status = m_registry.update([&](RegistryData &data) -> Status {
        fixed.clear();
        problems.clear();
        leftAlone.clear();
        std::vector<PendingRemoval> keep;
        for (const PendingRemoval &p : data.pendingRemovals) {
            const QString abs = QDir::cleanPath(m_workspace.absolutePath(p.path));
            const QFileInfo info(abs);
            // Registered again since (imported under the same name): the file is that entry's.
            if (!entriesUsing(data, abs, QString()).isEmpty())
                continue;
            if (!info.exists() && !info.isSymLink())
                continue; // the removal got as far as the file; only the record was left
            const auto leave = [&](const QString &problem) {
                problems << problem;
                keep.push_back(p);
                leftAlone.insert(abs);
            };
            // The record is read from a file other tools write: it may name any path.
            if (auto deletable = checkDeletable(m_workspace, abs); !deletable) {
                leave(m_registry.path() + QStringLiteral(": pending_removals names '%1': %2; not deleted").arg(p.path, deletable.errorString()));
                continue;
            }
            if (p.modified.isValid() && info.lastModified().toUTC() != p.modified) {
                leave(abs + QStringLiteral(": an interrupted removal of '%1' left a file of this name, but it changed since; left alone: import it to keep it, or delete it")
                                .arg(p.weight));
                continue;
            }
            if (auto gone = removeWeightPath(abs, p.sharded); !gone) {
                leave(gone.errorString() + QStringLiteral(" (left by an interrupted removal of '%1')").arg(p.weight));
                continue;
            }
            fixed << abs + QStringLiteral(": deleted, finishing an interrupted removal of '%1'").arg(p.weight);
        }
        data.pendingRemovals = std::move(keep);
        return {};
    });
    if (!status) {
        report.problems << status.errorString();
        return;
    }
    report.fixed << fixed;
    report.problems << problems;
}

void WeightManager::forgetPendingRemovals(const QStringList &paths)
{
    // Best effort: a record left behind names a file that is gone, which the doctor drops.
    (void)m_registry.update([&](RegistryData &data) -> Status {
        std::erase_if(data.pendingRemovals, [&](const PendingRemoval &p) { return paths.contains(p.path); });
        return {};
    });
}

Result<CleanupPlan> WeightManager::cleanupOldWeights(const QString &type, int keep, bool dryRun)
{
    if (keep < 0)
        return makeError(QStringLiteral("--keep must be 0 or more"));
    auto data = m_registry.load();
    if (!data)
        return data.error();
    CleanupPlan plan;
    plan.modelType = type;
    plan.keep = keep;
    plan.dryRun = dryRun;
    const auto weights = data->weightsOf(type);
    if (weights.empty() && !m_configs.modelTypes().contains(type))
        return makeError(QStringLiteral("unknown model type '%1': no weights and no Config/%1.yaml").arg(type));
    int kept = 0;
    for (const WeightEntry *w : weights) {
        const bool active = !activeFor(*data, w->name).isEmpty();
        if (active || kept < keep) {
            plan.kept << w->name;
            if (!active)
                ++kept;
            continue;
        }
        plan.remove.push_back(*w);
    }
    if (dryRun) {
        // As the real run goes: one entry after the other, each file kept while another
        // remaining entry uses it.
        RegistryData after = *data;
        for (const WeightEntry &w : plan.remove) {
            after.weights.erase(w.name);
            const QString path = m_workspace.absolutePath(w.path);
            const QStringList users = QFileInfo(path).isSymLink() ? QStringList() : entriesUsing(after, path, w.name);
            if (users.isEmpty())
                plan.bytesFreed += w.size;
            else
                plan.fileKeptFor[w.name] = users;
        }
        return plan;
    }

    std::vector<WeightEntry> done;
    for (const WeightEntry &w : plan.remove) {
        // Each weight goes in its own locked transaction, re-checking that it did not become
        // active meanwhile (another process may have switched).
        bool skipped = false;
        QStringList users;
        const QString path = m_workspace.absolutePath(w.path);
        auto status = m_registry.update([&](RegistryData &d) -> Status {
            if (!d.find(w.name) || !activeFor(d, w.name).isEmpty()) {
                skipped = true;
                return {};
            }
            if (auto deletable = checkDeletable(m_workspace, path); !deletable)
                return deletable;
            d.weights.erase(w.name);
            if (!QFileInfo(path).isSymLink())
                users = entriesUsing(d, path, w.name);
            if (users.isEmpty())
                recordPendingRemoval(d, w, path);
            return {};
        });
        if (!status)
            return status.error();
        if (skipped)
            continue;
        if (!users.isEmpty()) {
            plan.fileKeptFor[w.name] = users;
        } else {
            if (auto removed = removeWeightPath(path, w.sharded); !removed)
                return removed.error();
            forgetPendingRemovals({w.path});
            plan.bytesFreed += w.size;
        }
        done.push_back(w);
    }
    plan.remove = std::move(done);
    return plan;
}

} // namespace tantra
