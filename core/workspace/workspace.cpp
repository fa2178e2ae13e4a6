#include "workspace.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

namespace tantra {

Workspace::Workspace(const QString &root) : m_root(QDir(root).absolutePath())
{
}

QString Workspace::resolveRoot(const QString &explicitRoot)
{
    if (!explicitRoot.isEmpty())
        return explicitRoot;
    const QString env = qEnvironmentVariable("TANTRA_ROOT");
    return env.isEmpty() ? QDir::currentPath() : env;
}

QString Workspace::modelDir() const
{
    return m_root + QStringLiteral("/Model");
}

QString Workspace::weightsDir() const
{
    return m_root + QStringLiteral("/Model/weights");
}

QString Workspace::backupsDir() const
{
    return m_root + QStringLiteral("/Model/backups");
}

QString Workspace::checkpointsDir() const
{
    return m_root + QStringLiteral("/Model/checkpoints");
}

QString Workspace::registryPath() const
{
    return m_root + QStringLiteral("/Model/weight_config.json");
}

QString Workspace::configDir() const
{
    return m_root + QStringLiteral("/Config");
}

Status Workspace::createLayout() const
{
    for (const QString &dir : {weightsDir(), backupsDir(), checkpointsDir(), configDir()}) {
        if (!QDir().mkpath(dir))
            return makeError(dir, QStringLiteral("cannot create the folder (check permissions and free space)"));
    }
    return {};
}

bool Workspace::hasLayout() const
{
    return QFileInfo(weightsDir()).isDir() && QFileInfo(configDir()).isDir();
}

QString Workspace::absolutePath(const QString &relative) const
{
    return QDir::cleanPath(QDir(m_root).filePath(relative));
}

QString Workspace::relativePath(const QString &absolute) const
{
    return QDir(m_root).relativeFilePath(absolute);
}

Status Workspace::checkInside(const QString &absolute) const
{
    const QString rootCanonical = QFileInfo(m_root).canonicalFilePath();
    const QFileInfo info(absolute);
    // canonicalFilePath resolves symlinks; for a path that does not exist yet, check its folder.
    QString canonical = info.exists() ? info.canonicalFilePath() : QFileInfo(info.absolutePath()).canonicalFilePath();
    if (canonical.isEmpty())
        canonical = QDir::cleanPath(info.absoluteFilePath());
    if (rootCanonical.isEmpty() || !(canonical == rootCanonical || canonical.startsWith(rootCanonical + QLatin1Char('/'))))
        return makeError(absolute, QStringLiteral("leads outside the workspace ") + m_root
                         + (info.isSymLink() ? QStringLiteral(" (through a symbolic link); refusing to use it")
                                             : QStringLiteral("; refusing to use it")));
    return {};
}

Status validateName(const QString &name, const QString &what, int maxLength)
{
    static const QRegularExpression allowed(QStringLiteral("^[A-Za-z0-9_.+-]+$"));
    if (name.isEmpty())
        return makeError(QStringLiteral("the %1 is empty").arg(what));
    if (name.size() > maxLength)
        return makeError(QStringLiteral("the %1 '%2…' is longer than %3 characters").arg(what, name.left(40), QString::number(maxLength)));
    for (const QChar c : name) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return makeError(QStringLiteral("the %1 contains a control character").arg(what));
    }
    if (name.contains(QLatin1Char('/')) || name.contains(QLatin1Char('\\')))
        return makeError(QStringLiteral("the %1 '%2' contains a path separator").arg(what, name));
    if (name.contains(QStringLiteral("..")))
        return makeError(QStringLiteral("the %1 '%2' contains '..'").arg(what, name));
    if (name.startsWith(QLatin1Char('.')))
        return makeError(QStringLiteral("the %1 '%2' starts with '.'").arg(what, name));
    if (!allowed.match(name).hasMatch())
        return makeError(QStringLiteral("the %1 '%2' may only hold letters, digits and _ - . +").arg(what, name));
    return {};
}

QString weightName(const QString &type, const QString &version)
{
    return type + QLatin1Char('_') + version;
}

} // namespace tantra
