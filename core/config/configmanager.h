#pragma once

#include "modelconfig.h"
#include "shapevalidator.h"
#include "result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <variant>
#include <vector>

namespace tantra {

// The model-type configs of a workspace: one Config/<type>.yaml per type (docs/CONFIG.md).
// Reads parse and validate the whole file each time, so an edit made outside the app is seen
// at once; writes are atomic (QSaveFile) and only ever store a config that parses.
class ConfigManager
{
public:
    explicit ConfigManager(QString configDir);

    QString configDir() const { return m_dir; }
    // <configDir>/<type>.yaml, the path used in messages.
    QString configPath(const QString &type) const;
    // Base names of the *.yaml files that are valid type names, sorted.
    QStringList modelTypes() const;
    bool hasType(const QString &type) const;

    // "unknown model type 'x' (no Config/x.yaml; known types: mamba, ocr_native)", or the
    // parse error with file, line and column.
    Result<ModelConfig> getConfig(const QString &type) const;
    // Every config that parses; the messages of those that do not go to `errors`.
    std::vector<ModelConfig> loadAll(QStringList *errors = nullptr) const;
    Result<QVariantMap> getPaths(const QString &type) const;
    Result<QVariantMap> getTrainingConfig(const QString &type) const;
    Result<QVariantMap> getServeConfig(const QString &type) const;

    // Writes Config/<type>.yaml as a copy of `fromType`'s file (comments kept), or of the
    // minimal template when `fromType` is empty, with model_type set and `overrides` applied.
    // An override is "section.key=value" (sections architecture, derived, training, serve,
    // paths, extra), "key=value" for architecture, or "description=text"; the value is read as
    // YAML reads a plain scalar (256 is a number, true a boolean). Architecture overrides must
    // name an existing key, so a typo does not add an unused dimension. Refuses an existing
    // type and invalid names; writes nothing unless the result parses.
    Result<ModelConfig> createModelConfig(const QString &type, const QString &fromType, const QStringList &overrides);
    // Writes Config/<type>.yaml with rules made from a weight's tensors (configFromTensors), for
    // a file that fits no config. Refuses an existing type and invalid names; writes nothing
    // unless the result parses and accepts every one of the tensors.
    Result<ModelConfig> createModelConfigFromTensors(const QString &type, const std::vector<TensorShape> &tensors,
                                                     const QString &origin);

    // For the GUI config editor: parses `yaml` as Config/<type>.yaml and, if valid, replaces
    // the file atomically (creating it when new).
    Status saveConfigText(const QString &type, const QByteArray &yaml);

    // Copies each shipped config (from defaultConfigDir()) that the folder lacks; returns the
    // types copied. Existing files are left as the user edited them.
    static Result<QStringList> installDefaults(const QString &configDir);

    static Result<ModelConfig> parseConfig(const QByteArray &yaml, const QString &filePath);
    static std::variant<ModelConfig, ConfigError> parseConfigDetailed(const QByteArray &yaml, const QString &filePath);

    // The text createModelConfig starts from when given no type to copy.
    static QByteArray minimalTemplate(const QString &type);

    // Where the shipped defaults are: $TANTRA_DEFAULT_CONFIG_DIR, else
    // <appdir>/../share/tantra-weight-manager/Config when it exists, else the source tree's
    // Config/ (for builds run in place).
    static QString defaultConfigDir();

private:
    Result<ModelConfig> readConfig(const QString &type) const; // getConfig, untagged

    QString m_dir;
};

} // namespace tantra
