// The workspace CLI end to end, as a user runs it (QProcess, $TANTRA_ROOT or --root): the
// README's sequence on an empty folder; every command's happy path (exit 0), the problems it
// reports (exit 1) and wrong usage (exit 2), each with its output or message; --json outputs
// parsed and compared field by field with the registry and the files.

#include "configmanager.h"
#include "registry.h"
#include "safetensorswriter.h"
#include "samplegenerator.h"
#include "testutil.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>
#include <sys/stat.h>

using namespace tantra;

namespace {

using test::writeSample;

// Runs the CLI with exactly this environment change and working folder.
test::CliRun runWith(const QStringList &arguments, const QString &envRoot, const QString &workingDir = {})
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("TANTRA_ROOT"));
    if (!envRoot.isEmpty())
        env.insert(QStringLiteral("TANTRA_ROOT"), envRoot);
    process.setProcessEnvironment(env);
    if (!workingDir.isEmpty())
        process.setWorkingDirectory(workingDir);
    return test::runCliIn(process, arguments);
}

QString describe(const QStringList &args, const test::CliRun &r)
{
    return QStringLiteral("tantra-model-manager %1\nexit %2\n--- stdout\n%3--- stderr\n%4").arg(args.join(QLatin1Char(' '))).arg(r.exitCode).arg(r.out, r.err);
}

QJsonDocument parseJson(const QString &text)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError)
        qWarning("not JSON (%s): %s", qPrintable(error.errorString()), qPrintable(text.left(400)));
    return doc;
}

RegistryData registryOf(const QString &root)
{
    auto data = Registry(root + QStringLiteral("/Model/weight_config.json")).load();
    if (!data)
        qFatal("%s", qPrintable(data.errorString()));
    return *data;
}

void flipLastByte(const QString &path)
{
    QByteArray bytes = test::readFile(path);
    bytes[bytes.size() - 1] = char(bytes[bytes.size() - 1] ^ 0x01);
    test::writeBytes(path, bytes);
}

QString firstBackup(const QString &root)
{
    const QStringList zips = QDir(root + QStringLiteral("/Model/backups")).entryList({QStringLiteral("*.zip")}, QDir::Files, QDir::Name);
    return zips.isEmpty() ? QStringLiteral("<no backup>") : root + QStringLiteral("/Model/backups/") + zips.first();
}

} // namespace

class TestCliWorkspace : public QObject
{
    Q_OBJECT

    QTemporaryDir m_template;
    QString m_templateRoot;
    QString m_sample;  // a valid mamba weight outside any workspace
    QString m_bad;     // a mamba weight missing a tensor
    std::vector<std::unique_ptr<QTemporaryDir>> m_dirs;

    struct Fixture
    {
        QString scratch;
        QString root;
        QString src; // a copy of m_sample, free to move
    };
    Fixture fresh()
    {
        m_dirs.push_back(std::make_unique<QTemporaryDir>());
        Fixture f;
        f.scratch = m_dirs.back()->path();
        f.root = f.scratch + QStringLiteral("/ws");
        test::copyTree(m_templateRoot, f.root);
        f.src = f.scratch + QStringLiteral("/src.safetensors");
        QFile::copy(m_sample, f.src);
        return f;
    }

    QString expand(QString text, const Fixture &f) const
    {
        const QString weight = f.root + QStringLiteral("/Model/weights/mamba_sample.safetensors");
        text.replace(QStringLiteral("{root}"), f.root)
                .replace(QStringLiteral("{src}"), f.src)
                .replace(QStringLiteral("{bad}"), m_bad)
                .replace(QStringLiteral("{weight}"), weight)
                .replace(QStringLiteral("{nonzip}"), m_template.filePath(QStringLiteral("notes.txt")))
                .replace(QStringLiteral("{missing}"), f.scratch + QStringLiteral("/missing.safetensors"))
                .replace(QStringLiteral("{empty}"), f.scratch + QStringLiteral("/empty"))
                .replace(QStringLiteral("{scratch}"), f.scratch);
        if (text.contains(QStringLiteral("{backup}")))
            text.replace(QStringLiteral("{backup}"), firstBackup(f.root));
        if (text.contains(QStringLiteral("{weightsha}")))
            text.replace(QStringLiteral("{weightsha}"), test::sha256Of(weight));
        return text;
    }

    // A preparation step: a CLI command line, or one of flip:/delete:/fifo:/copy:FROM>TO/write:PATH>TEXT.
    void prepare(const QString &step, const Fixture &f)
    {
        const QString s = expand(step, f);
        if (s.startsWith(QLatin1String("flip:"))) {
            flipLastByte(s.mid(5));
        } else if (s.startsWith(QLatin1String("delete:"))) {
            QVERIFY(QFile::remove(s.mid(7)));
        } else if (s.startsWith(QLatin1String("copy:"))) {
            const QStringList p = s.mid(5).split(QLatin1Char('>'));
            QVERIFY(QFile::copy(p[0], p[1]));
        } else if (s.startsWith(QLatin1String("write:"))) {
            const QStringList p = s.mid(6).split(QLatin1Char('>'));
            test::writeBytes(p[0], p[1].toUtf8());
        } else if (s.startsWith(QLatin1String("mkdir:"))) {
            QVERIFY(QDir().mkpath(s.mid(6)));
        } else if (s.startsWith(QLatin1String("fifo:"))) {
            // fifo:PATH replaces PATH by a named pipe, which blocks whoever opens it to read.
            QFile::remove(s.mid(5));
            QVERIFY(::mkfifo(QFile::encodeName(s.mid(5)).constData(), 0644) == 0);
        } else if (s.startsWith(QLatin1String("link:"))) {
            // link:TARGET>LINK, replacing an empty folder at LINK.
            const QStringList p = s.mid(5).split(QLatin1Char('>'));
            QDir().rmdir(p[1]);
            QVERIFY(QFile::link(p[0], p[1]));
        } else if (s.startsWith(QLatin1String("entry:")) || s.startsWith(QLatin1String("top:"))) {
            // Edits the registry as another tool would. entry:NAME>{fields} registers NAME as a
            // copy of mamba_sample's entry with those fields changed (null removes one);
            // top:KEY>JSON sets a top-level field.
            const bool entry = s.startsWith(QLatin1String("entry:"));
            const QString spec = s.mid(entry ? 6 : 4);
            const auto cut = spec.indexOf(QLatin1Char('>'));
            const QString key = spec.left(cut);
            const QJsonValue value = QJsonDocument::fromJson((QStringLiteral("[") + spec.mid(cut + 1) + QStringLiteral("]")).toUtf8()).array().at(0);
            QVERIFY2(!value.isUndefined(), qPrintable(step));
            const QString path = f.root + QStringLiteral("/Model/weight_config.json");
            QJsonObject root = QJsonDocument::fromJson(test::readFile(path)).object();
            if (entry) {
                QJsonObject weights = root.value(QStringLiteral("weights")).toObject();
                QJsonObject w = weights.value(QStringLiteral("mamba_sample")).toObject();
                const QJsonObject changes = value.toObject();
                for (auto it = changes.begin(); it != changes.end(); ++it) {
                    if (it.value().isNull())
                        w.remove(it.key());
                    else
                        w[it.key()] = it.value();
                }
                weights[key] = w;
                root[QStringLiteral("weights")] = weights;
            } else {
                root[key] = value;
            }
            test::writeBytes(path, QJsonDocument(root).toJson());
        } else {
            const QStringList args = s.split(QLatin1Char(' '), Qt::SkipEmptyParts);
            const auto r = test::runCli(args, f.root);
            QVERIFY2(r.exitCode == 0, qPrintable(describe(args, r)));
        }
    }

