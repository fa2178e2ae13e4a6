// WeightManager, the workspace façade, through its API: setup and migration, save/load,
// activation and history, removal, cleanup, import (copy, move, guessing, shard sets,
// mismatches), validation, verification, the doctor, name rules, symlinks, ModelRuntime.
// Every fixture is a workspace made by setup() in a temporary folder.

#include "configmanager.h"
#include "modelruntime.h"
#include "registry.h"
#include "safetensorsfile.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "samplegenerator.h"
#include "shapevalidator.h"
#include "testutil.h"
#include "weightfiles.h"
#include "weightmanager.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstring>
#include <limits>
#include <memory>
#include <sys/resource.h>
#include <sys/stat.h>

using namespace tantra;

namespace {

const QStringList kTypes{QStringLiteral("mamba"), QStringLiteral("mamba_multimodal"), QStringLiteral("ocr_native")};

ModelConfig shippedConfig(const QString &type)
{
    auto config = ConfigManager(ConfigManager::defaultConfigDir()).getConfig(type);
    if (!config)
        qFatal("%s", qPrintable(config.errorString()));
    return *config;
}

// A seeded sample of `type` (not the one setup writes: another seed) written to `path`.
using test::writeSample;

// Small tensors for tests that need a weight but not a valid one (cleanup, activation).
struct SmallTensors
{
    QByteArray a = test::randomBytes(16, 1);
    QByteArray b = test::randomBytes(24, 2);
    std::vector<TensorWrite> tensors() const
    {
        return {{"a", Dtype::F32, {2, 2}, test::bytesOf(a)}, {"b", Dtype::I64, {3}, test::bytesOf(b)}};
    }
};

// Where a tensor's first byte lies in its file: after the 8-byte length and the header.
qint64 tensorOffset(const QString &path, const std::string &name)
{
    auto file = SafetensorsFile::open(path);
    if (!file)
        qFatal("%s", qPrintable(file.errorString()));
    const TensorInfo *info = (*file)->find(name);
    if (!info)
        qFatal("no tensor %s in %s", name.c_str(), qPrintable(path));
    const QByteArray bytes = test::readFile(path);
    quint64 headerLength = 0;
    std::memcpy(&headerLength, bytes.constData(), 8);
    return qint64(8 + headerLength + info->begin);
}

void overwrite(const QString &path, qint64 offset, const QByteArray &bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadWrite) || !f.seek(offset) || f.write(bytes) != bytes.size())
        qFatal("cannot patch %s", qPrintable(path));
}

void flipLowBit(const QString &path, qint64 offset)
{
    QByteArray b = test::readFile(path).mid(offset, 1);
    b[0] = char(b[0] ^ 0x01);
    overwrite(path, offset, b);
}

QByteArray floatBytes(float v)
{
    QByteArray out(4, Qt::Uninitialized);
    std::memcpy(out.data(), &v, 4);
    return out;
}

// A pid that surely belongs to no process: one that just exited.
qint64 deadPid()
{
    QProcess p;
    p.start(QStringLiteral("true"), {});
    if (!p.waitForStarted())
        qFatal("cannot start 'true'");
    const qint64 pid = p.processId();
    p.waitForFinished();
    return pid;
}

// Sets a weight's `created` time in the registry (saves in one test land in one millisecond).
void setCreated(const WeightManager &m, const QString &name, const QDateTime &t)
{
    auto s = m.registry().update([&](RegistryData &d) -> Status {
        d.weights.at(name).created = t;
        return {};
    });
    if (!s)
        qFatal("%s", qPrintable(s.errorString()));
}

RegistryData loadRegistry(const WeightManager &m)
{
    auto data = m.snapshot();
    if (!data)
        qFatal("%s", qPrintable(data.errorString()));
    return *data;
}

QString manifestDigestOf(const std::vector<WeightFile> &files)
{
    std::vector<std::pair<QString, QString>> lines;
    for (const auto &f : files)
        lines.emplace_back(QFileInfo(f.path).fileName(), f.sha256);
    std::sort(lines.begin(), lines.end());
    QCryptographicHash h(QCryptographicHash::Sha256);
    for (const auto &[name, sha] : lines)
        h.addData((sha + QStringLiteral("  ") + name + QLatin1Char('\n')).toUtf8());
    return QString::fromLatin1(h.result().toHex());
}

} // namespace

class TestWeightManager : public QObject
{
    Q_OBJECT

    QTemporaryDir m_template;
    QString m_templateRoot;
    std::vector<std::unique_ptr<QTemporaryDir>> m_dirs;

