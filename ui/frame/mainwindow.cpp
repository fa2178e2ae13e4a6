#include "mainwindow.h"

#include "aboutdialog.h"
#include "browserfilewatch.h"
#include "compareview.h"
#include "icons.h"
#include "jobprogresswidget.h"
#include "modelloader.h"
#include "page.h"
#include "recentfiles.h"
#include "safetensorsmodel.h"
#include "tensorbrowser.h"
#include "tensortext.h"
#include "welcomepage.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStackedWidget>
#include <QScreen>
#include <QStatusBar>
#include <QStyle>
#include <QTabBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>

namespace tantra {

namespace {

constexpr int kRefocusDelayMs = 150;

QList<QKeySequence> withStandardKeys(const QKeySequence &primary, QKeySequence::StandardKey standard)
{
    QList<QKeySequence> keys{primary};
    for (const QKeySequence &key : QKeySequence::keyBindings(standard)) {
        if (!keys.contains(key))
            keys.push_back(key);
    }
    return keys;
}

QStringList localPaths(const QMimeData *mime)
{
    QStringList paths;
    if (!mime || !mime->hasUrls())
        return paths;
    for (const QUrl &url : mime->urls()) {
        if (url.isLocalFile())
            paths.push_back(url.toLocalFile());
    }
    return paths;
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true);
    setWindowIcon(Icons::app());

    m_stack = new QStackedWidget(this);
    m_welcome = new WelcomePage(m_stack);
    m_tabs = new QTabWidget(m_stack);
    m_tabs->setObjectName(QStringLiteral("pages"));
    m_tabs->setDocumentMode(true);
    m_tabs->setMovable(true);
    m_tabs->setElideMode(Qt::ElideMiddle);
    m_tabs->setTabsClosable(true);
    m_stack->addWidget(m_welcome);
    m_stack->addWidget(m_tabs);
    setCentralWidget(m_stack);

    m_jobs = new JobProgressWidget(this);
    statusBar()->addPermanentWidget(m_jobs);
    m_loader = new ModelLoader(this);

    createActions();

    connect(m_loader, &ModelLoader::loaded, this, &MainWindow::onLoaded);
    connect(m_loader, &ModelLoader::failed, this, &MainWindow::onLoadFailed);
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::onCurrentPageChanged);
    connect(m_tabs, &QTabWidget::tabCloseRequested, this, &MainWindow::closePage);
    connect(m_recent, &RecentFiles::openRequested, this, &MainWindow::openPath);
    connect(m_welcome, &WelcomePage::openFileRequested, this, &MainWindow::openFileDialog);
    connect(m_welcome, &WelcomePage::openFolderRequested, this, &MainWindow::openFolderDialog);
    connect(m_welcome, &WelcomePage::openPathRequested, this, &MainWindow::openPath);
    m_welcome->setRecentPaths(m_recent->paths());

