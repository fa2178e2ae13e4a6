#include "shapeexpression.h"

#include <QTest>

#include <limits>
#include <map>

using namespace tantra;

namespace {

// "a=1, b=2" → a lookup over those names.
ShapeExpression::Lookup lookupOf(const QString &bindings)
{
    std::map<QString, qint64> values;
    for (const QString &pair : bindings.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QStringList kv = pair.split(QLatin1Char('='));
        values[kv[0].trimmed()] = kv[1].trimmed().toLongLong();
    }
    return [values](const QString &name) -> std::optional<qint64> {
        const auto it = values.find(name);
        if (it == values.end())
            return std::nullopt;
        return it->second;
    };
}

} // namespace

class TestShapeExpression : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void evaluate_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("bindings");
        QTest::addColumn<qint64>("expected");

        QTest::newRow("literal") << "42" << "" << qint64(42);
        QTest::newRow("name") << "d_model" << "d_model=768" << qint64(768);
        QTest::newRow("precedence") << "2 + 3 * 4" << "" << qint64(14);
        QTest::newRow("parentheses") << "(2 + 3) * 4" << "" << qint64(20);
        QTest::newRow("left-assoc minus") << "10 - 3 - 2" << "" << qint64(5);
        QTest::newRow("left-assoc divide") << "100 / 10 / 5" << "" << qint64(2);
        QTest::newRow("floor division") << "7 / 2" << "" << qint64(3);
        QTest::newRow("floor division negative") << "-7 / 2" << "" << qint64(-4);
        QTest::newRow("floor division negative divisor") << "7 / -2" << "" << qint64(-4);
        QTest::newRow("modulo") << "7 % 3" << "" << qint64(1);
        QTest::newRow("modulo negative dividend") << "-7 % 3" << "" << qint64(2);
        QTest::newRow("modulo negative divisor") << "7 % -3" << "" << qint64(-2);
        QTest::newRow("unary minus") << "-d + 1" << "d=5" << qint64(-4);
        QTest::newRow("unary plus") << "+d" << "d=5" << qint64(5);
        QTest::newRow("double negation") << "- -3" << "" << qint64(3);
        QTest::newRow("mamba d_inner") << "expand * d_model" << "expand=2, d_model=768" << qint64(1536);
        QTest::newRow("mamba dt_rank ceil") << "ceil(d_model / 16)" << "d_model=768" << qint64(48);
        QTest::newRow("ceil rounds up") << "ceil(d_model / 16)" << "d_model=769" << qint64(49);
        QTest::newRow("ceil of parenthesised division") << "ceil((d_model / 16))" << "d_model=770" << qint64(49);
        QTest::newRow("ceildiv") << "ceildiv(d_model, 16)" << "d_model=130" << qint64(9);
        QTest::newRow("ceildiv exact") << "ceildiv(64, 16)" << "" << qint64(4);
        QTest::newRow("ceildiv negative") << "ceildiv(-7, 2)" << "" << qint64(-3);
        QTest::newRow("round_up") << "round_up(vocab_size, pad)" << "vocab_size=50277, pad=8" << qint64(50280);
        QTest::newRow("round_up already multiple") << "round_up(50280, 8)" << "" << qint64(50280);
        QTest::newRow("x_proj rows") << "dt_rank + 2*d_state" << "dt_rank=48, d_state=16" << qint64(80);
        QTest::newRow("min") << "min(3, 1, 2)" << "" << qint64(1);
        QTest::newRow("max") << "max(3, a, 2)" << "a=9" << qint64(9);
        QTest::newRow("nested functions") << "max(ceildiv(a, 3), min(a, 2) * 10)" << "a=10" << qint64(20);
        QTest::newRow("equal true") << "i % moe_every == moe_every - 1" << "i=3, moe_every=2" << qint64(1);
        QTest::newRow("equal false") << "i % moe_every == moe_every - 1" << "i=2, moe_every=2" << qint64(0);
        QTest::newRow("not equal") << "a != 2" << "a=2" << qint64(0);
        QTest::newRow("less") << "1 < 2" << "" << qint64(1);
        QTest::newRow("less equal") << "2 <= 2" << "" << qint64(1);
        QTest::newRow("greater") << "1 > 2" << "" << qint64(0);
        QTest::newRow("greater equal") << "3 >= 2" << "" << qint64(1);
        QTest::newRow("and") << "1 < 2 && 2 < 1" << "" << qint64(0);
        QTest::newRow("or") << "1 < 2 || 2 < 1" << "" << qint64(1);
        QTest::newRow("and binds tighter than or") << "1 || 0 && 0" << "" << qint64(1);
        QTest::newRow("not") << "!(i % 2)" << "i=4" << qint64(1);
        QTest::newRow("comparison below arithmetic") << "1 + 1 == 2" << "" << qint64(1);
        QTest::newRow("short-circuit and avoids division by zero") << "b != 0 && a / b > 1" << "a=4, b=0" << qint64(0);
        QTest::newRow("short-circuit or") << "b == 0 || a / b > 1" << "a=4, b=0" << qint64(1);
        QTest::newRow("whitespace and tabs") << "\t a\t*  b " << "a=3, b=4" << qint64(12);
        QTest::newRow("largest integer") << "9223372036854775807" << "" << std::numeric_limits<qint64>::max();
        QTest::newRow("smallest integer") << "-9223372036854775807 - 1" << "" << std::numeric_limits<qint64>::min();
    }
    void evaluate()
    {
        QFETCH(QString, text);
        QFETCH(QString, bindings);
        QFETCH(qint64, expected);
        const auto expr = ShapeExpression::parse(text);
        QVERIFY2(expr.ok(), qPrintable(expr.ok() ? QString() : expr.errorString()));
        const auto value = expr->evaluate(lookupOf(bindings));
        QVERIFY2(value.ok(), qPrintable(value.ok() ? QString() : value.errorString()));
        QCOMPARE(*value, expected);
    }

    void parseErrors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("position");
        QTest::addColumn<QString>("message");

        QTest::newRow("empty") << "" << 0 << "empty expression at position 1 in ''";
        QTest::newRow("blank") << "   " << 0 << "empty expression at position 1 in '   '";
        QTest::newRow("dangling operator") << "a +" << 3
                                           << "expected a number, a name or '(' but found end of the expression at position 4 in 'a +'";
        QTest::newRow("unclosed parenthesis") << "(a + b" << 6 << "expected ')' but found end of the expression at position 7 in '(a + b'";
        QTest::newRow("stray closing parenthesis") << "a)" << 1 << "unexpected ')' after the end of the expression at position 2 in 'a)'";
        QTest::newRow("two names") << "a b" << 2 << "unexpected 'b' after the end of the expression at position 3 in 'a b'";
        QTest::newRow("bad character") << "a $ b" << 2 << "unexpected character '$' at position 3 in 'a $ b'";
        QTest::newRow("fraction") << "1.5 * a" << 1
                                  << "unexpected '.' in a number (only whole numbers are allowed) at position 2 in '1.5 * a'";
        QTest::newRow("name starting with a digit") << "2d_model" << 1
                                                    << "unexpected 'd' in a number (only whole numbers are allowed) at position 2 in '2d_model'";
        QTest::newRow("number too large") << "99999999999999999999" << 0
                                          << "number too large for a 64-bit integer at position 1 in '99999999999999999999'";
        QTest::newRow("single equals") << "a = b" << 2 << "'=' is not an operator; compare with '==' at position 3 in 'a = b'";
        QTest::newRow("single ampersand") << "a & b" << 2 << "'&' is not an operator; use '&&' at position 3 in 'a & b'";
        QTest::newRow("single bar") << "a | b" << 2 << "'|' is not an operator; use '||' at position 3 in 'a | b'";
        QTest::newRow("chained comparison") << "a < b < c" << 6
                                            << "comparisons cannot be chained; join them with '&&' at position 7 in 'a < b < c'";
        QTest::newRow("unknown function") << "pow(a, 2)" << 0
                                          << "unknown function 'pow' (functions: ceil, ceildiv, round_up, min, max) at position 1 in 'pow(a, 2)'";
        QTest::newRow("ceildiv with one argument") << "ceildiv(a)" << 0 << "ceildiv() takes 2 arguments, not 1 at position 1 in 'ceildiv(a)'";
        QTest::newRow("round_up with three arguments") << "round_up(a, 8, 2)" << 0
                                                       << "round_up() takes 2 arguments, not 3 at position 1 in 'round_up(a, 8, 2)'";
        QTest::newRow("ceil with two arguments") << "ceil(a, b)" << 0 << "ceil() takes 1 argument, not 2 at position 1 in 'ceil(a, b)'";
        QTest::newRow("ceil without a division") << "ceil(a + 1)" << 0
                                                 << "ceil() takes a division, as in ceil(d_model / 16) at position 1 in 'ceil(a + 1)'";
        QTest::newRow("min with one argument") << "min(a)" << 0 << "min() takes at least 2 arguments, not 1 at position 1 in 'min(a)'";
        QTest::newRow("empty argument") << "max(1,)" << 6
                                        << "expected a number, a name or '(' but found ')' at position 7 in 'max(1,)'";
        QTest::newRow("unclosed call") << "min(1, 2" << 8
                                       << "expected ',' or ')' but found end of the expression at position 9 in 'min(1, 2'";
        const QString deep = QString(70, QLatin1Char('(')) + QLatin1Char('1') + QString(70, QLatin1Char(')'));
        QTest::newRow("nested too deeply") << deep << 65 << QStringLiteral("expression nested too deeply at position 66 in '%1'").arg(deep);
        QString chain = QStringLiteral("1");
        for (int k = 0; k < 300; ++k)
            chain += QStringLiteral("+1");
        QTest::newRow("too many tokens") << chain << 512 << QStringLiteral("expression too long (more than 512 tokens) at position 513 in '%1'").arg(chain);
    }
    void parseErrors()
    {
        QFETCH(QString, text);
        QFETCH(int, position);
        QFETCH(QString, message);
        const auto parsed = ShapeExpression::parse(text);
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.errorString(), message);
        const auto detailed = ShapeExpression::parseDetailed(text);
        QVERIFY(std::holds_alternative<ExpressionError>(detailed));
        QCOMPARE(std::get<ExpressionError>(detailed).position, position);
    }

    void evaluateErrors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("bindings");
        QTest::addColumn<QString>("message");

        QTest::newRow("unknown name") << "d_model * 2" << "" << "unknown name 'd_model'";
        QTest::newRow("division by zero") << "a / b" << "a=1, b=0" << "division by zero: 'b' is 0";
        QTest::newRow("division by zero expression") << "a / (b - 2)" << "a=1, b=2" << "division by zero: '(b - 2)' is 0";
        QTest::newRow("modulo by zero") << "i % n" << "i=1, n=0" << "division by zero: 'n' is 0";
        QTest::newRow("ceildiv by zero") << "ceildiv(a, n)" << "a=1, n=0" << "division by zero: 'n' is 0";
        QTest::newRow("ceil by zero") << "ceil(a / n)" << "a=1, n=0" << "division by zero: 'n' is 0";
        QTest::newRow("round_up by zero") << "round_up(v, m)" << "v=5, m=0" << "round_up: the multiple 'm' is 0; it must be positive";
        QTest::newRow("round_up by negative") << "round_up(v, 0 - 8)" << "v=5" << "round_up: the multiple '0 - 8' is -8; it must be positive";
        QTest::newRow("addition overflow") << "9223372036854775807 + a" << "a=1" << "'9223372036854775807 + a' overflows a 64-bit integer";
        QTest::newRow("subtraction overflow") << "-9223372036854775807 - 2" << "" << "'-9223372036854775807 - 2' overflows a 64-bit integer";
        QTest::newRow("multiplication overflow") << "a * a" << "a=4294967296" << "'a * a' overflows a 64-bit integer";
        QTest::newRow("negation overflow") << "-(0 - 9223372036854775807 - 1)" << ""
                                           << "'-(0 - 9223372036854775807 - 1)' overflows a 64-bit integer";
        QTest::newRow("division overflow") << "(0 - 9223372036854775807 - 1) / -1" << ""
                                           << "'(0 - 9223372036854775807 - 1) / -1' overflows a 64-bit integer";
        QTest::newRow("round_up overflow") << "round_up(9223372036854775807, 2)" << ""
                                           << "'round_up(9223372036854775807, 2)' overflows a 64-bit integer";
        QTest::newRow("nested error surfaces") << "max(1, 2 * (a / b))" << "a=1, b=0" << "division by zero: 'b' is 0";
    }
    void evaluateErrors()
    {
        QFETCH(QString, text);
        QFETCH(QString, bindings);
        QFETCH(QString, message);
        const auto expr = ShapeExpression::parse(text);
        QVERIFY2(expr.ok(), qPrintable(expr.ok() ? QString() : expr.errorString()));
        const auto value = expr->evaluate(lookupOf(bindings));
        QVERIFY(!value.ok());
        QCOMPARE(value.errorString(), message);
    }

    void namesInOrderWithoutFunctions()
    {
        const auto expr = ShapeExpression::parse(QStringLiteral("round_up(vocab, pad) + ceil(d_model / 16) * vocab + min(pad, x)"));
        QVERIFY(expr.ok());
        QCOMPARE(expr->names(), (QStringList{QStringLiteral("vocab"), QStringLiteral("pad"), QStringLiteral("d_model"), QStringLiteral("x")}));
        QCOMPARE(expr->positionOf(QStringLiteral("d_model")), 28);
        QCOMPARE(expr->positionOf(QStringLiteral("missing")), -1);
        QCOMPARE(expr->text(), QStringLiteral("round_up(vocab, pad) + ceil(d_model / 16) * vocab + min(pad, x)"));
    }

    void literalDetection()
    {
        QVERIFY(ShapeExpression::parse(QStringLiteral(" 1 "))->isLiteral());
        QVERIFY(!ShapeExpression::parse(QStringLiteral("1 + 1"))->isLiteral());
        QVERIFY(!ShapeExpression::parse(QStringLiteral("d"))->isLiteral());
    }

    // One parse serves every layer: the lookup is consulted at each evaluation.
    void reusedWithDifferentBindings()
    {
        const auto expr = ShapeExpression::parse(QStringLiteral("i * 10 + e"));
        QVERIFY(expr.ok());
        QCOMPARE(*expr->evaluate(lookupOf(QStringLiteral("i=0, e=1"))), qint64(1));
        QCOMPARE(*expr->evaluate(lookupOf(QStringLiteral("i=3, e=2"))), qint64(32));
    }
};

QTEST_GUILESS_MAIN(TestShapeExpression)
#include "tst_shapeexpression.moc"
