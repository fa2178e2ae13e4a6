#include "shapeexpression.h"

#include <limits>

namespace tantra {

namespace {

// Deep nesting or endless operator chains only come from a broken or hostile file; refuse
// them before the recursive evaluator's stack does.
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxTokens = 512;

enum class Tok : quint8 {
    End, Number, Name,
    Plus, Minus, Star, Slash, Percent, LParen, RParen, Comma,
    Eq, Ne, Lt, Le, Gt, Ge, AndAnd, OrOr, Bang,
};

struct Token
{
    Tok kind = Tok::End;
    int begin = 0;
    int end = 0;
    qint64 value = 0;
};

bool isNameStart(QChar c)
{
    return (c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
        || c == QLatin1Char('_');
}

bool isNameChar(QChar c)
{
    return isNameStart(c) || (c >= QLatin1Char('0') && c <= QLatin1Char('9'));
}

bool isDigit(QChar c)
{
    return c >= QLatin1Char('0') && c <= QLatin1Char('9');
}

QString quoted(const QString &text)
{
    return QLatin1Char('\'') + text + QLatin1Char('\'');
}

// Floor division and modulo, as Python defines them, with the one overflowing case caught.
std::optional<qint64> floorDiv(qint64 a, qint64 b)
{
    if (a == std::numeric_limits<qint64>::min() && b == -1)
        return std::nullopt;
    qint64 q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0)))
        --q;
    return q;
}

qint64 floorMod(qint64 a, qint64 b)
{
    if (b == -1)
        return 0;
    qint64 r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}

std::optional<qint64> ceilDiv(qint64 a, qint64 b)
{
    if (a == std::numeric_limits<qint64>::min() && b == -1)
        return std::nullopt;
    qint64 q = a / b;
    const qint64 r = a % b;
    if (r != 0 && ((r > 0) == (b > 0)))
        ++q;
    return q;
}

} // namespace

// Tokenizer and recursive-descent parser; builds the node list of a ShapeExpression.
class ExpressionParser
{
public:
    explicit ExpressionParser(ShapeExpression &expr) : m_expr(expr), m_text(expr.m_text) {}

    std::optional<ExpressionError> run()
    {
        if (auto error = tokenize())
            return error;
        if (m_tokens.size() == 1)
            return ExpressionError{0, QStringLiteral("empty expression")};
        auto root = parseOr(0);
        if (!root)
            return m_error;
        if (peek().kind != Tok::End) {
            const Token &t = peek();
            return ExpressionError{t.begin, QStringLiteral("unexpected %1 after the end of the expression").arg(describe(t))};
        }
        m_expr.m_root = *root;
        return std::nullopt;
    }

private:
    using Op = ShapeExpression::Op;

