// Push and pull against a real S3 server: Ceph's RADOS Gateway, started by tests/s3/rgw.sh
// for this test (or the server named by $S3_ENDPOINT, $S3_ACCESS_KEY, $S3_SECRET_KEY,
// $S3_BUCKET). Without Ceph's packages the test skips, unless $TANTRA_REQUIRE_S3 is set (CI).
#include "jobcontext.h"
#include "registry.h"
#include "remotelist.h"
#include "remotestore.h"
#include "rgwserver.h"
#include "s3client.h"
#include "sha256.h"
#include "testutil.h"
#include "weightmanager.h"
#include "workspace.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QElapsedTimer>
#include <QThread>
#include <QtConcurrent>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

#include <cmath>

using namespace tantra;

namespace {

QByteArray f32Weight(qsizetype bytes, std::uint32_t seed)
{
    const QByteArray json = QStringLiteral(R"({"w":{"dtype":"F32","shape":[%1],"data_offsets":[0,%2]}})").arg(bytes / 4).arg(bytes / 4 * 4).toUtf8();
    QByteArray data = test::randomBytes(bytes / 4 * 4, seed);
    // Finite floats: clear each value's exponent's top bit.
    for (qsizetype i = 3; i < data.size(); i += 4)
        data[i] = char(data[i] & 0x3f);
    return test::safetensorsBytes(json, data);
}

} // namespace

class TestRemote : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void roundTrip_data();
    void roundTrip();
    void shardSetRoundTrip();
    void identicalFilesAreStoredOnce();
    void cancelledPushAndPullContinue();
    void killedPushContinues();
    void killedPullContinues();
    void twoMachinesPushTheSameWeight();
    void damagedBlobIsRefused();
    void changedLocalFileIsNotPushed();
    void garbageCollection();
    void errors_data();
    void errors();
    void hostileWorkspaceFiles();
    void remotesFile_data();
    void remotesFile();
    void cli();

private:
    Remote remoteAt(const QString &prefix) const;
    QString newPrefix() { return QStringLiteral("t%1-%2").arg(++m_prefixes).arg(QRandomGenerator::global()->generate() % 100000); }
    // The root of a fresh, set-up workspace: one machine of the test.
    QString newWorkspace();
    // `remote add team s3://BUCKET/PREFIX` run by the CLI in `root`.
    bool addRemoteByCli(const QString &root, const QString &prefix) const;
    // This process's environment with the server's keys, for a CLI run as a child.
    QProcessEnvironment credentialsEnvironment() const;
    // A workspace holding `file` imported as `type`_`version` (the type made from it).
    bool importInto(WeightManager &manager, const QByteArray &file, const QString &type, const QString &version);

    QTemporaryDir m_dir;
    test::RgwServer m_server;
    S3Endpoint m_endpoint;
    S3Credentials m_credentials;
    int m_prefixes = 0;
};

void TestRemote::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QString problem;
    switch (m_server.start(m_dir.filePath(QStringLiteral("rgw")), &problem)) {
    case test::RgwServer::State::Running: break;
    case test::RgwServer::State::Missing:
        if (!qEnvironmentVariableIsEmpty("TANTRA_REQUIRE_S3"))
            QFAIL(qPrintable(QStringLiteral("TANTRA_REQUIRE_S3 is set, but: ") + problem));
        QSKIP("Ceph's RADOS Gateway is not installed (apt-get install ceph-mon ceph-osd radosgw ceph-common): the S3 tests need a real server");
    case test::RgwServer::State::Failed: QFAIL(qPrintable(QStringLiteral("the S3 test server: ") + problem));
    }
    m_endpoint = m_server.endpoint;
    m_credentials = m_server.credentials;
}

void TestRemote::cleanupTestCase()
{
    QString problem;
    QVERIFY2(m_server.stop(&problem), qPrintable(problem));
}

QString TestRemote::newWorkspace()
{
    const QString root = m_dir.filePath(newPrefix());
    test::makeWorkspace(root);
    return root;
}

bool TestRemote::addRemoteByCli(const QString &root, const QString &prefix) const
{
    const auto added = test::runCli({QStringLiteral("--root"), root, QStringLiteral("remote"), QStringLiteral("add"), QStringLiteral("team"),
                                     QStringLiteral("s3://%1/%2").arg(m_endpoint.bucket, prefix), QStringLiteral("--endpoint"), m_endpoint.endpoint,
                                     QStringLiteral("--path-style")});
    if (added.exitCode != 0)
        qWarning("remote add failed: %s", qPrintable(added.err));
    return added.exitCode == 0;
}

QProcessEnvironment TestRemote::credentialsEnvironment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), m_credentials.accessKey);
    env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), m_credentials.secretKey);
    return env;
}

Remote TestRemote::remoteAt(const QString &prefix) const
{
    Remote r;
    r.name = QStringLiteral("team");
    r.bucket = m_endpoint.bucket;
    r.prefix = prefix + QLatin1Char('/');
    r.endpoint = m_endpoint.endpoint;
    r.pathStyle = true;
    return r;
}

bool TestRemote::importInto(WeightManager &manager, const QByteArray &file, const QString &type, const QString &version)
{
    const QString path = test::writeBytes(m_dir.filePath(QStringLiteral("incoming-%1.safetensors").arg(QRandomGenerator::global()->generate())), file);
    ImportRequest request;
    request.source = path;
    request.modelType = type;
    request.version = version;
    request.createType = !manager.configs().hasType(type);
    request.move = true;
    auto imported = manager.importWeight(request);
    if (!imported)
        qWarning("import failed: %s", qPrintable(imported.errorString()));
    return imported.ok();
}

