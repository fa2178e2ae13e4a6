#pragma once

#include <QMainWindow>

#include <QFuture>

#include <functional>
#include <memory>

class QStackedWidget;
class QTabWidget;
class QToolBar;

namespace tantra {

class CompareView;
class JobProgressWidget;
class ModelLoader;
class Page;
class RecentFiles;
class SafetensorsModel;
class TensorBrowser;
class WelcomePage;

// The application frame: menus, toolbar, a status bar with the job area, and pages as tabs.
// It wires pages together and holds no page logic itself. Pages are widgets implementing
// Page (may it close, what it shows, is it permanent), added with addPage(); each opened
// model gets a TensorBrowser page.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Adds a page (a QWidget that is a Page) as a tab and shows it; returns its tab index.
    // Permanent pages (the workspace view) get no close button.
    int addPage(QWidget *page, const QIcon &icon, const QString &title);
    // Renames a page's tab; the window title follows when it is the current page.
    void setPageTitle(QWidget *page, const QString &title);
    // Removes a page without asking it (the caller did, through Page::canClose) and deletes it.
    void removePage(QWidget *page);
    // The Page side of a tab's widget, or nullptr.
    static Page *pageOf(QWidget *widget);
    QTabWidget *pages() const { return m_tabs; }
    // Long jobs of any page go here to show their progress: jobs()->track(future, text).
    JobProgressWidget *jobs() const { return m_jobs; }
    QMenu *fileMenu() const { return m_fileMenu; }
    QMenu *viewMenu() const { return m_viewMenu; }
    WelcomePage *welcomePage() const { return m_welcome; }
    QMenu *helpMenu() const { return m_helpMenu; }
    QToolBar *mainToolBar() const { return m_toolBar; }

    // Opens a .safetensors file, an index or a shard folder in a browser tab, off the GUI
    // thread. A model already open is brought to the front instead.
    void openPath(const QString &path);
    TensorBrowser *browserFor(const QString &path) const;
    TensorBrowser *currentBrowser() const;
    CompareView *comparisonFor(const QString &pathA, const QString &pathB) const;

    // Hooks for the workspace wiring (WorkspaceController), so this frame needs no workspace
    // logic: a dropped path goes to the handler first (true: handled); the close guard may
    // refuse to close (unsaved edits) and stops jobs; permanent View actions survive the
    // menu's rebuild.
    void setDropHandler(std::function<bool(const QString &)> handler) { m_dropHandler = std::move(handler); }
    void setCloseGuard(std::function<bool()> guard) { m_closeGuard = std::move(guard); }
    void addPermanentViewAction(QAction *action) { m_permanentViewActions.push_back(action); }

public Q_SLOTS:
    // Opens a compare page for A and B (files, indexes or shard folders) and starts the
    // comparison; the same pair already open is brought to the front instead.
    CompareView *openComparison(const QString &pathA, const QString &labelA, const QString &pathB, const QString &labelB);
    // Compares the current browser's model with a file the user picks.
    void compareWithFileDialog();
    void openFileDialog();
    void openFolderDialog();
    void reloadCurrent();
    void closeCurrentPage();
    void showAbout();
    // Shows a background job in the status bar (and, through jobTracked, in the jobs panel).
    void trackJob(const QFuture<void> &future, const QString &description);

Q_SIGNALS:
    void jobTracked(const QFuture<void> &future, const QString &description);
    // The model at `path` is on screen, in browserFor(path).
    void modelOpened(const QString &path);
    void openFailed(const QString &path, const QString &message);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragMoveEvent(QDragMoveEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void onLoaded(const QString &path, std::shared_ptr<const SafetensorsModel> model);
    void onLoadFailed(const QString &path, const QString &message);
    void onCurrentPageChanged();
    void rebuildViewMenu();
    void closePage(int index);
    // A file dropped on a browser page: compare with it, open it, or the usual route.
    void dropOnBrowser(TensorBrowser *browser, const QString &path, const QPoint &globalPos);
    static QString keyFor(const QString &path);

    QStackedWidget *m_stack = nullptr;
    WelcomePage *m_welcome = nullptr;
    QTabWidget *m_tabs = nullptr;
    QToolBar *m_toolBar = nullptr;
    QMenu *m_fileMenu = nullptr;
    QMenu *m_viewMenu = nullptr;
    QMenu *m_helpMenu = nullptr;
    QAction *m_reloadAction = nullptr;
    QAction *m_closeAction = nullptr;
    QAction *m_compareAction = nullptr;
    QAction *m_findAction = nullptr;
    JobProgressWidget *m_jobs = nullptr;
    ModelLoader *m_loader = nullptr;
    RecentFiles *m_recent = nullptr;
    QByteArray m_browserState;
    std::function<bool(const QString &)> m_dropHandler;
    std::function<bool()> m_closeGuard;
    QList<QAction *> m_permanentViewActions;
};

} // namespace tantra
