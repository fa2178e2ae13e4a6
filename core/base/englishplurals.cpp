#include "englishplurals.h"

#include <QCoreApplication>

namespace tantra {

QString EnglishPlurals::translate(const char *, const char *sourceText, const char *, int n) const
{
    return resolve(sourceText, n);
}

QString EnglishPlurals::resolve(const char *sourceText, int n)
{
    if (n < 0 || !sourceText)
        return QString();
    QString text = QString::fromUtf8(sourceText);
    const bool counted = text.contains(QLatin1String("%n")) || text.contains(QLatin1String("%Ln"));
    if (!counted || !(text.contains(QLatin1String("(s)")) || text.contains(QLatin1String("(es)"))))
        return QString();
    // Qt still replaces %n (with the count, localised for %Ln) after a translator answered.
    text.replace(QLatin1String("(s)"), n == 1 ? QString() : QStringLiteral("s"));
    text.replace(QLatin1String("(es)"), n == 1 ? QString() : QStringLiteral("es"));
    return text;
}

QString plural(const char *text, qint64 n)
{
    QString out = EnglishPlurals::resolve(text, n == 1 ? 1 : 2);
    if (out.isNull())
        out = QString::fromUtf8(text);
    return out.replace(QLatin1String("%n"), QString::number(n));
}

void installEnglishPlurals(QCoreApplication *app)
{
    // Installed first, so any real translation installed later is asked before it.
    QCoreApplication::installTranslator(new EnglishPlurals(app));
}

} // namespace tantra
