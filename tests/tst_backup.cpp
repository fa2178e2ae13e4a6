// Backups and restore: backup → remove → restore gives the same bytes and registry fields
// (single files and shard sets), restore --as, refusals, and hostile archives built byte by
// byte in the test (zip-slip names, lying sizes, bad checksums, missing members, foreign or
// broken files): each refused with a message naming the archive and the problem, with nothing
// written anywhere and the registry unchanged.

#include "backuparchive.h"
#include "configmanager.h"
#include "registry.h"
#include "safetensorswriter.h"
#include "samplegenerator.h"
#include "testutil.h"
#include "weightfiles.h"
#include "weightmanager.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace tantra;

namespace {

using test::writeSample;

WeightEntry entryOf(const WeightManager &m, const QString &name)
{
    auto data = m.snapshot();
    if (!data || !data->find(name))
        qFatal("no entry %s", qPrintable(name));
    return *data->find(name);
}

// Every file of a weight (a file, or a shard folder's files) by file name, with its bytes.
QMap<QString, QByteArray> weightBytes(const QString &path)
{
    QMap<QString, QByteArray> out;
    if (QFileInfo(path).isDir()) {
        for (const QFileInfo &f : QDir(path).entryInfoList(QDir::Files | QDir::Hidden))
            out.insert(f.fileName(), test::readFile(f.filePath()));
    } else {
        out.insert(QFileInfo(path).fileName(), test::readFile(path));
    }
    return out;
}

// path -> "size sha256" of a shard set's files.
QMap<QString, QString> filesByPath(const WeightEntry &w)
{
    QMap<QString, QString> out;
    for (const WeightFile &f : w.files)
        out.insert(f.path, QString::number(f.size) + QLatin1Char(' ') + f.sha256);
    return out;
}

void flipLastByte(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadWrite))
        qFatal("cannot open %s", qPrintable(path));
    f.seek(f.size() - 1);
    char c = 0;
    f.getChar(&c);
    f.seek(f.size() - 1);
    f.putChar(char(c ^ 0x01));
}

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Indented);
}

QJsonObject memberJson(const QString &name, qint64 size, const QString &sha)
{
    return QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("size"), double(size)}, {QStringLiteral("sha256"), sha}};
}

} // namespace

class TestBackup : public QObject
{
    Q_OBJECT

    QTemporaryDir m_template;
    QString m_templateRoot;
    std::vector<std::unique_ptr<QTemporaryDir>> m_dirs;

    // A scratch folder holding `ws`, a copy of the template workspace.
    QString freshWorkspace()
    {
        m_dirs.push_back(std::make_unique<QTemporaryDir>());
        const QString root = m_dirs.back()->filePath(QStringLiteral("ws"));
        test::copyTree(m_templateRoot, root);
        return root;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_template.isValid());
        m_templateRoot = m_template.filePath(QStringLiteral("ws"));
        test::makeWorkspace(m_templateRoot);
        WeightManager m{Workspace(m_templateRoot)};
        // mamba_v1: a single file, not active. mamba_sh: a shard set.
        ImportRequest single;
        single.source = writeSample(m_template.filePath(QStringLiteral("v1.safetensors")), QStringLiteral("mamba"), 101);
        single.modelType = QStringLiteral("mamba");
        single.version = QStringLiteral("v1");
        auto imported = m.importWeight(single);
        QVERIFY2(imported.ok(), qPrintable(test::errorOf(imported)));

