#include "histogramwidget.h"

#include "tensortext.h"
#include "valueformatter.h"

#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace tantra {

namespace {

constexpr int kBins = TensorStats::kBins;

// 1, 2 or 5 times a power of ten: the step that gives about `ticks` intervals over `span`.
double niceStep(double span, int ticks)
{
    if (!(span > 0) || !std::isfinite(span))
        return 1;
    const double raw = span / ticks;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / magnitude;
    const double nice = f < 1.5 ? 1 : (f < 3 ? 2 : (f < 7 ? 5 : 10));
    return nice * magnitude;
}

QString countLabel(double value)
{
    if (value >= 1e6)
        return QString::number(value, 'g', 3);
    return QLocale().toString(qulonglong(std::llround(value)));
}

QString valueLabel(double value)
{
    if (std::fabs(value) < 1e-12)
        value = 0;
    return ValueFormatter::formatReal(value, 4);
}

} // namespace

HistogramWidget::HistogramWidget(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setToolTip(tr("Histogram of the finite values. Right-click for a logarithmic scale or to copy the bins."));
    m_placeholder = tr("Select a tensor");
}

void HistogramWidget::setStats(const TensorStats &stats)
{
    m_stats = stats;
    m_hoverBin = -1;
    update();
}

void HistogramWidget::setPlaceholder(const QString &text)
{
    m_stats.reset();
    m_placeholder = text;
    m_hoverBin = -1;
    update();
}

void HistogramWidget::setLogScale(bool on)
{
    if (on == m_logScale)
        return;
    m_logScale = on;
    update();
    Q_EMIT logScaleChanged(on);
}

QString HistogramWidget::binDescription(int bin) const
{
    if (!m_stats || bin < 0 || bin >= kBins || !(m_stats->max >= m_stats->min))
        return {};
    const double width = (m_stats->max - m_stats->min) / kBins;
    const double lo = m_stats->min + width * bin;
    const double hi = bin == kBins - 1 ? m_stats->max : lo + width;
    const std::uint64_t count = m_stats->histogram[std::size_t(bin)];
    const double share = m_stats->finite ? 100.0 * double(count) / double(m_stats->finite) : 0.0;
    return tr("[%1, %2%3: %4 (%5%)")
            .arg(ValueFormatter::formatReal(lo, 6), ValueFormatter::formatReal(hi, 6),
                 bin == kBins - 1 ? QStringLiteral("]") : QStringLiteral(")"))
            .arg(TensorText::counted(count, tr("value"), tr("values")))
            .arg(share, 0, 'g', 3);
}

QString HistogramWidget::histogramAsTsv() const
{
    if (!m_stats)
        return {};
    QString text = QStringLiteral("bin_start\tbin_end\tcount\n");
    const double width = (m_stats->max - m_stats->min) / kBins;
    for (int bin = 0; bin < kBins; ++bin) {
        const double lo = m_stats->min + width * bin;
        const double hi = bin == kBins - 1 ? m_stats->max : lo + width;
        text += ValueFormatter::formatReal(lo, 0) + QLatin1Char('\t') + ValueFormatter::formatReal(hi, 0) + QLatin1Char('\t')
                + QString::number(qulonglong(m_stats->histogram[std::size_t(bin)])) + QLatin1Char('\n');
    }
    return text;
}

QRect HistogramWidget::plotRect() const
{
    const QFontMetrics fm = fontMetrics();
    // Room on the left for the widest count label the axis may carry.
    const int left = fm.horizontalAdvance(QStringLiteral("8,888,888")) + 10;
    const int bottom = fm.height() * 2 + 8;
    return QRect(left, fm.height() + 6, std::max(10, width() - left - 14), std::max(10, height() - bottom - fm.height() - 6));
}

double HistogramWidget::barFraction(std::uint64_t count, std::uint64_t maxCount) const
{
    if (maxCount == 0)
        return 0;
    if (m_logScale)
        return std::log10(1.0 + double(count)) / std::log10(1.0 + double(maxCount));
    return double(count) / double(maxCount);
}

int HistogramWidget::binAt(const QPoint &pos) const
{
    const QRect plot = plotRect();
    if (!m_stats || !plot.contains(pos))
        return -1;
    return std::clamp(int(double(pos.x() - plot.left()) / plot.width() * kBins), 0, kBins - 1);
}

void HistogramWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const QFontMetrics fm = fontMetrics();
    const QColor text = palette().color(QPalette::Text);
    QColor faint = text;
    faint.setAlphaF(0.55f);
    QColor grid = text;
    grid.setAlphaF(0.12f);

    if (!m_stats || m_stats->finite == 0 || !(m_stats->max >= m_stats->min)) {
        p.setPen(faint);
        const QString message = m_stats ? tr("No finite values to plot") : m_placeholder;
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, message);
        return;
    }

    const TensorStats &s = *m_stats;
    const QRect plot = plotRect();
    const std::uint64_t maxCount = *std::max_element(s.histogram.begin(), s.histogram.end());

    // Count axis: gridlines with labels.
    p.setFont(font());
    std::vector<std::pair<double, QString>> yTicks; // fraction of the height, label
    if (m_logScale) {
        for (double v = 1; v <= double(maxCount) * 1.0001; v *= 10)
            yTicks.emplace_back(barFraction(std::uint64_t(v), maxCount), countLabel(v));
    } else {
        const double step = std::max(1.0, niceStep(double(maxCount), 4));
        for (double v = 0; v <= double(maxCount) * 1.0001; v += step)
            yTicks.emplace_back(double(v) / double(maxCount), countLabel(v));
    }
    for (const auto &[fraction, label] : yTicks) {
        const int y = plot.bottom() - int(std::lround(fraction * plot.height()));
        p.setPen(grid);
        p.drawLine(plot.left(), y, plot.right(), y);
        p.setPen(faint);
        p.drawText(QRect(0, y - fm.height() / 2, plot.left() - 6, fm.height()), Qt::AlignRight | Qt::AlignVCenter, label);
    }
    p.setPen(faint);
    p.drawText(QRect(plot.left(), 2, plot.width(), fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
               m_logScale ? tr("count (log scale)") : tr("count"));
    if (!s.histogramExact) {
        p.drawText(QRect(plot.left(), 2, plot.width(), fm.height()), Qt::AlignRight | Qt::AlignVCenter,
                   tr("bins approximate (\u00B10.4%)"));
    }

    // A zero line where the range straddles zero: where the weights centre is worth seeing.
    const double span = s.max - s.min;
    const auto xOf = [&](double v) { return plot.left() + (span > 0 ? (v - s.min) / span : 0.5) * plot.width(); };
    if (s.min < 0 && s.max > 0) {
        QPen zero(faint, 1, Qt::DashLine);
        p.setPen(zero);
        const int x = int(std::lround(xOf(0)));
        p.drawLine(x, plot.top(), x, plot.bottom());
    }

    // Bars.
    p.setRenderHint(QPainter::Antialiasing, false);
    QColor bar = palette().color(QPalette::Highlight);
    QColor hover = bar.lighter(130);
    const double binWidth = double(plot.width()) / kBins;
    for (int bin = 0; bin < kBins; ++bin) {
        const std::uint64_t count = s.histogram[std::size_t(bin)];
        if (!count)
            continue;
        const int h = std::max(1, int(std::lround(barFraction(count, maxCount) * plot.height())));
        const int x0 = plot.left() + int(std::lround(bin * binWidth));
        const int x1 = plot.left() + int(std::lround((bin + 1) * binWidth));
        const int gap = binWidth >= 4 ? 1 : 0;
        p.fillRect(QRect(x0, plot.bottom() - h + 1, std::max(1, x1 - x0 - gap), h), bin == m_hoverBin ? hover : bar);
    }
    if (span <= 0) {
        p.setPen(faint);
        p.drawText(plot, Qt::AlignCenter, tr("all finite values equal %1").arg(valueLabel(s.min)));
    }

    // Value axis: the baseline, the minimum and maximum at the ends, nice ticks between.
    p.setPen(text);
    p.drawLine(plot.left(), plot.bottom() + 1, plot.right(), plot.bottom() + 1);
    const int labelTop = plot.bottom() + 5;
    const QString minText = valueLabel(s.min);
    const QString maxText = valueLabel(s.max);
    const int minRight = plot.left() + fm.horizontalAdvance(minText);
    const int maxLeft = plot.right() - fm.horizontalAdvance(maxText);
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QRect(plot.left() - 4, labelTop, plot.width() / 2, fm.height()), Qt::AlignLeft | Qt::AlignTop, minText);
    p.drawText(QRect(plot.center().x(), labelTop, plot.width() / 2 + 4, fm.height()), Qt::AlignRight | Qt::AlignTop, maxText);
    p.setFont(font());
    if (span > 0) {
        const double step = niceStep(span, 5);
        for (double v = std::ceil(s.min / step) * step; v < s.max; v += step) {
            const int x = int(std::lround(xOf(v)));
            const QString label = valueLabel(v);
            const int w = fm.horizontalAdvance(label);
            p.setPen(text);
            p.drawLine(x, plot.bottom() + 1, x, plot.bottom() + 4);
            if (x - w / 2 <= minRight + 16 || x + w / 2 >= maxLeft - 16)
                continue;
            p.setPen(faint);
            p.drawText(QRect(x - w / 2 - 2, labelTop, w + 4, fm.height()), Qt::AlignCenter, label);
        }
    }
    p.setPen(faint);
    p.drawText(QRect(plot.left(), labelTop + fm.height() + 2, plot.width(), fm.height()), Qt::AlignHCenter | Qt::AlignTop,
               tr("%1  (min \u2026 max over %L2 finite values)")
                       .arg(m_valueName.isEmpty() ? tr("value") : m_valueName)
                       .arg(qulonglong(s.finite)));
}

void HistogramWidget::mouseMoveEvent(QMouseEvent *event)
{
    const int bin = binAt(event->position().toPoint());
    if (bin != m_hoverBin) {
        m_hoverBin = bin;
        update();
    }
    if (bin >= 0)
        QToolTip::showText(event->globalPosition().toPoint(), binDescription(bin), this);
    else
        QToolTip::hideText();
}

void HistogramWidget::leaveEvent(QEvent *)
{
    m_hoverBin = -1;
    update();
}

void HistogramWidget::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    QAction *log = menu.addAction(tr("&Logarithmic Count Scale"));
    log->setCheckable(true);
    log->setChecked(m_logScale);
    connect(log, &QAction::toggled, this, &HistogramWidget::setLogScale);
    QAction *copy = menu.addAction(tr("&Copy Bins as TSV"), this,
                                   [this] { QApplication::clipboard()->setText(histogramAsTsv()); });
    copy->setEnabled(hasStats());
    menu.exec(event->globalPos());
}

} // namespace tantra
