#include "shapevalidator.h"

#include "safetensorsmodel.h"

#include <algorithm>

namespace tantra {

namespace {

QString quoted(const QString &text)
{
    return QLatin1Char('\'') + text + QLatin1Char('\'');
}

bool isIdentifier(const QString &text)
{
    if (text.isEmpty())
        return false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        const bool letter = (c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
            || c == QLatin1Char('_');
        const bool digit = c >= QLatin1Char('0') && c <= QLatin1Char('9');
        if (!letter && !(digit && i > 0))
            return false;
    }
    return true;
}

// How a non-integer value reads in "must be a positive integer, not …".
QString describeValue(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::UnknownType:
        return QStringLiteral("empty");
    case QMetaType::QVariantList:
        return QStringLiteral("a list");
    case QMetaType::QVariantMap:
        return QStringLiteral("a mapping");
    default:
        return quoted(value.toString());
    }
}

struct PatternError
{
    int position;
    QString message;
};

} // namespace

QString shapeText(const std::vector<std::uint64_t> &shape)
{
    QString out = QStringLiteral("[");
    for (std::size_t k = 0; k < shape.size(); ++k) {
        if (k)
            out += QStringLiteral(", ");
        out += QString::number(shape[k]);
    }
    return out + QLatin1Char(']');
}

QString issueKindName(ShapeIssue::Kind kind)
{
    switch (kind) {
    case ShapeIssue::Kind::Missing: return QStringLiteral("missing");
    case ShapeIssue::Kind::Unexpected: return QStringLiteral("unexpected");
    case ShapeIssue::Kind::ShapeMismatch: return QStringLiteral("shape mismatch");
    case ShapeIssue::Kind::DtypeNotAllowed: return QStringLiteral("dtype not allowed");
    case ShapeIssue::Kind::RuleError: return QStringLiteral("rule error");
    }
    return QString();
}

int ShapeReport::count(ShapeIssue::Kind kind) const
{
    return int(std::count_if(issues.begin(), issues.end(), [kind](const ShapeIssue &i) { return i.kind == kind; }));
}

QString ShapeReport::summary() const
{
    return type + QStringLiteral(": ") + findings();
}

QString ShapeReport::findings() const
{
    if (count(ShapeIssue::Kind::RuleError) > 0)
        return QStringLiteral("the shape rules cannot be used: %1").arg(issues.front().message);
    QString out = QStringLiteral("%1 of %2 required tensors match").arg(matched).arg(expected);
    QStringList parts;
    auto add = [&](ShapeIssue::Kind kind, const char *one, const char *many) {
        const int n = count(kind);
        if (n > 0)
            parts << QString::number(n) + QLatin1Char(' ') + QLatin1String(n == 1 ? one : many);
    };
    add(ShapeIssue::Kind::Missing, "missing", "missing");
    add(ShapeIssue::Kind::ShapeMismatch, "shape mismatch", "shape mismatches");
    add(ShapeIssue::Kind::DtypeNotAllowed, "dtype not allowed", "dtypes not allowed");
    add(ShapeIssue::Kind::Unexpected, "unexpected", "unexpected");
    if (!parts.isEmpty())
        out += QStringLiteral("; ") + parts.join(QStringLiteral(", "));
    return out;
}

// Splits "backbone.layers.{i}.mixer" into literal and placeholder segments. Placeholder
// segments carry their name in `literal` until resolved against the rule's repeat.
static std::optional<PatternError> splitPattern(const QString &pattern, std::vector<QString> &literals, QStringList &names)
{
    QString current;
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        const QChar c = pattern.at(i);
        if (c == QLatin1Char('}'))
            return PatternError{int(i), QStringLiteral("'}' without a matching '{'")};
        if (c != QLatin1Char('{')) {
            current += c;
            continue;
        }
        const qsizetype close = pattern.indexOf(QLatin1Char('}'), i + 1);
        if (close < 0)
            return PatternError{int(i), QStringLiteral("'{' without a matching '}'")};
        const QString name = pattern.mid(i + 1, close - i - 1);
        if (!isIdentifier(name))
            return PatternError{int(i), QStringLiteral("placeholder {%1} must be a name (letters, digits and '_')").arg(name)};
        literals.push_back(current);
        names << name;
        current.clear();
        i = close;
    }
    literals.push_back(current);
    return std::nullopt;
}

