// WeightManager: validation against the config, and checksum verification.
#include "weightmanager.h"

#include "jobcontext.h"
#include "sha256.h"
#include "shapevalidator.h"
#include "tensorstats.h"
#include "weightfiles.h"

#include <QFileInfo>

namespace tantra {

Result<ValidationReport> WeightManager::validateWeights(const QString &type, const QString &version, bool deep, JobContext *job)
{
    auto found = findWeight(type, version);
    if (!found)
        return found.error();
    return validateEntry(*found, deep, job);
}

Result<ValidationReport> WeightManager::validateWeightNamed(const QString &name, bool deep, JobContext *job)
{
    auto data = m_registry.load();
    if (!data)
        return data.error();
    const WeightEntry *w = data->find(name);
    if (!w)
        return withKind(makeError(m_registry.path(), QStringLiteral("no weight named '%1' is registered").arg(name)), ErrorKind::NotFound);
    return validateEntry(*w, deep, job);
}

Result<ValidationReport> WeightManager::validateEntry(const WeightEntry &entry, bool deep, JobContext *job)
{
    const QString &type = entry.modelType;
    ValidationReport report;
    report.weight = entry.name;
    report.deep = deep;
    report.path = m_workspace.absolutePath(entry.path);

    const auto finish = [&]() -> Result<ValidationReport> {
        report.passed = report.issues.isEmpty();
        // Record the outcome; a weight removed meanwhile is simply not updated.
        auto recorded = m_registry.update([&](RegistryData &data) -> Status {
            auto it = data.weights.find(entry.name);
            if (it != data.weights.end()) {
                it->second.validation.status = report.passed ? ValidationStatus::Passed : ValidationStatus::Failed;
                it->second.validation.checkedAt = QDateTime::currentDateTimeUtc();
                it->second.validation.deep = deep;
                it->second.validation.issues = report.issues;
                it->second.validation.unvalidatedImport = false; // a real validation replaces the import's mark
            }
            return {};
        });
        if (!recorded)
            return recorded.error();
        return report;
    };

    if (auto usable = checkWeightFiles(entry); !usable) {
        report.issues << usable.errorString();
        return finish();
    }
    auto model = SafetensorsModel::open(report.path);
    if (!model) {
        report.issues << model.errorString();
        return finish();
    }
    report.tensorCount = int(model->tensors().size());

    auto config = m_configs.getConfig(type);
    if (!config) {
        report.issues << config.errorString();
    } else {
        const ShapeReport shapes = validateShapes(*config, tensorShapesOf(*model));
        report.rulesChecked = shapes.expected;
        for (const auto &issue : shapes.issues)
            report.issues << report.path + QStringLiteral(": ") + issue.message;
    }

    if (deep) {
        auto files = hashWeight(m_workspace.root(), report.path, entry.sharded, job);
        if (!files) {
            if (job && job->isCanceled())
                return makeError(QStringLiteral("validation cancelled"));
            report.issues << files.errorString();
        } else if (files->sha256 != entry.sha256) {
            report.issues << report.path + QStringLiteral(": checksum %1 differs from the registered %2 (the file changed after it was registered)")
                                                   .arg(files->sha256, entry.sha256);
        }
        for (const auto &t : model->tensors()) {
            if (!dtypeIsFloat(t.info->dtype))
                continue;
            auto stats = computeStats(t.info->dtype, model->reader(t), job);
            if (!stats) {
                if (job && job->isCanceled())
                    return makeError(QStringLiteral("validation cancelled"));
                report.issues << stats.errorString();
                continue;
            }
            if (stats->nan || stats->posInf || stats->negInf) {
                report.issues << model->shardOf(t).path() + QStringLiteral(": tensor %1 holds %2 NaN, %3 +Inf, %4 -Inf")
                                                                   .arg(quoteName(t.info->name))
                                                                   .arg(stats->nan)
                                                                   .arg(stats->posInf)
                                                                   .arg(stats->negInf);
            }
        }
    }
    return finish();
}

Result<std::vector<VerifyResult>> WeightManager::verify(const QString &typeOrName, JobContext *job) const
{
    auto data = m_registry.load();
    if (!data)
        return data.error();
    std::vector<const WeightEntry *> selected;
    for (const auto &[name, w] : data->weights) {
        if (typeOrName.isEmpty() || w.modelType == typeOrName || w.name == typeOrName)
            selected.push_back(&w);
    }
    if (selected.empty() && !typeOrName.isEmpty())
        return makeError(QStringLiteral("no registered weight or model type is called '%1'").arg(typeOrName));

    // Hash every file of every selected weight in one parallel batch.
    QStringList paths;
    std::vector<std::pair<std::size_t, std::size_t>> ranges; // per weight: [first, last) in paths
    std::vector<VerifyResult> results;
    std::vector<bool> pending; // per weight: its files are hashed below
    for (const WeightEntry *w : selected) {
        VerifyResult r{w->name, ChecksumStatus::Error, QString()};
        bool decided = true; // false: hashed below
        const QString abs = m_workspace.absolutePath(w->path);
        const std::size_t first = std::size_t(paths.size());
        if (!QFileInfo::exists(abs)) {
            r.status = ChecksumStatus::Missing;
            r.message = abs + QStringLiteral(": the weight's file is missing");
        } else if (auto inside = m_workspace.checkInside(abs); !inside) {
            r.status = ChecksumStatus::Error;
            r.message = inside.errorString();
        } else if (w->sharded) {
            // files[] is read from the registry like the entry's path: each one must stay
            // inside the workspace too, links resolved.
            QString outside;
            for (const auto &f : w->files) {
                if (auto fileInside = m_workspace.checkInside(m_workspace.absolutePath(f.path)); !fileInside && outside.isEmpty())
                    outside = fileInside.errorString();
            }
            if (!outside.isEmpty()) {
                r.status = ChecksumStatus::Error;
                r.message = outside;
            } else {
                for (const auto &f : w->files)
                    paths << m_workspace.absolutePath(f.path);
                decided = false;
            }
        } else {
            paths << abs;
            decided = false;
        }
        ranges.emplace_back(first, std::size_t(paths.size()));
        results.push_back(r);
        pending.push_back(!decided);
    }
    const auto hashes = sha256Files(paths, job);
    if (job && job->isCanceled())
        return makeError(QStringLiteral("verification cancelled"));
    for (std::size_t i = 0; i < selected.size(); ++i) {
        VerifyResult &r = results[i];
        if (!pending[i])
            continue;
        const WeightEntry &w = *selected[i];
        std::vector<WeightFile> files;
        QString failure;
        for (std::size_t k = ranges[i].first; k < ranges[i].second; ++k) {
            const auto &h = hashes[k];
            if (!h) {
                failure = h.errorString();
                break;
            }
            files.push_back(WeightFile{paths[qsizetype(k)], 0, h.value()});
        }
        if (!failure.isEmpty()) {
            r.status = ChecksumStatus::Error;
            r.message = failure;
            continue;
        }
        const QString digest = w.sharded ? shardManifestDigest(files) : files.front().sha256;
        r.sha256 = digest;
        if (digest == w.sha256) {
            r.status = ChecksumStatus::Ok;
        } else {
            r.status = ChecksumStatus::Changed;
            r.message = m_workspace.absolutePath(w.path) + QStringLiteral(": checksum %1, registered %2").arg(digest, w.sha256);
        }
    }
    return results;
}

Status WeightManager::recordVerified(const std::vector<VerifyResult> &results, const QDateTime &at)
{
    std::map<QString, QString> matched; // weight -> the checksum its files hashed to
    for (const VerifyResult &r : results) {
        if (r.status == ChecksumStatus::Ok)
            matched[r.weight] = r.sha256;
    }
    if (matched.empty())
        return {};
    return m_registry.update([&](RegistryData &data) -> Status {
        for (const auto &[name, sha256] : matched) {
            auto it = data.weights.find(name);
            if (it != data.weights.end() && it->second.sha256 == sha256)
                it->second.verifiedAt = at.toUTC();
        }
        return {};
    });
}

} // namespace tantra
