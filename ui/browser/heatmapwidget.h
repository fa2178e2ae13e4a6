#pragma once

#include "heatmaprenderer.h"
#include "tensorslice.h"

#include <QFuture>
#include <QWidget>

#include <memory>

namespace tantra {

class JobRunner;
class SafetensorsModel;
struct ModelTensor;

// Shows a 2-D slice of a tensor as a heatmap with a colour bar. Rendering waits until the
// widget is visible; large slices render on the thread pool (the previous render is
// cancelled when the slice changes), small ones right away.
class HeatmapWidget : public QWidget
{
    Q_OBJECT
public:
    explicit HeatmapWidget(QWidget *parent = nullptr);
    ~HeatmapWidget() override;

    void setTensor(std::shared_ptr<const SafetensorsModel> model, const ModelTensor *tensor);
    // Shows |a - b| of two tensors of one shape instead (the compare view): white where they
    // agree, red where they differ most.
    void setDifference(std::shared_ptr<const SafetensorsModel> modelA, const ModelTensor *a,
                       std::shared_ptr<const SafetensorsModel> modelB, const ModelTensor *b);
    void setSlice(const TensorSlice &slice);
    const HeatmapImage &heatmap() const { return m_heatmap; }
    bool isRendering() const;

    QSize sizeHint() const override { return {480, 360}; }

Q_SIGNALS:
    void jobStarted(const QFuture<void> &future, const QString &description);
    void rendered();

protected:
    void paintEvent(QPaintEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;

private:
    void render();
    void setHeatmap(HeatmapImage heatmap);
    QRect imageRect() const;
    QRect legendRect() const;

    std::shared_ptr<const SafetensorsModel> m_model;
    const ModelTensor *m_tensor = nullptr;
    // The other side of a difference heatmap, else null.
    std::shared_ptr<const SafetensorsModel> m_modelB;
    const ModelTensor *m_tensorB = nullptr;
    TensorSlice m_slice;
    bool m_dirty = false;
    HeatmapImage m_heatmap;
    QString m_message;
    JobRunner *m_jobs; // one render at a time: a new slice supersedes the running one
};

} // namespace tantra
