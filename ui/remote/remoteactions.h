#pragma once

#include "remotelist.h"

#include <QObject>
#include <QPointer>
#include <QHash>
#include <QStringList>

#include <functional>

class QMessageBox;
class QWidget;

namespace tantra {

class JobContext;
class JobRunner;
class RemoteStore;
class WeightManager;
class WorkspaceSession;

// Push and Pull as jobs in the workspace's runner (the jobs panel shows them with progress and
// cancel; the window waits for them on quitting). Owned by the workspace's wiring, not by the
// Remotes page, so that a result still lands when the page's tab was closed meanwhile, and is
// applied only to the workspace it belongs to when the user has switched to another one.
// Failures are collected into one non-modal message (300 failed pushes are one box, not 300
// nested ones).
class RemoteActions : public QObject
{
    Q_OBJECT
public:
    enum class Kind { Push, Pull };

    RemoteActions(WorkspaceSession *session, JobRunner *jobs, QWidget *window);

    // One job per name; a name already being pushed (pulled) in this workspace is skipped.
    void push(const Remote &remote, const QString &profile, const QStringList &names);
    void pull(const Remote &remote, const QString &profile, const QStringList &names, bool activate);
    // Whether `name` of the open workspace is being pushed (pulled).
    bool isRunning(Kind kind, const QString &name) const;
    // Whether any push to `remote` from the open workspace is running.
    bool isPushingTo(const QString &remote) const;
    // The message listing failures, while it is open.
    QMessageBox *failureBox() const { return m_failureBox; }

Q_SIGNALS:
    void statusMessage(const QString &message);
    void runningChanged();
    // A push from `root` to `remote` ended (done, failed or cancelled): what the remote holds
    // may have changed. (A pull changes only the registry, which WorkspaceSession announces.)
    void pushEnded(const QString &root, const QString &remote);
    // A pull the user started alone registered `name` in the workspace open now.
    void weightPulled(const QString &name);

private:
    struct Outcome;
    // The store call of one push or pull, run in the job: the status line on success.
    using Transfer = std::function<Result<QString>(RemoteStore &, WeightManager &, JobContext &)>;

    // Runs `transfer` as a job unless `name` is already being moved that way; `landedHere`
    // runs after a pull that succeeded into the workspace still open.
    void runTransfer(Kind kind, const Remote &remote, const QString &profile, const QString &name, Transfer transfer,
                     std::function<void()> landedHere = {});
    QString key(Kind kind, const QString &root, const QString &name) const;
    void ended(const QString &key, const QString &root, const QString &remote, bool push);
    void reportFailure(const QString &summary, const QString &detail);

    WorkspaceSession *m_session;
    JobRunner *m_jobs;
    QWidget *m_window;
    QHash<QString, QString> m_running; // key() -> the remote's name
    QPointer<QMessageBox> m_failureBox;
    QStringList m_failures;
};

} // namespace tantra