void TestRemote::roundTrip_data()
{
    QTest::addColumn<qsizetype>("bytes");
    QTest::newRow("one request") << qsizetype(3 << 20);
    // Over kPartBytes: a multipart upload of two parts, pulled in two ranges.
    QTest::newRow("multipart") << qsizetype(RemoteStore::kPartBytes + (5 << 20));
}

// Push from one workspace, pull into another (another machine): the same bytes, registered
// under the same name with the same SHA-256; a second push sends nothing.
void TestRemote::roundTrip()
{
    QFETCH(qsizetype, bytes);
    const QString a = newWorkspace();
    const QString b = newWorkspace();
    WeightManager ma{Workspace(a)};
    WeightManager mb{Workspace(b)};
    QVERIFY(importInto(ma, f32Weight(bytes, 7), QStringLiteral("lm"), QStringLiteral("v1")));
    const WeightEntry pushed = *ma.snapshot()->find(QStringLiteral("lm_v1"));
    const RemoteStore store(remoteAt(newPrefix()), m_credentials);

    auto first = store.push(ma, QStringLiteral("lm_v1"));
    QVERIFY2(first.ok(), qPrintable(test::errorOf(first)));
    QCOMPARE(first->uploadedBytes, pushed.size);
    QCOMPARE(first->skippedBytes, std::uint64_t(0));
    auto second = store.push(ma, QStringLiteral("lm_v1"));
    QVERIFY2(second.ok(), qPrintable(test::errorOf(second)));
    QCOMPARE(second->uploadedBytes, std::uint64_t(0));
    QCOMPARE(second->skippedBytes, pushed.size);

    auto listed = store.listWeights();
    QVERIFY2(listed.ok(), qPrintable(test::errorOf(listed)));
    QCOMPARE(listed->weights.size(), std::size_t(1));
    QVERIFY(listed->unreadable.empty());
    QCOMPARE(listed->weights.front().entry.sha256, pushed.sha256);
    QVERIFY(!listed->weights.front().pushedBy.isEmpty());

    // Workspace b has no type "lm": it comes with the weight's config.
    auto pulled = store.pull(mb, QStringLiteral("lm_v1"), true);
    QVERIFY2(pulled.ok(), qPrintable(test::errorOf(pulled)));
    QCOMPARE(pulled->sha256, pushed.sha256);
    QCOMPARE(pulled->size, pushed.size);
    QCOMPARE(test::sha256Of(Workspace(b).absolutePath(pulled->path)), pushed.sha256);
    QCOMPARE(mb.snapshot()->activeOf(QStringLiteral("lm")), QStringLiteral("lm_v1"));
    QVERIFY(pulled->source.startsWith(QStringLiteral("pulled from team (s3://")));
    // A second pull of the same version is refused by the registry, and loses nothing.
    auto again = store.pull(mb, QStringLiteral("lm_v1"), false);
    QVERIFY(!again.ok());
    QVERIFY2(again.errorString().contains(QStringLiteral("already registered")), qPrintable(test::errorOf(again)));
}

// A shard set travels as its files and its index, each a blob, and comes back as the same set.
void TestRemote::shardSetRoundTrip()
{
    const QString a = newWorkspace();
    const QString b = newWorkspace();
    const auto resharded = test::runCli({QStringLiteral("--root"), a, QStringLiteral("reshard"), QStringLiteral("mamba_sample"),
                                         QStringLiteral("--max-shard-size"), QStringLiteral("1MB"), QStringLiteral("--as"), QStringLiteral("sharded")});
    QVERIFY2(resharded.exitCode == 0, qPrintable(resharded.err));
    WeightManager ma{Workspace(a)};
    WeightManager mb{Workspace(b)};
    const WeightEntry set = *ma.snapshot()->find(QStringLiteral("mamba_sharded"));
    QVERIFY(set.sharded);
    QVERIFY(set.files.size() >= 3);
    const RemoteStore store(remoteAt(newPrefix()), m_credentials);
    auto pushed = store.push(ma, set.name);
    QVERIFY2(pushed.ok(), qPrintable(test::errorOf(pushed)));
    QCOMPARE(pushed->uploadedBlobs, int(set.files.size()));
    QCOMPARE(pushed->uploadedBytes, set.size);
    auto manifest = store.manifest(set.name);
    QVERIFY2(manifest.ok(), qPrintable(test::errorOf(manifest)));
    QCOMPARE(manifest->files.size(), set.files.size());

    auto pulled = store.pull(mb, set.name, false);
    QVERIFY2(pulled.ok(), qPrintable(test::errorOf(pulled)));
    QVERIFY(pulled->sharded);
    QCOMPARE(pulled->sha256, set.sha256);
    QCOMPARE(pulled->files.size(), set.files.size());
    for (std::size_t i = 0; i < set.files.size(); ++i) {
        QCOMPARE(QFileInfo(pulled->files[i].path).fileName(), QFileInfo(set.files[i].path).fileName());
        QCOMPARE(pulled->files[i].sha256, set.files[i].sha256);
        QCOMPARE(test::sha256Of(Workspace(b).absolutePath(pulled->files[i].path)), set.files[i].sha256);
    }
    auto loaded = mb.loadWeights(QStringLiteral("mamba"), QStringLiteral("sharded"));
    QVERIFY2(loaded.ok(), qPrintable(test::errorOf(loaded)));
}