ShapeValidator::ShapeValidator(const ModelConfig &config) : m_config(config)
{
    m_fault = compile();
    if (m_fault) {
        m_expected.clear();
        m_byName.clear();
    }
}

QString ShapeValidator::faultText() const
{
    if (!m_fault)
        return QString();
    QString where = m_config.filePath.isEmpty() ? m_config.type : m_config.filePath;
    if (m_fault->rule >= 0) {
        const int line = m_config.tensors[std::size_t(m_fault->rule)].line;
        if (line > 0)
            where += QLatin1Char(':') + QString::number(line);
    }
    return where.isEmpty() ? m_fault->message : where + QStringLiteral(": ") + m_fault->message;
}

QString ShapeValidator::ruleKey(int rule, const QString &field, int index) const
{
    QString key = QStringLiteral("tensors[%1]").arg(rule);
    if (field.isEmpty())
        return key;
    key += QLatin1Char('.') + field;
    if (index >= 0) {
        const auto &repeat = m_config.tensors[std::size_t(rule)].repeat;
        if (field == QLatin1String("repeat") && std::size_t(index) < repeat.size())
            key += QLatin1Char('.') + repeat[std::size_t(index)].first;
        else
            key += QStringLiteral("[%1]").arg(index);
    }
    return key;
}

RuleFault ShapeValidator::fault(int rule, const QString &field, int index, int position, const QString &message) const
{
    RuleFault f;
    f.rule = rule;
    f.field = field;
    f.index = index;
    f.position = position;
    f.key = ruleKey(rule, field, index);
    const QString &pattern = m_config.tensors[std::size_t(rule)].pattern;
    f.message = pattern.isEmpty() ? f.key + QStringLiteral(": ") + message
                                  : QStringLiteral("%1 (%2): %3").arg(f.key, pattern, message);
    return f;
}

std::optional<RuleFault> ShapeValidator::compile()
{
    m_rules.reserve(m_config.tensors.size());
    std::size_t budget = kMaxExpected;
    for (int i = 0; i < int(m_config.tensors.size()); ++i) {
        CompiledRule rule;
        if (auto f = compileRule(i, rule, budget))
            return f;
        m_rules.push_back(std::move(rule));
        if (auto f = expandRule(i, m_rules.back()))
            return f;
    }
    // Tied targets are checked once every rule is expanded: a tie may point forwards.
    for (const ExpectedTensor &t : m_expected) {
        if (t.tiedTo.isEmpty())
            continue;
        const int target = m_byName.value(t.tiedTo, -1);
        if (target < 0)
            return fault(t.rule, QStringLiteral("tied_to"), -1, -1,
                         QStringLiteral("%1 is not a tensor of this config").arg(quoted(t.tiedTo)));
        if (m_expected[std::size_t(target)].name == t.name)
            return fault(t.rule, QStringLiteral("tied_to"), -1, -1, QStringLiteral("a tensor cannot be tied to itself"));
    }
    return std::nullopt;
}

