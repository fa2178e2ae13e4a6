#include "workspacecontroller.h"

#include "configeditor.h"
#include "conversionreportview.h"
#include "configmanager.h"
#include "errortext.h"
#include "icons.h"
#include "jobrunner.h"
#include "jobspanel.h"
#include "jobprogresswidget.h"
#include "mainwindow.h"
#include "welcomepage.h"
#include "page.h"
#include "remoteactions.h"
#include "remotepage.h"
#include "shapevalidator.h"
#include "tensorbrowser.h"
#include "workspaceactions.h"
#include "workspacepage.h"
#include "workspacesession.h"

#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QSplitter>
#include <QTableView>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>

namespace tantra {

namespace {

const QString kRecentKey = QStringLiteral("workspaces/recent");
const QString kLastKey = QStringLiteral("workspaces/last");

// Whether two paths name one folder (a symlink or a trailing slash must not count as a switch).
bool sameFolder(const QString &a, const QString &b)
{
    const auto key = [](const QString &path) {
        const QFileInfo info(path);
        const QString canonical = info.canonicalFilePath();
        return canonical.isEmpty() ? QDir::cleanPath(info.absoluteFilePath()) : canonical;
    };
    return key(a) == key(b);
}

} // namespace

WorkspaceController::WorkspaceController(MainWindow *window)
    : QObject(window),
      m_window(window),
      m_session(new WorkspaceSession(this)),
      m_jobs(new JobRunner(this)),
      m_page(new WorkspacePage(m_session)),
      m_actions(new WorkspaceActions(m_session, m_page, m_jobs, window)),
      m_jobsPanel(new JobsPanel),
      m_jobsDock(new QDockWidget(tr("Jobs"), window)),
      m_remoteActions(new RemoteActions(m_session, m_jobs, window))
{
    // Workspace jobs write files and the registry: closing waits for them rather than cut
    // one off halfway (each is cancelled first, and stops at its next check).
    m_jobs->setWaitOnDestroy(true);
    m_page->setParent(window);
    m_page->hide();
    m_jobsDock->setObjectName(QStringLiteral("jobsDock"));
    m_jobsDock->setWidget(m_jobsPanel);
    m_jobsDock->setAllowedAreas(Qt::BottomDockWidgetArea | Qt::RightDockWidgetArea);
    window->addDockWidget(Qt::BottomDockWidgetArea, m_jobsDock);
    m_jobsDock->hide();

    connect(m_jobs, &JobRunner::jobStarted, window, &MainWindow::trackJob);
    connect(window, &MainWindow::jobTracked, m_jobsPanel, &JobsPanel::track);
    connect(m_jobs, &JobRunner::jobEnded, this, [this](const QString &title, bool canceled) {
        if (canceled)
            m_window->statusBar()->showMessage(tr("%1: cancelled; nothing was changed").arg(title), 6000);
    });
    connect(m_actions, &WorkspaceActions::statusMessage, this, [this](const QString &text) { m_window->statusBar()->showMessage(text, 8000); });
    connect(m_remoteActions, &RemoteActions::statusMessage, this, [this](const QString &text) { m_window->statusBar()->showMessage(text, 8000); });
    connect(m_remoteActions, &RemoteActions::weightPulled, this, [this](const QString &name) {
        // In the weights table like an imported weight: its type and the row selected.
        if (const WeightEntry *entry = m_session->registry().find(name)) {
            m_page->selectType(entry->modelType);
            m_page->selectWeight(name);
        }
    });
    connect(m_actions, &WorkspaceActions::openInBrowser, this, &WorkspaceController::openWeightInBrowser);
    connect(m_actions, &WorkspaceActions::compareRequested, m_window, &MainWindow::openComparison);
    connect(m_actions, &WorkspaceActions::editConfigRequested, this, &WorkspaceController::openConfigEditor);
    connect(m_actions, &WorkspaceActions::conversionFinished, this,
            [this](const ConversionReport &report, const QString &sourceLabel, const QString &resultLabel) {
                auto *view = new ConversionReportView(report, sourceLabel, resultLabel);
                view->setObjectName(QStringLiteral("conversionReport"));
                connect(view, &ConversionReportView::compareRequested, m_window, &MainWindow::openComparison);
                const int index = m_window->addPage(view, Icons::get(QStringLiteral("convert")), view->title());
                m_window->pages()->setTabToolTip(index, view->summary());
            });
    connect(window, &MainWindow::modelOpened, this, &WorkspaceController::applyShapeIssues);
    window->setDropHandler([this](const QString &path) { return handleDrop(path); });
    window->setCloseGuard([this] {
        // Pages with unsaved edits first; then stop every job cleanly before the window goes.
        // Each is brought to the front in case it asks; the user's tab is current again after.
        QTabWidget *pages = m_window->pages();
        const int current = pages->currentIndex();
        for (int i = 0; i < pages->count(); ++i) {
            Page *page = MainWindow::pageOf(pages->widget(i));
            if (!page)
                continue;
            pages->setCurrentIndex(i);
            if (!page->canClose(Page::CloseReason::Quit))
                return false;
        }
        pages->setCurrentIndex(current);
        m_jobs->cancelAllAndWait();
        QSettings settings;
        settings.setValue(QStringLiteral("workspacePage/splitter"), m_page->splitter()->saveState());
        settings.setValue(QStringLiteral("workspacePage/weightsHeader"), m_page->weightsView()->horizontalHeader()->saveState());
        return true;
    });
    // The user's layout of the workspace page, as left last time.
    const QSettings settings;
    m_page->splitter()->restoreState(settings.value(QStringLiteral("workspacePage/splitter")).toByteArray());
    m_page->weightsView()->horizontalHeader()->restoreState(settings.value(QStringLiteral("workspacePage/weightsHeader")).toByteArray());
    createMenus();
}

WorkspaceController::~WorkspaceController()
{
    m_jobs->cancelAllAndWait();
}

void WorkspaceController::createMenus()
{
    QMenuBar *bar = m_window->menuBar();
    QMenu *workspace = new QMenu(tr("&Workspace"), bar);
    QMenu *weight = new QMenu(tr("W&eight"), bar);
    bar->insertMenu(m_window->viewMenu()->menuAction(), workspace);
    bar->insertMenu(m_window->viewMenu()->menuAction(), weight);

    QAction *open = workspace->addAction(Icons::get(QStringLiteral("workspace")), tr("&Open Workspace…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(m_window, tr("Open Workspace"), m_session->root());
        if (!dir.isEmpty())
            openWorkspace(dir);
    });
    open->setObjectName(QStringLiteral("openWorkspaceAction"));
    open->setShortcut(QKeySequence(tr("Ctrl+Alt+O")));
    open->setToolTip(tr("Open a folder holding Model/ and Config/ (Ctrl+Alt+O)"));
    m_recentMenu = workspace->addMenu(Icons::get(QStringLiteral("recent")), tr("Recent &Workspaces"));
    m_recentMenu->setObjectName(QStringLiteral("recentWorkspacesMenu"));
    QAction *create = workspace->addAction(Icons::get(QStringLiteral("folder")), tr("&Create Workspace…"), this,
                                           &WorkspaceController::createWorkspace);
    create->setObjectName(QStringLiteral("createWorkspaceAction"));
    create->setToolTip(tr("Set up a folder as a workspace: Model/, Config/ and a sample weight per model type"));
    QAction *demo = workspace->addAction(Icons::get(QStringLiteral("app")), tr("Open &Demo Workspace"), this, &WorkspaceController::openDemo);
    demo->setObjectName(QStringLiteral("openDemoAction"));
    demo->setToolTip(tr("A workspace with sample weights for three model types, several versions each, to try every action on"));
    m_window->welcomePage()->setWorkspaceActions({open, create, demo});
    workspace->addSeparator();
    workspace->addAction(m_actions->import());
    workspace->addAction(m_actions->newModelType());
    workspace->addAction(m_actions->editConfig());
    workspace->addSeparator();
    workspace->addAction(m_actions->validateAll());
    workspace->addAction(m_actions->verify());
    workspace->addAction(m_actions->cleanup());
    workspace->addAction(m_actions->restore());
    workspace->addSeparator();
    QAction *remotes = workspace->addAction(Icons::get(QStringLiteral("remote")), tr("Re&motes…"), this, [this] { openRemotes(); });
    remotes->setObjectName(QStringLiteral("remotesAction"));
    remotes->setShortcut(QKeySequence(tr("Ctrl+Alt+R")));
    remotes->setToolTip(tr("Push weights to S3 storage and pull them from it: one remote's weights beside this workspace's (Ctrl+Alt+R)"));
    remotes->setEnabled(m_session->isOpen());
    connect(m_session, &WorkspaceSession::opened, remotes, [remotes] { remotes->setEnabled(true); });
    workspace->addSeparator();
    workspace->addAction(m_actions->repair());
    rebuildRecentMenu();

    weight->addAction(m_actions->browseTensors());
    weight->addAction(m_actions->compare());
    weight->addAction(m_actions->setActive());
    weight->addAction(m_actions->rollback());
    weight->addSeparator();
    weight->addAction(m_actions->convert());
    weight->addAction(m_actions->reshard());
    weight->addSeparator();
    weight->addAction(m_actions->validate());
    weight->addAction(m_actions->verify());
    weight->addAction(m_actions->backup());
    QAction *pushTo = weight->addAction(Icons::get(QStringLiteral("backup")), tr("Push to Remote…"), this, [this] {
        const QStringList selected = m_page->selectedWeights();
        openRemotes(selected.size() == 1 ? selected.first() : QString());
    });
    pushTo->setObjectName(QStringLiteral("pushToRemoteAction"));
    pushTo->setToolTip(tr("Show the selected weight on the Remotes page, to push it"));
    pushTo->setEnabled(false);
    connect(m_page, &WorkspacePage::selectionChanged, pushTo, [this, pushTo] { pushTo->setEnabled(m_page->selectedWeights().size() == 1); });
    weight->addSeparator();
    weight->addAction(m_actions->remove());

    QAction *jobs = m_jobsDock->toggleViewAction();
    jobs->setText(tr("&Jobs Panel"));
    jobs->setShortcut(QKeySequence(tr("Ctrl+J")));
    m_window->viewMenu()->addAction(jobs);
    m_window->addPermanentViewAction(jobs);

    QToolBar *tools = m_window->mainToolBar();
    tools->addSeparator();
    tools->addAction(m_actions->import());
    tools->addAction(m_actions->compare());
    tools->addAction(m_actions->setActive());
    tools->addAction(m_actions->validate());
    tools->addAction(m_actions->verify());
    tools->addAction(m_actions->backup());
    tools->addAction(m_actions->cleanup());
}

QString WorkspaceController::demoPath()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)).filePath(QStringLiteral("tantra-weight-manager/demo"));
}

