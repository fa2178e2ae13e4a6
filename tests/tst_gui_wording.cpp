// What the GUI says, as a user reads it: counted texts in proper English plurals ("1 weight",
// "2 weights"; never "weight(s)"), a preview that speaks of what will happen, no doubled type
// in the import dialog's findings, and the statistics placeholder as a sentence.
#include "cleanupdialog.h"
#include "englishplurals.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "tensorstatspanel.h"
#include "testutil.h"
#include "weightmanager.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

using namespace tantra;

namespace {

// Every label's text under `widget`, joined, for "does the dialog say X" checks.
QString shownText(const QWidget *widget)
{
    QStringList texts;
    for (const QLabel *label : widget->findChildren<QLabel *>())
        if (!label->text().isEmpty())
            texts << label->text();
    return texts.join(QLatin1Char('\n'));
}

} // namespace

class TestGuiWording : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // The translator every face installs (tests too: guitestsetup.cpp) resolves "(s)" by count.
    void countedTextsArePlural_data()
    {
        QTest::addColumn<QString>("source");
        QTest::addColumn<int>("n");
        QTest::addColumn<QString>("expected");
        QTest::newRow("one weight") << QStringLiteral("%n weight(s)") << 1 << QStringLiteral("1 weight");
        QTest::newRow("two weights") << QStringLiteral("%n weight(s)") << 2 << QStringLiteral("2 weights");
        QTest::newRow("no weights") << QStringLiteral("%n weight(s)") << 0 << QStringLiteral("0 weights");
        QTest::newRow("two nouns, one count") << QStringLiteral("Delete %n weight(s) and their file(s)?") << 1
                                              << QStringLiteral("Delete 1 weight and their file?");
        QTest::newRow("one mismatch") << QStringLiteral("%n mismatch(es)") << 1 << QStringLiteral("1 mismatch");
        QTest::newRow("two mismatches") << QStringLiteral("%n mismatch(es)") << 2 << QStringLiteral("2 mismatches");
        QTest::newRow("localised count") << QStringLiteral("Copied %Ln value(s)") << 1 << QStringLiteral("Copied 1 value");
        QTest::newRow("not counted: left alone") << QStringLiteral("weight(s)") << -1 << QStringLiteral("weight(s)");
        QTest::newRow("no %n: left alone") << QStringLiteral("%1 weight(s)") << 2 << QStringLiteral("%1 weight(s)");
    }
    void countedTextsArePlural()
    {
        QFETCH(QString, source);
        QFETCH(int, n);
        QFETCH(QString, expected);
        const QByteArray utf8 = source.toUtf8();
        QCOMPARE(QCoreApplication::translate("any context", utf8.constData(), nullptr, n), expected);
    }

    // The core's and the CLI's English-only texts take the same rule.
    void plainPlural_data()
    {
        QTest::addColumn<QString>("source");
        QTest::addColumn<qint64>("n");
        QTest::addColumn<QString>("expected");
        QTest::newRow("one") << QStringLiteral("%n file(s)") << qint64(1) << QStringLiteral("1 file");
        QTest::newRow("many") << QStringLiteral("%n file(s)") << qint64(5000000000) << QStringLiteral("5000000000 files");
        QTest::newRow("zero") << QStringLiteral("%n file(s)") << qint64(0) << QStringLiteral("0 files");
    }
    void plainPlural()
    {
        QFETCH(QString, source);
        QFETCH(qint64, n);
        QFETCH(QString, expected);
        QCOMPARE(plural(source.toUtf8().constData(), n), expected);
    }

    // The preview runs before anything is deleted: it says what will happen, and deletes nothing.
    void cleanupPreviewSpeaksOfTheFuture()
    {
        const QString root = m_dir.filePath(QStringLiteral("cleanup"));
        test::makeWorkspace(root);
        WeightManager manager{Workspace(root)};
        const QString sample = manager.workspace().weightsDir() + QStringLiteral("/mamba_sample.safetensors");
        for (const QString &version : {QStringLiteral("v2"), QStringLiteral("v3")}) {
            const QString path = manager.finalPathFor(QStringLiteral("mamba"), version, false);
            QVERIFY(QFile::copy(sample, path));
            auto added = manager.registerInPlace(QStringLiteral("mamba"), version, path, false, QStringLiteral("test"), false, nullptr);
            QVERIFY2(added, qPrintable(added ? QString() : added.errorString()));
        }
        const auto before = test::treeSnapshot(root);

        CleanupDialog dialog(&manager, QStringLiteral("mamba"));
        dialog.keepSpin()->setValue(1);
        QCOMPARE(dialog.preview()->count(), 1);
        QString text = shownText(&dialog);
        QVERIFY2(text.contains(QRegularExpression(QStringLiteral("will delete 1 weight and will free [0-9.,]+ [KMG]iB; 2 weights will be kept"))),
                 qPrintable(text));
        dialog.keepSpin()->setValue(0);
        QCOMPARE(dialog.preview()->count(), 2);
        text = shownText(&dialog);
        QVERIFY2(text.contains(QRegularExpression(QStringLiteral("will delete 2 weights and will free [0-9.,]+ [KMG]iB; 1 weight will be kept"))),
                 qPrintable(text));
        QVERIFY2(!text.contains(QRegularExpression(QStringLiteral("weights? deleted|freed"))), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("(s)")), qPrintable(text));
        QCOMPARE(test::treeSnapshot(root), before);
    }

    // A tensor too big to read on selection says why and what to do, in one sentence.
    void statisticsPlaceholderIsASentence()
    {
        const QString path = m_dir.filePath(QStringLiteral("one.safetensors"));
        std::vector<std::byte> bytes(64 * 4);
        QVERIFY(writeSafetensors(path, {TensorWrite{"w", Dtype::F32, {64}, bytes}}).ok());
        auto opened = SafetensorsModel::open(path);
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.errorString()));
        auto model = std::make_shared<const SafetensorsModel>(std::move(opened).value());

        TensorStatsPanel panel;
        panel.setAutoComputeLimit(0);
        panel.setTensor(model, &model->tensors().front());
        const QString text = shownText(&panel);
        QVERIFY2(text.contains(QStringLiteral("This tensor holds 256 bytes, and its statistics read all of it. Press Compute to start.")),
                 qPrintable(text));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestGuiWording)

#include "tst_gui_wording.moc"
