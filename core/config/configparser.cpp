#include "configparser.h"

#include "samplegenerator.h"
#include "shapeexpression.h"
#include "shapevalidator.h"

#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>

#include <yaml-cpp/yaml.h>

#include <optional>

namespace tantra {

namespace {

const char *const kSections[] = {"model_type", "description", "architecture", "derived", "tensors",
                                 "training", "serve", "paths", "extra"};
const char *const kRuleKeys[] = {"name", "shape", "dtypes", "optional", "tied_to", "aliases", "repeat", "when", "init"};

QString quoted(const QString &text)
{
    return QLatin1Char('\'') + text + QLatin1Char('\'');
}

QString joinNames(const char *const *names, std::size_t count)
{
    QStringList out;
    for (std::size_t i = 0; i < count; ++i)
        out << QLatin1String(names[i]);
    return out.join(QStringLiteral(", "));
}

bool isIdentifier(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    return re.match(text).hasMatch();
}

QString scalarText(const YAML::Node &node)
{
    return QString::fromStdString(node.Scalar());
}

bool isQuoted(const YAML::Node &node)
{
    return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

// Plain scalars resolve as YAML 1.2's core schema does; quoted ones are always text.
QVariant scalarValue(const YAML::Node &node)
{
    const QString text = scalarText(node);
    if (isQuoted(node))
        return text;
    return resolvePlainScalar(text);
}

QString kindOf(const YAML::Node &node)
{
    switch (node.Type()) {
    case YAML::NodeType::Sequence: return QStringLiteral("a list");
    case YAML::NodeType::Map: return QStringLiteral("a mapping");
    case YAML::NodeType::Null: return QStringLiteral("empty");
    default: return quoted(scalarText(node));
    }
}

struct RuleMarks
{
    YAML::Mark rule;
    std::vector<YAML::Node> shape;
    std::vector<YAML::Node> repeat;
    std::vector<YAML::Node> aliases;
    std::vector<YAML::Node> dtypes;
    YAML::Node when;
    YAML::Node tiedTo;
    YAML::Node nameNode;
};

class Parser
{
public:
    Parser(const QByteArray &yaml, const QString &file) : m_raw(yaml), m_file(file) {}

    std::variant<ModelConfig, ConfigError> run()
    {
        std::vector<YAML::Node> documents;
        try {
            documents = YAML::LoadAll(m_raw.toStdString());
        } catch (const YAML::Exception &e) {
            return at(e.mark, QString(), QStringLiteral("invalid YAML: ") + QString::fromStdString(e.msg));
        }
        if (documents.empty() || documents.front().IsNull())
            return at(YAML::Mark::null_mark(), QString(),
                      QStringLiteral("the file is empty; a config needs model_type, architecture and tensors"));
        if (documents.size() > 1)
            return at(documents[1].Mark(), QString(),
                      QStringLiteral("a config holds one YAML document, and this file has %1 (separated by '---')").arg(documents.size()));
        const YAML::Node root = documents.front();
        if (!root.IsMap())
            return at(root.Mark(), QString(),
                      QStringLiteral("a config must be a mapping of sections (model_type, architecture, tensors, …), not %1").arg(kindOf(root)));

        m_config.yaml = QString::fromUtf8(m_raw);
        m_config.filePath = m_file;

        QHash<QString, std::pair<YAML::Node, YAML::Node>> sections;
        for (auto it = root.begin(); it != root.end(); ++it) {
            if (!it->first.IsScalar())
                return at(it->first.Mark(), QString(), QStringLiteral("section names must be text"));
            const QString name = scalarText(it->first);
            bool known = false;
            for (const char *s : kSections)
                known = known || name == QLatin1String(s);
            if (!known)
                return at(it->first.Mark(), name,
                          QStringLiteral("unknown section %1 (sections: %2)").arg(quoted(name), joinNames(kSections, std::size(kSections))));
            if (sections.contains(name))
                return at(it->first.Mark(), name,
                          QStringLiteral("%1 appears twice (first on line %2)").arg(name).arg(sections[name].first.Mark().line + 1));
            sections.insert(name, {it->first, it->second});
        }

        if (auto e = parseModelType(sections))
            return *e;
        if (auto e = parseDescription(sections))
            return *e;
        if (auto e = parseArchitecture(sections))
            return *e;
        if (auto e = parseDerived(sections))
            return *e;
        if (auto e = parseTensors(sections))
            return *e;
        for (const char *name : {"training", "serve", "paths", "extra"}) {
            if (auto e = parseFreeSection(sections, QLatin1String(name)))
                return *e;
        }
        if (auto e = checkRules())
            return *e;
        return std::move(m_config);
    }

private:
    ConfigError at(const YAML::Mark &mark, const QString &key, const QString &message, int extraColumns = 0) const
    {
        ConfigError error;
        error.file = m_file;
        if (!mark.is_null()) {
            error.line = mark.line + 1;
            error.column = mark.column + 1 + extraColumns;
        }
        error.key = key;
        error.message = message;
        return error;
    }

    // The mark of a value, or of its key when the value is empty: yaml-cpp marks an empty value
    // where the next token starts, often on the following line.
    static YAML::Mark valueMark(const YAML::Node &key, const YAML::Node &value)
    {
        return value.IsNull() ? key.Mark() : value.Mark();
    }

    // Columns to add to a scalar's mark so that a position inside its text lands on the right
    // character: one for an opening quote, and only when the text sits on the line as written.
    int columnsInto(const YAML::Node &node, int position) const
    {
        if (position < 0 || !node.IsDefined() || !node.IsScalar() || node.Mark().is_null())
            return 0;
        const QByteArray text = QByteArray::fromStdString(node.Scalar());
        if (text.contains('\n'))
            return 0;
        const qsizetype pos = node.Mark().pos;
        const int quote = (pos < m_raw.size() && (m_raw.at(pos) == '"' || m_raw.at(pos) == '\'')) ? 1 : 0;
        if (m_raw.mid(pos + quote, text.size()) != text)
            return 0;
        return quote + position;
    }

    std::optional<ConfigError> checkDuplicates(const YAML::Node &map, const QString &prefix) const
    {
        QHash<QString, int> seen;
        for (auto it = map.begin(); it != map.end(); ++it) {
            if (!it->first.IsScalar())
                return at(it->first.Mark(), prefix, QStringLiteral("%1: keys must be text, not %2").arg(prefix, kindOf(it->first)));
            const QString key = scalarText(it->first);
            if (seen.contains(key))
                return at(it->first.Mark(), prefix + QLatin1Char('.') + key,
                          QStringLiteral("%1.%2 appears twice (first on line %3)").arg(prefix, key).arg(seen.value(key)));
            seen.insert(key, it->first.Mark().line + 1);
        }
        return std::nullopt;
    }

    // yaml-cpp resolves an alias to the node it names, so the tree it hands over is a graph:
    // `a: &a [*a]` contains itself (the recursion below overflowed the stack), and ten
    // aliases of ten aliases of … turn a few kilobytes into billions of values (minutes and
    // gigabytes). The walk refuses a cycle, a depth and a total no hand-written config nears.
    static constexpr int kMaxDepth = 64;
    static constexpr int kMaxValues = 100000;
    struct Walk
    {
        std::vector<YAML::Node> open; // the containers being converted, outermost first
        int values = 0;
    };

    std::optional<ConfigError> toVariant(const YAML::Node &node, const QString &key, QVariant &out) const
    {
        Walk walk;
        return toVariant(node, key, out, walk);
    }

    std::optional<ConfigError> toVariant(const YAML::Node &node, const QString &key, QVariant &out, Walk &walk) const
    {
        if (++walk.values > kMaxValues)
            return at(node.Mark(), key,
                      QStringLiteral("%1: the section expands to more than %2 values through YAML aliases (*name); refusing it")
                          .arg(key)
                          .arg(kMaxValues));
        const bool container = node.Type() == YAML::NodeType::Sequence || node.Type() == YAML::NodeType::Map;
        if (container) {
            for (const YAML::Node &outer : walk.open) {
                if (outer.is(node))
                    return at(node.Mark(), key,
                              QStringLiteral("%1 contains itself through a YAML alias (*name inside the value its &name anchors); a config cannot be recursive")
                                  .arg(key));
            }
            if (int(walk.open.size()) >= kMaxDepth)
                return at(node.Mark(), key, QStringLiteral("%1 is nested more than %2 levels deep").arg(key).arg(kMaxDepth));
            walk.open.push_back(node);
        }
        const auto result = convert(node, key, out, walk);
        if (container)
            walk.open.pop_back();
        return result;
    }

    std::optional<ConfigError> convert(const YAML::Node &node, const QString &key, QVariant &out, Walk &walk) const
    {
        switch (node.Type()) {
        case YAML::NodeType::Scalar:
            out = scalarValue(node);
            return std::nullopt;
        case YAML::NodeType::Sequence: {
            QVariantList list;
            int k = 0;
            for (const YAML::Node &item : node) {
                QVariant v;
                if (auto e = toVariant(item, QStringLiteral("%1[%2]").arg(key).arg(k++), v, walk))
                    return e;
                list << v;
            }
            out = list;
            return std::nullopt;
        }
        case YAML::NodeType::Map: {
            if (auto e = checkDuplicates(node, key))
                return e;
            QVariantMap map;
            for (auto it = node.begin(); it != node.end(); ++it) {
                const QString name = scalarText(it->first);
                QVariant v;
                if (auto e = toVariant(it->second, key + QLatin1Char('.') + name, v, walk))
                    return e;
                map.insert(name, v);
            }
            out = map;
            return std::nullopt;
        }
        default:
            out = QVariant();
            return std::nullopt;
        }
    }

    std::optional<ConfigError> parseModelType(const QHash<QString, std::pair<YAML::Node, YAML::Node>> &sections)
    {
        const auto it = sections.constFind(QStringLiteral("model_type"));
        if (it == sections.constEnd())
            return at(YAML::Mark::null_mark(), QStringLiteral("model_type"),
                      QStringLiteral("model_type is missing; it names the type and must match the file name"));
        const YAML::Node &value = it->second;
        if (!value.IsScalar())
            return at(valueMark(it->first, value), QStringLiteral("model_type"),
                      QStringLiteral("model_type must be a name, not %1").arg(kindOf(value)));
        const QString type = scalarText(value);
        if (!isValidModelTypeName(type))
            return at(value.Mark(), QStringLiteral("model_type"),
                      QStringLiteral("model_type %1 is not a valid type name: use letters, digits, '_', '.' and '-'").arg(quoted(type)));
        const QFileInfo info(m_file);
        if (info.fileName().endsWith(QLatin1String(".yaml"))) {
            const QString base = info.fileName().chopped(5);
            if (base != type)
                return at(value.Mark(), QStringLiteral("model_type"),
                          QStringLiteral("model_type is %1 but the file is %2; they must match (rename the file or change model_type)")
                              .arg(quoted(type), info.fileName()));
        }
        m_config.type = type;
        return std::nullopt;
    }

    std::optional<ConfigError> parseDescription(const QHash<QString, std::pair<YAML::Node, YAML::Node>> &sections)
    {
        const auto it = sections.constFind(QStringLiteral("description"));
        if (it == sections.constEnd() || it->second.IsNull())
            return std::nullopt;
        if (!it->second.IsScalar())
            return at(it->second.Mark(), QStringLiteral("description"),
                      QStringLiteral("description must be text, not %1").arg(kindOf(it->second)));
        m_config.description = scalarText(it->second).trimmed();
        return std::nullopt;
    }

    std::optional<ConfigError> parseArchitecture(const QHash<QString, std::pair<YAML::Node, YAML::Node>> &sections)
    {
        const auto it = sections.constFind(QStringLiteral("architecture"));
        if (it == sections.constEnd())
            return at(YAML::Mark::null_mark(), QStringLiteral("architecture"),
                      QStringLiteral("architecture is missing; it holds the model's dimensions (d_model, n_layer, …)"));
        const YAML::Node &map = it->second;
        if (!map.IsMap())
            return at(valueMark(it->first, map), QStringLiteral("architecture"),
                      QStringLiteral("architecture must be a mapping of dimension names to values, not %1").arg(kindOf(map)));
        if (auto e = checkDuplicates(map, QStringLiteral("architecture")))
            return e;
        QStringList order;
        for (auto entry = map.begin(); entry != map.end(); ++entry) {
            const QString name = scalarText(entry->first);
            const QString key = QStringLiteral("architecture.") + name;
            if (!isIdentifier(name))
                return at(entry->first.Mark(), key,
                          QStringLiteral("%1: the name must be letters, digits and '_' (not starting with a digit) so that shape rules can use it")
                              .arg(key));
            const YAML::Node value = entry->second; // a copy: the iterator hands out temporaries
            if (value.IsNull())
                return at(valueMark(entry->first, value), key, QStringLiteral("%1 has no value").arg(key));
            if (!value.IsScalar())
                return at(value.Mark(), key,
                          QStringLiteral("%1 must be a single value (a number, true/false or text), not %2").arg(key, kindOf(value)));
            m_config.architecture.insert(name, scalarValue(value));
            m_archValues.insert(name, value);
            order << name;
        }
        m_config.keyOrder.insert(QStringLiteral("architecture"), order);
        return std::nullopt;
    }

    ConfigError notPositive(const QString &name) const
    {
        const QString key = QStringLiteral("architecture.") + name;
        const YAML::Node &value = m_archValues.value(name);
        return at(value.Mark(), key, QStringLiteral("%1 must be a positive integer, not %2").arg(key, kindOf(value)));
    }

    std::optional<ConfigError> parseDerived(const QHash<QString, std::pair<YAML::Node, YAML::Node>> &sections)
    {
        const auto it = sections.constFind(QStringLiteral("derived"));
        if (it == sections.constEnd() || it->second.IsNull())
            return std::nullopt;
        const YAML::Node &map = it->second;
        if (!map.IsMap())
            return at(map.Mark(), QStringLiteral("derived"),
                      QStringLiteral("derived must be a mapping of names to expressions, not %1").arg(kindOf(map)));
        if (auto e = checkDuplicates(map, QStringLiteral("derived")))
            return e;
        QStringList all;
        for (auto entry = map.begin(); entry != map.end(); ++entry)
            all << scalarText(entry->first);
        QStringList order;
        for (auto entry = map.begin(); entry != map.end(); ++entry) {
            const QString name = scalarText(entry->first);
            const QString key = QStringLiteral("derived.") + name;
            if (!isIdentifier(name))
                return at(entry->first.Mark(), key,
                          QStringLiteral("%1: the name must be letters, digits and '_' (not starting with a digit)").arg(key));
            if (m_config.architecture.contains(name))
                return at(entry->first.Mark(), key,
                          QStringLiteral("%1 has the name of an architecture value; give it another name").arg(key));
            const YAML::Node value = entry->second;
            if (!value.IsScalar())
                return at(valueMark(entry->first, value), key,
                          QStringLiteral("%1 must be an expression such as 'expand * d_model', not %2").arg(key, kindOf(value)));
            const QString text = scalarText(value);
            auto parsed = ShapeExpression::parseDetailed(text);
            if (auto *error = std::get_if<ExpressionError>(&parsed))
                return at(value.Mark(), key,
                          QStringLiteral("%1: %2 at position %3 in %4").arg(key, error->message).arg(error->position + 1).arg(quoted(text)),
                          columnsInto(value, error->position));
            const ShapeExpression &expr = std::get<ShapeExpression>(parsed);
            for (const QString &used : expr.names()) {
                if (m_config.derived.count(used) || positiveInteger(m_config.architecture.value(used)))
                    continue;
                if (m_config.architecture.contains(used))
                    return notPositive(used);
                const int extra = columnsInto(value, expr.positionOf(used));
                if (used == name)
                    return at(value.Mark(), key, QStringLiteral("%1 uses itself").arg(key), extra);
                if (all.contains(used))
                    return at(value.Mark(), key,
                              QStringLiteral("%1 uses %2, which is defined below it; derived values may only use those above them")
                                  .arg(key, quoted(used)),
                              extra);
                return at(value.Mark(), key,
                          QStringLiteral("%1: unknown name %2 in %3; it is not in architecture nor above in derived")
                              .arg(key, quoted(used), quoted(text)),
                          extra);
            }
            const auto result = expr.evaluate([this](const QString &n) { return m_config.dimension(n); });
            if (!result)
                return at(value.Mark(), key, QStringLiteral("%1: %2").arg(key, result.errorString()));
            m_config.derived[name] = *result;
            m_config.derivedExpressions.emplace_back(name, text);
            order << name;
        }
        m_config.keyOrder.insert(QStringLiteral("derived"), order);
        return std::nullopt;
    }

    // A list of texts; a single scalar counts as a list of one.
    std::optional<ConfigError> textList(const YAML::Node &keyNode, const YAML::Node &value, const QString &key,
                                        QStringList &out, std::vector<YAML::Node> &nodes) const
    {
        if (value.IsScalar()) {
            out << scalarText(value);
            nodes.push_back(value);
            return std::nullopt;
        }
        if (!value.IsSequence())
            return at(valueMark(keyNode, value), key, QStringLiteral("%1 must be a list, not %2").arg(key, kindOf(value)));
        int k = 0;
        for (const YAML::Node &item : value) {
            if (!item.IsScalar())
                return at(item.IsNull() ? value.Mark() : item.Mark(), QStringLiteral("%1[%2]").arg(key).arg(k),
                          QStringLiteral("%1[%2] must be a single value, not %3").arg(key).arg(k).arg(kindOf(item)));
            out << scalarText(item);
            nodes.push_back(item);
            ++k;
        }
        return std::nullopt;
    }

    std::optional<ConfigError> parseRule(int index, const YAML::Node &node)
    {
        const QString prefix = QStringLiteral("tensors[%1]").arg(index);
        ShapeRule rule;
        RuleMarks marks;
        marks.rule = node.Mark();
        rule.line = node.Mark().line + 1;
        if (!node.IsMap())
            return at(node.Mark(), prefix, QStringLiteral("%1 must be a mapping with name and shape, not %2").arg(prefix, kindOf(node)));
        if (auto e = checkDuplicates(node, prefix))
            return e;
        const YAML::Node nameNode = node["name"];
        const QString label = nameNode.IsDefined() && nameNode.IsScalar() ? QStringLiteral(" (%1)").arg(scalarText(nameNode)) : QString();

        bool hasShape = false;
        for (auto it = node.begin(); it != node.end(); ++it) {
            const QString field = scalarText(it->first);
            const QString key = prefix + QLatin1Char('.') + field;
            const QString where = prefix + label;
            const YAML::Node value = it->second;
            const YAML::Mark mark = valueMark(it->first, value);
            // "tensors[3].optional (lm_head.weight) must be true or false, not 'yes'"
            auto fail = [&](const QString &problem) { return at(mark, key, key + label + QLatin1Char(' ') + problem); };

            if (field == QLatin1String("name")) {
                if (!value.IsScalar() || scalarText(value).trimmed().isEmpty())
                    return fail(QStringLiteral("must be a tensor name pattern, not %1").arg(kindOf(value)));
                rule.pattern = scalarText(value).trimmed();
                marks.nameNode = value;
            } else if (field == QLatin1String("shape")) {
                hasShape = true;
                if (!value.IsSequence())
                    return fail(QStringLiteral("must be a list of expressions such as [d_inner, d_model], not %1").arg(kindOf(value)));
                int k = 0;
                for (const YAML::Node &dim : value) {
                    if (!dim.IsScalar())
                        return at(dim.IsNull() ? value.Mark() : dim.Mark(), QStringLiteral("%1[%2]").arg(key).arg(k),
                                  QStringLiteral("%1[%2]%3: each dimension must be an expression, not %4").arg(key).arg(k).arg(label, kindOf(dim)));
                    rule.shape << scalarText(dim);
                    marks.shape.push_back(dim);
                    ++k;
                }
            } else if (field == QLatin1String("dtypes")) {
                if (auto e = textList(it->first, value, key, rule.dtypes, marks.dtypes))
                    return e;
                if (rule.dtypes.isEmpty())
                    return fail(QStringLiteral("is empty; leave dtypes out to allow %1").arg(defaultRuleDtypes().join(QStringLiteral(", "))));
            } else if (field == QLatin1String("optional")) {
                const QVariant v = value.IsScalar() ? scalarValue(value) : QVariant();
                if (v.typeId() != QMetaType::Bool)
                    return fail(QStringLiteral("must be true or false, not %1").arg(kindOf(value)));
                rule.optional = v.toBool();
            } else if (field == QLatin1String("tied_to")) {
                if (!value.IsScalar())
                    return fail(QStringLiteral("must be a tensor name, not %1").arg(kindOf(value)));
                rule.tiedTo = scalarText(value).trimmed();
                marks.tiedTo = value;
            } else if (field == QLatin1String("aliases")) {
                if (auto e = textList(it->first, value, key, rule.aliases, marks.aliases))
                    return e;
            } else if (field == QLatin1String("repeat")) {
                if (!value.IsMap())
                    return fail(QStringLiteral("must map each placeholder to a count, as in {i: n_layer}, not %1").arg(kindOf(value)));
                if (auto e = checkDuplicates(value, key))
                    return e;
                for (auto r = value.begin(); r != value.end(); ++r) {
                    const QString placeholder = scalarText(r->first);
                    if (!r->second.IsScalar())
                        return at(valueMark(r->first, r->second), key + QLatin1Char('.') + placeholder,
                                  QStringLiteral("%1.%2%3: the count must be an expression such as n_layer, not %4")
                                      .arg(key, placeholder, label, kindOf(r->second)));
                    rule.repeat.emplace_back(placeholder, scalarText(r->second));
                    marks.repeat.push_back(r->second);
                }
            } else if (field == QLatin1String("when")) {
                if (!value.IsScalar())
                    return fail(QStringLiteral("must be a condition such as \"i % 2 == 1\", not %1").arg(kindOf(value)));
                rule.when = scalarText(value);
                marks.when = value;
            } else if (field == QLatin1String("init")) {
                if (!value.IsScalar())
                    return fail(QStringLiteral("must be a name such as normal or ones, not %1").arg(kindOf(value)));
                rule.init = scalarText(value).trimmed();
                const auto init = parseSampleInit(rule.init);
                if (!init)
                    return at(mark, key, key + label + QStringLiteral(": ") + init.errorString());
            } else {
                return at(it->first.Mark(), key,
                          QStringLiteral("%1: unknown key %2 (keys: %3)").arg(where, quoted(field), joinNames(kRuleKeys, std::size(kRuleKeys))));
            }
        }
        if (rule.pattern.isEmpty())
            return at(node.Mark(), prefix + QStringLiteral(".name"), QStringLiteral("%1 has no name").arg(prefix));
        if (!hasShape)
            return at(node.Mark(), prefix + QStringLiteral(".shape"),
                      QStringLiteral("%1 (%2) has no shape; write shape: [] for a scalar").arg(prefix, rule.pattern));
        if (rule.dtypes.isEmpty())
            rule.dtypes = defaultRuleDtypes();
        m_config.tensors.push_back(std::move(rule));
        m_marks.push_back(std::move(marks));
        return std::nullopt;
    }

    std::optional<ConfigError> parseTensors(const QHash<QString, std::pair<YAML::Node, YAML::Node>> &sections)
    {
        const auto it = sections.constFind(QStringLiteral("tensors"));
        if (it == sections.constEnd())
            return at(YAML::Mark::null_mark(), QStringLiteral("tensors"),
                      QStringLiteral("tensors is missing; it lists the shape rules (see docs/CONFIG.md)"));
        const YAML::Node &list = it->second;
        if (!list.IsSequence() || list.size() == 0)
            return at(valueMark(it->first, list), QStringLiteral("tensors"),
                      QStringLiteral("tensors must be a non-empty list of shape rules, not %1").arg(list.IsSequence() ? QStringLiteral("an empty list") : kindOf(list)));
        int index = 0;
        for (const YAML::Node &rule : list) {
            if (auto e = parseRule(index++, rule))
                return e;
        }
        return std::nullopt;
    }

    std::optional<ConfigError> parseFreeSection(const QHash<QString, std::pair<YAML::Node, YAML::Node>> &sections, const QString &name)
    {
        const auto it = sections.constFind(name);
        if (it == sections.constEnd() || it->second.IsNull())
            return std::nullopt;
        const YAML::Node &map = it->second;
        if (!map.IsMap())
            return at(map.Mark(), name, QStringLiteral("%1 must be a mapping of settings, not %2").arg(name, kindOf(map)));
        QVariant value;
        if (auto e = toVariant(map, name, value))
            return e;
        QStringList order;
        for (auto entry = map.begin(); entry != map.end(); ++entry) {
            const QString key = scalarText(entry->first);
            order << key;
            // Paths are read by code that joins them to the workspace: only text will do.
            if (name == QLatin1String("paths") && !(entry->second.IsScalar() && value.toMap().value(key).typeId() == QMetaType::QString))
                return at(valueMark(entry->first, entry->second), name + QLatin1Char('.') + key,
                          QStringLiteral("paths.%1 must be a path (text), not %2").arg(key, kindOf(entry->second)));
        }
        QVariantMap *target = name == QLatin1String("training") ? &m_config.training
            : name == QLatin1String("serve")                     ? &m_config.serve
            : name == QLatin1String("paths")                     ? &m_config.paths
                                                                 : &m_config.extra;
        *target = value.toMap();
        m_config.keyOrder.insert(name, order);
        return std::nullopt;
    }

    // Compiles and expands the rules, and turns a fault into an error at the node concerned.
    std::optional<ConfigError> checkRules() const
    {
        const ShapeValidator validator(m_config);
        if (!validator.fault())
            return std::nullopt;
        const RuleFault &f = *validator.fault();
        if (f.rule < 0) {
            const QString name = f.key.section(QLatin1Char('.'), 1);
            // Rebuilt from the YAML node, so the value is quoted as written (1.0e-5, not 1e-05).
            if (m_archValues.contains(name))
                return notPositive(name);
            return at(YAML::Mark::null_mark(), f.key, f.message);
        }
        const RuleMarks &marks = m_marks[std::size_t(f.rule)];
        auto pick = [&](const std::vector<YAML::Node> &nodes) {
            return f.index >= 0 && std::size_t(f.index) < nodes.size() ? nodes[std::size_t(f.index)] : YAML::Node();
        };
        YAML::Node node;
        if (f.field == QLatin1String("name"))
            node = marks.nameNode;
        else if (f.field == QLatin1String("shape"))
            node = pick(marks.shape);
        else if (f.field == QLatin1String("repeat"))
            node = pick(marks.repeat);
        else if (f.field == QLatin1String("aliases"))
            node = pick(marks.aliases);
        else if (f.field == QLatin1String("dtypes"))
            node = pick(marks.dtypes);
        else if (f.field == QLatin1String("when"))
            node = marks.when;
        else if (f.field == QLatin1String("tied_to"))
            node = marks.tiedTo;
        if (node.IsDefined() && !node.IsNull())
            return at(node.Mark(), f.key, f.message, columnsInto(node, f.position));
        return at(marks.rule, f.key, f.message);
    }

    QByteArray m_raw;
    QString m_file;
    ModelConfig m_config;
    QHash<QString, YAML::Node> m_archValues;
    std::vector<RuleMarks> m_marks;
};

} // namespace

std::variant<ModelConfig, ConfigError> ConfigParser::parse(const QByteArray &yaml, const QString &filePath)
{
    // yaml-cpp throws on malformed input and on conversions; nothing may escape the core.
    try {
        return Parser(yaml, filePath).run();
    } catch (const YAML::Exception &e) {
        ConfigError error;
        error.file = filePath;
        if (!e.mark.is_null()) {
            error.line = e.mark.line + 1;
            error.column = e.mark.column + 1;
        }
        error.message = QStringLiteral("invalid YAML: ") + QString::fromStdString(e.msg);
        return error;
    }
}

QVariant resolvePlainScalar(const QString &text)
{
    static const QRegularExpression nullRe(QStringLiteral("^(~|null|Null|NULL|)$"));
    static const QRegularExpression trueRe(QStringLiteral("^(true|True|TRUE)$"));
    static const QRegularExpression falseRe(QStringLiteral("^(false|False|FALSE)$"));
    static const QRegularExpression intRe(QStringLiteral("^[-+]?[0-9]+$"));
    static const QRegularExpression hexRe(QStringLiteral("^0x[0-9a-fA-F]+$"));
    static const QRegularExpression octRe(QStringLiteral("^0o[0-7]+$"));
    static const QRegularExpression floatRe(QStringLiteral("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$"));
    static const QRegularExpression infRe(QStringLiteral("^[-+]?\\.(inf|Inf|INF)$"));
    static const QRegularExpression nanRe(QStringLiteral("^\\.(nan|NaN|NAN)$"));
    if (nullRe.match(text).hasMatch())
        return QVariant();
    if (trueRe.match(text).hasMatch())
        return true;
    if (falseRe.match(text).hasMatch())
        return false;
    bool ok = false;
    if (intRe.match(text).hasMatch()) {
        const qint64 v = text.toLongLong(&ok);
        if (ok)
            return v;
        return text.toDouble(); // beyond 64 bits: keep the magnitude rather than fail
    }
    if (hexRe.match(text).hasMatch()) {
        const qint64 v = text.mid(2).toLongLong(&ok, 16);
        if (ok)
            return v;
    }
    if (octRe.match(text).hasMatch()) {
        const qint64 v = text.mid(2).toLongLong(&ok, 8);
        if (ok)
            return v;
    }
    if (floatRe.match(text).hasMatch())
        return text.toDouble();
    if (infRe.match(text).hasMatch())
        return text.startsWith(QLatin1Char('-')) ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    if (nanRe.match(text).hasMatch())
        return std::numeric_limits<double>::quiet_NaN();
    return text;
}

} // namespace tantra
