#pragma once

#include <QIcon>
#include <QString>

namespace tantra {

// The application's icons, drawn from the SVG files in resources/icons/. Monochrome icons are
// tinted with the palette's text colour when painted, so they stay visible on a dark desktop;
// being vectors they are sharp at any device pixel ratio.
class Icons
{
public:
    // `name` is the file's base name: "open-file" for :/icons/open-file.svg.
    static QIcon get(const QString &name);
    static QIcon app() { return get(QStringLiteral("app")); }
};

} // namespace tantra