    const QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray()))
        resize(QSize(1360, 860).boundedTo(screen()->availableGeometry().size() * 0.92)); // a laptop's screen is smaller
    restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray());
    m_browserState = settings.value(QStringLiteral("browser/state")).toByteArray();
    onCurrentPageChanged();
    statusBar()->showMessage(tr("Ready. Open a model with Ctrl+O or drop one on the window."));
    // Sees modal dialogs close, to give the keyboard back (eventFilter()).
    qApp->installEventFilter(this);
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    m_fileMenu = menuBar()->addMenu(tr("&File"));
    QAction *openFile = m_fileMenu->addAction(Icons::get(QStringLiteral("open-file")), tr("&Open File\u2026"), this,
                                              &MainWindow::openFileDialog);
    openFile->setShortcut(QKeySequence::Open);
    openFile->setToolTip(tr("Open a .safetensors file, a *.safetensors.index.json, or a PyTorch checkpoint read-only (Ctrl+O)"));
    QAction *openFolder = m_fileMenu->addAction(Icons::get(QStringLiteral("open-folder")), tr("Open Shard &Folder\u2026"), this,
                                                &MainWindow::openFolderDialog);
    openFolder->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    openFolder->setToolTip(tr("Open a folder holding a sharded model (Ctrl+Shift+O)"));
    QMenu *recentMenu = m_fileMenu->addMenu(Icons::get(QStringLiteral("recent")), tr("Open &Recent"));
    m_recent = new RecentFiles(recentMenu, this);
    m_compareAction = m_fileMenu->addAction(Icons::get(QStringLiteral("compare")), tr("Compare &With File…"), this,
                                            &MainWindow::compareWithFileDialog);
    m_compareAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
    m_compareAction->setToolTip(tr("Compare the model of this tab with another file, tensor by tensor (Ctrl+Shift+D)"));
    m_compareAction->setObjectName(QStringLiteral("compareWithFile"));
    m_reloadAction = m_fileMenu->addAction(Icons::get(QStringLiteral("reload")), tr("Re&load"), this, &MainWindow::reloadCurrent);
    m_reloadAction->setShortcut(QKeySequence::Refresh);
    m_reloadAction->setToolTip(tr("Open the current model again from disk (F5)"));
    m_fileMenu->addSeparator();
    m_closeAction = m_fileMenu->addAction(Icons::get(QStringLiteral("close")), tr("&Close Tab"), this, &MainWindow::closeCurrentPage);
    // The standard keys depend on the platform theme (no Ctrl+W or Ctrl+Q on some); these
    // are what users of any desktop expect.
    m_closeAction->setShortcuts(withStandardKeys(QKeySequence(Qt::CTRL | Qt::Key_W), QKeySequence::Close));
    QAction *quit = m_fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcuts(withStandardKeys(QKeySequence(Qt::CTRL | Qt::Key_Q), QKeySequence::Quit));
    quit->setMenuRole(QAction::QuitRole);

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    // One Ctrl+F for every page, so it works wherever the keyboard is (the tab bar included).
    m_findAction = new QAction(Icons::get(QStringLiteral("search")), tr("&Filter"), this);
    m_findAction->setObjectName(QStringLiteral("findAction"));
    m_findAction->setShortcut(QKeySequence::Find);
    m_findAction->setToolTip(tr("Go to the page's filter box (Ctrl+F)"));
    addAction(m_findAction);
    connect(m_findAction, &QAction::triggered, this, [this] {
        Page *page = pageOf(m_tabs->currentWidget());
        if (!page || !page->focusFilter())
            statusBar()->showMessage(tr("This page has no filter"), 3000);
    });
    connect(m_viewMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildViewMenu);

    m_helpMenu = menuBar()->addMenu(tr("&Help"));
    QAction *about = m_helpMenu->addAction(Icons::get(QStringLiteral("info")), tr("&About %1").arg(QApplication::applicationDisplayName()),
                                           this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
    m_helpMenu->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt)->setMenuRole(QAction::AboutQtRole);

    m_toolBar = addToolBar(tr("Main Toolbar"));
    m_toolBar->setObjectName(QStringLiteral("mainToolBar"));
    m_toolBar->setMovable(false);
    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolBar->addAction(openFile);
    m_toolBar->addAction(openFolder);
    m_toolBar->addAction(m_reloadAction);
    rebuildViewMenu();
}

void MainWindow::rebuildViewMenu()
{
    m_viewMenu->clear();
    m_viewMenu->addAction(m_toolBar->toggleViewAction());
    m_viewMenu->addActions(m_permanentViewActions);
    m_viewMenu->addAction(m_findAction);
    if (TensorBrowser *browser = currentBrowser()) {
        m_viewMenu->addSeparator();
        m_viewMenu->addActions(browser->viewActions());
    }
    // Tab switching, listed so that it can be found; QTabWidget itself handles Ctrl+Tab.
    m_viewMenu->addSeparator();
    QAction *next = m_viewMenu->addAction(tr("&Next Tab"), this, [this] {
        if (m_tabs->count())
            m_tabs->setCurrentIndex((m_tabs->currentIndex() + 1) % m_tabs->count());
    });
    next->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_PageDown));
    next->setEnabled(m_tabs->count() > 1);
    QAction *previous = m_viewMenu->addAction(tr("&Previous Tab"), this, [this] {
        if (m_tabs->count())
            m_tabs->setCurrentIndex((m_tabs->currentIndex() + m_tabs->count() - 1) % m_tabs->count());
    });
    previous->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_PageUp));
    previous->setEnabled(m_tabs->count() > 1);
}

Page *MainWindow::pageOf(QWidget *widget)
{
    return dynamic_cast<Page *>(widget);
}

