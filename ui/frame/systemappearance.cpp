#include "systemappearance.h"

#include <QApplication>
#include <QDir>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QStyle>
#include <QStyleFactory>

#include <optional>

namespace tantra {

namespace {

std::optional<SystemAppearance::Scheme> fromText(const QString &text)
{
    if (text.contains(QLatin1String("dark"), Qt::CaseInsensitive))
        return SystemAppearance::Scheme::Dark;
    if (text.contains(QLatin1String("light"), Qt::CaseInsensitive))
        return SystemAppearance::Scheme::Light;
    return std::nullopt;
}

std::optional<SystemAppearance::Scheme> kdePreference()
{
    const QString path = QStandardPaths::locate(QStandardPaths::GenericConfigLocation, QStringLiteral("kdeglobals"));
    if (path.isEmpty())
        return std::nullopt;
    const QSettings kde(path, QSettings::IniFormat);
    const QStringList rgb = kde.value(QStringLiteral("Colors:Window/BackgroundNormal")).toStringList();
    if (rgb.size() >= 3) {
        const QColor window(rgb[0].toInt(), rgb[1].toInt(), rgb[2].toInt());
        return window.lightness() < 128 ? SystemAppearance::Scheme::Dark : SystemAppearance::Scheme::Light;
    }
    return fromText(kde.value(QStringLiteral("General/ColorScheme")).toString());
}

std::optional<SystemAppearance::Scheme> gnomePreference()
{
    if (!qEnvironmentVariable("XDG_CURRENT_DESKTOP").contains(QLatin1String("GNOME"), Qt::CaseInsensitive))
        return std::nullopt;
    const QString gsettings = QStandardPaths::findExecutable(QStringLiteral("gsettings"));
    if (gsettings.isEmpty())
        return std::nullopt;
    const auto read = [&gsettings](const QString &key) {
        QProcess process;
        process.start(gsettings, {QStringLiteral("get"), QStringLiteral("org.gnome.desktop.interface"), key});
        // A desktop setting is worth a short wait at start-up, not a hang.
        return process.waitForFinished(500) ? QString::fromUtf8(process.readAllStandardOutput()) : QString();
    };
    // color-scheme is 'default', 'prefer-dark' or 'prefer-light'; 'default' defers to the theme.
    const QString scheme = read(QStringLiteral("color-scheme"));
    if (scheme.contains(QLatin1String("prefer-")))
        return fromText(scheme);
    if (read(QStringLiteral("gtk-theme")).contains(QLatin1String("dark"), Qt::CaseInsensitive))
        return SystemAppearance::Scheme::Dark;
    return std::nullopt;
}

} // namespace

bool SystemAppearance::isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < palette.color(QPalette::WindowText).lightness();
}

SystemAppearance::Scheme SystemAppearance::detect(const QPalette &platformPalette)
{
    if (auto scheme = fromText(qEnvironmentVariable("TANTRA_COLOR_SCHEME")))
        return *scheme;
    if (isDark(platformPalette))
        return Scheme::Dark;
    if (auto scheme = fromText(qEnvironmentVariable("GTK_THEME")))
        return *scheme;
    if (auto scheme = kdePreference())
        return *scheme;
    if (auto scheme = gnomePreference())
        return *scheme;
    return Scheme::Light;
}

QPalette SystemAppearance::darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31);
    const QColor base(0x1f, 0x21, 0x24);
    const QColor text(0xe6, 0xe6, 0xe6);
    const QColor disabledText(0x80, 0x82, 0x86);
    const QColor highlight(0x3d, 0x7e, 0xd6);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2c));
    p.setColor(QPalette::ToolTipBase, QColor(0x36, 0x38, 0x3d));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, disabledText);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x35, 0x37, 0x3c));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
    p.setColor(QPalette::Light, QColor(0x45, 0x47, 0x4d));
    p.setColor(QPalette::Midlight, QColor(0x3a, 0x3c, 0x41));
    p.setColor(QPalette::Mid, QColor(0x26, 0x28, 0x2c));
    p.setColor(QPalette::Dark, QColor(0x1a, 0x1b, 0x1e));
    p.setColor(QPalette::Shadow, QColor(0x10, 0x10, 0x12));
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x6c, 0xa8, 0xf0));
    p.setColor(QPalette::LinkVisited, QColor(0xa8, 0x8c, 0xe8));
    for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabledText);
    p.setColor(QPalette::Disabled, QPalette::Highlight, QColor(0x4a, 0x4c, 0x52));
    p.setColor(QPalette::Disabled, QPalette::HighlightedText, disabledText);
    return p;
}

void SystemAppearance::apply(QApplication &app)
{
    // The platform's palette, read before Fusion is set: that is the desktop's choice.
    const QPalette platform = QApplication::palette();
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    if (detect(platform) == Scheme::Dark) {
        app.setPalette(isDark(platform) ? platform : darkPalette());
    } else {
        app.setPalette(isDark(platform) ? QApplication::style()->standardPalette() : platform);
    }
}

} // namespace tantra