// Content addressing: the same bytes under two model types are stored once.
void TestRemote::identicalFilesAreStoredOnce()
{
    const QString a = newWorkspace();
    WeightManager ma{Workspace(a)};
    const QByteArray file = f32Weight(1 << 20, 11);
    QVERIFY(importInto(ma, file, QStringLiteral("enc"), QStringLiteral("v1")));
    QVERIFY(importInto(ma, file, QStringLiteral("dec"), QStringLiteral("v1")));
    const RemoteStore store(remoteAt(newPrefix()), m_credentials);
    auto first = store.push(ma, QStringLiteral("enc_v1"));
    QVERIFY2(first.ok(), qPrintable(test::errorOf(first)));
    auto second = store.push(ma, QStringLiteral("dec_v1"));
    QVERIFY2(second.ok(), qPrintable(test::errorOf(second)));
    QCOMPARE(first->uploadedBlobs, 1);
    QCOMPARE(second->uploadedBlobs, 0);
    QCOMPARE(second->skippedBytes, std::uint64_t(file.size()));
    auto objects = store.client().list(store.remote().prefix + QStringLiteral("blobs/"));
    QVERIFY(objects.ok());
    QCOMPARE(objects->size(), std::size_t(1));
    QCOMPARE(store.listWeights()->weights.size(), std::size_t(2));
}

// A push cancelled after its first part continues the same multipart upload: the part the
// server has (same size, same MD5) is not sent again. A pull cancelled after its first range
// keeps its partial file and continues it.
void TestRemote::cancelledPushAndPullContinue()
{
    const QString a = newWorkspace();
    const QString b = newWorkspace();
    WeightManager ma{Workspace(a)};
    WeightManager mb{Workspace(b)};
    const std::uint64_t part = RemoteStore::kPartBytes;
    QVERIFY(importInto(ma, f32Weight(qsizetype(3 * part + (5 << 20)), 21), QStringLiteral("lm"), QStringLiteral("v1")));
    const WeightEntry entry = *ma.snapshot()->find(QStringLiteral("lm_v1"));
    const RemoteStore store(remoteAt(newPrefix()), m_credentials);

    JobContext cancelled;
    cancelled.setCancelCheck([&cancelled, part] { return cancelled.done() >= part; });
    auto first = store.push(ma, entry.name, &cancelled);
    QVERIFY(!first.ok());
    QVERIFY2(test::errorOf(first).contains(QStringLiteral("push cancelled; pushing again continues")), qPrintable(test::errorOf(first)));
    QCOMPARE(store.listWeights()->weights.size(), std::size_t(0)); // no manifest without its blob
    auto again = store.push(ma, entry.name);
    QVERIFY2(again.ok(), qPrintable(test::errorOf(again)));
    QVERIFY2(again->resumedBytes >= part, qPrintable(QString::number(again->resumedBytes)));
    QCOMPARE(again->uploadedBytes + again->resumedBytes, entry.size);
    QCOMPARE(store.client().listMultipartUploads(store.remote().prefix)->size(), std::size_t(0));

    JobContext stopped;
    stopped.setCancelCheck([&stopped, part] { return stopped.done() >= part; });
    auto cut = store.pull(mb, entry.name, false, &stopped);
    QVERIFY(!cut.ok());
    QVERIFY2(test::errorOf(cut).contains(QStringLiteral("pull cancelled; pulling again continues")), qPrintable(test::errorOf(cut)));
    const QString ranges = Workspace(b).absolutePath(QStringLiteral("Model/.pull/%1.ranges").arg(entry.sha256));
    QVERIFY2(!test::readFile(ranges).isEmpty(), "no finished range was recorded");
    QVERIFY(!mb.snapshot()->find(entry.name));
    auto pulled = store.pull(mb, entry.name, false);
    QVERIFY2(pulled.ok(), qPrintable(test::errorOf(pulled)));
    QCOMPARE(test::sha256Of(Workspace(b).absolutePath(pulled->path)), entry.sha256);
    QCOMPARE(QDir(Workspace(b).absolutePath(QStringLiteral("Model/.pull"))).entryList(QDir::Files | QDir::Hidden).size(), 0);
}

// A push killed in the middle (the process gone, no chance to clean up) is continued by the
// next one.
void TestRemote::killedPushContinues()
{
    const QString a = newWorkspace();
    WeightManager ma{Workspace(a)};
    const std::uint64_t part = RemoteStore::kPartBytes;
    QVERIFY(importInto(ma, f32Weight(qsizetype(6 * part + (1 << 20)), 23), QStringLiteral("lm"), QStringLiteral("v1")));
    const WeightEntry entry = *ma.snapshot()->find(QStringLiteral("lm_v1"));
    const QString prefix = newPrefix();
    const RemoteStore store(remoteAt(prefix), m_credentials);
    const QString key = store.remote().prefix + QStringLiteral("blobs/sha256/") + entry.sha256;
    QVERIFY(addRemoteByCli(a, prefix));

    QProcess push;
    push.setProcessEnvironment(credentialsEnvironment());
    push.start(test::cliPath(), {QStringLiteral("--root"), a, QStringLiteral("push"), entry.name});
    QVERIFY(push.waitForStarted());
    // Killed as soon as the server lists a finished part.
    bool partSeen = false;
    QElapsedTimer waited;
    waited.start();
    while (!partSeen && waited.elapsed() < 60000 && push.state() == QProcess::Running) {
        auto uploads = store.client().listMultipartUploads(key);
        if (uploads && !uploads->empty()) {
            auto parts = store.client().listParts(key, uploads->front().uploadId);
            partSeen = parts && !parts->empty();
        }
        if (!partSeen)
            QThread::msleep(20);
    }
    QVERIFY2(partSeen, "the push ended or stalled before the server listed a part");
    push.kill();
    push.waitForFinished();
    QVERIFY(!store.client().head(key)->has_value());

    auto again = store.push(ma, entry.name);
    QVERIFY2(again.ok(), qPrintable(test::errorOf(again)));
    QVERIFY2(again->resumedBytes >= part, qPrintable(QString::number(again->resumedBytes)));
    QCOMPARE(again->uploadedBytes + again->resumedBytes, entry.size);
    QCOMPARE(**store.client().head(key), entry.size);
}