    std::optional<ExpressionError> tokenize()
    {
        const int n = int(m_text.size());
        int i = 0;
        while (i < n) {
            const QChar c = m_text.at(i);
            if (c.isSpace()) {
                ++i;
                continue;
            }
            Token t;
            t.begin = i;
            if (isDigit(c)) {
                qint64 value = 0;
                while (i < n && isDigit(m_text.at(i))) {
                    const int digit = m_text.at(i).unicode() - '0';
                    if (value > (std::numeric_limits<qint64>::max() - digit) / 10)
                        return ExpressionError{t.begin, QStringLiteral("number too large for a 64-bit integer")};
                    value = value * 10 + digit;
                    ++i;
                }
                if (i < n && (isNameStart(m_text.at(i)) || m_text.at(i) == QLatin1Char('.')))
                    return ExpressionError{i, QStringLiteral("unexpected '%1' in a number (only whole numbers are allowed)").arg(m_text.at(i))};
                t.kind = Tok::Number;
                t.value = value;
            } else if (isNameStart(c)) {
                while (i < n && isNameChar(m_text.at(i)))
                    ++i;
                t.kind = Tok::Name;
            } else {
                const QChar next = i + 1 < n ? m_text.at(i + 1) : QChar();
                auto two = [&](char second, Tok pair, Tok single) {
                    if (next == QLatin1Char(second)) {
                        i += 2;
                        return pair;
                    }
                    ++i;
                    return single;
                };
                switch (c.unicode()) {
                case '+': t.kind = Tok::Plus; ++i; break;
                case '-': t.kind = Tok::Minus; ++i; break;
                case '*': t.kind = Tok::Star; ++i; break;
                case '/': t.kind = Tok::Slash; ++i; break;
                case '%': t.kind = Tok::Percent; ++i; break;
                case '(': t.kind = Tok::LParen; ++i; break;
                case ')': t.kind = Tok::RParen; ++i; break;
                case ',': t.kind = Tok::Comma; ++i; break;
                case '<': t.kind = two('=', Tok::Le, Tok::Lt); break;
                case '>': t.kind = two('=', Tok::Ge, Tok::Gt); break;
                case '!': t.kind = two('=', Tok::Ne, Tok::Bang); break;
                case '=':
                    if (next != QLatin1Char('='))
                        return ExpressionError{i, QStringLiteral("'=' is not an operator; compare with '=='")};
                    t.kind = Tok::Eq;
                    i += 2;
                    break;
                case '&':
                    if (next != QLatin1Char('&'))
                        return ExpressionError{i, QStringLiteral("'&' is not an operator; use '&&'")};
                    t.kind = Tok::AndAnd;
                    i += 2;
                    break;
                case '|':
                    if (next != QLatin1Char('|'))
                        return ExpressionError{i, QStringLiteral("'|' is not an operator; use '||'")};
                    t.kind = Tok::OrOr;
                    i += 2;
                    break;
                default:
                    return ExpressionError{i, QStringLiteral("unexpected character '%1'").arg(c)};
                }
            }
            t.end = i;
            m_tokens.push_back(t);
            if (m_tokens.size() > kMaxTokens)
                return ExpressionError{t.begin, QStringLiteral("expression too long (more than %1 tokens)").arg(kMaxTokens)};
        }
        Token end;
        end.kind = Tok::End;
        end.begin = end.end = n;
        m_tokens.push_back(end);
        return std::nullopt;
    }

    const Token &peek() const { return m_tokens[m_pos]; }
    Token take() { return m_tokens[m_pos++]; }

    QString describe(const Token &t) const
    {
        if (t.kind == Tok::End)
            return QStringLiteral("end of the expression");
        return quoted(m_text.mid(t.begin, t.end - t.begin));
    }

    std::optional<int> fail(int position, QString message)
    {
        m_error = ExpressionError{position, std::move(message)};
        return std::nullopt;
    }

    int add(ShapeExpression::Node node)
    {
        m_expr.m_nodes.push_back(std::move(node));
        return int(m_expr.m_nodes.size()) - 1;
    }

    int binary(Op op, int a, int b)
    {
        ShapeExpression::Node node;
        node.op = op;
        node.args = {a, b};
        node.begin = m_expr.m_nodes[std::size_t(a)].begin;
        node.end = m_expr.m_nodes[std::size_t(b)].end;
        return add(std::move(node));
    }

    std::optional<int> parseOr(int depth)
    {
        auto left = parseAnd(depth);
        while (left && peek().kind == Tok::OrOr) {
            take();
            auto right = parseAnd(depth);
            if (!right)
                return std::nullopt;
            left = binary(Op::Or, *left, *right);
        }
        return left;
    }

    std::optional<int> parseAnd(int depth)
    {
        auto left = parseComparison(depth);
        while (left && peek().kind == Tok::AndAnd) {
            take();
            auto right = parseComparison(depth);
            if (!right)
                return std::nullopt;
            left = binary(Op::And, *left, *right);
        }
        return left;
    }

