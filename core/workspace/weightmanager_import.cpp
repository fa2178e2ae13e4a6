// WeightManager: importing weights from outside the workspace.
#include "weightmanager.h"

#include "englishplurals.h"
#include "jobcontext.h"
#include "pathjoin.h"
#include "shapevalidator.h"
#include "torchcheckpoint.h"
#include "weightfiles.h"

#include <QDir>
#include <QTemporaryDir>
#include <QFile>
#include <QFileInfo>
#include <QStorageInfo>

#include <map>

namespace tantra {

namespace {

QString describeIssues(const ShapeReport &report, int limit)
{
    // One dtype refused for many tensors (a whole model converted to FP8) is one problem, not
    // 42 lines of it: say it once, with the first few names.
    std::map<std::pair<QString, QString>, std::vector<const ShapeIssue *>> sameDtype;
    for (const auto &issue : report.issues) {
        if (issue.kind == ShapeIssue::Kind::DtypeNotAllowed)
            sameDtype[{issue.actual, issue.expected}].push_back(&issue);
    }
    QStringList lines;
    std::size_t described = 0;
    for (const auto &issue : report.issues) {
        const auto group = issue.kind == ShapeIssue::Kind::DtypeNotAllowed ? sameDtype.find({issue.actual, issue.expected}) : sameDtype.end();
        const bool grouped = group != sameDtype.end() && group->second.size() >= 3;
        if (grouped && group->second.front() != &issue)
            continue;
        if (lines.size() == limit) {
            lines << QStringLiteral("… and %1 more").arg(report.issues.size() - described);
            break;
        }
        if (grouped) {
            const auto &members = group->second;
            QStringList names;
            for (std::size_t i = 0; i < std::min<std::size_t>(members.size(), 3); ++i)
                names << members[i]->tensor;
            lines << QStringLiteral("  %1 tensors: dtype %2 not allowed (allowed: %3): %4%5")
                             .arg(members.size())
                             .arg(issue.actual, issue.expected, names.join(QStringLiteral(", ")),
                                  members.size() > 3 ? QStringLiteral(", … and %1 more").arg(members.size() - 3) : QString());
            described += members.size();
        } else {
            lines << QStringLiteral("  ") + issue.message;
            ++described;
        }
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace

Result<WeightEntry> WeightManager::importWeight(const ImportRequest &request, JobContext *job)
{
    if (isTorchCheckpointName(request.source) && !QFileInfo(request.source).isDir())
        return importTorchCheckpoint(request, job);
    if (!request.createType)
        return importIntoType(request, job);
    if (request.modelType.isEmpty())
        return makeError(QStringLiteral("name the new model type to create from %1").arg(request.source));
    auto opened = SafetensorsModel::open(request.source);
    if (!opened)
        return opened.error();
    const QFileInfo source(request.source);
    const QString origin = opened->isSharded() && source.isDir() ? source.fileName() + QLatin1Char('/') : source.fileName();
    auto created = m_configs.createModelConfigFromTensors(request.modelType, tensorShapesOf(*opened), origin);
    if (!created)
        return created.error();
    ImportRequest into = request;
    into.createType = false;
    auto imported = importIntoType(into, job);
    // A type made for this weight alone is no use without it; a second try creates it again.
    if (!imported)
        QFile::remove(created->filePath);
    return imported;
}

Result<WeightEntry> WeightManager::importIntoType(const ImportRequest &request, JobContext *job)
{
    auto opened = SafetensorsModel::open(request.source);
    if (!opened)
        return opened.error();
    const SafetensorsModel &model = *opened;
    const bool sharded = model.isSharded();
    const auto shapes = tensorShapesOf(model);
    // A folder holding one weight opens as that weight; it is that file which is copied or
    // moved (copying the folder failed with "is a folder").
    const QString sourceFile = sharded ? request.source : model.shards().front()->path();

    QString type = request.modelType;
    if (type.isEmpty()) {
        // A config that does not parse cannot be matched, and may be the type this weight is:
        // "matches no model type" alone sent users to the weight instead of the config.
        QStringList broken;
        const std::vector<ModelConfig> configs = m_configs.loadAll(&broken);
        const QString unreadable = broken.isEmpty() ? QString()
            : QString(QLatin1Char('\n') + plural("%n config(s)", broken.size()) + QStringLiteral(" could not be read, so their types were not tried:\n  ")
                      + broken.join(QStringLiteral("\n  ")));
        if (configs.empty())
            return makeError(m_workspace.configDir(), QStringLiteral("no model configs to guess the type from; pass --type (or run setup)") + unreadable);
        const auto guesses = guessModelType(configs, shapes);
        if (guesses.empty() || !guesses.front().report.ok()) {
            QString message = request.source + QStringLiteral(": matches no model type's shape rules; pass --type TYPE to import it anyway as that type after fixing the config, "
                                                              "--type TYPE --unvalidated to import it as it is, or --type NEW --new-type to create a model type from it.");
            message += unreadable;
            if (!guesses.empty())
                message += QStringLiteral("\nClosest: '%1' (%2)\n").arg(guesses.front().type, guesses.front().report.findings())
                        + describeIssues(guesses.front().report, 8);
            return makeError(message);
        }
        type = guesses.front().type;
    }
    if (auto s = validateName(type, QStringLiteral("model type")); !s)
        return s.error();
    auto config = m_configs.getConfig(type);
    if (!config)
        return config.error();
    const ShapeReport report = validateShapes(*config, shapes);
    if (!report.ok() && !request.unvalidated)
        return withKind(makeError(request.source, QStringLiteral("does not fit the '%1' config (%2):\n").arg(type, report.findings())
                                      + describeIssues(report, 20)),
                        ErrorKind::InvalidWeight);

    auto data = m_registry.load();
    if (!data)
        return data.error();
    // The doctor's advice for a weight it finds unregistered in Model/weights is "import it", but
    // a copy cannot land on its own name ("a file is already there … run 'doctor'") and a
    // timestamped copy left the original unregistered. Such a weight is now registered where it
    // lies, under the version its name gives when none is asked for.
    const QFileInfo location(sharded ? QFileInfo(model.indexPath()).absolutePath() : QFileInfo(sourceFile).absoluteFilePath());
    const bool inWeights = !location.isSymLink() && QDir::cleanPath(location.absolutePath()) == QDir::cleanPath(m_workspace.weightsDir());
    QString version = request.version;
    if (version.isEmpty() && inWeights) {
        const QString stem = sharded ? location.fileName() : location.completeBaseName();
        if (stem.startsWith(type + QLatin1Char('_')) && stem.size() > type.size() + 1)
            version = stem.mid(type.size() + 1);
    }
    QString stamp; // set when the version is a timestamp of our choosing
    if (version.isEmpty()) {
        stamp = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
        version = freeVersion(*data, type, stamp, sharded);
    }
    if (auto s = validateName(version, QStringLiteral("version")); !s)
        return s.error();
    const QString name = weightName(type, version);
    if (data->find(name))
        return makeError(m_registry.path(), QStringLiteral("'%1' is already registered").arg(name), Remedy::ChooseAnotherVersion);
    if (auto made = m_workspace.createLayout(); !made)
        return made.error();

    const QString finalPath = finalPathFor(type, version, sharded);
    const QString partial = partialPathFor(finalPath);
    const bool inPlace = inWeights && QDir::cleanPath(location.absoluteFilePath()) == QDir::cleanPath(finalPath);
    const QStringList sources = model.files();
    // A file the registry already knows belongs to that weight: moving it (or renaming it in
    // place) took it away from the entry, which then pointed at nothing. A copy is fine.
    QStringList registeredAs;
    for (const QString &source : sources + QStringList{location.absoluteFilePath()}) {
        for (const QString &user : entriesUsing(*data, QFileInfo(source).absoluteFilePath(), {})) {
            if (!registeredAs.contains(user))
                registeredAs << user;
        }
    }
    // Moving would take the file away from its entry: the remedy is a copy (the CLI's import
    // without --move, the GUI's "Copy" choice), worded by each interface.
    if (!registeredAs.isEmpty() && request.move)
        return makeError(request.source, QStringLiteral("already registered as '%1'").arg(registeredAs.join(QStringLiteral("', '"))),
                         Remedy::ImportAsCopy);
    if (!registeredAs.isEmpty() && inPlace)
        return makeError(request.source, QStringLiteral("already registered as '%1'; one file cannot be registered under two names.")
                                             .arg(registeredAs.join(QStringLiteral("', '"))));
    if (auto inside = m_workspace.checkInside(finalPath); !inside)
        return inside.error();
    quint64 needed = 0;
    for (const QString &f : sources)
        needed += quint64(QFileInfo(f).size());
    const QStorageInfo storage(m_workspace.weightsDir());
    const bool sameDevice = QStorageInfo(QFileInfo(sourceFile).absolutePath()).device() == storage.device();
    if (!((request.move || inPlace) && sameDevice) && storage.isValid() && quint64(storage.bytesAvailable()) < needed)
        return makeError(m_workspace.weightsDir(), QStringLiteral("not enough free space to import (%1 bytes needed, %2 free)")
                                                        .arg(needed)
                                                        .arg(storage.bytesAvailable()));

    // Copy (hashing on the way) or move under the partial name; nothing is registered yet, so
    // a killed import leaves only a partial file for the doctor to clean.
    WeightEntry entry;
    bool movedByRename = false;
    QString movedFrom;
    if (inPlace) {
        if (!QDir().rename(location.absoluteFilePath(), partial))
            return makeError(location.absoluteFilePath(), QStringLiteral("cannot rename it to register it in place"));
        movedByRename = true;
        movedFrom = location.absoluteFilePath();
        auto h = hashWeight(m_workspace.root(), partial, sharded, job);
        if (!h) {
            QDir().rename(partial, movedFrom);
            return h.error();
        }
        entry.sha256 = h->sha256;
        entry.size = h->size;
        for (const WeightFile &f : h->files)
            entry.files.push_back(WeightFile{m_workspace.relativePath(joinPath(finalPath, QFileInfo(f.path).fileName())), f.size, f.sha256});
    } else if (!sharded) {
        if (request.move && QFile::rename(sourceFile, partial)) {
            movedByRename = true;
            movedFrom = sourceFile;
            if (!request.verifiedSha256.isEmpty()) {
                entry.sha256 = request.verifiedSha256;
            } else {
                auto h = hashWeight(m_workspace.root(), partial, false, job);
                if (!h) {
                    QFile::rename(partial, sourceFile);
                    return h.error();
                }
                entry.sha256 = h->sha256;
            }
        } else {
            auto sha = copyAndHash(sourceFile, partial, job);
            if (!sha)
                return sha.error();
            entry.sha256 = sha.value();
        }
        entry.size = quint64(QFileInfo(partial).size());
    } else {
        if (!QDir().mkpath(partial))
            return makeError(partial, QStringLiteral("cannot create the folder"));
        for (const QString &source : sources) {
            const QString fileName = QFileInfo(source).fileName();
            const QString target = joinPath(partial, fileName);
            auto sha = copyAndHash(source, target, job);
            if (!sha) {
                (void)removeWeightPath(partial, true); // best effort; the doctor cleans the rest
                return sha.error();
            }
            const quint64 size = quint64(QFileInfo(target).size());
            entry.files.push_back(WeightFile{m_workspace.relativePath(joinPath(finalPath, fileName)), size, sha.value()});
            entry.size += size;
        }
        entry.sha256 = shardManifestDigest(entry.files);
    }

    const auto undo = [&] {
        if (movedByRename)
            QDir().rename(partial, movedFrom);
        else
            (void)removeWeightPath(partial, sharded); // best effort; the doctor cleans the rest
    };
    // Validate what landed, not what we read: the copy is what will be used.
    auto copied = SafetensorsModel::open(partial);
    if (!copied) {
        undo();
        return makeError(QStringLiteral("the imported copy does not open: ") + copied.errorString());
    }

    entry.name = name;
    entry.modelType = type;
    entry.version = version;
    entry.path = m_workspace.relativePath(finalPath);
    entry.sharded = sharded;
    entry.created = QDateTime::currentDateTimeUtc();
    entry.source = request.sourceNote.isEmpty() ? QStringLiteral("imported from ") + QFileInfo(sourceFile).absoluteFilePath()
                                                : request.sourceNote;
    for (const auto &[k, v] : model.metadata())
        entry.metadata.emplace_back(QString::fromStdString(k), QString::fromStdString(v));
    entry.validation.status = report.ok() ? ValidationStatus::Passed : ValidationStatus::Failed;
    entry.validation.checkedAt = entry.created;
    if (!report.ok()) {
        // As validate records them, so the weights table and `show` tell the same story.
        entry.validation.unvalidatedImport = true;
        for (const auto &issue : report.issues)
            entry.validation.issues << m_workspace.absolutePath(entry.path) + QStringLiteral(": ") + issue.message;
    }
    auto committed = commitWeight(entry, partial, request.activate);
    // Imports started in the same second choose the same timestamp version and only one can
    // commit it (the others failed with "already registered", found by concurrent CLI imports).
    // A version we chose ourselves is not the user's: take the next free suffix and commit again.
    for (int n = 2; !committed && !stamp.isEmpty() && n < 10000; ++n) {
        auto now = m_registry.load();
        if (!now || (!now->find(entry.name) && !QFileInfo::exists(m_workspace.absolutePath(entry.path))))
            break; // it failed for another reason
        const QString next = stamp + QLatin1Char('-') + QString::number(n);
        const QString target = finalPathFor(type, next, sharded);
        if (now->find(weightName(type, next)) || QFileInfo::exists(target))
            continue;
        entry.version = next;
        entry.name = weightName(type, next);
        entry.path = m_workspace.relativePath(target);
        for (WeightFile &f : entry.files)
            f.path = m_workspace.relativePath(joinPath(target, QFileInfo(f.path).fileName()));
        committed = commitWeight(entry, partial, request.activate);
    }
    if (!committed) {
        undo();
        return committed.error();
    }
    if (request.move && !movedByRename) {
        for (const QString &source : sources)
            QFile::remove(source);
        if (sharded && QFileInfo(request.source).isDir())
            QDir(request.source).rmdir(QStringLiteral("."));
    }
    return committed;
}

Status WeightManager::checkNewVersion(const RegistryData &data, const QString &type, const QString &version, bool sharded) const
{
    if (auto s = validateName(version, QStringLiteral("version")); !s)
        return s;
    const QString name = weightName(type, version);
    if (data.find(name))
        return makeError(m_registry.path(), QStringLiteral("'%1' is already registered").arg(name), Remedy::ChooseAnotherVersion);
    const QString finalPath = finalPathFor(type, version, sharded);
    if (QFileInfo::exists(finalPath))
        return makeError(finalPath, QStringLiteral("a file is already there but not registered"), Remedy::RepairOrChooseVersion);
    return {};
}

QString WeightManager::freeVersion(const RegistryData &data, const QString &type, const QString &wanted, bool sharded) const
{
    const auto taken = [&](const QString &version) {
        return data.find(weightName(type, version)) || QFileInfo::exists(finalPathFor(type, version, sharded));
    };
    if (!taken(wanted))
        return wanted;
    // "v9" → "v10", "run-007" → "run-008": a short trailing number counts up, keeping its
    // width; a longer one is a date or a time ("20261202-144555"), which gets "-2" instead.
    qsizetype digits = 0;
    while (digits < wanted.size() && wanted.at(wanted.size() - 1 - digits).isDigit())
        ++digits;
    const QString head = wanted.left(wanted.size() - digits);
    const bool numbered = digits > 0 && digits <= 4;
    qint64 n = numbered ? wanted.right(digits).toLongLong() + 1 : 2;
    // Bounded: a registry holds far fewer names, so one of these is free.
    for (int tries = 0; tries < 100000; ++tries, ++n) {
        const QString candidate = numbered ? QString(head + QStringLiteral("%1").arg(n, int(digits), 10, QLatin1Char('0')))
                                           : QString(wanted + QLatin1Char('-') + QString::number(n));
        if (!taken(candidate))
            return candidate;
    }
    return wanted;
}

Result<WeightEntry> WeightManager::addDerivedVersion(const QString &type, const QString &version, bool sharded, bool activate,
                                                   const QString &sourceNote,
                                                   const std::function<Status(const QString &path)> &produce, JobContext *job,
                                                   const QString &verifiedSha256)
{
    if (!type.isEmpty()) {
        auto data = m_registry.load();
        if (!data)
            return data.error();
        if (auto free = checkNewVersion(*data, type, version, sharded); !free)
            return free.error();
    }
    QTemporaryDir scratch(m_workspace.absolutePath(QStringLiteral("Model/.derived-XXXXXX")));
    if (!scratch.isValid())
        return makeError(m_workspace.absolutePath(QStringLiteral("Model")),
                         QStringLiteral("cannot create a scratch folder: ") + scratch.errorString());
    const QString path = scratch.filePath(sharded ? QStringLiteral("shards") : QStringLiteral("weight.safetensors"));
    if (auto produced = produce(path); !produced)
        return produced.error();
    ImportRequest request;
    request.source = path;
    request.modelType = type;
    request.version = version;
    request.move = true;
    request.activate = activate;
    request.sourceNote = sourceNote;
    request.verifiedSha256 = sharded ? QString() : verifiedSha256;
    auto imported = importWeight(request, job);
    if (!imported && imported.error().path.startsWith(scratch.path())) {
        // The scratch file is gone with this call: name what the user asked for instead.
        Error error = imported.error();
        error.path = type.isEmpty() ? version : type + QLatin1Char('_') + version;
        return error;
    }
    return imported;
}

Status WeightManager::checkFitsConfig(const QString &type, const QString &what, const std::vector<TensorShape> &shapes) const
{
    auto config = m_configs.getConfig(type);
    if (!config)
        return config.error();
    const ShapeReport report = validateShapes(*config, shapes);
    if (report.ok())
        return {};
    return makeError(what, QStringLiteral("would not fit the '%1' config (%2):\n").arg(type, report.findings()) + describeIssues(report, 20));
}

} // namespace tantra