// A pull killed (SIGKILL) once a range is listed as finished: nothing is registered, and the
// next pull finishes from the partial file it left (and the lock of a dead process).
void TestRemote::killedPullContinues()
{
    const QString a = newWorkspace();
    const QString b = newWorkspace();
    WeightManager ma{Workspace(a)};
    WeightManager mb{Workspace(b)};
    const std::uint64_t part = RemoteStore::kPartBytes;
    QVERIFY(importInto(ma, f32Weight(qsizetype(7 * part + (3 << 20)), 29), QStringLiteral("lm"), QStringLiteral("v1")));
    const WeightEntry entry = *ma.snapshot()->find(QStringLiteral("lm_v1"));
    const QString prefix = newPrefix();
    const RemoteStore store(remoteAt(prefix), m_credentials);
    QVERIFY(store.push(ma, entry.name).ok());
    QVERIFY(addRemoteByCli(b, prefix));

    QProcess pull;
    pull.setProcessEnvironment(credentialsEnvironment());
    pull.start(test::cliPath(), {QStringLiteral("--root"), b, QStringLiteral("pull"), entry.name});
    QVERIFY(pull.waitForStarted());
    const QString ranges = Workspace(b).absolutePath(QStringLiteral("Model/.pull/%1.ranges").arg(entry.sha256));
    QElapsedTimer waited;
    waited.start();
    while (QFileInfo(ranges).size() == 0 && waited.elapsed() < 60000 && pull.state() == QProcess::Running)
        QThread::msleep(5);
    QVERIFY2(QFileInfo(ranges).size() > 0 && pull.state() == QProcess::Running, "the pull ended or stalled before it listed a range");
    pull.kill();
    pull.waitForFinished();
    QVERIFY(!mb.snapshot()->find(entry.name));
    QVERIFY(QFileInfo::exists(Workspace(b).absolutePath(QStringLiteral("Model/.pull/%1.partial").arg(entry.sha256))));
    QFile listed(ranges);
    QVERIFY(listed.open(QIODevice::ReadOnly));
    const auto finished = listed.readAll().split('\n').size() - 1;
    QVERIFY(finished >= 1 && finished < 8);

    auto again = store.pull(mb, entry.name, false);
    QVERIFY2(again.ok(), qPrintable(test::errorOf(again)));
    QCOMPARE(again->sha256, entry.sha256);
    QFile pulled(Workspace(b).absolutePath(again->path));
    QCOMPARE(quint64(pulled.size()), entry.size);
    QVERIFY(!QFileInfo::exists(Workspace(b).absolutePath(QStringLiteral("Model/.pull"))));
}

// Two machines push the same weight at the same moment: both succeed, the remote holds the
// blob once and one manifest, and the weight pulls intact.
void TestRemote::twoMachinesPushTheSameWeight()
{
    const QString a = newWorkspace();
    const QString b = newWorkspace();
    const QString c = newWorkspace();
    WeightManager ma{Workspace(a)};
    WeightManager mb{Workspace(b)};
    WeightManager mc{Workspace(c)};
    const QByteArray file = f32Weight(qsizetype(2 * RemoteStore::kPartBytes + (3 << 20)), 29);
    QVERIFY(importInto(ma, file, QStringLiteral("lm"), QStringLiteral("v1")));
    QVERIFY(importInto(mb, file, QStringLiteral("lm"), QStringLiteral("v1")));
    const RemoteStore store(remoteAt(newPrefix()), m_credentials);
    auto fromA = QtConcurrent::run([&] { return store.push(ma, QStringLiteral("lm_v1")); });
    auto fromB = QtConcurrent::run([&] { return store.push(mb, QStringLiteral("lm_v1")); });
    const auto ra = fromA.result();
    const auto rb = fromB.result();
    QVERIFY2(ra.ok(), qPrintable(test::errorOf(ra)));
    QVERIFY2(rb.ok(), qPrintable(test::errorOf(rb)));
    QCOMPARE(store.client().list(store.remote().prefix + QStringLiteral("blobs/"))->size(), std::size_t(1));
    QCOMPARE(store.listWeights()->weights.size(), std::size_t(1));
    auto pulled = store.pull(mc, QStringLiteral("lm_v1"), false);
    QVERIFY2(pulled.ok(), qPrintable(test::errorOf(pulled)));
    QCOMPARE(pulled->sha256, ma.snapshot()->find(QStringLiteral("lm_v1"))->sha256);
}