    // A fresh copy of the workspace setup() made once.
    QString freshWorkspace()
    {
        m_dirs.push_back(std::make_unique<QTemporaryDir>());
        const QString root = m_dirs.back()->filePath(QStringLiteral("ws"));
        test::copyTree(m_templateRoot, root);
        return root;
    }
    QString scratch()
    {
        m_dirs.push_back(std::make_unique<QTemporaryDir>());
        return m_dirs.back()->path();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_template.isValid());
        m_templateRoot = m_template.filePath(QStringLiteral("ws"));
        test::makeWorkspace(m_templateRoot);
    }
    void cleanup() { m_dirs.clear(); }

    // ---------------- setup and migration

    void setupIsIdempotentAndSamplesValidate()
    {
        const QString root = scratch() + QStringLiteral("/ws");
        WeightManager m{Workspace(root)};
        auto first = m.setup();
        QVERIFY2(first.ok(), qPrintable(test::errorOf(first)));
        QStringList created{QDir(root).absolutePath()};
        for (const QString &t : kTypes)
            created << root + QStringLiteral("/Config/") + t + QStringLiteral(".yaml");
        QCOMPARE(first->created, created);
        QVERIFY(first->migrated.isEmpty());
        QStringList samples;
        for (const QString &t : kTypes)
            samples << root + QStringLiteral("/Model/weights/") + t + QStringLiteral("_sample.safetensors");
        QCOMPARE(first->samples, samples);
        for (const QString &dir : {QStringLiteral("Model/weights"), QStringLiteral("Model/backups"), QStringLiteral("Model/checkpoints")})
            QVERIFY2(QFileInfo(QDir(root).filePath(dir)).isDir(), qPrintable(dir));

        const RegistryData data = loadRegistry(m);
        QCOMPARE(data.weights.size(), std::size_t(3));
        for (const QString &t : kTypes) {
            const QString name = t + QStringLiteral("_sample");
            QCOMPARE(data.activeOf(t), name);
            const WeightEntry *w = data.find(name);
            QVERIFY(w);
            QCOMPARE(w->sha256, test::sha256Of(QDir(root).filePath(w->path)));
            auto report = m.validateWeights(t, QStringLiteral("sample"), true);
            QVERIFY2(report.ok(), qPrintable(test::errorOf(report)));
            QVERIFY2(report->passed, qPrintable(report->issues.join(QLatin1Char('\n'))));
            QVERIFY(report->tensorCount > 0);
            QCOMPARE(report->rulesChecked, report->tensorCount); // samples hold exactly the required tensors
        }

        // The second run creates, migrates and writes nothing, and leaves every byte alone.
        const auto before = test::treeSnapshot(root);
        auto second = m.setup();
        QVERIFY2(second.ok(), qPrintable(test::errorOf(second)));
        QVERIFY(second->created.isEmpty());
        QVERIFY(second->migrated.isEmpty());
        QVERIFY(second->samples.isEmpty());
        const auto after = test::treeSnapshot(root);
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
    }

    void demoVersionsGiveHistoryAndChanges()
    {
        const QString root = scratch() + QStringLiteral("/demo");
        WeightManager m{Workspace(root)};
        QVERIFY(m.setup().ok());
        auto versions = m.addDemoVersions();
        QVERIFY2(versions.ok(), qPrintable(test::errorOf(versions)));
        QCOMPARE(versions->size(), qsizetype(2 * kTypes.size()));
        const RegistryData data = loadRegistry(m);
        for (const QString &t : kTypes) {
            // v2 is active, and Roll Back would return to v1, as after a real fine-tune.
            QCOMPARE(data.activeOf(t), t + QStringLiteral("_v2"));
            auto target = m.rollbackTarget(data, t);
            QVERIFY2(target.ok(), qPrintable(test::errorOf(target)));
            QCOMPARE(*target, t + QStringLiteral("_v1"));
            for (const QString &version : {QStringLiteral("v1"), QStringLiteral("v2")}) {
                auto report = m.validateWeights(t, version, true);
                QVERIFY2(report.ok(), qPrintable(test::errorOf(report)));
                QVERIFY2(report->passed, qPrintable(report->issues.join(QLatin1Char('\n'))));
            }
            // v2 differs from v1 in some tensors and not in others: something to compare.
            auto v1 = m.loadWeights(t, QStringLiteral("v1"));
            auto v2 = m.loadWeights(t, QStringLiteral("v2"));
            QVERIFY(v1.ok() && v2.ok());
            QCOMPARE(v1->tensors().size(), v2->tensors().size());
            int same = 0, different = 0;
            for (std::size_t i = 0; i < v1->tensors().size(); ++i) {
                const auto a = v1->data(v1->tensors()[i]);
                const auto b = v2->data(v2->tensors()[i]);
                QCOMPARE(a.size(), b.size());
                (std::memcmp(a.data(), b.data(), a.size()) == 0 ? same : different) += 1;
            }
            QVERIFY2(same > 0 && different > 0, qPrintable(QStringLiteral("%1 same, %2 different").arg(same).arg(different)));
        }
        // A second call adds nothing.
        auto again = m.addDemoVersions();
        QVERIFY(again.ok());
        QVERIFY(again->isEmpty());
    }

    void setupMigratesLegacyFiles()
    {
        const QString root = scratch() + QStringLiteral("/ws");
        QVERIFY(QDir().mkpath(root + QStringLiteral("/Model")));
        const QString legacy = writeSample(root + QStringLiteral("/Model/tantra_weights.safetensors"), QStringLiteral("mamba"), 11);
        const QString legacyMm = writeSample(root + QStringLiteral("/Model/tantra_multimodal_weights.safetensors"),
                                             QStringLiteral("mamba_multimodal"), 12);
        const QString sha = test::sha256Of(legacy);
        const QString shaMm = test::sha256Of(legacyMm);

        WeightManager m{Workspace(root)};
        auto report = m.setup();
        QVERIFY2(report.ok(), qPrintable(test::errorOf(report)));
        const QString to = root + QStringLiteral("/Model/weights/mamba_migrated.safetensors");
        const QString toMm = root + QStringLiteral("/Model/weights/mamba_multimodal_migrated.safetensors");
        QCOMPARE(report->migrated, (QStringList{legacy + QStringLiteral(" -> ") + to, legacyMm + QStringLiteral(" -> ") + toMm}));
        QVERIFY(!QFileInfo::exists(legacy));
        QVERIFY(!QFileInfo::exists(legacyMm));
        QCOMPARE(test::sha256Of(to), sha);
        QCOMPARE(test::sha256Of(toMm), shaMm);

        const RegistryData data = loadRegistry(m);
        const WeightEntry *w = data.find(QStringLiteral("mamba_migrated"));
        QVERIFY(w);
        QCOMPARE(w->modelType, QStringLiteral("mamba"));
        QCOMPARE(w->version, QStringLiteral("migrated"));
        QCOMPARE(w->path, QStringLiteral("Model/weights/mamba_migrated.safetensors"));
        QCOMPARE(w->source, QStringLiteral("migrated from Model/tantra_weights.safetensors"));
        QCOMPARE(w->sha256, sha);
        QCOMPARE(w->size, quint64(QFileInfo(to).size()));
        const WeightEntry *mm = data.find(QStringLiteral("mamba_multimodal_migrated"));
        QVERIFY(mm);
        QCOMPARE(mm->modelType, QStringLiteral("mamba_multimodal"));
        QCOMPARE(mm->source, QStringLiteral("migrated from Model/tantra_multimodal_weights.safetensors"));
        QCOMPARE(mm->sha256, shaMm);
        // Migrated weights became active (there was none); the samples were added beside them.
        QCOMPARE(data.activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_migrated"));
        QCOMPARE(data.activeOf(QStringLiteral("mamba_multimodal")), QStringLiteral("mamba_multimodal_migrated"));
        QCOMPARE(data.activeOf(QStringLiteral("ocr_native")), QStringLiteral("ocr_native_sample"));
        QVERIFY(data.find(QStringLiteral("mamba_sample")));
        auto valid = m.validateWeights(QStringLiteral("mamba"), {}, true);
        QVERIFY2(valid.ok() && valid->passed, qPrintable(valid.ok() ? valid->issues.join(QLatin1Char('\n')) : valid.errorString()));
    }

    // A legacy file that turns up when the type already has an active weight is registered
    // but does not take over.
    void migrationKeepsAnExistingActiveWeight()
    {
        const QString root = freshWorkspace();
        const QString legacy = writeSample(root + QStringLiteral("/Model/tantra_weights.safetensors"), QStringLiteral("mamba"), 13);
        WeightManager m{Workspace(root)};
        auto report = m.setup();
        QVERIFY2(report.ok(), qPrintable(test::errorOf(report)));
        QCOMPARE(report->migrated.size(), 1);
        QVERIFY(report->samples.isEmpty());
        const RegistryData data = loadRegistry(m);
        QVERIFY(data.find(QStringLiteral("mamba_migrated")));
        QCOMPARE(data.activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_sample"));
        QCOMPARE(data.history.at(QStringLiteral("mamba")).size(), std::size_t(1));
    }

    void invalidLegacyFileStaysInPlace_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("problem");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("file is 0 bytes");
        QTest::newRow("text") << QByteArray("not a weight file at all, just some text\n")
                              << QStringLiteral("not a safetensors file: it starts with text ('not a weight file at all, just some text')");
        QTest::newRow("truncated header") << test::safetensorsBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}").left(30)
                                          << QStringLiteral("header");
        QTest::newRow("data missing") << test::safetensorsBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}")
                                      << QStringLiteral("the tensors need 8 bytes of data but the file holds only 0 after the header");
    }
    void invalidLegacyFileStaysInPlace()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, problem);
        const QString root = scratch() + QStringLiteral("/ws");
        QVERIFY(QDir().mkpath(root + QStringLiteral("/Model")));
        const QString legacy = test::writeBytes(root + QStringLiteral("/Model/tantra_weights.safetensors"), bytes);
        WeightManager m{Workspace(root)};
        auto report = m.setup();
        QVERIFY(!report.ok());
        const QString message = report.errorString();
        QVERIFY2(message.startsWith(legacy + QStringLiteral(": ")), qPrintable(message));
        QVERIFY2(message.contains(problem), qPrintable(message));
        QVERIFY2(message.endsWith(QStringLiteral(" (legacy file left in place)")), qPrintable(message));
        QCOMPARE(test::readFile(legacy), bytes);
        QVERIFY(!QFileInfo::exists(root + QStringLiteral("/Model/weights/mamba_migrated.safetensors")));
        QVERIFY(!loadRegistry(m).find(QStringLiteral("mamba_migrated")));
    }

    // ---------------- save, load, paths

    void saveLoadRoundTrip()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const QByteArray f32 = test::randomBytes(6 * 4, 5);
        const QByteArray bf16 = test::randomBytes(5 * 2, 6);
        const QByteArray i8 = test::randomBytes(7, 7);
        const std::vector<TensorWrite> tensors{{"layer.w", Dtype::F32, {2, 3}, test::bytesOf(f32)},
                                               {"layer.b", Dtype::BF16, {5}, test::bytesOf(bf16)},
                                               {"codes", Dtype::I8, {7}, test::bytesOf(i8)}};
        auto saved = m.saveWeights(tensors, QStringLiteral("mamba"), QStringLiteral("rt"), false, {{"format", "pt"}, {"step", "120"}});
        QVERIFY2(saved.ok(), qPrintable(test::errorOf(saved)));
        const QString path = root + QStringLiteral("/Model/weights/mamba_rt.safetensors");
        QCOMPARE(saved->name, QStringLiteral("mamba_rt"));
        QCOMPARE(saved->path, QStringLiteral("Model/weights/mamba_rt.safetensors"));
        QCOMPARE(saved->size, quint64(QFileInfo(path).size()));
        QCOMPARE(saved->sha256, test::sha256Of(path));
        QCOMPARE(saved->source, QStringLiteral("saved"));
        QCOMPARE(saved->metadata, (std::vector<std::pair<QString, QString>>{{QStringLiteral("format"), QStringLiteral("pt")},
                                                                           {QStringLiteral("step"), QStringLiteral("120")}}));
        const RegistryData data = loadRegistry(m);
        QVERIFY(data.find(QStringLiteral("mamba_rt")));
        QCOMPARE(data.activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_sample")); // isActive = false

        auto model = m.loadWeights(QStringLiteral("mamba"), QStringLiteral("rt"));
        QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));
        QCOMPARE(model->tensors().size(), tensors.size());
        const auto mapping = model->shards().front()->mapping().bytes();
        for (const TensorWrite &t : tensors) {
            const ModelTensor *found = model->find(t.name);
            QVERIFY2(found, t.name.c_str());
            QCOMPARE(found->info->dtype, t.dtype);
            QCOMPARE(found->info->shape, t.shape);
            const auto view = model->data(*found);
            QCOMPARE(view.size(), t.data.size());
            QVERIFY(std::memcmp(view.data(), t.data.data(), view.size()) == 0);
            // Zero-copy: the view points into the file's mapping.
            QVERIFY(view.data() >= mapping.data() && view.data() + view.size() <= mapping.data() + mapping.size());
        }
        QCOMPARE(model->metadata().size(), std::size_t(2));
        // No partial file is left behind.
        const QStringList hidden = QDir(root + QStringLiteral("/Model/weights")).entryList(QDir::Hidden | QDir::Files | QDir::NoDotAndDotDot);
        for (const QString &f : hidden)
            QVERIFY2(!isPartialName(f), qPrintable(f));
    }

    void saveRefusesAnExistingVersion()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const SmallTensors small;
        const auto before = test::treeSnapshot(root);
        auto saved = m.saveWeights(small.tensors(), QStringLiteral("mamba"), QStringLiteral("sample"), false);
        QCOMPARE(test::errorOf(saved), root + QStringLiteral("/Model/weight_config.json: a weight named 'mamba_sample' is already registered"));
        const auto after = test::treeSnapshot(root);
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));

        // A file with the name but no entry is not overwritten either.
        test::writeBytes(root + QStringLiteral("/Model/weights/mamba_stray.safetensors"), "stray");
        auto stray = m.saveWeights(small.tensors(), QStringLiteral("mamba"), QStringLiteral("stray"), false);
        QCOMPARE(test::errorOf(stray), root + QStringLiteral("/Model/weights/mamba_stray.safetensors: a file is already there but not registered"));
        QCOMPARE(stray.error().remedy, Remedy::RepairOrChooseVersion);
        QCOMPARE(test::readFile(root + QStringLiteral("/Model/weights/mamba_stray.safetensors")), QByteArray("stray"));
        QCOMPARE(QDir(root + QStringLiteral("/Model/weights")).entryList(QDir::Hidden | QDir::Files | QDir::NoDotAndDotDot).size(), 4);
    }

    // A full disk, simulated by a file size limit (which binds root too): small files stay in
    // Qt's write buffer, whose failed flush QSaveFile::commit() ignores in Qt 6.4; the save must
    // still fail and leave nothing behind.
    void saveOnAFullDisk()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const SmallTensors small;
        const auto before = test::treeSnapshot(root);
        const auto previous = ::signal(SIGXFSZ, SIG_IGN);
        rlimit original{};
        QVERIFY(::getrlimit(RLIMIT_FSIZE, &original) == 0);
        rlimit limited = original;
        limited.rlim_cur = 64;
        QVERIFY(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
        auto saved = m.saveWeights(small.tensors(), QStringLiteral("mamba"), QStringLiteral("full"), true);
        ::setrlimit(RLIMIT_FSIZE, &original);
        ::signal(SIGXFSZ, previous);
        QVERIFY(!saved.ok());
        const QString path = root + QStringLiteral("/Model/weights/mamba_full.safetensors");
        QVERIFY2(saved.errorString().startsWith(path + QStringLiteral(": ")), qPrintable(saved.errorString()));
        QVERIFY2(saved.errorString().contains(QStringLiteral("disk full")) || saved.errorString().contains(QStringLiteral("File too large")),
                 qPrintable(saved.errorString()));
        const auto after = test::treeSnapshot(root);
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
    }

    void getWeightPath_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("version");
        QTest::addColumn<QString>("expected"); // a path relative to the root, or "error: <message after the registry path>"
        QTest::newRow("active") << QStringLiteral("mamba") << QString() << QStringLiteral("Model/weights/mamba_sample.safetensors");
        QTest::newRow("by version") << QStringLiteral("ocr_native") << QStringLiteral("sample") << QStringLiteral("Model/weights/ocr_native_sample.safetensors");
        QTest::newRow("unknown version") << QStringLiteral("mamba") << QStringLiteral("nope") << QStringLiteral("error: no weight named 'mamba_nope' is registered");
        QTest::newRow("unknown type") << QStringLiteral("gpt") << QString() << QStringLiteral("error: model type 'gpt' has no active weight (no weights registered for it)");
        QTest::newRow("no active") << QStringLiteral("mamba_multimodal") << QString()
                                   << QStringLiteral("error: model type 'mamba_multimodal' has no active weight; choose one with 'set-active NAME'");
    }
    void getWeightPath()
    {
        QFETCH(QString, type);
        QFETCH(QString, version);
        QFETCH(QString, expected);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        QVERIFY(m.registry().update([](RegistryData &d) -> Status {
            d.active.erase(QStringLiteral("mamba_multimodal"));
            return {};
        }));
        auto path = m.getWeightPath(type, version);
        if (expected.startsWith(QStringLiteral("error: "))) {
            QCOMPARE(test::errorOf(path), m.registry().path() + QStringLiteral(": ") + expected.mid(7));
            auto loaded = m.loadWeights(type, version);
            QCOMPARE(test::errorOf(loaded), test::errorOf(path));
        } else {
            QVERIFY2(path.ok(), qPrintable(test::errorOf(path)));
            QCOMPARE(*path, root + QLatin1Char('/') + expected);
        }
    }

    // ---------------- activation and history

    void setActiveRecordsHistory()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const SmallTensors small;
        QVERIFY(m.saveWeights(small.tensors(), QStringLiteral("mamba"), QStringLiteral("v1"), false));
        QVERIFY(m.saveWeights(small.tensors(), QStringLiteral("mamba"), QStringLiteral("v2"), true)); // saved active
        QVERIFY(m.setActiveWeight(QStringLiteral("mamba_v1")));
        RegistryData data = loadRegistry(m);
        QCOMPARE(data.activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_v1"));
        const auto &history = data.history.at(QStringLiteral("mamba"));
        QCOMPARE(history.size(), std::size_t(3));
        QCOMPARE(history[0].weight, QStringLiteral("mamba_sample"));
        QCOMPARE(history[0].previous, QString());
        QCOMPARE(history[1].weight, QStringLiteral("mamba_v2"));
        QCOMPARE(history[1].previous, QStringLiteral("mamba_sample"));
        QCOMPARE(history[2].weight, QStringLiteral("mamba_v1"));
        QCOMPARE(history[2].previous, QStringLiteral("mamba_v2"));
        QVERIFY(history[1].at <= history[2].at);
        QVERIFY(history[2].at.isValid());
        // Other types are untouched.
        QCOMPARE(data.history.at(QStringLiteral("ocr_native")).size(), std::size_t(1));

        // Activating the active weight again records nothing.
        QVERIFY(m.setActiveWeight(QStringLiteral("mamba_v1")));
        QCOMPARE(loadRegistry(m).history.at(QStringLiteral("mamba")).size(), std::size_t(3));
    }

    void setActiveErrors_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("message"); // %1: the root
        QTest::newRow("unknown") << QStringLiteral("mamba_nope") << QStringLiteral("%1/Model/weight_config.json: no weight named 'mamba_nope' is registered");
        QTest::newRow("file missing") << QStringLiteral("mamba_gone")
                                      << QStringLiteral("%1/Model/weights/mamba_gone.safetensors: the file of 'mamba_gone' is missing; it cannot be made active");
        QTest::newRow("empty") << QString() << QStringLiteral("%1/Model/weight_config.json: no weight named '' is registered");
    }
    void setActiveErrors()
    {
        QFETCH(QString, name);
        QFETCH(QString, message);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const SmallTensors small;
        QVERIFY(m.saveWeights(small.tensors(), QStringLiteral("mamba"), QStringLiteral("gone"), false));
        QVERIFY(QFile::remove(root + QStringLiteral("/Model/weights/mamba_gone.safetensors")));
        const QByteArray registry = test::readFile(m.registry().path());
        const auto status = m.setActiveWeight(name);
        QCOMPARE(test::errorOf(status), message.arg(root));
        QCOMPARE(test::readFile(m.registry().path()), registry);
    }

    // ---------------- removal

    void removeWeight()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const SmallTensors small;
        QVERIFY(m.saveWeights(small.tensors(), QStringLiteral("mamba"), QStringLiteral("v1"), false));
        const QByteArray registry = test::readFile(m.registry().path());
        const auto before = test::treeSnapshot(root);

        const auto active = m.removeWeight(QStringLiteral("mamba_sample"));
        QCOMPARE(test::errorOf(active), root + QStringLiteral("/Model/weight_config.json: 'mamba_sample' is the active weight of 'mamba'; make another weight active first"));
        const auto unknown = m.removeWeight(QStringLiteral("mamba_v9"));
        QCOMPARE(test::errorOf(unknown), root + QStringLiteral("/Model/weight_config.json: no weight named 'mamba_v9' is registered"));
        const auto after = test::treeSnapshot(root);
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));

        QVERIFY(m.removeWeight(QStringLiteral("mamba_v1")));
        QVERIFY(!QFileInfo::exists(root + QStringLiteral("/Model/weights/mamba_v1.safetensors")));
        QVERIFY(!loadRegistry(m).find(QStringLiteral("mamba_v1")));
        QVERIFY(QFileInfo::exists(root + QStringLiteral("/Model/weights/mamba_sample.safetensors")));
    }

    // The registry is written by other tools too: a path that is not a weight in Model/weights
    // must never be deleted, by remove or by cleanup.
    void deletionStaysInModelWeights_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("sharded");
        QTest::newRow("the backups folder") << QStringLiteral("Model/backups") << true;
        QTest::newRow("the weights folder itself") << QStringLiteral("Model/weights") << true;
        QTest::newRow("the weights folder, spelled with ..") << QStringLiteral("Model/weights/x/..") << true;
        QTest::newRow("a config") << QStringLiteral("Config/mamba.yaml") << false;
        QTest::newRow("the registry") << QStringLiteral("Model/weight_config.json") << false;
        QTest::newRow("the workspace") << QStringLiteral(".") << true;
    }
    void deletionStaysInModelWeights()
    {
        QFETCH(QString, path);
        QFETCH(bool, sharded);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        test::writeBytes(root + QStringLiteral("/Model/backups/keep.zip"), "precious");
        QVERIFY(m.registry().update([&](RegistryData &d) -> Status {
            WeightEntry w = d.weights.at(QStringLiteral("mamba_sample"));
            w.name = QStringLiteral("mamba_bogus");
            w.version = QStringLiteral("bogus");
            w.path = path;
            w.sharded = sharded;
            w.created = w.created.addDays(-1);
            d.weights[w.name] = w;
            return {};
        }));
        const QString expected = QDir::cleanPath(root + QLatin1Char('/') + path)
                + QStringLiteral(": not a weight file or shard folder directly in %1/Model/weights; refusing to delete it").arg(root);
        const auto before = test::treeSnapshot(root);
        QCOMPARE(test::errorOf(m.removeWeight(QStringLiteral("mamba_bogus"))), expected);
        QCOMPARE(test::errorOf(m.cleanupOldWeights(QStringLiteral("mamba"), 0, false)), expected);
        const auto after = test::treeSnapshot(root);
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
    }

    // A link is deleted as a link: the folder it points to keeps its files.
    void linksAreDeletedNotFollowed()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const QString config = root + QStringLiteral("/Config");
        const auto configBefore = test::treeSnapshot(config);
        QVERIFY(QFile::link(config, root + QStringLiteral("/Model/weights/mamba_ln")));
        QVERIFY(m.registry().update([&](RegistryData &d) -> Status {
            WeightEntry w = d.weights.at(QStringLiteral("mamba_sample"));
            w.name = QStringLiteral("mamba_ln");
            w.version = QStringLiteral("ln");
            w.path = QStringLiteral("Model/weights/mamba_ln");
            w.sharded = true;
            d.weights[w.name] = w;
            return {};
        }));
        QVERIFY2(m.removeWeight(QStringLiteral("mamba_ln")).ok(), qPrintable(test::errorOf(m.removeWeight(QStringLiteral("mamba_ln")))));
        QVERIFY(!QFileInfo(root + QStringLiteral("/Model/weights/mamba_ln")).isSymLink());
        QCOMPARE(test::treeSnapshot(config), configBefore);

        // A leftover-looking link of a dead process, pointing at a folder outside.
        const QString outside = scratch();
        test::writeBytes(outside + QStringLiteral("/important.txt"), "keep me");
        const QString link = root + QStringLiteral("/Model/weights/.mamba_x.partial-%1-0").arg(deadPid());
        QVERIFY(QFile::link(outside, link));
        auto report = m.doctor(false);
        QVERIFY(report.ok());
        QCOMPARE(report->fixed, QStringList{link + QStringLiteral(": removed the leftover of an interrupted operation")});
        QVERIFY(!QFileInfo(link).isSymLink());
        QCOMPARE(test::readFile(outside + QStringLiteral("/important.txt")), QByteArray("keep me"));
    }

    // ---------------- cleanup

    void cleanupKeepsNewestAndActive_data()
    {
        QTest::addColumn<int>("keep");
        QTest::addColumn<bool>("dryRun");
        QTest::addColumn<QStringList>("removed"); // newest first
        QTest::addColumn<QStringList>("kept");
        // mamba_sample is active and the OLDEST; v1 < v2 < v3 by creation time.
        const QString s = QStringLiteral("mamba_sample");
        const QString v1 = QStringLiteral("mamba_v1"), v2 = QStringLiteral("mamba_v2"), v3 = QStringLiteral("mamba_v3");
        QTest::newRow("keep 0") << 0 << false << QStringList{v3, v2, v1} << QStringList{s};
        QTest::newRow("keep 1") << 1 << false << QStringList{v2, v1} << QStringList{v3, s};
        QTest::newRow("keep 2") << 2 << false << QStringList{v1} << QStringList{v3, v2, s};
        QTest::newRow("keep 5") << 5 << false << QStringList{} << QStringList{v3, v2, v1, s};
        QTest::newRow("keep 0 dry run") << 0 << true << QStringList{v3, v2, v1} << QStringList{s};
        QTest::newRow("keep 1 dry run") << 1 << true << QStringList{v2, v1} << QStringList{v3, s};
    }
    void cleanupKeepsNewestAndActive()
    {
        QFETCH(int, keep);
        QFETCH(bool, dryRun);
        QFETCH(QStringList, removed);
        QFETCH(QStringList, kept);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const SmallTensors small;
        const QDateTime t0 = QDateTime::currentDateTimeUtc().addDays(-10);
        setCreated(m, QStringLiteral("mamba_sample"), t0);
        for (int i = 1; i <= 3; ++i) {
            QVERIFY(m.saveWeights(small.tensors(), QStringLiteral("mamba"), QStringLiteral("v%1").arg(i), false));
            setCreated(m, QStringLiteral("mamba_v%1").arg(i), t0.addSecs(3600 * i));
        }
        // Backups and checkpoints, some named like weights: cleanup must never look at them.
        const QString backups = root + QStringLiteral("/Model/backups/");
        const QString checkpoints = root + QStringLiteral("/Model/checkpoints/");
        test::writeBytes(backups + QStringLiteral("mamba_v1-20260101-000000.zip"), "zip");
        test::writeBytes(backups + QStringLiteral("mamba_v0.safetensors"), "old");
        QVERIFY(QDir().mkpath(checkpoints + QStringLiteral("step-100")));
        test::writeBytes(checkpoints + QStringLiteral("step-100/mamba_v1.safetensors"), "ckpt");
        test::writeBytes(checkpoints + QStringLiteral("mamba_v2.safetensors"), "ckpt2");
        const auto untouchable = [&] {
            auto snap = test::treeSnapshot(root + QStringLiteral("/Model"));
            for (auto it = snap.begin(); it != snap.end();)
                it = (it.key().startsWith(QStringLiteral("backups")) || it.key().startsWith(QStringLiteral("checkpoints"))) ? std::next(it) : snap.erase(it);
            return snap;
        };
        const auto guardedBefore = untouchable();
        const auto before = test::treeSnapshot(root);
        const RegistryData data = loadRegistry(m);
        quint64 expectedBytes = 0;
        for (const QString &n : removed)
            expectedBytes += data.find(n)->size;

        auto plan = m.cleanupOldWeights(QStringLiteral("mamba"), keep, dryRun);
        QVERIFY2(plan.ok(), qPrintable(test::errorOf(plan)));
        QStringList planned;
        for (const WeightEntry &w : plan->remove)
            planned << w.name;
        QCOMPARE(planned, removed);
        QCOMPARE(plan->kept, kept);
        QCOMPARE(plan->bytesFreed, expectedBytes);
        QCOMPARE(plan->dryRun, dryRun);

        if (dryRun) {
            const auto after = test::treeSnapshot(root);
            QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
            return;
        }
        const RegistryData now = loadRegistry(m);
        for (const QString &n : removed) {
            QVERIFY2(!now.find(n), qPrintable(n));
            QVERIFY2(!QFileInfo::exists(root + QStringLiteral("/Model/weights/") + n + QStringLiteral(".safetensors")), qPrintable(n));
        }
        for (const QString &n : kept) {
            QVERIFY2(now.find(n), qPrintable(n));
            QVERIFY2(QFileInfo::exists(root + QStringLiteral("/Model/weights/") + n + QStringLiteral(".safetensors")), qPrintable(n));
        }
        QCOMPARE(now.activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_sample"));
        auto valid = m.validateWeights(QStringLiteral("mamba"), {}, true);
        QVERIFY2(valid.ok() && valid->passed, qPrintable(valid.ok() ? valid->issues.join(QLatin1Char('\n')) : valid.errorString()));
        // Other types keep everything.
        QVERIFY(now.find(QStringLiteral("ocr_native_sample")));
        QVERIFY(now.find(QStringLiteral("mamba_multimodal_sample")));
        const auto guardedAfter = untouchable();
        QVERIFY2(guardedBefore == guardedAfter, qPrintable(test::treeDiff(guardedBefore, guardedAfter)));
    }

    void cleanupErrors()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        QCOMPARE(test::errorOf(m.cleanupOldWeights(QStringLiteral("mamba"), -1, true)), QStringLiteral("--keep must be 0 or more"));
        QCOMPARE(test::errorOf(m.cleanupOldWeights(QStringLiteral("gpt"), 1, false)),
                 QStringLiteral("unknown model type 'gpt': no weights and no Config/gpt.yaml"));
        // A known type without weights has nothing to do.
        QVERIFY(QFile::copy(root + QStringLiteral("/Config/mamba.yaml"), root + QStringLiteral("/Config/empty.yaml")));
        QFile f(root + QStringLiteral("/Config/empty.yaml"));
        QVERIFY(f.open(QIODevice::ReadWrite));
        QByteArray text = f.readAll().replace("model_type: mamba", "model_type: empty");
        f.resize(0);
        f.write(text);
        f.close();
        auto plan = m.cleanupOldWeights(QStringLiteral("empty"), 0, false);
        QVERIFY2(plan.ok(), qPrintable(test::errorOf(plan)));
        QVERIFY(plan->remove.empty());
        QVERIFY(plan->kept.isEmpty());
    }

    // ---------------- import

    void importCopyAndMove_data()
    {
        QTest::addColumn<bool>("move");
        QTest::addColumn<bool>("activate");
        QTest::newRow("copy") << false << false;
        QTest::newRow("copy and activate") << false << true;
        QTest::newRow("move") << true << false;
    }
    void importCopyAndMove()
    {
        QFETCH(bool, move);
        QFETCH(bool, activate);
        const QString root = freshWorkspace();
        const QString source = writeSample(scratch() + QStringLiteral("/incoming.safetensors"), QStringLiteral("mamba"), 21);
        const QString sha = test::sha256Of(source);
        WeightManager m{Workspace(root)};
        ImportRequest request;
        request.source = source;
        request.modelType = QStringLiteral("mamba");
        request.version = QStringLiteral("v1");
        request.move = move;
        request.activate = activate;
        auto entry = m.importWeight(request);
        QVERIFY2(entry.ok(), qPrintable(test::errorOf(entry)));
        const QString target = root + QStringLiteral("/Model/weights/mamba_v1.safetensors");
        QCOMPARE(QFileInfo::exists(source), !move);
        QCOMPARE(test::sha256Of(target), sha);
        QCOMPARE(entry->sha256, sha);
        QCOMPARE(entry->size, quint64(QFileInfo(target).size()));
        QCOMPARE(entry->source, QStringLiteral("imported from ") + source);
        QCOMPARE(entry->path, QStringLiteral("Model/weights/mamba_v1.safetensors"));
        QCOMPARE(entry->validation.status, ValidationStatus::Passed);
        const RegistryData data = loadRegistry(m);
        QVERIFY(data.find(QStringLiteral("mamba_v1")));
        QCOMPARE(data.activeOf(QStringLiteral("mamba")), activate ? QStringLiteral("mamba_v1") : QStringLiteral("mamba_sample"));
        const QStringList hidden = QDir(root + QStringLiteral("/Model/weights")).entryList(QDir::Hidden | QDir::Files | QDir::NoDotAndDotDot);
        for (const QString &f : hidden)
            QVERIFY2(!isPartialName(f), qPrintable(f));
    }

    // What the doctor advises for a weight it finds unregistered in Model/weights: "import it".
    // It is registered where it lies, under the version its name gives, without a copy.
    void importInPlace_data()
    {
        QTest::addColumn<bool>("sharded");
        QTest::addColumn<QString>("version"); // asked for; empty: from the name
        QTest::newRow("file, version from the name") << false << QString();
        QTest::newRow("file, the same version asked") << false << QStringLiteral("extra");
        QTest::newRow("shard folder, version from the name") << true << QString();
    }
    void importInPlace()
    {
        QFETCH(bool, sharded);
        QFETCH(QString, version);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        QString path;
        if (sharded) {
            path = root + QStringLiteral("/Model/weights/mamba_extra");
            auto sample = generateSampleWeights(shippedConfig(QStringLiteral("mamba")), 33);
            QVERIFY(sample.ok());
            QVERIFY(QDir().mkpath(path));
            QVERIFY(writeShardSet(path, QStringLiteral("model"), sample->tensors, 1 << 20).ok());
        } else {
            path = writeSample(root + QStringLiteral("/Model/weights/mamba_extra.safetensors"), QStringLiteral("mamba"), 33);
        }
        auto before = m.doctor(false);
        QVERIFY(before.ok());
        QCOMPARE(before->problems, QStringList{path + QStringLiteral(": not in the registry: import it to keep it, or delete it if an interrupted 'remove' or 'cleanup' left it")});
        const auto files = test::treeSnapshot(root + QStringLiteral("/Model/weights"));

        ImportRequest request;
        request.source = path;
        request.version = version;
        auto entry = m.importWeight(request);
        QVERIFY2(entry.ok(), qPrintable(test::errorOf(entry)));
        QCOMPARE(entry->name, QStringLiteral("mamba_extra"));
        QCOMPARE(entry->path, QDir(root).relativeFilePath(path));
        QCOMPARE(entry->sharded, sharded);
        QCOMPARE(test::treeSnapshot(root + QStringLiteral("/Model/weights")), files); // nothing copied, nothing left
        if (sharded) {
            QCOMPARE(entry->files.size(), std::size_t(QDir(path).entryList(QDir::Files).size()));
            for (const WeightFile &f : entry->files)
                QCOMPARE(f.sha256, test::sha256Of(root + QLatin1Char('/') + f.path));
        } else {
            QCOMPARE(entry->sha256, test::sha256Of(path));
        }
        auto after = m.doctor(false);
        QVERIFY(after.ok());
        QCOMPARE(after->problems, QStringList());
        auto verified = m.verify(QStringLiteral("mamba_extra"));
        QVERIFY(verified.ok());
        QCOMPARE(verified->front().status, ChecksumStatus::Ok);
    }

    void importGuessesTheType_data()
    {
        QTest::addColumn<QString>("type");
        for (const QString &t : kTypes)
            QTest::newRow(qPrintable(t)) << t;
    }
    void importGuessesTheType()
    {
        QFETCH(QString, type);
        const QString root = freshWorkspace();
        const QString source = writeSample(scratch() + QStringLiteral("/w.safetensors"), type, 31);
        WeightManager m{Workspace(root)};
        ImportRequest request;
        request.source = source;
        request.version = QStringLiteral("guessed");
        auto entry = m.importWeight(request);
        QVERIFY2(entry.ok(), qPrintable(test::errorOf(entry)));
        QCOMPARE(entry->modelType, type);
        QCOMPARE(entry->name, type + QStringLiteral("_guessed"));
        QVERIFY(QFileInfo::exists(root + QStringLiteral("/Model/weights/") + type + QStringLiteral("_guessed.safetensors")));
    }

    void importTimestampVersion()
    {
        const QString root = freshWorkspace();
        const QString source = writeSample(scratch() + QStringLiteral("/w.safetensors"), QStringLiteral("ocr_native"), 32);
        WeightManager m{Workspace(root)};
        ImportRequest request;
        request.source = source;
        auto first = m.importWeight(request);
        auto second = m.importWeight(request);
        QVERIFY2(first.ok() && second.ok(), qPrintable(test::errorOf(first) + test::errorOf(second)));
        const QRegularExpression stamp(QStringLiteral("^\\d{8}-\\d{6}(-\\d+)?$"));
        QVERIFY2(stamp.match(first->version).hasMatch(), qPrintable(first->version));
        QVERIFY2(stamp.match(second->version).hasMatch(), qPrintable(second->version));
        QVERIFY(first->version != second->version);
    }

    void importMismatch_data()
    {
        QTest::addColumn<QString>("change");
        QTest::newRow("shape") << QStringLiteral("shape");
        QTest::newRow("missing") << QStringLiteral("missing");
        QTest::newRow("dtype") << QStringLiteral("dtype");
        QTest::newRow("unexpected") << QStringLiteral("unexpected");
    }
    void importMismatch()
    {
        QFETCH(QString, change);
        const QString root = freshWorkspace();
        const ModelConfig config = shippedConfig(QStringLiteral("mamba"));
        const ShapeValidator validator(config);
        auto sample = generateSampleWeights(config, 41);
        QVERIFY(sample.ok());
        std::vector<TensorWrite> tensors = sample->tensors;
        const std::string xproj = "backbone.layers.0.mixer.x_proj.weight";
        const std::string normf = "backbone.norm_f.weight";
        const auto find = [&](const std::string &name) {
            return std::find_if(tensors.begin(), tensors.end(), [&](const TensorWrite &t) { return t.name == name; });
        };
        QByteArray f64;
        QString tensor;
        QStringList fragments;
        if (change == QLatin1String("shape")) {
            auto it = find(xproj);
            const std::vector<std::uint64_t> expected = it->shape;
            it->shape[0] -= 1;
            it->data = it->data.first(it->data.size() - expected[1] * 4);
            tensor = QString::fromStdString(xproj);
            fragments << tensor + QStringLiteral(": shape ") + shapeText(it->shape) + QStringLiteral(" expected [dt_rank + 2*d_state, d_inner] = ")
                            + shapeText(expected);
            fragments << QStringLiteral("1 shape mismatch");
        } else if (change == QLatin1String("missing")) {
            tensors.erase(find(normf));
            tensor = QString::fromStdString(normf);
            fragments << tensor + QStringLiteral(": missing, expected [d_model] = ")
                            + shapeText(validator.find(tensor)->shape);
            fragments << QStringLiteral("1 missing");
        } else if (change == QLatin1String("dtype")) {
            auto it = find(normf);
            f64 = QByteArray(qsizetype(it->data.size() * 2), '\0');
            it->dtype = Dtype::F64;
            it->data = test::bytesOf(f64);
            tensor = QString::fromStdString(normf);
            fragments << tensor + QStringLiteral(": dtype F64 not allowed (allowed: F32, BF16, F16)");
            fragments << QStringLiteral("1 dtype not allowed");
        } else {
            f64 = QByteArray(8, '\0');
            tensors.push_back({"lm_head.bias", Dtype::F32, {2}, test::bytesOf(f64)});
            tensor = QStringLiteral("lm_head.bias");
            fragments << QStringLiteral("lm_head.bias: unexpected, no rule of 'mamba' names it");
            fragments << QStringLiteral("1 unexpected");
        }
        const QString source = scratch() + QStringLiteral("/bad.safetensors");
        QVERIFY(writeSafetensors(source, tensors, sample->metadata));
        WeightManager m{Workspace(root)};
        const auto before = test::treeSnapshot(root);

        ImportRequest request;
        request.source = source;
        request.modelType = QStringLiteral("mamba");
        request.version = QStringLiteral("bad");
        auto typed = m.importWeight(request);
        QVERIFY(!typed.ok());
        QVERIFY2(typed.errorString().startsWith(source + QStringLiteral(": does not fit the 'mamba' config (")), qPrintable(typed.errorString()));
        for (const QString &f : fragments)
            QVERIFY2(typed.errorString().contains(f), qPrintable(typed.errorString() + QStringLiteral("\nlacks: ") + f));

        // Guessing names the closest type and the same problem.
        request.modelType.clear();
        auto guessed = m.importWeight(request);
        QVERIFY(!guessed.ok());
        QVERIFY2(guessed.errorString().startsWith(source + QStringLiteral(": matches no model type's shape rules")), qPrintable(guessed.errorString()));
        QVERIFY2(guessed.errorString().contains(QStringLiteral("Closest: 'mamba' (")), qPrintable(guessed.errorString()));
        QVERIFY2(guessed.errorString().contains(fragments.first()), qPrintable(guessed.errorString()));

        const auto after = test::treeSnapshot(root);
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
    }

    // A config that does not parse cannot be matched; guessing the type named none of them and
    // said the weight "matches no model type". A self-referencing alias also crashed the parse.
    void importGuessNamesBrokenConfigs()
    {
        const QString root = freshWorkspace();
        const QString config = root + QStringLiteral("/Config/mamba.yaml");
        // The minimal template ends with an empty "extra:" section.
        const QByteArray text = ConfigManager::minimalTemplate(QStringLiteral("mamba")) + "  loop: &loop [*loop]\n";
        test::writeBytes(config, text);
        const int line = int(text.count('\n'));
        const QString source = writeSample(scratch() + QStringLiteral("/w.safetensors"), QStringLiteral("mamba"), 91);
        WeightManager m{Workspace(root)};
        const auto before = test::treeSnapshot(root);
        ImportRequest request;
        request.source = source;
        auto guessed = m.importWeight(request);
        QVERIFY(!guessed.ok());
        const QString expected = source + QStringLiteral(": matches no model type's shape rules; pass --type TYPE to import it anyway as that type after fixing the config, "
                                                         "--type TYPE --unvalidated to import it as it is, or --type NEW --new-type to create a model type from it.\n"
                                                         "1 config could not be read, so their types were not tried:\n  %1:%2:9: ")
                                              .arg(config)
                                              .arg(line);
        QVERIFY2(guessed.errorString().startsWith(expected), qPrintable(guessed.errorString() + QStringLiteral("\nexpected: ") + expected));
        QVERIFY2(guessed.errorString().contains(QStringLiteral("extra.loop[0] contains itself through a YAML alias")), qPrintable(guessed.errorString()));
        const auto after = test::treeSnapshot(root);
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
    }

    // A file of no known type becomes a type of its own: the config made from its tensors
    // accepts it (layers folded into one rule), and is removed again when the import fails,
    // so a second try does not find the type "already there".
    void importAsNewModelType()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        std::vector<TensorSpec> specs{{"embed.weight", Dtype::F32, {10, 8}}, {"steps", Dtype::I64, {}}};
        for (int i = 0; i < 12; ++i)
            specs.push_back({"blocks." + std::to_string(i) + ".w", Dtype::BF16, {8, 8}});
        specs.push_back({"blocks.3.extra", Dtype::F32, {2}});
        const QString source = scratch() + QStringLiteral("/tiny_r1.safetensors");
        QVERIFY(writeSparseSafetensors(source, specs));

        ImportRequest request;
        request.source = source;
        request.modelType = QStringLiteral("tiny");
        request.version = QStringLiteral("bad version");
        request.createType = true;
        auto refused = m.importWeight(request);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.errorString().contains(QStringLiteral("version")), qPrintable(refused.errorString()));
        QVERIFY(!QFileInfo::exists(m.configs().configPath(QStringLiteral("tiny"))));

        request.version = QStringLiteral("r1");
        auto entry = m.importWeight(request);
        QVERIFY2(entry, qPrintable(test::errorOf(entry)));
        QCOMPARE(entry->validation.status, ValidationStatus::Passed);
        auto config = m.configs().getConfig(QStringLiteral("tiny"));
        QVERIFY2(config, qPrintable(test::errorOf(config)));
        QCOMPARE(config->architecture, (QVariantMap{{QStringLiteral("n_blocks"), 12}}));
        QStringList patterns;
        for (const ShapeRule &rule : config->tensors)
            patterns << rule.pattern + QLatin1Char(' ') + rule.shape.join(QLatin1Char(',')) + QLatin1Char(' ') + rule.dtypes.join(QLatin1Char(','));
        QCOMPARE(patterns, (QStringList{QStringLiteral("blocks.{i}.w 8,8 F32,BF16,F16"), QStringLiteral("blocks.3.extra 2 F32,BF16,F16"),
                                        QStringLiteral("embed.weight 10,8 F32,BF16,F16"), QStringLiteral("steps  I64")}));

        // The type exists now: creating it again is refused and leaves it as it is.
        request.version = QStringLiteral("r2");
        auto again = m.importWeight(request);
        QVERIFY(!again.ok());
        QVERIFY2(again.errorString().contains(QStringLiteral("model type 'tiny' already exists")), qPrintable(again.errorString()));
        QVERIFY(m.configs().getConfig(QStringLiteral("tiny")));
    }

    // Names a rule cannot spell are refused with the tensor named; nothing is written.
    void newModelTypeRefusesUnspellableNames()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const QString source = scratch() + QStringLiteral("/odd.safetensors");
        QVERIFY(writeSparseSafetensors(source, {{"a{b}", Dtype::F32, {2}}}));
        ImportRequest request;
        request.source = source;
        request.modelType = QStringLiteral("odd");
        request.createType = true;
        auto refused = m.importWeight(request);
        QCOMPARE(test::errorOf(refused), QStringLiteral("odd.safetensors: tensor 'a{b}' has '{' or '}' in its name, which a shape rule cannot spell"));
        QVERIFY(!QFileInfo::exists(m.configs().configPath(QStringLiteral("odd"))));
    }

    void importShardSet_data()
    {
        QTest::addColumn<bool>("viaIndex");
        QTest::newRow("folder") << false;
        QTest::newRow("index file") << true;
    }
    void importShardSet()
    {
        QFETCH(bool, viaIndex);
        const QString root = freshWorkspace();
        auto sample = generateSampleWeights(shippedConfig(QStringLiteral("mamba")), 51);
        QVERIFY(sample.ok());
        const QString folder = scratch() + QStringLiteral("/shards");
        QVERIFY(QDir().mkpath(folder));
        auto set = writeShardSet(folder, QStringLiteral("model"), sample->tensors, 1 << 20, {{"format", "pt"}});
        QVERIFY2(set.ok(), qPrintable(test::errorOf(set)));
        QVERIFY(set->shardPaths.size() >= 3);

        WeightManager m{Workspace(root)};
        ImportRequest request;
        request.source = viaIndex ? set->indexPath : folder;
        request.version = QStringLiteral("sh");
        auto entry = m.importWeight(request);
        QVERIFY2(entry.ok(), qPrintable(test::errorOf(entry)));
        QCOMPARE(entry->modelType, QStringLiteral("mamba"));
        QVERIFY(entry->sharded);
        QCOMPARE(entry->path, QStringLiteral("Model/weights/mamba_sh"));
        const QString target = root + QStringLiteral("/Model/weights/mamba_sh");
        QVERIFY(QFileInfo(target).isDir());
        QCOMPARE(entry->files.size(), std::size_t(set->shardPaths.size() + 1));
        QStringList expectedNames{QFileInfo(set->indexPath).fileName()};
        for (const QString &s : set->shardPaths)
            expectedNames << QFileInfo(s).fileName();
        expectedNames.sort();
        QStringList names;
        quint64 total = 0;
        for (const WeightFile &f : entry->files) {
            const QString abs = root + QLatin1Char('/') + f.path;
            QVERIFY2(f.path.startsWith(QStringLiteral("Model/weights/mamba_sh/")), qPrintable(f.path));
            QCOMPARE(f.sha256, test::sha256Of(abs));
            QCOMPARE(f.size, quint64(QFileInfo(abs).size()));
            QCOMPARE(f.sha256, test::sha256Of(folder + QLatin1Char('/') + QFileInfo(abs).fileName())); // byte-identical copy
            names << QFileInfo(abs).fileName();
            total += f.size;
        }
        names.sort();
        QCOMPARE(names, expectedNames);
        QCOMPARE(entry->size, total);
        QCOMPARE(entry->sha256, manifestDigestOf(entry->files));
        QCOMPARE(entry->metadata.size(), std::size_t(1));

        const WeightEntry stored = *loadRegistry(m).find(QStringLiteral("mamba_sh"));
        QCOMPARE(stored.files.size(), entry->files.size());
        QCOMPARE(stored.sha256, entry->sha256);
        auto model = m.loadWeights(QStringLiteral("mamba"), QStringLiteral("sh"));
        QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));
        QVERIFY(model->isSharded());
        QCOMPARE(model->tensors().size(), sample->tensors.size());
        auto valid = m.validateWeights(QStringLiteral("mamba"), QStringLiteral("sh"), true);
        QVERIFY2(valid.ok() && valid->passed, qPrintable(valid.ok() ? valid->issues.join(QLatin1Char('\n')) : valid.errorString()));
        auto verified = m.verify(QStringLiteral("mamba_sh"));
        QVERIFY(verified.ok());
        QCOMPARE(verified->size(), std::size_t(1));
        QCOMPARE(verified->front().status, ChecksumStatus::Ok);
    }

    void importErrors()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const QString source = writeSample(scratch() + QStringLiteral("/w.safetensors"), QStringLiteral("mamba"), 61);
        ImportRequest request;
        request.source = source;
        request.version = QStringLiteral("sample");
        auto taken = m.importWeight(request);
        QCOMPARE(test::errorOf(taken), root + QStringLiteral("/Model/weight_config.json: 'mamba_sample' is already registered"));
        QCOMPARE(taken.error().remedy, Remedy::ChooseAnotherVersion);
        request.source = scratch() + QStringLiteral("/absent.safetensors");
        auto absent = m.importWeight(request);
        QVERIFY(!absent.ok());
        QVERIFY2(absent.errorString().startsWith(request.source + QStringLiteral(": ")), qPrintable(absent.errorString()));
        request.source = source;
        request.modelType = QStringLiteral("gpt");
        request.version = QStringLiteral("v1");
        auto unknownType = m.importWeight(request);
        QVERIFY2(unknownType.errorString().startsWith(QStringLiteral("unknown model type 'gpt'")), qPrintable(test::errorOf(unknownType)));
    }

    // ---------------- validation and verification

    void validateDeepFindsChanges_data()
    {
        QTest::addColumn<QString>("change");
        QTest::newRow("flipped byte") << QStringLiteral("flip");
        QTest::newRow("NaN") << QStringLiteral("nan");
        QTest::newRow("+Inf and -Inf") << QStringLiteral("inf");
    }
    void validateDeepFindsChanges()
    {
        QFETCH(QString, change);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const QString path = root + QStringLiteral("/Model/weights/mamba_sample.safetensors");
        const QString registered = loadRegistry(m).find(QStringLiteral("mamba_sample"))->sha256;
        QStringList extra;
        if (change == QLatin1String("flip")) {
            flipLowBit(path, tensorOffset(path, "backbone.layers.1.mixer.in_proj.weight") + 40); // a mantissa bit: still finite
        } else if (change == QLatin1String("nan")) {
            overwrite(path, tensorOffset(path, "backbone.norm_f.weight") + 4, floatBytes(std::numeric_limits<float>::quiet_NaN()));
            extra << path + QStringLiteral(": tensor 'backbone.norm_f.weight' holds 1 NaN, 0 +Inf, 0 -Inf");
        } else {
            const qint64 at = tensorOffset(path, "backbone.layers.2.mixer.D");
            overwrite(path, at, floatBytes(std::numeric_limits<float>::infinity()));
            overwrite(path, at + 8, floatBytes(-std::numeric_limits<float>::infinity()));
            extra << path + QStringLiteral(": tensor 'backbone.layers.2.mixer.D' holds 0 NaN, 1 +Inf, 1 -Inf");
        }
        // A quick validation only checks the structure: it passes.
        auto quick = m.validateWeights(QStringLiteral("mamba"), QStringLiteral("sample"), false);
        QVERIFY2(quick.ok() && quick->passed, qPrintable(quick.ok() ? quick->issues.join(QLatin1Char('\n')) : quick.errorString()));

        auto deep = m.validateWeights(QStringLiteral("mamba"), QStringLiteral("sample"), true);
        QVERIFY2(deep.ok(), qPrintable(test::errorOf(deep)));
        QVERIFY(!deep->passed);
        QVERIFY(deep->deep);
        const QStringList expected = QStringList{path + QStringLiteral(": checksum %1 differs from the registered %2 (the file changed after it was registered)")
                                                                .arg(test::sha256Of(path), registered)}
                + extra;
        QCOMPARE(deep->issues, expected);
        // The outcome is recorded in the registry.
        const RegistryData recorded = loadRegistry(m);
        const WeightEntry *w = recorded.find(QStringLiteral("mamba_sample"));
        QCOMPARE(w->validation.status, ValidationStatus::Failed);
        QVERIFY(w->validation.deep);
        QCOMPARE(w->validation.issues, expected);
        QVERIFY(w->validation.checkedAt.isValid());
    }

    void verifyReportsOkChangedMissing()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const QString changed = root + QStringLiteral("/Model/weights/ocr_native_sample.safetensors");
        const QString missing = root + QStringLiteral("/Model/weights/mamba_multimodal_sample.safetensors");
        const QString registered = loadRegistry(m).find(QStringLiteral("ocr_native_sample"))->sha256;
        flipLowBit(changed, QFileInfo(changed).size() - 3);
        QVERIFY(QFile::remove(missing));

        auto all = m.verify({});
        QVERIFY2(all.ok(), qPrintable(test::errorOf(all)));
        QCOMPARE(all->size(), std::size_t(3));
        std::map<QString, VerifyResult> byName;
        for (const auto &r : *all)
            byName[r.weight] = r;
        QCOMPARE(byName.at(QStringLiteral("mamba_sample")).status, ChecksumStatus::Ok);
        QCOMPARE(byName.at(QStringLiteral("mamba_sample")).message, QString());
        QCOMPARE(byName.at(QStringLiteral("ocr_native_sample")).status, ChecksumStatus::Changed);
        QCOMPARE(byName.at(QStringLiteral("ocr_native_sample")).message,
                 changed + QStringLiteral(": checksum %1, registered %2").arg(test::sha256Of(changed), registered));
        QCOMPARE(byName.at(QStringLiteral("mamba_multimodal_sample")).status, ChecksumStatus::Missing);
        QCOMPARE(byName.at(QStringLiteral("mamba_multimodal_sample")).message, missing + QStringLiteral(": the weight's file is missing"));

        auto byType = m.verify(QStringLiteral("mamba"));
        QVERIFY(byType.ok());
        QCOMPARE(byType->size(), std::size_t(1));
        QCOMPARE(byType->front().weight, QStringLiteral("mamba_sample"));
        auto one = m.verify(QStringLiteral("ocr_native_sample"));
        QVERIFY(one.ok());
        QCOMPARE(one->size(), std::size_t(1));
        QCOMPARE(one->front().status, ChecksumStatus::Changed);
        QCOMPARE(test::errorOf(m.verify(QStringLiteral("gpt"))), QStringLiteral("no registered weight or model type is called 'gpt'"));
    }

    // ---------------- doctor

    void doctorFindsProblemsAndCleansLeftovers()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        auto healthy = m.doctor(false);
        QVERIFY2(healthy.ok(), qPrintable(test::errorOf(healthy)));
        QCOMPARE(healthy->problems, QStringList());
        QCOMPARE(healthy->fixed, QStringList());

        const QString weights = root + QStringLiteral("/Model/weights/");
        QVERIFY(QFile::copy(weights + QStringLiteral("mamba_sample.safetensors"), weights + QStringLiteral("mamba_extra.safetensors")));
        QVERIFY(QFile::remove(weights + QStringLiteral("ocr_native_sample.safetensors")));
        const qint64 dead = deadPid();
        const qint64 alive = QCoreApplication::applicationPid();
        const QString deadFile = weights + QStringLiteral(".mamba_x.safetensors.partial-%1-0").arg(dead);
        const QString deadFolder = weights + QStringLiteral(".mamba_y.partial-%1-1").arg(dead);
        const QString deadBackup = root + QStringLiteral("/Model/backups/.mamba_x-20260101-000000.zip.partial-%1-0").arg(dead);
        const QString liveFile = weights + QStringLiteral(".mamba_z.safetensors.partial-%1-0").arg(alive);
        test::writeBytes(deadFile, "half");
        QVERIFY(QDir().mkpath(deadFolder));
        test::writeBytes(deadFolder + QStringLiteral("/model-00001-of-00002.safetensors"), "half");
        test::writeBytes(deadBackup, "half");
        test::writeBytes(liveFile, "busy");
        // An in-place or --move import renames the user's file, which keeps its old mtime, to a
        // partial name: its owner is still at work (the rename set the file's ctime).
        const QString oldFile = root + QStringLiteral("/trained-last-week.safetensors");
        const QString liveRenamed = weights + QStringLiteral(".mamba_r.safetensors.partial-%1-1").arg(alive);
        test::writeBytes(oldFile, "a user's weight");
        {
            QFile f(oldFile);
            QVERIFY(f.open(QIODevice::ReadWrite));
            QVERIFY(f.setFileTime(QDateTime::currentDateTimeUtc().addDays(-7), QFileDevice::FileModificationTime));
        }
        QVERIFY(QFile::rename(oldFile, liveRenamed));
        // A registry write killed between QSaveFile's link of its temporary file and the rename
        // leaves "weight_config.json.XXXXXX": removed under the registry lock. Names that only
        // look alike, and links, are left.
        const QString model = root + QStringLiteral("/Model/");
        const QString registryLeftover = model + QStringLiteral("weight_config.json.Ab3xYz");
        test::writeBytes(registryLeftover, "{}");
        test::writeBytes(model + QStringLiteral("weight_config.json.backup"), "kept");
        test::writeBytes(model + QStringLiteral("weight_config.json.A-3xYz"), "kept");
        QVERIFY(QFile::link(deadFile, model + QStringLiteral("weight_config.json.Linked")));

        auto report = m.doctor(false);
        QVERIFY2(report.ok(), qPrintable(test::errorOf(report)));
        const QStringList fixed{registryLeftover + QStringLiteral(": removed the leftover of an interrupted registry write"),
                                deadBackup + QStringLiteral(": removed the leftover of an interrupted operation"),
                                deadFile + QStringLiteral(": removed the leftover of an interrupted operation"),
                                deadFolder + QStringLiteral(": removed the leftover of an interrupted operation")};
        QStringList gotFixed = report->fixed;
        gotFixed.sort();
        QStringList wantFixed = fixed;
        wantFixed.sort();
        QCOMPARE(gotFixed.join(QLatin1Char('\n')), wantFixed.join(QLatin1Char('\n')));
        QStringList problems = report->problems;
        problems.sort();
        QStringList want{liveFile + QStringLiteral(": work in progress by pid %1; left alone").arg(alive),
                         liveRenamed + QStringLiteral(": work in progress by pid %1; left alone").arg(alive),
                         weights + QStringLiteral("ocr_native_sample.safetensors: registered as 'ocr_native_sample' but missing"),
                         weights + QStringLiteral("mamba_extra.safetensors: not in the registry: import it to keep it, or delete it if an interrupted 'remove' or 'cleanup' left it")};
        want.sort();
        QCOMPARE(problems, want);
        QVERIFY(!QFileInfo::exists(deadFile));
        QVERIFY(!QFileInfo::exists(deadFolder));
        QVERIFY(!QFileInfo::exists(deadBackup));
        QCOMPARE(test::readFile(liveFile), QByteArray("busy"));
        QCOMPARE(test::readFile(liveRenamed), QByteArray("a user's weight"));
        QVERIFY(QFileInfo::exists(weights + QStringLiteral("mamba_extra.safetensors"))); // reported, never deleted
        QVERIFY(!QFileInfo::exists(registryLeftover));
        QCOMPARE(test::readFile(model + QStringLiteral("weight_config.json.backup")), QByteArray("kept"));
        QCOMPARE(test::readFile(model + QStringLiteral("weight_config.json.A-3xYz")), QByteArray("kept"));
        QVERIFY(QFileInfo(model + QStringLiteral("weight_config.json.Linked")).isSymLink());
    }

    // The doctor's test for a leftover's owner. The files of a reused pid cannot be made in a
    // test (no file can be older than the process that writes it), so the decision is checked
    // on times: this process, started seconds ago, cannot have written a file last changed two
    // days ago, and can have written one changed now.
    void partialOwnerIsTheWriter()
    {
        const qint64 self = QCoreApplication::applicationPid();
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const QDateTime started = processStartTime(self);
        QVERIFY(started.isValid());
        QVERIFY2(started <= now.addSecs(1) && started > now.addSecs(-600), qPrintable(started.toString(Qt::ISODate)));
        QVERIFY(partialOwnerAlive(self, now));
        QVERIFY(partialOwnerAlive(self, started.addSecs(-300))); // within the margin for clock steps
        QVERIFY(!partialOwnerAlive(self, now.addDays(-2)));
        QVERIFY(!partialOwnerAlive(deadPid(), now));
        QVERIFY(!partialOwnerAlive(0, now));
        QVERIFY(!processStartTime(deadPid()).isValid());
    }

    void doctorRebuildsABrokenRegistry()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const QString weights = root + QStringLiteral("/Model/weights/");
        ImportRequest request;
        request.source = writeSample(scratch() + QStringLiteral("/v1.safetensors"), QStringLiteral("mamba"), 71);
        request.version = QStringLiteral("v1");
        request.activate = true;
        QVERIFY(m.importWeight(request));
        QVERIFY(QFile::copy(weights + QStringLiteral("ocr_native_sample.safetensors"), weights + QStringLiteral("ocr_native_extra.safetensors")));
        // A file that changed since registration: the rebuild must record its current checksum.
        flipLowBit(weights + QStringLiteral("mamba_sample.safetensors"), QFileInfo(weights + QStringLiteral("mamba_sample.safetensors")).size() - 5);

        const QString registryPath = m.registry().path();
        const QByteArray text = test::readFile(registryPath);
        const qsizetype cut = text.indexOf("\"weights\"") + 200;
        QVERIFY(text.indexOf("\"active_weights\"") < cut && text.indexOf("\"mamba_v1\"") < cut);
        const QByteArray broken = text.left(cut);
        test::writeBytes(registryPath, broken);

        // Without --rebuild, the doctor only reports and touches nothing.
        auto report = m.doctor(false);
        QVERIFY2(report.ok(), qPrintable(test::errorOf(report)));
        QCOMPARE(report->problems.size(), 1);
        QVERIFY2(report->problems.first().startsWith(registryPath + QStringLiteral(": not valid JSON at line ")), qPrintable(report->problems.first()));
        QCOMPARE(test::readFile(registryPath), broken);

        auto rebuilt = m.doctor(true);
        QVERIFY2(rebuilt.ok(), qPrintable(test::errorOf(rebuilt)));
        QCOMPARE(rebuilt->fixed.size(), 2);
        QVERIFY2(rebuilt->fixed[0].startsWith(QStringLiteral("kept the broken registry as ") + registryPath + QStringLiteral(".broken-")),
                 qPrintable(rebuilt->fixed[0]));
        const QString aside = rebuilt->fixed[0].mid(QStringLiteral("kept the broken registry as ").size());
        QCOMPARE(test::readFile(aside), broken);
        QCOMPARE(rebuilt->fixed[1], QStringLiteral("rebuilt the registry from 5 weights on disk"));
        QCOMPARE(rebuilt->problems, QStringList());

        const RegistryData data = loadRegistry(m);
        QCOMPARE(data.weights.size(), std::size_t(5));
        const std::map<QString, QString> types{{QStringLiteral("mamba_sample"), QStringLiteral("mamba")},
                                               {QStringLiteral("mamba_v1"), QStringLiteral("mamba")},
                                               {QStringLiteral("mamba_multimodal_sample"), QStringLiteral("mamba_multimodal")},
                                               {QStringLiteral("ocr_native_sample"), QStringLiteral("ocr_native")},
                                               {QStringLiteral("ocr_native_extra"), QStringLiteral("ocr_native")}};
        for (const auto &[name, type] : types) {
            const WeightEntry *w = data.find(name);
            QVERIFY2(w, qPrintable(name));
            QCOMPARE(w->modelType, type);
            QCOMPARE(w->path, QStringLiteral("Model/weights/") + name + QStringLiteral(".safetensors"));
            QCOMPARE(w->sha256, test::sha256Of(root + QLatin1Char('/') + w->path));
            QCOMPARE(w->size, quint64(QFileInfo(root + QLatin1Char('/') + w->path).size()));
            QCOMPARE(w->source, QStringLiteral("recovered by doctor --rebuild"));
        }
        // The active weights were read from the broken text: mamba_v1, not the sample.
        QCOMPARE(data.activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_v1"));
        QCOMPARE(data.activeOf(QStringLiteral("ocr_native")), QStringLiteral("ocr_native_sample"));
        QCOMPARE(data.activeOf(QStringLiteral("mamba_multimodal")), QStringLiteral("mamba_multimodal_sample"));

        auto after = m.doctor(false);
        QVERIFY(after.ok());
        QCOMPARE(after->problems, QStringList());
        auto verified = m.verify({});
        QVERIFY(verified.ok());
        for (const auto &r : *verified)
            QVERIFY2(r.status == ChecksumStatus::Ok, qPrintable(r.weight + QLatin1Char(' ') + QString::number(int(r.status))));
    }

    // A rebuild of a mistyped registry keeps other tools' top-level fields, and registers no
    // file whose name would not read back as a valid name.
    void doctorRebuildOfAMistypedRegistry()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const QString odd = root + QStringLiteral("/Model/weights/my weight.safetensors");
        QVERIFY(QFile::copy(root + QStringLiteral("/Model/weights/mamba_sample.safetensors"), odd));
        QJsonObject json = QJsonDocument::fromJson(test::readFile(m.registry().path())).object();
        json[QStringLiteral("team")] = QStringLiteral("ml-infra");
        json[QStringLiteral("weights")] = QJsonArray{1, 2, 3};
        test::writeBytes(m.registry().path(), QJsonDocument(json).toJson());
        auto report = m.doctor(false);
        QVERIFY(report.ok());
        QCOMPARE(report->problems, QStringList{m.registry().path() + QStringLiteral(": weights: expected an object, found [1,2,3]")});

        auto rebuilt = m.doctor(true);
        QVERIFY2(rebuilt.ok(), qPrintable(test::errorOf(rebuilt)));
        QCOMPARE(rebuilt->problems, QStringList{odd + QStringLiteral(": the model type 'my weight' may only hold letters, digits and _ - . + (not registered)")});
        const RegistryData data = loadRegistry(m);
        QCOMPARE(data.weights.size(), std::size_t(3));
        QCOMPARE(data.json.value(QStringLiteral("team")).toString(), QStringLiteral("ml-infra"));
        QVERIFY(QFileInfo::exists(odd));
    }

    // ---------------- names and paths that must be refused

    void hostileNames_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("version");
        QTest::addColumn<QString>("message");
        const QString m = QStringLiteral("mamba");
        QTest::newRow("slash") << m << QStringLiteral("a/b") << QStringLiteral("the version 'a/b' contains a path separator");
        QTest::newRow("dotdot slash") << m << QStringLiteral("../../x") << QStringLiteral("the version '../../x' contains a path separator");
        QTest::newRow("backslash") << m << QStringLiteral("..\\x") << QStringLiteral("the version '..\\x' contains a path separator");
        QTest::newRow("dotdot") << m << QStringLiteral("..") << QStringLiteral("the version '..' contains '..'");
        QTest::newRow("inner dotdot") << m << QStringLiteral("v..1") << QStringLiteral("the version 'v..1' contains '..'");
        QTest::newRow("hidden") << m << QStringLiteral(".v1") << QStringLiteral("the version '.v1' starts with '.'");
        QTest::newRow("newline") << m << QStringLiteral("v1\nrm") << QStringLiteral("the version contains a control character");
        QTest::newRow("tab") << m << QStringLiteral("v\t1") << QStringLiteral("the version contains a control character");
        QTest::newRow("nul") << m << QString(QStringLiteral("v1") + QChar(0)) << QStringLiteral("the version contains a control character");
        QTest::newRow("delete") << m << QString(QStringLiteral("v1") + QChar(0x7f)) << QStringLiteral("the version contains a control character");
        QTest::newRow("space") << m << QStringLiteral("v 1") << QStringLiteral("the version 'v 1' may only hold letters, digits and _ - . +");
        QTest::newRow("colon") << m << QStringLiteral("c:x") << QStringLiteral("the version 'c:x' may only hold letters, digits and _ - . +");
        QTest::newRow("empty type") << QString() << QStringLiteral("v1") << QStringLiteral("the model type is empty");
        QTest::newRow("type slash") << QStringLiteral("../mamba") << QStringLiteral("v1") << QStringLiteral("the model type '../mamba' contains a path separator");
        QTest::newRow("type dotdot") << QStringLiteral("mamba..") << QStringLiteral("v1") << QStringLiteral("the model type 'mamba..' contains '..'");
        QTest::newRow("too long") << m << QString(101, QLatin1Char('v'))
                                  << QStringLiteral("the version '%1…' is longer than 100 characters").arg(QString(40, QLatin1Char('v')));
    }
    void hostileNames()
    {
        QFETCH(QString, type);
        QFETCH(QString, version);
        QFETCH(QString, message);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const auto before = test::treeSnapshot(QFileInfo(root).absolutePath());
        const SmallTensors small;
        QCOMPARE(test::errorOf(m.saveWeights(small.tensors(), type, version, true)), message);
        if (!type.isEmpty()) { // for import, no type means "guess it"
            ImportRequest request;
            request.source = root + QStringLiteral("/Model/weights/mamba_sample.safetensors");
            request.modelType = type;
            request.version = version;
            request.activate = true;
            QCOMPARE(test::errorOf(m.importWeight(request)), message);
        }
        const auto after = test::treeSnapshot(QFileInfo(root).absolutePath());
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
    }

    void pathsLeavingTheWorkspace_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("symlink to a file outside") << QStringLiteral("symlink");
        QTest::newRow("symlinked shard folder") << QStringLiteral("folder symlink");
        QTest::newRow("shard that is a symlink to a file outside") << QStringLiteral("shard symlink");
        QTest::newRow("relative path with ..") << QStringLiteral("dotdot");
        QTest::newRow("absolute path") << QStringLiteral("absolute");
    }
    void pathsLeavingTheWorkspace()
    {
        QFETCH(QString, kind);
        const QString root = freshWorkspace();
        const QString outsideDir = scratch();
        const QString outside = writeSample(outsideDir + QStringLiteral("/secret.safetensors"), QStringLiteral("mamba"), 81);
        WeightManager m{Workspace(root)};
        WeightEntry entry;
        entry.name = QStringLiteral("mamba_evil");
        entry.modelType = QStringLiteral("mamba");
        entry.version = QStringLiteral("evil");
        entry.size = quint64(QFileInfo(outside).size());
        entry.sha256 = test::sha256Of(outside);
        entry.created = QDateTime::currentDateTimeUtc();
        entry.source = QStringLiteral("hand-edited");
        QString shownPath; // as the message names it
        QString why = QStringLiteral("; refusing to use it");
        if (kind == QLatin1String("symlink")) {
            shownPath = root + QStringLiteral("/Model/weights/mamba_evil.safetensors");
            QVERIFY(QFile::link(outside, shownPath));
            entry.path = QStringLiteral("Model/weights/mamba_evil.safetensors");
            why = QStringLiteral(" (through a symbolic link); refusing to use it");
        } else if (kind == QLatin1String("folder symlink")) {
            auto sample = generateSampleWeights(shippedConfig(QStringLiteral("mamba")), 82);
            QVERIFY(sample.ok());
            QVERIFY(writeShardSet(outsideDir, QStringLiteral("model"), sample->tensors, 1 << 20).ok());
            shownPath = root + QStringLiteral("/Model/weights/mamba_evil");
            QVERIFY(QFile::link(outsideDir, shownPath));
            entry.path = QStringLiteral("Model/weights/mamba_evil");
            entry.sharded = true;
            why = QStringLiteral(" (through a symbolic link); refusing to use it");
        } else if (kind == QLatin1String("shard symlink")) {
            // The folder is real; one shard in it links outside (found by review: backup and
            // verify refused it, validate and loading read it).
            auto sample = generateSampleWeights(shippedConfig(QStringLiteral("mamba")), 84);
            QVERIFY(sample.ok());
            auto set = writeShardSet(outsideDir, QStringLiteral("model"), sample->tensors, 1 << 20);
            QVERIFY(set.ok());
            const QString folder = root + QStringLiteral("/Model/weights/mamba_evil");
            QVERIFY(QDir().mkpath(folder));
            QStringList all = set->shardPaths;
            all << set->indexPath;
            for (const QString &file : all) {
                const QString name = QFileInfo(file).fileName();
                if (file == set->shardPaths.first())
                    QVERIFY(QFile::link(file, folder + QLatin1Char('/') + name));
                else
                    QVERIFY(QFile::copy(file, folder + QLatin1Char('/') + name));
                entry.files.push_back(WeightFile{QStringLiteral("Model/weights/mamba_evil/") + name, quint64(QFileInfo(file).size()), test::sha256Of(file)});
            }
            shownPath = folder + QLatin1Char('/') + QFileInfo(set->shardPaths.first()).fileName();
            entry.path = QStringLiteral("Model/weights/mamba_evil");
            entry.sharded = true;
            why = QStringLiteral(" (through a symbolic link); refusing to use it");
        } else if (kind == QLatin1String("dotdot")) {
            entry.path = QDir(root).relativeFilePath(outside);
            QVERIFY(entry.path.startsWith(QStringLiteral("../")));
            shownPath = outside;
        } else {
            entry.path = outside;
            shownPath = outside;
        }
        QVERIFY(m.registry().update([&](RegistryData &d) -> Status {
            d.weights[entry.name] = entry;
            return {};
        }));
        const QByteArray registry = test::readFile(m.registry().path());
        const QString expected = shownPath + QStringLiteral(": leads outside the workspace ") + root + why;

        QCOMPARE(test::errorOf(m.loadWeights(QStringLiteral("mamba"), QStringLiteral("evil"))), expected);
        QCOMPARE(test::errorOf(m.getWeightPath(QStringLiteral("mamba"), QStringLiteral("evil"))), expected);
        QCOMPARE(test::errorOf(m.setActiveWeight(QStringLiteral("mamba_evil"))), expected);
        QCOMPARE(test::readFile(m.registry().path()), registry);
        auto backup = m.backupWeight(QStringLiteral("mamba_evil"));
        QCOMPARE(test::errorOf(backup), expected);
        QCOMPARE(QDir(root + QStringLiteral("/Model/backups")).entryList(QDir::Files | QDir::Hidden).size(), 0);
        auto valid = m.validateWeights(QStringLiteral("mamba"), QStringLiteral("evil"), true);
        QVERIFY(valid.ok());
        QVERIFY(!valid->passed);
        QCOMPARE(valid->issues, QStringList{expected});
        auto doctor = m.doctor(false);
        QVERIFY(doctor.ok());
        QVERIFY2(doctor->problems.contains(expected), qPrintable(doctor->problems.join(QLatin1Char('\n'))));
        // The outside file is intact.
        QCOMPARE(test::sha256Of(outside), entry.sha256);
    }

    // QDir::filePath returns a name starting with ':' unchanged (a Qt resource path), so shard
    // files named ":model-…" were copied, hashed, archived and restored relative to the
    // current folder instead of inside the workspace.
    void namesStartingWithAColonStayInTheWorkspace()
    {
        const QString root = freshWorkspace();
        const QString cwd = scratch();
        const QString previous = QDir::currentPath();
        QVERIFY(QDir::setCurrent(cwd));
        struct Restore
        {
            QString path;
            ~Restore() { QDir::setCurrent(path); }
        } restore{previous};
        const auto cwdIsEmpty = [&] {
            return QDir(cwd).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot).join(QLatin1Char(' '));
        };

        auto sample = generateSampleWeights(shippedConfig(QStringLiteral("mamba")), 85);
        QVERIFY(sample.ok());
        const QString source = scratch() + QStringLiteral("/set");
        QVERIFY(QDir().mkpath(source));
        auto set = writeShardSet(source, QStringLiteral(":model"), sample->tensors, 1 << 20);
        QVERIFY2(set.ok(), qPrintable(test::errorOf(set)));
        QVERIFY(QFileInfo(set->indexPath).isFile());
        QCOMPARE(cwdIsEmpty(), QString());

        WeightManager m{Workspace(root)};
        ImportRequest request;
        request.source = source;
        request.modelType = QStringLiteral("mamba");
        request.version = QStringLiteral("colon");
        auto imported = m.importWeight(request);
        QVERIFY2(imported.ok(), qPrintable(test::errorOf(imported)));
        QCOMPARE(cwdIsEmpty(), QString());
        QCOMPARE(imported->files.size(), std::size_t(set->shardPaths.size() + 1));
        for (const WeightFile &f : imported->files) {
            QVERIFY2(f.path.startsWith(QStringLiteral("Model/weights/mamba_colon/:model")), qPrintable(f.path));
            QCOMPARE(test::sha256Of(root + QLatin1Char('/') + f.path), f.sha256);
        }

        auto deep = m.validateWeights(QStringLiteral("mamba"), QStringLiteral("colon"), true);
        QVERIFY2(deep.ok(), qPrintable(test::errorOf(deep)));
        QVERIFY2(deep->passed, qPrintable(deep->issues.join(QLatin1Char('\n'))));

        auto model = m.loadWeights(QStringLiteral("mamba"), QStringLiteral("colon"));
        QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));

        // A ':' is an ordinary character of a shard's name: the backup used to be refused as
        // "unsafe (absolute, or with '..')" when it read its own archive back. It is written,
        // restored under another version, and the shards come back byte for byte, in the
        // workspace and not relative to the current folder.
        auto archive = m.backupWeight(QStringLiteral("mamba_colon"));
        QVERIFY2(archive.ok(), qPrintable(test::errorOf(archive)));
        QCOMPARE(cwdIsEmpty(), QString());
        auto restored = m.restoreBackup(*archive, QStringLiteral("colon2"));
        QVERIFY2(restored.ok(), qPrintable(test::errorOf(restored)));
        QCOMPARE(cwdIsEmpty(), QString());
        QMap<QString, QString> before;
        QMap<QString, QString> after;
        for (const WeightFile &f : imported->files)
            before.insert(QFileInfo(f.path).fileName(), f.sha256);
        for (const WeightFile &f : restored->files) {
            QVERIFY2(f.path.startsWith(QStringLiteral("Model/weights/mamba_colon2/:model")), qPrintable(f.path));
            after.insert(QFileInfo(f.path).fileName(), test::sha256Of(root + QLatin1Char('/') + f.path));
        }
        QCOMPARE(after, before);
        QCOMPARE(restored->sha256, imported->sha256);
    }

    // A 'remove' or 'cleanup' killed after the registry dropped the entry, before the file was
    // deleted: the registry records the pending removal, and the doctor finishes it. The
    // record is read from a file other tools write, so it deletes nothing but the unregistered
    // weight it names, unchanged, directly in Model/weights.
    void pendingRemovalFinishedByTheDoctor_data()
    {
        QTest::addColumn<QString>("recordPath");  // the record's path; {v1} is the removed weight's
        QTest::addColumn<QString>("state");       // "file", "gone" (file deleted), "registered" (imported again), "changed"
        QTest::addColumn<bool>("deleted");        // the file at recordPath is deleted
        QTest::addColumn<bool>("recordKept");     // the record survives the doctor
        QTest::addColumn<QString>("problem");     // a doctor problem containing this, or empty for none

        const QString v1 = QStringLiteral("Model/weights/mamba_v1.safetensors");
        QTest::newRow("killed between the registry and the delete") << v1 << QStringLiteral("file") << true << false << QString();
        QTest::newRow("killed after the delete") << v1 << QStringLiteral("gone") << false << false << QString();
        QTest::newRow("imported again under the name since") << v1 << QStringLiteral("registered") << false << false << QString();
        QTest::newRow("the file changed since") << v1 << QStringLiteral("changed") << false << true
                                                << QStringLiteral("mamba_v1.safetensors: an interrupted removal of 'mamba_v1' left a file of this name, but it changed since");
        QTest::newRow("hostile: a config") << QStringLiteral("Config/mamba.yaml") << QStringLiteral("file") << false << true
                                           << QStringLiteral(": pending_removals names 'Config/mamba.yaml': ");
        QTest::newRow("hostile: the registry") << QStringLiteral("Model/weight_config.json") << QStringLiteral("file") << false << true
                                               << QStringLiteral(": pending_removals names 'Model/weight_config.json': ");
        QTest::newRow("hostile: outside the workspace") << QStringLiteral("../outside.safetensors") << QStringLiteral("file") << false << true
                                                        << QStringLiteral(": pending_removals names '../outside.safetensors': ");
        QTest::newRow("hostile: the active weight") << QStringLiteral("Model/weights/mamba_sample.safetensors") << QStringLiteral("file") << false
                                                    << false << QString();
    }
    void pendingRemovalFinishedByTheDoctor()
    {
        QFETCH(QString, recordPath);
        QFETCH(QString, state);
        QFETCH(bool, deleted);
        QFETCH(bool, recordKept);
        QFETCH(QString, problem);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const QString outside = QFileInfo(root).absolutePath() + QStringLiteral("/outside.safetensors");
        writeSample(outside, QStringLiteral("mamba"), 5);
        ImportRequest request;
        request.source = writeSample(scratch() + QStringLiteral("/v1.safetensors"), QStringLiteral("mamba"), 41);
        request.modelType = QStringLiteral("mamba");
        request.version = QStringLiteral("v1");
        QVERIFY(m.importWeight(request).ok());

        // The registry as a killed removal of mamba_v1 leaves it, written as another tool would;
        // a hostile record names another file, and mamba_v1 stays registered.
        const QString v1Path = QStringLiteral("Model/weights/mamba_v1.safetensors");
        const QString file = QDir::cleanPath(root + QLatin1Char('/') + recordPath);
        QFile registry(root + QStringLiteral("/Model/weight_config.json"));
        QVERIFY(registry.open(QIODevice::ReadOnly));
        QJsonObject json = QJsonDocument::fromJson(registry.readAll()).object();
        registry.close();
        if (recordPath == v1Path && state != QLatin1String("registered")) {
            QJsonObject weights = json.value(QStringLiteral("weights")).toObject();
            weights.remove(QStringLiteral("mamba_v1"));
            json[QStringLiteral("weights")] = weights;
        }
        const QJsonObject record{{QStringLiteral("path"), recordPath},
                                 {QStringLiteral("weight"), QStringLiteral("mamba_v1")},
                                 {QStringLiteral("sharded"), false},
                                 {QStringLiteral("at"), isoUtc(QDateTime::currentDateTimeUtc())},
                                 {QStringLiteral("modified"), isoUtc(QFileInfo(file).lastModified().toUTC())},
                                 {QStringLiteral("by_another_tool"), 7}};
        json[QStringLiteral("pending_removals")] = QJsonArray{record};
        test::writeBytes(registry.fileName(), QJsonDocument(json).toJson());
        if (state == QLatin1String("gone"))
            QVERIFY(QFile::remove(file));
        if (state == QLatin1String("changed")) {
            QFile f(file);
            QVERIFY(f.open(QIODevice::ReadWrite));
            QVERIFY(f.setFileTime(QFileInfo(file).lastModified().addSecs(-60), QFileDevice::FileModificationTime));
        }
        const bool existed = QFileInfo::exists(file);
        const QString digest = existed ? test::sha256Of(file) : QString();

        auto report = m.doctor(false);
        QVERIFY2(report.ok(), qPrintable(test::errorOf(report)));
        QCOMPARE(QFileInfo::exists(file), existed && !deleted);
        if (existed && !deleted)
            QCOMPARE(test::sha256Of(file), digest);
        const QString finished = file + QStringLiteral(": deleted, finishing an interrupted removal of 'mamba_v1'");
        QCOMPARE(report->fixed.contains(finished), deleted);
        if (problem.isEmpty()) {
            QVERIFY2(report->problems.isEmpty(), qPrintable(report->problems.join(QLatin1Char('\n'))));
        } else {
            QCOMPARE(report->problems.size(), 1);
            QVERIFY2(report->problems.first().contains(problem), qPrintable(report->problems.first()));
        }
        auto data = m.snapshot();
        QVERIFY2(data.ok(), qPrintable(test::errorOf(data)));
        QCOMPARE(data->pendingRemovals.size(), std::size_t(recordKept ? 1 : 0));
        if (recordKept) // another tool's field in the record survives the rewrite
            QCOMPARE(data->pendingRemovals.front().json.value(QStringLiteral("by_another_tool")).toInt(), 7);
        QCOMPARE(data->activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_sample"));
        QVERIFY(QFileInfo::exists(root + QStringLiteral("/Model/weights/mamba_sample.safetensors")));
        QVERIFY(QFileInfo::exists(root + QStringLiteral("/Config/mamba.yaml")));
        QVERIFY(QFileInfo::exists(outside));

        // A rebuild never brings back a file the user removed.
        auto rebuilt = m.doctor(true);
        QVERIFY2(rebuilt.ok(), qPrintable(test::errorOf(rebuilt)));
        if (state == QLatin1String("changed")) {
            QVERIFY(!m.snapshot()->find(QStringLiteral("mamba_v1")));
            QCOMPARE(m.snapshot()->pendingRemovals.size(), std::size_t(1));
        }
    }

    // remove and cleanup clear their record once the file is gone: nothing is left for the doctor.
    void removalLeavesNoRecord()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        for (const QString &version : {QStringLiteral("v1"), QStringLiteral("v2"), QStringLiteral("v3")}) {
            ImportRequest request;
            request.source = writeSample(scratch() + QLatin1Char('/') + version + QStringLiteral(".safetensors"), QStringLiteral("mamba"), 50);
            request.modelType = QStringLiteral("mamba");
            request.version = version;
            QVERIFY(m.importWeight(request).ok());
        }
        QVERIFY(m.removeWeight(QStringLiteral("mamba_v1")).ok());
        QVERIFY(m.cleanupOldWeights(QStringLiteral("mamba"), 0, false).ok());
        QFile registry(root + QStringLiteral("/Model/weight_config.json"));
        QVERIFY(registry.open(QIODevice::ReadOnly));
        const QJsonObject json = QJsonDocument::fromJson(registry.readAll()).object();
        QVERIFY(!json.contains(QStringLiteral("pending_removals")));
        QCOMPARE(QDir(root + QStringLiteral("/Model/weights")).entryList({QStringLiteral("mamba_v*"), QStringLiteral(".*")}, QDir::Files | QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList());
        auto report = m.doctor(false);
        QVERIFY(report.ok());
        QCOMPARE(report->problems, QStringList());
        QCOMPARE(report->fixed, QStringList());
    }

    // A FIFO is refused as the file of the weight to activate, as it is everywhere else (it
    // was accepted because it exists); for a sharded weight each of its files is checked.
    void setActiveRefusesASpecialFile_data()
    {
        QTest::addColumn<bool>("sharded");
        QTest::newRow("the weight's file") << false;
        QTest::newRow("a shard of a sharded weight") << true;
    }
    void setActiveRefusesASpecialFile()
    {
        QFETCH(bool, sharded);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        QString fifo;
        QString name;
        if (sharded) {
            auto sample = generateSampleWeights(shippedConfig(QStringLiteral("mamba")), 86);
            QVERIFY(sample.ok());
            const QString source = scratch() + QStringLiteral("/set");
            QVERIFY(QDir().mkpath(source));
            auto set = writeShardSet(source, QStringLiteral("model"), sample->tensors, 1 << 20);
            QVERIFY(set.ok());
            ImportRequest request;
            request.source = source;
            request.modelType = QStringLiteral("mamba");
            request.version = QStringLiteral("sh");
            QVERIFY(m.importWeight(request).ok());
            name = QStringLiteral("mamba_sh");
            fifo = root + QStringLiteral("/Model/weights/mamba_sh/") + QFileInfo(set->shardPaths.last()).fileName();
        } else {
            name = QStringLiteral("mamba_sample"); // already active: refused all the same
            fifo = root + QStringLiteral("/Model/weights/mamba_sample.safetensors");
        }
        QVERIFY(QFile::remove(fifo));
        QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0644) == 0);
        const QByteArray registry = test::readFile(m.registry().path());
        QCOMPARE(test::errorOf(m.setActiveWeight(name)), fifo + QStringLiteral(": is a FIFO (named pipe), not a regular file"));
        QCOMPARE(test::readFile(m.registry().path()), registry);
    }

    // A rebuild registers what lies in Model/weights, but never a link that leads outside.
    void rebuildSkipsLinksLeavingTheWorkspace()
    {
        const QString root = freshWorkspace();
        const QString outside = writeSample(scratch() + QStringLiteral("/secret.safetensors"), QStringLiteral("mamba"), 83);
        const QString link = root + QStringLiteral("/Model/weights/mamba_evil.safetensors");
        QVERIFY(QFile::link(outside, link));
        WeightManager m{Workspace(root)};
        auto report = m.doctor(true);
        QVERIFY2(report.ok(), qPrintable(test::errorOf(report)));
        QVERIFY(!loadRegistry(m).find(QStringLiteral("mamba_evil")));
        QVERIFY2(report->problems.contains(link + QStringLiteral(": leads outside the workspace ") + root
                                           + QStringLiteral(" (through a symbolic link); refusing to use it (not registered)")),
                 qPrintable(report->problems.join(QLatin1Char('\n'))));
        QCOMPARE(loadRegistry(m).weights.size(), std::size_t(3));
    }

    // ---------------- the registry is shared with other tools (issue #9)

    // A second entry for the active weight's file, as another tool may write one: under its
    // own name, or under a key that is not its type and version.
    void sharedFileIsNeverDeleted_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("version");
        QTest::addColumn<QString>("path"); // "" for mamba_sample's own file
        QTest::newRow("alias") << QStringLiteral("mamba_alias") << QStringLiteral("alias") << QString();
        QTest::newRow("key not type_version") << QStringLiteral("mamba_old") << QStringLiteral("v9") << QString();
        QTest::newRow("spelled with ./") << QStringLiteral("mamba_dot") << QStringLiteral("dot")
                                         << QStringLiteral("Model/weights/./mamba_sample.safetensors");
    }
    void sharedFileIsNeverDeleted()
    {
        QFETCH(QString, key);
        QFETCH(QString, version);
        QFETCH(QString, path);
        const QString root = freshWorkspace();
        const QString file = root + QStringLiteral("/Model/weights/mamba_sample.safetensors");
        const QString sha = test::sha256Of(file);
        WeightManager m{Workspace(root)};
        const auto addAlias = [&] {
            QVERIFY(m.registry().update([&](RegistryData &d) -> Status {
                WeightEntry w = d.weights.at(QStringLiteral("mamba_sample"));
                w.name = key;
                w.version = version;
                if (!path.isEmpty())
                    w.path = path;
                w.created = w.created.addDays(-1);
                d.weights[key] = w;
                return {};
            }));
        };
        addAlias();
        auto doctor = m.doctor(false);
        QVERIFY(doctor.ok());
        QVERIFY2(doctor->problems.contains(file + QStringLiteral(": one file registered under 2 names ('%1', 'mamba_sample'); removing one keeps the file for the others").arg(key)),
                 qPrintable(doctor->problems.join(QLatin1Char('\n'))));

        auto removed = m.removeWeight(key);
        QVERIFY2(removed.ok(), qPrintable(test::errorOf(removed)));
        QCOMPARE(removed->fileKeptFor, QStringList{QStringLiteral("mamba_sample")});
        QCOMPARE(test::sha256Of(file), sha);
        QVERIFY(!loadRegistry(m).find(key));

        addAlias();
        auto plan = m.cleanupOldWeights(QStringLiteral("mamba"), 0, true);
        QVERIFY(plan.ok());
        QCOMPARE(plan->bytesFreed, quint64(0));
        QCOMPARE(plan->fileKeptFor.at(key), QStringList{QStringLiteral("mamba_sample")});
        auto done = m.cleanupOldWeights(QStringLiteral("mamba"), 0, false);
        QVERIFY2(done.ok(), qPrintable(test::errorOf(done)));
        QCOMPARE(done->remove.size(), std::size_t(1));
        QCOMPARE(done->bytesFreed, quint64(0));
        QCOMPARE(test::sha256Of(file), sha);
        QVERIFY(m.verify(QStringLiteral("mamba_sample")).ok());
        QCOMPARE(m.verify(QStringLiteral("mamba_sample"))->front().status, ChecksumStatus::Ok);
    }

    // active_weights is written by other tools too: a weight active for any type stays.
    void weightActiveForAnotherTypeStays()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const SmallTensors small;
        QVERIFY(m.saveWeights(small.tensors(), QStringLiteral("mamba"), QStringLiteral("v1"), false));
        QVERIFY(m.registry().update([](RegistryData &d) -> Status {
            d.active[QStringLiteral("ocr_native")] = QStringLiteral("mamba_v1");
            return {};
        }));
        const auto before = test::treeSnapshot(root);
        QCOMPARE(test::errorOf(m.removeWeight(QStringLiteral("mamba_v1"))),
                 root + QStringLiteral("/Model/weight_config.json: 'mamba_v1' is the active weight of 'ocr_native'; make another weight active first"));
        auto plan = m.cleanupOldWeights(QStringLiteral("mamba"), 0, false);
        QVERIFY(plan.ok());
        QVERIFY(plan->remove.empty());
        QVERIFY(plan->kept.contains(QStringLiteral("mamba_v1")));
        const auto after = test::treeSnapshot(root);
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
        auto doctor = m.doctor(false);
        QVERIFY(doctor->problems.contains(root + QStringLiteral("/Model/weight_config.json: the active weight of 'ocr_native' is 'mamba_v1', a weight of model type 'mamba'")));
    }

    void importOfARegisteredFile()
    {
        const QString root = freshWorkspace();
        const QString file = root + QStringLiteral("/Model/weights/mamba_sample.safetensors");
        WeightManager m{Workspace(root)};
        ImportRequest request;
        request.source = file;
        request.modelType = QStringLiteral("mamba");
        request.version = QStringLiteral("v2");
        request.move = true;
        const auto before = test::treeSnapshot(root);
        auto moved = m.importWeight(request);
        QCOMPARE(test::errorOf(moved), file + QStringLiteral(": already registered as 'mamba_sample'"));
        QCOMPARE(moved.error().remedy, Remedy::ImportAsCopy);
        const auto after = test::treeSnapshot(root);
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));

        request.move = false;
        auto copied = m.importWeight(request);
        QVERIFY2(copied.ok(), qPrintable(test::errorOf(copied)));
        QVERIFY(QFileInfo::exists(file));
        QCOMPARE(copied->path, QStringLiteral("Model/weights/mamba_v2.safetensors"));
        auto verified = m.verify({});
        QVERIFY(verified.ok());
        for (const auto &r : *verified)
            QVERIFY2(r.status == ChecksumStatus::Ok, qPrintable(r.weight + QLatin1Char(' ') + QString::number(int(r.status))));
    }

    // Fields of other tools survive what this program writes: activation, validation, and a
    // backup and restore (the manifest carries the entry).
    void unknownFieldsSurviveOperations()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const QString path = m.registry().path();
        QJsonObject rootJson = QJsonDocument::fromJson(test::readFile(path)).object();
        rootJson[QStringLiteral("team")] = QStringLiteral("ml-infra");
        QJsonObject weights = rootJson.value(QStringLiteral("weights")).toObject();
        QJsonObject sample = weights.value(QStringLiteral("mamba_sample")).toObject();
        sample[QStringLiteral("wandb_run")] = QStringLiteral("run-42");
        weights[QStringLiteral("mamba_sample")] = sample;
        rootJson[QStringLiteral("weights")] = weights;
        test::writeBytes(path, QJsonDocument(rootJson).toJson());

        const SmallTensors small;
        QVERIFY(m.saveWeights(small.tensors(), QStringLiteral("mamba"), QStringLiteral("v1"), true));
        QVERIFY(m.validateWeights(QStringLiteral("mamba"), QStringLiteral("sample"), false).ok());
        auto archive = m.backupWeight(QStringLiteral("mamba_sample"));
        QVERIFY2(archive.ok(), qPrintable(test::errorOf(archive)));
        QVERIFY(m.restoreBackup(*archive, QStringLiteral("restored")).ok());

        const QJsonObject after = QJsonDocument::fromJson(test::readFile(path)).object();
        QCOMPARE(after.value(QStringLiteral("team")).toString(), QStringLiteral("ml-infra"));
        const QJsonObject w = after.value(QStringLiteral("weights")).toObject();
        QCOMPARE(w.value(QStringLiteral("mamba_sample")).toObject().value(QStringLiteral("wandb_run")).toString(), QStringLiteral("run-42"));
        QCOMPARE(w.value(QStringLiteral("mamba_restored")).toObject().value(QStringLiteral("wandb_run")).toString(), QStringLiteral("run-42"));
        QCOMPARE(w.value(QStringLiteral("mamba_sample")).toObject().value(QStringLiteral("validation")).toObject().value(QStringLiteral("status")).toString(),
                 QStringLiteral("passed"));
    }

    // Nothing is written through a link in Model/ that leads outside the workspace.
    void noWritesThroughALinkedWeightsFolder()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        auto archive = m.backupWeight(QStringLiteral("mamba_sample"));
        QVERIFY(archive.ok());
        const QString outside = scratch();
        const QString weights = root + QStringLiteral("/Model/weights");
        QVERIFY(QDir(weights).removeRecursively());
        QVERIFY(QFile::link(outside, weights));
        const QString expected = weights + QStringLiteral("/mamba_v1.safetensors: leads outside the workspace ") + root + QStringLiteral("; refusing to use it");
        const SmallTensors small;
        QCOMPARE(test::errorOf(m.saveWeights(small.tensors(), QStringLiteral("mamba"), QStringLiteral("v1"), false)), expected);
        QCOMPARE(test::errorOf(m.restoreBackup(*archive, QStringLiteral("v1"))), expected);
        ImportRequest request;
        request.source = writeSample(scratch() + QStringLiteral("/in.safetensors"), QStringLiteral("mamba"), 91);
        request.modelType = QStringLiteral("mamba");
        request.version = QStringLiteral("v1");
        QCOMPARE(test::errorOf(m.importWeight(request)), expected);
        QCOMPARE(QDir(outside).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
    }

    // files[].path of a shard set is read from the registry too: verify refuses one outside.
    void verifyKeepsShardFilesInside()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        auto sample = generateSampleWeights(shippedConfig(QStringLiteral("mamba")), 92);
        QVERIFY(sample.ok());
        const QString source = scratch();
        QVERIFY(writeShardSet(source, QStringLiteral("model"), sample->tensors, 1 << 20).ok());
        ImportRequest request;
        request.source = source;
        request.modelType = QStringLiteral("mamba");
        request.version = QStringLiteral("sh");
        auto imported = m.importWeight(request);
        QVERIFY2(imported.ok(), qPrintable(test::errorOf(imported)));
        const QString outside = writeSample(scratch() + QStringLiteral("/secret.safetensors"), QStringLiteral("mamba"), 93);
        const QString relative = QDir(root).relativeFilePath(outside);
        QVERIFY(m.registry().update([&](RegistryData &d) -> Status {
            d.weights.at(QStringLiteral("mamba_sh")).files.front().path = relative;
            return {};
        }));
        auto verified = m.verify(QStringLiteral("mamba_sh"));
        QVERIFY(verified.ok());
        QCOMPARE(verified->front().status, ChecksumStatus::Error);
        QCOMPARE(verified->front().message, outside + QStringLiteral(": leads outside the workspace ") + root + QStringLiteral("; refusing to use it"));
    }

    // ---------------- ModelRuntime

    void runtimeBindsEveryExpectedTensor()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        auto runtime = ModelRuntime::create(m, QStringLiteral("mamba"));
        QVERIFY2(runtime.ok(), qPrintable(test::errorOf(runtime)));
        QCOMPARE(runtime->weight().name, QStringLiteral("mamba_sample"));
        const ShapeValidator validator(shippedConfig(QStringLiteral("mamba")));
        QCOMPARE(runtime->tensors().size(), validator.expectedTensors().size()); // lm_head included, tied
        const SafetensorsModel &model = runtime->model();
        for (const ExpectedTensor &e : validator.expectedTensors()) {
            const BoundTensor *t = runtime->tensor(e.name);
            QVERIFY2(t, qPrintable(e.name));
            QCOMPARE(t->name, e.name);
            QCOMPARE(t->info->shape, e.shape);
            const ModelTensor *inFile = model.find(t->fileName.toStdString());
            QVERIFY(inFile);
            QCOMPARE(t->data.data(), model.data(*inFile).data());
            QCOMPARE(t->data.size(), std::size_t(t->info->byteSize()));
        }
        // The tied lm_head is absent from the sample and served from the embedding.
        QVERIFY(!model.find("lm_head.weight"));
        const BoundTensor *head = runtime->tensor(QStringLiteral("lm_head.weight"));
        const BoundTensor *embedding = runtime->tensor(QStringLiteral("backbone.embedding.weight"));
        QVERIFY(head && embedding);
        QCOMPARE(head->fileName, QStringLiteral("backbone.embedding.weight"));
        QCOMPARE(head->data.data(), embedding->data.data());
        QCOMPARE(runtime->tensor(QStringLiteral("backbone.embeddings.weight")), embedding); // the alias
        QCOMPARE(runtime->tensor(QStringLiteral("no.such.tensor")), nullptr);
        QCOMPARE(runtime->dimension(QStringLiteral("d_model")), std::optional<qint64>(qint64(embedding->info->shape[1])));
    }

    void runtimeResolvesAliases()
    {
        const QString root = freshWorkspace();
        auto sample = generateSampleWeights(shippedConfig(QStringLiteral("mamba")), 91);
        QVERIFY(sample.ok());
        for (auto &t : sample->tensors) {
            if (t.name == "backbone.embedding.weight")
                t.name = "backbone.embeddings.weight"; // transformers' spelling
        }
        WeightManager m{Workspace(root)};
        QVERIFY(m.saveWeights(sample->tensors, QStringLiteral("mamba"), QStringLiteral("hf"), true));
        auto runtime = ModelRuntime::create(m, QStringLiteral("mamba"));
        QVERIFY2(runtime.ok(), qPrintable(test::errorOf(runtime)));
        const BoundTensor *embedding = runtime->tensor(QStringLiteral("backbone.embedding.weight"));
        QVERIFY(embedding);
        QCOMPARE(embedding->fileName, QStringLiteral("backbone.embeddings.weight"));
        const BoundTensor *head = runtime->tensor(QStringLiteral("lm_head.weight"));
        QVERIFY(head);
        QCOMPARE(head->fileName, QStringLiteral("backbone.embeddings.weight"));
        QCOMPARE(head->data.data(), embedding->data.data());
    }

    void runtimeRefusesAMismatchingWeight()
    {
        const QString root = freshWorkspace();
        const ModelConfig config = shippedConfig(QStringLiteral("mamba"));
        auto sample = generateSampleWeights(config, 92);
        QVERIFY(sample.ok());
        std::vector<TensorWrite> tensors;
        for (auto t : sample->tensors) {
            if (t.name == "backbone.norm_f.weight")
                continue; // missing
            if (t.name == "backbone.layers.3.mixer.D")
                t.shape = {t.shape[0] / 2, 2}; // same bytes, wrong shape
            tensors.push_back(t);
        }
        WeightManager m{Workspace(root)};
        QVERIFY(m.saveWeights(tensors, QStringLiteral("mamba"), QStringLiteral("bad"), false));
        auto runtime = ModelRuntime::create(m, QStringLiteral("mamba"), QStringLiteral("bad"));
        QVERIFY(!runtime.ok());
        const QString path = root + QStringLiteral("/Model/weights/mamba_bad.safetensors");
        const QString message = runtime.errorString();
        QVERIFY2(message.startsWith(path + QStringLiteral(": does not fit ") + root + QStringLiteral("/Config/mamba.yaml (mamba: 40 of 42 required tensors match; 1 missing, 1 shape mismatch):\n")),
                 qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("\n  backbone.layers.3.mixer.D: shape ")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("\n  backbone.norm_f.weight: missing")), qPrintable(message));
        QCOMPARE(message.count(QLatin1Char('\n')), 2);
        // The active weight still binds.
        QVERIFY(ModelRuntime::create(m, QStringLiteral("mamba")).ok());
        QCOMPARE(test::errorOf(ModelRuntime::create(m, QStringLiteral("gpt"))).left(26), QStringLiteral("unknown model type 'gpt' ("));
    }
};

QTEST_GUILESS_MAIN(TestWeightManager)
#include "tst_weightmanager.moc"
