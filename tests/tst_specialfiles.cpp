// Files that are not regular files, where the workspace or the command line names a file: a
// FIFO (opening it for reading waits for a writer, forever), a folder, a device. Each case runs
// the CLI with a timeout, so a regression fails instead of hanging the suite; each asserts the
// message that names the path and what it is, and that nothing in the workspace changed.

#include "safetensorsmodel.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <sys/stat.h>

using namespace tantra;

namespace {

constexpr int kTimeoutMs = 30'000;

QString describe(const QStringList &args, const test::CliRun &r)
{
    return QStringLiteral("tantra-model-manager %1\nexit %2\n--- stdout\n%3--- stderr\n%4")
        .arg(args.join(QLatin1Char(' ')))
        .arg(r.exitCode)
        .arg(r.out, r.err);
}

bool makeFifo(const QString &path)
{
    QFile::remove(path);
    return ::mkfifo(QFile::encodeName(path).constData(), 0644) == 0;
}

} // namespace

class TestSpecialFiles : public QObject
{
    Q_OBJECT

    QTemporaryDir m_template;
    QString m_templateRoot;
    std::vector<std::unique_ptr<QTemporaryDir>> m_dirs;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_template.isValid());
        m_templateRoot = m_template.filePath(QStringLiteral("ws"));
        test::makeWorkspace(m_templateRoot);
    }

    void refusedWithoutWaiting_data()
    {
        QTest::addColumn<QString>("special"); // what is replaced (relative to the scratch folder) and by what: "fifo:PATH" or "dir:PATH"
        QTest::addColumn<QString>("command"); // {ws} is the workspace, {scratch} its parent
        QTest::addColumn<QString>("message"); // a line of the output; {ws}, {scratch} as above
        QTest::addColumn<bool>("records");    // the command records its result in the registry

        const QString fifo = QStringLiteral("is a FIFO (named pipe), not a regular file");
        QTest::newRow("import: the file to import")
            << QStringLiteral("fifo:in.safetensors") << QStringLiteral("import {scratch}/in.safetensors --type mamba --version v2")
            << QStringLiteral("{scratch}/in.safetensors: ") + fifo << false;
        QTest::newRow("import: the file to import, type guessed")
            << QStringLiteral("fifo:in.safetensors") << QStringLiteral("import {scratch}/in.safetensors")
            << QStringLiteral("{scratch}/in.safetensors: ") + fifo << false;
        QTest::newRow("inspect: a shard the index lists")
            << QStringLiteral("fifo:set/model-00001-of-00001.safetensors") << QStringLiteral("inspect {scratch}/set/model.safetensors.index.json")
            << QStringLiteral("{scratch}/set/model-00001-of-00001.safetensors: ") + fifo << false;
        QTest::newRow("import: a shard the index lists")
            << QStringLiteral("fifo:set/model-00001-of-00001.safetensors") << QStringLiteral("import {scratch}/set --type mamba --version v3")
            << QStringLiteral("{scratch}/set/model-00001-of-00001.safetensors: ") + fifo << false;
        QTest::newRow("inspect: the shard index itself")
            << QStringLiteral("fifo:set/model.safetensors.index.json") << QStringLiteral("inspect {scratch}/set/model.safetensors.index.json")
            << QStringLiteral("{scratch}/set/model.safetensors.index.json: ") + fifo << false;
        QTest::newRow("validate: a registered weight")
            << QStringLiteral("fifo:ws/Model/weights/mamba_sample.safetensors") << QStringLiteral("validate mamba")
            << QStringLiteral("{ws}/Model/weights/mamba_sample.safetensors: ") + fifo << true;
        QTest::newRow("backup: a registered weight")
            << QStringLiteral("fifo:ws/Model/weights/mamba_sample.safetensors") << QStringLiteral("backup mamba_sample")
            << QStringLiteral("{ws}/Model/weights/mamba_sample.safetensors: ") + fifo + QStringLiteral("; 'mamba_sample' cannot be backed up") << false;
        QTest::newRow("checksum: a file named on the command line")
            << QStringLiteral("fifo:in.safetensors") << QStringLiteral("checksum {scratch}/in.safetensors")
            << QStringLiteral("{scratch}/in.safetensors: ") + fifo << false;
        QTest::newRow("import: the config of the type")
            << QStringLiteral("fifo:ws/Config/mamba.yaml") << QStringLiteral("import {scratch}/real.safetensors --type mamba --version v2")
            << QStringLiteral("{ws}/Config/mamba.yaml: ") + fifo << false;
        QTest::newRow("list-weights: the registry")
            << QStringLiteral("fifo:ws/Model/weight_config.json") << QStringLiteral("list-weights")
            << QStringLiteral("{ws}/Model/weight_config.json: cannot read the registry: ") + fifo << false;
        QTest::newRow("set-active: the registry lock")
            << QStringLiteral("fifo:ws/Model/weight_config.json.lock") << QStringLiteral("set-active mamba_sample")
            << QStringLiteral("{ws}/Model/weight_config.json.lock: ") + fifo + QStringLiteral("; the registry lock must be a file: remove it") << false;
        QTest::newRow("set-active: the registry lock is a folder")
            << QStringLiteral("dir:ws/Model/weight_config.json.lock") << QStringLiteral("set-active mamba_sample")
            << QStringLiteral("{ws}/Model/weight_config.json.lock: is a folder, not a regular file; the registry lock must be a file: remove it") << false;
        QTest::newRow("restore: the archive")
            << QStringLiteral("fifo:backup.zip") << QStringLiteral("restore {scratch}/backup.zip --as r1")
            << QStringLiteral("{scratch}/backup.zip: ") + fifo << false;
        QTest::newRow("inspect: a device")
            << QString() << QStringLiteral("inspect /dev/zero")
            << QStringLiteral("/dev/zero: is a character device, not a regular file") << false;
    }
    void refusedWithoutWaiting()
    {
        QFETCH(QString, special);
        QFETCH(QString, command);
        QFETCH(QString, message);
        QFETCH(bool, records);
        m_dirs.push_back(std::make_unique<QTemporaryDir>());
        const QString scratch = m_dirs.back()->path();
        const QString ws = scratch + QStringLiteral("/ws");
        test::copyTree(m_templateRoot, ws);
        test::writeSample(scratch + QStringLiteral("/real.safetensors"), QStringLiteral("mamba"), 11);
        // A one-shard set whose index names the shard, for the rows that replace a part of it.
        QVERIFY(QDir().mkpath(scratch + QStringLiteral("/set")));
        const QString shard = test::writeSample(scratch + QStringLiteral("/set/model-00001-of-00001.safetensors"), QStringLiteral("mamba"), 12);
        auto model = SafetensorsModel::open(shard);
        QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));
        QJsonObject weightMap;
        for (const auto &t : model->tensors())
            weightMap[QString::fromStdString(t.info->name)] = QStringLiteral("model-00001-of-00001.safetensors");
        test::writeBytes(scratch + QStringLiteral("/set/model.safetensors.index.json"),
                         QJsonDocument(QJsonObject{{QStringLiteral("metadata"), QJsonObject{}}, {QStringLiteral("weight_map"), weightMap}}).toJson());

        if (special.startsWith(QLatin1String("fifo:"))) {
            QVERIFY(makeFifo(scratch + QLatin1Char('/') + special.mid(5)));
        } else if (special.startsWith(QLatin1String("dir:"))) {
            const QString path = scratch + QLatin1Char('/') + special.mid(4);
            QFile::remove(path);
            QVERIFY(QDir().mkpath(path));
        }
        const auto fill = [&](QString text) {
            return text.replace(QStringLiteral("{scratch}"), scratch).replace(QStringLiteral("{ws}"), ws);
        };
        const QStringList args = fill(command).split(QLatin1Char(' '));
        const auto before = test::treeSnapshot(scratch);
        const auto r = test::runCli(args, ws, kTimeoutMs);
        QVERIFY2(r.exitCode != -1, qPrintable(QStringLiteral("hung or crashed\n") + describe(args, r)));
        QVERIFY2(r.exitCode == 1 || r.exitCode == 2, qPrintable(describe(args, r)));
        // validate reports per weight on stdout; the others fail on stderr.
        QVERIFY2(QString(r.out + r.err).contains(fill(message)), qPrintable(describe(args, r) + QStringLiteral("\nexpected in the output: ") + fill(message)));
        auto after = test::treeSnapshot(scratch);
        if (records) // validate records the failure it found
            after[QStringLiteral("ws/Model/weight_config.json")] = before.value(QStringLiteral("ws/Model/weight_config.json"));
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
    }
};

QTEST_GUILESS_MAIN(TestSpecialFiles)
#include "tst_specialfiles.moc"
