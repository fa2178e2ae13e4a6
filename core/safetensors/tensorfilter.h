#pragma once

#include <QRegularExpression>
#include <QString>

#include <string_view>

namespace tantra {

// Matches tensor names against a shell glob (fnmatch: `*` also crosses dots, so
// `*.mixer.*` works) or, when the pattern is written /like this/, a regular expression.
class TensorFilter
{
public:
    TensorFilter() = default;
    explicit TensorFilter(const QString &pattern);

    bool isEmpty() const { return m_glob.isEmpty() && !m_isRegex; }
    bool isValid() const { return !m_isRegex || m_regex.isValid(); }
    QString errorString() const { return m_regex.errorString(); }
    bool matches(std::string_view name) const;

private:
    QByteArray m_glob;
    QRegularExpression m_regex;
    bool m_isRegex = false;
};

} // namespace tantra