std::optional<RuleFault> ShapeValidator::compileRule(int index, CompiledRule &out, std::size_t &budget)
{
    const ShapeRule &rule = m_config.tensors[std::size_t(index)];
    if (rule.pattern.trimmed().isEmpty())
        return fault(index, QStringLiteral("name"), -1, -1, QStringLiteral("the rule has no name"));

    // Placeholders first: every other field is checked against them.
    for (int k = 0; k < int(rule.repeat.size()); ++k) {
        const QString &placeholder = rule.repeat[std::size_t(k)].first;
        if (!isIdentifier(placeholder))
            return fault(index, QStringLiteral("repeat"), k, -1,
                         QStringLiteral("placeholder %1 must be a name (letters, digits and '_')").arg(quoted(placeholder)));
        if (out.placeholders.contains(placeholder))
            return fault(index, QStringLiteral("repeat"), k, -1, QStringLiteral("placeholder %1 is given twice").arg(quoted(placeholder)));
        if (m_config.architecture.contains(placeholder) || m_config.derived.count(placeholder))
            return fault(index, QStringLiteral("repeat"), k, -1,
                         QStringLiteral("placeholder %1 has the name of an architecture or derived value; rename it").arg(quoted(placeholder)));
        out.placeholders << placeholder;
    }

    // Checks that an expression reads only known names; placeholders only where allowed.
    auto checkNames = [&](const ShapeExpression &expr, const QString &field, int k, bool placeholdersAllowed) -> std::optional<RuleFault> {
        for (const QString &name : expr.names()) {
            if (out.placeholders.contains(name)) {
                if (placeholdersAllowed)
                    continue;
                return fault(index, field, k, expr.positionOf(name),
                             QStringLiteral("a repeat count cannot use the placeholder %1").arg(quoted(name)));
            }
            if (m_config.dimension(name))
                continue;
            if (m_config.architecture.contains(name)) {
                RuleFault f;
                f.field = QStringLiteral("architecture");
                f.key = QStringLiteral("architecture.") + name;
                f.message = QStringLiteral("%1 must be a positive integer, not %2").arg(f.key, describeValue(m_config.architecture.value(name)));
                return f;
            }
            return fault(index, field, k, expr.positionOf(name),
                         QStringLiteral("unknown name %1 in %2; it is not in architecture or derived%3")
                             .arg(quoted(name), quoted(expr.text()),
                                  placeholdersAllowed ? QStringLiteral(" nor a placeholder of the rule") : QString()));
        }
        return std::nullopt;
    };
    auto parseExpr = [&](const QString &text, const QString &field, int k, std::optional<ShapeExpression> &parsed) -> std::optional<RuleFault> {
        auto result = ShapeExpression::parseDetailed(text);
        if (auto *error = std::get_if<ExpressionError>(&result))
            return fault(index, field, k, error->position,
                         QStringLiteral("%1 at position %2 in %3").arg(error->message).arg(error->position + 1).arg(quoted(text)));
        parsed = std::get<ShapeExpression>(std::move(result));
        return std::nullopt;
    };

    std::size_t instances = 1;
    auto dims = [this](const QString &name) { return m_config.dimension(name); };
    for (int k = 0; k < int(rule.repeat.size()); ++k) {
        std::optional<ShapeExpression> count;
        if (auto f = parseExpr(rule.repeat[std::size_t(k)].second, QStringLiteral("repeat"), k, count))
            return f;
        if (auto f = checkNames(*count, QStringLiteral("repeat"), k, false))
            return f;
        const auto value = count->evaluate(dims);
        if (!value)
            return fault(index, QStringLiteral("repeat"), k, -1, value.errorString());
        if (*value < 0)
            return fault(index, QStringLiteral("repeat"), k, -1,
                         QStringLiteral("the count %1 is %2; it cannot be negative").arg(quoted(count->text())).arg(*value));
        if (*value > 0 && instances > budget / std::size_t(*value))
            return fault(index, QStringLiteral("repeat"), k, -1,
                         QStringLiteral("the rules expand to more than %1 tensors").arg(kMaxExpected));
        instances *= std::size_t(std::max<qint64>(*value, 1));
        out.counts.push_back(*value);
    }
    budget -= instances;

    // A name pattern resolves to segments against the placeholders; `exact` asks for all of them.
    auto resolve = [&](const QString &text, const QString &field, int k, bool exact, std::vector<Segment> &segments) -> std::optional<RuleFault> {
        std::vector<QString> literals;
        QStringList names;
        if (auto error = splitPattern(text, literals, names))
            return fault(index, field, k, error->position, error->message);
        for (qsizetype n = 0; n < names.size(); ++n) {
            const int placeholder = int(out.placeholders.indexOf(names[n]));
            if (placeholder < 0)
                return fault(index, field, k, int(text.indexOf(QLatin1Char('{') + names[n])),
                             QStringLiteral("placeholder {%1} has no range; add it to repeat").arg(names[n]));
            segments.push_back(Segment{literals[std::size_t(n)], -1});
            segments.push_back(Segment{QString(), placeholder});
        }
        segments.push_back(Segment{literals.back(), -1});
        if (exact) {
            for (int p = 0; p < int(out.placeholders.size()); ++p) {
                if (names.contains(out.placeholders[p]))
                    continue;
                if (field == QLatin1String("name"))
                    return fault(index, QStringLiteral("repeat"), p, -1,
                                 QStringLiteral("placeholder %1 is not used in the name, so every value would give the same tensor")
                                     .arg(quoted(out.placeholders[p])));
                return fault(index, field, k, -1, QStringLiteral("an alias must use every placeholder of the name, and {%1} is missing")
                                                      .arg(out.placeholders[p]));
            }
        }
        return std::nullopt;
    };
    if (auto f = resolve(rule.pattern, QStringLiteral("name"), -1, true, out.name))
        return f;
    for (int k = 0; k < int(rule.aliases.size()); ++k) {
        out.aliases.emplace_back();
        if (auto f = resolve(rule.aliases[k], QStringLiteral("aliases"), k, true, out.aliases.back()))
            return f;
    }
    if (!rule.tiedTo.isEmpty()) {
        if (auto f = resolve(rule.tiedTo, QStringLiteral("tied_to"), -1, false, out.tiedTo))
            return f;
    }

    QStringList shapeTexts;
    for (int k = 0; k < int(rule.shape.size()); ++k) {
        std::optional<ShapeExpression> expr;
        if (auto f = parseExpr(rule.shape[k], QStringLiteral("shape"), k, expr))
            return f;
        if (auto f = checkNames(*expr, QStringLiteral("shape"), k, true))
            return f;
        for (const QString &name : expr->names()) {
            if (!out.shapeNames.contains(name))
                out.shapeNames << name;
        }
        out.allLiteral = out.allLiteral && expr->isLiteral();
        shapeTexts << expr->text().trimmed();
        out.shape.push_back(std::move(*expr));
    }
    out.shapeText = QLatin1Char('[') + shapeTexts.join(QStringLiteral(", ")) + QLatin1Char(']');

    if (!rule.when.trimmed().isEmpty()) {
        if (auto f = parseExpr(rule.when, QStringLiteral("when"), -1, out.when))
            return f;
        if (auto f = checkNames(*out.when, QStringLiteral("when"), -1, true))
            return f;
    }

    const QStringList dtypes = rule.dtypes.isEmpty() ? defaultRuleDtypes() : rule.dtypes;
    for (int k = 0; k < int(dtypes.size()); ++k) {
        const auto dtype = dtypeFromName(dtypes[k].toStdString());
        if (!dtype)
            return fault(index, QStringLiteral("dtypes"), k, -1,
                         QStringLiteral("unknown dtype %1 (dtypes are named as in safetensors: F32, BF16, F16, I64, …)").arg(quoted(dtypes[k])));
        out.dtypes.push_back(*dtype);
    }
    return std::nullopt;
}

