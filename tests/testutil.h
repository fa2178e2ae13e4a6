#pragma once

#include "dtype.h"
#include "safetensorswriter.h"

#include <QByteArray>
#include <QString>
#include <QTest>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tantra::test {

// The real-world corpus (../shared/corpus), from $TANTRA_CORPUS_DIR. Returns an empty string
// when the variable is unset (a user's fresh clone): the caller then QSKIPs with a clear
// message. When the variable is set but the folder is missing, returns the path anyway so
// the test fails loudly instead of silently skipping in CI.
QString corpusDir();

// Writes raw bytes to a file (for hand-made malformed files). Returns the path.
QString writeBytes(const QString &path, const QByteArray &bytes);

// A safetensors file image: 8-byte little-endian length, then `json`, then `data`.
QByteArray safetensorsBytes(const QByteArray &json, const QByteArray &data = {});

// The CLI executable, from $TANTRA_CLI (set by CTest).
QString cliPath();

// Deterministic pseudo-random bytes (same seed, same bytes), so a failure reproduces.
QByteArray randomBytes(qsizetype size, std::uint32_t seed);

// A view of a QByteArray's bytes, for the span-taking engine API.
inline std::span<const std::byte> bytesOf(const QByteArray &bytes)
{
    return std::as_bytes(std::span(bytes.constData(), std::size_t(bytes.size())));
}

// The error text of a failed Result, or a marker when it unexpectedly succeeded: for
// QVERIFY2 messages and for comparing error texts in one line.
template<typename R>
QString errorOf(const R &result)
{
    return result.ok() ? QStringLiteral("<no error>") : result.errorString();
}

} // namespace tantra::test

// Lets QCOMPARE print std::string values (names, metadata) when they differ.
template<>
inline char *QTest::toString(const std::string &value)
{
    return qstrdup(value.c_str());
}