int MainWindow::addPage(QWidget *page, const QIcon &icon, const QString &title)
{
    Q_ASSERT(pageOf(page));
    const int index = m_tabs->addTab(page, icon, title);
    if (const Page *p = pageOf(page); p && p->isPermanent()) {
        // Only this tab loses its close button; the others keep theirs.
        const auto side = QTabBar::ButtonPosition(
                m_tabs->style()->styleHint(QStyle::SH_TabBar_CloseButtonPosition, nullptr, m_tabs->tabBar()));
        if (QWidget *button = m_tabs->tabBar()->tabButton(index, side)) {
            m_tabs->tabBar()->setTabButton(index, side, nullptr);
            button->deleteLater();
        }
    }
    m_stack->setCurrentWidget(m_tabs);
    m_tabs->setCurrentIndex(index);
    return index;
}

QString MainWindow::keyFor(const QString &path)
{
    const QFileInfo info(path);
    const QString canonical = info.canonicalFilePath();
    return canonical.isEmpty() ? info.absoluteFilePath() : canonical;
}

TensorBrowser *MainWindow::browserFor(const QString &path) const
{
    const QString key = keyFor(path);
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto *browser = qobject_cast<TensorBrowser *>(m_tabs->widget(i));
        if (browser && browser->sourcePath() == key)
            return browser;
    }
    return nullptr;
}

TensorBrowser *MainWindow::currentBrowser() const
{
    return qobject_cast<TensorBrowser *>(m_tabs->currentWidget());
}

void MainWindow::openPath(const QString &path)
{
    if (TensorBrowser *browser = browserFor(path)) {
        m_tabs->setCurrentWidget(browser);
        statusBar()->showMessage(tr("%1 is already open").arg(QDir::toNativeSeparators(path)), 4000);
        return;
    }
    statusBar()->showMessage(tr("Opening %1\u2026").arg(QDir::toNativeSeparators(path)));
    trackJob(m_loader->open(path), tr("Opening %1").arg(QFileInfo(path).fileName()));
}

void MainWindow::reloadCurrent()
{
    if (TensorBrowser *browser = currentBrowser())
        trackJob(m_loader->open(browser->sourcePath()), tr("Reloading"));
}

void MainWindow::onLoaded(const QString &path, std::shared_ptr<const SafetensorsModel> model)
{
    const QFileInfo info(path);
    // A shard set is named by its folder ("mamba-7b/"), whatever was opened: the folder or its
    // model.safetensors.index.json, which every sharded model shares as a name.
    const QString title = info.isDir() ? info.fileName() + QLatin1Char('/')
            : model->isSharded()       ? info.absoluteDir().dirName() + QLatin1Char('/')
                                       : info.fileName();
    TensorBrowser *browser = browserFor(path);
    if (browser) {
        // A reload: same tab, same filter and selection where the tensor still exists.
        const QString current = browser->currentTensorName();
        browser->setModel(std::move(model));
        browser->selectTensor(current);
        if (auto *watch = browser->findChild<BrowserFileWatch *>(QString(), Qt::FindDirectChildrenOnly))
            watch->setFiles(browser->model()->files());
    } else {
        browser = new TensorBrowser(m_tabs);
        browser->setSourcePath(keyFor(path));
        browser->setModel(std::move(model));
        if (!m_browserState.isEmpty())
            browser->restoreState(m_browserState);
        connect(browser, &TensorBrowser::jobStarted, this, &MainWindow::trackJob);
        connect(browser, &TensorBrowser::message, this, [this](const QString &text) { statusBar()->showMessage(text, 5000); });
        const QIcon icon = Icons::get(info.isDir() || browser->model()->isSharded() ? QStringLiteral("open-folder") : QStringLiteral("tensor"));
        const int index = addPage(browser, icon, title);
        m_tabs->setTabToolTip(index, QDir::toNativeSeparators(info.absoluteFilePath()));
        new BrowserFileWatch(m_tabs, browser, browser->model()->files());
        browser->setFocus(Qt::OtherFocusReason);
    }
    m_recent->add(path);
    m_welcome->setRecentPaths(m_recent->paths());
    statusBar()->showMessage(tr("Opened %1: %2")
                                     .arg(QDir::toNativeSeparators(path),
                                          TensorText::counted(browser->model()->tensors().size(), tr("tensor"), tr("tensors"))),
                             5000);
    Q_EMIT modelOpened(path);
}

