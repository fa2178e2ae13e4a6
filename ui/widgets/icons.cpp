#include "icons.h"

#include "svgiconengine.h"

#include <QHash>

// The resources are compiled into the static tantra_ui library, where nothing would otherwise
// reference them and the linker would drop them; this call keeps them in.
static void initResources()
{
    Q_INIT_RESOURCE(resources);
}

namespace tantra {

QIcon Icons::get(const QString &name)
{
    // QIcon shares its engine; keeping one per name avoids re-reading the resource.
    static const bool initialized = (initResources(), true);
    Q_UNUSED(initialized);
    static QHash<QString, QIcon> cache;
    auto it = cache.find(name);
    if (it == cache.end())
        it = cache.insert(name, QIcon(new SvgIconEngine(QStringLiteral(":/icons/") + name + QStringLiteral(".svg"))));
    return *it;
}

} // namespace tantra