// gc deletes the blobs no manifest references and aborts abandoned uploads, of those older than
// the cutoff; referenced blobs stay and pull; an unreadable manifest stops it.
void TestRemote::garbageCollection()
{
    const QString a = newWorkspace();
    WeightManager ma{Workspace(a)};
    QVERIFY(importInto(ma, f32Weight(1 << 20, 31), QStringLiteral("lm"), QStringLiteral("v1")));
    const RemoteStore store(remoteAt(newPrefix()), m_credentials);
    QVERIFY(store.push(ma, QStringLiteral("lm_v1")).ok());
    const QByteArray orphan = test::randomBytes(1000, 5);
    const QString orphanKey = store.remote().prefix + QStringLiteral("blobs/sha256/") + sha256Hex(test::bytesOf(orphan));
    QVERIFY(store.client().put(orphanKey, test::bytesOf(orphan), sha256Hex(test::bytesOf(orphan))).ok());
    QVERIFY(store.client().createMultipartUpload(store.remote().prefix + QStringLiteral("blobs/sha256/") + QString(64, QLatin1Char('a'))).ok());
    // Another tool's upload in the same bucket is not this program's to abort.
    const QString otherKey = store.remote().prefix + QStringLiteral("datasets/shard-0001.tar");
    QVERIFY(store.client().createMultipartUpload(otherKey).ok());

    // Everything is younger than a day: the CLI's cutoff leaves it all.
    auto young = store.collectGarbage(QDateTime::currentDateTimeUtc().addDays(-1), false);
    QVERIFY2(young.ok(), qPrintable(test::errorOf(young)));
    QCOMPARE(young->blobs.size(), std::size_t(0));
    QCOMPARE(young->uploads.size(), std::size_t(0));

    const QDateTime later = QDateTime::currentDateTimeUtc().addSecs(3600);
    auto dry = store.collectGarbage(later, true);
    QVERIFY2(dry.ok(), qPrintable(test::errorOf(dry)));
    QCOMPARE(dry->manifests, 1);
    QCOMPARE(dry->blobs.size(), std::size_t(1));
    QCOMPARE(dry->blobs.front().key, orphanKey);
    QCOMPARE(dry->blobBytes, std::uint64_t(orphan.size()));
    QCOMPARE(dry->uploads.size(), std::size_t(1));
    QVERIFY(store.client().head(orphanKey)->has_value());

    // An object among the manifests that is not one: nothing is deleted.
    const QByteArray junk("not a manifest");
    const QString junkKey = store.remote().prefix + QStringLiteral("weights/junk.txt");
    QVERIFY(store.client().put(junkKey, test::bytesOf(junk), sha256Hex(test::bytesOf(junk))).ok());
    auto refused = store.collectGarbage(later, false);
    QVERIFY(!refused.ok());
    QVERIFY2(test::errorOf(refused).endsWith(QStringLiteral("is not a weight manifest; nothing was deleted")), qPrintable(test::errorOf(refused)));
    QVERIFY(store.client().head(orphanKey)->has_value());
    QVERIFY(store.client().remove(junkKey).ok());

    auto done = store.collectGarbage(later, false);
    QVERIFY2(done.ok(), qPrintable(test::errorOf(done)));
    QVERIFY(!store.client().head(orphanKey)->has_value());
    auto left = store.client().listMultipartUploads(store.remote().prefix);
    QVERIFY(left.ok());
    QCOMPARE(left->size(), std::size_t(1));
    QCOMPARE(left->front().key, otherKey);
    const QString b = newWorkspace();
    WeightManager mb{Workspace(b)};
    auto pulled = store.pull(mb, QStringLiteral("lm_v1"), false);
    QVERIFY2(pulled.ok(), qPrintable(test::errorOf(pulled)));
}

// A blob changed on the server (bit rot, a colleague's tool): the pull checks the SHA-256 of
// what arrived before registering anything, and leaves nothing behind.
void TestRemote::damagedBlobIsRefused()
{
    const QString a = newWorkspace();
    const QString b = newWorkspace();
    WeightManager ma{Workspace(a)};
    WeightManager mb{Workspace(b)};
    QVERIFY(importInto(ma, f32Weight(1 << 20, 3), QStringLiteral("lm"), QStringLiteral("v1")));
    const WeightEntry pushed = *ma.snapshot()->find(QStringLiteral("lm_v1"));
    const RemoteStore store(remoteAt(newPrefix()), m_credentials);
    QVERIFY(store.push(ma, QStringLiteral("lm_v1")).ok());
    QByteArray damaged = test::readFile(Workspace(a).absolutePath(pushed.path));
    damaged[damaged.size() - 1] = char(damaged[damaged.size() - 1] ^ 1);
    const QString key = store.remote().prefix + QStringLiteral("blobs/sha256/") + pushed.sha256;
    QVERIFY(store.client().put(key, test::bytesOf(damaged), sha256Hex(test::bytesOf(damaged))).ok());

    const auto before = test::treeSnapshot(b);
    auto pulled = store.pull(mb, QStringLiteral("lm_v1"), true);
    QVERIFY(!pulled.ok());
    QVERIFY2(pulled.errorString().contains(QStringLiteral("the copy on the remote is damaged; nothing was registered")), qPrintable(test::errorOf(pulled)));
    QVERIFY(!mb.snapshot()->find(QStringLiteral("lm_v1")));
    // The weight's config came first (it is valid on its own); nothing else is left.
    auto after = test::treeSnapshot(b);
    after.remove(QStringLiteral("Config/lm.yaml"));
    QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
}