std::optional<qint64> ShapeValidator::lookup(const QString &name, const CompiledRule &rule, const std::vector<qint64> &bindings) const
{
    const qsizetype p = rule.placeholders.indexOf(name);
    if (p >= 0 && std::size_t(p) < bindings.size())
        return bindings[std::size_t(p)];
    return m_config.dimension(name);
}

std::optional<RuleFault> ShapeValidator::expandRule(int index, const CompiledRule &rule)
{
    const ShapeRule &source = m_config.tensors[std::size_t(index)];
    const std::size_t n = rule.placeholders.size();
    for (qint64 count : rule.counts) {
        if (count == 0)
            return std::nullopt;
    }
    std::vector<qint64> bindings(n, 0);
    auto values = [&](const QString &name) { return lookup(name, rule, bindings); };
    auto build = [&](const std::vector<Segment> &segments) {
        QString text;
        for (const Segment &s : segments)
            text += s.placeholder < 0 ? s.literal : QString::number(bindings[std::size_t(s.placeholder)]);
        return text;
    };
    auto context = [&] {
        QStringList parts;
        for (std::size_t p = 0; p < n; ++p)
            parts << rule.placeholders[qsizetype(p)] + QLatin1Char('=') + QString::number(bindings[p]);
        return parts.isEmpty() ? QString() : QStringLiteral(" (for %1)").arg(parts.join(QStringLiteral(", ")));
    };
    auto claim = [&](const QString &name, const QString &field, int k, int expectedIndex) -> std::optional<RuleFault> {
        const auto existing = m_byName.constFind(name);
        if (existing != m_byName.constEnd()) {
            const int other = m_expected[std::size_t(*existing)].rule;
            const int otherLine = m_config.tensors[std::size_t(other)].line;
            return fault(index, field, k, -1,
                         QStringLiteral("%1%2 is already a tensor of tensors[%3]%4")
                             .arg(quoted(name), context())
                             .arg(other)
                             .arg(otherLine > 0 ? QStringLiteral(" (line %1)").arg(otherLine) : QString()));
        }
        m_byName.insert(name, expectedIndex);
        return std::nullopt;
    };

    while (true) {
        bool present = true;
        if (rule.when) {
            const auto condition = rule.when->evaluate(values);
            if (!condition)
                return fault(index, QStringLiteral("when"), -1, -1, condition.errorString() + context());
            present = *condition != 0;
        }
        if (present) {
            ExpectedTensor t;
            t.rule = index;
            t.bindings = bindings;
            t.optional = source.optional || !source.tiedTo.isEmpty();
            for (int k = 0; k < int(rule.shape.size()); ++k) {
                const auto dim = rule.shape[std::size_t(k)].evaluate(values);
                if (!dim)
                    return fault(index, QStringLiteral("shape"), k, -1, dim.errorString() + context());
                if (*dim < 0)
                    return fault(index, QStringLiteral("shape"), k, -1,
                                 QStringLiteral("%1 is %2%3; a dimension cannot be negative")
                                     .arg(quoted(rule.shape[std::size_t(k)].text()))
                                     .arg(*dim)
                                     .arg(context()));
                t.shape.push_back(std::uint64_t(*dim));
            }
            t.name = build(rule.name);
            for (const auto &alias : rule.aliases)
                t.aliases << build(alias);
            if (!rule.tiedTo.empty())
                t.tiedTo = build(rule.tiedTo);
            const int expectedIndex = int(m_expected.size());
            if (auto f = claim(t.name, QStringLiteral("name"), -1, expectedIndex))
                return f;
            for (int k = 0; k < int(t.aliases.size()); ++k) {
                if (auto f = claim(t.aliases[k], QStringLiteral("aliases"), k, expectedIndex))
                    return f;
            }
            m_expected.push_back(std::move(t));
        }
        // Odometer: the last placeholder turns fastest, so layer-major order comes out.
        std::size_t d = n;
        while (d > 0) {
            --d;
            if (++bindings[d] < rule.counts[d])
                break;
            bindings[d] = 0;
            if (d == 0)
                return std::nullopt;
        }
        if (n == 0)
            return std::nullopt;
    }
}

