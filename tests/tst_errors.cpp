// Errors and statuses are values in core (issue #9 §4): an Error carries the file at fault,
// the problem and a Remedy; validation and checksum statuses are enums, and their words
// exist only where JSON is read and written.
#include "registry.h"
#include "safetensorsmodel.h"
#include "testutil.h"
#include "weightmanager.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QTemporaryDir>
#include <QTest>

using namespace tantra;

class TestErrors : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void message_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("problem");
        QTest::addColumn<QString>("message");
        QTest::newRow("a file") << QStringLiteral("/w/Model/weight_config.json") << QStringLiteral("weights: expected an object, found 3")
                                << QStringLiteral("/w/Model/weight_config.json: weights: expected an object, found 3");
        QTest::newRow("no file") << QString() << QStringLiteral("validation cancelled") << QStringLiteral("validation cancelled");
        QTest::newRow("a path with ': ' in it") << QStringLiteral("/w/a: b.json") << QStringLiteral("cannot open: No such file")
                                                << QStringLiteral("/w/a: b.json: cannot open: No such file");
    }
    void message()
    {
        QFETCH(QString, path);
        QFETCH(QString, problem);
        QFETCH(QString, message);
        const Status failed = path.isEmpty() ? makeError(problem) : makeError(path, problem, Remedy::RebuildRegistry);
        QCOMPARE(failed.errorString(), message);
        // The pieces stay apart: a path holding ": " does not move the problem.
        QCOMPARE(failed.error().path, path);
        QCOMPARE(failed.error().problem, problem);
        QCOMPARE(failed.error().remedy, path.isEmpty() ? Remedy::None : Remedy::RebuildRegistry);
    }

    // Each status is written as its word and read back as the same value; no validation is no
    // "validation" object at all.
    void validationStatusRoundTrip_data()
    {
        QTest::addColumn<ValidationStatus>("status");
        QTest::addColumn<QString>("word"); // in the registry's JSON; empty: no validation object
        QTest::newRow("not validated") << ValidationStatus::NotValidated << QString();
        QTest::newRow("passed") << ValidationStatus::Passed << QStringLiteral("passed");
        QTest::newRow("failed") << ValidationStatus::Failed << QStringLiteral("failed");
    }
    void validationStatusRoundTrip()
    {
        QFETCH(ValidationStatus, status);
        QFETCH(QString, word);
        RegistryData data;
        WeightEntry w;
        w.name = QStringLiteral("mamba_v1");
        w.modelType = QStringLiteral("mamba");
        w.version = QStringLiteral("v1");
        w.path = QStringLiteral("Model/weights/mamba_v1.safetensors");
        w.validation.status = status;
        w.validation.checkedAt = QDateTime::fromString(QStringLiteral("2026-01-02T03:04:05.000Z"), Qt::ISODateWithMs);
        data.weights[w.name] = w;

        const QByteArray json = Registry::serialize(data);
        const QJsonObject entry = QJsonDocument::fromJson(json).object().value(QStringLiteral("weights")).toObject().value(w.name).toObject();
        QCOMPARE(entry.contains(QStringLiteral("validation")), !word.isEmpty());
        QCOMPARE(entry.value(QStringLiteral("validation")).toObject().value(QStringLiteral("status")).toString(), word);
        QCOMPARE(validationStatusName(status), word);

        auto parsed = Registry::parse(json, QStringLiteral("r.json"));
        QVERIFY2(parsed.ok(), qPrintable(test::errorOf(parsed)));
        QCOMPARE(parsed->find(w.name)->validation.status, status);
        // And once more: a rewrite keeps it.
        auto again = Registry::parse(Registry::serialize(*parsed), QStringLiteral("r.json"));
        QVERIFY(again.ok());
        QCOMPARE(again->find(w.name)->validation.status, status);
    }

    // A word the registry does not know stays an error naming the field; it never becomes a
    // default status.
    void unknownValidationWord_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<QString>("found");
        QTest::newRow("ok (a checksum word)") << QByteArray("\"ok\"") << QStringLiteral("\"ok\"");
        QTest::newRow("capitalised") << QByteArray("\"Passed\"") << QStringLiteral("\"Passed\"");
        QTest::newRow("empty") << QByteArray("\"\"") << QStringLiteral("\"\"");
        QTest::newRow("a number") << QByteArray("1") << QStringLiteral("1");
    }
    void unknownValidationWord()
    {
        QFETCH(QByteArray, value);
        QFETCH(QString, found);
        const QByteArray json = "{\"weights\": {\"mamba_v1\": {\"model_type\": \"mamba\", \"version\": \"v1\", "
                                "\"path\": \"Model/weights/mamba_v1.safetensors\", \"size\": 1, \"sha256\": \"\", "
                                "\"validation\": {\"status\": " + value + "}}}}";
        auto parsed = Registry::parse(json, QStringLiteral("r.json"));
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.error().path, QStringLiteral("r.json"));
        const QString expected = value.startsWith('"') ? QStringLiteral("weights.mamba_v1.validation.status: expected \"passed\" or \"failed\", found ") + found
                                                       : QStringLiteral("weights.mamba_v1.validation.status: expected a string, found ") + found;
        QCOMPARE(parsed.error().problem, expected);
        QCOMPARE(validationStatusFromName(QString::fromUtf8(value).remove(QLatin1Char('"'))), std::nullopt);
    }

    // The kind is tagged where the failure is decided, for faces that map failures onto types of
    // their own (the Python module's exception classes); what is not tagged stays Other.
    void errorKind_data()
    {
        QTest::addColumn<QString>("failure");
        QTest::addColumn<ErrorKind>("kind");
        QTest::newRow("version not registered") << QStringLiteral("findVersion") << ErrorKind::NotFound;
        QTest::newRow("type without an active weight") << QStringLiteral("findActive") << ErrorKind::NotFound;
        QTest::newRow("set-active of an unknown name") << QStringLiteral("setActive") << ErrorKind::NotFound;
        QTest::newRow("remove of an unknown name") << QStringLiteral("remove") << ErrorKind::NotFound;
        QTest::newRow("backup of an unknown name") << QStringLiteral("backup") << ErrorKind::NotFound;
        QTest::newRow("validate of an unknown name") << QStringLiteral("validateNamed") << ErrorKind::NotFound;
        QTest::newRow("unknown model type") << QStringLiteral("unknownConfig") << ErrorKind::Config;
        QTest::newRow("config that does not parse") << QStringLiteral("brokenConfig") << ErrorKind::Config;
        QTest::newRow("import of an unknown type") << QStringLiteral("importUnknownType") << ErrorKind::Config;
        QTest::newRow("header that breaks the format") << QStringLiteral("brokenHeader") << ErrorKind::InvalidWeight;
        QTest::newRow("import that does not fit") << QStringLiteral("importMisfit") << ErrorKind::InvalidWeight;
        QTest::newRow("registry locked by another holder") << QStringLiteral("locked") << ErrorKind::Locked;
        QTest::newRow("invalid version name") << QStringLiteral("badName") << ErrorKind::Other;
        QTest::newRow("missing file") << QStringLiteral("missingFile") << ErrorKind::Other;
    }
    void errorKind()
    {
        QFETCH(QString, failure);
        QFETCH(ErrorKind, kind);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString root = dir.filePath(QStringLiteral("ws"));
        test::makeWorkspace(root);
        WeightManager manager{Workspace(root)};
        const QString missing = QStringLiteral("mamba_nope");
        Error error;
        if (failure == QLatin1String("findVersion"))
            error = manager.findWeight(QStringLiteral("mamba"), QStringLiteral("nope")).error();
        else if (failure == QLatin1String("findActive"))
            error = manager.findWeight(QStringLiteral("other"), QString()).error();
        else if (failure == QLatin1String("setActive"))
            error = manager.setActiveWeight(missing).error();
        else if (failure == QLatin1String("remove"))
            error = manager.removeWeight(missing).error();
        else if (failure == QLatin1String("backup"))
            error = manager.backupWeight(missing).error();
        else if (failure == QLatin1String("validateNamed"))
            error = manager.validateWeightNamed(missing, false).error();
        else if (failure == QLatin1String("unknownConfig"))
            error = manager.configs().getConfig(QStringLiteral("nope")).error();
        else if (failure == QLatin1String("brokenConfig")) {
            QFile yaml(QDir(root).filePath(QStringLiteral("Config/broken.yaml")));
            QVERIFY(yaml.open(QIODevice::WriteOnly));
            yaml.write("model_type: broken\narchitecture: [1, 2\n");
            yaml.close();
            error = manager.configs().getConfig(QStringLiteral("broken")).error();
        } else if (failure == QLatin1String("importUnknownType") || failure == QLatin1String("importMisfit")) {
            ImportRequest request;
            request.source = test::writeSample(dir.filePath(QStringLiteral("short.safetensors")), QStringLiteral("mamba"), 7, true);
            request.modelType = failure == QLatin1String("importMisfit") ? QStringLiteral("mamba") : QStringLiteral("nope");
            request.version = QStringLiteral("v9");
            error = manager.importWeight(request).error();
        } else if (failure == QLatin1String("brokenHeader")) {
            const QString path = dir.filePath(QStringLiteral("broken.safetensors"));
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(QByteArray(8, '\xff') + QByteArray("{}"));
            file.close();
            error = SafetensorsModel::open(path).error();
        } else if (failure == QLatin1String("locked")) {
            QLockFile held(manager.registry().path() + QStringLiteral(".lock"));
            QVERIFY(held.tryLock(0));
            error = manager.registry().update([](RegistryData &) { return Status(); }, 300).error();
        } else if (failure == QLatin1String("badName")) {
            error = manager.saveWeights({}, QStringLiteral("mamba"), QStringLiteral("../x"), false).error();
        } else if (failure == QLatin1String("missingFile")) {
            error = SafetensorsModel::open(dir.filePath(QStringLiteral("absent.safetensors"))).error();
        }
        QVERIFY2(!error.problem.isEmpty(), qPrintable(failure));
        QCOMPARE(error.kind, kind);
    }

    void validationWords()
    {
        QCOMPARE(validationStatusFromName(QStringLiteral("passed")), std::optional<ValidationStatus>(ValidationStatus::Passed));
        QCOMPARE(validationStatusFromName(QStringLiteral("failed")), std::optional<ValidationStatus>(ValidationStatus::Failed));
        QCOMPARE(validationStatusName(ValidationStatus::NotValidated), QString());
    }
};

QTEST_GUILESS_MAIN(TestErrors)
#include "tst_errors.moc"
