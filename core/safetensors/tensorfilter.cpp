#include "tensorfilter.h"

#include <fnmatch.h>

#include <string>

namespace tantra {

TensorFilter::TensorFilter(const QString &pattern)
{
    if (pattern.size() >= 2 && pattern.startsWith(QLatin1Char('/')) && pattern.endsWith(QLatin1Char('/'))) {
        m_isRegex = true;
        m_regex = QRegularExpression(pattern.mid(1, pattern.size() - 2));
        m_regex.optimize();
    } else {
        m_glob = pattern.toUtf8();
    }
}

bool TensorFilter::matches(std::string_view name) const
{
    if (m_isRegex)
        return m_regex.match(QString::fromUtf8(name.data(), qsizetype(name.size()))).hasMatch();
    if (m_glob.isEmpty())
        return true;
    const std::string zname(name);
    return ::fnmatch(m_glob.constData(), zname.c_str(), 0) == 0;
}

} // namespace tantra