// A registered file that changed on disk is not pushed under its old SHA-256.
void TestRemote::changedLocalFileIsNotPushed()
{
    const QString a = newWorkspace();
    WeightManager ma{Workspace(a)};
    const RemoteStore store(remoteAt(newPrefix()), m_credentials);
    for (const qsizetype bytes : {qsizetype(1 << 20), qsizetype(RemoteStore::kPartBytes + (1 << 20))}) {
        const QString version = QStringLiteral("v%1").arg(bytes);
        QVERIFY(importInto(ma, f32Weight(bytes, 5), QStringLiteral("lm") + version, version));
        const WeightEntry entry = *ma.snapshot()->find(QStringLiteral("lm%1_%1").arg(version));
        QFile file(Workspace(a).absolutePath(entry.path));
        QVERIFY(file.open(QIODevice::ReadWrite));
        file.seek(file.size() - 1);
        file.write("\x01");
        file.close();
        auto pushed = store.push(ma, entry.name);
        QVERIFY(!pushed.ok());
        QVERIFY2(pushed.errorString().contains(QStringLiteral("no longer matches its registered SHA-256")), qPrintable(test::errorOf(pushed)));
    }
    QCOMPARE(store.listWeights()->weights.size(), std::size_t(0));
    QCOMPARE(store.client().list(store.remote().prefix)->size(), std::size_t(0));
    QCOMPARE(store.client().listMultipartUploads(store.remote().prefix)->size(), std::size_t(0));
}

void TestRemote::errors_data()
{
    QTest::addColumn<QString>("failure");
    QTest::addColumn<QString>("expected");
    QTest::newRow("wrong secret key") << QStringLiteral("secret") << QStringLiteral("access denied");
    QTest::newRow("missing bucket") << QStringLiteral("bucket") << QStringLiteral("does not exist at");
    QTest::newRow("no server") << QStringLiteral("server") << QStringLiteral("after 5 attempts");
    QTest::newRow("no such weight") << QStringLiteral("weight") << QStringLiteral("has no weight named 'mamba_nope'");
    QTest::newRow("manifest with a path for a file name") << QStringLiteral("manifest path") << QStringLiteral("is not a plain, unique file name");
    QTest::newRow("manifest naming another weight") << QStringLiteral("manifest name") << QStringLiteral("the manifest names another weight");
    QTest::newRow("manifest that is not JSON") << QStringLiteral("manifest json") << QStringLiteral("not a weight manifest");
    // Sizes are the manifest's word until the server's HEAD: a file larger than the disk is
    // refused before any request, not after filling it.
    QTest::newRow("manifest larger than the disk") << QStringLiteral("manifest size") << QStringLiteral("not enough free space to pull 'mamba_sample2' (4503599627370496 bytes needed");
    // Its name says mamba_sample2, its entry registers mamba_sample: it would replace the name.
    QTest::newRow("manifest whose entry is another weight") << QStringLiteral("manifest entry") << QStringLiteral("the manifest's entry is 'mamba_sample', not 'mamba_sample2'");
}

// Each failure is named, and the pulling workspace is left as it was.
void TestRemote::errors()
{
    QFETCH(QString, failure);
    QFETCH(QString, expected);
    const QString b = newWorkspace();
    WeightManager mb{Workspace(b)};
    Remote remote = remoteAt(newPrefix());
    S3Credentials credentials = m_credentials;
    QString name = QStringLiteral("mamba_sample2");
    if (failure == QLatin1String("secret"))
        credentials.secretKey = QStringLiteral("wrong");
    else if (failure == QLatin1String("bucket"))
        remote.bucket = QStringLiteral("no-such-bucket-here");
    else if (failure == QLatin1String("server"))
        remote.endpoint = QStringLiteral("http://127.0.0.1:9"); // discard: nothing listens
    else if (failure == QLatin1String("weight"))
        name = QStringLiteral("mamba_nope");
    if (failure.startsWith(QLatin1String("manifest"))) {
        // A manifest as a hostile or broken tool might write it.
        const WeightEntry sample = *mb.snapshot()->find(QStringLiteral("mamba_sample"));
        QJsonObject entry = Registry::entryToJson(sample);
        if (failure != QLatin1String("manifest entry"))
            entry[QStringLiteral("version")] = QStringLiteral("sample2");
        const double size = failure == QLatin1String("manifest size") ? std::ldexp(1.0, 52) : double(sample.size);
        entry[QStringLiteral("size")] = size;
        QJsonObject file{{QStringLiteral("name"), failure == QLatin1String("manifest path") ? QStringLiteral("../../escape.safetensors") : QStringLiteral("w.safetensors")},
                         {QStringLiteral("sha256"), sample.sha256},
                         {QStringLiteral("size"), size}};
        QJsonObject manifest{{QStringLiteral("schema_version"), 1},
                             {QStringLiteral("name"), failure == QLatin1String("manifest name") ? QStringLiteral("mamba_other") : name},
                             {QStringLiteral("entry"), entry},
                             {QStringLiteral("files"), QJsonArray{file}}};
        QByteArray bytes = failure == QLatin1String("manifest json") ? QByteArray("{\"schema_version\": 1,") : QJsonDocument(manifest).toJson();
        const S3Client client(remote.s3Endpoint(), credentials);
        QVERIFY(client.put(remote.prefix + QStringLiteral("weights/") + name + QStringLiteral(".json"), test::bytesOf(bytes), sha256Hex(test::bytesOf(bytes))).ok());
    }
    const auto before = test::treeSnapshot(b);
    const RemoteStore store(remote, credentials);
    auto pulled = store.pull(mb, name, true);
    QVERIFY(!pulled.ok());
    QVERIFY2(pulled.errorString().contains(expected), qPrintable(test::errorOf(pulled)));
    const auto after = test::treeSnapshot(b);
    QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
    if (failure == QLatin1String("secret") || failure == QLatin1String("bucket")) {
        auto pushed = store.push(mb, QStringLiteral("mamba_sample"));
        QVERIFY(!pushed.ok());
        QVERIFY2(pushed.errorString().contains(expected), qPrintable(test::errorOf(pushed)));
    }
}

