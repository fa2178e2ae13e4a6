#pragma once

#include "registry.h"
#include "weightmanager.h"

#include <QFileSystemWatcher>
#include <QHash>
#include <QObject>
#include <QTimer>

#include <memory>
#include <optional>

namespace tantra {

// What a checksum check last found for a weight in this session.
enum class ChecksumState { NotChecked, Verified, Changed, Missing };

// The open workspace as the GUI sees it: the WeightManager, the latest registry snapshot and
// the model types. Watches the registry, the weights folder and the configs, so changes made
// by the CLI or a training script show up within a second (debounced re-read; the registry
// is only ever replaced whole, so reading it needs no lock).
class WorkspaceSession : public QObject
{
    Q_OBJECT
public:
    explicit WorkspaceSession(QObject *parent = nullptr);

    // Opens `root` (which must hold a workspace layout). Returns an error naming the folder.
    Status open(const QString &root);
    void close();
    bool isOpen() const { return m_manager != nullptr; }

    WeightManager *manager() const { return m_manager.get(); }
    QString root() const;
    const RegistryData &registry() const { return m_registry; }
    // Nothing when the registry parsed; else why not (the page shows it in a banner).
    const std::optional<Error> &registryError() const { return m_registryError; }
    // Types with a config or with weights, sorted.
    QStringList modelTypes() const;

    ChecksumState checksumState(const QString &weight) const;
    void setChecksumState(const QString &weight, ChecksumState state);

public Q_SLOTS:
    // Re-reads the registry and configs now and emits changed().
    void reload();

Q_SIGNALS:
    void changed();
    void opened(const QString &root);

private:
    void scheduleReload();
    void rewatch();

    std::unique_ptr<WeightManager> m_manager;
    RegistryData m_registry;
    std::optional<Error> m_registryError;
    QStringList m_types;
    QHash<QString, ChecksumState> m_checksums;
    QFileSystemWatcher m_watcher;
    QTimer m_debounce;
};

} // namespace tantra
