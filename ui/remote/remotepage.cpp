#include "remotepage.h"

#include "errortext.h"
#include "icons.h"
#include "jobcontext.h"
#include "jobrunner.h"
#include "remotedialog.h"
#include "weightmanager.h"
#include "workspace.h"
#include "workspacesession.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace tantra {

namespace {

// What a remote job brings back to the GUI thread.
struct RemoteOutcome
{
    bool ok = false;
    QString summary;
    QString detail; // the error, worded for the GUI
};

struct Listing
{
    QString remote;
    Result<std::vector<RemoteWeight>> weights;
};

QToolButton *toolButton(const QString &text, const QString &icon, const QString &tip)
{
    auto *b = new QToolButton;
    b->setText(text);
    b->setIcon(Icons::get(icon));
    b->setToolTip(tip);
    b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    b->setAutoRaise(true);
    return b;
}

QString sizeText(std::uint64_t bytes)
{
    return QLocale().formattedDataSize(qint64(bytes));
}

} // namespace

RemotePage::RemotePage(WorkspaceSession *session, JobRunner *jobs, QWidget *parent)
    : QWidget(parent),
      m_session(session),
      m_jobs(jobs),
      m_listing(new JobRunner(this, JobRunner::Mode::LatestOnly)),
      m_model(new RemoteWeightModel(this)),
      m_proxy(new QSortFilterProxyModel(this)),
      m_remotes(new QComboBox),
      m_url(new QLabel),
      m_profile(new QLineEdit),
      m_add(toolButton(tr("Add Remote…"), QStringLiteral("new-type"), tr("Name an S3 bucket (AWS S3, Ceph, MinIO, R2) to push weights to and pull them from"))),
      m_remove(toolButton(tr("Remove"), QStringLiteral("remove"), tr("Forget this remote in this workspace; nothing on the server is deleted"))),
      m_refresh(toolButton(tr("Refresh"), QStringLiteral("reload"), tr("Read the remote's manifests again (F5)"))),
      m_filter(new QLineEdit),
      m_banner(new QLabel),
      m_summary(new QLabel),
      m_view(new QTableView),
      m_push(new QPushButton(Icons::get(QStringLiteral("backup")), tr("&Push"))),
      m_pull(new QPushButton(Icons::get(QStringLiteral("import")), tr("P&ull"))),
      m_pullActivate(new QPushButton(Icons::get(QStringLiteral("active")), tr("Pull and &Activate")))
{
    m_remotes->setObjectName(QStringLiteral("remoteChooser"));
    m_remotes->setMinimumContentsLength(12);
    m_remotes->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_url->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_url->setObjectName(QStringLiteral("remoteUrl"));
    m_profile->setPlaceholderText(tr("AWS profile: default"));
    m_profile->setToolTip(tr("The profile of ~/.aws/credentials or ~/.aws/config to sign with (empty: $AWS_PROFILE, else "
                             "\"default\"). AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, when set, come first."));
    m_profile->setMaximumWidth(200);
    m_profile->setText(QSettings().value(QStringLiteral("remotes/profile")).toString());
    m_refresh->setShortcut(QKeySequence::Refresh);
    m_add->setObjectName(QStringLiteral("addRemote"));
    m_remove->setObjectName(QStringLiteral("removeRemote"));

    m_filter->setPlaceholderText(tr("Filter by name"));
    m_filter->setClearButtonEnabled(true);
    m_banner->setObjectName(QStringLiteral("remoteBanner"));
    m_banner->setWordWrap(true);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->setVisible(false);
    m_summary->setObjectName(QStringLiteral("remoteSummary"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(RemoteWeightModel::SortRole);
    m_proxy->setFilterKeyColumn(RemoteWeightModel::NameColumn);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_view->setModel(m_proxy);
    m_view->setObjectName(QStringLiteral("remoteWeights"));
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(RemoteWeightModel::WhereColumn, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setTabKeyNavigation(false);
    m_view->verticalHeader()->hide();
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideMiddle);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(RemoteWeightModel::NameColumn, QHeaderView::Stretch);
    m_view->horizontalHeader()->setStretchLastSection(false);

    m_push->setObjectName(QStringLiteral("pushButton"));
    m_push->setToolTip(tr("Upload the selected local weights: blobs the remote lacks, then each manifest"));
    m_pull->setObjectName(QStringLiteral("pullButton"));
    m_pull->setToolTip(tr("Download the selected remote weights, verify their SHA-256 and register them"));
    m_pullActivate->setObjectName(QStringLiteral("pullActivateButton"));
    m_pullActivate->setToolTip(tr("Pull, then make the pulled weight the active one of its type"));

    auto *top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("<b>Remote</b>")));
    top->addWidget(m_remotes);
    top->addWidget(m_url, 1);
    top->addWidget(m_profile);
    top->addWidget(m_refresh);
    top->addWidget(m_add);
    top->addWidget(m_remove);
    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_summary, 1);
    bottom->addWidget(m_push);
    bottom->addWidget(m_pull);
    bottom->addWidget(m_pullActivate);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(top);
    layout->addWidget(m_banner);
    layout->addWidget(m_filter);
    layout->addWidget(m_view, 1);
    layout->addLayout(bottom);

    connect(m_remotes, &QComboBox::currentIndexChanged, this, [this] {
        const std::optional<Remote> r = remoteNamed(currentRemote());
        m_url->setText(r ? QStringLiteral("%1 at %2").arg(r->url(), r->endpoint) : QString());
        m_url->setToolTip(r ? tr("%1, region %2, %3 addressing").arg(r->endpoint, r->region, r->pathStyle ? tr("path-style") : tr("virtual-host"))
                            : QString());
        listCurrent();
    });
    connect(m_profile, &QLineEdit::editingFinished, this, [this] {
        QSettings().setValue(QStringLiteral("remotes/profile"), m_profile->text().trimmed());
        listCurrent();
    });
    connect(m_refresh, &QToolButton::clicked, this, &RemotePage::refresh);
    connect(m_add, &QToolButton::clicked, this, &RemotePage::addRemote);
    connect(m_remove, &QToolButton::clicked, this, &RemotePage::removeRemote);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RemotePage::updateActions);
    connect(m_push, &QPushButton::clicked, this, [this] { push(selectedWeights()); });
    connect(m_pull, &QPushButton::clicked, this, [this] { pull(selectedWeights(), false); });
    connect(m_pullActivate, &QPushButton::clicked, this, [this] { pull(selectedWeights(), true); });
    connect(m_view, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        QMenu menu;
        menu.addAction(m_push->icon(), m_push->text(), this, [this] { push(selectedWeights()); })->setEnabled(m_push->isEnabled());
        menu.addAction(m_pull->icon(), m_pull->text(), this, [this] { pull(selectedWeights(), false); })->setEnabled(m_pull->isEnabled());
        menu.addAction(m_pullActivate->icon(), m_pullActivate->text(), this, [this] { pull(selectedWeights(), true); })
                ->setEnabled(m_pullActivate->isEnabled());
        menu.exec(m_view->viewport()->mapToGlobal(pos));
    });
    connect(m_listing, &JobRunner::busyChanged, this, &RemotePage::updateActions);
    // The registry changed (a pull, an import, the CLI): the sides compare anew, without
    // asking the server again.
    connect(m_session, &WorkspaceSession::changed, this, &RemotePage::rebuildRows);
    connect(m_session, &WorkspaceSession::opened, this, &RemotePage::refresh);
    refresh();
}