const ExpectedTensor *ShapeValidator::find(const QString &name) const
{
    const int index = m_byName.value(name, -1);
    return index < 0 ? nullptr : &m_expected[std::size_t(index)];
}

QString ShapeValidator::expectedText(const ExpectedTensor &tensor) const
{
    const CompiledRule &rule = m_rules[std::size_t(tensor.rule)];
    const QString values = shapeText(tensor.shape);
    if (rule.allLiteral)
        return values;
    QStringList parameters;
    for (const QString &name : rule.shapeNames) {
        const auto value = lookup(name, rule, tensor.bindings);
        parameters << name + QLatin1Char('=') + (value ? QString::number(*value) : QStringLiteral("?"));
    }
    return QStringLiteral("%1 = %2 (%3)").arg(rule.shapeText, values, parameters.join(QStringLiteral(", ")));
}

void ShapeValidator::checkInto(const ExpectedTensor &expected, const TensorShape &tensor, std::vector<ShapeIssue> &issues) const
{
    const QString name = QString::fromStdString(tensor.name);
    const int line = m_config.tensors[std::size_t(expected.rule)].line;
    if (tensor.shape != expected.shape) {
        ShapeIssue issue;
        issue.kind = ShapeIssue::Kind::ShapeMismatch;
        issue.tensor = name;
        issue.expected = expectedText(expected);
        issue.actual = shapeText(tensor.shape);
        issue.message = QStringLiteral("%1: shape %2 expected %3").arg(name, issue.actual, issue.expected);
        issue.line = line;
        issues.push_back(std::move(issue));
    }
    const auto &allowed = m_rules[std::size_t(expected.rule)].dtypes;
    if (std::find(allowed.begin(), allowed.end(), tensor.dtype) == allowed.end()) {
        QStringList names;
        for (Dtype d : allowed)
            names << QLatin1String(dtypeName(d));
        ShapeIssue issue;
        issue.kind = ShapeIssue::Kind::DtypeNotAllowed;
        issue.tensor = name;
        issue.expected = names.join(QStringLiteral(", "));
        issue.actual = QLatin1String(dtypeName(tensor.dtype));
        issue.message = QStringLiteral("%1: dtype %2 not allowed (allowed: %3)").arg(name, issue.actual, issue.expected);
        issue.line = line;
        issues.push_back(std::move(issue));
    }
}

