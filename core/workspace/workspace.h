#pragma once

#include "result.h"

#include <QString>

namespace tantra {

// The folder layout shared with the team's Python tooling:
//   Model/weights/        <type>_<version>.safetensors, or a folder <type>_<version>/ for shards
//   Model/backups/        backup archives
//   Model/checkpoints/    training checkpoints (listed, never touched)
//   Model/weight_config.json   the registry
//   Config/<type>.yaml    one config per model type
class Workspace
{
public:
    Workspace() = default;
    explicit Workspace(const QString &root);

    // The root from --root, else $TANTRA_ROOT, else the current folder.
    static QString resolveRoot(const QString &explicitRoot);

    const QString &root() const { return m_root; }
    QString modelDir() const;
    QString weightsDir() const;
    QString backupsDir() const;
    QString checkpointsDir() const;
    QString registryPath() const;
    QString configDir() const;

    // Creates the folders; existing ones are left alone.
    Status createLayout() const;
    // True when the layout exists (the registry file may not, on a fresh workspace).
    bool hasLayout() const;

    QString absolutePath(const QString &relative) const;
    QString relativePath(const QString &absolute) const;
    // Refuses paths that leave the workspace, also through a symlink.
    Status checkInside(const QString &absolute) const;

private:
    QString m_root;
};

// Names of model types and versions end up in file names: letters, digits, '_', '-', '.', '+',
// not starting with '.', no "..", at most `maxLength` characters. `what` is "model type",
// "version" or "weight name" (which joins the two, so takes kMaxWeightName).
Status validateName(const QString &name, const QString &what, int maxLength = 100);
inline constexpr int kMaxWeightName = 201;

// "<type>_<version>", the weight's name and the stem of its file.
QString weightName(const QString &type, const QString &version);

} // namespace tantra
