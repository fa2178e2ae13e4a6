#include "configmanager.h"

#include "configfromtensors.h"
#include "configparser.h"
#include "regularfile.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>

#include <yaml-cpp/yaml.h>

#include <optional>

namespace tantra {

namespace {

const char *const kOverrideSections[] = {"architecture", "derived", "training", "serve", "paths", "extra"};

QString quoted(const QString &text)
{
    return QLatin1Char('\'') + text + QLatin1Char('\'');
}

QString invalidNameMessage(const QString &type)
{
    return QStringLiteral("invalid model type name %1: use letters, digits, '_', '.' and '-' (at most 64, not starting with '.' or '-', no '..')")
        .arg(quoted(type));
}

Status writeAtomically(const QString &path, const QByteArray &bytes)
{
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return makeError(path, QStringLiteral("cannot create the folder %1").arg(info.absolutePath()));
    // Unbuffered: Qt 6.4's QSaveFile::commit() ignores a failed flush of its buffer, which on
    // a full disk renamed a truncated config into place.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Unbuffered))
        return makeError(path, QStringLiteral("cannot write: ") + file.errorString());
    if (file.write(bytes) != bytes.size() || !file.commit())
        return makeError(path, QStringLiteral("cannot write: ") + file.errorString());
    return {};
}

struct Override
{
    QString section; // empty for a top-level scalar (description)
    QString key;
    QString value;
};

Result<Override> parseOverride(const QString &text)
{
    const qsizetype eq = text.indexOf(QLatin1Char('='));
    if (eq <= 0)
        return makeError(QStringLiteral("override %1 must be key=value or section.key=value").arg(quoted(text)));
    const QString lhs = text.left(eq).trimmed();
    Override o;
    o.value = text.mid(eq + 1).trimmed();
    QStringList sections;
    for (const char *s : kOverrideSections)
        sections << QLatin1String(s);
    const qsizetype dot = lhs.indexOf(QLatin1Char('.'));
    if (dot < 0) {
        if (lhs == QLatin1String("model_type"))
            return makeError(QStringLiteral("override %1: model_type is the new type's name and cannot be overridden").arg(quoted(text)));
        if (lhs == QLatin1String("description")) {
            o.key = lhs;
            return o;
        }
        if (sections.contains(lhs) || lhs == QLatin1String("tensors"))
            return makeError(QStringLiteral("override %1: %2 is a section; name a key in it, as in %2.name=value").arg(quoted(text), lhs));
        o.section = QStringLiteral("architecture");
        o.key = lhs;
    } else {
        o.section = lhs.left(dot);
        o.key = lhs.mid(dot + 1);
        if (o.section == QLatin1String("tensors"))
            return makeError(QStringLiteral("override %1: shape rules cannot be overridden; edit the tensors section of the YAML").arg(quoted(text)));
        if (!sections.contains(o.section))
            return makeError(QStringLiteral("override %1: unknown section %2 (sections: %3)")
                                 .arg(quoted(text), quoted(o.section), sections.join(QStringLiteral(", "))));
        if (o.key.isEmpty())
            return makeError(QStringLiteral("override %1 names no key").arg(quoted(text)));
        if (o.key.contains(QLatin1Char('.')))
            return makeError(QStringLiteral("override %1: only one level of keys can be set; edit the YAML for nested settings").arg(quoted(text)));
    }
    return o;
}

// The value as YAML text: plain when YAML reads it back as the same text, quoted otherwise.
QString yamlScalar(const QString &value)
{
    YAML::Emitter out;
    out << value.toStdString();
    return QString::fromStdString(out.c_str());
}

int indentOf(const QString &line)
{
    int n = 0;
    while (n < line.size() && (line.at(n) == QLatin1Char(' ') || line.at(n) == QLatin1Char('\t')))
        ++n;
    return n;
}

bool isBlankOrComment(const QString &line)
{
    const QString t = line.trimmed();
    return t.isEmpty() || t.startsWith(QLatin1Char('#'));
}

// Where the comment starts in `line` after `from` (a '#' after whitespace, outside quotes), or -1.
qsizetype commentStart(const QString &line, qsizetype from)
{
    QChar quote;
    for (qsizetype i = from; i < line.size(); ++i) {
        const QChar c = line.at(i);
        if (!quote.isNull()) {
            if (c == quote)
                quote = QChar();
        } else if (c == QLatin1Char('"') || c == QLatin1Char('\'')) {
            quote = c;
        } else if (c == QLatin1Char('#') && (i == from || line.at(i - 1).isSpace())) {
            return i;
        }
    }
    return -1;
}

QRegularExpression keyLine(int indent, const QString &key)
{
    return QRegularExpression(QStringLiteral("^[ ]{%1}%2[ \\t]*:(?=[ \\t]|$)").arg(indent).arg(QRegularExpression::escape(key)));
}

// Replaces the value of the key on `lines[index]` (whose "key:" part `match` ends), removing
// the more-indented lines of a block value, and keeping a trailing comment.
void replaceValue(QStringList &lines, qsizetype index, qsizetype valueStart, int indent, const QString &value)
{
    const QString line = lines[index];
    const qsizetype comment = commentStart(line, valueStart);
    QString out = line.left(valueStart) + QLatin1Char(' ') + value;
    if (comment >= 0) {
        out += out.size() < comment ? QString(comment - out.size(), QLatin1Char(' ')) : QStringLiteral("  ");
        out += line.mid(comment);
    }
    lines[index] = out;
    qsizetype last = index;
    for (qsizetype j = index + 1; j < lines.size(); ++j) {
        if (lines[j].trimmed().isEmpty())
            continue;
        if (indentOf(lines[j]) <= indent)
            break;
        last = j;
    }
    for (qsizetype j = last; j > index; --j)
        lines.removeAt(j);
}

// Text edits keep the comments that a YAML emitter would drop; they cover block-style files,
// and the caller checks the result, falling back to the emitter for anything else.
std::optional<QString> editText(const QString &text, const Override &o)
{
    QStringList lines = text.split(QLatin1Char('\n'));
    const QString value = yamlScalar(o.value);
    if (o.section.isEmpty()) {
        const QRegularExpression re = keyLine(0, o.key);
        for (qsizetype i = 0; i < lines.size(); ++i) {
            const auto m = re.match(lines[i]);
            if (m.hasMatch()) {
                replaceValue(lines, i, m.capturedEnd(), 0, value);
                return lines.join(QLatin1Char('\n'));
            }
        }
        // Absent: put it after the comments that open the file.
        qsizetype at = 0;
        while (at < lines.size() && lines[at].trimmed().startsWith(QLatin1Char('#')))
            ++at;
        lines.insert(at, o.key + QStringLiteral(": ") + value);
        return lines.join(QLatin1Char('\n'));
    }

    const QRegularExpression sectionRe = keyLine(0, o.section);
    qsizetype start = -1;
    for (qsizetype i = 0; i < lines.size() && start < 0; ++i) {
        const auto m = sectionRe.match(lines[i]);
        if (m.hasMatch()) {
            const qsizetype comment = commentStart(lines[i], m.capturedEnd());
            const QString rest = lines[i].mid(m.capturedEnd(), comment < 0 ? -1 : comment - m.capturedEnd()).trimmed();
            if (!rest.isEmpty())
                return std::nullopt; // flow style or a scalar: leave it to the emitter
            start = i;
        }
    }
    if (start < 0) {
        while (!lines.isEmpty() && lines.last().trimmed().isEmpty())
            lines.removeLast();
        lines << o.section + QLatin1Char(':') << QStringLiteral("  ") + o.key + QStringLiteral(": ") + value << QString();
        return lines.join(QLatin1Char('\n'));
    }
    qsizetype end = start + 1; // one past the section's last line
    int childIndent = -1;
    qsizetype lastContent = start;
    for (; end < lines.size(); ++end) {
        const QString &line = lines[end];
        if (isBlankOrComment(line))
            continue;
        const int indent = indentOf(line);
        if (indent == 0)
            break;
        if (childIndent < 0)
            childIndent = indent;
        lastContent = end;
    }
    if (childIndent < 0)
        childIndent = 2;
    const QRegularExpression re = keyLine(childIndent, o.key);
    for (qsizetype i = start + 1; i <= lastContent; ++i) {
        const auto m = re.match(lines[i]);
        if (m.hasMatch()) {
            replaceValue(lines, i, m.capturedEnd(), childIndent, value);
            return lines.join(QLatin1Char('\n'));
        }
    }
    lines.insert(lastContent + 1, QString(childIndent, QLatin1Char(' ')) + o.key + QStringLiteral(": ") + value);
    return lines.join(QLatin1Char('\n'));
}

bool holdsValue(const QString &text, const Override &o)
{
    try {
        const YAML::Node root = YAML::Load(text.toStdString());
        if (!root.IsMap())
            return false;
        const std::string key = o.key.toStdString();
        YAML::Node node;
        if (o.section.isEmpty()) {
            node = root[key];
        } else {
            const YAML::Node section = root[o.section.toStdString()];
            if (!section.IsDefined() || !section.IsMap())
                return false;
            node = section[key];
        }
        return node.IsDefined() && node.IsScalar() && node.Scalar() == o.value.toStdString();
    } catch (const YAML::Exception &) {
        return false;
    }
}

std::optional<QString> editWithEmitter(const QString &text, const Override &o)
{
    try {
        YAML::Node root = YAML::Load(text.toStdString());
        if (o.section.isEmpty())
            root[o.key.toStdString()] = o.value.toStdString();
        else
            root[o.section.toStdString()][o.key.toStdString()] = o.value.toStdString();
        YAML::Emitter out;
        out << root;
        return QString::fromStdString(out.c_str()) + QLatin1Char('\n');
    } catch (const YAML::Exception &) {
        return std::nullopt;
    }
}

Result<QString> applyOverride(const QString &text, const Override &o)
{
    if (auto edited = editText(text, o); edited && holdsValue(*edited, o))
        return *edited;
    if (auto emitted = editWithEmitter(text, o); emitted && holdsValue(*emitted, o))
        return *emitted;
    return makeError(QStringLiteral("cannot set %1 in the YAML text").arg(o.section.isEmpty() ? o.key : o.section + QLatin1Char('.') + o.key));
}

} // namespace

ConfigManager::ConfigManager(QString configDir) : m_dir(std::move(configDir)) {}

QString ConfigManager::configPath(const QString &type) const
{
    return QDir(m_dir).filePath(type + QStringLiteral(".yaml"));
}

QStringList ConfigManager::modelTypes() const
{
    QStringList types;
    const QStringList files = QDir(m_dir).entryList({QStringLiteral("*.yaml")}, QDir::Files | QDir::Readable, QDir::Name);
    for (const QString &file : files) {
        const QString type = file.chopped(5);
        if (isValidModelTypeName(type))
            types << type;
    }
    types.sort();
    return types;
}

bool ConfigManager::hasType(const QString &type) const
{
    return isValidModelTypeName(type) && QFileInfo(configPath(type)).isFile();
}

Result<ModelConfig> ConfigManager::getConfig(const QString &type) const
{
    auto config = readConfig(type);
    if (!config)
        return withKind(config.error(), ErrorKind::Config);
    return config;
}

Result<ModelConfig> ConfigManager::readConfig(const QString &type) const
{
    if (!isValidModelTypeName(type))
        return makeError(invalidNameMessage(type));
    const QString path = configPath(type);
    if (!QFileInfo::exists(path)) {
        const QStringList known = modelTypes();
        return makeError(QStringLiteral("unknown model type %1 (no %2; %3)")
                             .arg(quoted(type), path,
                                  known.isEmpty() ? QStringLiteral("no types are configured")
                                                  : QStringLiteral("known types: ") + known.join(QStringLiteral(", "))));
    }
    QFile file;
    if (auto opened = openRegularFile(file, path); !opened)
        return opened.error();
    const QByteArray text = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return makeError(path, QStringLiteral("cannot read: ") + file.errorString());
    return parseConfig(text, path);
}

std::vector<ModelConfig> ConfigManager::loadAll(QStringList *errors) const
{
    std::vector<ModelConfig> configs;
    for (const QString &type : modelTypes()) {
        auto config = getConfig(type);
        if (config)
            configs.push_back(std::move(config).value());
        else if (errors)
            *errors << config.errorString();
    }
    return configs;
}

Result<QVariantMap> ConfigManager::getPaths(const QString &type) const
{
    auto config = getConfig(type);
    if (!config)
        return config.error();
    return config->paths;
}

Result<QVariantMap> ConfigManager::getTrainingConfig(const QString &type) const
{
    auto config = getConfig(type);
    if (!config)
        return config.error();
    return config->training;
}

Result<QVariantMap> ConfigManager::getServeConfig(const QString &type) const
{
    auto config = getConfig(type);
    if (!config)
        return config.error();
    return config->serve;
}

Result<ModelConfig> ConfigManager::createModelConfig(const QString &type, const QString &fromType, const QStringList &overrides)
{
    if (!isValidModelTypeName(type))
        return makeError(invalidNameMessage(type));
    const QString path = configPath(type);
    if (QFileInfo::exists(path))
        return makeError(QStringLiteral("model type %1 already exists (%2)").arg(quoted(type), path));

    QString text;
    QVariantMap architecture;
    QString source;
    if (fromType.isEmpty()) {
        text = QString::fromUtf8(minimalTemplate(type));
        auto base = parseConfig(text.toUtf8(), path);
        if (!base)
            return base.error();
        architecture = base->architecture;
        source = QStringLiteral("the minimal template");
    } else {
        auto base = getConfig(fromType);
        if (!base)
            return base.error();
        text = base->yaml;
        // A byte-order mark would hide the first key from the line edits below.
        if (text.startsWith(QChar(0xFEFF)))
            text.remove(0, 1);
        architecture = base->architecture;
        source = base->filePath;
        auto renamed = applyOverride(text, Override{QString(), QStringLiteral("model_type"), type});
        if (!renamed)
            return makeError(source, renamed.errorString());
        text = *renamed;
    }

    for (const QString &spec : overrides) {
        auto o = parseOverride(spec);
        if (!o)
            return o.error();
        if (o->section == QLatin1String("architecture") && !architecture.contains(o->key))
            return makeError(QStringLiteral("override %1: architecture has no key %2 in %3 (keys: %4); add new dimensions by editing the YAML")
                                 .arg(quoted(spec), quoted(o->key), source, architecture.keys().join(QStringLiteral(", "))));
        auto edited = applyOverride(text, *o);
        if (!edited)
            return makeError(QStringLiteral("override %1: %2").arg(quoted(spec), edited.errorString()));
        const auto parsed = parseConfigDetailed(edited->toUtf8(), path);
        if (const auto *error = std::get_if<ConfigError>(&parsed))
            return makeError(QStringLiteral("override %1: %2").arg(quoted(spec), error->text()));
        text = *edited;
    }

    const QByteArray bytes = text.toUtf8();
    auto config = parseConfig(bytes, path);
    if (!config)
        return config.error();
    if (QFileInfo::exists(path))
        return makeError(QStringLiteral("model type %1 already exists (%2)").arg(quoted(type), path));
    if (auto written = writeAtomically(path, bytes); !written)
        return written.error();
    return config;
}

Result<ModelConfig> ConfigManager::createModelConfigFromTensors(const QString &type, const std::vector<TensorShape> &tensors,
                                                               const QString &origin)
{
    if (!isValidModelTypeName(type))
        return makeError(invalidNameMessage(type));
    const QString path = configPath(type);
    if (QFileInfo::exists(path))
        return makeError(QStringLiteral("model type %1 already exists (%2)").arg(quoted(type), path));
    auto yaml = configFromTensors(type, tensors, origin);
    if (!yaml)
        return yaml.error();
    auto config = parseConfig(*yaml, path);
    if (!config)
        return config.error();
    // The point of the config is that the file fits it; a rule made wrong must not be written.
    if (const ShapeReport fit = validateShapes(*config, tensors); !fit.ok())
        return makeError(path, QStringLiteral("the config made from %1 does not accept it (%2); this is a bug").arg(origin, fit.findings()));
    if (auto written = writeAtomically(path, *yaml); !written)
        return written.error();
    return config;
}

Status ConfigManager::saveConfigText(const QString &type, const QByteArray &yaml)
{
    if (!isValidModelTypeName(type))
        return makeError(invalidNameMessage(type));
    const QString path = configPath(type);
    auto config = parseConfig(yaml, path);
    if (!config)
        return config.error();
    return writeAtomically(path, yaml);
}

Result<QStringList> ConfigManager::installDefaults(const QString &configDir)
{
    const QString source = defaultConfigDir();
    const ConfigManager shipped(source);
    const QStringList types = shipped.modelTypes();
    if (types.isEmpty())
        return makeError(QStringLiteral("no shipped configs found in %1; set TANTRA_DEFAULT_CONFIG_DIR to the folder holding mamba.yaml")
                             .arg(source.isEmpty() ? QStringLiteral("any known place") : source));
    const ConfigManager target(configDir);
    QStringList copied;
    for (const QString &type : types) {
        if (QFileInfo::exists(target.configPath(type)))
            continue;
        QFile file;
        if (auto opened = openRegularFile(file, shipped.configPath(type)); !opened)
            return opened.error();
        if (auto written = writeAtomically(target.configPath(type), file.readAll()); !written)
            return written.error();
        copied << type;
    }
    return copied;
}

Result<ModelConfig> ConfigManager::parseConfig(const QByteArray &yaml, const QString &filePath)
{
    auto parsed = ConfigParser::parse(yaml, filePath);
    if (auto *error = std::get_if<ConfigError>(&parsed))
        return makeError(error->text());
    return std::get<ModelConfig>(std::move(parsed));
}

std::variant<ModelConfig, ConfigError> ConfigManager::parseConfigDetailed(const QByteArray &yaml, const QString &filePath)
{
    return ConfigParser::parse(yaml, filePath);
}

QByteArray ConfigManager::minimalTemplate(const QString &type)
{
    // A plain stack of layers: a starting point that parses, to be edited into the real layout.
    return QStringLiteral(R"(# Model type %1: a minimal template. Edit the dimensions and shape rules
# to describe the model's tensors (see docs/CONFIG.md).
model_type: %1
description: A new model type

architecture:
  d_model: 256
  n_layer: 4
  vocab_size: 1024

tensors:
  - name: embedding.weight
    shape: [vocab_size, d_model]
  - name: layers.{i}.norm.weight
    repeat: {i: n_layer}
    shape: [d_model]
    init: ones
  - name: layers.{i}.proj.weight
    repeat: {i: n_layer}
    shape: [d_model, d_model]
  - name: norm.weight
    shape: [d_model]
    init: ones
  - name: lm_head.weight
    shape: [vocab_size, d_model]
    tied_to: embedding.weight

training:
serve:
paths:
extra:
)")
        .arg(type)
        .toUtf8();
}

QString ConfigManager::defaultConfigDir()
{
    const QString fromEnv = qEnvironmentVariable("TANTRA_DEFAULT_CONFIG_DIR");
    if (!fromEnv.isEmpty())
        return fromEnv;
    // Installed: <prefix>/bin/../share/...; the build tree copies Config/ into the same place
    // beside bin/, so no source path is compiled into the binaries.
    if (QCoreApplication::instance()) {
        const QString installed = QDir::cleanPath(QCoreApplication::applicationDirPath()
                                                  + QStringLiteral("/../share/tantra-weight-manager/Config"));
        if (QFileInfo(installed).isDir())
            return installed;
    }
    return QString();
}

} // namespace tantra