RemotePage::~RemotePage()
{
    // The listing runner is a child: it cancels its job as it goes, after this page's own
    // part is gone, and must not call back into it.
    disconnect(m_listing, nullptr, this, nullptr);
}

QString RemotePage::title() const
{
    return tr("Remotes");
}

bool RemotePage::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
    return true;
}

QString RemotePage::currentRemote() const
{
    return m_remotes->currentData().toString();
}

void RemotePage::selectRemote(const QString &name)
{
    const int index = m_remotes->findData(name);
    if (index >= 0)
        m_remotes->setCurrentIndex(index);
}

QStringList RemotePage::selectedWeights() const
{
    QStringList names;
    for (const QModelIndex &index : m_view->selectionModel()->selectedRows())
        names << index.data(RemoteWeightModel::NameRole).toString();
    return names;
}

void RemotePage::selectWeight(const QString &name)
{
    const int row = m_model->rowOf(name);
    // Not listed yet (the page just opened): selected when the listing arrives.
    m_pendingSelection = row < 0 ? name : QString();
    if (row < 0)
        return;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, RemoteWeightModel::NameColumn));
    m_view->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index);
}

bool RemotePage::isListing() const
{
    return m_listing->isBusy();
}

std::optional<Remote> RemotePage::remoteNamed(const QString &name) const
{
    for (const Remote &r : m_remoteList)
        if (r.name == name)
            return r;
    return std::nullopt;
}

