#include "registry.h"
#include "testutil.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
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
        sharded.validation = ValidationRecord{ValidationStatus::Failed, t0.addSecs(120), true, {QStringLiteral("x: bad")}};
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
        QCOMPARE(v2->validation.status, ValidationStatus::Failed);
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
        QTest::addColumn<Remedy>("remedy"); // a value: the CLI words it as a command, the GUI as a menu path
        QTest::newRow("truncated") << QByteArray("{\n  \"weights\": {\n") << QStringLiteral("r.json: not valid JSON at line 3, column 1")
                                   << Remedy::RebuildRegistry;
        QTest::newRow("garbage") << QByteArray("weights") << QStringLiteral("r.json: not valid JSON at line 1, column 2: illegal value. The file was left untouched") << Remedy::RebuildRegistry;
        QTest::newRow("not an object") << QByteArray("[1, 2]") << QStringLiteral("r.json: the registry must be a JSON object") << Remedy::None;
        QTest::newRow("newer schema") << QByteArray("{\"schema_version\": 99}")
                                      << QStringLiteral("r.json: schema_version 99 is newer than this program understands (1)") << Remedy::NoRepair;
        QTest::newRow("entry not object") << QByteArray("{\"weights\": {\"a\": 3}}") << QStringLiteral("r.json: weights.a: expected an object, found 3")
                                          << Remedy::None;
        QTest::newRow("entry without version") << QByteArray("{\"weights\": {\"a\": {\"model_type\": \"m\"}}}")
                                               << QStringLiteral("r.json: weights.a.version: expected a version (a string), found nothing") << Remedy::None;
    }

    void parseErrors()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, message);
        QFETCH(Remedy, remedy);
        auto parsed = Registry::parse(json, QStringLiteral("r.json"));
        QVERIFY(!parsed.ok());
        QVERIFY2(parsed.errorString().startsWith(message), qPrintable(parsed.errorString()));
        // The file and the problem are separate values; no caller cuts the message apart.
        QCOMPARE(parsed.error().path, QStringLiteral("r.json"));
        QVERIFY2(parsed.error().problem.startsWith(message.mid(QStringLiteral("r.json: ").size())), qPrintable(parsed.error().problem));
        QCOMPARE(parsed.error().remedy, remedy);
        // Core words no command of either interface.
        QVERIFY2(!parsed.errorString().contains(QStringLiteral("tantra-model-manager")) && !parsed.errorString().contains(QStringLiteral("run '")),
                 qPrintable(parsed.errorString()));
    }

    // Every mistyped field is an error naming its JSON path and what was expected, never a
    // default; and a registry that does not read is never rewritten.
    void mistypedFields_data()
    {
        QTest::addColumn<QString>("where");   // "top", "entry" or "history": what `edit` changes
        QTest::addColumn<QString>("field");   // the key; "" for the whole object
        QTest::addColumn<QByteArray>("value"); // JSON; empty: remove the field
        QTest::addColumn<QString>("message");  // after "r.json: "
        const auto row = [](const char *name, const char *where, const char *field, const QByteArray &value, const char *message) {
            QTest::newRow(name) << QString::fromLatin1(where) << QString::fromLatin1(field) << value << QString::fromUtf8(message);
        };
        row("schema_version a string", "top", "schema_version", "\"2\"",
            "schema_version: expected the integer 1, found \"2\"; refusing to read or rewrite the registry");
        row("schema_version a fraction", "top", "schema_version", "2.5",
            "schema_version: expected the integer 1, found 2.5; refusing to read or rewrite the registry");
        row("schema_version 1.5", "top", "schema_version", "1.5",
            "schema_version: expected the integer 1, found 1.5; refusing to read or rewrite the registry");
        row("schema_version 0", "top", "schema_version", "0",
            "schema_version: expected the integer 1, found 0; refusing to read or rewrite the registry");
        row("schema_version above int", "top", "schema_version", "2147483648",
            "schema_version 2147483648 is newer than this program understands (1); upgrade Tantra Weight Manager");
        row("schema_version 4294967297", "top", "schema_version", "4294967297",
            "schema_version 4294967297 is newer than this program understands (1); upgrade Tantra Weight Manager");
        row("weights an array", "top", "weights", "[1,2,3]", "weights: expected an object, found [1,2,3]");
        row("active_weights an array", "top", "active_weights", "[\"mamba_old\"]", "active_weights: expected an object, found [\"mamba_old\"]");
        row("active weight a list", "top", "active_weights", "{\"mamba\": [\"mamba_old\"]}",
            "active_weights.mamba: expected a weight name (a string) or null, found [\"mamba_old\"]");
        row("active weight a number", "top", "active_weights", "{\"mamba\": 1}",
            "active_weights.mamba: expected a weight name (a string) or null, found 1");
        row("active type leading outside", "top", "active_weights", "{\"../x\": \"mamba_old\"}",
            "active_weights[\"../x\"]: the model type '../x' contains a path separator");
        row("history an array", "top", "history", "[]", "history: expected an object, found []");
        row("history of a type not a list", "top", "history", "{\"mamba\": {}}", "history.mamba: expected an array, found {}");
        row("history item weight a number", "top", "history", "{\"mamba\": [{\"weight\": 3}]}",
            "history.mamba[0].weight: expected a weight name (a string), found 3");
        row("history item previous a list", "top", "history", "{\"mamba\": [{\"weight\": \"mamba_old\", \"previous\": []}]}",
            "history.mamba[0].previous: expected a weight name (a string) or null, found []");
        row("history item time", "top", "history", "{\"mamba\": [{\"weight\": \"mamba_old\", \"activated_at\": \"soon\"}]}",
            "history.mamba[0].activated_at: expected an ISO 8601 time, found \"soon\"");
        row("pending_removals an object", "top", "pending_removals", "{}", "pending_removals: expected an array, found {}");
        row("pending removal a string", "top", "pending_removals", "[\"Model/weights/a.safetensors\"]",
            "pending_removals[0]: expected an object, found \"Model/weights/a.safetensors\"");
        row("pending removal without path", "top", "pending_removals", "[{\"weight\": \"mamba_old\"}]",
            "pending_removals[0].path: expected a string, found nothing");
        row("pending removal weight leading outside", "top", "pending_removals", "[{\"path\": \"Model/weights/a\", \"weight\": \"../a\"}]",
            "pending_removals[0].weight: the weight name '../a' contains a path separator");
        row("pending removal sharded a string", "top", "pending_removals",
            "[{\"path\": \"Model/weights/a\", \"weight\": \"mamba_a\", \"sharded\": \"no\"}]",
            "pending_removals[0].sharded: expected true or false, found \"no\"");
        row("pending removal time", "top", "pending_removals", "[{\"path\": \"Model/weights/a\", \"weight\": \"mamba_a\", \"modified\": 3}]",
            "pending_removals[0].modified: expected an ISO 8601 time, found 3");
        row("key leading outside", "top", "weights", "{\"../../../outside/pwn2\": {}}",
            "weights[\"../../../outside/pwn2\"]: the weight name '../../../outside/pwn2' contains a path separator");
        row("size a string", "entry", "size", "\"big\"", "weights.mamba_old.size: expected a non-negative integer, found \"big\"");
        row("size negative", "entry", "size", "-1", "weights.mamba_old.size: expected a non-negative integer, found -1");
        row("size a fraction", "entry", "size", "1.5", "weights.mamba_old.size: expected a non-negative integer, found 1.5");
        row("size huge", "entry", "size", "1e300", "weights.mamba_old.size: expected a non-negative integer, found 1e+300");
        row("size missing", "entry", "size", "", "weights.mamba_old.size: expected a non-negative integer, found nothing");
        row("version missing", "entry", "version", "", "weights.mamba_old.version: expected a version (a string), found nothing");
        row("version a number", "entry", "version", "2", "weights.mamba_old.version: expected a version (a string), found 2");
        row("model_type leading outside", "entry", "model_type", "\"../../outside/secret\"",
            "weights.mamba_old.model_type: the model type '../../outside/secret' contains a path separator");
        row("model_type missing", "entry", "model_type", "", "weights.mamba_old.model_type: expected a model type (a string), found nothing");
        row("path missing", "entry", "path", "", "weights.mamba_old.path: expected a string, found nothing");
        row("path empty", "entry", "path", "\"\"", "weights.mamba_old.path: expected a path relative to the workspace, found \"\"");
        row("path with a newline", "entry", "path", "\"Model/weights/a\\nb\"",
            "weights.mamba_old.path: expected a path without control characters, found \"Model/weights/a\\nb\"");
        row("format unknown", "entry", "format", "\"zip\"", "weights.mamba_old.format: expected \"safetensors\" or \"sharded\", found \"zip\"");
        row("sha256 not hex", "entry", "sha256", "\"xyz\"", "weights.mamba_old.sha256: expected a SHA-256 (64 lowercase hex digits), found \"xyz\"");
        row("created not a time", "entry", "created", "\"yesterday\"", "weights.mamba_old.created: expected an ISO 8601 time, found \"yesterday\"");
        row("created a number", "entry", "created", "5", "weights.mamba_old.created: expected an ISO 8601 time, found 5");
        row("source a number", "entry", "source", "5", "weights.mamba_old.source: expected a string, found 5");
        row("metadata value a number", "entry", "metadata", "{\"epoch\": 3}", "weights.mamba_old.metadata.epoch: expected a string, found 3");
        row("files not a list", "entry", "files", "\"a\"", "weights.mamba_old.files: expected an array, found \"a\"");
        row("files item size", "entry", "files", "[{\"path\": \"a\", \"size\": \"x\", \"sha256\": \"\"}]",
            "weights.mamba_old.files[0].size: expected a non-negative integer, found \"x\"");
        row("validation a string", "entry", "validation", "\"ok\"", "weights.mamba_old.validation: expected an object, found \"ok\"");
        row("validation status unknown", "entry", "validation", "{\"status\": \"ok\"}",
            "weights.mamba_old.validation.status: expected \"passed\" or \"failed\", found \"ok\"");
        row("validation deep a string", "entry", "validation", "{\"status\": \"passed\", \"deep\": \"yes\"}",
            "weights.mamba_old.validation.deep: expected true or false, found \"yes\"");
        row("validation issues not strings", "entry", "validation", "{\"status\": \"failed\", \"issues\": [1]}",
            "weights.mamba_old.validation.issues[0]: expected a string, found 1");
    }

    void mistypedFields()
    {
        QFETCH(QString, where);
        QFETCH(QString, field);
        QFETCH(QByteArray, value);
        QFETCH(QString, message);
        RegistryData data;
        data.weights[QStringLiteral("mamba_old")] = makeEntry(QStringLiteral("mamba"), QStringLiteral("old"), QDateTime::currentDateTimeUtc());
        data.activate(QStringLiteral("mamba_old"), QDateTime::currentDateTimeUtc());
        QJsonObject root = QJsonDocument::fromJson(Registry::serialize(data)).object();
        QJsonObject entry = root.value(QStringLiteral("weights")).toObject().value(QStringLiteral("mamba_old")).toObject();
        QJsonObject &target = where == QLatin1String("entry") ? entry : root;
        if (value.isEmpty()) {
            target.remove(field);
        } else {
            const QJsonDocument parsed = QJsonDocument::fromJson("[" + value + "]");
            QVERIFY2(parsed.isArray(), value.constData());
            target[field] = parsed.array().at(0);
        }
        if (where == QLatin1String("entry"))
            root[QStringLiteral("weights")] = QJsonObject{{QStringLiteral("mamba_old"), entry}};
        const QByteArray json = QJsonDocument(root).toJson();

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("weight_config.json"));
        QCOMPARE(test::errorOf(Registry::parse(json, QStringLiteral("r.json"))), QStringLiteral("r.json: ") + message);
        test::writeBytes(path, json);
        Registry registry(path);
        const auto loaded = registry.load();
        QCOMPARE(test::errorOf(loaded), path + QStringLiteral(": ") + message);
        // The file at fault and the problem (which names the JSON path) are separate values.
        QCOMPARE(loaded.error().path, path);
        QCOMPARE(loaded.error().problem, message);
        // A rebuild repairs a mistyped field; it refuses to rewrite another schema_version.
        QCOMPARE(loaded.error().remedy, field == QLatin1String("schema_version") ? Remedy::NoRepair : Remedy::None);
        bool called = false;
        const auto status = registry.update([&](RegistryData &) -> Status {
            called = true;
            return {};
        });
        QCOMPARE(test::errorOf(status), path + QStringLiteral(": ") + message);
        QVERIFY(!called);
        QCOMPARE(test::readFile(path), json);
    }

    // No active weight may be written as null (Python's None) or "", as it was read before.
    void noActiveWeight_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::newRow("null") << QByteArray("null");
        QTest::newRow("empty") << QByteArray("\"\"");
    }
    void noActiveWeight()
    {
        QFETCH(QByteArray, value);
        auto parsed = Registry::parse("{\"schema_version\": 1, \"active_weights\": {\"mamba\": " + value + "}}", QStringLiteral("r.json"));
        QVERIFY2(parsed.ok(), qPrintable(test::errorOf(parsed)));
        QCOMPARE(parsed->activeOf(QStringLiteral("mamba")), QString());
    }

    // Fields written by other tools survive every rewrite: at the top level, in an entry, in
    // a files item, in validation and in a history item.
    void unknownFieldsSurvive()
    {
        const QByteArray sha(64, 'a');
        const QByteArray json = "{\n"
                                "  \"schema_version\": 1,\n"
                                "  \"team_note\": {\"owner\": \"ml-infra\", \"ids\": [1, 2, 9007199254740993]},\n"
                                "  \"active_weights\": {\"mamba\": \"mamba_v1\"},\n"
                                "  \"weights\": {\n"
                                "    \"mamba_v1\": {\"model_type\": \"mamba\", \"version\": \"v1\", \"path\": \"Model/weights/mamba_v1\",\n"
                                "      \"format\": \"sharded\", \"size\": 10, \"sha256\": \"" + sha + "\", \"wandb_run\": \"abc\", \"tags\": [\"x\"],\n"
                                "      \"files\": [{\"path\": \"Model/weights/mamba_v1/a.safetensors\", \"size\": 10, \"sha256\": \"" + sha + "\", \"host\": \"n1\"}],\n"
                                "      \"validation\": {\"status\": \"passed\", \"deep\": false, \"issues\": [], \"by\": \"ci\"}},\n"
                                "    \"mamba_v2\": {\"model_type\": \"mamba\", \"version\": \"v2\", \"path\": \"Model/weights/mamba_v2.safetensors\",\n"
                                "      \"size\": 9007199254740993, \"sha256\": \"\"}\n"
                                "  },\n"
                                "  \"history\": {\"mamba\": [{\"weight\": \"mamba_v1\", \"previous\": null, \"activated_at\": \"2026-01-02T03:04:05.678Z\", \"reason\": \"eval\"}]}\n"
                                "}\n";
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("weight_config.json"));
        test::writeBytes(path, json);
        Registry registry(path);
        QCOMPARE(registry.load()->find(QStringLiteral("mamba_v2"))->size, quint64(9007199254740993ULL));
        QVERIFY(registry.update([](RegistryData &d) -> Status {
            d.activate(QStringLiteral("mamba_v2"), QDateTime::currentDateTimeUtc());
            d.weights.at(QStringLiteral("mamba_v1")).validation.status = ValidationStatus::Failed;
            return {};
        }));
        const QJsonObject before = QJsonDocument::fromJson(json).object();
        const QJsonObject after = QJsonDocument::fromJson(test::readFile(path)).object();
        QCOMPARE(after.value(QStringLiteral("team_note")), before.value(QStringLiteral("team_note")));
        const QJsonObject v1 = after.value(QStringLiteral("weights")).toObject().value(QStringLiteral("mamba_v1")).toObject();
        QCOMPARE(v1.value(QStringLiteral("wandb_run")), QJsonValue(QStringLiteral("abc")));
        QCOMPARE(v1.value(QStringLiteral("tags")), QJsonValue(QJsonArray{QStringLiteral("x")}));
        QCOMPARE(v1.value(QStringLiteral("files")).toArray().at(0).toObject().value(QStringLiteral("host")), QJsonValue(QStringLiteral("n1")));
        QCOMPARE(v1.value(QStringLiteral("validation")).toObject().value(QStringLiteral("by")), QJsonValue(QStringLiteral("ci")));
        QCOMPARE(v1.value(QStringLiteral("validation")).toObject().value(QStringLiteral("status")), QJsonValue(QStringLiteral("failed")));
        const QJsonArray history = after.value(QStringLiteral("history")).toObject().value(QStringLiteral("mamba")).toArray();
        QCOMPARE(history.size(), 2);
        QCOMPARE(history.at(0).toObject().value(QStringLiteral("reason")), QJsonValue(QStringLiteral("eval")));
        // Sizes above 2^53 are written exactly.
        QVERIFY2(test::readFile(path).contains("\"size\": 9007199254740993"), test::readFile(path).constData());
        QCOMPARE(registry.load()->find(QStringLiteral("mamba_v2"))->size, quint64(9007199254740993ULL));
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
        // The remedy is a value, worded by each interface; core names no command.
        QCOMPARE(status.error().remedy, Remedy::RebuildRegistry);
        QCOMPARE(status.error().path, path);
        QVERIFY2(!status.errorString().contains(QStringLiteral("tantra-model-manager")), qPrintable(status.errorString()));
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
