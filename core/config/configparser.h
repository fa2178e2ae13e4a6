#pragma once

#include "modelconfig.h"

#include <QByteArray>
#include <QString>
#include <QVariant>

#include <variant>

namespace tantra {

// Reads a model-type config (docs/CONFIG.md) from YAML text: checks every section's keys and
// value types, evaluates `derived`, compiles and expands the shape rules, and on the first
// problem returns where it is (1-based line and column from yaml-cpp's marks) and what it is,
// naming the key. yaml-cpp's exceptions end here.
class ConfigParser
{
public:
    // `filePath` is used in messages as given, and its base name must equal model_type when it
    // ends in ".yaml".
    static std::variant<ModelConfig, ConfigError> parse(const QByteArray &yaml, const QString &filePath);
};

// How a plain (unquoted) YAML scalar reads under YAML 1.2's core schema: null, bool, 64-bit
// integer (decimal, 0x, 0o), double (with .inf/.nan) or text. The config editor writes values
// back with the same rules, so what it writes is read as it was meant.
QVariant resolvePlainScalar(const QString &text);

} // namespace tantra
