#include "modelconfig.h"

#include <limits>

namespace tantra {

QString ConfigError::text() const
{
    QString out = file;
    if (line > 0) {
        out += QLatin1Char(':') + QString::number(line);
        if (column > 0)
            out += QLatin1Char(':') + QString::number(column);
    }
    if (!out.isEmpty())
        out += QStringLiteral(": ");
    return out + message;
}

std::optional<qint64> ModelConfig::dimension(const QString &name) const
{
    const auto d = derived.find(name);
    if (d != derived.end())
        return d->second;
    const auto a = architecture.constFind(name);
    if (a != architecture.constEnd())
        return positiveInteger(*a);
    return std::nullopt;
}

QStringList defaultRuleDtypes()
{
    return {QStringLiteral("F32"), QStringLiteral("BF16"), QStringLiteral("F16")};
}

std::optional<qint64> positiveInteger(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::UInt:
    case QMetaType::Long:
    case QMetaType::Short:
    case QMetaType::UShort:
        break;
    case QMetaType::ULongLong:
    case QMetaType::ULong:
        if (value.toULongLong() > quint64(std::numeric_limits<qint64>::max()))
            return std::nullopt;
        break;
    default:
        return std::nullopt;
    }
    const qint64 v = value.toLongLong();
    if (v <= 0)
        return std::nullopt;
    return v;
}

bool isValidModelTypeName(const QString &type)
{
    if (type.isEmpty() || type.size() > 64 || type.contains(QStringLiteral("..")))
        return false;
    if (type.startsWith(QLatin1Char('.')) || type.startsWith(QLatin1Char('-')))
        return false;
    for (const QChar c : type) {
        const bool ok = (c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
            || (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('_') || c == QLatin1Char('.')
            || c == QLatin1Char('-');
        if (!ok)
            return false;
    }
    return true;
}

} // namespace tantra
