#include "remotepage.h"

#include "errortext.h"
#include "icons.h"
#include "jobcontext.h"
#include "jobrunner.h"
#include "remoteactions.h"
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
#include <QScrollBar>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include <unordered_set>

namespace tantra {

namespace {

struct Listing
{
    QString key;
    QString remote;
    Result<RemoteListing> weights;
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

// Whether requests to `endpoint` cross a network unencrypted (keys are signed, not sent, but
// the weights and manifests travel in the clear).
bool plainOverNetwork(const QString &endpoint)
{
    const QUrl url(endpoint);
    if (url.scheme() != QLatin1String("http"))
        return false;
    const QString host = url.host();
    return host != QLatin1String("localhost") && !host.startsWith(QLatin1String("127.")) && host != QLatin1String("::1");
}

} // namespace

RemotePage::RemotePage(WorkspaceSession *session, RemoteActions *actions, QWidget *parent)
    : QWidget(parent),
      m_session(session),
      m_actions(actions),
      m_listing(new JobRunner(this, JobRunner::Mode::LatestOnly)),
      m_changes(new JobRunner(this)),
      m_model(new RemoteWeightModel(this)),
      m_proxy(new QSortFilterProxyModel(this)),
      m_relist(new QTimer(this)),
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
    // What the server, the manifests and remotes.json say is shown as it is, never as markup.
    for (QLabel *label : {m_url, m_banner, m_summary}) {
        label->setTextFormat(Qt::PlainText);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
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
    m_banner->setVisible(false);
    m_banner->setStyleSheet(QStringLiteral("QLabel { background: #fde8e8; color: #7a1010; padding: 6px; }"));
    m_summary->setObjectName(QStringLiteral("remoteSummary"));

    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(RemoteWeightModel::SortRole);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
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
    QHeaderView *header = m_view->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(RemoteWeightModel::NameColumn, QHeaderView::Stretch);
    header->setStretchLastSection(false);
    // Thousands of weights: sized from the first rows, not all; and a "pushed_by" of a megabyte
    // (the manifest is another tool's) does not push the table off the screen.
    header->setResizeContentsPrecision(200);
    header->setMaximumSectionSize(400);

    m_push->setObjectName(QStringLiteral("pushButton"));
    m_push->setToolTip(tr("Upload the selected local weights: blobs the remote lacks, then each manifest"));
    m_pull->setObjectName(QStringLiteral("pullButton"));
    m_pull->setToolTip(tr("Download the selected remote weights, verify their SHA-256 and register them"));
    m_pullActivate->setObjectName(QStringLiteral("pullActivateButton"));
    m_pullActivate->setToolTip(tr("Pull one weight, then make it the active one of its type"));

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

    m_relist->setSingleShot(true);
    m_relist->setInterval(300);
    connect(m_relist, &QTimer::timeout, this, [this] {
        if (m_actions->isPushingTo(currentRemote()))
            return; // the last push to end asks again
        listCurrent();
    });
    connect(m_remotes, &QComboBox::currentIndexChanged, this, [this] {
        showAddress();
        listCurrent();
    });
    connect(m_profile, &QLineEdit::editingFinished, this, [this] {
        const QString before = QSettings().value(QStringLiteral("remotes/profile")).toString();
        if (before == profile())
            return; // focus left the field: nothing to read again
        QSettings().setValue(QStringLiteral("remotes/profile"), profile());
        listCurrent();
    });
    connect(m_refresh, &QToolButton::clicked, this, &RemotePage::refresh);
    connect(m_add, &QToolButton::clicked, this, &RemotePage::addRemote);
    connect(m_remove, &QToolButton::clicked, this, &RemotePage::removeRemote);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        m_pendingSelection.clear(); // the user chose: an awaited selection must not override it
        updateActions();
    });
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
    connect(m_actions, &RemoteActions::runningChanged, this, &RemotePage::updateActions);
    connect(m_actions, &RemoteActions::pushEnded, this, [this](const QString &root, const QString &remote) {
        if (m_session->isOpen() && root == m_session->root() && remote == currentRemote())
            scheduleRelist();
    });
    // The registry changed (a pull, an import, the CLI): the sides compare anew, without
    // asking the server again.
    connect(m_session, &WorkspaceSession::changed, this, &RemotePage::rebuildRows);
    connect(m_session, &WorkspaceSession::opened, this, &RemotePage::refresh);
}