bool WorkspaceController::isWorkspaceFolder(const QString &path)
{
    return QFileInfo(path).isDir() && Workspace(path).hasLayout();
}

void WorkspaceController::openCommandLinePath(const QString &path)
{
    if (isWorkspaceFolder(path))
        openWorkspace(path, false);
    else
        m_window->openPath(path);
}

bool WorkspaceController::openWorkspace(const QString &root, bool offerSetup)
{
    if (!isWorkspaceFolder(root)) {
        if (!offerSetup) {
            QMessageBox::warning(m_window, tr("Open Workspace"), tr("%1 is not a Tantra workspace.").arg(QDir::toNativeSeparators(root)));
            return false;
        }
        const auto answer = QMessageBox::question(
                m_window, tr("Set up a workspace?"),
                tr("%1 has no Model/weights and Config folders.\n\nSet it up as a workspace? This creates the folders, the default "
                   "model configs and a sample weight per model type; existing files are kept (legacy weights are migrated).")
                        .arg(QDir::toNativeSeparators(root)));
        // Asked before the set-up: a cancel leaves the folder as it was.
        if (answer == QMessageBox::Yes && closePagesOfOtherWorkspaces(root))
            setUpWorkspace(root, true);
        return false;
    }
    if (!closePagesOfOtherWorkspaces(root)) {
        m_window->statusBar()->showMessage(tr("Still in workspace %1: opening %2 was cancelled")
                                                   .arg(QDir::toNativeSeparators(m_session->root()), QDir::toNativeSeparators(root)),
                                           6000);
        return false;
    }
    if (auto opened = m_session->open(root); !opened) {
        QMessageBox::warning(m_window, tr("Open Workspace"), errorText(opened.error()));
        return false;
    }
    if (m_window->pages()->indexOf(m_page) < 0)
        m_window->addPage(m_page, Icons::get(QStringLiteral("workspace")), tr("Workspace"));
    const int index = m_window->pages()->indexOf(m_page);
    m_window->pages()->setTabToolTip(index, QDir::toNativeSeparators(m_session->root()));
    m_window->pages()->setCurrentIndex(index);
    m_window->setPageTitle(m_page, QFileInfo(m_session->root()).fileName());
    addRecent(m_session->root());
    m_window->statusBar()->showMessage(tr("Workspace %1: %n weight(s)", nullptr, int(m_session->registry().weights.size()))
                                               .arg(QDir::toNativeSeparators(m_session->root())),
                                       6000);
    m_actions->updateEnabled();
    Q_EMIT workspaceOpened(m_session->root());
    return true;
}

