#pragma once

#include "dtype.h"
#include "safetensorswriter.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
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

} // namespace tantra::test
