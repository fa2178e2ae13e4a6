// `tantra-model-manager convert`: a new version registered in the workspace (--as) or a file
// (--out), text and --json reports, and every usage error with its message and exit status.
#include "safetensorsmodel.h"
#include "testutil.h"
#include "weightmanager.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace tantra;

class TestCliConvert : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void asNewVersion();
    void toFileAsJson();
    void errors_data();
    void errors();

private:
    QTemporaryDir m_dir;
    QString m_root;
    QString m_sourceHash;
};

void TestCliConvert::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_root = m_dir.filePath(QStringLiteral("ws"));
    const test::CliRun setup = test::runCli({QStringLiteral("--root"), m_root, QStringLiteral("setup")});
    QCOMPARE(setup.exitCode, 0);
    // Outputs an attacker (or a slip) could name: the source through a link or a hard link,
    // and a FIFO, which a rename would have replaced.
    const QString source = m_root + QStringLiteral("/Model/weights/mamba_sample.safetensors");
    QVERIFY(QFile::exists(source));
    m_sourceHash = test::sha256Of(source);
    QVERIFY(QFile::link(source, m_dir.filePath(QStringLiteral("link.safetensors"))));
    QVERIFY(::link(QFile::encodeName(source).constData(), QFile::encodeName(m_dir.filePath(QStringLiteral("hard.safetensors"))).constData()) == 0);
    QVERIFY(::mkfifo(QFile::encodeName(m_dir.filePath(QStringLiteral("fifo"))).constData(), 0600) == 0);
}

void TestCliConvert::asNewVersion()
{
    const test::CliRun run = test::runCli({QStringLiteral("--root"), m_root, QStringLiteral("convert"), QStringLiteral("mamba_sample"),
                                           QStringLiteral("--dtype"), QStringLiteral("bf16"), QStringLiteral("--as"), QStringLiteral("bf16"),
                                           QStringLiteral("--keep-sensitive")});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(run.out.startsWith(QStringLiteral("25 of 42 tensors converted to bf16: 3.78 MiB -> 1.90 MiB, registered as mamba_bf16\n")),
             qPrintable(run.out));
    WeightManager manager{Workspace(m_root)};
    const auto data = manager.snapshot();
    QVERIFY(data.ok());
    const WeightEntry *entry = data->find(QStringLiteral("mamba_bf16"));
    QVERIFY(entry);
    QCOMPARE(entry->modelType, QStringLiteral("mamba"));
    QCOMPARE(entry->source, QStringLiteral("converted from mamba_sample (bf16)"));
    // The active weight stays; the scratch folder is gone.
    QCOMPARE(data->activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_sample"));
    QCOMPARE(QDir(m_root + QStringLiteral("/Model")).entryList({QStringLiteral(".derived-*")}, QDir::AllEntries | QDir::Hidden), QStringList());
    auto model = SafetensorsModel::open(manager.workspace().absolutePath(entry->path));
    QVERIFY(model.ok());
    std::map<std::string, std::string> meta(model->metadata().begin(), model->metadata().end());
    QCOMPARE(meta["converted_from"], std::string("mamba_sample"));
    QCOMPARE(meta["conversion"], std::string("dtype=bf16 keep-sensitive"));
    // diff sees 25 retyped tensors and the rest identical.
    const test::CliRun diff = test::runCli({QStringLiteral("--root"), m_root, QStringLiteral("diff"), QStringLiteral("mamba_sample"),
                                            QStringLiteral("mamba_bf16")});
    QVERIFY2(diff.out.startsWith(QStringLiteral("42 tensors: 17 identical, 25 retyped")), qPrintable(diff.out));
}

void TestCliConvert::toFileAsJson()
{
    const QString out = m_dir.filePath(QStringLiteral("e4m3.safetensors"));
    const test::CliRun run = test::runCli({QStringLiteral("--root"), m_root, QStringLiteral("convert"), QStringLiteral("mamba_sample"),
                                           QStringLiteral("--dtype"), QStringLiteral("f8_e4m3"), QStringLiteral("--include"),
                                           QStringLiteral("*in_proj*"), QStringLiteral("--out"), out, QStringLiteral("--json")});
    QCOMPARE(run.err, QString());
    QCOMPARE(run.exitCode, 0);
    const QJsonObject report = QJsonDocument::fromJson(run.out.toUtf8()).object();
    QCOMPARE(report.value(QStringLiteral("dtype")).toString(), QStringLiteral("f8_e4m3"));
    QVERIFY(report.value(QStringLiteral("registered_as")).isNull());
    int converted = 0;
    for (const QJsonValue &t : report.value(QStringLiteral("tensors")).toArray()) {
        const QJsonObject o = t.toObject();
        const bool isInProj = o.value(QStringLiteral("name")).toString().contains(QStringLiteral("in_proj"));
        QCOMPARE(o.value(QStringLiteral("converted")).toBool(), isInProj);
        if (isInProj) {
            ++converted;
            QCOMPARE(o.value(QStringLiteral("to")).toString(), QStringLiteral("F8_E4M3"));
            QVERIFY(o.value(QStringLiteral("rel_l2_error")).toDouble() > 0);
        }
    }
    QCOMPARE(converted, 4);
    auto model = SafetensorsModel::open(out);
    QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));
}