    static std::optional<Op> comparisonOp(Tok kind)
    {
        switch (kind) {
        case Tok::Eq: return Op::Eq;
        case Tok::Ne: return Op::Ne;
        case Tok::Lt: return Op::Lt;
        case Tok::Le: return Op::Le;
        case Tok::Gt: return Op::Gt;
        case Tok::Ge: return Op::Ge;
        default: return std::nullopt;
        }
    }

    std::optional<int> parseComparison(int depth)
    {
        auto left = parseSum(depth);
        if (!left)
            return std::nullopt;
        if (auto op = comparisonOp(peek().kind)) {
            take();
            auto right = parseSum(depth);
            if (!right)
                return std::nullopt;
            // `a < b < c` means something else in C than in Python: refuse it rather than guess.
            if (comparisonOp(peek().kind))
                return fail(peek().begin, QStringLiteral("comparisons cannot be chained; join them with '&&'"));
            return binary(*op, *left, *right);
        }
        return left;
    }

    std::optional<int> parseSum(int depth)
    {
        auto left = parseProduct(depth);
        while (left && (peek().kind == Tok::Plus || peek().kind == Tok::Minus)) {
            const Op op = take().kind == Tok::Plus ? Op::Add : Op::Sub;
            auto right = parseProduct(depth);
            if (!right)
                return std::nullopt;
            left = binary(op, *left, *right);
        }
        return left;
    }

    std::optional<int> parseProduct(int depth)
    {
        auto left = parseUnary(depth);
        while (left && (peek().kind == Tok::Star || peek().kind == Tok::Slash || peek().kind == Tok::Percent)) {
            const Tok kind = take().kind;
            const Op op = kind == Tok::Star ? Op::Mul : kind == Tok::Slash ? Op::Div : Op::Mod;
            auto right = parseUnary(depth);
            if (!right)
                return std::nullopt;
            left = binary(op, *left, *right);
        }
        return left;
    }

    std::optional<int> parseUnary(int depth)
    {
        if (depth > kMaxDepth)
            return fail(peek().begin, QStringLiteral("expression nested too deeply"));
        const Tok kind = peek().kind;
        if (kind == Tok::Minus || kind == Tok::Plus || kind == Tok::Bang) {
            const Token t = take();
            auto operand = parseUnary(depth + 1);
            if (!operand)
                return std::nullopt;
            if (kind == Tok::Plus)
                return operand;
            ShapeExpression::Node node;
            node.op = kind == Tok::Minus ? Op::Neg : Op::Not;
            node.args = {*operand};
            node.begin = t.begin;
            node.end = m_expr.m_nodes[std::size_t(*operand)].end;
            return add(std::move(node));
        }
        return parsePrimary(depth);
    }

    std::optional<int> parsePrimary(int depth)
    {
        const Token t = take();
        ShapeExpression::Node node;
        node.begin = t.begin;
        node.end = t.end;
        switch (t.kind) {
        case Tok::Number:
            node.op = Op::Number;
            node.value = t.value;
            return add(std::move(node));
        case Tok::Name: {
            const QString name = m_text.mid(t.begin, t.end - t.begin);
            if (peek().kind == Tok::LParen)
                return parseCall(t, name, depth);
            node.op = Op::Name;
            node.name = name;
            if (!m_expr.m_names.contains(name))
                m_expr.m_names.append(name);
            return add(std::move(node));
        }
        case Tok::LParen: {
            auto inner = parseOr(depth + 1);
            if (!inner)
                return std::nullopt;
            if (peek().kind != Tok::RParen)
                return fail(peek().begin, QStringLiteral("expected ')' but found %1").arg(describe(peek())));
            const Token close = take();
            // Widen the span to the parentheses so messages quote what the user wrote.
            m_expr.m_nodes[std::size_t(*inner)].begin = t.begin;
            m_expr.m_nodes[std::size_t(*inner)].end = close.end;
            return inner;
        }
        default:
            return fail(t.begin, QStringLiteral("expected a number, a name or '(' but found %1").arg(describe(t)));
        }
    }

