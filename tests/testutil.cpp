#include "testutil.h"

#include <QFile>
#include <QtGlobal>

#include <cstring>
#include <random>

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

QByteArray randomBytes(qsizetype size, std::uint32_t seed)
{
    // mt19937 is specified bit for bit by the standard: the same bytes on every platform.
    // Four bytes per draw: tests ask for up to 80 MiB.
    std::mt19937 generator(seed);
    QByteArray out(size, Qt::Uninitialized);
    char *p = out.data();
    qsizetype i = 0;
    for (; i + 4 <= size; i += 4) {
        const std::uint32_t word = generator();
        std::memcpy(p + i, &word, 4);
    }
    for (; i < size; ++i)
        p[i] = char(generator() & 0xff);
    return out;
}

} // namespace tantra::test
