#include "testutil.h"

#include <QFile>
#include <QtGlobal>

#include <cstring>

namespace tantra::test {

QString corpusDir()
{
    return qEnvironmentVariable("TANTRA_CORPUS_DIR");
}

QString writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
        qFatal("cannot write test fixture %s", qPrintable(path));
    return path;
}

QByteArray safetensorsBytes(const QByteArray &json, const QByteArray &data)
{
    QByteArray out(8, '\0');
    const std::uint64_t n = std::uint64_t(json.size());
    std::memcpy(out.data(), &n, 8);
    return out + json + data;
}

QString cliPath()
{
    return qEnvironmentVariable("TANTRA_CLI");
}

} // namespace tantra::test