void WorkspaceController::setUpWorkspace(const QString &root, bool thenOpen, bool demo)
{
    const Workspace ws(root);
    m_jobs->run(
            tr("Setting up %1").arg(QFileInfo(root).fileName()),
            [ws, demo](JobContext &job) {
                if (!QDir().mkpath(ws.root()))
                    return JobOutcome{false, QObject::tr("Cannot create %1").arg(ws.root()), {}};
                WeightManager manager(ws);
                manager.setJobContext(&job);
                auto report = manager.setup(&job);
                if (!report)
                    return JobOutcome{false, QObject::tr("Setup failed"), {errorText(report.error())}};
                if (demo) {
                    auto versions = manager.addDemoVersions(&job);
                    if (!versions)
                        return JobOutcome{false, QObject::tr("Setup failed"), {errorText(versions.error())}};
                    report->samples << *versions;
                }
                return JobOutcome{true, QObject::tr("Workspace ready: %n sample weight(s)", nullptr, int(report->samples.size())), {}};
            },
            this, [this, root, thenOpen](const JobOutcome &outcome) {
                if (!outcome.ok) {
                    QMessageBox::warning(m_window, tr("Set up workspace"), outcome.summary + QLatin1Char('\n') + outcome.details.join(QLatin1Char('\n')));
                    return;
                }
                m_window->statusBar()->showMessage(outcome.summary, 6000);
                if (thenOpen)
                    openWorkspace(root, false);
            });
}

