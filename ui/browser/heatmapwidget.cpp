#include "heatmapwidget.h"

#include "jobrunner.h"
#include "safetensorsmodel.h"
#include "tensortext.h"
#include "valueformatter.h"

#include <QLinearGradient>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <cmath>
#include <utility>

namespace tantra {

namespace {

constexpr int kMargin = 8;

} // namespace

HeatmapWidget::HeatmapWidget(QWidget *parent)
    : QWidget(parent)
    , m_jobs(new JobRunner(this, JobRunner::Mode::LatestOnly))
{
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    m_message = tr("Select a tensor");
}

HeatmapWidget::~HeatmapWidget() = default;

bool HeatmapWidget::isRendering() const
{
    return m_jobs->isBusy();
}

void HeatmapWidget::setTensor(std::shared_ptr<const SafetensorsModel> model, const ModelTensor *tensor)
{
    setDifference(std::move(model), tensor, nullptr, nullptr);
}

void HeatmapWidget::setDifference(std::shared_ptr<const SafetensorsModel> modelA, const ModelTensor *a,
                                  std::shared_ptr<const SafetensorsModel> modelB, const ModelTensor *b)
{
    auto model = std::move(modelA);
    const ModelTensor *tensor = a;
    const bool difference = modelB && b && a && b->info->shape == a->info->shape;
    m_modelB = difference ? std::move(modelB) : nullptr;
    m_tensorB = difference ? b : nullptr;
    m_jobs->cancelAll();
    m_model = tensor ? std::move(model) : nullptr;
    m_tensor = m_model ? tensor : nullptr;
    m_slice = m_tensor ? TensorSlice::defaultFor(m_tensor->info->shape) : TensorSlice();
    m_heatmap = {};
    m_dirty = m_tensor != nullptr;
    if (!m_tensor)
        m_message = tr("Select a tensor");
    if (isVisible())
        render();
    update();
}

void HeatmapWidget::setSlice(const TensorSlice &slice)
{
    if (!m_tensor || slice == m_slice || !slice.isValidFor(m_tensor->info->shape))
        return;
    m_slice = slice;
    m_dirty = true;
    if (isVisible())
        render();
}

void HeatmapWidget::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_dirty)
        render();
}

void HeatmapWidget::render()
{
    m_jobs->cancelAll();
    m_dirty = false;
    m_heatmap = {};
    if (!m_tensor) {
        update();
        return;
    }
    const auto &shape = m_tensor->info->shape;
    if (shape.size() < 2) {
        m_message = tr("A heatmap needs two dimensions; this tensor has %1.").arg(shape.size());
        update();
        return;
    }
    if (m_tensor->info->elementCount() == 0) {
        m_message = tr("The tensor has no elements.");
        update();
        return;
    }
    const TensorSlice::Layout layout = m_slice.layout(shape);
    const Dtype dtype = m_tensor->info->dtype;
    // A difference costs two decodes per sample: it goes to the pool at half the size.
    const std::uint64_t syncSamples = m_tensorB ? HeatmapRenderer::kSyncSamples / 2 : HeatmapRenderer::kSyncSamples;
    if (HeatmapRenderer::sampleCount(layout) <= syncSamples) {
        if (m_tensorB)
            setHeatmap(HeatmapRenderer::renderDifference(dtype, m_model->data(*m_tensor).data(), m_tensorB->info->dtype,
                                                         m_modelB->data(*m_tensorB).data(), layout));
        else
            setHeatmap(HeatmapRenderer::render(dtype, m_model->data(*m_tensor).data(), layout));
        return;
    }
    m_message = tr("Rendering\u2026");
    update();
    // The job holds the model, so the mapping stays valid even if this widget goes first.
    const QFuture<HeatmapImage> future = m_jobs->run(
            QString(),
            [model = m_model, tensor = m_tensor, modelB = m_modelB, tensorB = m_tensorB, layout](JobContext &job) {
                const auto canceled = [&job] { return job.isCanceled(); };
                if (tensorB)
                    return HeatmapRenderer::renderDifference(tensor->info->dtype, model->data(*tensor).data(), tensorB->info->dtype,
                                                             modelB->data(*tensorB).data(), layout, HeatmapRenderer::kMaxSide,
                                                             canceled);
                return HeatmapRenderer::render(tensor->info->dtype, model->data(*tensor).data(), layout, HeatmapRenderer::kMaxSide,
                                               canceled);
            },
            this,
            [this](const HeatmapImage &image) {
                if (!image.canceled)
                    setHeatmap(image);
            });
    Q_EMIT jobStarted(QFuture<void>(future), m_tensorB ? tr("Difference heatmap of %1").arg(TensorText::name(m_tensor->info->name))
                                                       : tr("Heatmap of %1").arg(TensorText::name(m_tensor->info->name)));
}

void HeatmapWidget::setHeatmap(HeatmapImage heatmap)
{
    m_heatmap = std::move(heatmap);
    m_message.clear();
    update();
    Q_EMIT rendered();
}

