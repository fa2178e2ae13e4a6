// The import dialog and a version that cannot be used: the dialog stays open, the version field
// is marked, and a free version is offered in the GUI's words (no command-line options).
#include "importdialog.h"
#include "testutil.h"
#include "weightmanager.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace tantra;

namespace {

QPushButton *importButton(const ImportDialog &dialog)
{
    return dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
}

// The trailing warning mark the dialog adds to the version field.
bool versionMarked(const ImportDialog &dialog)
{
    const auto actions = dialog.versionEdit()->actions();
    return std::any_of(actions.begin(), actions.end(), [](const QAction *a) { return a->isVisible(); });
}

} // namespace

class TestGuiImportDialog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void takenVersionIsMarkedWithAFreeOne_data()
    {
        QTest::addColumn<QString>("fileName");   // the file to import; its name suggests the version
        QTest::addColumn<QString>("strayFile");  // an unregistered file put in Model/weights first
        QTest::addColumn<QString>("registered"); // a version registered first (a copy of the sample)
        QTest::addColumn<QString>("note");       // what the note under the field says
        QTest::addColumn<QString>("suggestion"); // the free version it offers

        QTest::newRow("registered: a name without a number gets -2")
                << QStringLiteral("mamba_sample.safetensors") << QString() << QString()
                << QStringLiteral("<b>mamba_sample already exists.</b> Version <b>sample-2</b> is free: <a href=\"#use\">use it</a>.")
                << QStringLiteral("sample-2");
        QTest::newRow("registered: a trailing number counts up")
                << QStringLiteral("mamba_v1.safetensors") << QString() << QStringLiteral("v1")
                << QStringLiteral("<b>mamba_v1 already exists.</b> Version <b>v2</b> is free: <a href=\"#use\">use it</a>.")
                << QStringLiteral("v2");
        QTest::newRow("registered: the next number is taken too")
                << QStringLiteral("mamba_v8.safetensors") << QStringLiteral("mamba_v9.safetensors") << QStringLiteral("v8")
                << QStringLiteral("<b>mamba_v8 already exists.</b> Version <b>v10</b> is free: <a href=\"#use\">use it</a>.")
                << QStringLiteral("v10");
        QTest::newRow("a stray file holds the name")
                << QStringLiteral("mamba_v3.safetensors") << QStringLiteral("mamba_v3.safetensors") << QString()
                << QStringLiteral("<b>A file that is not registered already holds mamba_v3</b> (Model/weights/mamba_v3.safetensors). "
                                  "Use Workspace \u203a Repair Workspace\u2026 to tidy the weights folder, or choose another version. "
                                  "Version <b>v4</b> is free: <a href=\"#use\">use it</a>.")
                << QStringLiteral("v4");
    }
    void takenVersionIsMarkedWithAFreeOne()
    {
        QFETCH(QString, fileName);
        QFETCH(QString, strayFile);
        QFETCH(QString, registered);
        QFETCH(QString, note);
        QFETCH(QString, suggestion);
        const QString root = m_dir.filePath(QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(':'), QLatin1Char('_')));
        test::makeWorkspace(root);
        WeightManager manager{Workspace(root)};
        const QString sample = manager.workspace().weightsDir() + QStringLiteral("/mamba_sample.safetensors");
        if (!registered.isEmpty()) {
            const QString path = manager.finalPathFor(QStringLiteral("mamba"), registered, false);
            QVERIFY(QFile::copy(sample, path));
            auto added = manager.registerInPlace(QStringLiteral("mamba"), registered, path, false, QStringLiteral("test"), false, nullptr);
            QVERIFY2(added, qPrintable(added ? QString() : added.errorString()));
        }
        if (!strayFile.isEmpty())
            test::writeBytes(manager.workspace().weightsDir() + QLatin1Char('/') + strayFile, QByteArray("left by a killed import"));
        const QString source = m_dir.filePath(QStringLiteral("outside/") + fileName);
        QVERIFY(QDir().mkpath(QFileInfo(source).absolutePath()));
        QFile::remove(source);
        QVERIFY(QFile::copy(sample, source));

        ImportDialog dialog(&manager, source);
        dialog.show();
        QTRY_VERIFY(dialog.isAnalysed());
        QCOMPARE(dialog.typeCombo()->currentData().toString(), QStringLiteral("mamba"));
        QCOMPARE(dialog.versionEdit()->text(), QFileInfo(fileName).completeBaseName().mid(6));
        QVERIFY(dialog.versionNote()->isVisible());
        QCOMPARE(dialog.versionNote()->text(), QStringLiteral("<span style='color:#c62828'>%1</span>").arg(note));
        QVERIFY(!dialog.versionNote()->text().contains(QStringLiteral("--")));
        QVERIFY(versionMarked(dialog));
        QCOMPARE(dialog.suggestedVersion(), suggestion);
        QVERIFY(!importButton(dialog)->isEnabled());

        // The link puts the free version in the field; the mark goes, Import can be pressed.
        Q_EMIT dialog.versionNote()->linkActivated(QStringLiteral("#use"));
        QCOMPARE(dialog.versionEdit()->text(), suggestion);
        QVERIFY(!dialog.versionNote()->isVisible());
        QVERIFY(!versionMarked(dialog));
        QVERIFY(importButton(dialog)->isEnabled());
        importButton(dialog)->click();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(dialog.request().version, suggestion);
    }

    void invalidVersionSaysWhy_data()
    {
        QTest::addColumn<QString>("version");
        QTest::addColumn<QString>("note");
        QTest::newRow("empty") << QString() << QStringLiteral("The version is empty.");
        QTest::newRow("path separator") << QStringLiteral("a/b") << QStringLiteral("The version 'a/b' contains a path separator.");
        QTest::newRow("space") << QStringLiteral("my run") << QStringLiteral("The version 'my run' may only hold letters, digits and _ - . +.");
    }
    void invalidVersionSaysWhy()
    {
        QFETCH(QString, version);
        QFETCH(QString, note);
        const QString root = m_dir.filePath(QStringLiteral("invalid"));
        if (!QFileInfo::exists(root))
            test::makeWorkspace(root);
        WeightManager manager{Workspace(root)};
        ImportDialog dialog(&manager, manager.workspace().weightsDir() + QStringLiteral("/mamba_sample.safetensors"));
        dialog.show();
        QTRY_VERIFY(dialog.isAnalysed());
        dialog.versionEdit()->setText(version);
        QVERIFY(dialog.versionNote()->isVisible());
        QCOMPARE(dialog.versionNote()->text(), QStringLiteral("<span style='color:#c62828'>%1</span>").arg(note.toHtmlEscaped()));
        QCOMPARE(dialog.suggestedVersion(), QString());
        QVERIFY(versionMarked(dialog));
        QVERIFY(!importButton(dialog)->isEnabled());
    }

    // Another process registers the version while the dialog is open: Import re-reads the
    // registry and keeps the dialog open, the field marked, instead of failing afterwards.
    void versionTakenMeanwhileKeepsTheDialogOpen()
    {
        const QString root = m_dir.filePath(QStringLiteral("meanwhile"));
        test::makeWorkspace(root);
        WeightManager manager{Workspace(root)};
        const QString sample = manager.workspace().weightsDir() + QStringLiteral("/mamba_sample.safetensors");
        const QString source = m_dir.filePath(QStringLiteral("meanwhile-src/mamba_v5.safetensors"));
        QVERIFY(QDir().mkpath(QFileInfo(source).absolutePath()));
        QVERIFY(QFile::copy(sample, source));

        ImportDialog dialog(&manager, source);
        dialog.show();
        QTRY_VERIFY(dialog.isAnalysed());
        QCOMPARE(dialog.versionEdit()->text(), QStringLiteral("v5"));
        QVERIFY(importButton(dialog)->isEnabled());

        WeightManager other{Workspace(root)};
        const QString path = other.finalPathFor(QStringLiteral("mamba"), QStringLiteral("v5"), false);
        QVERIFY(QFile::copy(sample, path));
        QVERIFY(other.registerInPlace(QStringLiteral("mamba"), QStringLiteral("v5"), path, false, QStringLiteral("cli"), false, nullptr));

        importButton(dialog)->click();
        QVERIFY(dialog.isVisible());
        QVERIFY(dialog.result() != QDialog::Accepted);
        QVERIFY(versionMarked(dialog));
        QCOMPARE(dialog.suggestedVersion(), QStringLiteral("v6"));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestGuiImportDialog)

#include "tst_gui_importdialog.moc"
