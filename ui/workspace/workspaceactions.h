#pragma once

#include "weightconversion.h"

#include <QFuture>
#include <QObject>
#include <QStringList>

#include <functional>
#include <memory>
#include <vector>

class QAction;
class QMenu;
class QWidget;

namespace tantra {

class JobRunner;
class SafetensorsModel;
struct WeightEntry;
class WorkspacePage;
class WorkspaceSession;

// What a background workspace operation reports back to the GUI thread.
struct JobOutcome
{
    bool ok = true;
    QString summary;     // one line for the status bar
    QStringList details; // every problem, each naming its file
};

// The workspace's actions (menu, toolbar, context menu, shortcuts) and what they do: every
// one that touches the disk runs as a job off the GUI thread (a registry change may wait up to
// 30 s for another process's lock), destructive ones ask first and say what will happen, and
// every failure says what failed, which file, and what to do. While a change of the registry
// runs, the actions that change it are disabled, so a second click cannot fire it twice.
class WorkspaceActions : public QObject
{
    Q_OBJECT
public:
    // Shows what the archive holds (its manifest) and asks, then restores it as a job; a
    // dropped .zip comes here as well as Restore from Backup….
    void restoreArchive(const QString &archive);
    WorkspaceActions(WorkspaceSession *session, WorkspacePage *page, JobRunner *jobs, QWidget *window);

    QAction *setActive() const { return m_setActive; }
    QAction *rollback() const { return m_rollback; }
    QAction *backup() const { return m_backup; }
    QAction *restore() const { return m_restore; }
    QAction *validate() const { return m_validate; }
    QAction *validateAll() const { return m_validateAll; }
    QAction *verify() const { return m_verify; }
    QAction *cleanup() const { return m_cleanup; }
    QAction *remove() const { return m_remove; }
    QAction *import() const { return m_import; }
    QAction *newModelType() const { return m_newType; }
    QAction *browseTensors() const { return m_browse; }
    QAction *compare() const { return m_compare; }
    QAction *convert() const { return m_convert; }
    QAction *reshard() const { return m_reshard; }
    QAction *repair() const { return m_repair; }
    QAction *editConfig() const { return m_editConfig; }
    QList<QAction *> weightActions() const;

    // The import flow for a dropped or chosen path: a weight, a shard folder or index, or a
    // backup archive (which is restored). Returns false when it refused the path.
    bool importPath(const QString &path);
    void fillContextMenu(QMenu *menu) const;
    // A change of the registry (activate, remove, import, …) is running.
    bool isBusy() const;

Q_SIGNALS:
    // A weight's file to open in the tensor browser.
    void openInBrowser(const QString &path, const QString &title, const QString &modelType);
    // Compare A with B tensor by tensor (paths and labels for people).
    void compareRequested(const QString &pathA, const QString &labelA, const QString &pathB, const QString &labelB);
    void editConfigRequested(const QString &modelType);
    void statusMessage(const QString &message);
    // A conversion registered its result: what it cost, tensor by tensor, for a report tab.
    void conversionFinished(const ConversionReport &report, const QString &sourceLabel, const QString &resultLabel);

public Q_SLOTS:
    void updateEnabled();

private:
    void doSetActive();
    void doRollback();
    void doBackup();
    void doRestore();
    void doValidate(bool all);
    void doVerify();
    void doCleanup();
    void doRemove();
    void doImport();
    void doNewModelType();
    void doBrowse();
    void doCompare();
    void doConvert();
    void doReshard();
    void doRepair();
    void report(const QString &title, const JobOutcome &outcome);
    // The one selected weight's entry and its header, or null after saying why not.
    std::shared_ptr<const SafetensorsModel> openSelected(const QString &title, WeightEntry *entry);
    // Runs a job that changes the registry; the changing actions stay disabled until it ends.
    template<typename Work>
    void runChange(const QString &title, Work work, std::function<void(const JobOutcome &)> onDone);

    WorkspaceSession *m_session;
    WorkspacePage *m_page;
    JobRunner *m_jobs;
    QWidget *m_window;
    QAction *m_setActive;
    QAction *m_rollback;
    QAction *m_backup;
    QAction *m_restore;
    QAction *m_validate;
    QAction *m_validateAll;
    QAction *m_verify;
    QAction *m_cleanup;
    QAction *m_remove;
    QAction *m_import;
    QAction *m_newType;
    QAction *m_browse;
    QAction *m_compare;
    QAction *m_convert;
    QAction *m_reshard;
    QAction *m_repair;
    QAction *m_editConfig;
    std::vector<QFuture<void>> m_changes; // running registry changes
};

} // namespace tantra