void MainWindow::onLoadFailed(const QString &path, const QString &message)
{
    statusBar()->showMessage(message, 10000);
    // Window-modal and opened, not exec()'d: a failed drop must not block the event loop.
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Cannot Open"),
                                tr("%1 was not opened.").arg(QDir::toNativeSeparators(QFileInfo(path).fileName())),
                                QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("openErrorBox"));
    box->setInformativeText(message);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    Q_EMIT openFailed(path, message);
}

void MainWindow::onCurrentPageChanged()
{
    const bool hasPages = m_tabs->count() > 0;
    m_stack->setCurrentWidget(hasPages ? static_cast<QWidget *>(m_tabs) : m_welcome);
    TensorBrowser *browser = currentBrowser();
    m_reloadAction->setEnabled(browser);
    m_compareAction->setEnabled(browser);
    const Page *page = pageOf(m_tabs->currentWidget());
    m_closeAction->setEnabled(page && !page->isPermanent());
    setWindowTitle(hasPages ? m_tabs->tabText(m_tabs->currentIndex()) : QString());
}

void MainWindow::closePage(int index)
{
    QWidget *page = m_tabs->widget(index);
    Page *asPage = pageOf(page);
    if (!asPage || asPage->isPermanent())
        return;
    // A page with unsaved edits (the config editor) asks the user while it is on screen.
    m_tabs->setCurrentIndex(index);
    if (!asPage->canClose(Page::CloseReason::CloseTab))
        return;
    removePage(page);
}

void MainWindow::setPageTitle(QWidget *page, const QString &title)
{
    const int index = m_tabs->indexOf(page);
    if (index < 0)
        return;
    m_tabs->setTabText(index, title);
    // QTabWidget tells of a new current tab, not of a renamed one.
    if (index == m_tabs->currentIndex())
        onCurrentPageChanged();
}

void MainWindow::removePage(QWidget *page)
{
    const int index = m_tabs->indexOf(page);
    if (index < 0)
        return;
    if (auto *browser = qobject_cast<TensorBrowser *>(page))
        m_browserState = browser->saveState();
    m_tabs->removeTab(index);
    page->deleteLater();
    onCurrentPageChanged();
}

void MainWindow::closeCurrentPage()
{
    closePage(m_tabs->currentIndex());
}

void MainWindow::openFileDialog()
{
    const QString path = QFileDialog::getOpenFileName(
            this, tr("Open Model"), QString(),
            tr("Models (*.safetensors *.safetensors.index.json *.bin *.pt *.pth *.ckpt);;Safetensors models (*.safetensors "
               "*.safetensors.index.json);;PyTorch checkpoints, read-only (*.bin *.pt *.pth *.ckpt *.bin.index.json);;All files (*)"));
    if (!path.isEmpty())
        openPath(path);
}

void MainWindow::openFolderDialog()
{
    const QString path = QFileDialog::getExistingDirectory(this, tr("Open Sharded Model Folder"));
    if (!path.isEmpty())
        openPath(path);
}

