#pragma once

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QStringList>

class QDockWidget;
class QMenu;

namespace tantra {

class JobRunner;
class JobsPanel;
class MainWindow;
class RemoteActions;
class RemotePage;
class WorkspaceActions;
class WorkspacePage;
class WorkspaceSession;

// Puts the workspace into the main window: the Workspace page, the Workspace and Weight
// menus, toolbar actions, the jobs panel, drag-and-drop import, recent workspaces and the demo
// workspace. MainWindow stays a frame; this class is the workspace's wiring.
class WorkspaceController : public QObject
{
    Q_OBJECT
public:
    explicit WorkspaceController(MainWindow *window);
    ~WorkspaceController() override;

    WorkspaceSession *session() const { return m_session; }
    WorkspacePage *page() const { return m_page; }
    WorkspaceActions *actions() const { return m_actions; }
    JobRunner *jobs() const { return m_jobs; }
    JobsPanel *jobsPanel() const { return m_jobsPanel; }
    RemoteActions *remoteActions() const { return m_remoteActions; }
    // The Remotes page, or null while it is not open.
    RemotePage *remotePage() const;

    // Opens a workspace folder; offers to set it up when it is not one yet. Pages of the open
    // workspace with unsaved edits ask first (save, discard or cancel) and are then closed;
    // false when the user cancelled, or the folder did not open.
    bool openWorkspace(const QString &root, bool offerSetup = true);
    // The demo workspace in the user's data folder, created (with sample weights) if needed.
    void openDemo();
    static QString demoPath();
    // At start-up with nothing to open: the last workspace, else an offer to create the demo.
    void restoreLastOrOfferDemo();
    // A path given on the command line: a workspace folder opens as a workspace, anything else
    // in the tensor browser.
    void openCommandLinePath(const QString &path);
    static bool isWorkspaceFolder(const QString &path);
    // The Remotes page, opened once and brought to the front after; `weight` selected on it.
    void openRemotes(const QString &weight = {});

Q_SIGNALS:
    void workspaceOpened(const QString &root);

private:
    void createMenus();
    // `demo`: also the demo's extra versions (WeightManager::addDemoVersions).
    void setUpWorkspace(const QString &root, bool thenOpen, bool demo = false);
    // Asks for a folder (new or empty, or one to set up) and makes it a workspace.
    void createWorkspace();
    void addRecent(const QString &root);
    void rebuildRecentMenu();
    bool handleDrop(const QString &path);
    void openWeightInBrowser(const QString &path, const QString &title, const QString &modelType);
    void applyShapeIssues(const QString &path);
    void openConfigEditor(const QString &modelType);
    bool closePagesOfOtherWorkspaces(const QString &nextRoot);

    MainWindow *m_window;
    WorkspaceSession *m_session;
    JobRunner *m_jobs;
    WorkspacePage *m_page;
    WorkspaceActions *m_actions;
    JobsPanel *m_jobsPanel;
    QDockWidget *m_jobsDock;
    QMenu *m_recentMenu = nullptr;
    RemoteActions *m_remoteActions; // outlives the Remotes page, whose tab may close
    QPointer<RemotePage> m_remotes;  // a closable tab
    // Browser paths opened from a weight, with the config whose rules mark their tensors. The
    // config's folder is kept, not looked up again: the browser outlives a workspace switch.
    struct ShapeRules
    {
        QString type;
        QString configDir;
    };
    QHash<QString, ShapeRules> m_rulesForPath;
};

} // namespace tantra