    void addRows();
    void runRow();

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(!test::cliPath().isEmpty());
        QVERIFY(m_template.isValid());
        m_templateRoot = m_template.filePath(QStringLiteral("ws"));
        QVERIFY(QDir().mkpath(m_templateRoot));
        const auto r = test::runCli({QStringLiteral("--root"), m_templateRoot, QStringLiteral("setup")});
        QVERIFY2(r.exitCode == 0, qPrintable(describe({QStringLiteral("setup")}, r)));
        m_sample = writeSample(m_template.filePath(QStringLiteral("sample.safetensors")), QStringLiteral("mamba"), 201);
        m_bad = writeSample(m_template.filePath(QStringLiteral("bad.safetensors")), QStringLiteral("mamba"), 202, true);
        test::writeBytes(m_template.filePath(QStringLiteral("notes.txt")), "just notes\n");
    }
    void cleanup() { m_dirs.clear(); }

    // `setup --root DIR` on a folder that does not exist yet creates it, as a user expects.
    void setupCreatesAMissingRoot()
    {
        QTemporaryDir scratch;
        const QString root = scratch.filePath(QStringLiteral("new/workspace"));
        const auto r = test::runCli({QStringLiteral("--root"), root, QStringLiteral("setup")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(QFileInfo(root + QStringLiteral("/Model/weights")).isDir());
        QVERIFY(QFileInfo::exists(root + QStringLiteral("/Model/weight_config.json")));
    }

    // The README's CLI section, in order, on an empty folder, with $TANTRA_ROOT exported.
    void quickStart()
    {
        QTemporaryDir dir;
        const QString root = dir.filePath(QStringLiteral("project"));
        QVERIFY(QDir().mkpath(root));
        const QString src = dir.filePath(QStringLiteral("finetuned.safetensors"));
        QVERIFY(QFile::copy(m_sample, src));
        const auto step = [&](const QString &line, int expectedExit = 0) -> test::CliRun {
            const QStringList args = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
            const auto r = runWith(args, root);
            if (r.exitCode != expectedExit)
                qWarning("%s", qPrintable(describe(args, r)));
            return r;
        };
        auto r = step(QStringLiteral("setup"));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("Workspace ready: %1\n  created  %1\n  created  %1/Config/mamba.yaml\n  created  %1/Config/mamba_multimodal.yaml\n"
                                       "  created  %1/Config/ocr_native.yaml\n  sample   %1/Model/weights/mamba_sample.safetensors\n"
                                       "  sample   %1/Model/weights/mamba_multimodal_sample.safetensors\n"
                                       "  sample   %1/Model/weights/ocr_native_sample.safetensors\n")
                                 .arg(root));
        QCOMPARE(r.err, QString());

        r = step(QStringLiteral("list-models"));
        QCOMPARE(r.exitCode, 0);
        const QStringList models = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(models.size(), 4);
        QVERIFY(models[0].startsWith(QStringLiteral("MODEL TYPE")));
        QVERIFY2(QRegularExpression(QStringLiteral("^mamba +mamba_sample +1 +3\\.78 MiB  Config/mamba\\.yaml$")).match(models[1]).hasMatch(), qPrintable(models[1]));
        QVERIFY2(QRegularExpression(QStringLiteral("^mamba_multimodal +mamba_multimodal_sample +1 +8\\.05 MiB  Config/mamba_multimodal\\.yaml$")).match(models[2]).hasMatch(),
                 qPrintable(models[2]));
        QVERIFY2(QRegularExpression(QStringLiteral("^ocr_native +ocr_native_sample +1 +2\\.22 MiB  Config/ocr_native\\.yaml$")).match(models[3]).hasMatch(), qPrintable(models[3]));

        r = step(QStringLiteral("list-weights"));
        QCOMPARE(r.exitCode, 0);
        const QStringList weights = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(weights.size(), 4);
        QVERIFY(weights[0].startsWith(QStringLiteral("A  NAME")));
        QVERIFY2(weights[1].startsWith(QStringLiteral("*  mamba_sample ")) && weights[1].endsWith(QStringLiteral("not checked")), qPrintable(weights[1]));

        r = step(QStringLiteral("config mamba"));
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith(QStringLiteral("# %1/Config/mamba.yaml\n").arg(root)));
        QVERIFY(r.out.contains(QStringLiteral("\nmodel_type: mamba\n")));

        r = step(QStringLiteral("validate mamba --version sample"));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("PASS mamba_sample: 42 tensors, 42 expected by the config\n"));
        r = step(QStringLiteral("validate --all --deep"));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.count(QStringLiteral("PASS ")), 3);
        QCOMPARE(r.out.count(QStringLiteral(", checksum and NaN/Inf checked\n")), 3);

        r = step(QStringLiteral("import %1 --version ft1").arg(src));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("Imported %1 as mamba_ft1 (3.78 MiB, sha256 %2)\n").arg(src, test::sha256Of(src)));
        r = step(QStringLiteral("set-active mamba_ft1"));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("Active: mamba_ft1\n"));
        r = step(QStringLiteral("history mamba"));
        QCOMPARE(r.exitCode, 0);
        const QStringList history = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(history.size(), 3);
        QVERIFY2(history[1].endsWith(QStringLiteral("  mamba_sample  -")), qPrintable(history[1]));
        QVERIFY2(history[2].endsWith(QStringLiteral("  mamba_ft1     mamba_sample")), qPrintable(history[2]));
        r = step(QStringLiteral("verify"));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("OK       mamba_ft1\nOK       mamba_multimodal_sample\nOK       mamba_sample\nOK       ocr_native_sample\n"));

        r = step(QStringLiteral("backup mamba_ft1"));
        QCOMPARE(r.exitCode, 0);
        const QString archive = firstBackup(root);
        QCOMPARE(r.out, QStringLiteral("Backed up mamba_ft1 to %1\n").arg(archive));
        r = step(QStringLiteral("list-backups"));
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QFileInfo(archive).fileName() + QStringLiteral("  mamba_ft1")), qPrintable(r.out));
        r = step(QStringLiteral("restore %1 --as ft1-restored").arg(archive));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("Restored mamba_ft1-restored (checksums verified)\n"));
        QCOMPARE(test::sha256Of(root + QStringLiteral("/Model/weights/mamba_ft1-restored.safetensors")), test::sha256Of(src));

        r = step(QStringLiteral("cleanup mamba --keep 1 --dry-run"));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("would remove mamba_sample (3.78 MiB)\nkeep mamba_ft1-restored\nkeep mamba_ft1\nWould free 3.78 MiB\n"));
        r = step(QStringLiteral("remove mamba_sample"));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("Removed mamba_sample\n"));
        r = step(QStringLiteral("doctor"));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("The workspace is healthy.\n"));
        r = step(QStringLiteral("inspect %1/Model/weights/mamba_ft1.safetensors").arg(root));
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QStringLiteral("backbone.embedding.weight")));
        r = step(QStringLiteral("checksum %1/Model/weights/mamba_ft1.safetensors").arg(root));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("%1  %2/Model/weights/mamba_ft1.safetensors\n").arg(test::sha256Of(src), root));
    }

    void commands_data() { addRows(); }
    void commands() { runRow(); }

    // --root wins over $TANTRA_ROOT, which wins over the current folder.
    void rootPrecedence()
    {
        const Fixture f = fresh();
        const QString empty = f.scratch + QStringLiteral("/empty");
        QVERIFY(QDir().mkpath(empty));
        const QStringList listWeights{QStringLiteral("list-weights")};
        auto r = runWith({QStringLiteral("--root"), f.root, QStringLiteral("list-weights")}, empty, empty);
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QStringLiteral("mamba_sample")));
        r = runWith({QStringLiteral("list-weights"), QStringLiteral("--root=") + f.root}, empty, empty);
        QCOMPARE(r.exitCode, 0);
        r = runWith(listWeights, f.root, empty);
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QStringLiteral("mamba_sample")));
        r = runWith(listWeights, QString(), f.root);
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QStringLiteral("mamba_sample")));
        r = runWith(listWeights, empty, f.root);
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(r.err, empty + QStringLiteral(": not a Tantra workspace (no Model/weights or Config); run 'tantra-model-manager setup' there first\n"));
    }

    void listWeightsJson()
    {
        const Fixture f = fresh();
        prepare(QStringLiteral("import {src} --version v1"), f);
        prepare(QStringLiteral("validate mamba --deep"), f);
        const auto r = test::runCli({QStringLiteral("list-weights"), QStringLiteral("--json")}, f.root);
        QVERIFY2(r.exitCode == 0 && r.err.isEmpty(), qPrintable(r.err));
        const QJsonArray array = parseJson(r.out).array();
        const RegistryData data = registryOf(f.root);
        QCOMPARE(array.size(), int(data.weights.size()));
        QCOMPARE(array.size(), 4);
        QStringList order;
        for (const QJsonValue &v : array) {
            const QJsonObject o = v.toObject();
            const QString name = o.value(QStringLiteral("name")).toString();
            order << name;
            const WeightEntry *w = data.find(name);
            QVERIFY2(w, qPrintable(name));
            QCOMPARE(o.value(QStringLiteral("model_type")).toString(), w->modelType);
            QCOMPARE(o.value(QStringLiteral("version")).toString(), w->version);
            QCOMPARE(o.value(QStringLiteral("path")).toString(), w->path);
            const QString file = f.root + QLatin1Char('/') + w->path;
            QCOMPARE(quint64(o.value(QStringLiteral("size")).toDouble()), quint64(QFileInfo(file).size()));
            QCOMPARE(o.value(QStringLiteral("sha256")).toString(), test::sha256Of(file));
            QCOMPARE(o.value(QStringLiteral("created")).toString(), isoUtc(w->created));
            QVERIFY(QDateTime::fromString(o.value(QStringLiteral("created")).toString(), Qt::ISODateWithMs).isValid());
            QCOMPARE(o.value(QStringLiteral("active")).toBool(), data.activeOf(w->modelType) == name);
            QVERIFY(o.value(QStringLiteral("active")).isBool());
            QCOMPARE(o.value(QStringLiteral("format")).toString(), QStringLiteral("safetensors"));
            QCOMPARE(o.value(QStringLiteral("source")).toString(), w->source);
            QCOMPARE(o.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("format")).toString(), QStringLiteral("pt"));
        }
        // By type, newest first within one.
        QCOMPARE(order, (QStringList{QStringLiteral("mamba_v1"), QStringLiteral("mamba_sample"), QStringLiteral("mamba_multimodal_sample"),
                                     QStringLiteral("ocr_native_sample")}));
        const QJsonObject sample = array.at(1).toObject();
        QCOMPARE(sample.value(QStringLiteral("active")).toBool(), true);
        QCOMPARE(sample.value(QStringLiteral("source")).toString(), QStringLiteral("saved"));
        const QJsonObject validation = sample.value(QStringLiteral("validation")).toObject();
        QCOMPARE(validation.value(QStringLiteral("status")).toString(), QStringLiteral("passed"));
        QCOMPARE(validation.value(QStringLiteral("deep")).toBool(), true);
        QCOMPARE(array.at(0).toObject().value(QStringLiteral("active")).toBool(), false);
        QCOMPARE(array.at(0).toObject().value(QStringLiteral("source")).toString(), QStringLiteral("imported from ") + f.src);

        const auto one = test::runCli({QStringLiteral("list-weights"), QStringLiteral("ocr_native"), QStringLiteral("--json")}, f.root);
        QCOMPARE(one.exitCode, 0);
        QCOMPARE(parseJson(one.out).array().size(), 1);
        const auto none = test::runCli({QStringLiteral("list-weights"), QStringLiteral("gpt"), QStringLiteral("--json")}, f.root);
        QCOMPARE(none.exitCode, 0);
        QVERIFY(parseJson(none.out).isArray());
        QCOMPARE(parseJson(none.out).array().size(), 0);
    }

    void listModelsJson()
    {
        const Fixture f = fresh();
        prepare(QStringLiteral("import {src} --version v1"), f);
        prepare(QStringLiteral("create-config big --from mamba d_model=256"), f);
        // A weight of a type without a config (a config deleted by hand).
        QVERIFY(Registry(f.root + QStringLiteral("/Model/weight_config.json")).update([&](RegistryData &d) -> Status {
            WeightEntry w = d.weights.at(QStringLiteral("mamba_v1"));
            w.name = QStringLiteral("orphan_v1");
            w.modelType = QStringLiteral("orphan");
            w.version = QStringLiteral("v1");
            d.weights[w.name] = w;
            return {};
        }));
        const auto r = test::runCli({QStringLiteral("list-models"), QStringLiteral("--json")}, f.root);
        QVERIFY2(r.exitCode == 0 && r.err.isEmpty(), qPrintable(r.err));
        const QJsonArray array = parseJson(r.out).array();
        const RegistryData data = registryOf(f.root);
        QStringList names;
        for (const QJsonValue &v : array) {
            const QJsonObject o = v.toObject();
            const QString type = o.value(QStringLiteral("name")).toString();
            names << type;
            const QString config = f.root + QStringLiteral("/Config/") + type + QStringLiteral(".yaml");
            if (QFileInfo::exists(config))
                QCOMPARE(o.value(QStringLiteral("config")).toString(), config);
            else
                QVERIFY2(o.value(QStringLiteral("config")).isNull(), qPrintable(type));
            const QString active = data.activeOf(type);
            if (active.isEmpty())
                QVERIFY2(o.value(QStringLiteral("active")).isNull(), qPrintable(type));
            else
                QCOMPARE(o.value(QStringLiteral("active")).toString(), active);
            const auto weights = data.weightsOf(type);
            QCOMPARE(o.value(QStringLiteral("weights")).toInt(), int(weights.size()));
            quint64 bytes = 0;
            for (const WeightEntry *w : weights)
                bytes += w->size;
            QCOMPARE(quint64(o.value(QStringLiteral("size")).toDouble()), bytes);
        }
        QCOMPARE(names, (QStringList{QStringLiteral("big"), QStringLiteral("mamba"), QStringLiteral("mamba_multimodal"), QStringLiteral("ocr_native"),
                                     QStringLiteral("orphan")}));
        QCOMPARE(array.at(0).toObject().value(QStringLiteral("weights")).toInt(), 0);
        QVERIFY(array.at(0).toObject().value(QStringLiteral("active")).isNull());
        QCOMPARE(array.at(1).toObject().value(QStringLiteral("weights")).toInt(), 2);
        QCOMPARE(array.at(1).toObject().value(QStringLiteral("active")).toString(), QStringLiteral("mamba_sample"));
        QVERIFY(array.at(4).toObject().value(QStringLiteral("config")).isNull());
    }

    void otherJson()
    {
        const Fixture f = fresh();
        const auto json = [&](const QString &line) -> QJsonDocument {
            const QStringList args = expand(line, f).split(QLatin1Char(' '), Qt::SkipEmptyParts);
            const auto r = test::runCli(args, f.root);
            if (r.exitCode != 0 || !r.err.isEmpty())
                qWarning("%s", qPrintable(describe(args, r)));
            return parseJson(r.out);
        };
        // setup on an empty folder
        const QString other = f.scratch + QStringLiteral("/other");
        QVERIFY(QDir().mkpath(other));
        const QJsonObject setup = json(QStringLiteral("setup --json --root ") + other).object();
        QCOMPARE(setup.value(QStringLiteral("root")).toString(), other);
        QCOMPARE(setup.value(QStringLiteral("created")).toArray().size(), 4);
        QCOMPARE(setup.value(QStringLiteral("migrated")).toArray().size(), 0);
        QCOMPARE(setup.value(QStringLiteral("samples")).toArray().at(0).toString(), other + QStringLiteral("/Model/weights/mamba_sample.safetensors"));

        const QJsonObject imported = json(QStringLiteral("import {src} --version v1 --activate --json")).object();
        const RegistryData afterImport = registryOf(f.root);
        const WeightEntry *v1 = afterImport.find(QStringLiteral("mamba_v1"));
        QVERIFY(v1);
        QCOMPARE(imported.value(QStringLiteral("name")).toString(), QStringLiteral("mamba_v1"));
        QCOMPARE(imported.value(QStringLiteral("active")).toBool(), true);
        QCOMPARE(imported.value(QStringLiteral("sha256")).toString(), test::sha256Of(f.src));
        QCOMPARE(imported.value(QStringLiteral("created")).toString(), isoUtc(v1->created));
        QCOMPARE(imported.value(QStringLiteral("path")).toString(), QStringLiteral("Model/weights/mamba_v1.safetensors"));

        const QJsonObject validated = json(QStringLiteral("validate mamba --deep --json")).object();
        QCOMPARE(validated.value(QStringLiteral("weight")).toString(), QStringLiteral("mamba_v1"));
        QCOMPARE(validated.value(QStringLiteral("path")).toString(), f.root + QStringLiteral("/Model/weights/mamba_v1.safetensors"));
        QCOMPARE(validated.value(QStringLiteral("passed")).toBool(), true);
        QCOMPARE(validated.value(QStringLiteral("deep")).toBool(), true);
        QCOMPARE(validated.value(QStringLiteral("tensors")).toInt(), 42);
        QCOMPARE(validated.value(QStringLiteral("expected_tensors")).toInt(), 42);
        QCOMPARE(validated.value(QStringLiteral("issues")).toArray().size(), 0);
        QCOMPARE(json(QStringLiteral("validate --all --json")).array().size(), 4);

        const QJsonArray history = json(QStringLiteral("history mamba --json")).array();
        QCOMPARE(history.size(), 2);
        QVERIFY(history.at(0).toObject().value(QStringLiteral("previous")).isNull());
        QCOMPARE(history.at(1).toObject().value(QStringLiteral("weight")).toString(), QStringLiteral("mamba_v1"));
        QCOMPARE(history.at(1).toObject().value(QStringLiteral("previous")).toString(), QStringLiteral("mamba_sample"));
        QCOMPARE(history.at(1).toObject().value(QStringLiteral("activated_at")).toString(),
                 isoUtc(registryOf(f.root).history.at(QStringLiteral("mamba")).back().at));

        flipLastByte(f.root + QStringLiteral("/Model/weights/ocr_native_sample.safetensors"));
        // A field another tool wrote into an entry, to be kept when verify records its result.
        {
            QFile file(f.root + QStringLiteral("/Model/weight_config.json"));
            QVERIFY(file.open(QIODevice::ReadOnly));
            QJsonObject root = QJsonDocument::fromJson(file.readAll()).object();
            file.close();
            QJsonObject weights = root.value(QStringLiteral("weights")).toObject();
            QJsonObject sample = weights.value(QStringLiteral("mamba_sample")).toObject();
            sample.insert(QStringLiteral("team_note"), QStringLiteral("keep me"));
            weights.insert(QStringLiteral("mamba_sample"), sample);
            root.insert(QStringLiteral("weights"), weights);
            QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
            file.write(QJsonDocument(root).toJson());
        }
        const QDateTime beforeVerify = QDateTime::currentDateTimeUtc().addMSecs(-1);
        const QStringList verifyArgs{QStringLiteral("verify"), QStringLiteral("--json")};
        const auto verifyRun = test::runCli(verifyArgs, f.root);
        QCOMPARE(verifyRun.exitCode, 1);
        QCOMPARE(verifyRun.err, QString());
        // Recorded as the GUI records it: the weights that matched get verified_at, the changed
        // one does not, and the other tool's field survives the rewrite.
        {
            const RegistryData after = registryOf(f.root);
            const QDateTime now = QDateTime::currentDateTimeUtc().addMSecs(1);
            for (const auto &[name, w] : after.weights) {
                if (name == QLatin1String("ocr_native_sample")) {
                    QVERIFY2(!w.verifiedAt.isValid(), qPrintable(name));
                } else {
                    QVERIFY2(w.verifiedAt >= beforeVerify && w.verifiedAt <= now, qPrintable(name + QLatin1Char(' ') + isoUtc(w.verifiedAt)));
                }
            }
            QCOMPARE(after.find(QStringLiteral("mamba_sample"))->json.value(QStringLiteral("team_note")).toString(), QStringLiteral("keep me"));
        }
        const QJsonArray verify = parseJson(verifyRun.out).array();
        QCOMPARE(verify.size(), 4);
        for (const QJsonValue &v : verify) {
            const QJsonObject o = v.toObject();
            const bool changed = o.value(QStringLiteral("weight")).toString() == QLatin1String("ocr_native_sample");
            QCOMPARE(o.value(QStringLiteral("status")).toString(), changed ? QStringLiteral("changed") : QStringLiteral("ok"));
            QCOMPARE(o.value(QStringLiteral("message")).toString().isEmpty(), !changed);
        }

        const quint64 sampleSize = registryOf(f.root).find(QStringLiteral("mamba_sample"))->size;
        const QJsonObject cleanup = json(QStringLiteral("cleanup mamba --keep 0 --json")).object();
        QCOMPARE(cleanup.value(QStringLiteral("model_type")).toString(), QStringLiteral("mamba"));
        QCOMPARE(cleanup.value(QStringLiteral("dry_run")).toBool(), false);
        QCOMPARE(cleanup.value(QStringLiteral("kept")).toArray(), QJsonArray{QStringLiteral("mamba_v1")});
        QCOMPARE(cleanup.value(QStringLiteral("removed")).toArray().size(), 1);
        QCOMPARE(cleanup.value(QStringLiteral("removed")).toArray().at(0).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("mamba_sample"));
        QCOMPARE(quint64(cleanup.value(QStringLiteral("bytes_freed")).toDouble()), sampleSize);
        QVERIFY(!QFileInfo::exists(f.root + QStringLiteral("/Model/weights/mamba_sample.safetensors")));

        prepare(QStringLiteral("backup mamba_v1"), f);
        const QJsonArray backups = json(QStringLiteral("list-backups --json")).array();
        QCOMPARE(backups.size(), 1);
        const QJsonObject b = backups.at(0).toObject();
        QCOMPARE(b.value(QStringLiteral("path")).toString(), firstBackup(f.root));
        QCOMPARE(b.value(QStringLiteral("weight")).toString(), QStringLiteral("mamba_v1"));
        QCOMPARE(b.value(QStringLiteral("model_type")).toString(), QStringLiteral("mamba"));
        QCOMPARE(quint64(b.value(QStringLiteral("size")).toDouble()), quint64(QFileInfo(firstBackup(f.root)).size()));
        QVERIFY(QDateTime::fromString(b.value(QStringLiteral("created")).toString(), Qt::ISODateWithMs).isValid());

        const QJsonObject config = json(QStringLiteral("config mamba --json")).object();
        QCOMPARE(config.value(QStringLiteral("model_type")).toString(), QStringLiteral("mamba"));
        QCOMPARE(config.value(QStringLiteral("file")).toString(), f.root + QStringLiteral("/Config/mamba.yaml"));
        QCOMPARE(config.value(QStringLiteral("architecture")).toObject().value(QStringLiteral("d_model")).toInt(), 128);

        test::writeBytes(f.root + QStringLiteral("/Model/weights/mamba_extra.safetensors"), test::readFile(f.src));
        const auto doctorRun = test::runCli({QStringLiteral("doctor"), QStringLiteral("--json")}, f.root);
        QCOMPARE(doctorRun.exitCode, 1);
        const QJsonObject doctor = parseJson(doctorRun.out).object();
        QCOMPARE(doctor.value(QStringLiteral("fixed")).toArray().size(), 0);
        QCOMPARE(doctor.value(QStringLiteral("problems")).toArray(),
                 QJsonArray{QString(f.root + QStringLiteral("/Model/weights/mamba_extra.safetensors: not in the registry: import it to keep it, or delete it if an interrupted 'remove' or 'cleanup' left it"))});
    }
};

