#pragma once

#include "tensorstats.h"

#include <QFuture>
#include <QHash>
#include <QString>
#include <QWidget>

#include <memory>

class QCheckBox;
class QGridLayout;
class QLabel;
class QProgressBar;
class QPushButton;
namespace tantra {

class HistogramWidget;
class JobRunner;
class SafetensorsModel;
struct ModelTensor;

// What a statistics job hands back: the figures, or why there are none.
struct StatsOutcome
{
    TensorStats stats;
    QString error;
};

// Statistics of the selected tensor (min, max, mean, std, NaN, ±Inf, zeros) and its
// histogram. They are computed on the thread pool; a new selection cancels the running job,
// whose late result is then dropped, and so does destroying the panel. Tensors above the
// auto-compute limit wait for the Compute button so that a click on a 40 GB tensor does not
// start reading 40 GB.
class TensorStatsPanel : public QWidget
{
    Q_OBJECT
public:
    static constexpr std::uint64_t kDefaultAutoComputeBytes = std::uint64_t(512) << 20;

    explicit TensorStatsPanel(QWidget *parent = nullptr);
    ~TensorStatsPanel() override;

    void setTensor(std::shared_ptr<const SafetensorsModel> model, const ModelTensor *tensor);
    void setAutoComputeLimit(std::uint64_t bytes) { m_autoComputeLimit = bytes; }

    void compute();
    void cancel();
    bool isRunning() const;
    // The running (or last) job, for progress displays.
    QFuture<void> future() const { return m_future; }
    // The statistics shown, if any.
    const TensorStats *stats() const { return m_hasStats ? &m_stats : nullptr; }
    // The text shown for a figure: "min", "max", "mean", "std", "nan", "posinf", "neginf", "zeros", "finite".
    QString figureText(const QString &key) const;
    HistogramWidget *histogram() const { return m_histogram; }

Q_SIGNALS:
    // A job started for the named tensor.
    void jobStarted(const QFuture<void> &future, const QString &description);
    // Statistics of the named tensor are on screen.
    void statsShown(const QString &tensorName);

private:
    void showStats(const TensorStats &stats);
    void clearFigures(const QString &placeholder);
    void onJobFinished(const StatsOutcome &outcome);
    void showCancelled();
    QLabel *addFigure(QGridLayout *grid, int row, int column, const QString &key, const QString &title,
                      const QString &toolTip);

    std::shared_ptr<const SafetensorsModel> m_model;
    const ModelTensor *m_tensor = nullptr;
    QString m_tensorName;
    std::uint64_t m_autoComputeLimit = kDefaultAutoComputeBytes;

    JobRunner *m_jobs; // one job at a time: a new selection supersedes the running one
    QFuture<void> m_future;
    TensorStats m_stats;
    bool m_hasStats = false;

    QHash<QString, QLabel *> m_figures;
    QLabel *m_status = nullptr;
    QProgressBar *m_progress = nullptr;
    QPushButton *m_computeButton = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QCheckBox *m_logScale = nullptr;
    HistogramWidget *m_histogram = nullptr;
};

} // namespace tantra
