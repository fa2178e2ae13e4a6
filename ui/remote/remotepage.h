#pragma once

#include "page.h"
#include "remotelist.h"
#include "remotestore.h"
#include "remoteweightmodel.h"

#include <QDateTime>
#include <QSet>
#include <QWidget>

#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QToolButton;

namespace tantra {

class JobRunner;
class WorkspaceSession;

// The workspace's remotes (Model/remotes.json), one at a time: its weights, read from their
// manifests only, beside this workspace's own (on both sides, remote only, local only, or a
// name both use for different bytes), with Push and Pull. Listing, pushing and pulling run as
// jobs: push and pull in the workspace's runner, so they show in the jobs panel with progress
// and cancel and the window waits for them on quitting; a pulled weight shows in the weights
// table as an imported one does. Credentials come from the environment or ~/.aws (a profile
// may be named here); this program never stores them.
class RemotePage : public QWidget, public Page
{
    Q_OBJECT
public:
    RemotePage(WorkspaceSession *session, JobRunner *jobs, QWidget *parent = nullptr);
    ~RemotePage() override;

    bool focusFilter() override;
    QString title() const;

    // The remote shown: its name, or empty.
    QString currentRemote() const;
    void selectRemote(const QString &name);
    QStringList selectedWeights() const;
    void selectWeight(const QString &name);
    // Re-reads remotes.json and lists the current remote again.
    void refresh();
    // Whether a listing of the remote is running.
    bool isListing() const;
    // The weights of the remote as last listed, against the registry as it is now.
    RemoteWeightModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QComboBox *remoteChooser() const { return m_remotes; }
    QLabel *banner() const { return m_banner; }
    QLabel *summary() const { return m_summary; }
    QPushButton *pushButton() const { return m_push; }
    QPushButton *pullButton() const { return m_pull; }
    QPushButton *pullActivateButton() const { return m_pullActivate; }
    JobRunner *listingJobs() const { return m_listing; }

    void push(const QStringList &names);
    void pull(const QStringList &names, bool activate);

Q_SIGNALS:
    void statusMessage(const QString &message);
    // A pull registered `name`: the window may show it in the weights table.
    void weightPulled(const QString &name);

private:
    void reloadRemotes();
    void listCurrent();
    void rebuildRows();
    void updateActions();
    void showError(const QString &text);
    void addRemote();
    void openAddDialog(const Remote &prefill);
    void removeRemote();
    std::optional<Remote> remoteNamed(const QString &name) const;
    QString profile() const;

    WorkspaceSession *m_session;
    JobRunner *m_jobs;
    JobRunner *m_listing;
    RemoteWeightModel *m_model;
    QSortFilterProxyModel *m_proxy;
    std::vector<Remote> m_remoteList;
    // The last listing and which remote it was of (a listing of another remote never shows).
    QString m_listedRemote;
    std::vector<RemoteWeight> m_listed;
    QDateTime m_listedAt;
    QString m_pendingSelection;
    QSet<QString> m_running; // "push:NAME" / "pull:NAME" while their jobs run
    QComboBox *m_remotes;
    QLabel *m_url;
    QLineEdit *m_profile;
    QToolButton *m_add;
    QToolButton *m_remove;
    QToolButton *m_refresh;
    QLineEdit *m_filter;
    QLabel *m_banner;
    QLabel *m_summary;
    QTableView *m_view;
    QPushButton *m_push;
    QPushButton *m_pull;
    QPushButton *m_pullActivate;
};

} // namespace tantra
