#pragma once

#include "tensorstats.h"

#include <QWidget>

#include <optional>

namespace tantra {

// Plots the 64-bin histogram of TensorStats: bars over [min, max] with labelled value and
// count axes, the minimum and maximum at the ends of the value axis, an optional logarithmic
// count scale (small bins next to a spike stay visible), and the bin under the mouse.
class HistogramWidget : public QWidget
{
    Q_OBJECT
    Q_PROPERTY(bool logScale READ logScale WRITE setLogScale NOTIFY logScaleChanged)
public:
    explicit HistogramWidget(QWidget *parent = nullptr);

    void setStats(const TensorStats &stats);
    // No plot, a sentence instead ("Computing…", "Select a tensor").
    void setPlaceholder(const QString &text);
    bool hasStats() const { return m_stats.has_value(); }

    // What the values are, for the value axis ("value", "A − B").
    void setValueName(const QString &name) { m_valueName = name; update(); }

    bool logScale() const { return m_logScale; }
    void setLogScale(bool on);

    // The bin's value range and count as a line of text; empty when out of range.
    QString binDescription(int bin) const;
    QString histogramAsTsv() const;

    QSize sizeHint() const override { return {420, 220}; }
    QSize minimumSizeHint() const override { return {220, 120}; }

Q_SIGNALS:
    void logScaleChanged(bool on);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    QRect plotRect() const;
    int binAt(const QPoint &pos) const;
    double barFraction(std::uint64_t count, std::uint64_t maxCount) const;

    std::optional<TensorStats> m_stats;
    QString m_placeholder;
    QString m_valueName;
    bool m_logScale = false;
    int m_hoverBin = -1;
};

} // namespace tantra