void MainWindow::showAbout()
{
    auto *dialog = new AboutDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    // When one of our modal dialogs closes, the window manager normally gives the keyboard back
    // to this window. Without one (Xvfb, kiosks) it went nowhere, and every shortcut was dead
    // until a click. So when a modal dialog of this window hides while the keyboard was ours,
    // and a moment later (once the platform's own focus change has arrived) no visible window
    // of ours has it, this window takes it back. Under a window manager the check finds this
    // window active already.
    if (event->type() == QEvent::Hide && watched->isWidgetType()) {
        auto *dialog = static_cast<QWidget *>(watched);
        const QWidget *active = QApplication::activeWindow();
        if (dialog != this && dialog->isWindow() && dialog->isModal() && dialog->parentWidget() && dialog->parentWidget()->window() == this
            && (!active || active == this || active == dialog)) {
            QTimer::singleShot(kRefocusDelayMs, this, [this] {
                const QWidget *now = QApplication::activeWindow();
                if (isVisible() && !QApplication::activeModalWidget() && (!now || !now->isVisible()))
                    activateWindow();
            });
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    // Any local path is accepted here; whether it is a model is the engine's call on drop,
    // so a wrong file gets an explanation rather than a silent "no entry" cursor.
    if (!localPaths(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dragMoveEvent(QDragMoveEvent *event)
{
    if (!localPaths(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QStringList paths = localPaths(event->mimeData());
    if (paths.isEmpty())
        return;
    event->acceptProposedAction();
    // A drop on an open model (not the model itself) asks whether to compare with it.
    TensorBrowser *browser = currentBrowser();
    if (browser && paths.size() == 1 && keyFor(paths.first()) != browser->sourcePath()
        && browser->rect().contains(browser->mapFrom(this, event->position().toPoint()))) {
        dropOnBrowser(browser, paths.first(), mapToGlobal(event->position().toPoint()));
        return;
    }
    for (const QString &path : paths) {
        if (!m_dropHandler || !m_dropHandler(path))
            openPath(path);
    }
}

void MainWindow::dropOnBrowser(TensorBrowser *browser, const QString &path, const QPoint &globalPos)
{
    // Asked, as file managers ask "move or copy": a drop on an open model most often means
    // "compare with this", but opening or importing it must stay one gesture away.
    const QString label = m_tabs->tabText(m_tabs->indexOf(browser));
    QMenu menu(this);
    menu.setObjectName(QStringLiteral("dropMenu"));
    QAction *compare = menu.addAction(Icons::get(QStringLiteral("compare")), tr("&Compare %1 with %2").arg(label, QFileInfo(path).fileName()));
    QAction *open = menu.addAction(Icons::get(QStringLiteral("tensor")), tr("&Open in a New Tab"));
    QAction *usual = m_dropHandler ? menu.addAction(Icons::get(QStringLiteral("import")), tr("&Import into the Workspace…")) : nullptr;
    menu.addSeparator();
    menu.addAction(tr("Cancel"));
    menu.setDefaultAction(compare);
    const QAction *chosen = menu.exec(globalPos);
    if (chosen == compare)
        openComparison(browser->sourcePath(), label, path, QFileInfo(path).fileName());
    else if (chosen == open)
        openPath(path);
    else if (usual && chosen == usual && !m_dropHandler(path))
        openPath(path);
}

CompareView *MainWindow::comparisonFor(const QString &pathA, const QString &pathB) const
{
    const QString key = CompareView::keyFor(pathA, pathB);
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto *view = qobject_cast<CompareView *>(m_tabs->widget(i));
        if (view && view->sourcePath() == key)
            return view;
    }
    return nullptr;
}

CompareView *MainWindow::openComparison(const QString &pathA, const QString &labelA, const QString &pathB, const QString &labelB)
{
    if (CompareView *view = comparisonFor(pathA, pathB)) {
        m_tabs->setCurrentWidget(view);
        statusBar()->showMessage(tr("This comparison is already open"), 4000);
        return view;
    }
    auto *view = new CompareView(m_tabs);
    connect(view, &CompareView::jobStarted, this, &MainWindow::trackJob);
    connect(view, &CompareView::message, this, [this](const QString &text) { statusBar()->showMessage(text, 8000); });
    view->start(pathA, labelA, pathB, labelB);
    const int index = addPage(view, Icons::get(QStringLiteral("compare")), view->title());
    m_tabs->setTabToolTip(index, tr("A: %1\nB: %2").arg(QDir::toNativeSeparators(pathA), QDir::toNativeSeparators(pathB)));
    return view;
}

void MainWindow::compareWithFileDialog()
{
    TensorBrowser *browser = currentBrowser();
    if (!browser)
        return;
    const QString label = m_tabs->tabText(m_tabs->indexOf(browser));
    const QString other = QFileDialog::getOpenFileName(this, tr("Compare %1 with").arg(label), QFileInfo(browser->sourcePath()).absolutePath(),
                                                       tr("Safetensors (*.safetensors *.safetensors.index.json);;All files (*)"));
    if (!other.isEmpty())
        openComparison(browser->sourcePath(), label, other, QFileInfo(other).fileName());
}

void MainWindow::trackJob(const QFuture<void> &future, const QString &description)
{
    m_jobs->track(future, description);
    Q_EMIT jobTracked(future, description);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_closeGuard && !m_closeGuard()) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/state"), saveState());
    if (TensorBrowser *browser = currentBrowser())
        m_browserState = browser->saveState();
    if (!m_browserState.isEmpty())
        settings.setValue(QStringLiteral("browser/state"), m_browserState);
    QMainWindow::closeEvent(event);
}

} // namespace tantra
