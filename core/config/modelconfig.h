#pragma once

#include <QMap>
#include <QString>
#include <QStringList>
#include <QVariant>
#include <QVariantMap>

#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace tantra {

// One shape rule of a config's `tensors:` list (docs/CONFIG.md has the schema). Expressions
// stay text here; ShapeValidator compiles them.
struct ShapeRule
{
    QString pattern;   // tensor name, with placeholders: backbone.layers.{i}.mixer.D
    QStringList shape; // one expression per dimension
    QStringList dtypes; // allowed dtype names; the first is the one sample weights use
    bool optional = false;
    QString tiedTo;      // this tensor may be absent because it shares that one's weights
    QStringList aliases; // other names accepted for the same tensor (same placeholders)
    // Placeholder → count expression, in file order: {i} takes 0 … count-1. The first
    // placeholder varies slowest when the rule is expanded.
    std::vector<std::pair<QString, QString>> repeat;
    QString when; // condition over the placeholders; the instance exists where it is non-zero
    QString init; // how sample weights fill it: normal (default), normal(σ), small, ones, zeros, a_log, dt_bias
    int line = 0; // 1-based line of the rule in the YAML, 0 when built in code
};

// Where and why a config is invalid, for the GUI editor to mark. `line` and `column` are
// 1-based, 0 when unknown; `key` is the path of the offending key ("architecture.d_model",
// "tensors[3].shape[1]"), empty for YAML syntax errors.
struct ConfigError
{
    QString file;
    int line = 0;
    int column = 0;
    QString key;
    QString message;

    // "Config/mamba.yaml:12:5: architecture.d_model must be a positive integer, not 'abc'"
    QString text() const;
};

// A parsed model-type config. Sections are QVariantMaps (values QString, qint64, double,
// bool, QVariantList, QVariantMap; a null value is an invalid QVariant), which sort their
// keys; the file's order of keys is kept in `keyOrder` for anyone who shows them, and the
// raw text in `yaml` for anyone who edits them.
struct ModelConfig
{
    QString type;
    QString filePath;
    QString description;
    QVariantMap architecture;
    QVariantMap training;
    QVariantMap serve;
    QVariantMap paths;
    QVariantMap extra;
    // Section name ("architecture", "derived", "training", "serve", "paths", "extra") → its
    // keys in file order.
    QMap<QString, QStringList> keyOrder;
    std::vector<std::pair<QString, QString>> derivedExpressions; // name → expression, file order
    std::map<QString, qint64> derived;                          // their values
    std::vector<ShapeRule> tensors;
    QString yaml;

    // The value a shape expression sees for `name`: an architecture value that is a positive
    // integer, or a derived value.
    std::optional<qint64> dimension(const QString &name) const;
};

// The dtypes a rule allows when it names none.
QStringList defaultRuleDtypes();

// An architecture value usable in expressions: a positive integer.
std::optional<qint64> positiveInteger(const QVariant &value);

// Model type names become file names: letters, digits, '_', '.', '-', not starting with '.'
// or '-', no "..", at most 64 characters.
bool isValidModelTypeName(const QString &type);

} // namespace tantra
