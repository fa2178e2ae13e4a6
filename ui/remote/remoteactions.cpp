#include "remoteactions.h"

#include "errortext.h"
#include "jobcontext.h"
#include "jobrunner.h"
#include "remotestore.h"
#include "weightmanager.h"
#include "workspace.h"
#include "workspacesession.h"

#include <QLocale>
#include <QMessageBox>

namespace tantra {

struct RemoteActions::Outcome
{
    bool ok = false;
    QString summary;
    QString detail; // the error, worded for the GUI
};

namespace {

QString sizeText(std::uint64_t bytes)
{
    return QLocale().formattedDataSize(qint64(bytes));
}

} // namespace

RemoteActions::RemoteActions(WorkspaceSession *session, JobRunner *jobs, QWidget *window)
    : QObject(window), m_session(session), m_jobs(jobs), m_window(window)
{
}

QString RemoteActions::key(Kind kind, const QString &root, const QString &name) const
{
    return (kind == Kind::Push ? QStringLiteral("push\n") : QStringLiteral("pull\n")) + root + QLatin1Char('\n') + name;
}

bool RemoteActions::isRunning(Kind kind, const QString &name) const
{
    return m_session->isOpen() && m_running.contains(key(kind, m_session->root(), name));
}

bool RemoteActions::isPushingTo(const QString &remote) const
{
    const QString prefix = QStringLiteral("push\n") + m_session->root() + QLatin1Char('\n');
    for (auto it = m_running.begin(); it != m_running.end(); ++it)
        if (it.key().startsWith(prefix) && it.value() == remote)
            return true;
    return false;
}

void RemoteActions::ended(const QString &k, const QString &root, const QString &remote, bool push)
{
    m_running.remove(k);
    Q_EMIT runningChanged();
    if (push)
        Q_EMIT pushEnded(root, remote);
}

void RemoteActions::push(const Remote &remote, const QString &profile, const QStringList &names)
{
    if (!m_session->isOpen())
        return;
    for (const QString &name : names)
        runTransfer(Kind::Push, remote, profile, name, [remote, name](RemoteStore &store, WeightManager &manager, JobContext &job) -> Result<QString> {
            auto pushed = store.push(manager, name, &job);
            if (!pushed)
                return pushed.error();
            QString text = QObject::tr("Pushed %1 to %2: %3 sent").arg(name, remote.name, sizeText(pushed->uploadedBytes));
            if (pushed->skippedBytes)
                text += QObject::tr(", %1 the remote held already").arg(sizeText(pushed->skippedBytes));
            if (pushed->resumedBytes)
                text += QObject::tr(", %1 from an interrupted push").arg(sizeText(pushed->resumedBytes));
            return text;
        });
    Q_EMIT runningChanged();
}

void RemoteActions::pull(const Remote &remote, const QString &profile, const QStringList &names, bool activate)
{
    if (!m_session->isOpen())
        return;
    const bool alone = names.size() == 1;
    for (const QString &name : names)
        runTransfer(
                Kind::Pull, remote, profile, name,
                [remote, name, activate](RemoteStore &store, WeightManager &manager, JobContext &job) -> Result<QString> {
                    auto pulled = store.pull(manager, name, activate, &job);
                    if (!pulled)
                        return pulled.error();
                    const QString size = sizeText(pulled->size);
                    return activate ? QObject::tr("Pulled %1 from %2 (%3, SHA-256 verified) and made it active").arg(name, remote.name, size)
                                    : QObject::tr("Pulled %1 from %2 (%3, SHA-256 verified)").arg(name, remote.name, size);
                },
                [this, name, alone] {
                    // Every byte was hashed against the manifest on the way in. Only in the
                    // workspace it was pulled into: another one may hold the same name.
                    m_session->setChecksumState(name, ChecksumState::Verified);
                    if (alone)
                        Q_EMIT weightPulled(name);
                });
    Q_EMIT runningChanged();
}

void RemoteActions::runTransfer(Kind kind, const Remote &remote, const QString &profile, const QString &name, Transfer transfer,
                                std::function<void()> landedHere)
{
    const QString root = m_session->root();
    const QString k = key(kind, root, name);
    if (m_running.contains(k))
        return;
    m_running.insert(k, remote.name);
    const Workspace ws = m_session->manager()->workspace();
    const bool push = kind == Kind::Push;
    const QString failed = (push ? tr("Could not push %1 to %2") : tr("Could not pull %1 from %2")).arg(name, remote.name);
    m_jobs->run(
            (push ? tr("Pushing %1 to %2") : tr("Pulling %1 from %2")).arg(name, remote.name),
            [ws, remote, profile, failed, transfer](JobContext &job) {
                auto credentials = S3Credentials::load(profile);
                if (!credentials)
                    return Outcome{false, failed, errorText(credentials.error())};
                WeightManager manager(ws);
                manager.setJobContext(&job);
                RemoteStore store(remote, *credentials);
                auto done = transfer(store, manager, job);
                if (!done)
                    return Outcome{false, failed, errorText(done.error())};
                return Outcome{true, *done, {}};
            },
            this,
            [this, k, root, remote, push, landedHere](const Outcome &outcome) {
                const bool here = m_session->isOpen() && m_session->root() == root;
                Q_EMIT statusMessage(here || !outcome.ok ? outcome.summary : tr("%1 (from %2)").arg(outcome.summary, root));
                if (!outcome.ok) {
                    reportFailure(outcome.summary, outcome.detail);
                } else if (here && !push) {
                    m_session->reload();
                    if (landedHere)
                        landedHere();
                }
                ended(k, root, remote.name, push);
            },
            [this, k, root, remote, push] {
                // A pull cancelled after the import's commit has registered the weight: show
                // it. A push cancelled after its manifest was written has changed the remote:
                // the page lists it again either way.
                if (!push && m_session->isOpen() && m_session->root() == root)
                    m_session->reload();
                ended(k, root, remote.name, push);
            });
}

void RemoteActions::reportFailure(const QString &summary, const QString &detail)
{
    m_failures << summary + QStringLiteral(": ") + detail;
    if (!m_failureBox) {
        m_failureBox = new QMessageBox(QMessageBox::Warning, tr("Push and Pull"), QString(), QMessageBox::Ok, m_window);
        m_failureBox->setAttribute(Qt::WA_DeleteOnClose);
        // Server messages and manifest names are not ours: never rendered as rich text.
        m_failureBox->setTextFormat(Qt::PlainText);
        m_failureBox->setObjectName(QStringLiteral("remoteFailures"));
        connect(m_failureBox, &QObject::destroyed, this, [this] { m_failures.clear(); });
        m_failureBox->open();
    }
    // All in the plain text: the informative text's label would take rich text.
    const QString header = m_failures.size() == 1 ? summary : tr("%n push(es) or pull(s) failed", nullptr, int(m_failures.size()));
    m_failureBox->setText(header + QStringLiteral("\n\n") + m_failures.mid(std::max<qsizetype>(0, m_failures.size() - 8)).join(QStringLiteral("\n\n")));
    if (m_failures.size() > 8)
        m_failureBox->setDetailedText(m_failures.join(QLatin1Char('\n')));
}

} // namespace tantra
