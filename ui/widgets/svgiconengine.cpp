#include "svgiconengine.h"

#include <QFile>
#include <QGuiApplication>
#include <QPainter>
#include <QPalette>
#include <QPixmapCache>
#include <QSvgRenderer>

namespace tantra {

namespace {

QColor tintFor(QIcon::Mode mode)
{
    const QPalette palette = QGuiApplication::palette();
    if (mode == QIcon::Disabled)
        return palette.color(QPalette::Disabled, QPalette::WindowText);
    if (mode == QIcon::Selected)
        return palette.color(QPalette::Active, QPalette::HighlightedText);
    return palette.color(QPalette::Active, QPalette::WindowText);
}

} // namespace

SvgIconEngine::SvgIconEngine(const QString &resourcePath)
    : m_path(resourcePath)
{
    QFile file(resourcePath);
    if (file.open(QIODevice::ReadOnly))
        m_svg = file.readAll();
}

QIconEngine *SvgIconEngine::clone() const
{
    return new SvgIconEngine(*this);
}

QSize SvgIconEngine::actualSize(const QSize &size, QIcon::Mode, QIcon::State)
{
    return size;
}

void SvgIconEngine::paint(QPainter *painter, const QRect &rect, QIcon::Mode mode, QIcon::State state)
{
    const qreal scale = painter->device() ? painter->device()->devicePixelRatioF() : 1.0;
    painter->drawPixmap(rect, scaledPixmap(rect.size(), mode, state, scale));
}

QPixmap SvgIconEngine::pixmap(const QSize &size, QIcon::Mode mode, QIcon::State state)
{
    return scaledPixmap(size, mode, state, 1.0);
}

QPixmap SvgIconEngine::scaledPixmap(const QSize &size, QIcon::Mode mode, QIcon::State, qreal scale)
{
    const QColor tint = tintFor(mode);
    const QSize pixels = size * scale;
    const QString cacheKey = QStringLiteral("tantra-icon:%1:%2x%3:%4")
                                     .arg(m_path)
                                     .arg(pixels.width())
                                     .arg(pixels.height())
                                     .arg(tint.rgba(), 0, 16);
    QPixmap cached;
    if (QPixmapCache::find(cacheKey, &cached))
        return cached;

    QByteArray svg = m_svg;
    svg.replace(kTemplateColor, tint.name(QColor::HexRgb).toLatin1());
    QSvgRenderer renderer(svg);
    QImage image(pixels, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::transparent);
    {
        QPainter p(&image);
        p.setRenderHint(QPainter::Antialiasing);
        renderer.render(&p, QRectF(QPointF(0, 0), QSizeF(pixels)));
    }
    if (mode == QIcon::Disabled && !m_svg.contains(kTemplateColor)) {
        // Coloured icons (active, warning, app) have no template colour to swap: grey and
        // fade them, or a disabled green check still reads as "available".
        QImage faded(image.size(), QImage::Format_ARGB32);
        const QImage straight = image.convertToFormat(QImage::Format_ARGB32);
        for (int y = 0; y < straight.height(); ++y) {
            const auto *in = reinterpret_cast<const QRgb *>(straight.constScanLine(y));
            auto *out = reinterpret_cast<QRgb *>(faded.scanLine(y));
            for (int x = 0; x < straight.width(); ++x) {
                const int grey = qGray(in[x]);
                out[x] = qRgba(grey, grey, grey, qAlpha(in[x]) * 45 / 100);
            }
        }
        image = faded.convertToFormat(QImage::Format_ARGB32_Premultiplied);
    }
    QPixmap pixmap = QPixmap::fromImage(image);
    pixmap.setDevicePixelRatio(scale);
    QPixmapCache::insert(cacheKey, pixmap);
    return pixmap;
}

} // namespace tantra