    std::optional<int> parseCall(const Token &nameToken, const QString &name, int depth)
    {
        struct Function
        {
            const char *name;
            Op op;
            int minArgs;
            int maxArgs;
        };
        static const Function functions[] = {
            {"ceil", Op::CeilDiv, 1, 1},
            {"ceildiv", Op::CeilDiv, 2, 2},
            {"round_up", Op::RoundUp, 2, 2},
            {"min", Op::Min, 2, 1 << 20},
            {"max", Op::Max, 2, 1 << 20},
        };
        const Function *function = nullptr;
        for (const Function &f : functions) {
            if (name == QLatin1String(f.name))
                function = &f;
        }
        if (!function)
            return fail(nameToken.begin, QStringLiteral("unknown function '%1' (functions: ceil, ceildiv, round_up, min, max)").arg(name));

        take(); // '('
        std::vector<int> args;
        if (peek().kind != Tok::RParen) {
            while (true) {
                auto arg = parseOr(depth + 1);
                if (!arg)
                    return std::nullopt;
                args.push_back(*arg);
                if (peek().kind == Tok::Comma) {
                    take();
                    continue;
                }
                break;
            }
        }
        if (peek().kind != Tok::RParen)
            return fail(peek().begin, QStringLiteral("expected ',' or ')' but found %1").arg(describe(peek())));
        const Token close = take();

        const int count = int(args.size());
        if (count < function->minArgs || count > function->maxArgs) {
            const QString wanted = function->minArgs == function->maxArgs
                ? QString::number(function->minArgs)
                : QStringLiteral("at least %1").arg(function->minArgs);
            return fail(nameToken.begin, QStringLiteral("%1() takes %2 argument%3, not %4")
                                             .arg(name, wanted, function->maxArgs == 1 ? QString() : QStringLiteral("s"))
                                             .arg(count));
        }
        ShapeExpression::Node node;
        node.op = function->op;
        node.begin = nameToken.begin;
        node.end = close.end;
        if (function->maxArgs == 1) {
            // `/` floors, so ceil(x) of anything but a division would be x: accept only the
            // division and read it as ceildiv, which is what every config means by it.
            const ShapeExpression::Node &arg = m_expr.m_nodes[std::size_t(args[0])];
            if (arg.op != Op::Div)
                return fail(nameToken.begin, QStringLiteral("ceil() takes a division, as in ceil(d_model / 16)"));
            node.args = arg.args;
        } else {
            node.args = std::move(args);
        }
        return add(std::move(node));
    }

    ShapeExpression &m_expr;
    const QString &m_text;
    std::vector<Token> m_tokens;
    std::size_t m_pos = 0;
    ExpressionError m_error;
};

std::variant<ShapeExpression, ExpressionError> ShapeExpression::parseDetailed(const QString &text)
{
    ShapeExpression expr;
    expr.m_text = text;
    ExpressionParser parser(expr);
    if (auto error = parser.run())
        return *error;
    return expr;
}

Result<ShapeExpression> ShapeExpression::parse(const QString &text)
{
    auto parsed = parseDetailed(text);
    if (auto *error = std::get_if<ExpressionError>(&parsed))
        return makeError(QStringLiteral("%1 at position %2 in %3").arg(error->message).arg(error->position + 1).arg(quoted(text)));
    return std::get<ShapeExpression>(std::move(parsed));
}

int ShapeExpression::positionOf(const QString &name) const
{
    int best = -1;
    for (const Node &node : m_nodes) {
        if (node.op == Op::Name && node.name == name && (best < 0 || node.begin < best))
            best = node.begin;
    }
    return best;
}

bool ShapeExpression::isLiteral() const
{
    return m_root >= 0 && m_nodes[std::size_t(m_root)].op == Op::Number;
}

QString ShapeExpression::spanText(int node) const
{
    const Node &n = m_nodes[std::size_t(node)];
    return m_text.mid(n.begin, n.end - n.begin).trimmed();
}