        auto config = m.configs().getConfig(QStringLiteral("mamba"));
        QVERIFY(config.ok());
        auto sample = generateSampleWeights(*config, 102);
        QVERIFY(sample.ok());
        const QString shards = m_template.filePath(QStringLiteral("shards"));
        QVERIFY(QDir().mkpath(shards));
        QVERIFY(writeShardSet(shards, QStringLiteral("model"), sample->tensors, 1 << 20, {{"format", "pt"}}).ok());
        ImportRequest sharded;
        sharded.source = shards;
        sharded.modelType = QStringLiteral("mamba");
        sharded.version = QStringLiteral("sh");
        auto importedSet = m.importWeight(sharded);
        QVERIFY2(importedSet.ok(), qPrintable(test::errorOf(importedSet)));
    }
    void cleanup() { m_dirs.clear(); }

    void backupRemoveRestore_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("single file") << QStringLiteral("mamba_v1");
        QTest::newRow("shard set") << QStringLiteral("mamba_sh");
    }
    void backupRemoveRestore()
    {
        QFETCH(QString, name);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const WeightEntry before = entryOf(m, name);
        const QString path = root + QLatin1Char('/') + before.path;
        const QMap<QString, QByteArray> bytes = weightBytes(path);

        auto archive = m.backupWeight(name);
        QVERIFY2(archive.ok(), qPrintable(test::errorOf(archive)));
        QVERIFY2(QRegularExpression(QStringLiteral("^%1/Model/backups/%2-\\d{8}-\\d{6}\\.zip$").arg(QRegularExpression::escape(root), name))
                         .match(*archive)
                         .hasMatch(),
                 qPrintable(*archive));
        QCOMPARE(QDir(root + QStringLiteral("/Model/backups")).entryList(QDir::Files | QDir::Hidden).size(), 1); // no partial left

        // The manifest: the entry as registered, every file with its checksum, and the config.
        auto manifest = BackupArchive::readManifest(*archive);
        QVERIFY2(manifest.ok(), qPrintable(test::errorOf(manifest)));
        QCOMPARE(manifest->entry.name, name);
        QCOMPARE(manifest->entry.sha256, before.sha256);
        QCOMPARE(manifest->configMember, QStringLiteral("config/mamba.yaml"));
        QCOMPARE(manifest->members.size(), std::size_t(bytes.size() + 1));
        for (const BackupMember &member : manifest->members) {
            if (member.name == manifest->configMember) {
                QCOMPARE(member.sha256, test::sha256Of(root + QStringLiteral("/Config/mamba.yaml")));
                continue;
            }
            const QString file = QFileInfo(member.name).fileName();
            QVERIFY2(bytes.contains(file), qPrintable(member.name));
            QCOMPARE(member.name, before.sharded ? QStringLiteral("weights/%1/%2").arg(name, file) : QStringLiteral("weights/%1.safetensors").arg(name));
            QCOMPARE(member.size, quint64(bytes.value(file).size()));
            QCOMPARE(member.sha256, test::sha256Of(QFileInfo(path).isDir() ? path + QLatin1Char('/') + file : path));
        }

        QVERIFY(m.removeWeight(name));
        QVERIFY(!QFileInfo::exists(path));

        auto restored = m.restoreBackup(*archive);
        QVERIFY2(restored.ok(), qPrintable(test::errorOf(restored)));
        QCOMPARE(weightBytes(path), bytes);
        if (!before.sharded)
            QCOMPARE(test::sha256Of(path), before.sha256);
        const WeightEntry after = entryOf(m, name);
        QCOMPARE(after.modelType, before.modelType);
        QCOMPARE(after.version, before.version);
        QCOMPARE(after.path, before.path);
        QCOMPARE(after.sharded, before.sharded);
        QCOMPARE(after.size, before.size);
        QCOMPARE(after.sha256, before.sha256);
        QCOMPARE(after.metadata, before.metadata);
        // The same files (their order in the list carries no meaning).
        QCOMPARE(filesByPath(after), filesByPath(before));
        QCOMPARE(after.source, QStringLiteral("restored from %1").arg(QFileInfo(*archive).fileName()));
        // Created is the weight's own time; the restore is recorded beside it, and both read back.
        QCOMPARE(after.created, before.created);
        QVERIFY(!before.restored.isValid());
        QVERIFY(after.restored.isValid());
        QVERIFY(after.restored >= before.created);
        QVERIFY(qAbs(after.restored.secsTo(QDateTime::currentDateTimeUtc())) < 600);
        QCOMPARE(after.validation.status, ValidationStatus::NotValidated);
        QCOMPARE(m.snapshot()->activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_sample"));

        auto valid = m.validateWeights(QStringLiteral("mamba"), before.version, true);
        QVERIFY2(valid.ok() && valid->passed, qPrintable(valid.ok() ? valid->issues.join(QLatin1Char('\n')) : valid.errorString()));
        auto verified = m.verify(name);
        QVERIFY(verified.ok());
        QCOMPARE(verified->front().status, ChecksumStatus::Ok);
        const QStringList leftovers = QDir(root + QStringLiteral("/Model/weights")).entryList(QDir::Hidden | QDir::AllEntries | QDir::NoDotAndDotDot);
        for (const QString &f : leftovers)
            QVERIFY2(!isPartialName(f), qPrintable(f));
    }

    void restoreAs_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("single file") << QStringLiteral("mamba_v1");
        QTest::newRow("shard set") << QStringLiteral("mamba_sh");
    }
    void restoreAs()
    {
        QFETCH(QString, name);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const WeightEntry original = entryOf(m, name);
        auto archive = m.backupWeight(name);
        QVERIFY2(archive.ok(), qPrintable(test::errorOf(archive)));
        auto restored = m.restoreBackup(*archive, QStringLiteral("v2"));
        QVERIFY2(restored.ok(), qPrintable(test::errorOf(restored)));
        QCOMPARE(restored->name, QStringLiteral("mamba_v2"));
        QCOMPARE(restored->version, QStringLiteral("v2"));
        const QString expectedPath = original.sharded ? QStringLiteral("Model/weights/mamba_v2") : QStringLiteral("Model/weights/mamba_v2.safetensors");
        QCOMPARE(restored->path, expectedPath);
        QCOMPARE(weightBytes(root + QLatin1Char('/') + expectedPath).values(), weightBytes(root + QLatin1Char('/') + original.path).values());
        const WeightEntry stored = entryOf(m, QStringLiteral("mamba_v2"));
        QCOMPARE(stored.sha256, original.sha256);
        QCOMPARE(stored.files.size(), original.files.size());
        for (const WeightFile &f : stored.files) {
            QVERIFY2(f.path.startsWith(QStringLiteral("Model/weights/mamba_v2/")), qPrintable(f.path));
            QCOMPARE(f.sha256, test::sha256Of(root + QLatin1Char('/') + f.path));
        }
        QVERIFY(entryOf(m, name).sha256 == original.sha256); // the original stays
        auto verified = m.verify(QStringLiteral("mamba_v2"));
        QVERIFY(verified.ok());
        QCOMPARE(verified->front().status, ChecksumStatus::Ok);
    }

    void restoreRefusals_data()
    {
        QTest::addColumn<QString>("as");
        QTest::addColumn<QString>("prepare");
        QTest::addColumn<QString>("message"); // {archive}, {root}
        // What to do about it is a value; the CLI words it as a command, the GUI as a menu path.
        QTest::addColumn<Remedy>("remedy");
        QTest::newRow("existing name") << QString() << QString() << QStringLiteral("{archive}: 'mamba_v1' is already registered")
                                       << Remedy::RestoreAsAnotherVersion;
        QTest::newRow("existing name via --as") << QStringLiteral("sample") << QString()
                                                << QStringLiteral("{archive}: 'mamba_sample' is already registered") << Remedy::RestoreAsAnotherVersion;
        QTest::newRow("unregistered file in the way") << QStringLiteral("v3") << QStringLiteral("stray")
                                                      << QStringLiteral("{root}/Model/weights/mamba_v3.safetensors: a file is already there but not registered")
                                                      << Remedy::RepairOrChooseVersion;
        QTest::newRow("--as with a path") << QStringLiteral("../../x") << QString()
                                          << QStringLiteral("{archive}: the version '../../x' contains a path separator") << Remedy::None;
        QTest::newRow("--as with ..") << QStringLiteral("x..y") << QString() << QStringLiteral("{archive}: the version 'x..y' contains '..'") << Remedy::None;
        QTest::newRow("--as hidden") << QStringLiteral(".x") << QString() << QStringLiteral("{archive}: the version '.x' starts with '.'") << Remedy::None;
    }
    void restoreRefusals()
    {
        QFETCH(QString, as);
        QFETCH(QString, prepare);
        QFETCH(QString, message);
        QFETCH(Remedy, remedy);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        auto archive = m.backupWeight(QStringLiteral("mamba_v1"));
        QVERIFY2(archive.ok(), qPrintable(test::errorOf(archive)));
        if (prepare == QLatin1String("stray"))
            test::writeBytes(root + QStringLiteral("/Model/weights/mamba_v3.safetensors"), "someone else's");
        const auto before = test::treeSnapshot(QFileInfo(root).absolutePath());
        auto restored = m.restoreBackup(*archive, as);
        QCOMPARE(test::errorOf(restored), QString(message).replace(QStringLiteral("{archive}"), *archive).replace(QStringLiteral("{root}"), root));
        QCOMPARE(restored.error().remedy, remedy);
        const auto after = test::treeSnapshot(QFileInfo(root).absolutePath());
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
    }

    // The config comes back only where the workspace has none; an edited one is kept.
    void restoreConfig()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const QString config = root + QStringLiteral("/Config/mamba.yaml");
        const QByteArray shipped = test::readFile(config);
        auto archive = m.backupWeight(QStringLiteral("mamba_v1"));
        QVERIFY(archive.ok());
        test::writeBytes(config, shipped + "# edited\n");
        QVERIFY(m.restoreBackup(*archive, QStringLiteral("r1")).ok());
        QCOMPARE(test::readFile(config), shipped + "# edited\n");
        QVERIFY(QFile::remove(config));
        QVERIFY(m.restoreBackup(*archive, QStringLiteral("r2")).ok());
        QCOMPARE(test::readFile(config), shipped);
    }

    void backupRefusesAChangedFile()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        const QString path = root + QStringLiteral("/Model/weights/mamba_v1.safetensors");
        flipLastByte(path);
        auto archive = m.backupWeight(QStringLiteral("mamba_v1"));
        QCOMPARE(test::errorOf(archive),
                 path + QStringLiteral(": its checksum no longer matches the registry (the file changed after it was registered); no backup was made"));
        QCOMPARE(archive.error().path, path);
        QCOMPARE(archive.error().remedy, Remedy::VerifyWeight);
        QCOMPARE(archive.error().subject, QStringLiteral("mamba_v1"));
        QCOMPARE(QDir(root + QStringLiteral("/Model/backups")).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());

        // A shard set with one changed shard is refused the same way.
        const WeightEntry sh = entryOf(m, QStringLiteral("mamba_sh"));
        flipLastByte(root + QLatin1Char('/') + sh.files.back().path);
        auto shArchive = m.backupWeight(QStringLiteral("mamba_sh"));
        QCOMPARE(test::errorOf(shArchive),
                 root + QStringLiteral("/Model/weights/mamba_sh: its checksum no longer matches the registry (the file changed after it was registered); no backup was made"));
        QCOMPARE(shArchive.error().subject, QStringLiteral("mamba_sh"));
        QCOMPARE(QDir(root + QStringLiteral("/Model/backups")).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
    }

    void backupErrors()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        QCOMPARE(test::errorOf(m.backupWeight(QStringLiteral("mamba_v7"))),
                 root + QStringLiteral("/Model/weight_config.json: no weight named 'mamba_v7' is registered"));
        QVERIFY(QFile::remove(root + QStringLiteral("/Model/weights/mamba_v1.safetensors")));
        QCOMPARE(test::errorOf(m.backupWeight(QStringLiteral("mamba_v1"))),
                 root + QStringLiteral("/Model/weights/mamba_v1.safetensors: the file of 'mamba_v1' is missing"));
        QVERIFY(QDir(root + QStringLiteral("/Model/weights/mamba_sh")).removeRecursively());
        QCOMPARE(test::errorOf(m.backupWeight(QStringLiteral("mamba_sh"))),
                 root + QStringLiteral("/Model/weights/mamba_sh: the shard folder of 'mamba_sh' is missing"));
        QCOMPARE(QDir(root + QStringLiteral("/Model/backups")).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
    }

    void listBackups()
    {
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        auto a = m.backupWeight(QStringLiteral("mamba_v1"));
        auto b = m.backupWeight(QStringLiteral("mamba_sh"));
        QVERIFY(a.ok() && b.ok());
        test::writeBytes(root + QStringLiteral("/Model/backups/junk.zip"), "not a zip");
        auto list = m.listBackups();
        QVERIFY2(list.ok(), qPrintable(test::errorOf(list)));
        QCOMPARE(list->size(), std::size_t(3));
        std::map<QString, BackupInfo> byPath;
        for (const BackupInfo &info : *list)
            byPath[info.path] = info;
        QCOMPARE(byPath.at(*a).weight, QStringLiteral("mamba_v1"));
        QCOMPARE(byPath.at(*a).modelType, QStringLiteral("mamba"));
        QCOMPARE(byPath.at(*a).size, quint64(QFileInfo(*a).size()));
        QCOMPARE(byPath.at(*a).created, BackupArchive::readManifest(*a)->created);
        QCOMPARE(byPath.at(*b).weight, QStringLiteral("mamba_sh"));
        const BackupInfo junk = byPath.at(root + QStringLiteral("/Model/backups/junk.zip"));
        QCOMPARE(junk.weight, QString());
        QCOMPARE(junk.size, quint64(9));
    }

    // ---------------- hostile archives

    void hostileArchive_data()
    {
        QTest::addColumn<QString>("kind");
        // {archive}: the archive; {actual}/{declared}: sizes; {sha}: the member's checksum,
        // {other}: the one the manifest claims. Empty for the control row.
        QTest::addColumn<QString>("message");
        const QString unsafe = QStringLiteral("{archive}: the manifest's member name '%1' %2; refusing the archive");
        QTest::newRow("control: a valid hand-made archive") << QStringLiteral("valid") << QString();
        QTest::newRow("zip-slip ../evil") << QStringLiteral("name:../evil") << unsafe.arg(QStringLiteral("../evil"), QStringLiteral("has a '..' path component"));
        QTest::newRow("zip-slip absolute") << QStringLiteral("name:/tmp/tantra-evil-abs")
                                           << unsafe.arg(QStringLiteral("/tmp/tantra-evil-abs"), QStringLiteral("is an absolute path"));
        QTest::newRow("zip-slip a/../../b") << QStringLiteral("name:weights/../../evil")
                                            << unsafe.arg(QStringLiteral("weights/../../evil"), QStringLiteral("has a '..' path component"));
        QTest::newRow("zip-slip backslashes") << QStringLiteral("name:weights\\..\\..\\evil")
                                              << unsafe.arg(QStringLiteral("weights\\\\..\\\\..\\\\evil"), QStringLiteral("contains a backslash"));
        QTest::newRow("zip-slip drive letter") << QStringLiteral("name:C:/evil") << unsafe.arg(QStringLiteral("C:/evil"), QStringLiteral("starts with a drive letter"));
        QTest::newRow("member name with a control character") << QStringLiteral("name:weights/a\x1b[2Jb")
                                                              << unsafe.arg(QStringLiteral("weights/a\\x1b[2Jb"), QStringLiteral("contains a control character"));
        QTest::newRow("unlisted unsafe entry") << QStringLiteral("extra-entry")
                                               << QStringLiteral("{archive}: the archive entry '../../outside.txt' has a '..' path component; refusing the archive");
        QTest::newRow("member larger than the manifest says") << QStringLiteral("larger")
                                                              << QStringLiteral("{archive}: member 'weights/mamba_v9.safetensors' is {actual} bytes but the manifest says {declared}; refusing it");
        QTest::newRow("member checksum mismatch") << QStringLiteral("checksum")
                                                  << QStringLiteral("{archive}: member 'weights/mamba_v9.safetensors' has checksum {sha} but the manifest says {other}; the backup is damaged");
        QTest::newRow("entry disagrees with its member") << QStringLiteral("entry-checksum")
                                                         << QStringLiteral("{archive}: the manifest's entry (sha256 {other}, {declared} bytes) does not match its members (sha256 {sha}, {declared} bytes); the backup is damaged");
        QTest::newRow("zip CRC mismatch") << QStringLiteral("crc") << QStringLiteral("{archive}: member 'weights/mamba_v9.safetensors' failed its CRC check");
        QTest::newRow("manifest lists a missing member") << QStringLiteral("missing-member")
                                                         << QStringLiteral("{archive}: member 'weights/mamba_v9.safetensors' listed in the manifest is missing");
        QTest::newRow("not a zip") << QStringLiteral("not-zip") << QStringLiteral("{archive}: not a zip archive");
        QTest::newRow("empty file") << QStringLiteral("empty") << QStringLiteral("{archive}: the file is empty, not a zip archive");
        // Cut short by a full disk or an interrupted copy: not "not a Tantra weight backup".
        QTest::newRow("truncated zip") << QStringLiteral("truncated")
                                       << QStringLiteral("{archive}: the zip archive is incomplete (its central directory at the end is missing or damaged; "
                                                         "was it truncated by a full disk or an interrupted copy?)");
        QTest::newRow("truncated zip, cut in its last bytes") << QStringLiteral("truncated-end")
                                                              << QStringLiteral("{archive}: the zip archive is incomplete (its central directory at the end is missing or damaged; "
                                                                                "was it truncated by a full disk or an interrupted copy?)");
        // The config member is checked like the weight's: it was skipped while the CLI said
        // "checksums verified", and installed without being parsed.
        QTest::newRow("config member checksum mismatch") << QStringLiteral("config-checksum")
                                                         << QStringLiteral("{archive}: member 'config/mamba.yaml' has checksum {configsha} but the manifest says {other}; the backup is damaged");
        QTest::newRow("config member does not parse") << QStringLiteral("config-invalid")
                                                      << QStringLiteral("{archive}: member 'config/mamba.yaml' is not a valid config, so nothing was restored: {root}/Config/mamba.yaml:1:1: ");
        QTest::newRow("config member of another type") << QStringLiteral("config-other-type")
                                                       << QStringLiteral("{archive}: member 'config/mamba.yaml' is not a valid config, so nothing was restored: {root}/Config/mamba.yaml:");
        QTest::newRow("zip without manifest") << QStringLiteral("no-manifest") << QStringLiteral("{archive}: no manifest.json; this is not a Tantra weight backup");
        QTest::newRow("manifest not JSON") << QStringLiteral("manifest-garbage") << QStringLiteral("{archive}: manifest.json is not valid JSON (");
        QTest::newRow("foreign manifest") << QStringLiteral("foreign") << QStringLiteral("{archive}: manifest.json is not a Tantra weight backup manifest");
        QTest::newRow("newer format") << QStringLiteral("newer") << QStringLiteral("{archive}: backup format 99 is newer than this program understands");
        QTest::newRow("no members") << QStringLiteral("no-members") << QStringLiteral("{archive}: the manifest lists no members");
        QTest::newRow("checksum not hex") << QStringLiteral("short-sha")
                                          << QStringLiteral("{archive}: member 'weights/mamba_v9.safetensors' has no valid checksum in the manifest");
        QTest::newRow("entry without path") << QStringLiteral("no-path") << QStringLiteral("{archive}: entry.path: expected a path relative to the workspace, found \"\"");
        QTest::newRow("version with ..") << QStringLiteral("version:v..9") << QStringLiteral("{archive}: entry.version: the version 'v..9' contains '..'");
        QTest::newRow("version with a path") << QStringLiteral("version:../../v9") << QStringLiteral("{archive}: entry.version: the version '../../v9' contains a path separator");
        QTest::newRow("type with a path") << QStringLiteral("type:../mamba") << QStringLiteral("{archive}: entry.model_type: the model type '../mamba' contains a path separator");
        // The manifest is read like the registry: its names and fields are checked the same way.
        QTest::newRow("name with a path") << QStringLiteral("weight-name:../../../outside/pwn2")
                                          << QStringLiteral("{archive}: entry: the weight name '../../../outside/pwn2' contains a path separator");
        QTest::newRow("entry size not a number") << QStringLiteral("entry-field:size=\"big\"")
                                                 << QStringLiteral("{archive}: entry.size: expected a non-negative integer, found \"big\"");
        QTest::newRow("entry without a version") << QStringLiteral("entry-field:version")
                                                 << QStringLiteral("{archive}: entry.version: expected a version (a string), found nothing");
        QTest::newRow("two members for one file") << QStringLiteral("two-members")
                                                  << QStringLiteral("{archive}: a single-file weight must have exactly one weight member, not 2");
        QTest::newRow("member is not safetensors") << QStringLiteral("not-safetensors") << QStringLiteral("{archive}: the restored weight does not open: ");
    }
    void hostileArchive()
    {
        QFETCH(QString, kind);
        QFETCH(QString, message);
        const QString root = freshWorkspace();
        const QString scratch = QFileInfo(root).absolutePath();
        const QString incoming = scratch + QStringLiteral("/incoming");
        QVERIFY(QDir().mkpath(incoming));
        const QString archive = incoming + QStringLiteral("/backup.zip");
        WeightManager m{Workspace(root)};

        // The parts of a genuine backup of mamba_v1, restored as version v9.
        WeightEntry entry = entryOf(m, QStringLiteral("mamba_v1"));
        const QByteArray weight = test::readFile(root + QLatin1Char('/') + entry.path);
        const QString sha = entry.sha256;
        const QString other = QString(64, QLatin1Char('e'));
        QByteArray config = test::readFile(root + QStringLiteral("/Config/mamba.yaml"));
        QString configSha;
        QString memberName = QStringLiteral("weights/mamba_v9.safetensors");
        entry.name = QStringLiteral("mamba_v9");
        entry.version = QStringLiteral("v9");
        entry.path = QStringLiteral("Model/weights/mamba_v9.safetensors");
        QByteArray memberData = weight;
        qint64 manifestSize = weight.size();
        QString manifestSha = sha;
        std::vector<test::ZipMember> extra;
        qint64 declaredCrc = -1;
        QJsonObject manifest;
        QJsonArray members;
        bool listMember = true;
        bool includeMember = true;
        QString replaceWith; // a whole different file instead of an archive

        if (kind.startsWith(QLatin1String("name:"))) {
            memberName = kind.mid(5);
        } else if (kind == QLatin1String("extra-entry")) {
            extra.push_back({"../../outside.txt", "gotcha"});
        } else if (kind == QLatin1String("larger")) {
            memberData = weight + QByteArray(4096, 'x');
        } else if (kind == QLatin1String("checksum")) {
            manifestSha = other;
            entry.sha256 = other;
        } else if (kind == QLatin1String("entry-checksum")) {
            entry.sha256 = other;
        } else if (kind == QLatin1String("crc")) {
            declaredCrc = test::crc32Of(weight) ^ 0x5a5a5a5a;
        } else if (kind == QLatin1String("missing-member")) {
            includeMember = false;
        } else if (kind == QLatin1String("not-zip")) {
            replaceWith = QStringLiteral("random");
        } else if (kind == QLatin1String("empty")) {
            replaceWith = QStringLiteral("empty");
        } else if (kind == QLatin1String("truncated")) {
            replaceWith = QStringLiteral("truncated");
        } else if (kind == QLatin1String("short-sha")) {
            manifestSha = QStringLiteral("abc123");
        } else if (kind == QLatin1String("no-path")) {
            entry.path.clear();
        } else if (kind.startsWith(QLatin1String("version:"))) {
            entry.version = kind.mid(8);
        } else if (kind.startsWith(QLatin1String("type:"))) {
            entry.modelType = kind.mid(5);
        } else if (kind == QLatin1String("two-members")) {
            extra.push_back({"weights/mamba_v9b.safetensors", weight});
            members.append(memberJson(QStringLiteral("weights/mamba_v9b.safetensors"), weight.size(), sha));
        } else if (kind == QLatin1String("not-safetensors")) {
            memberData = "hello, not a weight";
            manifestSize = memberData.size();
            manifestSha = QString::fromLatin1(QCryptographicHash::hash(memberData, QCryptographicHash::Sha256).toHex());
            entry.sha256 = manifestSha;
            entry.size = quint64(manifestSize);
        } else if (kind == QLatin1String("no-members")) {
            listMember = false;
        } else if (kind == QLatin1String("config-checksum")) {
            configSha = other;
        } else if (kind == QLatin1String("config-invalid") || kind == QLatin1String("config-other-type")) {
            config = kind == QLatin1String("config-invalid") ? QByteArray("- a list\n- not a config\n")
                                                             : QByteArray(config).replace("model_type: mamba", "model_type: other");
            QVERIFY(config.contains("- a list") || config.contains("model_type: other"));
            // Only a config that would be installed is parsed: the workspace has none.
            QVERIFY(QFile::remove(root + QStringLiteral("/Config/mamba.yaml")));
        }
        const QString actualConfigSha = QString::fromLatin1(QCryptographicHash::hash(config, QCryptographicHash::Sha256).toHex());
        if (configSha.isEmpty())
            configSha = actualConfigSha;
        if (listMember)
            members.prepend(memberJson(memberName, manifestSize, manifestSha));
        if (kind != QLatin1String("no-members"))
            members.append(memberJson(QStringLiteral("config/mamba.yaml"), config.size(), configSha));
        if (kind == QLatin1String("no-members"))
            members = QJsonArray();
        manifest = QJsonObject{{QStringLiteral("format"), QStringLiteral("tantra-weight-backup")},
                               {QStringLiteral("format_version"), 1},
                               {QStringLiteral("created"), isoUtc(QDateTime::currentDateTimeUtc())},
                               {QStringLiteral("name"), kind.startsWith(QLatin1String("weight-name:")) ? kind.mid(12) : QStringLiteral("mamba_v9")},
                               {QStringLiteral("entry"), Registry::entryToJson(entry)},
                               {QStringLiteral("config"), QStringLiteral("config/mamba.yaml")},
                               {QStringLiteral("members"), members}};
        if (kind.startsWith(QLatin1String("entry-field:"))) {
            // "entry-field:KEY=JSON" sets a field of the manifest's entry; without "=", removes it.
            const QString spec = kind.mid(12);
            const auto eq = spec.indexOf(QLatin1Char('='));
            QJsonObject e = manifest.value(QStringLiteral("entry")).toObject();
            if (eq < 0)
                e.remove(spec);
            else
                e[spec.left(eq)] = QJsonDocument::fromJson((QStringLiteral("[") + spec.mid(eq + 1) + QStringLiteral("]")).toUtf8()).array().at(0);
            manifest[QStringLiteral("entry")] = e;
        }
        if (kind == QLatin1String("foreign"))
            manifest[QStringLiteral("format")] = QStringLiteral("something-else");
        if (kind == QLatin1String("newer"))
            manifest[QStringLiteral("format_version")] = 99;

        std::vector<test::ZipMember> zip;
        if (includeMember)
            zip.push_back({memberName.toUtf8(), memberData, -1, declaredCrc});
        zip.push_back({"config/mamba.yaml", config});
        for (const auto &e : extra)
            zip.push_back(e);
        if (kind == QLatin1String("manifest-garbage"))
            zip.push_back({"manifest.json", "{\"format\": \"tantra-weight-backup\", "});
        else if (kind != QLatin1String("no-manifest"))
            zip.push_back({"manifest.json", json(manifest)});
        QByteArray bytes = test::storedZip(zip);
        if (replaceWith == QLatin1String("random"))
            bytes = test::randomBytes(70000, 7);
        else if (replaceWith == QLatin1String("empty"))
            bytes.clear();
        else if (replaceWith == QLatin1String("truncated"))
            bytes = bytes.left(bytes.size() / 2);
        else if (kind == QLatin1String("truncated-end"))
            bytes.chop(10);
        test::writeBytes(archive, bytes);

        const QByteArray registry = test::readFile(m.registry().path());
        const auto before = test::treeSnapshot(scratch);
        auto restored = m.restoreBackup(archive);
        if (message.isEmpty()) {
            // The control: the same construction, untampered, restores and verifies.
            QVERIFY2(restored.ok(), qPrintable(test::errorOf(restored)));
            QCOMPARE(test::readFile(root + QStringLiteral("/Model/weights/mamba_v9.safetensors")), weight);
            auto verified = m.verify(QStringLiteral("mamba_v9"));
            QVERIFY(verified.ok());
            QCOMPARE(verified->front().status, ChecksumStatus::Ok);
            return;
        }
        QVERIFY(!restored.ok());
        const QString expected = QString(message)
                                         .replace(QStringLiteral("{archive}"), archive)
                                         .replace(QStringLiteral("{actual}"), QString::number(memberData.size()))
                                         .replace(QStringLiteral("{declared}"), QString::number(weight.size()))
                                         .replace(QStringLiteral("{sha}"), sha)
                                         .replace(QStringLiteral("{other}"), other)
                                         .replace(QStringLiteral("{configsha}"), actualConfigSha)
                                         .replace(QStringLiteral("{root}"), root);
        QVERIFY2(restored.errorString().startsWith(expected), qPrintable(restored.errorString() + QStringLiteral("\nexpected: ") + expected));
        // Nothing written anywhere (Model/weights included), the registry unchanged.
        const auto after = test::treeSnapshot(scratch);
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
        QCOMPARE(test::readFile(m.registry().path()), registry);
        QVERIFY(!QFileInfo::exists(QStringLiteral("/tmp/tantra-evil-abs")));
        QVERIFY(!QFileInfo::exists(QDir::currentPath() + QStringLiteral("/../evil")));
        // list-backups copes with it in the backups folder too.
        QVERIFY(QFile::copy(archive, root + QStringLiteral("/Model/backups/hostile.zip")));
        auto list = m.listBackups();
        QVERIFY(list.ok());
        QCOMPARE(list->size(), std::size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestBackup)
#include "tst_backup.moc"
