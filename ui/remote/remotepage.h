#pragma once

#include "page.h"
#include "remotelist.h"
#include "remotestore.h"
#include "remoteweightmodel.h"

#include <QDateTime>
#include <QWidget>

#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTimer;
class QToolButton;

namespace tantra {

class JobRunner;
class RemoteActions;
class WorkspaceSession;

// The workspace's remotes (Model/remotes.json), one at a time: its weights, read from their
// manifests only, beside this workspace's own (on both sides, remote only, local only, or a
// name both use for different bytes), with Push and Pull. The listing runs as a job of the
// page's own (a new one supersedes it); push and pull are RemoteActions' jobs, which outlive
// the page. Credentials come from the environment or ~/.aws (a profile may be named here);
// this program never stores them. Nothing the page shows from the server or from manifests
// is rendered as rich text.
class RemotePage : public QWidget, public Page
{
    Q_OBJECT
public:
    // Shows nothing until refresh() (so that the listing's job can be tracked from its first).
    RemotePage(WorkspaceSession *session, RemoteActions *actions, QWidget *parent = nullptr);
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

private:
    void reloadRemotes();
    void listCurrent();
    // The listing's rows against the registry now; the selection, current row and scroll
    // position are kept, and an unchanged table is left alone.
    void rebuildRows();
    void updateActions();
    void showAddress();
    // Lists the current remote again once no push to it runs (a push changes what it holds).
    void scheduleRelist();
    // Which listing the table shows: the workspace, the remote's name, address and endpoint.
    QString listingKey() const;
    void showError(const QString &text);
    void addRemote();
    void openAddDialog(const Remote &prefill);
    void removeRemote();
    std::optional<Remote> remoteNamed(const QString &name) const;
    QString profile() const;

    WorkspaceSession *m_session;
    RemoteActions *m_actions;
    JobRunner *m_listing;
    JobRunner *m_changes; // adding and removing remotes
    RemoteWeightModel *m_model;
    QSortFilterProxyModel *m_proxy;
    std::vector<Remote> m_remoteList;
    // The last listing and what it was of (listingKey(); a listing of another never shows).
    QString m_listedKey;
    QString m_listedRemote;
    std::vector<RemoteWeight> m_listed;
    QDateTime m_listedAt;
    QString m_pendingSelection;
    QTimer *m_relist;
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
