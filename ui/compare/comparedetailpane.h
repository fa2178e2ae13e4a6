#pragma once

#include "weightcomparison.h"

#include <QFuture>
#include <QWidget>

#include <memory>

class QLabel;
class QTabWidget;

namespace tantra {

class HeatmapWidget;
class HistogramWidget;
class JobRunner;
class SafetensorsModel;
class SliceSelector;
class TensorValueModel;
class ValueGridView;
struct ModelTensor;

// One tensor of a comparison: its numbers, the histogram of A - B (a background job over both
// files), the heatmap of |A - B| and the values of A and B side by side, both opened on the
// slice and cell of the largest difference, cells that differ highlighted.
class CompareDetailPane : public QWidget
{
    Q_OBJECT
public:
    enum Tab { HistogramTab, HeatmapTab, ValuesTab };

    explicit CompareDetailPane(QWidget *parent = nullptr);
    ~CompareDetailPane() override;

    void setSides(std::shared_ptr<const SafetensorsModel> a, const QString &labelA, std::shared_ptr<const SafetensorsModel> b,
                  const QString &labelB);
    // `t` is copied; null clears the pane. Called again when the row's values arrive.
    void setComparison(const TensorComparison *t);
    const std::optional<TensorComparison> &comparison() const { return m_t; }

    QTabWidget *tabs() const { return m_tabs; }
    HistogramWidget *histogram() const { return m_histogram; }
    HeatmapWidget *heatmap() const { return m_heatmap; }
    ValueGridView *gridA() const { return m_gridA; }
    ValueGridView *gridB() const { return m_gridB; }
    TensorValueModel *valuesA() const { return m_valuesA; }
    TensorValueModel *valuesB() const { return m_valuesB; }
    SliceSelector *sliceSelector() const { return m_slice; }
    bool isComputing() const;

Q_SIGNALS:
    void jobStarted(const QFuture<void> &future, const QString &description);

private:
    void showFacts();
    void computeHistogram();
    void scrollToLargest();

    std::shared_ptr<const SafetensorsModel> m_a;
    std::shared_ptr<const SafetensorsModel> m_b;
    QString m_labelA;
    QString m_labelB;
    std::optional<TensorComparison> m_t;
    const ModelTensor *m_ta = nullptr;
    const ModelTensor *m_tb = nullptr;

    QLabel *m_title;
    QLabel *m_facts;
    QTabWidget *m_tabs;
    HistogramWidget *m_histogram;
    HeatmapWidget *m_heatmap;
    SliceSelector *m_slice;
    QLabel *m_labelGridA;
    QLabel *m_labelGridB;
    TensorValueModel *m_valuesA;
    TensorValueModel *m_valuesB;
    ValueGridView *m_gridA;
    ValueGridView *m_gridB;
    JobRunner *m_jobs; // the histogram of the current tensor; a new selection supersedes it
};

} // namespace tantra