Result<qint64> ShapeExpression::evaluate(const Lookup &lookup) const
{
    if (m_root < 0)
        return makeError(QStringLiteral("empty expression"));
    return eval(m_root, lookup);
}

Result<qint64> ShapeExpression::eval(int index, const Lookup &lookup) const
{
    const Node &node = m_nodes[std::size_t(index)];
    auto overflow = [&] {
        return makeError(QStringLiteral("%1 overflows a 64-bit integer").arg(quoted(spanText(index))));
    };

    switch (node.op) {
    case Op::Number:
        return node.value;
    case Op::Name: {
        const auto value = lookup(node.name);
        if (!value)
            return makeError(QStringLiteral("unknown name %1").arg(quoted(node.name)));
        return *value;
    }
    case Op::Neg:
    case Op::Not: {
        auto v = eval(node.args[0], lookup);
        if (!v)
            return v;
        if (node.op == Op::Not)
            return qint64(*v == 0);
        if (*v == std::numeric_limits<qint64>::min())
            return overflow();
        return -*v;
    }
    case Op::And:
    case Op::Or: {
        // Short-circuit, so `n > 0 && i % n == 0` never divides by zero.
        auto a = eval(node.args[0], lookup);
        if (!a)
            return a;
        if (node.op == Op::And && *a == 0)
            return qint64(0);
        if (node.op == Op::Or && *a != 0)
            return qint64(1);
        auto b = eval(node.args[1], lookup);
        if (!b)
            return b;
        return qint64(*b != 0);
    }
    case Op::Min:
    case Op::Max: {
        qint64 best = 0;
        for (std::size_t k = 0; k < node.args.size(); ++k) {
            auto v = eval(node.args[k], lookup);
            if (!v)
                return v;
            if (k == 0 || (node.op == Op::Min ? *v < best : *v > best))
                best = *v;
        }
        return best;
    }
    default:
        break;
    }

    auto a = eval(node.args[0], lookup);
    if (!a)
        return a;
    auto b = eval(node.args[1], lookup);
    if (!b)
        return b;
    const qint64 x = *a;
    const qint64 y = *b;
    qint64 out = 0;
    auto divisorIsZero = [&] {
        return makeError(QStringLiteral("division by zero: %1 is 0").arg(quoted(spanText(node.args[1]))));
    };

    switch (node.op) {
    case Op::Add:
        if (__builtin_add_overflow(x, y, &out))
            return overflow();
        return out;
    case Op::Sub:
        if (__builtin_sub_overflow(x, y, &out))
            return overflow();
        return out;
    case Op::Mul:
        if (__builtin_mul_overflow(x, y, &out))
            return overflow();
        return out;
    case Op::Div: {
        if (y == 0)
            return divisorIsZero();
        const auto q = floorDiv(x, y);
        if (!q)
            return overflow();
        return *q;
    }
    case Op::Mod:
        if (y == 0)
            return divisorIsZero();
        return floorMod(x, y);
    case Op::CeilDiv: {
        if (y == 0)
            return divisorIsZero();
        const auto q = ceilDiv(x, y);
        if (!q)
            return overflow();
        return *q;
    }
    case Op::RoundUp: {
        if (y <= 0)
            return makeError(QStringLiteral("round_up: the multiple %1 is %2; it must be positive").arg(quoted(spanText(node.args[1]))).arg(y));
        const auto q = ceilDiv(x, y);
        if (!q || __builtin_mul_overflow(*q, y, &out))
            return overflow();
        return out;
    }
    case Op::Eq: return qint64(x == y);
    case Op::Ne: return qint64(x != y);
    case Op::Lt: return qint64(x < y);
    case Op::Le: return qint64(x <= y);
    case Op::Gt: return qint64(x > y);
    case Op::Ge: return qint64(x >= y);
    default:
        break;
    }
    return makeError(QStringLiteral("internal error: unhandled operator in %1").arg(quoted(m_text)));
}

} // namespace tantra
