#pragma once

#include "dtype.h"
#include "modelconfig.h"
#include "shapeexpression.h"

#include <QHash>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tantra {

class SafetensorsModel;

// What the validator needs of a tensor: no data.
struct TensorShape
{
    std::string name;
    Dtype dtype = Dtype::F32;
    std::vector<std::uint64_t> shape;
};

struct ShapeIssue
{
    enum class Kind { Missing, Unexpected, ShapeMismatch, DtypeNotAllowed, RuleError };
    Kind kind = Kind::RuleError;
    QString tensor;
    // ShapeMismatch and Missing: "[dt_rank + 2*d_state, d_inner] = [80, 1536] (dt_rank=48, …)";
    // DtypeNotAllowed: "F32, BF16, F16".
    QString expected;
    QString actual; // "[40, 1536]", or the dtype's name
    QString message; // the whole sentence, starting with the tensor's name
    int line = 0;    // the matching rule's line in the config, 0 when none
};

// "missing", "unexpected", "shape mismatch", "dtype not allowed", "rule error".
QString issueKindName(ShapeIssue::Kind kind);

struct ShapeReport
{
    QString type; // the config's model type
    std::vector<ShapeIssue> issues;
    int expected = 0; // tensors the config requires (optional and tied ones not counted)
    int matched = 0;  // of those, present with an allowed shape and dtype

    bool ok() const { return issues.empty(); }
    int count(ShapeIssue::Kind kind) const;
    // "mamba: 240 of 242 required tensors match; 1 missing, 1 shape mismatch, 3 unexpected"
    QString summary() const;
    // The same without the type, for a place that names the type already:
    // "240 of 242 required tensors match; 1 missing, …"
    QString findings() const;
};

// A rule that cannot be compiled or expanded. `key` locates it ("tensors[3].shape[1]",
// "architecture.d_model"); `rule`, `field`, `index` and `position` let a config parser point at
// the exact YAML node and column; `message` is the full sentence without the file.
struct RuleFault
{
    int rule = -1;   // index into ModelConfig::tensors, -1 for an architecture value
    QString field;   // name, repeat, shape, when, aliases, tied_to, dtypes, architecture
    int index = -1;  // element of a list (or the repeat entry), -1 for scalars
    int position = -1; // character inside the expression, -1 when not known
    QString key;
    QString message;
};

// One tensor the config expects, with its placeholders expanded and its shape evaluated.
struct ExpectedTensor
{
    QString name;
    QStringList aliases;
    QString tiedTo;
    int rule = -1;                  // index into ModelConfig::tensors
    std::vector<qint64> bindings;   // the rule's placeholder values, in its repeat order
    std::vector<std::uint64_t> shape;
    bool optional = false;          // `optional: true` or `tied_to` set
};

// The outcome for one tensor: which expected tensor it is (if any), its expected shape text
// and whatever is wrong with it.
struct TensorCheck
{
    int expectedIndex = -1;
    QString expected;
    std::vector<ShapeIssue> issues;
};

// A config's shape rules, compiled and expanded once; then any number of tensors or models
// are checked against it. A broken rule does not throw: fault() says what is wrong, and every
// report carries it as a RuleError.
class ShapeValidator
{
public:
    // Refuses configs that expand to more tensors than this: the limit keeps a typo such as
    // `n_layer: 24000000` from eating the memory.
    static constexpr std::size_t kMaxExpected = 1'000'000;

    explicit ShapeValidator(const ModelConfig &config);

    const ModelConfig &config() const { return m_config; }
    const std::optional<RuleFault> &fault() const { return m_fault; }
    // The fault as a sentence naming the file and line.
    QString faultText() const;

    const std::vector<ExpectedTensor> &expectedTensors() const { return m_expected; }
    // By canonical name or alias.
    const ExpectedTensor *find(const QString &name) const;
    const std::vector<Dtype> &allowedDtypes(int rule) const { return m_rules[std::size_t(rule)].dtypes; }
    // "[dt_rank + 2*d_state, d_inner] = [80, 1536] (dt_rank=48, d_state=16, d_inner=1536)"
    QString expectedText(const ExpectedTensor &tensor) const;

    TensorCheck check(const TensorShape &tensor) const;
    ShapeReport validate(const std::vector<TensorShape> &tensors) const;

private:
    struct Segment
    {
        QString literal;
        int placeholder = -1; // index into the rule's repeat, or -1 for a literal
    };
    struct CompiledRule
    {
        std::vector<Segment> name;
        std::vector<std::vector<Segment>> aliases;
        std::vector<Segment> tiedTo;
        std::vector<ShapeExpression> shape;
        std::optional<ShapeExpression> when;
        std::vector<qint64> counts;
        QStringList placeholders;
        QStringList shapeNames; // names the shape reads, for the "(d_model=768)" part
        std::vector<Dtype> dtypes;
        QString shapeText; // "[dt_rank + 2*d_state, d_inner]"
        bool allLiteral = true;
    };

    std::optional<RuleFault> compile();
    std::optional<RuleFault> compileRule(int index, CompiledRule &out, std::size_t &budget);
    std::optional<RuleFault> expandRule(int index, const CompiledRule &rule);
    std::optional<qint64> lookup(const QString &name, const CompiledRule &rule, const std::vector<qint64> &bindings) const;
    RuleFault fault(int rule, const QString &field, int index, int position, const QString &message) const;
    QString ruleKey(int rule, const QString &field, int index) const;
    QString issueMessage(const ExpectedTensor &tensor, const TensorShape &actual, ShapeIssue::Kind kind) const;
    void checkInto(const ExpectedTensor &expected, const TensorShape &tensor, std::vector<ShapeIssue> &issues) const;

    ModelConfig m_config;
    std::vector<CompiledRule> m_rules;
    std::vector<ExpectedTensor> m_expected;
    QHash<QString, int> m_byName; // canonical names and aliases → index into m_expected
    std::optional<RuleFault> m_fault;
};

// Free functions over a one-off ShapeValidator; for many tensors against one config, build the
// ShapeValidator once.
ShapeReport validateShapes(const ModelConfig &config, const std::vector<TensorShape> &tensors);
std::vector<TensorShape> tensorShapesOf(const SafetensorsModel &model);
// Nothing when the tensor matches its rule; otherwise its first issue (Unexpected when no rule
// names it).
std::optional<ShapeIssue> checkTensor(const ModelConfig &config, const TensorShape &tensor);

struct TypeGuess
{
    QString type;
    ShapeReport report;
};

// Validates against every config and sorts best-first: configs of which at least half the
// required tensors match come first, by fewest issues, then most matches, then type name.
std::vector<TypeGuess> guessModelType(const std::vector<ModelConfig> &configs, const std::vector<TensorShape> &tensors);

// "[40, 1536]"
QString shapeText(const std::vector<std::uint64_t> &shape);

} // namespace tantra
