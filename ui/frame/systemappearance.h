#pragma once

#include <QPalette>

class QApplication;

namespace tantra {

// The Fusion style with the desktop's light or dark preference. Qt 6.4 has no colour-scheme
// API (QStyleHints::colorScheme came in 6.5), so the preference is read where desktops keep
// it: the platform theme's palette, GTK_THEME, KDE's kdeglobals and GNOME's color-scheme
// setting. TANTRA_COLOR_SCHEME=dark|light overrides all of them.
class SystemAppearance
{
public:
    enum class Scheme { Light, Dark };

    static void apply(QApplication &app);
    static Scheme detect(const QPalette &platformPalette);
    static bool isDark(const QPalette &palette);
    static QPalette darkPalette();
};

} // namespace tantra
