#pragma once

#include <QByteArray>
#include <QIconEngine>
#include <QString>

namespace tantra {

// Renders an SVG at the exact size and device pixel ratio asked for, replacing the drawing
// colour kTemplateColor with the current palette's text colour (or its disabled variant).
// Colours other than the template colour (the warning's amber, the app icon) are kept.
class SvgIconEngine : public QIconEngine
{
public:
    static constexpr const char *kTemplateColor = "#1f1f1f";

    explicit SvgIconEngine(const QString &resourcePath);

    void paint(QPainter *painter, const QRect &rect, QIcon::Mode mode, QIcon::State state) override;
    QPixmap pixmap(const QSize &size, QIcon::Mode mode, QIcon::State state) override;
    QPixmap scaledPixmap(const QSize &size, QIcon::Mode mode, QIcon::State state, qreal scale) override;
    QSize actualSize(const QSize &size, QIcon::Mode mode, QIcon::State state) override;
    QIconEngine *clone() const override;
    QString key() const override { return QStringLiteral("tantra-svg"); }
    bool isNull() override { return m_svg.isEmpty(); }

private:
    QByteArray m_svg;
    QString m_path;
};

} // namespace tantra
