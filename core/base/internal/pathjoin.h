#pragma once

#include <QDir>
#include <QString>

namespace tantra {

// `name` in the folder `dir`. Not QDir::filePath: it takes a name that starts with ':' for a Qt
// resource path and returns it unchanged, so a shard or archive member named ":x" was opened or
// written relative to the current folder instead of inside the workspace. `name` must already
// be a single validated file name (no '/', no ".."); this only joins.
inline QString joinPath(const QString &dir, const QString &name)
{
    if (dir.endsWith(QLatin1Char('/')))
        return dir + name;
    return dir + QLatin1Char('/') + name;
}

inline QString joinPath(const QDir &dir, const QString &name)
{
    return joinPath(dir.path(), name);
}

} // namespace tantra
