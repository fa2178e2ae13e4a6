// Validation as the GUI shows it: Validate All's results as a list (weight, status, first
// problem, every problem on demand, paths relative to the workspace), and a recorded verdict
// marked outdated once its type's config changes, until the weight is validated again.
#include "jobrunner.h"
#include "mainwindow.h"
#include "testutil.h"
#include "validationresultsdialog.h"
#include "weightmanager.h"
#include "weighttablemodel.h"
#include "workspaceactions.h"
#include "workspacecontroller.h"
#include "workspacepage.h"
#include "workspacesession.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using namespace tantra;

class TestGuiValidation : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_root = m_dir.filePath(QStringLiteral("ws"));
        test::makeWorkspace(m_root);
        // A mamba weight without its last tensor: it fails validation with one problem.
        WeightManager manager{Workspace(m_root)};
        const QString bad = test::writeSample(manager.finalPathFor(QStringLiteral("mamba"), QStringLiteral("bad"), false),
                                              QStringLiteral("mamba"), 7, true);
        auto added = manager.registerInPlace(QStringLiteral("mamba"), QStringLiteral("bad"), bad, false, QStringLiteral("test"), false, nullptr);
        QVERIFY2(added, qPrintable(added ? QString() : added.errorString()));
    }

    void resultsModelListsFailuresFirst()
    {
        ValidationResultsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setResults({{QStringLiteral("a_ok"), QStringLiteral("a.safetensors"), true, true, {}},
                          {QStringLiteral("b_bad"), QStringLiteral("b.safetensors"), true, false,
                           {QStringLiteral("b.safetensors: x: missing"), QStringLiteral("b.safetensors: y: missing")}},
                          {QStringLiteral("c_broken"), QString(), false, false, {QStringLiteral("c: cannot be read")}}});
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.failedCount(), 2);
        QCOMPARE(model.index(0, ValidationResultsModel::WeightColumn).data().toString(), QStringLiteral("b_bad"));
        QCOMPARE(model.index(0, ValidationResultsModel::StatusColumn).data().toString(), QStringLiteral("failed: 2 problems"));
        // The row names the weight: its own file is not repeated in front of the problem.
        QCOMPARE(model.index(0, ValidationResultsModel::ProblemColumn).data().toString(), QStringLiteral("x: missing"));
        QCOMPARE(model.index(0, ValidationResultsModel::ProblemColumn).data(Qt::ToolTipRole).toString(),
                 QStringLiteral("b.safetensors: x: missing"));
        QCOMPARE(model.index(1, ValidationResultsModel::ProblemColumn).data().toString(), QStringLiteral("c: cannot be read"));
        QCOMPARE(model.index(1, ValidationResultsModel::StatusColumn).data().toString(), QStringLiteral("could not run"));
        QCOMPARE(model.index(2, ValidationResultsModel::StatusColumn).data().toString(), QStringLiteral("passed"));
        model.setResults({{QStringLiteral("one"), QString(), true, false, {QStringLiteral("z: missing")}}});
        QCOMPARE(model.index(0, ValidationResultsModel::StatusColumn).data().toString(), QStringLiteral("failed: 1 problem"));
        model.setResults({});
        QCOMPARE(model.rowCount(), 0);
    }

    void validateAllShowsAResultsList()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        controller.actions()->validateAll()->trigger();
        ValidationResultsDialog *dialog = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((dialog = window.findChild<ValidationResultsDialog *>()) != nullptr, 30000);
        QVERIFY(dialog->isVisible());
        QVERIFY(!dialog->isModal());
        QVERIFY(!QApplication::activeModalWidget()); // no message box wall
        QAbstractItemModelTester tester(dialog->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);

        const auto &results = dialog->model()->results();
        QCOMPARE(int(results.size()), 4);
        QCOMPARE(results.front().weight, QStringLiteral("mamba_bad"));
        QCOMPARE(dialog->model()->failedCount(), 1);
        QCOMPARE(dialog->summary()->text(), QStringLiteral("1 of 4 weights failed. Select one to see all its problems."));
        QCOMPARE(results.front().file, QStringLiteral("Model/weights/mamba_bad.safetensors"));
        const QString first = results.front().problems.first();
        QVERIFY2(first.startsWith(QStringLiteral("Model/weights/mamba_bad.safetensors: ")), qPrintable(first));
        QCOMPARE(dialog->model()->index(0, ValidationResultsModel::ProblemColumn).data().toString(),
                 first.mid(QStringLiteral("Model/weights/mamba_bad.safetensors: ").size()));
        QCOMPARE(dialog->model()->index(0, ValidationResultsModel::StatusColumn).data().toString(), QStringLiteral("failed: 1 problem"));
        for (const ValidationResult &r : results) {
            for (const QString &problem : r.problems)
                QVERIFY2(!problem.contains(m_root), qPrintable(problem)); // relative, not absolute
        }
        // Details on demand: the selected weight's every problem, then a passed one's verdict.
        QCOMPARE(dialog->details()->toPlainText(), results.front().problems.join(QLatin1Char('\n')));
        dialog->table()->setCurrentIndex(dialog->model()->index(1, 0));
        QVERIFY2(dialog->details()->toPlainText().contains(QStringLiteral(" passed")), qPrintable(dialog->details()->toPlainText()));
        QTRY_VERIFY(!controller.jobs()->isBusy());
        dialog->close();
    }

    // A failed verdict recorded before the config changed no longer says anything: it shows
    // as outdated, and validating again brings back a verdict against the new config.
    void verdictIsOutdatedWhenTheConfigChanges()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        WorkspacePage *page = controller.page();
        page->selectType(QStringLiteral("mamba"));
        page->selectWeight(QStringLiteral("mamba_bad"));
        controller.actions()->validate()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.findChild<ValidationResultsDialog *>() != nullptr, 30000);
        QTRY_VERIFY(!controller.jobs()->isBusy());
        delete window.findChild<ValidationResultsDialog *>();

        WeightTableModel *model = page->weightModel();
        QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const auto cell = [&] { return model->index(model->rowOf(QStringLiteral("mamba_bad")), WeightTableModel::ValidationColumn); };
        QTRY_COMPARE(cell().data().toString(), QStringLiteral("failed: 1 issue"));

        // The user edits the config (here: rewritten as it was, in place as cp does, which no
        // folder change announces; its time is what counts).
        QThread::msleep(20);
        const QString config = m_root + QStringLiteral("/Config/mamba.yaml");
        QFile file(config);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray yaml = file.readAll();
        file.close();
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(file.write(yaml), yaml.size());
        file.close();
        QTRY_COMPARE_WITH_TIMEOUT(cell().data().toString(), QStringLiteral("outdated: config changed"), 5000);
        QVERIFY2(cell().data(Qt::ToolTipRole).toString().contains(QStringLiteral("(failed: 1 issue)")),
                 qPrintable(cell().data(Qt::ToolTipRole).toString()));
        QVERIFY(cell().data(Qt::DecorationRole).isNull()); // no failure mark on an outdated verdict

        page->selectWeight(QStringLiteral("mamba_bad"));
        controller.actions()->validate()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.findChild<ValidationResultsDialog *>() != nullptr, 30000);
        QTRY_COMPARE(cell().data().toString(), QStringLiteral("failed: 1 issue"));
    }

    // Verify Checksums is kept in the registry: a reopened workspace still shows "verified",
    // until a file of the weight is written again.
    void verifiedStateSurvivesReopening()
    {
        const QString name = QStringLiteral("mamba_bad"); // failed validation: no deep pass to lean on
        const auto checksumShown = [&](WorkspaceController &controller) {
            WeightTableModel *model = controller.page()->weightModel();
            return model->index(model->rowOf(name), WeightTableModel::ChecksumColumn).data().toString();
        };
        {
            MainWindow window;
            WorkspaceController controller(&window);
            QVERIFY(controller.openWorkspace(m_root, false));
            controller.page()->selectType(QStringLiteral("mamba"));
            QCOMPARE(checksumShown(controller), QStringLiteral("not checked"));
            controller.page()->selectWeight(name);
            controller.actions()->verify()->trigger();
            QTRY_COMPARE_WITH_TIMEOUT(checksumShown(controller), QStringLiteral("verified"), 30000);
            QTRY_VERIFY(!controller.jobs()->isBusy());
        }
        WeightManager manager{Workspace(m_root)};
        QVERIFY(manager.snapshot()->find(name)->verifiedAt.isValid());
        {
            MainWindow window;
            WorkspaceController controller(&window);
            QVERIFY(controller.openWorkspace(m_root, false));
            controller.page()->selectType(QStringLiteral("mamba"));
            QCOMPARE(checksumShown(controller), QStringLiteral("verified"));
        }
        // Written after the check (here: only its time): the old verdict no longer holds.
        QFile file(manager.finalPathFor(QStringLiteral("mamba"), QStringLiteral("bad"), false));
        QVERIFY(file.open(QIODevice::ReadWrite));
        QVERIFY(file.setFileTime(QDateTime::currentDateTimeUtc().addSecs(60), QFileDevice::FileModificationTime));
        file.close();
        {
            MainWindow window;
            WorkspaceController controller(&window);
            QVERIFY(controller.openWorkspace(m_root, false));
            controller.page()->selectType(QStringLiteral("mamba"));
            QCOMPARE(checksumShown(controller), QStringLiteral("not checked"));
        }
    }

private:
    QTemporaryDir m_dir;
    QString m_root;
};

QTEST_MAIN(TestGuiValidation)

#include "tst_gui_validation.moc"