RemotePage::~RemotePage()
{
    // The runners are children: they cancel their jobs as they go, after this page's own
    // part is gone, and must not call back into it.
    disconnect(m_listing, nullptr, this, nullptr);
    disconnect(m_changes, nullptr, this, nullptr);
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
    if (row < 0) {
        // Not listed yet (the page just opened): selected when the listing arrives.
        m_pendingSelection = name;
        return;
    }
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, RemoteWeightModel::NameColumn));
    m_view->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index);
    m_pendingSelection.clear();
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

QString RemotePage::listingKey() const
{
    const std::optional<Remote> r = remoteNamed(currentRemote());
    if (!r || !m_session->isOpen())
        return {};
    return QStringList{m_session->root(), r->name, r->url(), r->endpoint, r->region, profile()}.join(QLatin1Char('\n'));
}

void RemotePage::refresh()
{
    reloadRemotes();
    listCurrent();
}

void RemotePage::scheduleRelist()
{
    m_relist->start();
}

void RemotePage::showError(const QString &text)
{
    m_banner->setText(text);
    m_banner->setVisible(!text.isEmpty());
}

void RemotePage::showAddress()
{
    const std::optional<Remote> r = remoteNamed(currentRemote());
    if (!r) {
        m_url->clear();
        m_url->setToolTip({});
        return;
    }
    QString text = QStringLiteral("%1 at %2").arg(r->url(), r->endpoint);
    if (plainOverNetwork(r->endpoint))
        text += tr(" (unencrypted: weights travel in the clear)");
    m_url->setText(text);
    m_url->setToolTip(tr("%1, region %2, %3 addressing").arg(r->endpoint, r->region, r->pathStyle ? tr("path-style") : tr("virtual-host")));
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
    {
        const QSignalBlocker block(m_remotes);
        m_remotes->clear();
        for (const Remote &r : m_remoteList)
            m_remotes->addItem(r.name, r.name);
        const int index = m_remotes->findData(keep);
        m_remotes->setCurrentIndex(index >= 0 ? index : 0);
    }
    showAddress();
    m_remotes->setEnabled(!m_remoteList.empty());
    m_remove->setEnabled(remoteNamed(currentRemote()).has_value());
    m_add->setEnabled(m_session->isOpen() && problem.isEmpty());
    showError(problem.isEmpty() ? QString() : tr("The workspace's list of remotes cannot be read, so none is shown: %1").arg(problem));
}

void RemotePage::listCurrent()
{
    m_relist->stop();
    const std::optional<Remote> remote = remoteNamed(currentRemote());
    const QString key = listingKey();
    // Rows of another workspace or remote must not stand under this one's name, with Push and
    // Pull enabled, while its listing runs.
    if (key != m_listedKey) {
        m_listed.clear();
        m_listedKey.clear();
        m_listedRemote.clear();
        m_model->setRows({});
    }
    if (!remote) {
        m_listing->cancelAll();
        if (!m_banner->isVisible())
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
            [remote = *remote, profileName, key](JobContext &job) {
                auto credentials = S3Credentials::load(profileName);
                if (!credentials)
                    return Listing{key, remote.name, credentials.error()};
                return Listing{key, remote.name, RemoteStore(remote, *credentials).listWeights(&job)};
            },
            this, [this](const Listing &listing) {
                if (listing.key != listingKey())
                    return;
                if (!listing.weights) {
                    m_listed.clear();
                    m_listedKey.clear();
                    m_listedRemote.clear();
                    m_model->setRows({});
                    m_summary->setText(tr("Nothing listed."));
                    showError(tr("Could not list the weights on %1: %2").arg(listing.remote, errorText(listing.weights.error())));
                    updateActions();
                    return;
                }
                // What could not be read is named; the rest is shown (one colleague's broken
                // upload must not hide the remote from everyone).
                QStringList unreadable;
                for (const Error &e : listing.weights->unreadable)
                    unreadable << errorText(e);
                showError(unreadable.isEmpty() ? QString()
                                               : tr("%n manifest(s) on %1 could not be read (not shown):", nullptr, int(unreadable.size()))
                                                                 .arg(listing.remote)
                                                         + QLatin1Char('\n') + unreadable.mid(0, 5).join(QLatin1Char('\n'))
                                                         + (unreadable.size() > 5 ? tr("\n… and %n more", nullptr, int(unreadable.size() - 5)) : QString()));
                m_listed = listing.weights->weights;
                m_listedKey = listing.key;
                m_listedRemote = listing.remote;
                m_listedAt = QDateTime::currentDateTime();
                rebuildRows();
                if (!m_pendingSelection.isEmpty())
                    selectWeight(m_pendingSelection);
                m_pendingSelection.clear(); // not there: it must not turn up later over the user's choice
            });
    updateActions();
}

