#include "registry.h"
#include "testutil.h"

#include <QFile>
#include <QLockFile>
#include <QTemporaryDir>
#include <QTest>
#include <QtConcurrent/QtConcurrentRun>

#include <sys/file.h>

using namespace tantra;

namespace {

WeightEntry makeEntry(const QString &type, const QString &version, const QDateTime &created)
{
    WeightEntry w;
    w.name = type + QLatin1Char('_') + version;
    w.modelType = type;
    w.version = version;
    w.path = QStringLiteral("Model/weights/") + w.name + QStringLiteral(".safetensors");
    w.size = 1234;
    w.sha256 = QString(64, QLatin1Char('a'));
    w.created = created;
    w.source = QStringLiteral("saved");
    w.metadata = {{QStringLiteral("format"), QStringLiteral("pt")}};
    return w;
}

} // namespace

class TestRegistry : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip()
    {
        RegistryData data;
        const QDateTime t0 = QDateTime::fromString(QStringLiteral("2026-01-02T03:04:05.678Z"), Qt::ISODateWithMs);
        data.weights[QStringLiteral("mamba_v1")] = makeEntry(QStringLiteral("mamba"), QStringLiteral("v1"), t0);
        WeightEntry sharded = makeEntry(QStringLiteral("mamba"), QStringLiteral("v2"), t0.addSecs(60));
        sharded.sharded = true;
        sharded.path = QStringLiteral("Model/weights/mamba_v2");
        sharded.files = {WeightFile{QStringLiteral("Model/weights/mamba_v2/a.safetensors"), 10, QString(64, QLatin1Char('b'))}};
        sharded.validation = ValidationRecord{QStringLiteral("failed"), t0.addSecs(120), true, {QStringLiteral("x: bad")}};
        data.weights[sharded.name] = sharded;
        data.activate(QStringLiteral("mamba_v1"), t0);
        data.activate(QStringLiteral("mamba_v2"), t0.addSecs(5));

        auto parsed = Registry::parse(Registry::serialize(data), QStringLiteral("r.json"));
        QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.errorString()));
        QCOMPARE(parsed->weights.size(), std::size_t(2));
        const WeightEntry *v2 = parsed->find(QStringLiteral("mamba_v2"));
        QVERIFY(v2);
        QVERIFY(v2->sharded);
        QCOMPARE(v2->files.size(), std::size_t(1));
        QCOMPARE(v2->files[0].size, quint64(10));
        QCOMPARE(v2->validation.status, QStringLiteral("failed"));
        QCOMPARE(v2->validation.issues, QStringList{QStringLiteral("x: bad")});
        QCOMPARE(parsed->find(QStringLiteral("mamba_v1"))->created, t0);
        QCOMPARE(parsed->activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_v2"));
        const auto &history = parsed->history.at(QStringLiteral("mamba"));
        QCOMPARE(history.size(), std::size_t(2));
        QCOMPARE(history[1].previous, QStringLiteral("mamba_v1"));
        QCOMPARE(history[0].previous, QString());
        // Newest first.
        const auto list = parsed->weightsOf(QStringLiteral("mamba"));
        QCOMPARE(list.front()->name, QStringLiteral("mamba_v2"));
    }

    void parseErrors_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("message");
        QTest::newRow("truncated") << QByteArray("{\n  \"weights\": {\n") << QStringLiteral("r.json: not valid JSON at line 3, column 1");
        QTest::newRow("not an object") << QByteArray("[1, 2]") << QStringLiteral("r.json: the registry must be a JSON object");
        QTest::newRow("newer schema") << QByteArray("{\"schema_version\": 99}")
                                      << QStringLiteral("r.json: schema_version 99 is newer than this program understands (1)");
        QTest::newRow("entry not object") << QByteArray("{\"weights\": {\"a\": 3}}") << QStringLiteral("r.json: weights.a must be an object");
        QTest::newRow("entry without path") << QByteArray("{\"weights\": {\"a\": {\"model_type\": \"m\"}}}")
                                            << QStringLiteral("r.json: weights.a lacks model_type or path");
    }

    void parseErrors()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, message);
        auto parsed = Registry::parse(json, QStringLiteral("r.json"));
        QVERIFY(!parsed.ok());
        QVERIFY2(parsed.errorString().startsWith(message), qPrintable(parsed.errorString()));
    }

    void brokenFileIsNeverOverwritten()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("weight_config.json"));
        const QByteArray broken("{\"weights\": {");
        test::writeBytes(path, broken);
        Registry registry(path);
        bool called = false;
        auto status = registry.update([&](RegistryData &) -> Status {
            called = true;
            return {};
        });
        QVERIFY(!status.ok());
        QVERIFY(!called);
        QVERIFY(status.errorString().contains(QStringLiteral("doctor --rebuild")));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), broken);
    }

    void failedChangeWritesNothing()
    {
        QTemporaryDir dir;
        Registry registry(dir.filePath(QStringLiteral("weight_config.json")));
        auto status = registry.update([](RegistryData &d) -> Status {
            d.active[QStringLiteral("x")] = QStringLiteral("y");
            return makeError(QStringLiteral("nope"));
        });
        QCOMPARE(status.errorString(), QStringLiteral("nope"));
        QVERIFY(!QFile::exists(registry.path()));
    }

    // Many writers at once, each adding its own weight: none may be lost.
    void concurrentUpdatesLoseNothing()
    {
        QTemporaryDir dir;
        Registry registry(dir.filePath(QStringLiteral("weight_config.json")));
        QList<QFuture<bool>> futures;
        constexpr int kWriters = 16;
        for (int i = 0; i < kWriters; ++i) {
            futures << QtConcurrent::run([&registry, i] {
                return registry
                        .update([i](RegistryData &d) -> Status {
                            const QString v = QStringLiteral("v%1").arg(i);
                            d.weights[QStringLiteral("m_") + v] = makeEntry(QStringLiteral("m"), v, QDateTime::currentDateTimeUtc());
                            return {};
                        })
                        .ok();
            });
        }
        for (auto &f : futures)
            QVERIFY(f.result());
        auto data = registry.load();
        QVERIFY(data.ok());
        QCOMPARE(data->weights.size(), std::size_t(kWriters));
        QVERIFY(!QFile::exists(registry.path() + QStringLiteral(".lock")));
    }

    void lockHeldElsewhereTimesOut()
    {
        QTemporaryDir dir;
        Registry registry(dir.filePath(QStringLiteral("weight_config.json")));
        QLockFile held(registry.path() + QStringLiteral(".lock"));
        QVERIFY(held.tryLock());
        // Same process holds it: the update must give up with a message, not hang or corrupt.
        auto status = registry.update([](RegistryData &) -> Status { return {}; }, 200);
        QVERIFY(!status.ok());
        QVERIFY2(status.errorString().contains(QStringLiteral("locked")), qPrintable(status.errorString()));
    }

    // A writer killed between creating the lock file and writing its pid into it leaves an
    // empty lock file, which QLockFile alone would respect for its whole stale time.
    void emptyLockFile_data()
    {
        QTest::addColumn<int>("ageSeconds");
        QTest::addColumn<bool>("nativeLockHeld"); // as by a live creator about to fill it in
        QTest::addColumn<bool>("taken");
        QTest::newRow("left by a killed writer") << 30 << false << true;
        QTest::newRow("just created") << 0 << false << false;
        QTest::newRow("held by a live process") << 30 << true << false;
    }

    void emptyLockFile()
    {
        QFETCH(int, ageSeconds);
        QFETCH(bool, nativeLockHeld);
        QFETCH(bool, taken);
        QTemporaryDir dir;
        Registry registry(dir.filePath(QStringLiteral("weight_config.json")));
        const QString lockPath = registry.path() + QStringLiteral(".lock");
        QFile lockFile(lockPath);
        QVERIFY(lockFile.open(QIODevice::WriteOnly));
        QVERIFY(lockFile.setFileTime(QDateTime::currentDateTimeUtc().addSecs(-ageSeconds), QFileDevice::FileModificationTime));
        if (nativeLockHeld)
            QCOMPARE(::flock(lockFile.handle(), LOCK_EX | LOCK_NB), 0);

        auto status = registry.update([](RegistryData &d) -> Status {
            d.weights[QStringLiteral("m_v1")] = makeEntry(QStringLiteral("m"), QStringLiteral("v1"), QDateTime::currentDateTimeUtc());
            return {};
        }, 600);
        QCOMPARE(status.ok(), taken);
        if (taken) {
            QVERIFY(!QFile::exists(lockPath));
            QCOMPARE(registry.load()->weights.size(), std::size_t(1));
        } else {
            QVERIFY2(status.errorString().contains(QStringLiteral("locked")), qPrintable(status.errorString()));
            QVERIFY(QFile::exists(lockPath));
            QVERIFY(!QFile::exists(registry.path()));
        }
    }
};

QTEST_GUILESS_MAIN(TestRegistry)
#include "tst_registry.moc"