// Special files where the pull and the remote list keep their own: refused at once, by name,
// never waited on (a FIFO opened or read as a lock blocks for ever).
void TestRemote::hostileWorkspaceFiles()
{
    const QString a = newWorkspace();
    const QString b = newWorkspace();
    WeightManager ma{Workspace(a)};
    WeightManager mb{Workspace(b)};
    QVERIFY(importInto(ma, f32Weight(1 << 20, 41), QStringLiteral("lm"), QStringLiteral("v1")));
    const RemoteStore store(remoteAt(newPrefix()), m_credentials);
    QVERIFY(store.push(ma, QStringLiteral("lm_v1")).ok());

    const QString pullDir = Workspace(b).absolutePath(QStringLiteral("Model/.pull"));
    QCOMPARE(::mkfifo(QFile::encodeName(pullDir).constData(), 0644), 0);
    auto pulled = store.pull(mb, QStringLiteral("lm_v1"), false);
    QVERIFY(!pulled.ok());
    QVERIFY2(test::errorOf(pulled).startsWith(pullDir + QStringLiteral(": is not a folder")), qPrintable(test::errorOf(pulled)));
    QVERIFY(!mb.snapshot()->find(QStringLiteral("lm_v1")));
    QVERIFY(!QFileInfo::exists(Workspace(b).absolutePath(QStringLiteral("Config/lm.yaml"))));
    QVERIFY(QFile::remove(pullDir));
    // A link there could point the downloads anywhere (here: outside the workspace).
    const QString elsewhere = m_dir.filePath(newPrefix());
    QVERIFY(QDir().mkpath(elsewhere));
    QVERIFY(QFile::link(elsewhere, pullDir));
    pulled = store.pull(mb, QStringLiteral("lm_v1"), false);
    QVERIFY(!pulled.ok());
    QVERIFY2(test::errorOf(pulled).startsWith(pullDir + QStringLiteral(": is not a folder")), qPrintable(test::errorOf(pulled)));
    QVERIFY(QDir(elsewhere).isEmpty());
    QVERIFY(!mb.snapshot()->find(QStringLiteral("lm_v1")));
    QVERIFY(QFile::remove(pullDir));

    const QString lock = Workspace(b).absolutePath(QStringLiteral("Model/remotes.json.lock"));
    QCOMPARE(::mkfifo(QFile::encodeName(lock).constData(), 0644), 0);
    RemoteList list{Workspace(b)};
    auto added = list.add(remoteAt(QStringLiteral("x")));
    QVERIFY(!added.ok());
    QVERIFY2(test::errorOf(added).contains(QStringLiteral("FIFO")), qPrintable(test::errorOf(added)));
    QVERIFY(QFile::remove(lock));

    Remote badRegion = remoteAt(QStringLiteral("x"));
    badRegion.region = QStringLiteral("EU-West-1");
    QVERIFY(!list.add(badRegion).ok());
    QVERIFY(list.add(remoteAt(QStringLiteral("x"))).ok());
    QVERIFY(list.load().ok());
}