void WorkspaceController::openDemo()
{
    const QString path = demoPath();
    if (isWorkspaceFolder(path))
        openWorkspace(path, false);
    else if (closePagesOfOtherWorkspaces(path))
        setUpWorkspace(path, true, true);
}

void WorkspaceController::createWorkspace()
{
    const QString dir = QFileDialog::getExistingDirectory(m_window, tr("Create Workspace in Folder"), QDir::homePath());
    if (dir.isEmpty())
        return;
    if (isWorkspaceFolder(dir)) {
        openWorkspace(dir, false);
        return;
    }
    // The same question as opening a plain folder: the set-up adds folders and files to it.
    openWorkspace(dir, true);
}

bool WorkspaceController::closePagesOfOtherWorkspaces(const QString &nextRoot)
{
    // Pages bound to another workspace (the config editors) close rather than stay: their
    // check panel and the model types they offer follow the session, which is about to show
    // the next workspace. Unsaved edits are asked about as on quitting; only when every page
    // agrees are they closed, so a cancel keeps the workspace and every edit.
    QTabWidget *pages = m_window->pages();
    QList<QPointer<QWidget>> leaving;
    for (int i = 0; i < pages->count(); ++i) {
        const Page *page = MainWindow::pageOf(pages->widget(i));
        if (page && !page->isPermanent() && !page->workspaceRoot().isEmpty() && !sameFolder(page->workspaceRoot(), nextRoot))
            leaving.push_back(pages->widget(i));
    }
    if (leaving.isEmpty())
        return true;
    const QPointer<QWidget> current = pages->currentWidget();
    for (const QPointer<QWidget> &widget : std::as_const(leaving)) {
        if (!widget)
            continue;
        // On screen while it asks; a refusing page stays the current tab.
        pages->setCurrentWidget(widget);
        if (!MainWindow::pageOf(widget)->canClose(Page::CloseReason::SwitchWorkspace))
            return false;
    }
    if (current)
        pages->setCurrentWidget(current);
    for (const QPointer<QWidget> &widget : std::as_const(leaving)) {
        if (widget)
            m_window->removePage(widget);
    }
    return true;
}

void WorkspaceController::restoreLastOrOfferDemo()
{
    // The last workspace, when there is one; otherwise the welcome page explains workspaces
    // and offers to open, create or try one, rather than a question box over an empty window.
    const QString last = QSettings().value(kLastKey).toString();
    if (!last.isEmpty() && isWorkspaceFolder(last))
        openWorkspace(last, false);
}

void WorkspaceController::addRecent(const QString &root)
{
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    recent.removeAll(root);
    recent.prepend(root);
    while (recent.size() > 8)
        recent.removeLast();
    settings.setValue(kRecentKey, recent);
    settings.setValue(kLastKey, root);
    rebuildRecentMenu();
}

