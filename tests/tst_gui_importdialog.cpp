// The import dialog: a version that cannot be used (the dialog stays open, the version field
// is marked, and a free version is offered in the GUI's words, no command-line options); a file
// that fits no model type (a new type made from it, or an import marked unvalidated); a file
// that is no weight (its reason, not the form).
#include "icons.h"
#include "importdialog.h"
#include "safetensorswriter.h"
#include "testutil.h"
#include "weightmanager.h"
#include "weighttablemodel.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QCheckBox>
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

// A small GPT-2-like weight that no shipped config describes: three layers of the same
// tensors, a few single ones, and an integer tensor.
QString writeUnfitWeight(const QString &path)
{
    std::vector<TensorSpec> tensors{{"wte.weight", Dtype::F32, {100, 16}}, {"wpe.weight", Dtype::F32, {32, 16}}};
    for (int i = 0; i < 3; ++i) {
        const std::string layer = "h." + std::to_string(i) + ".";
        tensors.push_back({layer + "ln_1.weight", Dtype::F32, {16}});
        tensors.push_back({layer + "attn.c_attn.weight", Dtype::F32, {16, 48}});
    }
    tensors.push_back({"ln_f.weight", Dtype::F32, {16}});
    tensors.push_back({"position_ids", Dtype::I64, {32}});
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile::remove(path);
    const Status written = writeSparseSafetensors(path, tensors);
    if (!written)
        qFatal("cannot write %s: %s", qPrintable(path), qPrintable(written.errorString()));
    return path;
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


    // A file far from every config: the dialog offers a new model type named after the file,
    // which the import creates (its rules made from the tensors) and the weight then fits.
    void unfitFileBecomesANewModelType()
    {
        const QString root = m_dir.filePath(QStringLiteral("newtype"));
        test::makeWorkspace(root);
        WeightManager manager{Workspace(root)};
        const QString source = writeUnfitWeight(m_dir.filePath(QStringLiteral("newtype-src/gpt2_v3.safetensors")));

        ImportDialog dialog(&manager, source);
        dialog.show();
        QTRY_VERIFY(dialog.isAnalysed());
        QVERIFY(dialog.form()->isVisible());
        QVERIFY(dialog.fitNote()->isVisible());
        QCOMPARE(dialog.fitNote()->text(), QStringLiteral("<b>No model type's shape rules fit this file.</b> A config with rules made from its tensors "
                                                          "is written to Config/gpt2.yaml; edit it later to name the dimensions. Or choose a type "
                                                          "above to import it under, marked as unvalidated."));
        // Every shipped type is still offered, after them the new type, chosen.
        QCOMPARE(dialog.typeCombo()->currentIndex(), dialog.newTypeIndex());
        QCOMPARE(dialog.typeCombo()->itemData(0).toString(), QStringLiteral("mamba"));
        QVERIFY(dialog.newTypeEdit()->isVisible());
        QCOMPARE(dialog.newTypeEdit()->text(), QStringLiteral("gpt2"));
        QCOMPARE(dialog.versionEdit()->text(), QStringLiteral("v3"));
        QVERIFY(!dialog.unvalidatedCheck()->isVisible());
        QVERIFY(importButton(dialog)->isEnabled());

        // A type that exists, or a name that cannot be a file name, is refused on the spot.
        dialog.newTypeEdit()->setText(QStringLiteral("mamba"));
        QVERIFY(!importButton(dialog)->isEnabled());
        QCOMPARE(importButton(dialog)->toolTip(), QStringLiteral("The model type mamba exists already."));
        dialog.newTypeEdit()->setText(QStringLiteral("gpt/2"));
        QVERIFY(!importButton(dialog)->isEnabled());
        dialog.newTypeEdit()->setText(QStringLiteral("gpt2"));
        QVERIFY(importButton(dialog)->isEnabled());
        importButton(dialog)->click();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        const ImportRequest request = dialog.request();
        QVERIFY(request.createType);
        QVERIFY(!request.unvalidated);
        QCOMPARE(request.modelType, QStringLiteral("gpt2"));

        // What the Import action then runs.
        auto entry = manager.importWeight(request);
        QVERIFY2(entry, qPrintable(test::errorOf(entry)));
        QCOMPARE(entry->name, QStringLiteral("gpt2_v3"));
        QCOMPARE(entry->validation.status, ValidationStatus::Passed);
        QVERIFY(!entry->validation.unvalidatedImport);
        auto config = manager.configs().getConfig(QStringLiteral("gpt2"));
        QVERIFY2(config, qPrintable(test::errorOf(config)));
        // The three layers are one rule over a count the user can change.
        QCOMPARE(config->architecture.value(QStringLiteral("n_h")).toLongLong(), 3);
        QCOMPARE(config->tensors.size(), std::size_t(6));
        // Sorted by name, numbers by value: the file's own order is the writer's (widest dtype first).
        QStringList patterns;
        for (const ShapeRule &rule : config->tensors)
            patterns << rule.pattern;
        QCOMPARE(patterns, (QStringList{QStringLiteral("h.{i}.attn.c_attn.weight"), QStringLiteral("h.{i}.ln_1.weight"), QStringLiteral("ln_f.weight"),
                                        QStringLiteral("position_ids"), QStringLiteral("wpe.weight"), QStringLiteral("wte.weight")}));
        QCOMPARE(config->tensors[0].repeat.front(), std::make_pair(QStringLiteral("i"), QStringLiteral("n_h")));
        QCOMPARE(config->tensors[3].dtypes, QStringList{QStringLiteral("I64")});
        QCOMPARE(config->tensors[4].dtypes, defaultRuleDtypes());
        auto validated = manager.validateWeightNamed(QStringLiteral("gpt2_v3"), true);
        QVERIFY2(validated && validated->passed, qPrintable(validated ? validated->issues.join(QLatin1Char('\n')) : validated.errorString()));
    }

    // The same file under a type it does not fit: Import waits for "import anyway"; the weight
    // is registered with the mismatches, marked unvalidated in the table until validated again.
    void unfitFileImportedUnvalidated()
    {
        const QString root = m_dir.filePath(QStringLiteral("unvalidated"));
        test::makeWorkspace(root);
        WeightManager manager{Workspace(root)};
        const QString source = writeUnfitWeight(m_dir.filePath(QStringLiteral("unvalidated-src/gpt2_v3.safetensors")));

        ImportDialog dialog(&manager, source);
        dialog.show();
        QTRY_VERIFY(dialog.isAnalysed());
        dialog.typeCombo()->setCurrentIndex(dialog.typeCombo()->findData(QStringLiteral("mamba")));
        QVERIFY(!dialog.newTypeEdit()->isVisible());
        QVERIFY2(dialog.fitNote()->text().contains(QStringLiteral("The file does not fit the mamba config (0 of 42 required tensors match; 42 missing, 10 unexpected).")),
                 qPrintable(dialog.fitNote()->text()));
        QVERIFY(dialog.unvalidatedCheck()->isVisible());
        QVERIFY(!dialog.unvalidatedCheck()->isChecked());
        QVERIFY(!importButton(dialog)->isEnabled());
        QCOMPARE(importButton(dialog)->toolTip(), QStringLiteral("The file does not fit this type's config"));
        dialog.unvalidatedCheck()->setChecked(true);
        QVERIFY(importButton(dialog)->isEnabled());
        dialog.versionEdit()->setText(QStringLiteral("gpt"));
        importButton(dialog)->click();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        const ImportRequest request = dialog.request();
        QVERIFY(request.unvalidated);
        QVERIFY(!request.createType);
        QCOMPARE(request.modelType, QStringLiteral("mamba"));

        auto entry = manager.importWeight(request);
        QVERIFY2(entry, qPrintable(test::errorOf(entry)));
        QVERIFY(!QFileInfo::exists(manager.configs().configPath(QStringLiteral("gpt2"))));
        // As the registry keeps it (another process reads it back).
        const RegistryData before = *manager.snapshot();
        const WeightEntry *stored = before.find(QStringLiteral("mamba_gpt"));
        QVERIFY(stored);
        QCOMPARE(stored->validation.status, ValidationStatus::Failed);
        QVERIFY(stored->validation.unvalidatedImport);
        QCOMPARE(stored->validation.issues.size(), 10 + 42); // the file's 10 tensors mamba does not know, its 42 missing
        const QString wte = manager.workspace().weightsDir() + QStringLiteral("/mamba_gpt.safetensors: wte.weight: unexpected, no rule of 'mamba' names it");
        QVERIFY2(stored->validation.issues.contains(wte), qPrintable(stored->validation.issues.join(QLatin1Char('\n'))));

        WeightTableModel table;
        QAbstractItemModelTester tester(&table);
        table.setRows({WeightTableModel::Row{*stored}});
        const QModelIndex cell = table.index(0, WeightTableModel::ValidationColumn);
        QCOMPARE(cell.data().toString(), QStringLiteral("unvalidated: 52 mismatches"));
        QVERIFY(!cell.data(Qt::DecorationRole).value<QIcon>().isNull());
        QVERIFY2(cell.data(Qt::ToolTipRole).toString().startsWith(QStringLiteral("Imported although it does not fit the mamba config.")),
                 qPrintable(cell.data(Qt::ToolTipRole).toString()));
        // Still marked when the config has changed since: it never fitted.
        table.setRows({WeightTableModel::Row{*stored, false, ChecksumState::NotChecked, true}});
        QCOMPARE(table.index(0, WeightTableModel::ValidationColumn).data().toString(), QStringLiteral("unvalidated: 52 mismatches"));

        // A validation replaces the mark with its own verdict.
        auto validated = manager.validateWeightNamed(QStringLiteral("mamba_gpt"), false);
        QVERIFY(validated && !validated->passed);
        const RegistryData after = *manager.snapshot();
        QVERIFY(!after.find(QStringLiteral("mamba_gpt"))->validation.unvalidatedImport);
        table.setRows({WeightTableModel::Row{*after.find(QStringLiteral("mamba_gpt"))}});
        QCOMPARE(table.index(0, WeightTableModel::ValidationColumn).data().toString(), QStringLiteral("failed: 52 issues"));
    }

    // A file that is no weight gets the reason, not a form to fill in for nothing.
    void fileThatIsNoWeightGetsTheReasonOnly_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("reason");
        QTest::newRow("text named .safetensors") << QByteArray("hello, these are notes\nnot weights\n")
                                                 << QStringLiteral("not a safetensors file");
        QByteArray truncated = test::safetensorsBytes(R"({"w":{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}})", QByteArray(64, '\0'));
        truncated.chop(40);
        QTest::newRow("truncated") << truncated << QStringLiteral("truncated");
    }
    void fileThatIsNoWeightGetsTheReasonOnly()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, reason);
        const QString root = m_dir.filePath(QStringLiteral("noweight"));
        if (!QFileInfo::exists(root))
            test::makeWorkspace(root);
        WeightManager manager{Workspace(root)};
        const QString source = test::writeBytes(m_dir.filePath(QStringLiteral("x.safetensors")), bytes);
        ImportDialog dialog(&manager, source);
        dialog.show();
        QTRY_VERIFY(dialog.isAnalysed());
        QVERIFY(!dialog.form()->isVisible());
        QVERIFY(!importButton(dialog)->isVisible());
        QCOMPARE(dialog.windowTitle(), QStringLiteral("Cannot import x.safetensors"));
        const QString shown = dialog.statusLabel()->text();
        QVERIFY(dialog.statusLabel()->isVisible());
        QVERIFY2(shown.startsWith(QStringLiteral("<b>This file cannot be imported:</b><br>") + source), qPrintable(shown));
        QVERIFY2(shown.contains(reason), qPrintable(shown));
        QCOMPARE(dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Cancel)->text(), QStringLiteral("Close"));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestGuiImportDialog)

#include "tst_gui_importdialog.moc"