void RemotePage::rebuildRows()
{
    if (m_listedKey.isEmpty() || m_listedKey != listingKey())
        return;
    std::vector<RemoteWeightModel::Row> rows = RemoteWeightModel::merge(m_listed, m_session->registry());
    if (!m_model->sameRows(rows)) {
        const QStringList keep = selectedWeights();
        const QString current = m_view->currentIndex().data(RemoteWeightModel::NameRole).toString();
        const int scroll = m_view->verticalScrollBar()->value();
        m_model->setRows(std::move(rows));
        // One selection change, not one per row: each would re-check every selected row.
        QItemSelection selection;
        for (const QString &name : keep) {
            const int row = m_model->rowOf(name);
            if (row >= 0) {
                const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
                selection.select(index, index);
            }
        }
        {
            const QSignalBlocker block(m_view->selectionModel());
            if (const int row = m_model->rowOf(current); row >= 0)
                m_view->selectionModel()->setCurrentIndex(m_proxy->mapFromSource(m_model->index(row, 0)), QItemSelectionModel::NoUpdate);
            m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        }
        m_view->viewport()->update();
        m_view->verticalScrollBar()->setValue(scroll);
    }
    int counts[4] = {0, 0, 0, 0};
    for (const auto &row : m_model->rows())
        ++counts[int(row.where)];
    QString text = tr("%n weight(s) on %1", nullptr, int(m_listed.size())).arg(m_listedRemote);
    text += QStringLiteral(" · ") + tr("%n remote only", nullptr, counts[int(RemoteWeightModel::Where::RemoteOnly)]);
    text += QStringLiteral(" · ") + tr("%n local only", nullptr, counts[int(RemoteWeightModel::Where::LocalOnly)]);
    if (counts[int(RemoteWeightModel::Where::Differs)])
        text += QStringLiteral(" · ") + tr("%n with different files under one name", nullptr, counts[int(RemoteWeightModel::Where::Differs)]);
    text += QStringLiteral(" · ") + tr("listed %1").arg(QLocale().toString(m_listedAt, QLocale::ShortFormat));
    m_summary->setText(text);
    updateActions();
}

void RemotePage::updateActions()
{
    int pushable = 0;
    int pullable = 0;
    const bool listed = !m_listedKey.isEmpty() && m_listedKey == listingKey();
    const QModelIndexList selected = m_view->selectionModel()->selectedRows();
    for (const QModelIndex &index : selected) {
        const int source = m_proxy->mapToSource(index).row();
        if (source < 0 || std::size_t(source) >= m_model->rows().size())
            continue;
        const RemoteWeightModel::Row &row = m_model->rows()[std::size_t(source)];
        pushable += row.where == RemoteWeightModel::Where::LocalOnly && !m_actions->isRunning(RemoteActions::Kind::Push, row.entry.name);
        pullable += row.where == RemoteWeightModel::Where::RemoteOnly && !m_actions->isRunning(RemoteActions::Kind::Pull, row.entry.name);
    }
    m_push->setEnabled(listed && pushable > 0);
    m_pull->setEnabled(listed && pullable > 0);
    // One weight: activating several, the one that finished last would be the active one.
    m_pullActivate->setEnabled(listed && pullable == 1 && selected.size() == 1);
    m_refresh->setEnabled(remoteNamed(currentRemote()).has_value());
}