void WorkspaceController::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(kRecentKey).toStringList();
    for (const QString &root : recent) {
        QAction *a = m_recentMenu->addAction(QDir::toNativeSeparators(root), this, [this, root] { openWorkspace(root); });
        a->setEnabled(isWorkspaceFolder(root));
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

bool WorkspaceController::handleDrop(const QString &path)
{
    // Without a workspace a drop just opens the file for browsing; with one, it is an import
    // (the dialog also offers to only browse it).
    if (!m_session->isOpen())
        return false;
    if (isWorkspaceFolder(path)) {
        // Handled even when the user cancels the switch: the folder is not a model to browse.
        openWorkspace(path, false);
        return true;
    }
    m_window->raise();
    m_window->activateWindow();
    m_actions->importPath(path);
    return true;
}

void WorkspaceController::openWeightInBrowser(const QString &path, const QString &title, const QString &modelType)
{
    Q_UNUSED(title);
    if (m_session->isOpen())
        m_rulesForPath.insert(QFileInfo(path).absoluteFilePath(), ShapeRules{modelType, m_session->manager()->workspace().configDir()});
    if (TensorBrowser *browser = m_window->browserFor(path)) {
        m_window->pages()->setCurrentWidget(browser);
        return;
    }
    m_window->openPath(path);
}

void WorkspaceController::applyShapeIssues(const QString &path)
{
    const ShapeRules rules = m_rulesForPath.value(QFileInfo(path).absoluteFilePath());
    TensorBrowser *browser = m_window->browserFor(path);
    if (rules.type.isEmpty() || !browser)
        return;
    auto config = ConfigManager(rules.configDir).getConfig(rules.type);
    if (!config) {
        m_window->statusBar()->showMessage(errorText(config.error()), 8000);
        return;
    }
    std::shared_ptr<const SafetensorsModel> model = browser->model();
    // One validator for all tensors; 100,000 lookups still belong off the GUI thread. One
    // check per browser: a reload supersedes the check of the model it replaced.
    const QString runnerName = QStringLiteral("shapeIssueJobs");
    auto *jobs = browser->findChild<JobRunner *>(runnerName, Qt::FindDirectChildrenOnly);
    if (!jobs) {
        jobs = new JobRunner(browser, JobRunner::Mode::LatestOnly);
        jobs->setObjectName(runnerName);
    }
    jobs->run(QString(), [model, cfg = std::move(config).value()](JobContext &) {
        QHash<QString, QString> issues;
        const ShapeValidator validator(cfg);
        const ShapeReport report = validator.validate(tensorShapesOf(*model));
        for (const auto &issue : report.issues) {
            if (issue.kind != ShapeIssue::Kind::Missing && !issue.tensor.isEmpty())
                issues.insert(issue.tensor, issue.message);
        }
        return issues;
    }, browser, [browser](const QHash<QString, QString> &issues) { browser->setTensorIssues(issues); });
}

void WorkspaceController::openConfigEditor(const QString &modelType)
{
    if (!m_session->isOpen())
        return;
    const QString path = QFileInfo(m_session->manager()->configs().configPath(modelType)).absoluteFilePath();
    for (int i = 0; i < m_window->pages()->count(); ++i) {
        auto *editor = qobject_cast<ConfigEditor *>(m_window->pages()->widget(i));
        if (editor && editor->filePath() == path) {
            m_window->pages()->setCurrentIndex(i);
            return;
        }
    }
    auto *editor = new ConfigEditor(m_session, modelType);
    const int index = m_window->addPage(editor, Icons::get(QStringLiteral("config")), editor->title());
    // The title is the file name; which workspace's file it is, the tooltip says (editors of
    // another workspace never share the tab bar: they close when it opens).
    m_window->pages()->setTabToolTip(index, QDir::toNativeSeparators(editor->filePath()));
    connect(editor, &ConfigEditor::modificationChanged, this, [this, editor] { m_window->setPageTitle(editor, editor->title()); });
}

RemotePage *WorkspaceController::remotePage() const
{
    return m_remotes;
}

void WorkspaceController::openRemotes(const QString &weight)
{
    if (!m_session->isOpen())
        return;
    if (!m_remotes) {
        m_remotes = new RemotePage(m_session, m_remoteActions);
        m_remotes->setObjectName(QStringLiteral("remotePage"));
        connect(m_remotes->listingJobs(), &JobRunner::jobStarted, m_window, &MainWindow::trackJob);
        connect(m_remotes, &RemotePage::statusMessage, this, [this](const QString &text) { m_window->statusBar()->showMessage(text, 8000); });
        m_window->addPage(m_remotes, Icons::get(QStringLiteral("remote")), m_remotes->title());
        m_remotes->refresh(); // after the connections: the first listing is in the jobs panel too
    }
    m_window->pages()->setCurrentWidget(m_remotes);
    if (!weight.isEmpty())
        m_remotes->selectWeight(weight);
}

} // namespace tantra
