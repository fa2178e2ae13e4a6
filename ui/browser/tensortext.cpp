#include "tensortext.h"

#include <QLocale>

#include <algorithm>

namespace tantra {

QString TensorText::shape(const std::vector<std::uint64_t> &shape)
{
    QString text = QStringLiteral("[");
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i)
            text += QStringLiteral(", ");
        text += QString::number(shape[i]);
    }
    return text + QLatin1Char(']');
}

QString TensorText::bytes(std::uint64_t bytes)
{
    return QLocale().formattedDataSize(qint64(bytes), 1, QLocale::DataSizeIecFormat);
}

QString TensorText::count(std::uint64_t count)
{
    return QLocale().toString(qulonglong(count));
}

QString TensorText::counted(std::uint64_t n, const QString &singular, const QString &plural)
{
    return count(n) + QLatin1Char(' ') + (n == 1 ? singular : plural);
}

QString TensorText::breadcrumb(const QString &name)
{
    QString text = name;
    return text.replace(QLatin1Char('.'), QStringLiteral(" \u203A "));
}

int TensorText::naturalCompare(std::string_view a, std::string_view b)
{
    const auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
    // Names share long prefixes ("model.layers."): skip the identical bytes, backing up to
    // the start of a digit run cut by the first difference, where numbers must compare whole.
    std::size_t common = 0;
    const std::size_t shorter = std::min(a.size(), b.size());
    while (common < shorter && a[common] == b[common])
        ++common;
    while (common > 0 && isDigit(a[common - 1]))
        --common;
    a.remove_prefix(common);
    b.remove_prefix(common);

    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() && j < b.size()) {
        if (isDigit(a[i]) && isDigit(b[j])) {
            // Compare digit runs by value: skip leading zeros, then the longer run is larger.
            std::size_t si = i;
            std::size_t sj = j;
            while (si < a.size() && a[si] == '0')
                ++si;
            while (sj < b.size() && b[sj] == '0')
                ++sj;
            std::size_t ei = si;
            std::size_t ej = sj;
            while (ei < a.size() && isDigit(a[ei]))
                ++ei;
            while (ej < b.size() && isDigit(b[ej]))
                ++ej;
            if (ei - si != ej - sj)
                return ei - si < ej - sj ? -1 : 1;
            if (const int c = a.substr(si, ei - si).compare(b.substr(sj, ej - sj)))
                return c;
            // Equal values: "01" sorts after "1" so the order stays total.
            if (ei - i != ej - j)
                return ei - i < ej - j ? -1 : 1;
            i = ei;
            j = ej;
            continue;
        }
        if (a[i] != b[j])
            return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
        ++i;
        ++j;
    }
    if (i < a.size())
        return 1;
    if (j < b.size())
        return -1;
    return 0;
}

} // namespace tantra
