// Weight ▸ Convert… and Weight ▸ Reshard…: the dialogs' live counts and checks, the job that
// registers the result, the new version selected, and the conversion report tab with its way
// into the compare view.

#include "guitestutil.h"
#include "compareview.h"
#include "conversionreportmodel.h"
#include "conversionreportview.h"
#include "convertdialog.h"
#include "jobrunner.h"
#include "mainwindow.h"
#include "reshardingdialog.h"
#include "safetensorsmodel.h"
#include "weightmanager.h"
#include "weighttablemodel.h"
#include "workspaceactions.h"
#include "workspacecontroller.h"
#include "workspacepage.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <functional>

using namespace tantra;
using tantra::test::whenDialogOpens;

namespace {

template<typename Page>
Page *findPage(MainWindow &window)
{
    for (int i = 0; i < window.pages()->count(); ++i) {
        if (auto *p = qobject_cast<Page *>(window.pages()->widget(i)))
            return p;
    }
    return nullptr;
}

} // namespace

class TestGuiConvert : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        m_dir.reset(new QTemporaryDir);
        QVERIFY(m_dir->isValid());
        m_root = m_dir->filePath(QStringLiteral("ws"));
        WeightManager manager{Workspace(m_root)};
        auto setup = manager.setup();
        QVERIFY2(setup.ok(), qPrintable(setup.ok() ? QString() : setup.errorString()));
    }

    // The dialog counts what the choice converts as it is made, refuses a pattern that selects
    // no float tensor, and keeps itself open on a taken version, naming a free one.
    void convertDialogFollowsTheChoice()
    {
        WeightManager manager{Workspace(m_root)};
        auto data = manager.snapshot();
        QVERIFY(data.ok());
        const WeightEntry *entry = data->find(QStringLiteral("mamba_sample"));
        QVERIFY(entry);
        auto model = SafetensorsModel::open(manager.workspace().absolutePath(entry->path));
        QVERIFY(model.ok());
        const int tensors = int(model->tensors().size());
        ConvertDialog dialog(&manager, *data, *entry, std::make_shared<const SafetensorsModel>(std::move(*model)));

        QCOMPARE(dialog.versionEdit()->text(), QStringLiteral("sample_bf16"));
        // Every tensor of the sample is F32: all of them, half the bytes.
        QVERIFY2(dialog.selectionLabel()->text().startsWith(QStringLiteral("Converts %1 of %1 tensors to BF16: 3.78 MiB \u2192 1.89 MiB").arg(tensors)),
                 qPrintable(dialog.selectionLabel()->text()));
        // Norms and 1-D tensors kept: the count the CLI's --keep-sensitive reports.
        dialog.keepSensitiveCheck()->setChecked(true);
        QVERIFY2(dialog.selectionLabel()->text().startsWith(QStringLiteral("Converts 25 of %1 tensors").arg(tensors)), qPrintable(dialog.selectionLabel()->text()));
        dialog.keepSensitiveCheck()->setChecked(false);
        QVERIFY(dialog.buttons()->button(QDialogButtonBox::Ok)->isEnabled());
        QVERIFY(!dialog.saturateCheck()->isEnabled()); // FP8 only

        // FP8: a quarter of the bytes, saturation offered, the suggested version follows.
        dialog.dtypeCombo()->setCurrentIndex(dialog.dtypeCombo()->findData(QStringLiteral("f8_e4m3")));
        QCOMPARE(dialog.versionEdit()->text(), QStringLiteral("sample_f8_e4m3"));
        QVERIFY(dialog.saturateCheck()->isEnabled());
        QCOMPARE(dialog.options().target, Dtype::F8_E4M3);
        // ... which the mamba config does not allow: refused here, saying what to change.
        QVERIFY(!dialog.buttons()->button(QDialogButtonBox::Ok)->isEnabled());
        QVERIFY2(dialog.selectionLabel()->text().contains(QStringLiteral("The result would not fit the mamba config")),
                 qPrintable(dialog.selectionLabel()->text()));
        QVERIFY2(dialog.selectionLabel()->text().contains(QStringLiteral("Allow F8_E4M3 in the config")), qPrintable(dialog.selectionLabel()->text()));
        // F16 is allowed.
        dialog.dtypeCombo()->setCurrentIndex(dialog.dtypeCombo()->findData(QStringLiteral("f16")));
        QVERIFY(dialog.buttons()->button(QDialogButtonBox::Ok)->isEnabled());
        QVERIFY(!dialog.saturateCheck()->isEnabled());

        // Excluding everything converts nothing: nothing to run.
        dialog.excludeEdit()->setText(QStringLiteral("*"));
        QVERIFY2(dialog.selectionLabel()->text().startsWith(QStringLiteral("Converts nothing")), qPrintable(dialog.selectionLabel()->text()));
        QVERIFY(!dialog.buttons()->button(QDialogButtonBox::Ok)->isEnabled());
        dialog.excludeEdit()->clear();

        // Patterns are separated by spaces or commas; fewer tensors are counted.
        dialog.includeEdit()->setText(QStringLiteral("*in_proj*, *out_proj*"));
        QCOMPARE(dialog.options().include, (QStringList{QStringLiteral("*in_proj*"), QStringLiteral("*out_proj*")}));
        QVERIFY2(dialog.selectionLabel()->text().startsWith(QStringLiteral("Converts ")), qPrintable(dialog.selectionLabel()->text()));
        QVERIFY(!dialog.selectionLabel()->text().startsWith(QStringLiteral("Converts %1 ").arg(tensors)));
        QVERIFY(dialog.buttons()->button(QDialogButtonBox::Ok)->isEnabled());

        // A pattern that selects nothing at all is an error in the dialog's words, not the CLI's.
        dialog.includeEdit()->setText(QStringLiteral("no.such.tensor"));
        QVERIFY(!dialog.buttons()->button(QDialogButtonBox::Ok)->isEnabled());
        QVERIFY2(!dialog.selectionLabel()->text().contains(QStringLiteral("--include")), qPrintable(dialog.selectionLabel()->text()));
        QVERIFY2(dialog.selectionLabel()->text().contains(QStringLiteral("no.such.tensor")), qPrintable(dialog.selectionLabel()->text()));
        dialog.includeEdit()->clear();

        // A taken version: the dialog stays, says so and names a free one.
        QCOMPARE(dialog.versionEdit()->text(), QStringLiteral("sample_f16"));
        dialog.versionEdit()->setText(QStringLiteral("sample"));
        Q_EMIT dialog.versionEdit()->textEdited(QStringLiteral("sample"));
        dialog.show();
        dialog.accept();
        QVERIFY(dialog.isVisible());
        QVERIFY(dialog.versionNote()->isVisible());
        QVERIFY2(dialog.versionNote()->text().contains(QStringLiteral("mamba_sample already exists; sample-2 is free.")),
                 qPrintable(dialog.versionNote()->text()));
        // The user's own version is not overwritten by a later dtype change.
        dialog.dtypeCombo()->setCurrentIndex(dialog.dtypeCombo()->findData(QStringLiteral("bf16")));
        QCOMPARE(dialog.versionEdit()->text(), QStringLiteral("sample"));
        dialog.versionEdit()->setText(QStringLiteral("half"));
        dialog.accept();
        QVERIFY(!dialog.isVisible());
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(dialog.version(), QStringLiteral("half"));
    }

    // The whole flow from the menu: the job registers the version, the table selects it, the
    // report opens in a tab (a consistent model, sortable), and Compare with Source opens the
    // comparison of the two.
    void convertFromTheMenu()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        WorkspacePage *page = controller.page();
        page->selectType(QStringLiteral("mamba"));
        page->selectWeight(QStringLiteral("mamba_sample"));
        QAction *convert = controller.actions()->convert();
        QVERIFY(convert->isEnabled());

        bool seen = false;
        whenDialogOpens([&](QWidget *w) {
            auto *dialog = qobject_cast<ConvertDialog *>(w);
            QVERIFY2(dialog, w->metaObject()->className());
            seen = true;
            dialog->accept();
        });
        convert->trigger();
        QVERIFY(seen);
        QTRY_VERIFY_WITH_TIMEOUT(findPage<ConversionReportView>(window) != nullptr, 20000);
        QTRY_VERIFY(!controller.jobs()->isBusy());

        WeightManager manager{Workspace(m_root)};
        auto data = manager.snapshot();
        QVERIFY(data.ok());
        const WeightEntry *made = data->find(QStringLiteral("mamba_sample_bf16"));
        QVERIFY(made);
        QCOMPARE(made->source, QStringLiteral("converted from mamba_sample (bf16)"));
        QCOMPARE(data->activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_sample"));
        QTRY_COMPARE(page->selectedWeights(), QStringList{QStringLiteral("mamba_sample_bf16")});

        ConversionReportView *report = findPage<ConversionReportView>(window);
        QCOMPARE(window.pages()->currentWidget(), report);
        QAbstractItemModelTester tester(report->proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto model = SafetensorsModel::open(manager.workspace().absolutePath(made->path));
        QVERIFY(model.ok());
        QCOMPARE(report->model()->rowCount(), int(model->tensors().size()));
        QCOMPARE(report->model()->report().convertedCount(), 42u);
        QVERIFY2(report->summary().startsWith(QStringLiteral("mamba_sample \u2192 mamba_sample_bf16: 42 of 42 tensors converted to BF16")),
                 qPrintable(report->summary()));
        // Largest relative error first, copied tensors last.
        const QModelIndex first = report->proxy()->index(0, ConversionReportModel::RelL2Column);
        const QModelIndex last = report->proxy()->index(report->proxy()->rowCount() - 1, ConversionReportModel::RelL2Column);
        QVERIFY(first.data(ConversionReportModel::SortRole).toDouble() > 0);
        QVERIFY(first.data(ConversionReportModel::SortRole).toDouble() < 1e-2); // bf16 keeps ~3 digits
        QVERIFY(last.data(ConversionReportModel::SortRole).toDouble() <= first.data(ConversionReportModel::SortRole).toDouble());
        QVERIFY(report->tableText().count(QLatin1Char('\n')) == report->proxy()->rowCount() + 1);

        auto *compare = report->findChild<QPushButton *>(QStringLiteral("compareWithSource"));
        QVERIFY(compare);
        compare->click();
        CompareView *view = findPage<CompareView>(window);
        QVERIFY(view);
        QCOMPARE(window.pages()->currentWidget(), view);
        QVERIFY2(view->title().contains(QStringLiteral("mamba_sample_bf16")), qPrintable(view->title()));
        QTRY_VERIFY_WITH_TIMEOUT(!controller.jobs()->isBusy(), 20000);
    }

    void reshardDialogPlans_data()
    {
        QTest::addColumn<QString>("size");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("plan");
        QTest::newRow("5GB: one shard") << QStringLiteral("5GB") << true << QStringLiteral("Writes 1 shard in");
        QTest::newRow("1MB: three shards, one over") << QStringLiteral("1MB") << true
                                                     << QStringLiteral("Writes 3 shards in Hugging Face's layout (the largest 2.00 MiB); a tensor larger than the limit gets a shard of its own");
        QTest::newRow("3MiB: two shards") << QStringLiteral("3MiB") << true << QStringLiteral("Writes 2 shards");
        QTest::newRow("not a size") << QStringLiteral("big") << false << QStringLiteral("'big' is not a size");
        QTest::newRow("zero") << QStringLiteral("0") << false << QStringLiteral("'0' is not a size");
        QTest::newRow("empty") << QString() << false << QStringLiteral("'' is not a size");
    }

    // The plan follows the size as it is typed, with the same packing as the writer.
    void reshardDialogPlans()
    {
        QFETCH(QString, size);
        QFETCH(bool, ok);
        QFETCH(QString, plan);
        WeightManager manager{Workspace(m_root)};
        auto data = manager.snapshot();
        QVERIFY(data.ok());
        const WeightEntry *entry = data->find(QStringLiteral("mamba_sample"));
        QVERIFY(entry);
        auto model = SafetensorsModel::open(manager.workspace().absolutePath(entry->path));
        QVERIFY(model.ok());
        ReshardingDialog dialog(&manager, *data, *entry, std::make_shared<const SafetensorsModel>(std::move(*model)));
        QVERIFY(!dialog.single()); // a single file is split by default
        QCOMPARE(dialog.versionEdit()->text(), QStringLiteral("sample_sharded"));
        dialog.sizeEdit()->setText(size);
        QVERIFY2(dialog.planLabel()->text().contains(plan), qPrintable(dialog.planLabel()->text()));
        QCOMPARE(dialog.buttons()->button(QDialogButtonBox::Ok)->isEnabled(), ok);
        dialog.singleButton()->setChecked(true);
        QVERIFY(dialog.buttons()->button(QDialogButtonBox::Ok)->isEnabled());
        QCOMPARE(dialog.versionEdit()->text(), QStringLiteral("sample_single"));
        QCOMPARE(dialog.maxShardBytes(), 0u);
    }

    // Reshard from the menu into 1 MB shards (3: one tensor is 2 MiB): registered as a shard set, selected, and its
    // tensors are the source's byte for byte.
    void reshardFromTheMenu()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        WorkspacePage *page = controller.page();
        page->selectType(QStringLiteral("mamba"));
        page->selectWeight(QStringLiteral("mamba_sample"));
        bool seen = false;
        whenDialogOpens([&](QWidget *w) {
            auto *dialog = qobject_cast<ReshardingDialog *>(w);
            QVERIFY2(dialog, w->metaObject()->className());
            seen = true;
            dialog->sizeEdit()->setText(QStringLiteral("1MB"));
            dialog->accept();
        });
        controller.actions()->reshard()->trigger();
        QVERIFY(seen);
        WeightManager manager{Workspace(m_root)};
        QTRY_VERIFY_WITH_TIMEOUT(manager.snapshot()->find(QStringLiteral("mamba_sample_sharded")) != nullptr, 20000);
        QTRY_VERIFY(!controller.jobs()->isBusy());
        QTRY_COMPARE(page->selectedWeights(), QStringList{QStringLiteral("mamba_sample_sharded")});
        const WeightEntry made = *manager.snapshot()->find(QStringLiteral("mamba_sample_sharded"));
        QCOMPARE(made.source, QStringLiteral("resharded from mamba_sample (1MB per shard)"));
        auto sharded = SafetensorsModel::open(manager.workspace().absolutePath(made.path));
        QVERIFY2(sharded.ok(), qPrintable(sharded.ok() ? QString() : sharded.errorString()));
        QCOMPARE(int(sharded->shards().size()), 3); // as the dialog's plan said (reshardDialogPlans)
        auto source = SafetensorsModel::open(manager.workspace().absolutePath(manager.snapshot()->find(QStringLiteral("mamba_sample"))->path));
        QVERIFY(source.ok());
        QCOMPARE(sharded->tensors().size(), source->tensors().size());
        for (const ModelTensor &t : source->tensors()) {
            const ModelTensor *other = sharded->find(t.info->name);
            QVERIFY(other);
            const auto a = source->data(t);
            const auto b = sharded->data(*other);
            QVERIFY(a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()));
        }
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_root;
};

QTEST_MAIN(TestGuiConvert)
#include "tst_gui_convert.moc"
