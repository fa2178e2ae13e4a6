#pragma once

#include "result.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <optional>
#include <variant>
#include <vector>

namespace tantra {

// Why an expression failed to parse, and where: `position` is the 0-based index into the
// text, so a config parser can point at the column in the YAML file.
struct ExpressionError
{
    int position = 0;
    QString message;
};

// An integer expression of a shape rule, such as `dt_rank + 2*d_state` or
// `round_up(vocab_size, pad_vocab_size_multiple)`. Arithmetic is on 64-bit signed integers
// with overflow checks: + - * / % (floor division and the matching modulo, as in Python),
// parentheses, unary - and +, and the functions ceildiv(a, b), ceil(a / b) (the same:
// `ceil` only accepts a division, because `/` already floors), round_up(x, m), min(a, b, …),
// max(a, b, …). Conditions (a rule's `when`) add == != < <= > >= (giving 1 or 0), && || and
// unary !. Names are looked up at evaluation, so one parsed expression serves every layer.
class ShapeExpression
{
public:
    // Returns the value of a name, or nothing when the name is unknown.
    using Lookup = std::function<std::optional<qint64>(const QString &name)>;

    static std::variant<ShapeExpression, ExpressionError> parseDetailed(const QString &text);
    // The same, with the position folded into the message: "expected ')' at position 18 in '…'".
    static Result<ShapeExpression> parse(const QString &text);

    const QString &text() const { return m_text; }
    // The names the expression reads (not function names), in order of first appearance.
    const QStringList &names() const { return m_names; }
    // Where `name` first appears (0-based), or -1: to point at an unknown name.
    int positionOf(const QString &name) const;
    // True when the expression is a plain integer literal such as `1`.
    bool isLiteral() const;

    // Errors name the sub-expression at fault: "division by zero: 'n - 4' is 0".
    Result<qint64> evaluate(const Lookup &lookup) const;

private:
    enum class Op : quint8 {
        Number, Name, Neg, Not,
        Add, Sub, Mul, Div, Mod,
        Eq, Ne, Lt, Le, Gt, Ge, And, Or,
        CeilDiv, RoundUp, Min, Max,
    };
    struct Node
    {
        Op op = Op::Number;
        qint64 value = 0;
        QString name;
        std::vector<int> args; // indices into m_nodes
        int begin = 0;         // span in the text, for messages
        int end = 0;
    };

    friend class ExpressionParser;
    Result<qint64> eval(int node, const Lookup &lookup) const;
    QString spanText(int node) const;

    QString m_text;
    std::vector<Node> m_nodes;
    int m_root = -1;
    QStringList m_names;
};

} // namespace tantra