static ShapeIssue unexpectedIssue(const QString &name, const TensorShape &tensor, const QString &why)
{
    ShapeIssue issue;
    issue.kind = ShapeIssue::Kind::Unexpected;
    issue.tensor = name;
    issue.actual = shapeText(tensor.shape);
    issue.message = name + QStringLiteral(": unexpected, ") + why;
    return issue;
}

TensorCheck ShapeValidator::check(const TensorShape &tensor) const
{
    TensorCheck out;
    if (m_fault) {
        ShapeIssue issue;
        issue.kind = ShapeIssue::Kind::RuleError;
        issue.tensor = QString::fromStdString(tensor.name);
        issue.message = faultText();
        out.issues.push_back(std::move(issue));
        return out;
    }
    const QString name = QString::fromStdString(tensor.name);
    out.expectedIndex = m_byName.value(name, -1);
    if (out.expectedIndex < 0) {
        out.issues.push_back(unexpectedIssue(name, tensor, QStringLiteral("no rule of %1 names it").arg(quoted(m_config.type))));
        return out;
    }
    const ExpectedTensor &expected = m_expected[std::size_t(out.expectedIndex)];
    out.expected = expectedText(expected);
    checkInto(expected, tensor, out.issues);
    return out;
}

ShapeReport ShapeValidator::validate(const std::vector<TensorShape> &tensors) const
{
    ShapeReport report;
    report.type = m_config.type;
    if (m_fault) {
        ShapeIssue issue;
        issue.kind = ShapeIssue::Kind::RuleError;
        issue.message = faultText();
        if (m_fault->rule >= 0) {
            issue.tensor = m_config.tensors[std::size_t(m_fault->rule)].pattern;
            issue.line = m_config.tensors[std::size_t(m_fault->rule)].line;
        }
        report.issues.push_back(std::move(issue));
        return report;
    }

    for (const ExpectedTensor &t : m_expected)
        report.expected += t.optional ? 0 : 1;

    std::vector<int> seenBy(m_expected.size(), -1);
    for (int k = 0; k < int(tensors.size()); ++k) {
        const TensorShape &tensor = tensors[std::size_t(k)];
        const QString name = QString::fromStdString(tensor.name);
        const int index = m_byName.value(name, -1);
        if (index < 0) {
            report.issues.push_back(unexpectedIssue(name, tensor, QStringLiteral("no rule of %1 names it").arg(quoted(m_config.type))));
            continue;
        }
        int &seen = seenBy[std::size_t(index)];
        if (seen >= 0) {
            const QString first = QString::fromStdString(tensors[std::size_t(seen)].name);
            report.issues.push_back(unexpectedIssue(
                name, tensor,
                first == name ? QStringLiteral("it appears twice")
                              : QStringLiteral("%1 is the same tensor under another name and is present too").arg(quoted(first))));
            continue;
        }
        seen = k;
        const std::size_t before = report.issues.size();
        const ExpectedTensor &expected = m_expected[std::size_t(index)];
        checkInto(expected, tensor, report.issues);
        if (report.issues.size() == before && !expected.optional)
            ++report.matched;
    }

    for (std::size_t index = 0; index < m_expected.size(); ++index) {
        const ExpectedTensor &expected = m_expected[index];
        if (seenBy[index] >= 0 || expected.optional)
            continue;
        ShapeIssue issue;
        issue.kind = ShapeIssue::Kind::Missing;
        issue.tensor = expected.name;
        issue.expected = expectedText(expected);
        issue.line = m_config.tensors[std::size_t(expected.rule)].line;
        const QString also = expected.aliases.isEmpty()
            ? QString()
            : QStringLiteral(" (also accepted as %1)").arg(expected.aliases.join(QStringLiteral(", ")));
        issue.message = QStringLiteral("%1: missing%2, expected %3").arg(expected.name, also, issue.expected);
        report.issues.push_back(std::move(issue));
    }
    return report;
}