QString RemotePage::profile() const
{
    return m_profile->text().trimmed();
}

void RemotePage::refresh()
{
    reloadRemotes();
    listCurrent();
}

void RemotePage::showError(const QString &text)
{
    m_banner->setText(text);
    m_banner->setStyleSheet(QStringLiteral("QLabel { background: #fde8e8; color: #7a1010; padding: 6px; }"));
    m_banner->setVisible(!text.isEmpty());
}

void RemotePage::reloadRemotes()
{
    const QString keep = currentRemote();
    m_remoteList.clear();
    QString problem;
    if (m_session->isOpen()) {
        // A small JSON file, read like the registry snapshot is; RemoteList refuses special files.
        auto remotes = RemoteList(m_session->manager()->workspace()).load();
        if (remotes)
            m_remoteList = std::move(*remotes);
        else
            problem = errorText(remotes.error());
    }
    const QSignalBlocker block(m_remotes);
    m_remotes->clear();
    for (const Remote &r : m_remoteList)
        m_remotes->addItem(r.name, r.name);
    const int index = m_remotes->findData(keep);
    m_remotes->setCurrentIndex(index >= 0 ? index : 0);
    const std::optional<Remote> r = remoteNamed(currentRemote());
    m_url->setText(r ? QStringLiteral("%1 at %2").arg(r->url(), r->endpoint) : QString());
    m_remotes->setEnabled(!m_remoteList.empty());
    m_remove->setEnabled(r.has_value());
    m_add->setEnabled(m_session->isOpen() && problem.isEmpty());
    if (!problem.isEmpty())
        showError(tr("The workspace's list of remotes cannot be read, so none is shown: %1").arg(problem));
    else if (m_remoteList.empty())
        showError({});
}

void RemotePage::listCurrent()
{
    const std::optional<Remote> remote = remoteNamed(currentRemote());
    if (!remote) {
        m_listing->cancelAll();
        m_listed.clear();
        m_listedRemote.clear();
        m_model->setRows({});
        if (m_banner->text().isEmpty() || m_remoteList.empty())
            m_summary->setText(m_session->isOpen()
                                       ? tr("No remote yet. Add Remote… names an S3 bucket (AWS S3, Ceph, MinIO, R2) to push "
                                            "this workspace's weights to and pull them from on other machines.")
                                       : tr("No workspace is open."));
        updateActions();
        return;
    }
    m_summary->setText(tr("Reading the manifests on %1…").arg(remote->name));
    const QString profileName = profile();
    m_listing->run(
            tr("Listing weights on %1").arg(remote->name),
            [remote = *remote, profileName](JobContext &) {
                auto credentials = S3Credentials::load(profileName);
                if (!credentials)
                    return Listing{remote.name, credentials.error()};
                return Listing{remote.name, RemoteStore(remote, *credentials).listWeights()};
            },
            this, [this](const Listing &listing) {
                if (listing.remote != currentRemote())
                    return;
                if (!listing.weights) {
                    m_listed.clear();
                    m_listedRemote.clear();
                    m_model->setRows({});
                    m_summary->setText(tr("Nothing listed."));
                    showError(tr("Could not list the weights on %1: %2").arg(listing.remote, errorText(listing.weights.error())));
                    updateActions();
                    return;
                }
                showError({});
                m_listed = *listing.weights;
                m_listedRemote = listing.remote;
                m_listedAt = QDateTime::currentDateTime();
                rebuildRows();
            });
    updateActions();
}

