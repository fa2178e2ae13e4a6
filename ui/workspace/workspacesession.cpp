#include "workspacesession.h"

#include <QDir>
#include <QFileInfo>

namespace tantra {

WorkspaceSession::WorkspaceSession(QObject *parent) : QObject(parent)
{
    // Writers replace files by rename and may touch several in a burst; one re-read after the
    // burst is enough, and 250 ms keeps us well inside the one-second promise.
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(250);
    connect(&m_debounce, &QTimer::timeout, this, &WorkspaceSession::reload);
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &WorkspaceSession::scheduleReload);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, &WorkspaceSession::scheduleReload);
}

Status WorkspaceSession::open(const QString &root)
{
    const Workspace ws(root);
    if (!QFileInfo(ws.root()).isDir())
        return makeError(ws.root(), QStringLiteral("no such folder"));
    if (!ws.hasLayout())
        return makeError(ws.root(), QStringLiteral("not a Tantra workspace (no Model/weights and Config folders)"));
    m_manager = std::make_unique<WeightManager>(ws);
    m_checksums.clear();
    reload();
    Q_EMIT opened(ws.root());
    return {};
}

void WorkspaceSession::close()
{
    m_manager.reset();
    m_registry = {};
    m_types.clear();
    m_checksums.clear();
    const QStringList watched = m_watcher.files() + m_watcher.directories();
    if (!watched.isEmpty())
        m_watcher.removePaths(watched);
    Q_EMIT changed();
}

QString WorkspaceSession::root() const
{
    return m_manager ? m_manager->workspace().root() : QString();
}

QStringList WorkspaceSession::modelTypes() const
{
    return m_types;
}

ChecksumState WorkspaceSession::checksumState(const QString &weight) const
{
    return m_checksums.value(weight, ChecksumState::NotChecked);
}

void WorkspaceSession::setChecksumState(const QString &weight, ChecksumState state)
{
    m_checksums.insert(weight, state);
}

void WorkspaceSession::scheduleReload()
{
    m_debounce.start();
}

void WorkspaceSession::rewatch()
{
    // A file replaced by rename drops out of the watcher: add the paths again each time.
    const Workspace &ws = m_manager->workspace();
    QStringList paths{ws.modelDir(), ws.weightsDir(), ws.configDir()};
    if (QFileInfo::exists(ws.registryPath()))
        paths << ws.registryPath();
    // A config saved in place (cp, an editor that does not write by rename) changes no folder:
    // watch each file too, so a weight's verdict shows as outdated as soon as its config changes.
    for (const QFileInfo &config : QDir(ws.configDir()).entryInfoList({QStringLiteral("*.yaml")}, QDir::Files))
        paths << config.absoluteFilePath();
    const QStringList watched = m_watcher.files() + m_watcher.directories();
    for (const QString &p : paths) {
        if (!watched.contains(p))
            m_watcher.addPath(p);
    }
}

void WorkspaceSession::reload()
{
    if (!m_manager)
        return;
    auto data = m_manager->snapshot();
    if (data) {
        m_registry = std::move(data).value();
        m_registryError.reset();
    } else {
        // Keep showing the last good snapshot, and say why it is stale.
        m_registryError = data.error();
    }
    QStringList types = m_manager->configs().modelTypes();
    for (const auto &[name, w] : m_registry.weights) {
        if (!types.contains(w.modelType))
            types << w.modelType;
    }
    types.sort();
    m_types = types;
    rewatch();
    Q_EMIT changed();
}

} // namespace tantra