void TestRemote::remotesFile_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not JSON") << QByteArray("{") << QStringLiteral("not valid JSON");
    QTest::newRow("remotes not an object") << QByteArray(R"({"remotes": []})") << QStringLiteral("\"remotes\" must be an object");
    QTest::newRow("bad name") << QByteArray(R"({"remotes": {"../x": {"url": "s3://bucket-a", "endpoint": "http://h"}}})") << QStringLiteral("remote name");
    QTest::newRow("bad url") << QByteArray(R"({"remotes": {"r": {"url": "https://bucket-a", "endpoint": "http://h"}}})") << QStringLiteral("remotes.r.url");
    QTest::newRow("prefix with ..") << QByteArray(R"({"remotes": {"r": {"url": "s3://bucket-a/x/../y", "endpoint": "http://h"}}})") << QStringLiteral("not be '.' or '..'");
    QTest::newRow("bad endpoint") << QByteArray(R"({"remotes": {"r": {"url": "s3://bucket-a", "endpoint": "file:///etc"}}})") << QStringLiteral("remotes.r.endpoint");
    QTest::newRow("bad style") << QByteArray(R"({"remotes": {"r": {"url": "s3://bucket-a", "endpoint": "http://h", "addressing_style": 1}}})") << QStringLiteral("addressing_style");
}

// Model/remotes.json is shared and untrusted: broken content is named, never rewritten.
void TestRemote::remotesFile()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    const QString root = newWorkspace();
    const QString path = test::writeBytes(root + QStringLiteral("/Model/remotes.json"), content);
    RemoteList list{Workspace(root)};
    auto loaded = list.load();
    QVERIFY(!loaded.ok());
    QVERIFY2(loaded.errorString().startsWith(path + QStringLiteral(": ")) && loaded.errorString().contains(expected), qPrintable(test::errorOf(loaded)));
    Remote r = remoteAt(QStringLiteral("x"));
    QVERIFY(!list.add(r).ok());
    QCOMPARE(test::readFile(path), content);
}

// The command line: remote add, push --json, list-weights --remote, pull --activate, with the
// credentials in the environment as every S3 tool takes them.
void TestRemote::cli()
{
    const QString a = newWorkspace();
    const QString b = newWorkspace();
    WeightManager ma{Workspace(a)};
    QVERIFY(importInto(ma, f32Weight(2 << 20, 9), QStringLiteral("lm"), QStringLiteral("v2")));
    const QString url = QStringLiteral("s3://%1/%2").arg(m_endpoint.bucket, newPrefix());
    qputenv("AWS_ACCESS_KEY_ID", m_credentials.accessKey.toUtf8());
    qputenv("AWS_SECRET_ACCESS_KEY", m_credentials.secretKey.toUtf8());
    for (const QString &root : {a, b}) {
        const auto added = test::runCli({QStringLiteral("--root"), root, QStringLiteral("remote"), QStringLiteral("add"), QStringLiteral("team"), url,
                                         QStringLiteral("--endpoint"), m_endpoint.endpoint, QStringLiteral("--path-style")});
        QVERIFY2(added.exitCode == 0, qPrintable(added.err));
    }
    const auto pushed = test::runCli({QStringLiteral("--root"), a, QStringLiteral("push"), QStringLiteral("lm_v2"), QStringLiteral("--json")});
    QVERIFY2(pushed.exitCode == 0, qPrintable(pushed.err));
    const QJsonObject report = test::parseJsonObject(pushed.out);
    QCOMPARE(report.value(QStringLiteral("uploaded_bytes")).toDouble(), double(ma.snapshot()->find(QStringLiteral("lm_v2"))->size));
    QCOMPARE(report.value(QStringLiteral("skipped_bytes")).toDouble(), 0.0);
    const auto listed = test::runCli({QStringLiteral("--root"), b, QStringLiteral("list-weights"), QStringLiteral("--remote"), QStringLiteral("team"), QStringLiteral("--json")});
    QVERIFY2(listed.exitCode == 0, qPrintable(listed.err));
    const QJsonArray weights = QJsonDocument::fromJson(listed.out.toUtf8()).array();
    QCOMPARE(weights.size(), 1);
    QCOMPARE(weights.at(0).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("lm_v2"));
    QCOMPARE(weights.at(0).toObject().value(QStringLiteral("present_locally")).toBool(), false);
    const auto pulled = test::runCli({QStringLiteral("--root"), b, QStringLiteral("pull"), QStringLiteral("lm_v2"), QStringLiteral("--activate")});
    QVERIFY2(pulled.exitCode == 0, qPrintable(pulled.err));
    QVERIFY2(pulled.out.startsWith(QStringLiteral("Pulled lm_v2 from team")), qPrintable(pulled.out));
    const auto gc = test::runCli({QStringLiteral("--root"), b, QStringLiteral("remote"), QStringLiteral("gc"), QStringLiteral("team"), QStringLiteral("--dry-run"), QStringLiteral("--json")});
    QVERIFY2(gc.exitCode == 0, qPrintable(gc.err));
    const QJsonObject gcReport = test::parseJsonObject(gc.out);
    QCOMPARE(gcReport.value(QStringLiteral("manifests")).toInt(), 1);
    QCOMPARE(gcReport.value(QStringLiteral("dry_run")).toBool(), true);
    QCOMPARE(gcReport.value(QStringLiteral("blobs")).toArray().size(), 0);
    const auto wrong = test::runCli({QStringLiteral("--root"), b, QStringLiteral("pull"), QStringLiteral("lm_v2"), QStringLiteral("--remote"), QStringLiteral("nope")});
    QCOMPARE(wrong.exitCode, 2);
    QVERIFY2(wrong.err.contains(QStringLiteral("no remote named 'nope'")), qPrintable(wrong.err));
    // One manifest that does not read (another tool's, a newer schema): the others are still
    // listed, the bad one is named, and the exit status says a problem was found.
    const QString prefix = url.section(QLatin1Char('/'), 3) + QStringLiteral("/weights/");
    const QByteArray broken("{\"schema_version\": 99}");
    QVERIFY(S3Client(m_endpoint, m_credentials).put(prefix + QStringLiteral("lm_v3.json"), test::bytesOf(broken), sha256Hex(test::bytesOf(broken))).ok());
    const auto partly = test::runCli({QStringLiteral("--root"), b, QStringLiteral("list-weights"), QStringLiteral("--remote"), QStringLiteral("team"), QStringLiteral("--json")});
    QCOMPARE(partly.exitCode, 1);
    QCOMPARE(QJsonDocument::fromJson(partly.out.toUtf8()).array().size(), 1);
    QVERIFY2(partly.err.startsWith(QStringLiteral("unreadable manifest: s3://%1/%2lm_v3.json").arg(m_endpoint.bucket, prefix)), qPrintable(partly.err));
    qunsetenv("AWS_ACCESS_KEY_ID");
    qunsetenv("AWS_SECRET_ACCESS_KEY");
}

QTEST_GUILESS_MAIN(TestRemote)
#include "tst_remote.moc"