QRect HeatmapWidget::legendRect() const
{
    const QFontMetrics fm = fontMetrics();
    const int labelWidth = fm.horizontalAdvance(QStringLiteral("-0.000123")) + 6;
    const int top = fm.height() * 2 + kMargin;
    return QRect(width() - kMargin - labelWidth - 14, top, 14, std::max(20, height() - top - kMargin - fm.height()));
}

QRect HeatmapWidget::imageRect() const
{
    const QFontMetrics fm = fontMetrics();
    const QRect legend = legendRect();
    const int top = fm.height() * 2 + kMargin;
    const QRect area(kMargin, top, std::max(10, legend.left() - 2 * kMargin), std::max(10, height() - top - kMargin - fm.height()));
    // The slice fills the area, cells stretched as need be (imshow's aspect="auto"): square
    // cells would shrink a 128 × 4096 weight to a line.
    return area;
}

void HeatmapWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const QFontMetrics fm = fontMetrics();
    QColor faint = palette().color(QPalette::Text);
    faint.setAlphaF(0.6f);

    if (m_heatmap.isNull()) {
        p.setPen(faint);
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, m_message);
        return;
    }

    const QRect target = imageRect();
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.drawImage(target, m_heatmap.image);
    p.setPen(faint);
    p.drawRect(target.adjusted(0, 0, -1, -1));

    // Caption: what the slice is and how it was reduced.
    p.setPen(palette().color(QPalette::Text));
    QString caption = tr("%L1 \u00D7 %L2 slice").arg(qulonglong(m_heatmap.sourceRows)).arg(qulonglong(m_heatmap.sourceCols));
    if (m_heatmap.isDownsampled()) {
        caption += tr(", shown at %1 \u00D7 %2 (each pixel the mean of a block)")
                           .arg(m_heatmap.image.height())
                           .arg(m_heatmap.image.width());
    }
    if (m_tensorB)
        caption += tr(", |A − B|");
    if (m_tensor && dtypeIsComplex(m_tensor->info->dtype))
        caption += tr(", real part");
    p.drawText(QRect(kMargin, kMargin / 2, width() - 2 * kMargin, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
               fm.elidedText(caption, Qt::ElideRight, width() - 2 * kMargin));
    p.setPen(faint);
    p.drawText(QRect(kMargin, kMargin / 2 + fm.height(), width() - 2 * kMargin, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
               tr("rows: dim %1 \u2193   columns: dim %2 \u2192").arg(m_slice.rowDim).arg(m_slice.colDim));

    // Colour bar from -limit (bottom) to +limit (top); a difference is never negative, so
    // its bar runs from 0 to the limit.
    const QRect legend = legendRect();
    const bool difference = m_tensorB != nullptr;
    QImage bar(1, 256, QImage::Format_RGB32);
    for (int y = 0; y < 256; ++y)
        bar.setPixel(0, y, HeatmapRenderer::colorAt(difference ? 1.0 - y / 255.0 : 1.0 - 2.0 * y / 255.0));
    p.drawImage(legend, bar);
    p.drawRect(legend.adjusted(0, 0, -1, -1));
    const auto label = [&](double v, int y) {
        p.drawText(QRect(legend.right() + 4, y - fm.height() / 2, width() - legend.right() - 4, fm.height()),
                   Qt::AlignLeft | Qt::AlignVCenter, ValueFormatter::formatReal(v, 3));
    };
    p.setPen(palette().color(QPalette::Text));
    label(m_heatmap.limit, legend.top() + fm.height() / 2);
    label(difference ? m_heatmap.limit / 2 : 0, legend.center().y());
    label(difference ? 0 : -m_heatmap.limit, legend.bottom() - fm.height() / 2);
}

void HeatmapWidget::mouseMoveEvent(QMouseEvent *event)
{
    const QRect target = imageRect();
    const QPoint pos = event->position().toPoint();
    if (m_heatmap.isNull() || !target.contains(pos)) {
        QToolTip::hideText();
        return;
    }
    const int x = std::clamp(int(double(pos.x() - target.left()) / target.width() * m_heatmap.image.width()), 0,
                             m_heatmap.image.width() - 1);
    const int y = std::clamp(int(double(pos.y() - target.top()) / target.height() * m_heatmap.image.height()), 0,
                             m_heatmap.image.height() - 1);
    const auto [r0, r1] = m_heatmap.rowRange(y);
    const auto [c0, c1] = m_heatmap.colRange(x);
    const float value = m_heatmap.values[std::size_t(y) * std::size_t(m_heatmap.image.width()) + std::size_t(x)];
    QString text;
    if (r1 - r0 == 1 && c1 - c0 == 1)
        text = tr("row %1, column %2: %3").arg(r0).arg(c0).arg(ValueFormatter::formatReal(value, 6));
    else
        text = tr("rows %1\u2013%2, columns %3\u2013%4: mean %5")
                       .arg(r0)
                       .arg(r1 - 1)
                       .arg(c0)
                       .arg(c1 - 1)
                       .arg(ValueFormatter::formatReal(value, 6));
    QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

} // namespace tantra