void RemotePage::push(const QStringList &names)
{
    const std::optional<Remote> remote = remoteNamed(currentRemote());
    if (!remote || !m_push->isEnabled())
        return;
    QStringList chosen;
    for (const QString &name : names)
        if (const RemoteWeightModel::Row *row = m_model->rowFor(name); row && row->where == RemoteWeightModel::Where::LocalOnly)
            chosen << name;
    m_actions->push(*remote, profile(), chosen);
}

void RemotePage::pull(const QStringList &names, bool activate)
{
    const std::optional<Remote> remote = remoteNamed(currentRemote());
    if (!remote || !(activate ? m_pullActivate : m_pull)->isEnabled())
        return;
    QStringList chosen;
    for (const QString &name : names)
        if (const RemoteWeightModel::Row *row = m_model->rowFor(name); row && row->where == RemoteWeightModel::Where::RemoteOnly)
            chosen << name;
    m_actions->pull(*remote, profile(), chosen, activate);
}

void RemotePage::addRemote()
{
    openAddDialog({});
}

void RemotePage::openAddDialog(const Remote &prefill)
{
    if (!m_session->isOpen())
        return;
    // Window-modal and not exec(): it may be opened again from a job's result, where a nested
    // event loop would run other jobs' results inside it.
    auto *dialog = new RemoteDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (!prefill.name.isEmpty())
        dialog->setRemote(prefill);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        const Remote entered = dialog->remote();
        const Workspace ws = m_session->manager()->workspace();
        // A job: remotes.json is changed under a lock another process may hold for a while.
        m_changes->run(
                tr("Adding the remote %1").arg(entered.name),
                [ws, entered](JobContext &) {
                    auto added = RemoteList(ws).add(entered);
                    return added ? QString() : errorText(added.error());
                },
                this, [this, entered](const QString &error) {
                    if (!error.isEmpty()) {
                        auto *box = new QMessageBox(QMessageBox::Warning, tr("Add Remote"),
                                                    tr("Could not add the remote %1: %2").arg(entered.name, error), QMessageBox::Ok, this);
                        box->setTextFormat(Qt::PlainText);
                        box->setAttribute(Qt::WA_DeleteOnClose);
                        // Then the form again, filled in, to correct rather than retype.
                        connect(box, &QDialog::finished, this, [this, entered] { openAddDialog(entered); });
                        box->open();
                        return;
                    }
                    reloadRemotes();
                    selectRemote(entered.name);
                    listCurrent();
                    Q_EMIT statusMessage(tr("Added the remote %1 (%2)").arg(entered.name, entered.url()));
                });
    });
    dialog->open();
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
    if (answer != QMessageBox::Yes || !m_session->isOpen())
        return;
    const Workspace ws = m_session->manager()->workspace();
    m_changes->run(
            tr("Removing the remote %1").arg(remote->name),
            [ws, name = remote->name](JobContext &) {
                auto removed = RemoteList(ws).remove(name);
                return removed ? QString() : errorText(removed.error());
            },
            this, [this, name = remote->name](const QString &error) {
                if (!error.isEmpty()) {
                    auto *box = new QMessageBox(QMessageBox::Warning, tr("Remove Remote"), error, QMessageBox::Ok, this);
                    box->setTextFormat(Qt::PlainText);
                    box->setAttribute(Qt::WA_DeleteOnClose);
                    box->open();
                } else {
                    Q_EMIT statusMessage(tr("Removed the remote %1; nothing on the server was deleted").arg(name));
                }
                refresh();
            });
}

} // namespace tantra