void TestCliWorkspace::addRows()
{
    QTest::addColumn<QStringList>("prep");
    QTest::addColumn<QString>("command");
    QTest::addColumn<bool>("viaEnv"); // $TANTRA_ROOT, else --root
    QTest::addColumn<int>("exitCode");
    // Expectations, each "out=TEXT" (stdout equals), "out~TEXT" (contains), "out^REGEX" (matches),
    // the same with err, "exists=PATH", "gone=PATH", or "unchanged" (nothing in the scratch folder changed).
    QTest::addColumn<QStringList>("expect");

    const auto row = [](const char *name, QStringList prep, const QString &command, int exit, QStringList expect, bool env = true) {
        QTest::newRow(name) << prep << command << env << exit << expect;
    };
    const QString reg = QStringLiteral("{root}/Model/weight_config.json");
    // ---- exit 0
    row("setup again", {}, QStringLiteral("setup"), 0,
        {QStringLiteral("out=Workspace ready: {root}\n  nothing to do: the layout, configs and samples were already there\n"), QStringLiteral("unchanged")});
    row("setup migrates a legacy file", {QStringLiteral("copy:{src}>{root}/Model/tantra_weights.safetensors")}, QStringLiteral("setup"), 0,
        {QStringLiteral("out=Workspace ready: {root}\n  migrated {root}/Model/tantra_weights.safetensors -> {root}/Model/weights/mamba_migrated.safetensors\n"),
         QStringLiteral("gone={root}/Model/tantra_weights.safetensors"), QStringLiteral("exists={root}/Model/weights/mamba_migrated.safetensors")});
    row("list-models", {}, QStringLiteral("list-models"), 0, {QStringLiteral("out~MODEL TYPE"), QStringLiteral("out^\nmamba +mamba_sample +1 +3\\.78 MiB  Config/mamba\\.yaml\n")});
    row("list-models --root", {}, QStringLiteral("--root {root} list-models"), 0, {QStringLiteral("out^\nocr_native +ocr_native_sample +1 ")}, false);
    row("list-weights", {}, QStringLiteral("list-weights"), 0, {QStringLiteral("out^\n\\*  mamba_sample +mamba +sample +3\\.78 MiB ")});
    row("list-weights TYPE", {}, QStringLiteral("list-weights ocr_native"), 0, {QStringLiteral("out~ocr_native_sample"), QStringLiteral("out!mamba_sample")});
    row("list-weights unknown type", {}, QStringLiteral("list-weights gpt"), 0, {QStringLiteral("out=No weights registered for 'gpt'.\n")});
    row("config", {}, QStringLiteral("config mamba"), 0, {QStringLiteral("out^^# {root}/Config/mamba\\.yaml\n"), QStringLiteral("out~\nmodel_type: mamba\n")});
    row("create-config", {}, QStringLiteral("create-config big --from mamba d_model=256"), 0,
        {QStringLiteral("out=Created {root}/Config/big.yaml\n"), QStringLiteral("exists={root}/Config/big.yaml")});
    row("set-active", {QStringLiteral("import {src} --version v1")}, QStringLiteral("set-active mamba_v1"), 0, {QStringLiteral("out=Active: mamba_v1\n")});
    row("set-active the active one", {}, QStringLiteral("set-active mamba_sample"), 0, {QStringLiteral("out=Active: mamba_sample\n")});
    row("rollback", {QStringLiteral("import {src} --version v1 --activate")}, QStringLiteral("rollback mamba"), 0,
        {QStringLiteral("out=Active: mamba_sample (was mamba_v1)\n")});
    row("rollback twice returns", {QStringLiteral("import {src} --version v1 --activate"), QStringLiteral("rollback mamba")},
        QStringLiteral("rollback mamba"), 0, {QStringLiteral("out=Active: mamba_v1 (was mamba_sample)\n")});
    row("rollback skips a removed weight",
        {QStringLiteral("import {src} --version v1 --activate"), QStringLiteral("import {src} --version v2 --activate"),
         QStringLiteral("remove mamba_v1")},
        QStringLiteral("rollback mamba"), 0, {QStringLiteral("out=Active: mamba_sample (was mamba_v2)\n")});
    row("rollback --json", {QStringLiteral("import {src} --version v1 --activate")}, QStringLiteral("rollback mamba --json"), 0,
        {QStringLiteral("out~\"active\": \"mamba_sample\""), QStringLiteral("out~\"previous\": \"mamba_v1\"")});
    row("history", {}, QStringLiteral("history mamba"), 0, {QStringLiteral("out^^ACTIVATED \\(UTC\\) +WEIGHT +REPLACED\n\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  mamba_sample  -\n$")});
    row("history of an unknown type", {}, QStringLiteral("history gpt"), 0, {QStringLiteral("out=No activations recorded for 'gpt'.\n")});
    row("import", {}, QStringLiteral("import {src} --version v1"), 0,
        {QStringLiteral("out^^Imported {src} as mamba_v1 \\(3\\.78 MiB, sha256 [0-9a-f]{64}\\)\n$"), QStringLiteral("exists={src}"),
         QStringLiteral("exists={root}/Model/weights/mamba_v1.safetensors")});
    row("import --activate --type", {}, QStringLiteral("import {src} --type mamba --version v1 --activate"), 0, {QStringLiteral("out~, now active\n")});
    row("import --move", {}, QStringLiteral("import {src} --move --version v2"), 0,
        {QStringLiteral("out~ as mamba_v2 "), QStringLiteral("gone={src}"), QStringLiteral("exists={root}/Model/weights/mamba_v2.safetensors")});
    row("import of an untracked weight, as the doctor advises", {QStringLiteral("copy:{src}>{root}/Model/weights/mamba_extra.safetensors")},
        QStringLiteral("import {root}/Model/weights/mamba_extra.safetensors"), 0,
        {QStringLiteral("out^^Imported {root}/Model/weights/mamba_extra\\.safetensors as mamba_extra \\("), QStringLiteral("exists={root}/Model/weights/mamba_extra.safetensors")});
    row("import, timestamp version", {}, QStringLiteral("import {src}"), 0, {QStringLiteral("out^ as mamba_\\d{8}-\\d{6} \\(")});
    row("import --unvalidated: a weight that does not fit", {}, QStringLiteral("import {bad} --type mamba --version b --unvalidated"), 0,
        {QStringLiteral("out^^Imported {bad} as mamba_b \\("), QStringLiteral("exists={root}/Model/weights/mamba_b.safetensors")});
    row("import --new-type: a type made from the weight", {}, QStringLiteral("import {bad} --type badtype --version b --new-type"), 0,
        {QStringLiteral("out^^Imported {bad} as badtype_b \\("), QStringLiteral("exists={root}/Config/badtype.yaml")});
    row("remove", {QStringLiteral("import {src} --version v1")}, QStringLiteral("remove mamba_v1"), 0,
        {QStringLiteral("out=Removed mamba_v1\n"), QStringLiteral("gone={root}/Model/weights/mamba_v1.safetensors")});
    row("validate", {}, QStringLiteral("validate mamba"), 0, {QStringLiteral("out=PASS mamba_sample: 42 tensors, 42 expected by the config\n")});
    row("validate --version --deep", {}, QStringLiteral("validate ocr_native --version sample --deep"), 0,
        {QStringLiteral("out^^PASS ocr_native_sample: \\d+ tensors, \\d+ expected by the config, checksum and NaN/Inf checked\n$")});
    row("validate --all", {}, QStringLiteral("validate --all"), 0,
        {QStringLiteral("out^^PASS mamba_multimodal_sample: [^\n]+\nPASS mamba_sample: [^\n]+\nPASS ocr_native_sample: [^\n]+\n$")});
    // Not "unchanged": verify records verified_at in the registry.
    row("verify", {}, QStringLiteral("verify"), 0, {QStringLiteral("out=OK       mamba_multimodal_sample\nOK       mamba_sample\nOK       ocr_native_sample\n"), QStringLiteral("err=")});
    row("verify TYPE", {}, QStringLiteral("verify mamba"), 0, {QStringLiteral("out=OK       mamba_sample\n")});
    row("verify NAME", {}, QStringLiteral("verify ocr_native_sample"), 0, {QStringLiteral("out=OK       ocr_native_sample\n")});
    row("backup", {}, QStringLiteral("backup mamba_sample"), 0, {QStringLiteral("out^^Backed up mamba_sample to {root}/Model/backups/mamba_sample-\\d{8}-\\d{6}\\.zip\n$")});
    row("list-backups", {QStringLiteral("backup ocr_native_sample")}, QStringLiteral("list-backups"), 0,
        {QStringLiteral("out^^ARCHIVE +WEIGHT +SIZE +CREATED \\(UTC\\)\nocr_native_sample-\\d{8}-\\d{6}\\.zip  ocr_native_sample  ")});
    row("list-backups, none", {}, QStringLiteral("list-backups"), 0, {QStringLiteral("out=No backups in {root}/Model/backups\n")});
    row("restore --as", {QStringLiteral("backup mamba_sample")}, QStringLiteral("restore {backup} --as r1"), 0,
        {QStringLiteral("out=Restored mamba_r1 (checksums verified)\n"), QStringLiteral("exists={root}/Model/weights/mamba_r1.safetensors")});
    row("restore after remove", {QStringLiteral("import {src} --version v1"), QStringLiteral("backup mamba_v1"), QStringLiteral("remove mamba_v1")},
        QStringLiteral("restore {backup}"), 0, {QStringLiteral("out=Restored mamba_v1 (checksums verified)\n"), QStringLiteral("exists={root}/Model/weights/mamba_v1.safetensors")});
    row("cleanup --dry-run", {QStringLiteral("import {src} --version v1")}, QStringLiteral("cleanup mamba --keep 0 --dry-run"), 0,
        {QStringLiteral("out=would remove mamba_v1 (3.78 MiB)\nkeep mamba_sample\nWould free 3.78 MiB\n"), QStringLiteral("exists={root}/Model/weights/mamba_v1.safetensors")});
    row("cleanup", {QStringLiteral("import {src} --version v1")}, QStringLiteral("cleanup mamba --keep 0"), 0,
        {QStringLiteral("out=removed mamba_v1 (3.78 MiB)\nkeep mamba_sample\nFreed 3.78 MiB\n"), QStringLiteral("gone={root}/Model/weights/mamba_v1.safetensors")});
    row("doctor", {}, QStringLiteral("doctor"), 0, {QStringLiteral("out=The workspace is healthy.\n"), QStringLiteral("unchanged")});
    row("doctor cleans a leftover", {QStringLiteral("write:{root}/Model/weights/.mamba_v1.safetensors.partial-999999999-0>half")}, QStringLiteral("doctor"), 0,
        {QStringLiteral("out=fixed:   {root}/Model/weights/.mamba_v1.safetensors.partial-999999999-0: removed the leftover of an interrupted operation\nThe workspace is healthy.\n"),
         QStringLiteral("gone={root}/Model/weights/.mamba_v1.safetensors.partial-999999999-0")});
    row("doctor --rebuild", {QStringLiteral("write:") + reg + QStringLiteral(">{\"weights\": {")}, QStringLiteral("doctor --rebuild"), 0,
        {QStringLiteral("out^^fixed:   kept the broken registry as {root}/Model/weight_config\\.json\\.broken-\\d{8}-\\d{6}\nfixed:   rebuilt the registry from 3 weights on disk\nThe workspace is healthy\\.\n$")});
    // It exited 1 listing as problems the entries it had just dropped or re-registered.
    row("doctor --rebuild fixes a registered weight whose file is gone",
        {QStringLiteral("import {src} --version v1"), QStringLiteral("delete:{root}/Model/weights/mamba_v1.safetensors")}, QStringLiteral("doctor --rebuild"), 0,
        {QStringLiteral("out=fixed:   {root}/Model/weights/mamba_v1.safetensors: registered as 'mamba_v1' but missing (fixed: the registry was rebuilt from the files on disk)\n"
                        "fixed:   rebuilt the registry from 3 weights on disk\nThe workspace is healthy.\n")});
    // A folder holding one weight opens as that weight; copying the folder failed with "is a folder".
    row("import a folder holding one weight", {QStringLiteral("mkdir:{scratch}/one"), QStringLiteral("copy:{src}>{scratch}/one/w.safetensors")},
        QStringLiteral("import {scratch}/one --version v1"), 0,
        {QStringLiteral("out^^Imported {scratch}/one as mamba_v1 \\("), QStringLiteral("exists={root}/Model/weights/mamba_v1.safetensors"),
         QStringLiteral("exists={scratch}/one/w.safetensors")});
    row("inspect", {}, QStringLiteral("inspect {weight}"), 0, {QStringLiteral("out~backbone.norm_f.weight")});
    row("checksum", {}, QStringLiteral("checksum {weight}"), 0, {QStringLiteral("out={weightsha}  {weight}\n")});
    row("--help", {}, QStringLiteral("--help"), 0, {QStringLiteral("out^^Usage: tantra-model-manager \\[--root DIR\\] COMMAND"), QStringLiteral("out~  cleanup TYPE --keep N")});
    row("COMMAND --help", {}, QStringLiteral("import --help"), 0, {QStringLiteral("out~--activate"), QStringLiteral("out~--move"), QStringLiteral("unchanged")});
    row("--version", {}, QStringLiteral("--version"), 0, {QStringLiteral("out^^tantra-model-manager \\d+\\.\\d+\\.\\d+\n$")});

    // ---- exit 1: a problem found
    row("setup with an unreadable legacy file", {QStringLiteral("write:{root}/Model/tantra_weights.safetensors>junk")}, QStringLiteral("setup"), 1,
        {QStringLiteral("err^^{root}/Model/tantra_weights\\.safetensors: [^\n]+ \\(legacy file left in place\\)\n$"), QStringLiteral("unchanged")});
    row("broken registry: history", {QStringLiteral("write:") + reg + QStringLiteral(">{\"history\": [")}, QStringLiteral("history mamba"), 1,
        {QStringLiteral("err^^") + reg + QStringLiteral(": not valid JSON at line 1, column "), QStringLiteral("unchanged")});
    row("validate a changed weight", {QStringLiteral("flip:{weight}")}, QStringLiteral("validate mamba --deep"), 1,
        {QStringLiteral("out^^FAIL mamba_sample: 1 problem\n  {weight}: checksum [0-9a-f]{64} differs from the registered [0-9a-f]{64} \\(the file changed after it was registered\\)\n$")});
    // A weight that does not fit cannot be imported; one dropped into the folder and registered by a rebuild can.
    row("validate a weight that does not fit", {QStringLiteral("copy:{bad}>{root}/Model/weights/mamba_bad.safetensors"), QStringLiteral("doctor --rebuild")},
        QStringLiteral("validate mamba --version bad"), 1,
        {QStringLiteral("out~ 1 problem\n  {root}/Model/weights/mamba_bad.safetensors: "), QStringLiteral("out~: missing")});
    row("validate unknown type", {}, QStringLiteral("validate gpt"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": model type 'gpt' has no active weight (no weights registered for it)\n")});
    row("validate unknown version", {}, QStringLiteral("validate mamba --version nope"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": no weight named 'mamba_nope' is registered\n"), QStringLiteral("unchanged")});
    row("verify a changed weight", {QStringLiteral("flip:{weight}")}, QStringLiteral("verify mamba"), 1,
        {QStringLiteral("out^^CHANGED  mamba_sample  {weight}: checksum [0-9a-f]{64}, registered [0-9a-f]{64}\n$"), QStringLiteral("unchanged")});
    row("verify a missing weight", {QStringLiteral("delete:{weight}")}, QStringLiteral("verify mamba_sample"), 1,
        {QStringLiteral("out=MISSING  mamba_sample  {weight}: the weight's file is missing\n")});
    row("verify unknown", {}, QStringLiteral("verify gpt"), 1, {QStringLiteral("err=no registered weight or model type is called 'gpt'\n")});
    row("rollback with nothing before", {}, QStringLiteral("rollback mamba"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": 'mamba' has no earlier active weight to roll back to\n"), QStringLiteral("unchanged")});
    row("rollback when the earlier weight is gone",
        {QStringLiteral("import {src} --version v1 --activate"), QStringLiteral("delete:{weight}")}, QStringLiteral("rollback mamba"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": 'mamba' has no earlier active weight to roll back to (mamba_sample is missing on disk)\n"),
         QStringLiteral("unchanged")});
    // It used to pass for present and was made active: the next load blocked forever.
    row("rollback when the earlier weight's file is a FIFO",
        {QStringLiteral("import {src} --version v1 --activate"), QStringLiteral("fifo:{weight}")}, QStringLiteral("rollback mamba"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": 'mamba' has no earlier active weight to roll back to (mamba_sample: {weight}: is a FIFO (named pipe), not a regular file)\n"),
         QStringLiteral("unchanged")});
    row("rollback of an unknown type", {}, QStringLiteral("rollback gpt"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": no activations are recorded for 'gpt'\n"), QStringLiteral("unchanged")});
    row("set-active unknown", {}, QStringLiteral("set-active mamba_nope"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": no weight named 'mamba_nope' is registered\n"), QStringLiteral("unchanged")});
    row("remove the active weight", {}, QStringLiteral("remove mamba_sample"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": 'mamba_sample' is the active weight of 'mamba'; make another weight active first\n"), QStringLiteral("unchanged")});
    row("remove unknown", {}, QStringLiteral("remove mamba_nope"), 1, {QStringLiteral("err=") + reg + QStringLiteral(": no weight named 'mamba_nope' is registered\n"), QStringLiteral("unchanged")});
    row("import a weight that does not fit", {}, QStringLiteral("import {bad} --type mamba"), 1,
        {QStringLiteral("err^^{bad}: does not fit the 'mamba' config \\(41 of 42 required tensors match; 1 missing\\):\n  backbone\\.[^\n]+: missing"),
         QStringLiteral("unchanged")});
    row("import a weight of no type", {}, QStringLiteral("import {bad}"), 1,
        {QStringLiteral("err^^{bad}: matches no model type's shape rules; pass --type TYPE"), QStringLiteral("err~\nClosest: 'mamba' (41 of 42"), QStringLiteral("unchanged")});
    row("import a missing file", {}, QStringLiteral("import {missing}"), 1, {QStringLiteral("err={missing}: no such file or folder\n"), QStringLiteral("unchanged")});
    row("import a registered version", {}, QStringLiteral("import {src} --version sample"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": 'mamba_sample' is already registered; choose another --version\n"), QStringLiteral("unchanged")});
    row("import with a path as version", {}, QStringLiteral("import {src} --version ../../x"), 1,
        {QStringLiteral("err=the version '../../x' contains a path separator\n"), QStringLiteral("unchanged")});
    row("backup unknown", {}, QStringLiteral("backup mamba_nope"), 1, {QStringLiteral("err=") + reg + QStringLiteral(": no weight named 'mamba_nope' is registered\n"), QStringLiteral("unchanged")});
    row("backup a changed weight", {QStringLiteral("flip:{weight}")}, QStringLiteral("backup mamba_sample"), 1,
        {QStringLiteral("err={weight}: its checksum no longer matches the registry (the file changed after it was registered); no backup was made; run 'verify mamba_sample'\n"),
         QStringLiteral("unchanged")});
    row("restore a file that is no zip", {}, QStringLiteral("restore {nonzip}"), 1, {QStringLiteral("err={nonzip}: not a zip archive\n"), QStringLiteral("unchanged")});
    row("restore over a registered name", {QStringLiteral("backup mamba_sample")}, QStringLiteral("restore {backup}"), 1,
        {QStringLiteral("err={backup}: 'mamba_sample' is already registered; restore under another version with --as VERSION\n"), QStringLiteral("unchanged")});
    row("cleanup unknown type", {}, QStringLiteral("cleanup gpt --keep 1"), 1,
        {QStringLiteral("err=unknown model type 'gpt': no weights and no Config/gpt.yaml\n"), QStringLiteral("unchanged")});
    row("config unknown type", {}, QStringLiteral("config gpt"), 1,
        {QStringLiteral("err=unknown model type 'gpt' (no {root}/Config/gpt.yaml; known types: mamba, mamba_multimodal, ocr_native)\n"), QStringLiteral("unchanged")});
    row("create-config of an existing type", {}, QStringLiteral("create-config mamba"), 1,
        {QStringLiteral("err=model type 'mamba' already exists ({root}/Config/mamba.yaml)\n"), QStringLiteral("unchanged")});
    row("doctor finds an untracked file", {QStringLiteral("copy:{src}>{root}/Model/weights/mamba_extra.safetensors")}, QStringLiteral("doctor"), 1,
        {QStringLiteral("out=problem: {root}/Model/weights/mamba_extra.safetensors: not in the registry: import it to keep it, or delete it if an interrupted 'remove' or 'cleanup' left it\n"),
         QStringLiteral("unchanged")});
    row("doctor finds a missing file", {QStringLiteral("delete:{weight}")}, QStringLiteral("doctor"), 1,
        {QStringLiteral("out=problem: {weight}: registered as 'mamba_sample' but missing\n"), QStringLiteral("unchanged")});
    row("broken registry: list-weights", {QStringLiteral("write:") + reg + QStringLiteral(">{\"weights\": ")}, QStringLiteral("list-weights"), 1,
        {QStringLiteral("err^^") + reg + QStringLiteral(": not valid JSON at line 1, column 13: [^\n]+\\. The file was left untouched; run 'tantra-model-manager doctor --rebuild'"),
         QStringLiteral("unchanged")});
    row("broken registry: set-active", {QStringLiteral("write:") + reg + QStringLiteral(">[1]")}, QStringLiteral("set-active mamba_sample"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": the registry must be a JSON object\n"), QStringLiteral("unchanged")});
    row("broken registry: doctor", {QStringLiteral("write:") + reg + QStringLiteral(">{")}, QStringLiteral("doctor"), 1,
        {QStringLiteral("out^^problem: ") + reg + QStringLiteral(": not valid JSON at "),
         QStringLiteral("out~The file was left untouched\nhint:    run 'tantra-model-manager doctor --rebuild' to rebuild it from the weight files.\n"),
         QStringLiteral("unchanged")});
    row("newer registry", {QStringLiteral("write:") + reg + QStringLiteral(">{\"schema_version\": 2}")}, QStringLiteral("list-models"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": schema_version 2 is newer than this program understands (1); upgrade Tantra Weight Manager\n"), QStringLiteral("unchanged")});
    // ---- the registry is untrusted input, and not ours alone (issue #9)
    const QString alias = QStringLiteral("entry:mamba_alias>{\"version\": \"alias\", \"created\": \"2020-01-01T00:00:00.000Z\"}");
    row("validate --all: an entry without a version", {QStringLiteral("entry:mamba_alias>{\"version\": null}")}, QStringLiteral("validate --all"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": weights.mamba_alias.version: expected a version (a string), found nothing\n"),
         QStringLiteral("out="), QStringLiteral("unchanged")});
    row("cleanup: an active weight given as a list", {QStringLiteral("import {src} --version v1"), QStringLiteral("top:active_weights>{\"mamba\": [\"mamba_sample\"]}")},
        QStringLiteral("cleanup mamba --keep 0"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": active_weights.mamba: expected a weight name (a string) or null, found [\"mamba_sample\"]\n"),
         QStringLiteral("unchanged")});
    row("set-active: schema_version a string", {QStringLiteral("top:schema_version>\"2\"")}, QStringLiteral("set-active mamba_sample"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": schema_version: expected the integer 1, found \"2\"; refusing to read or rewrite the registry\n"),
         QStringLiteral("unchanged")});
    row("list-weights: weights an array", {QStringLiteral("top:weights>[1,2,3]")}, QStringLiteral("list-weights"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": weights: expected an object, found [1,2,3]\n"), QStringLiteral("unchanged")});
    row("remove an alias: the shared file stays", {alias}, QStringLiteral("remove mamba_alias"), 0,
        {QStringLiteral("out=Removed the entry mamba_alias; its file Model/weights/mamba_sample.safetensors stays, registered also as 'mamba_sample'\n"),
         QStringLiteral("exists={weight}")});
    row("remove an entry whose key is not its type and version", {QStringLiteral("entry:mamba_old>{\"version\": \"v9\"}")}, QStringLiteral("remove mamba_old"), 0,
        {QStringLiteral("out=Removed the entry mamba_old; its file Model/weights/mamba_sample.safetensors stays, registered also as 'mamba_sample'\n"),
         QStringLiteral("exists={weight}")});
    row("cleanup of an alias keeps the active weight's file", {alias}, QStringLiteral("cleanup mamba --keep 0"), 0,
        {QStringLiteral("out=removed mamba_alias (the entry only: its file is also registered as 'mamba_sample')\nkeep mamba_sample\nFreed 0 B\n"),
         QStringLiteral("exists={weight}")});
    row("import --move of a registered file", {}, QStringLiteral("import {weight} --version v2 --move"), 1,
        {QStringLiteral("err={weight}: already registered as 'mamba_sample'; --move would take the file away from it. Import without --move to register a copy.\n"),
         QStringLiteral("unchanged")});
    row("import of a registered file copies it", {}, QStringLiteral("import {weight} --version v2"), 0,
        {QStringLiteral("out~ as mamba_v2 "), QStringLiteral("exists={weight}"), QStringLiteral("exists={root}/Model/weights/mamba_v2.safetensors")});
    row("import in place of a file registered under another name", {QStringLiteral("entry:mamba_x>{\"version\": \"x\", \"path\": \"Model/weights/mamba_v7.safetensors\"}"),
                                                                  QStringLiteral("copy:{src}>{root}/Model/weights/mamba_v7.safetensors")},
        QStringLiteral("import {root}/Model/weights/mamba_v7.safetensors"), 1,
        {QStringLiteral("err={root}/Model/weights/mamba_v7.safetensors: already registered as 'mamba_x'; one file cannot be registered under two names.\n"),
         QStringLiteral("unchanged")});
    row("backup of a name leading outside", {QStringLiteral("mkdir:{scratch}/outside"), QStringLiteral("entry:../../../outside/pwn2>{}")}, QStringLiteral("backup ../../../outside/pwn2"), 1,
        {QStringLiteral("err=the weight name '../../../outside/pwn2' contains a path separator\n"), QStringLiteral("unchanged")});
    row("backup: a registry key leading outside", {QStringLiteral("mkdir:{scratch}/outside"), QStringLiteral("entry:../../../outside/pwn2>{}")}, QStringLiteral("backup mamba_sample"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": weights[\"../../../outside/pwn2\"]: the weight name '../../../outside/pwn2' contains a path separator\n"),
         QStringLiteral("unchanged")});
    row("backup through a symlinked folder in Model/backups",
        {QStringLiteral("mkdir:{scratch}/outside"), QStringLiteral("link:{scratch}/outside>{root}/Model/backups/evil"), QStringLiteral("entry:evil/pwn2>{}")},
        QStringLiteral("backup evil/pwn2"), 1, {QStringLiteral("err=the weight name 'evil/pwn2' contains a path separator\n"), QStringLiteral("unchanged")});
    row("backup into a symlinked Model/backups", {QStringLiteral("mkdir:{scratch}/outside"), QStringLiteral("link:{scratch}/outside>{root}/Model/backups")},
        QStringLiteral("backup mamba_sample"), 1,
        {QStringLiteral("err^^{root}/Model/backups/mamba_sample-\\d{8}-\\d{6}\\.zip: leads outside the workspace {root}; refusing to use it\n$"),
         QStringLiteral("unchanged")});
    row("list-backups through a symlinked Model/backups", {QStringLiteral("mkdir:{scratch}/outside"), QStringLiteral("link:{scratch}/outside>{root}/Model/backups")},
        QStringLiteral("list-backups"), 1,
        {QStringLiteral("err={root}/Model/backups: leads outside the workspace {root} (through a symbolic link); refusing to use it\n"), QStringLiteral("unchanged")});
    row("backup: a model type leading outside",
        {QStringLiteral("mkdir:{scratch}/outside"), QStringLiteral("write:{scratch}/outside/secret.yaml>secret"),
         QStringLiteral("entry:mamba_old>{\"model_type\": \"../../outside/secret\"}")},
        QStringLiteral("backup mamba_old"), 1,
        {QStringLiteral("err=") + reg + QStringLiteral(": weights.mamba_old.model_type: the model type '../../outside/secret' contains a path separator\n"),
         QStringLiteral("unchanged")});
    row("doctor: one file under two names", {alias}, QStringLiteral("doctor"), 1,
        {QStringLiteral("out=problem: {weight}: one file registered under 2 names ('mamba_alias', 'mamba_sample'); removing one keeps the file for the others\n"),
         QStringLiteral("unchanged")});
    row("doctor: a key that is not its type and version", {QStringLiteral("entry:mamba_old>{\"version\": \"v9\"}")}, QStringLiteral("doctor"), 1,
        {QStringLiteral("out=problem: ") + reg + QStringLiteral(": weights.mamba_old has model_type 'mamba' and version 'v9', so its name should be 'mamba_v9'\n"
                                                                  "problem: {weight}: one file registered under 2 names ('mamba_old', 'mamba_sample'); removing one keeps the file for the others\n"),
         QStringLiteral("unchanged")});
    row("doctor: a mistyped field", {QStringLiteral("entry:mamba_old>{\"version\": \"old\", \"size\": \"big\"}")}, QStringLiteral("doctor"), 1,
        {QStringLiteral("out=problem: ") + reg + QStringLiteral(": weights.mamba_old.size: expected a non-negative integer, found \"big\"\n"), QStringLiteral("unchanged")});
    row("doctor --rebuild: an unknown schema version is never rewritten", {QStringLiteral("top:schema_version>2.5")}, QStringLiteral("doctor --rebuild"), 1,
        {QStringLiteral("out=problem: ") + reg + QStringLiteral(": schema_version: expected the integer 1, found 2.5; refusing to read or rewrite the registry (not rebuilt)\n"),
         QStringLiteral("unchanged")});
    row("doctor --rebuild: a newer schema version is never rewritten", {QStringLiteral("top:schema_version>2")}, QStringLiteral("doctor --rebuild"), 1,
        {QStringLiteral("out=problem: ") + reg + QStringLiteral(": schema_version 2 is newer than this program understands (1); upgrade Tantra Weight Manager (not rebuilt)\n"),
         QStringLiteral("unchanged")});
    row("checksum of a missing file", {}, QStringLiteral("checksum {weight} {missing}"), 1,
        {QStringLiteral("out={weightsha}  {weight}\n"), QStringLiteral("err={missing}: cannot open: No such file or directory\n")});
    // A name is printed, never its escape sequences: the terminal would obey them.
    row("control characters in a name are printed escaped", {}, QStringLiteral("checksum {scratch}/a\x1b[2Jb\x07\u202e.safetensors"), 1,
        {QStringLiteral("err={scratch}/a\\u001b[2Jb\\u0007\\u202e.safetensors: cannot open: No such file or directory\n"), QStringLiteral("err!\x1b"),
         QStringLiteral("unchanged")});
    row("inspect a file that is no weight", {}, QStringLiteral("inspect {nonzip}"), 1, {QStringLiteral("err^^{nonzip}: ")});

    // ---- exit 2: wrong usage or environment
    const auto usage = [&](const char *name, const QString &command, const QString &message, QStringList prep = {}) {
        row(name, prep, command, 2, {QStringLiteral("err=") + message, QStringLiteral("out="), QStringLiteral("unchanged")});
    };
    row("no command", {}, QString(), 2, {QStringLiteral("err^^Usage: tantra-model-manager \\[--root DIR\\] COMMAND"), QStringLiteral("unchanged")});
    row("unknown command", {}, QStringLiteral("frobnicate"), 2, {QStringLiteral("err^^tantra-model-manager: unknown command 'frobnicate'\n\nUsage: "), QStringLiteral("unchanged")});
    usage("unknown option", QStringLiteral("list-weights --bogus"), QStringLiteral("tantra-model-manager list-weights: Unknown option 'bogus'.\n"));
    usage("option without its value", QStringLiteral("import {src} --type"), QStringLiteral("tantra-model-manager import: Missing value after '--type'.\n"));
    usage("set-active without a name", QStringLiteral("set-active"), QStringLiteral("set-active: give one weight name (see list-weights)\n"));
    usage("set-active with two names", QStringLiteral("set-active a b"), QStringLiteral("set-active: give one weight name (see list-weights)\n"));
    usage("remove without a name", QStringLiteral("remove"), QStringLiteral("remove: give one weight name\n"));
    usage("history without a type", QStringLiteral("history"), QStringLiteral("history: give one model type\n"));
    usage("config without a type", QStringLiteral("config"), QStringLiteral("config: give one model type\n"));
    usage("import without a path", QStringLiteral("import"), QStringLiteral("import: give one PATH (a .safetensors file, an index, a shard folder, or a PyTorch checkpoint)\n"));
    usage("import --new-type without --type", QStringLiteral("import x.safetensors --new-type"), QStringLiteral("import: --new-type needs --type\n"));
    usage("import --new-type --unvalidated", QStringLiteral("import x.safetensors --type t --new-type --unvalidated"),
          QStringLiteral("import: --new-type makes a type the file fits; --unvalidated is for a type it does not fit: give one of them\n"));
    usage("rollback without a type", QStringLiteral("rollback"), QStringLiteral("rollback: give one model type\n"));
    usage("backup without a name", QStringLiteral("backup"), QStringLiteral("backup: give one weight name\n"));
    usage("restore without an archive", QStringLiteral("restore"), QStringLiteral("restore: give one backup archive\n"));
    usage("cleanup without --keep", QStringLiteral("cleanup mamba"), QStringLiteral("cleanup: usage: cleanup TYPE --keep N [--dry-run]\n"));
    usage("cleanup without a type", QStringLiteral("cleanup --keep 1"), QStringLiteral("cleanup: usage: cleanup TYPE --keep N [--dry-run]\n"));
    usage("cleanup --keep -1", QStringLiteral("cleanup mamba --keep -1"), QStringLiteral("cleanup: --keep needs a whole number of 0 or more\n"));
    usage("cleanup --keep abc", QStringLiteral("cleanup mamba --keep abc"), QStringLiteral("cleanup: --keep needs a whole number of 0 or more\n"));
    usage("validate without a type", QStringLiteral("validate"), QStringLiteral("validate: usage: validate TYPE [--version V] [--deep] | validate --all [--deep]\n"));
    usage("validate --all with a type", QStringLiteral("validate --all mamba"), QStringLiteral("validate: usage: validate TYPE [--version V] [--deep] | validate --all [--deep]\n"));
    usage("list-weights with two types", QStringLiteral("list-weights a b"), QStringLiteral("list-weights: give at most one model type\n"));
    usage("verify with two names", QStringLiteral("verify a b"), QStringLiteral("verify: give at most one model type or weight name\n"));
    usage("create-config without a type", QStringLiteral("create-config"), QStringLiteral("create-config: give the new model type, then optional key=value overrides\n"));
    usage("create-config with a bad override", QStringLiteral("create-config big d_model"), QStringLiteral("create-config: 'd_model' is not a key=value override\n"));
    usage("setup with an argument", QStringLiteral("setup now"), QStringLiteral("setup: takes no arguments, not 'now'\n"));
    usage("doctor with an argument", QStringLiteral("doctor now please"), QStringLiteral("doctor: takes no arguments, not 'now please'\n"));
    usage("list-models with an argument", QStringLiteral("list-models mamba"), QStringLiteral("list-models: takes no arguments, not 'mamba'\n"));
    usage("list-backups with an argument", QStringLiteral("list-backups mamba"), QStringLiteral("list-backups: takes no arguments, not 'mamba'\n"));
    usage("inspect without a path", QStringLiteral("inspect"), QStringLiteral("inspect: give exactly one PATH (a .safetensors file, an index, a folder with an index, or a PyTorch .bin/.pt/.pth)\n"));
    usage("checksum without files", QStringLiteral("checksum"), QStringLiteral("checksum: give one or more files\n"));
    usage("not a workspace", QStringLiteral("--root {empty} list-weights"),
          QStringLiteral("{empty}: not a Tantra workspace (no Model/weights or Config); run 'tantra-model-manager setup' there first\n"), {QStringLiteral("mkdir:{empty}")});
    usage("no such root", QStringLiteral("--root {scratch}/nowhere doctor"), QStringLiteral("{scratch}/nowhere: no such folder (set --root or $TANTRA_ROOT)\n"));
    // setup creates a missing root itself; one that cannot be created is an environment error.
    usage("setup where no folder can be made", QStringLiteral("setup --root /proc/tantra-nowhere"),
          QStringLiteral("/proc/tantra-nowhere: cannot create the folder\n"));
}