void TestCliConvert::errors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("error");
    const QString out = m_dir.filePath(QStringLiteral("never.safetensors"));
    QTest::newRow("no dtype") << QStringList{QStringLiteral("mamba_sample"), QStringLiteral("--out"), out} << 2
                              << QStringLiteral("convert: --dtype is required (bf16, f16, f32, f8_e4m3 or f8_e5m2)");
    QTest::newRow("unknown dtype") << QStringList{QStringLiteral("mamba_sample"), QStringLiteral("--dtype"), QStringLiteral("int4"),
                                                  QStringLiteral("--out"), out}
                                   << 2 << QStringLiteral("convert: unknown --dtype 'int4': use bf16, f16, f32, f8_e4m3 or f8_e5m2");
    QTest::newRow("neither --as nor --out") << QStringList{QStringLiteral("mamba_sample"), QStringLiteral("--dtype"), QStringLiteral("bf16")}
                                            << 2
                                            << QStringLiteral("convert: give either --as VERSION (a new version in the workspace) or --out PATH (a file)");
    QTest::newRow("both --as and --out") << QStringList{QStringLiteral("mamba_sample"), QStringLiteral("--dtype"), QStringLiteral("bf16"),
                                                        QStringLiteral("--as"), QStringLiteral("x"), QStringLiteral("--out"), out}
                                         << 2
                                         << QStringLiteral("convert: give either --as VERSION (a new version in the workspace) or --out PATH (a file)");
    QTest::newRow("unknown source") << QStringList{QStringLiteral("nope"), QStringLiteral("--dtype"), QStringLiteral("bf16"), QStringLiteral("--out"), out}
                                    << 1 << QStringLiteral("nope: no such file, and no weight of that name is registered in ");
    QTest::newRow("version taken") << QStringList{QStringLiteral("mamba_sample"), QStringLiteral("--dtype"), QStringLiteral("f16"),
                                                  QStringLiteral("--as"), QStringLiteral("sample")}
                                   << 1 << QStringLiteral("'mamba_sample' is already registered; choose another --version");
    QTest::newRow("include matches nothing")
            << QStringList{QStringLiteral("mamba_sample"), QStringLiteral("--dtype"), QStringLiteral("f16"), QStringLiteral("--include"),
                           QStringLiteral("nothing_matches*"), QStringLiteral("--out"), out}
            << 1 << QStringLiteral("--include 'nothing_matches*' matches no tensor");
    const QStringList bf16{QStringLiteral("mamba_sample"), QStringLiteral("--dtype"), QStringLiteral("bf16"), QStringLiteral("--out")};
    const QString link = m_dir.filePath(QStringLiteral("link.safetensors"));
    const QString hard = m_dir.filePath(QStringLiteral("hard.safetensors"));
    const QString fifo = m_dir.filePath(QStringLiteral("fifo"));
    QTest::newRow("--out is a link to the source") << bf16 + QStringList{link} << 2
                                                   << QStringLiteral("convert: --out %1 is the source itself; write the result elsewhere").arg(link);
    QTest::newRow("--out is a hard link to the source") << bf16 + QStringList{hard} << 2
                                                        << QStringLiteral("convert: --out %1 is the source itself; write the result elsewhere").arg(hard);
    QTest::newRow("--out is a FIFO") << bf16 + QStringList{fifo} << 1
                                     << QStringLiteral("%1: is a FIFO (named pipe), not a regular file").arg(fifo);
    // The mamba config allows F32, BF16 and F16: refused before anything is written.
    QTest::newRow("dtype the config does not allow")
            << QStringList{QStringLiteral("mamba_sample"), QStringLiteral("--dtype"), QStringLiteral("f8_e4m3"), QStringLiteral("--as"), QStringLiteral("fp8")}
            << 1
            << QStringLiteral("mamba_fp8: would not fit the 'mamba' config (0 of 42 required tensors match; 42 dtypes not allowed):\n"
                              "  42 tensors: dtype F8_E4M3 not allowed (allowed: F32, BF16, F16): backbone.embedding.weight, "
                              "backbone.layers.0.mixer.A_log, backbone.layers.0.mixer.D, \u2026 and 39 more\n");
}

void TestCliConvert::errors()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, error);
    const test::CliRun run = test::runCli(QStringList{QStringLiteral("--root"), m_root, QStringLiteral("convert")} + arguments);
    QCOMPARE(run.exitCode, exitCode);
    QVERIFY2(run.err.contains(error), qPrintable(run.err));
    QCOMPARE(run.out, QString());
    QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("never.safetensors"))));
    // Nothing registered, no scratch folder left in the workspace.
    QVERIFY(!QFile::exists(m_root + QStringLiteral("/Model/weights/mamba_fp8.safetensors")));
    QCOMPARE(QDir(m_root + QStringLiteral("/Model")).entryList({QStringLiteral(".derived-*")}, QDir::Dirs | QDir::Hidden), QStringList());
    // The source, its links and the FIFO are as they were; no temporary file is left.
    QCOMPARE(test::sha256Of(m_root + QStringLiteral("/Model/weights/mamba_sample.safetensors")), m_sourceHash);
    QVERIFY(QFileInfo(m_dir.filePath(QStringLiteral("link.safetensors"))).isSymLink());
    QCOMPARE(test::sha256Of(m_dir.filePath(QStringLiteral("hard.safetensors"))), m_sourceHash);
    QCOMPARE(QDir(m_dir.path()).entryList({QStringLiteral("*.part")}, QDir::Files | QDir::Hidden), QStringList());
}

QTEST_GUILESS_MAIN(TestCliConvert)
#include "tst_cli_convert.moc"