ShapeReport validateShapes(const ModelConfig &config, const std::vector<TensorShape> &tensors)
{
    return ShapeValidator(config).validate(tensors);
}

std::vector<TensorShape> tensorShapesOf(const SafetensorsModel &model)
{
    std::vector<TensorShape> out;
    out.reserve(model.tensors().size());
    for (const ModelTensor &t : model.tensors())
        out.push_back(TensorShape{t.info->name, t.info->dtype, t.info->shape});
    return out;
}

std::optional<ShapeIssue> checkTensor(const ModelConfig &config, const TensorShape &tensor)
{
    TensorCheck result = ShapeValidator(config).check(tensor);
    if (result.issues.empty())
        return std::nullopt;
    return std::move(result.issues.front());
}

std::vector<TypeGuess> guessModelType(const std::vector<ModelConfig> &configs, const std::vector<TensorShape> &tensors)
{
    std::vector<TypeGuess> guesses;
    guesses.reserve(configs.size());
    for (const ModelConfig &config : configs)
        guesses.push_back(TypeGuess{config.type, ShapeValidator(config).validate(tensors)});
    auto plausible = [](const ShapeReport &r) { return r.expected > 0 && 2 * r.matched >= r.expected; };
    std::stable_sort(guesses.begin(), guesses.end(), [&](const TypeGuess &a, const TypeGuess &b) {
        const bool pa = plausible(a.report);
        const bool pb = plausible(b.report);
        if (pa != pb)
            return pa;
        if (a.report.issues.size() != b.report.issues.size())
            return a.report.issues.size() < b.report.issues.size();
        if (a.report.matched != b.report.matched)
            return a.report.matched > b.report.matched;
        return a.type < b.type;
    });
    return guesses;
}

} // namespace tantra
