// The workspace side of the desktop app: the page, its models, actions, drag-and-drop import,
// cancellation, and living with other processes that change the workspace.
#include "guitestutil.h"
#include "cleanupdialog.h"
#include "configeditor.h"
#include "configformpage.h"
#include "englishplurals.h"
#include "errortext.h"
#include "importdialog.h"
#include "jobrunner.h"
#include "mainwindow.h"
#include "modeltypelistmodel.h"
#include "page.h"
#include "safetensorswriter.h"
#include "tensorbrowser.h"
#include "testutil.h"
#include "weightmanager.h"
#include "weightdetailsview.h"
#include "weighttablemodel.h"
#include "welcomepage.h"
#include "workspaceactions.h"
#include "workspacecontroller.h"
#include "workspacepage.h"
#include "workspacesession.h"

#include <QAbstractButton>
#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QMessageBox>
#include <QMimeData>
#include <QProcess>
#include <QScopeGuard>
#include <QScrollBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTextCursor>
#include <QTextDocument>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QElapsedTimer>
#include <QTimer>
#include <QToolButton>

using namespace tantra;
using tantra::test::whenDialogOpens;

class TestGuiWorkspace : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_root = m_dir.filePath(QStringLiteral("ws"));
        QVERIFY(QDir().mkpath(m_root));
        WeightManager manager{Workspace(m_root)};
        auto setup = manager.setup();
        QVERIFY2(setup.ok(), qPrintable(setup.ok() ? QString() : setup.errorString()));
    }

    void modelsStayConsistent()
    {
        WorkspaceSession session;
        ModelTypeListModel types;
        WeightTableModel weights;
        // Testers first, then fill: every reset and row is checked as it happens.
        QAbstractItemModelTester typesTester(&types, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester weightsTester(&weights, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(session.open(m_root).ok());
        types.refresh(session);
        weights.refresh(session, QString());
        QCOMPARE(types.rowCount(), 3);
        QCOMPARE(types.rows()[0].type, QStringLiteral("mamba"));
        QCOMPARE(types.rows()[0].active, QStringLiteral("mamba_sample"));
        QCOMPARE(weights.rowCount(), 3);
        // Sizes sort as numbers: the typed role carries bytes, not text.
        const int row = weights.rowOf(QStringLiteral("mamba_multimodal_sample"));
        QVERIFY(row >= 0);
        QCOMPARE(weights.index(row, WeightTableModel::SizeColumn).data(WeightTableModel::SortRole).toULongLong(),
                 weights.rows()[std::size_t(row)].entry.size);
    }

    void welcomePageOffersWorkspaces()
    {
        // No workspace yet: the welcome page says what one is and offers to open, create or
        // try one, with no question box over the window.
        QSettings().remove(QStringLiteral("workspaces/last"));
        MainWindow window;
        WorkspaceController controller(&window);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        controller.restoreLastOrOfferDemo();
        QVERIFY(!QApplication::activeModalWidget());
        WelcomePage *welcome = window.welcomePage();
        QVERIFY(welcome->isVisible());
        QVERIFY(welcome->findChild<QLabel *>(QStringLiteral("workspaceExplanation")));
        for (const char *name : {"openWorkspaceActionButton", "createWorkspaceActionButton", "openDemoActionButton"}) {
            auto *button = welcome->findChild<QToolButton *>(QString::fromLatin1(name));
            QVERIFY2(button && button->isVisible() && button->isEnabled(), name);
        }
        // Try the demo: a workspace with several versions per type, v2 active.
        QSignalSpy opened(&controller, &WorkspaceController::workspaceOpened);
        welcome->findChild<QToolButton *>(QStringLiteral("openDemoActionButton"))->click();
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, 60000);
        QCOMPARE(opened.at(0).at(0).toString(), QDir(WorkspaceController::demoPath()).absolutePath());
        auto data = WeightManager(Workspace(WorkspaceController::demoPath())).snapshot();
        QVERIFY(data.ok());
        QCOMPARE(data->activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_v2"));
        QVERIFY(data->find(QStringLiteral("mamba_v1")));
        QVERIFY(data->find(QStringLiteral("mamba_sample")));
        controller.page()->selectType(QStringLiteral("mamba"));
        QTRY_VERIFY(controller.actions()->rollback()->isEnabled());
        QCOMPARE(controller.actions()->rollback()->toolTip(), QStringLiteral("Make mamba_v1 active again"));
        QDir(WorkspaceController::demoPath()).removeRecursively();
    }

    void selectTypeAndActivate()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        WorkspacePage *page = controller.page();
        page->selectType(QStringLiteral("mamba"));
        QCOMPARE(page->currentType(), QStringLiteral("mamba"));

        // A second mamba weight to switch to.
        WeightManager manager{Workspace(m_root)};
        auto sample = manager.loadWeights(QStringLiteral("mamba"));
        QVERIFY(sample.ok());
        std::vector<TensorWrite> tensors;
        for (const auto &t : sample->tensors())
            tensors.push_back(TensorWrite{t.info->name, t.info->dtype, t.info->shape, sample->data(t)});
        QVERIFY(manager.saveWeights(tensors, QStringLiteral("mamba"), QStringLiteral("v2"), false).ok());
        controller.session()->reload();

        page->selectWeight(QStringLiteral("mamba_v2"));
        QCOMPARE(page->selectedWeights(), QStringList{QStringLiteral("mamba_v2")});
        QVERIFY(controller.actions()->setActive()->isEnabled());
        controller.actions()->setActive()->trigger();
        // The change runs off the GUI thread; its result is applied when it returns.
        QTRY_VERIFY(!controller.jobs()->isBusy());
        auto data = manager.snapshot();
        QVERIFY(data.ok());
        QCOMPARE(data->activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_v2"));
        // The active weight cannot be removed: the action says so by being disabled.
        page->selectWeight(QStringLiteral("mamba_v2"));
        QVERIFY(!controller.actions()->remove()->isEnabled());

        // Roll back: the action names the weight it would activate and, like Set Active,
        // activates it without asking; the message says how to return.
        controller.session()->reload();
        QAction *rollback = controller.actions()->rollback();
        QVERIFY(rollback->isEnabled());
        QCOMPARE(rollback->toolTip(), QStringLiteral("Make mamba_sample active again"));
        rollback->trigger();
        QVERIFY(!QApplication::activeModalWidget());
        QTRY_VERIFY(!controller.jobs()->isBusy());
        data = manager.snapshot();
        QVERIFY(data.ok());
        QCOMPARE(data->activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_sample"));
        QCOMPARE(window.statusBar()->currentMessage(),
                 QStringLiteral("mamba_sample is active again, replacing mamba_v2 (Roll Back Activation once more returns to it)"));
        // Twice returns to where it started.
        controller.session()->reload();
        QCOMPARE(rollback->toolTip(), QStringLiteral("Make mamba_v2 active again"));
        rollback->trigger();
        QTRY_VERIFY(!controller.jobs()->isBusy());
        data = manager.snapshot();
        QVERIFY(data.ok());
        QCOMPARE(data->activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_v2"));
        // The tests after this one expect the workspace as set up.
        QVERIFY(manager.setActiveWeight(QStringLiteral("mamba_sample")).ok());
    }

    void restoreShowsTheArchivesManifestFirst()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        WeightManager manager{Workspace(m_root)};
        auto archive = manager.backupWeight(QStringLiteral("ocr_native_sample"));
        QVERIFY2(archive.ok(), qPrintable(test::errorOf(archive)));
        const auto before = test::treeSnapshot(m_root + QStringLiteral("/Model/weights"));
        // The weight is registered, so the dialog asks for another version; cancelling it
        // restores nothing.
        QString shown;
        whenDialogOpens([&](QWidget *dialog) {
            auto *input = qobject_cast<QInputDialog *>(dialog);
            QVERIFY2(input, dialog->metaObject()->className());
            shown = input->labelText();
            input->reject();
        });
        controller.actions()->restoreArchive(*archive);
        QVERIFY2(shown.contains(QStringLiteral("Weight: ocr_native_sample (model type ocr_native, version sample)")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("in 1 file")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("Backed up: ")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("Config: config/ocr_native.yaml")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("ocr_native_sample is already registered")), qPrintable(shown));
        QTRY_VERIFY(!controller.jobs()->isBusy());
        const auto after = test::treeSnapshot(m_root + QStringLiteral("/Model/weights"));
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
        QFile::remove(*archive);
    }

    void pagesSayWhetherTheyMayClose()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        QTabWidget *tabs = window.pages();
        // The workspace page is permanent: Ctrl+W does nothing to it.
        QCOMPARE(tabs->currentWidget(), static_cast<QWidget *>(controller.page()));
        QVERIFY(MainWindow::pageOf(controller.page())->isPermanent());
        QCOMPARE(MainWindow::pageOf(controller.page())->sourcePath(), controller.session()->root());
        window.closeCurrentPage();
        QCOMPARE(tabs->indexOf(controller.page()), 0);

        // A config editor with unsaved edits asks, through Page::canClose, and is obeyed.
        controller.page()->selectType(QStringLiteral("mamba"));
        controller.actions()->editConfig()->trigger();
        auto *editor = qobject_cast<ConfigEditor *>(tabs->currentWidget());
        QVERIFY(editor);
        QCOMPARE(MainWindow::pageOf(editor)->sourcePath(), editor->filePath());
        QVERIFY(!MainWindow::pageOf(editor)->isPermanent());
        int asked = 0;
        QMessageBox::StandardButton answer = QMessageBox::Cancel;
        editor->setSaveQuestion([&](QWidget *, const QString &, const QString &) {
            ++asked;
            return answer;
        });
        auto *nLayer = qobject_cast<QSpinBox *>(editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("n_layer")));
        QVERIFY(nLayer);
        nLayer->setValue(nLayer->value() + 1);
        QVERIFY(editor->isModified());
        window.closeCurrentPage();
        QCOMPARE(asked, 1);
        QVERIFY(tabs->indexOf(editor) >= 0); // Cancel: it stays
        answer = QMessageBox::Discard;
        window.closeCurrentPage();
        QCOMPARE(asked, 2);
        QCOMPARE(tabs->indexOf(editor), -1);
    }

    void dropImportsAFile()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        // A copy of the ocr sample outside the workspace, named so the version is suggested.
        const QString source = m_dir.filePath(QStringLiteral("ocr_native_v7.safetensors"));
        QFile::remove(source);
        QVERIFY(QFile::copy(m_root + QStringLiteral("/Model/weights/ocr_native_sample.safetensors"), source));

        bool dialogSeen = false;
        whenDialogOpens([&](QWidget *dialog) {
            auto *import = qobject_cast<ImportDialog *>(dialog);
            QVERIFY2(import, dialog->metaObject()->className());
            QTRY_VERIFY(import->isAnalysed());
            dialogSeen = true;
            // The type is guessed from the shape rules, the version from the file name.
            QCOMPARE(import->typeCombo()->currentData().toString(), QStringLiteral("ocr_native"));
            QCOMPARE(import->versionEdit()->text(), QStringLiteral("v7"));
            import->accept();
        });
        auto *mime = new QMimeData;
        mime->setUrls({QUrl::fromLocalFile(source)});
        // As a real drag does: enter first (Qt delivers the drop only to an accepted target).
        QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(50, 50), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &drop);
        QVERIFY(dialogSeen);
        WeightManager manager{Workspace(m_root)};
        QTRY_VERIFY_WITH_TIMEOUT(manager.snapshot()->find(QStringLiteral("ocr_native_v7")) != nullptr, 10000);
        QTRY_VERIFY(!controller.jobs()->isBusy());
        // It shows up in the page without a manual refresh, on its type's page, selected.
        WorkspacePage *p = page(controller);
        QTRY_COMPARE(p->currentType(), QStringLiteral("ocr_native"));
        QTRY_VERIFY(p->weightModel()->rowOf(QStringLiteral("ocr_native_v7")) >= 0);
        QTRY_COMPARE(p->selectedWeights(), QStringList{QStringLiteral("ocr_native_v7")});
        QCOMPARE(p->weightsView()->currentIndex().data(WeightTableModel::NameRole).toString(), QStringLiteral("ocr_native_v7"));
        delete mime;
    }

    // At 800x600 the weights table keeps most of the page (the type list and the details
    // give up room), and the details name files relative to the workspace, whole in a tooltip.
    void smallWindowKeepsTheTableAndRelativePaths()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        window.resize(800, 600);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        WorkspacePage *p = page(controller);
        p->selectType(QStringLiteral("mamba"));
        QTRY_VERIFY(p->weightsView()->isVisible());
        const int table = p->weightsView()->width();
        const int whole = p->splitter()->width();
        QVERIFY2(table * 100 >= whole * 45, qPrintable(QStringLiteral("table %1 of %2 px").arg(table).arg(whole)));
        QVERIFY2(p->typesView()->width() >= 180, qPrintable(QString::number(p->typesView()->width())));

        p->selectWeight(QStringLiteral("mamba_sample"));
        auto *details = p->findChild<WeightDetailsView *>();
        QVERIFY(details);
        const QString text = details->toPlainText();
        QVERIFY2(text.contains(QStringLiteral("Model/weights/mamba_sample.safetensors")), qPrintable(text));
        QVERIFY2(!text.contains(m_root), qPrintable(text));
        const QTextCursor found = details->document()->find(QStringLiteral("mamba_sample.safetensors"));
        QVERIFY(!found.isNull());
        QTextCursor inside = found;
        inside.setPosition(found.selectionStart() + 2);
        const QString tip = details->toolTipAt(details->cursorRect(inside).center());
        QCOMPARE(tip, QDir::toNativeSeparators(m_root + QStringLiteral("/Model/weights/mamba_sample.safetensors")));

        // Every column is in view without scrolling sideways: the name gives up room (elided,
        // whole in its tooltip), not the Validation column.
        QHeaderView *header = p->weightsView()->horizontalHeader();
        for (int c : {WeightTableModel::ActiveColumn, WeightTableModel::NameColumn, WeightTableModel::ValidationColumn})
            QVERIFY2(!header->isSectionHidden(c), qPrintable(QString::number(c)));
        // What gives way is shown in the details pane instead (the version ends the name).
        QVERIFY(header->isSectionHidden(WeightTableModel::VersionColumn));
        QVERIFY(text.contains(QStringLiteral("Created")) && text.contains(QStringLiteral("SHA-256")));
        const int lastRight = header->sectionViewportPosition(WeightTableModel::ValidationColumn)
                              + header->sectionSize(WeightTableModel::ValidationColumn);
        QVERIFY2(lastRight <= p->weightsView()->viewport()->width(),
                 qPrintable(QStringLiteral("Validation ends at %1 px of %2").arg(lastRight).arg(p->weightsView()->viewport()->width())));
        QVERIFY(!p->weightsView()->horizontalScrollBar()->isVisible());
        const QModelIndex name = p->weightModel()->index(p->weightModel()->rowOf(QStringLiteral("mamba_sample")), WeightTableModel::NameColumn);
        QVERIFY(name.data(Qt::ToolTipRole).toString().startsWith(QStringLiteral("mamba_sample\n")));

        // The validation verdict is whole in its tooltip, however narrow its column.
        const QModelIndex verdict = p->weightModel()->index(p->weightModel()->rowOf(QStringLiteral("mamba_sample")), WeightTableModel::ValidationColumn);
        QVERIFY2(verdict.data(Qt::ToolTipRole).toString().startsWith(verdict.data().toString()), qPrintable(verdict.data(Qt::ToolTipRole).toString()));
    }

    // Columns give way in a fixed order as the window narrows (the version first, as it ends
    // the name) and come back when it widens; Active, Name and Validation never go.
    void columnsGiveWayAndComeBack()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        window.resize(1440, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        WorkspacePage *p = page(controller);
        p->selectType(QStringLiteral("mamba"));
        QHeaderView *header = p->weightsView()->horizontalHeader();
        const auto hidden = [&] {
            QList<int> columns;
            for (int c = 0; c < WeightTableModel::ColumnCount; ++c) {
                if (header->isSectionHidden(c))
                    columns << c;
            }
            return columns;
        };
        QTRY_COMPARE(hidden(), QList<int>());
        window.resize(800, 600);
        QTRY_VERIFY(hidden().contains(WeightTableModel::VersionColumn));
        const QList<int> narrow = hidden();
        const QList<int> order{WeightTableModel::VersionColumn, WeightTableModel::ChecksumColumn, WeightTableModel::CreatedColumn,
                               WeightTableModel::SizeColumn};
        QCOMPARE(narrow, [&] {
            QList<int> prefix = order.mid(0, narrow.size());
            std::sort(prefix.begin(), prefix.end());
            return prefix;
        }());
        window.resize(1440, 900);
        QTRY_COMPARE(hidden(), QList<int>());
    }

    // A new, empty model type says how weights get there; a type with weights does not.
    void emptyTypeSaysHowToAddWeights()
    {
        const QString root = m_dir.filePath(QStringLiteral("emptytype"));
        test::makeWorkspace(root);
        WeightManager manager{Workspace(root)};
        QVERIFY(manager.configs().createModelConfig(QStringLiteral("fresh"), QString(), {}));
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(root, false));
        window.show();
        WorkspacePage *p = page(controller);
        p->selectType(QStringLiteral("fresh"));
        QTRY_VERIFY(p->emptyHint()->isVisible());
        QCOMPARE(p->emptyHint()->text(), QStringLiteral("No weights yet: drag a .safetensors file here or use Import\u2026 (Ctrl+I)."));
        QCOMPARE(p->emptyHint()->geometry(), p->weightsView()->viewport()->rect());
        p->selectType(QStringLiteral("mamba"));
        QTRY_VERIFY(!p->emptyHint()->isVisible());
        // A filter that matches nothing is said by "0 of N match", not by this hint.
        p->filterEdit()->setText(QStringLiteral("no such weight"));
        QVERIFY(!p->emptyHint()->isVisible());
        QVERIFY(p->filterStatus()->isVisible());
    }

    // A dropped file that is no weight gets the reason, not the import form.
    void dropOfANonWeightIsRefusedWithAReason()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        const QString junk = test::writeBytes(m_dir.filePath(QStringLiteral("notes.safetensors")), QByteArray("hello, not weights"));
        QString shown;
        bool formShown = true;
        whenDialogOpens([&](QWidget *dialog) {
            auto *import = qobject_cast<ImportDialog *>(dialog);
            QVERIFY(import);
            QTRY_VERIFY(import->isAnalysed());
            shown = import->statusLabel()->text();
            formShown = import->form()->isVisible();
            import->reject();
        });
        auto *mime = new QMimeData;
        mime->setUrls({QUrl::fromLocalFile(junk)});
        QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &enter);
        QDropEvent drop(QPointF(50, 50), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &drop);
        delete mime;
        QVERIFY(!formShown);
        QVERIFY2(shown.contains(QStringLiteral("cannot be imported")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("notes.safetensors")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("not a safetensors file")), qPrintable(shown));
        // The action says it refused the path.
        whenDialogOpens([](QWidget *dialog) {
            auto *import = qobject_cast<ImportDialog *>(dialog);
            QVERIFY(import);
            QTRY_VERIFY(import->isAnalysed());
            import->reject();
        });
        QVERIFY(!controller.actions()->importPath(junk));
    }

    // Removing an entry whose file another entry still uses keeps the file; the status said
    // "Removed X" all the same, as if the space were freed.
    void removeSaysWhetherTheFileWasKept_data()
    {
        QTest::addColumn<bool>("shared");
        QTest::addColumn<QString>("status");
        QTest::newRow("file used by the active weight") << true
                                                        << QStringLiteral("Removed mamba_alias from the registry; its file was kept, still used by mamba_sample");
        QTest::newRow("file of its own") << false << QStringLiteral("Removed mamba_alias");
    }
    void removeSaysWhetherTheFileWasKept()
    {
        QFETCH(bool, shared);
        QFETCH(QString, status);
        WeightManager manager{Workspace(m_root)};
        const QString own = m_root + QStringLiteral("/Model/weights/mamba_alias.safetensors");
        QVERIFY(manager.registry().update([&](RegistryData &d) -> Status {
            WeightEntry w = d.weights.at(QStringLiteral("mamba_sample"));
            w.name = QStringLiteral("mamba_alias");
            w.version = QStringLiteral("alias");
            if (!shared) {
                if (!QFile::copy(m_root + QLatin1Char('/') + w.path, own))
                    return makeError(own + QStringLiteral(": cannot copy"));
                w.path = QStringLiteral("Model/weights/mamba_alias.safetensors");
            }
            d.weights[w.name] = w;
            return {};
        }));
        const QString sharedFile = m_root + QStringLiteral("/Model/weights/mamba_sample.safetensors");
        const QString sha = test::sha256Of(sharedFile);

        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        controller.page()->selectType(QStringLiteral("mamba"));
        controller.page()->selectWeight(QStringLiteral("mamba_alias"));
        QVERIFY(controller.actions()->remove()->isEnabled());
        QSignalSpy statuses(controller.actions(), &WorkspaceActions::statusMessage);
        whenDialogOpens([](QWidget *dialog) {
            if (auto *box = qobject_cast<QMessageBox *>(dialog))
                box->button(QMessageBox::Yes)->click();
        });
        controller.actions()->remove()->trigger();
        QTRY_VERIFY(!controller.jobs()->isBusy());
        QVERIFY(!statuses.isEmpty());
        QCOMPARE(statuses.last().first().toString(), status);
        QVERIFY(!manager.snapshot()->find(QStringLiteral("mamba_alias")));
        QCOMPARE(test::sha256Of(sharedFile), sha);
        QCOMPARE(QFileInfo::exists(own), false);
    }

    void cleanupPreviewNeverListsTheActiveWeight()
    {
        WeightManager manager{Workspace(m_root)};
        CleanupDialog dialog(&manager, QStringLiteral("mamba"));
        dialog.keepSpin()->setValue(0);
        const QString active = manager.snapshot()->activeOf(QStringLiteral("mamba"));
        QVERIFY(!active.isEmpty());
        QVERIFY(!dialog.toRemove().isEmpty());
        QVERIFY(!dialog.toRemove().contains(active));
        for (int i = 0; i < dialog.preview()->count(); ++i)
            QVERIFY(!dialog.preview()->item(i)->text().startsWith(active + QLatin1Char(' ')));
    }

    void cancelledJobChangesNothing()
    {
        // A weight big enough that its backup takes a while: 1 GiB of zeros (a sparse file).
        WeightManager manager{Workspace(m_root)};
        const QString path = manager.finalPathFor(QStringLiteral("mamba"), QStringLiteral("huge"), false);
        QVERIFY(writeSparseSafetensors(path, {TensorSpec{"w", Dtype::F32, {256, 1024, 1024}}}).ok());
        QVERIFY(manager.registerInPlace(QStringLiteral("mamba"), QStringLiteral("huge"), path, false, QStringLiteral("test"), false, nullptr).ok());
        const QByteArray registryBefore = [&] {
            QFile f(manager.workspace().registryPath());
            f.open(QIODevice::ReadOnly);
            return f.readAll();
        }();
        const QStringList backupsBefore = QDir(manager.workspace().backupsDir()).entryList(QDir::Files | QDir::Hidden);

        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        controller.page()->selectType(QStringLiteral("mamba"));
        controller.page()->selectWeight(QStringLiteral("mamba_huge"));
        QSignalSpy ended(controller.jobs(), &JobRunner::jobEnded);
        controller.actions()->backup()->trigger();
        QVERIFY(controller.jobs()->isBusy());
        QTest::qWait(150);
        controller.jobs()->cancel(controller.jobs()->jobs().front().id);
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 20000);
        QCOMPARE(ended.first().at(1).toBool(), true); // cancelled, so no result was applied

        QCOMPARE(QDir(manager.workspace().backupsDir()).entryList(QDir::Files | QDir::Hidden), backupsBefore);
        QFile f(manager.workspace().registryPath());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), registryBefore);
        QVERIFY(manager.removeWeight(QStringLiteral("mamba_huge")).ok());
    }

    // Ctrl+F reaches the filter of whichever page is on screen, even with the keyboard on the
    // tab bar (outside every page); a page without one says so. Tab leaves a table for the
    // next widget instead of walking its cells.
    void keyboardFindsFiltersAndLeavesTables()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        window.resize(1200, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(controller.openWorkspace(m_root, false));
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QTabWidget *tabs = window.pages();
        QTabBar *bar = tabs->tabBar();
        WorkspacePage *page = controller.page();
        const auto ctrlFFromTheTabBar = [&] {
            bar->setFocus();
            QTRY_VERIFY(bar->hasFocus());
            QTest::keyClick(bar, Qt::Key_F, Qt::ControlModifier);
        };

        ctrlFFromTheTabBar();
        QTRY_VERIFY(page->filterEdit()->hasFocus());

        page->selectType(QStringLiteral("mamba"));
        QTableView *weights = page->weightsView();
        weights->setFocus();
        QTRY_VERIFY(weights->hasFocus());
        QTest::keyClick(weights, Qt::Key_Home); // the keyboard's way to the first weight
        const QModelIndex current = weights->currentIndex();
        QVERIFY(current.isValid());
        QTest::keyClick(weights, Qt::Key_Tab);
        QVERIFY(!weights->hasFocus());
        QCOMPARE(weights->currentIndex(), current);

        QCOMPARE(page->selectedWeights(), QStringList{QStringLiteral("mamba_sample")});
        QVERIFY(controller.actions()->browseTensors()->isEnabled());
        controller.actions()->browseTensors()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(qobject_cast<TensorBrowser *>(tabs->currentWidget()), 10000);
        auto *browser = qobject_cast<TensorBrowser *>(tabs->currentWidget());
        ctrlFFromTheTabBar();
        QTRY_COMPARE(QApplication::focusWidget(), static_cast<QWidget *>(browser->findChild<QLineEdit *>(QStringLiteral("filterEdit"))));
        auto *table = browser->findChild<QTableView *>(QStringLiteral("tensorTable"));
        QVERIFY(table);
        QVERIFY(!table->tabKeyNavigation());

        tabs->setCurrentWidget(page);
        controller.actions()->editConfig()->trigger();
        QVERIFY(qobject_cast<ConfigEditor *>(tabs->currentWidget()));
        ctrlFFromTheTabBar();
        QCOMPARE(window.statusBar()->currentMessage(), QStringLiteral("This page has no filter"));
        QVERIFY(bar->hasFocus());
    }

    // The filter is typed for one type's weights: it says how many match (also none), gives
    // the columns their width back when cleared, and is cleared when another type is shown.
    void weightFilterBelongsToItsType()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        window.resize(1200, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(controller.openWorkspace(m_root, false));
        WorkspacePage *page = controller.page();
        page->selectType(QStringLiteral("mamba"));
        QTableView *weights = page->weightsView();
        QHeaderView *header = weights->horizontalHeader();
        const int total = page->weightModel()->rowCount();
        QVERIFY(total >= 1);
        QVERIFY(!page->filterStatus()->isVisible());
        QCoreApplication::processEvents(); // the header lays out its stretched section lazily
        QList<int> widths;
        for (int c = 0; c < WeightTableModel::ColumnCount - 1; ++c)
            widths << header->sectionSize(c);

        page->filterEdit()->setText(QStringLiteral("no such weight"));
        QCOMPARE(weights->model()->rowCount(), 0);
        QVERIFY(page->filterStatus()->isVisible());
        QCOMPARE(page->filterStatus()->text(), QStringLiteral("0 of %1 match").arg(plural("%n weight(s)", total)));
        page->filterEdit()->clear();
        QVERIFY(!page->filterStatus()->isVisible());
        QCOMPARE(weights->model()->rowCount(), total);
        QCoreApplication::processEvents();
        QList<int> after;
        for (int c = 0; c < WeightTableModel::ColumnCount - 1; ++c)
            after << header->sectionSize(c);
        QCOMPARE(after, widths);

        page->filterEdit()->setText(QStringLiteral("mamba_sample"));
        QCOMPARE(page->filterStatus()->text(), QStringLiteral("1 of %1 match").arg(plural("%n weight(s)", total)));
        page->selectType(QStringLiteral("ocr_native"));
        QCOMPARE(page->filterEdit()->text(), QString());
        QVERIFY(!page->filterStatus()->isVisible());
        QCOMPARE(weights->model()->rowCount(), page->weightModel()->rowCount());
        QVERIFY(weights->model()->rowCount() >= 1);
    }

    void followsChangesFromOtherProcesses()
    {
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        controller.page()->selectType(QStringLiteral("mamba_multimodal"));
        controller.page()->selectWeight(QStringLiteral("mamba_multimodal_sample"));
        QSignalSpy changed(controller.session(), &WorkspaceSession::changed);

        // The CLI, as a training script would call it, registers a new weight.
        const QString source = m_dir.filePath(QStringLiteral("mm.safetensors"));
        QFile::remove(source);
        QVERIFY(QFile::copy(m_root + QStringLiteral("/Model/weights/mamba_multimodal_sample.safetensors"), source));
        QProcess cli;
        cli.start(test::cliPath(), {QStringLiteral("--root"), m_root, QStringLiteral("import"), source, QStringLiteral("--version"),
                                    QStringLiteral("external")});
        QVERIFY(cli.waitForFinished(30000));
        QCOMPARE(cli.exitCode(), 0);
        QElapsedTimer clock;
        clock.start();
        QTRY_VERIFY_WITH_TIMEOUT(controller.page()->weightModel()->rowOf(QStringLiteral("mamba_multimodal_external")) >= 0, 3000);
        // The promise is "within a second" of the change; the CLI's own exit is included here.
        QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
        // The user's selection survived the refresh.
        QCOMPARE(controller.page()->selectedWeights(), QStringList{QStringLiteral("mamba_multimodal_sample")});
    }

    // Core returns remedies as values; the GUI words each as a menu action, never as a CLI
    // command line (issue #9 §4).
    void remediesAreWordedAsGuiActions_data()
    {
        QTest::addColumn<Remedy>("remedy");
        QTest::newRow("rebuild registry") << Remedy::RebuildRegistry;
        QTest::newRow("set up workspace") << Remedy::SetUpWorkspace;
        QTest::newRow("repair or choose version") << Remedy::RepairOrChooseVersion;
        QTest::newRow("choose another version") << Remedy::ChooseAnotherVersion;
        QTest::newRow("verify weight") << Remedy::VerifyWeight;
        QTest::newRow("import as copy") << Remedy::ImportAsCopy;
        QTest::newRow("restore as another version") << Remedy::RestoreAsAnotherVersion;
    }
    void remediesAreWordedAsGuiActions()
    {
        QFETCH(Remedy, remedy);
        const QString text = remedyText(remedy, QStringLiteral("mamba_v1"));
        QVERIFY(!text.isEmpty());
        for (const char *cli : {"tantra-model-manager", "--", "run '", "doctor", "setup'"})
            QVERIFY2(!text.contains(QLatin1String(cli)), qPrintable(text));
        const QString shown = errorText(makeError(QStringLiteral("/w/x"), QStringLiteral("a problem"), remedy, QStringLiteral("mamba_v1")));
        QCOMPARE(shown, QStringLiteral("/w/x: a problem. ") + text);
        QCOMPARE(remedyText(Remedy::None), QString());
        QCOMPARE(remedyText(Remedy::NoRepair), QString()); // the problem says what to do
    }

    // An unreadable registry: the page's banner names the file and the problem, and the remedy
    // as the menu path of Repair Workspace, not the CLI's doctor --rebuild. A registry of a
    // newer or unreadable schema is one the repair refuses to rewrite: no repair is offered.
    void unreadableRegistryBannerNamesTheMenu_data()
    {
        QTest::addColumn<QByteArray>("contents");
        QTest::addColumn<QString>("problem"); // after "<registry>: "
        QTest::addColumn<int>("remedy");      // Remedy
        QTest::addColumn<bool>("repair");     // the banner offers Repair Workspace
        QTest::newRow("not JSON") << QByteArray("{\"weights\": {") << QStringLiteral("not valid JSON at line 1, column ")
                                  << int(Remedy::RebuildRegistry) << true;
        QTest::newRow("a mistyped field") << QByteArray("{\"weights\": {\"mamba_old\": {\"size\": \"big\"}}}")
                                          << QStringLiteral("weights.mamba_old.model_type: expected a model type (a string), found nothing")
                                          << int(Remedy::None) << true;
        QTest::newRow("a newer schema") << QByteArray("{\"schema_version\": 2}")
                                        << QStringLiteral("schema_version 2 is newer than this program understands (1); upgrade Tantra Weight Manager")
                                        << int(Remedy::NoRepair) << false;
        QTest::newRow("an unreadable schema") << QByteArray("{\"schema_version\": \"2\"}")
                                              << QStringLiteral("schema_version: expected the integer 1, found \"2\"; refusing to read or rewrite the registry")
                                              << int(Remedy::NoRepair) << false;
    }
    void unreadableRegistryBannerNamesTheMenu()
    {
        QFETCH(QByteArray, contents);
        QFETCH(QString, problem);
        QFETCH(int, remedy);
        QFETCH(bool, repair);
        const QString registry = m_root + QStringLiteral("/Model/weight_config.json");
        const QByteArray good = test::readFile(registry);
        test::writeBytes(registry, contents);
        const auto restore = qScopeGuard([&] { test::writeBytes(registry, good); });
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(m_root, false));
        QVERIFY(controller.session()->registryError().has_value());
        QCOMPARE(int(controller.session()->registryError()->remedy), remedy);
        QLabel *banner = nullptr;
        for (QLabel *label : controller.page()->findChildren<QLabel *>()) {
            if (label->text().startsWith(QStringLiteral("The registry cannot be read")))
                banner = label;
        }
        QVERIFY(banner);
        const QString text = banner->text();
        QVERIFY2(text.contains(registry + QStringLiteral(": ") + problem), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("tantra-model-manager")) && !text.contains(QStringLiteral("--rebuild")), qPrintable(text));
        if (repair) {
            QVERIFY2(text.contains(QStringLiteral("Use Workspace \u203a Repair Workspace\u2026 to rebuild it from the weight files.")), qPrintable(text));
            QCOMPARE(text.count(QStringLiteral("Repair Workspace")), 1);
        } else {
            QVERIFY2(!text.contains(QStringLiteral("Repair")), qPrintable(text));
        }
    }

    // The roll-back action's tooltip says why there is nothing to roll back to: the problem
    // alone, taken as a value. Cutting the message at its first ": " cut a workspace path
    // holding ": " in the middle instead.
    void rollbackTooltipIsTheProblem()
    {
        const QString root = m_dir.filePath(QStringLiteral("odd: name/ws"));
        QVERIFY(QDir().mkpath(root));
        WeightManager manager{Workspace(root)};
        QVERIFY(manager.setup().ok());
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(root, false));
        controller.page()->selectType(QStringLiteral("ocr_native"));
        auto data = manager.snapshot();
        QVERIFY(data.ok());
        const auto none = manager.rollbackTarget(*data, QStringLiteral("ocr_native"));
        QVERIFY(!none.ok());
        QCOMPARE(none.error().path, manager.registry().path());
        QAction *rollback = controller.actions()->rollback();
        QVERIFY(!rollback->isEnabled());
        QCOMPARE(rollback->toolTip(), none.error().problem);
        QCOMPARE(rollback->toolTip(), QStringLiteral("'ocr_native' has no earlier active weight to roll back to"));
    }

private:
    static WorkspacePage *page(WorkspaceController &c) { return c.page(); }

    QTemporaryDir m_dir;
    QString m_root;
};

QTEST_MAIN(TestGuiWorkspace)
#include "tst_gui_workspace.moc"