void RemotePage::rebuildRows()
{
    if (m_listedRemote.isEmpty() || m_listedRemote != currentRemote())
        return;
    const QStringList keep = selectedWeights();
    m_model->setRows(RemoteWeightModel::merge(m_listed, m_session->registry()));
    for (const QString &name : keep) {
        const int row = m_model->rowOf(name);
        if (row >= 0)
            m_view->selectionModel()->select(m_proxy->mapFromSource(m_model->index(row, 0)),
                                             QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
    if (!m_pendingSelection.isEmpty() && m_model->rowOf(m_pendingSelection) >= 0)
        selectWeight(m_pendingSelection);
    int counts[4] = {0, 0, 0, 0};
    for (const auto &row : m_model->rows())
        ++counts[int(row.where)];
    QString text = tr("%n weight(s) on %1", nullptr, int(m_listed.size())).arg(m_listedRemote);
    text += QStringLiteral(" · ") + tr("%n remote only", nullptr, counts[int(RemoteWeightModel::Where::RemoteOnly)]);
    text += QStringLiteral(" · ") + tr("%n local only", nullptr, counts[int(RemoteWeightModel::Where::LocalOnly)]);
    if (counts[int(RemoteWeightModel::Where::Differs)])
        text += QStringLiteral(" · ") + tr("%n with different files under one name", nullptr, counts[int(RemoteWeightModel::Where::Differs)]);
    text += QStringLiteral(" · ") + tr("listed %1").arg(QLocale().toString(m_listedAt.time(), QLocale::ShortFormat));
    m_summary->setText(text);
    updateActions();
}

void RemotePage::updateActions()
{
    bool canPush = false;
    bool canPull = false;
    const bool listed = !m_listedRemote.isEmpty() && m_listedRemote == currentRemote();
    for (const QString &name : selectedWeights()) {
        const RemoteWeightModel::Row *row = m_model->rowFor(name);
        if (!row)
            continue;
        canPush |= row->where == RemoteWeightModel::Where::LocalOnly && !m_running.contains(QStringLiteral("push:") + name);
        canPull |= row->where == RemoteWeightModel::Where::RemoteOnly && !m_running.contains(QStringLiteral("pull:") + name);
    }
    m_push->setEnabled(listed && canPush);
    m_pull->setEnabled(listed && canPull);
    m_pullActivate->setEnabled(listed && canPull);
    m_refresh->setEnabled(remoteNamed(currentRemote()).has_value());
}

void RemotePage::push(const QStringList &names)
{
    const std::optional<Remote> remote = remoteNamed(currentRemote());
    if (!remote || !m_session->isOpen())
        return;
    const Workspace ws = m_session->manager()->workspace();
    const QString profileName = profile();
    for (const QString &name : names) {
        const RemoteWeightModel::Row *row = m_model->rowFor(name);
        const QString key = QStringLiteral("push:") + name;
        if (!row || row->where != RemoteWeightModel::Where::LocalOnly || m_running.contains(key))
            continue;
        m_running.insert(key);
        m_jobs->run(
                tr("Pushing %1 to %2").arg(name, remote->name),
                [ws, remote = *remote, profileName, name](JobContext &job) {
                    auto credentials = S3Credentials::load(profileName);
                    if (!credentials)
                        return RemoteOutcome{false, QObject::tr("Could not push %1").arg(name), errorText(credentials.error())};
                    WeightManager manager(ws);
                    manager.setJobContext(&job);
                    auto pushed = RemoteStore(remote, *credentials).push(manager, name, &job);
                    if (!pushed)
                        return RemoteOutcome{false, QObject::tr("Could not push %1 to %2").arg(name, remote.name), errorText(pushed.error())};
                    QString text = QObject::tr("Pushed %1 to %2: %3 sent").arg(name, remote.name, sizeText(pushed->uploadedBytes));
                    if (pushed->skippedBytes)
                        text += QObject::tr(", %1 the remote held already").arg(sizeText(pushed->skippedBytes));
                    if (pushed->resumedBytes)
                        text += QObject::tr(", %1 from an interrupted push").arg(sizeText(pushed->resumedBytes));
                    return RemoteOutcome{true, text, {}};
                },
                this,
                [this, key](const RemoteOutcome &outcome) {
                    m_running.remove(key);
                    Q_EMIT statusMessage(outcome.summary);
                    if (!outcome.ok)
                        QMessageBox::warning(this, tr("Push"), outcome.summary + QStringLiteral("\n\n") + outcome.detail);
                    listCurrent();
                },
                [this, key] {
                    m_running.remove(key);
                    updateActions();
                });
    }
    updateActions();
}

void RemotePage::pull(const QStringList &names, bool activate)
{
    const std::optional<Remote> remote = remoteNamed(currentRemote());
    if (!remote || !m_session->isOpen())
        return;
    const Workspace ws = m_session->manager()->workspace();
    const QString profileName = profile();
    for (const QString &name : names) {
        const RemoteWeightModel::Row *row = m_model->rowFor(name);
        const QString key = QStringLiteral("pull:") + name;
        if (!row || row->where != RemoteWeightModel::Where::RemoteOnly || m_running.contains(key))
            continue;
        m_running.insert(key);
        m_jobs->run(
                tr("Pulling %1 from %2").arg(name, remote->name),
                [ws, remote = *remote, profileName, name, activate](JobContext &job) {
                    auto credentials = S3Credentials::load(profileName);
                    if (!credentials)
                        return RemoteOutcome{false, QObject::tr("Could not pull %1").arg(name), errorText(credentials.error())};
                    WeightManager manager(ws);
                    manager.setJobContext(&job);
                    auto pulled = RemoteStore(remote, *credentials).pull(manager, name, activate, &job);
                    if (!pulled)
                        return RemoteOutcome{false, QObject::tr("Could not pull %1 from %2").arg(name, remote.name), errorText(pulled.error())};
                    return RemoteOutcome{true,
                                         activate ? QObject::tr("Pulled %1 from %2 (%3, SHA-256 verified) and made it active")
                                                            .arg(name, remote.name, sizeText(pulled->size))
                                                  : QObject::tr("Pulled %1 from %2 (%3, SHA-256 verified)").arg(name, remote.name, sizeText(pulled->size)),
                                         {}};
                },
                this,
                [this, key, name](const RemoteOutcome &outcome) {
                    m_running.remove(key);
                    m_session->reload();
                    Q_EMIT statusMessage(outcome.summary);
                    if (!outcome.ok) {
                        QMessageBox::warning(this, tr("Pull"), outcome.summary + QStringLiteral("\n\n") + outcome.detail);
                        updateActions();
                        return;
                    }
                    // Every byte was hashed against the manifest on the way in.
                    m_session->setChecksumState(name, ChecksumState::Verified);
                    Q_EMIT weightPulled(name);
                },
                [this, key] {
                    m_running.remove(key);
                    updateActions();
                });
    }
    updateActions();
}

void RemotePage::addRemote()
{
    openAddDialog({});
}

void RemotePage::openAddDialog(const Remote &prefill)
{
    if (!m_session->isOpen())
        return;
    RemoteDialog dialog(this);
    if (!prefill.name.isEmpty())
        dialog.setRemote(prefill);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const Remote entered = dialog.remote();
    const Workspace ws = m_session->manager()->workspace();
    // A job: remotes.json is changed under a lock another process may hold for a while.
    m_jobs->run(
            tr("Adding the remote %1").arg(entered.name),
            [ws, entered](JobContext &) {
                auto added = RemoteList(ws).add(entered);
                return added ? RemoteOutcome{true, {}, {}} : RemoteOutcome{false, {}, errorText(added.error())};
            },
            this, [this, entered](const RemoteOutcome &outcome) {
                if (!outcome.ok) {
                    QMessageBox::warning(this, tr("Add Remote"), tr("Could not add the remote %1: %2").arg(entered.name, outcome.detail));
                    openAddDialog(entered); // to correct, not to type again
                    return;
                }
                reloadRemotes();
                selectRemote(entered.name);
                listCurrent();
                Q_EMIT statusMessage(tr("Added the remote %1 (%2)").arg(entered.name, entered.url()));
            });
}

void RemotePage::removeRemote()
{
    const std::optional<Remote> remote = remoteNamed(currentRemote());
    if (!remote)
        return;
    const auto answer = QMessageBox::question(this, tr("Remove Remote"),
                                              tr("Forget the remote %1 (%2) in this workspace?\n\nNothing on the server is "
                                                 "deleted, and Add Remote… brings it back.")
                                                      .arg(remote->name, remote->url()));
    if (answer != QMessageBox::Yes)
        return;
    const Workspace ws = m_session->manager()->workspace();
    m_jobs->run(
            tr("Removing the remote %1").arg(remote->name),
            [ws, name = remote->name](JobContext &) {
                auto removed = RemoteList(ws).remove(name);
                return removed ? RemoteOutcome{true, {}, {}} : RemoteOutcome{false, {}, errorText(removed.error())};
            },
            this, [this, name = remote->name](const RemoteOutcome &outcome) {
                if (!outcome.ok)
                    QMessageBox::warning(this, tr("Remove Remote"), outcome.detail);
                else
                    Q_EMIT statusMessage(tr("Removed the remote %1; nothing on the server was deleted").arg(name));
                refresh();
            });
}

} // namespace tantra
