// WeightManager: the doctor (consistency checks, leftovers, rebuild) and workspace setup.
#include "weightmanager.h"

#include "englishplurals.h"
#include "jobcontext.h"
#include "regularfile.h"
#include "samplegenerator.h"
#include "weightfiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>

#include <csignal>
#include <functional>
#include <set>

namespace tantra {

namespace {

// Splits "<type>_<version>" using the longest known type as prefix, so "mamba_multimodal_v2"
// is (mamba_multimodal, v2) and not (mamba, multimodal_v2).
std::pair<QString, QString> splitName(const QString &stem, QStringList types)
{
    std::sort(types.begin(), types.end(), [](const QString &a, const QString &b) { return a.size() > b.size(); });
    for (const QString &t : types) {
        if (stem.startsWith(t + QLatin1Char('_')) && stem.size() > t.size() + 1)
            return {t, stem.mid(t.size() + 1)};
    }
    const auto cut = stem.indexOf(QLatin1Char('_'));
    if (cut <= 0)
        return {stem, QStringLiteral("unversioned")};
    return {stem.left(cut), stem.mid(cut + 1)};
}

// Pulls "type": "name" pairs out of the active_weights object of a registry that no longer
// parses as a whole, so a rebuild keeps the active weights where the text still shows them.
std::map<QString, QString> salvageActive(const QByteArray &broken)
{
    std::map<QString, QString> out;
    static const QRegularExpression block(QStringLiteral("\"active_weights\"\\s*:\\s*\\{([^{}]*)\\}"));
    static const QRegularExpression pair(QStringLiteral("\"([^\"\\\\]+)\"\\s*:\\s*\"([^\"\\\\]+)\""));
    const auto m = block.match(QString::fromUtf8(broken));
    if (!m.hasMatch())
        return out;
    auto it = pair.globalMatch(m.captured(1));
    while (it.hasNext()) {
        const auto p = it.next();
        out[p.captured(1)] = p.captured(2);
    }
    return out;
}

} // namespace

Result<DoctorReport> WeightManager::doctor(bool rebuild, JobContext *job)
{
    DoctorReport report;
    const QDir weights(m_workspace.weightsDir());
    if (!weights.exists())
        return makeError(m_workspace.weightsDir(), QStringLiteral("not a workspace (no Model/weights)"), Remedy::SetUpWorkspace);

    // Leftovers of killed imports, saves and restores: partial files whose owner is gone.
    for (const QString &dirPath : {m_workspace.weightsDir(), m_workspace.backupsDir(), m_workspace.modelDir()}) {
        const QDir dir(dirPath);
        for (const QFileInfo &info : dir.entryInfoList(QDir::Files | QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot)) {
            if (!isPartialName(info.fileName()))
                continue;
            const qint64 pid = partialOwnerPid(info.fileName());
            if (partialOwnerAlive(pid, info.metadataChangeTime())) {
                report.problems << info.absoluteFilePath() + QStringLiteral(": work in progress by pid %1; left alone").arg(pid);
                continue;
            }
            if (removeWeightPath(info.absoluteFilePath(), info.isDir()))
                report.fixed << info.absoluteFilePath() + QStringLiteral(": removed the leftover of an interrupted operation");
            else
                report.problems << info.absoluteFilePath() + QStringLiteral(": leftover of an interrupted operation; could not remove it");
        }
    }

    // The registry's own: a QSaveFile temporary linked in just before a rename that a kill
    // prevented.
    if (auto leftovers = m_registry.removeLeftoverTemporaries(); !leftovers)
        report.problems << leftovers.errorString();
    else
        for (const QString &path : *leftovers)
            report.fixed << path + QStringLiteral(": removed the leftover of an interrupted registry write");

    auto loaded = m_registry.load();
    std::set<QString> leftAlone; // files an interrupted removal left, not deleted: never re-registered
    if (loaded && !loaded->pendingRemovals.empty()) {
        finishPendingRemovals(report, leftAlone);
        loaded = m_registry.load();
    }
    RegistryData data;
    std::map<QString, QString> previousActive;
    if (!loaded) {
        // With --rebuild the unreadable registry is what gets fixed (the copy kept aside is
        // listed under fixed); still calling it a problem made a successful rebuild exit 1.
        if (!rebuild) {
            report.problems << loaded.errorString();
            report.remedy = loaded.error().remedy;
            return report;
        }
        QFile broken;
        QByteArray text;
        const bool regular = openRegularFile(broken, m_workspace.registryPath()).ok();
        if (regular)
            text = broken.readAll();
        broken.close();
        // A registry of a newer (or unreadable) schema is another program's: rebuilding would
        // replace it with what this one understands, so it is never rewritten.
        const QJsonDocument doc = QJsonDocument::fromJson(text);
        if (doc.isObject()) {
            if (auto schema = Registry::checkSchemaVersion(doc.object(), m_workspace.registryPath()); !schema) {
                report.problems << schema.errorString() + QStringLiteral(" (not rebuilt)");
                return report;
            }
            // Known fields are rebuilt below; other tools' top-level fields are kept.
            data.json = doc.object();
        }
        previousActive = salvageActive(text);
        const QString aside = m_workspace.registryPath() + QStringLiteral(".broken-")
                + QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
        // Copying a FIFO would wait for a writer forever, and a folder cannot be copied: what
        // is not a file is moved aside instead, which also clears the name for the new registry.
        if (regular ? !QFile::copy(m_workspace.registryPath(), aside) : !QDir().rename(m_workspace.registryPath(), aside))
            return makeError(aside, QStringLiteral("cannot keep a copy of the broken registry; nothing was changed"));
        report.fixed << QStringLiteral("kept the broken registry as ") + aside;
    } else {
        data = *loaded;
        previousActive = data.active;
    }

    // Registered weights against the disk. A rebuild re-registers what is on disk, which fixes
    // each of these: reporting them as problems made a successful rebuild exit 1.
    QStringList entryProblems;
    std::set<QString> registeredPaths;
    for (const auto &[name, w] : data.weights) {
        const QString abs = m_workspace.absolutePath(w.path);
        registeredPaths.insert(QDir::cleanPath(abs));
        if (!QFileInfo::exists(abs))
            entryProblems << abs + QStringLiteral(": registered as '%1' but missing").arg(name);
        else if (auto special = w.sharded ? Status() : checkNotSpecialFile(abs); !special)
            entryProblems << special.errorString() + QStringLiteral(" (registered as '%1')").arg(name);
        else if (auto inside = m_workspace.checkInside(abs); !inside)
            entryProblems << inside.errorString();
        else if (auto shards = w.sharded ? checkWeightFiles(w) : Status(); !shards)
            entryProblems << shards.errorString();
        else if (!w.sharded && quint64(QFileInfo(abs).size()) != w.size)
            entryProblems << abs + QStringLiteral(": size %1 differs from the registered %2 (verify its checksum)").arg(QFileInfo(abs).size()).arg(w.size);
    }
    for (const auto &[type, name] : data.active) {
        const WeightEntry *w = data.find(name);
        if (!w) {
            if (!rebuild) // a rebuild reports it below if it stays so
                entryProblems << m_registry.path() + QStringLiteral(": the active weight of '%1' is '%2', which is not registered").arg(type, name);
        } else if (w->modelType != type)
            entryProblems << m_registry.path() + QStringLiteral(": the active weight of '%1' is '%2', a weight of model type '%3'").arg(type, name, w->modelType);
    }
    // Entries written by other tools: a key that is not <model_type>_<version>, and one file
    // under two names (removing either used to delete the file the other still needs).
    for (const auto &[name, w] : data.weights) {
        if (name != weightName(w.modelType, w.version))
            entryProblems << m_registry.path() + QStringLiteral(": %1 has model_type '%2' and version '%3', so its name should be '%4'")
                                                         .arg(Registry::jsonPath(QStringLiteral("weights"), name), w.modelType, w.version,
                                                              weightName(w.modelType, w.version));
    }
    std::set<QString> reported;
    for (const auto &[name, w] : data.weights) {
        if (reported.count(name))
            continue;
        const QString abs = m_workspace.absolutePath(w.path);
        QStringList users = entriesUsing(data, abs, name);
        if (users.isEmpty())
            continue;
        users.prepend(name);
        for (const QString &u : users)
            reported.insert(u);
        entryProblems << abs + QStringLiteral(": one file registered under %1 names ('%2'); removing one keeps the file for the others")
                                         .arg(users.size())
                                         .arg(users.join(QStringLiteral("', '")));
    }
    // Weights on disk the registry does not know.
    QStringList untracked;
    for (const QFileInfo &info : weights.entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        const bool sharded = info.isDir();
        if (!sharded && info.suffix() != QLatin1String("safetensors"))
            continue;
        if (leftAlone.count(QDir::cleanPath(info.absoluteFilePath())))
            continue; // reported above, with the removal that left it
        if (!registeredPaths.count(QDir::cleanPath(info.absoluteFilePath()))) {
            untracked << info.absoluteFilePath();
            // Not "import it" alone: the entry goes before the file on removal, so a killed
            // 'remove' or 'cleanup' leaves the very weight the user deleted here.
            if (!rebuild)
                report.problems << info.absoluteFilePath() + QStringLiteral(": not in the registry: import it to keep it, or delete it if an interrupted 'remove' or 'cleanup' left it");
        }
    }
    if (!rebuild) {
        report.problems = entryProblems + report.problems;
        return report;
    }
    for (const QString &problem : entryProblems)
        report.fixed << problem + QStringLiteral(" (fixed: the registry was rebuilt from the files on disk)");

    // Rebuild: drop entries whose files are gone, register what is on disk, recompute every
    // checksum, and keep the active weights that still exist.
    RegistryData rebuilt;
    const QStringList types = m_configs.modelTypes();
    for (const QFileInfo &info : weights.entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        const bool sharded = info.isDir();
        if (!sharded && info.suffix() != QLatin1String("safetensors"))
            continue;
        if (job && job->isCanceled())
            return makeError(QStringLiteral("doctor cancelled; the registry was not changed"));
        // The user removed it; a rebuild must not bring it back.
        if (leftAlone.count(QDir::cleanPath(info.absoluteFilePath())))
            continue;
        // A link in Model/weights that leads outside the workspace would be refused by every
        // later load; registering it would only hand out a weight nobody can use.
        if (auto inside = m_workspace.checkInside(info.absoluteFilePath()); !inside) {
            report.problems << inside.errorString() + QStringLiteral(" (not registered)");
            continue;
        }
        const QString stem = sharded ? info.fileName() : info.completeBaseName();
        auto [type, version] = splitName(stem, types);
        // The rebuilt registry must read back: a file name that makes no valid name stays out.
        if (auto s = validateName(type, QStringLiteral("model type")); !s) {
            report.problems << info.absoluteFilePath() + QStringLiteral(": ") + s.errorString() + QStringLiteral(" (not registered)");
            continue;
        }
        if (auto s = validateName(version, QStringLiteral("version")); !s) {
            report.problems << info.absoluteFilePath() + QStringLiteral(": ") + s.errorString() + QStringLiteral(" (not registered)");
            continue;
        }
        auto model = SafetensorsModel::open(info.absoluteFilePath());
        if (!model) {
            report.problems << model.errorString() + QStringLiteral(" (not registered)");
            continue;
        }
        auto files = hashWeight(m_workspace.root(), info.absoluteFilePath(), sharded, job);
        if (!files) {
            report.problems << files.errorString();
            continue;
        }
        WeightEntry entry;
        const QString name = weightName(type, version);
        if (const WeightEntry *old = data.find(name))
            entry = *old;
        entry.name = name;
        entry.modelType = type;
        entry.version = version;
        entry.path = m_workspace.relativePath(info.absoluteFilePath());
        entry.sharded = sharded;
        entry.size = files->size;
        entry.sha256 = files->sha256;
        entry.files = files->files;
        if (!entry.created.isValid())
            entry.created = info.lastModified().toUTC();
        if (entry.source.isEmpty())
            entry.source = QStringLiteral("recovered by doctor --rebuild");
        entry.metadata.clear();
        for (const auto &[k, v] : model->metadata())
            entry.metadata.emplace_back(QString::fromStdString(k), QString::fromStdString(v));
        rebuilt.weights[name] = entry;
    }
    rebuilt.history = data.history;
    rebuilt.pendingRemovals = data.pendingRemovals; // those left alone above stay recorded
    rebuilt.json = data.json; // fields of other tools, when the registry could be read
    for (const auto &[type, name] : previousActive) {
        if (rebuilt.find(name) && validateName(type, QStringLiteral("model type")))
            rebuilt.active[type] = name;
        else
            report.problems << QStringLiteral("the active weight '%1' of '%2' is gone; choose one with 'set-active'").arg(name, type);
    }
    if (auto written = m_registry.replace(rebuilt); !written)
        return written.error();
    report.fixed << QStringLiteral("rebuilt the registry from %1 on disk").arg(plural("%n weight(s)", qint64(rebuilt.weights.size())));
    return report;
}

Result<SetupReport> WeightManager::setup(JobContext *job)
{
    SetupReport report;
    const bool fresh = !m_workspace.hasLayout();
    if (auto made = m_workspace.createLayout(); !made)
        return made.error();
    if (fresh)
        report.created << m_workspace.root();

    // Default configs for the shipped types, never overwriting a user's edits.
    auto installed = ConfigManager::installDefaults(m_workspace.configDir());
    if (!installed)
        return installed.error();
    for (const QString &type : *installed)
        report.created << QDir(m_workspace.configDir()).filePath(type + QStringLiteral(".yaml"));

    // Legacy single-file weights from before the workspace layout.
    const std::pair<const char *, const char *> legacy[] = {
        {"tantra_weights.safetensors", "mamba"},
        {"tantra_multimodal_weights.safetensors", "mamba_multimodal"},
    };
    for (const auto &[file, type] : legacy) {
        const QString from = QDir(m_workspace.modelDir()).filePath(QString::fromLatin1(file));
        if (!QFileInfo::exists(from))
            continue;
        const QString typeName = QString::fromLatin1(type);
        const QString to = finalPathFor(typeName, QStringLiteral("migrated"), false);
        if (QFileInfo::exists(to))
            return makeError(from, QStringLiteral("cannot migrate, ") + to + QStringLiteral(" already exists"));
        auto model = SafetensorsModel::open(from);
        if (!model)
            return makeError(model.error().path, model.error().problem + QStringLiteral(" (legacy file left in place)"));
        if (!QFile::rename(from, to))
            return makeError(from, QStringLiteral("cannot move it to ") + to);
        auto registered = registerInPlace(typeName, QStringLiteral("migrated"), to, false,
                                          QStringLiteral("migrated from Model/") + QString::fromLatin1(file), true, job);
        if (!registered) {
            QFile::rename(to, from);
            return registered.error();
        }
        report.migrated << from + QStringLiteral(" -> ") + to;
    }

    // A seeded sample per type, so a fresh workspace has something valid to show and test.
    auto data = m_registry.load();
    if (!data)
        return data.error();
    for (const QString &type : m_configs.modelTypes()) {
        if (data->find(weightName(type, QStringLiteral("sample"))))
            continue;
        auto config = m_configs.getConfig(type);
        if (!config)
            return config.error();
        auto sample = generateSampleWeights(*config, qHash(type));
        if (!sample)
            return sample.error();
        const bool activate = data->activeOf(type).isEmpty();
        auto saved = saveWeights(sample->tensors, type, QStringLiteral("sample"), activate,
                                 {{"format", "pt"}, {"generator", "tantra-weight-manager setup"}}, job);
        if (!saved)
            return saved.error();
        report.samples << m_workspace.absolutePath(saved->path);
    }
    return report;
}

namespace {

// v2 from v1, as a fine-tune leaves it: a third of the tensors untouched (identical), a third
// with the last bit of every 97th value flipped (close for f32, a small change for the
// 16-bit floats), a third with the top mantissa bit of every 997th value flipped (changed).
void fineTune(SampleWeights &weights)
{
    for (std::size_t t = 0; t < weights.tensors.size(); ++t) {
        const Dtype dtype = weights.tensors[t].dtype;
        const int mantissaBits = dtype == Dtype::F32 ? 23 : dtype == Dtype::BF16 ? 7 : dtype == Dtype::F16 ? 10 : 0;
        if (mantissaBits == 0 || t % 3 == 0)
            continue;
        const std::size_t width = std::size_t(dtypeBits(dtype) / 8);
        std::vector<std::byte> &bytes = weights.buffers[t];
        const bool small = t % 3 == 1;
        const int bit = small ? 0 : mantissaBits - 1;
        for (std::size_t at = 0; at + width <= bytes.size(); at += width * (small ? 97 : 997))
            bytes[at + std::size_t(bit / 8)] ^= std::byte(1u << (bit % 8));
    }
}

} // namespace

Result<QStringList> WeightManager::addDemoVersions(JobContext *job)
{
    QStringList written;
    auto data = m_registry.load();
    if (!data)
        return data.error();
    for (const QString &type : m_configs.modelTypes()) {
        if (data->find(weightName(type, QStringLiteral("v1"))))
            continue;
        auto config = m_configs.getConfig(type);
        if (!config)
            return config.error();
        auto weights = generateSampleWeights(*config, qHash(type) + 1);
        if (!weights)
            return weights.error();
        auto v1 = saveWeights(weights->tensors, type, QStringLiteral("v1"), true,
                              {{"format", "pt"}, {"generator", "tantra-weight-manager demo"}, {"run", "second training run"}}, job);
        if (!v1)
            return v1.error();
        written << v1->name;
        fineTune(*weights);
        auto v2 = saveWeights(weights->tensors, type, QStringLiteral("v2"), true,
                              {{"format", "pt"}, {"generator", "tantra-weight-manager demo"}, {"run", "v1 fine-tuned"}}, job);
        if (!v2)
            return v2.error();
        written << v2->name;
    }
    return written;
}

} // namespace tantra