void TestCliWorkspace::runRow()
{
    QFETCH(QStringList, prep);
    QFETCH(QString, command);
    QFETCH(bool, viaEnv);
    QFETCH(int, exitCode);
    QFETCH(QStringList, expect);
    const Fixture f = fresh();
    for (const QString &step : prep) {
        prepare(step, f);
        if (QTest::currentTestFailed())
            return;
    }
    const QStringList args = expand(command, f).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    const bool checkUnchanged = expect.contains(QStringLiteral("unchanged"));
    const auto before = checkUnchanged ? test::treeSnapshot(f.scratch) : QMap<QString, QString>();
    const auto r = viaEnv ? test::runCli(args, f.root) : runWith(args, QString());
    const QString what = describe(args, r);
    QVERIFY2(r.exitCode == exitCode, qPrintable(what));
    if (exitCode == 0 && std::none_of(expect.begin(), expect.end(), [](const QString &e) { return e.startsWith(QLatin1String("err")); }))
        QVERIFY2(r.err.isEmpty(), qPrintable(what));
    for (const QString &e : expect) {
        const QString value = expand(e.mid(4), f);
        const QString stream = e.startsWith(QLatin1String("out")) ? r.out : r.err;
        if (e == QLatin1String("unchanged")) {
            const auto after = test::treeSnapshot(f.scratch);
            QVERIFY2(before == after, qPrintable(what + QStringLiteral("\nchanged:\n") + test::treeDiff(before, after)));
        } else if (e.startsWith(QLatin1String("exists="))) {
            QVERIFY2(QFileInfo::exists(expand(e.mid(7), f)), qPrintable(e));
        } else if (e.startsWith(QLatin1String("gone="))) {
            QVERIFY2(!QFileInfo::exists(expand(e.mid(5), f)), qPrintable(e));
        } else if (e.at(3) == QLatin1Char('=')) {
            QVERIFY2(stream == value, qPrintable(what + QStringLiteral("\nexpected ") + e.left(3) + QStringLiteral(":\n") + value));
        } else if (e.at(3) == QLatin1Char('~')) {
            QVERIFY2(stream.contains(value), qPrintable(what + QStringLiteral("\nlacks: ") + value));
        } else if (e.at(3) == QLatin1Char('!')) {
            QVERIFY2(!stream.contains(value), qPrintable(what + QStringLiteral("\nmust not contain: ") + value));
        } else if (e.at(3) == QLatin1Char('^')) {
            // Placeholders hold paths: quote them, then they are literal inside the pattern.
            QString pattern = e.mid(4);
            for (const char *ph : {"{root}", "{src}", "{bad}", "{weight}", "{nonzip}", "{missing}", "{empty}", "{scratch}", "{backup}"})
                pattern.replace(QLatin1String(ph), QRegularExpression::escape(expand(QLatin1String(ph), f)));
            const QRegularExpression re(pattern);
            QVERIFY2(re.isValid(), qPrintable(re.errorString()));
            QVERIFY2(re.match(stream).hasMatch(), qPrintable(what + QStringLiteral("\ndoes not match: ") + pattern));
        } else {
            QFAIL(qPrintable(QStringLiteral("bad expectation ") + e));
        }
    }
}

QTEST_GUILESS_MAIN(TestCliWorkspace)
#include "tst_cli_workspace.moc"
