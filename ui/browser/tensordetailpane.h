#pragma once

#include <QFuture>
#include <QWidget>

#include <memory>

class QLabel;
class QTabWidget;
class QToolButton;
class QVBoxLayout;
class QFrame;

namespace tantra {

class HeatmapWidget;
class SafetensorsModel;
class SliceSelector;
class TensorStatsPanel;
class TensorValueModel;
class ValueGridView;
struct ModelTensor;

// Everything about one tensor: its name, type, shape and place on disk, the config rule it
// breaks (if any), then tabs for its statistics, its values (any rank, one 2-D slice at a
// time) and a heatmap of the same slice.
class TensorDetailPane : public QWidget
{
    Q_OBJECT
public:
    enum Tab { StatisticsTab, ValuesTab, HeatmapTab };

    explicit TensorDetailPane(QWidget *parent = nullptr);
    ~TensorDetailPane() override;

    void setTensor(std::shared_ptr<const SafetensorsModel> model, const ModelTensor *tensor, const QString &issue = {});
    void clear() { setTensor(nullptr, nullptr); }
    const ModelTensor *tensor() const { return m_tensor; }
    void setIssue(const QString &issue);
    // The PyTorch checkpoint the model is a scratch safetensors copy of (empty: none). Its
    // location line then names the checkpoint: the copy's offsets mean nothing to the user.
    void setCheckpointSource(const QString &path) { m_checkpointSource = path; }
    // A group of the tree: its name and a line of totals instead of a tensor.
    void showGroup(const QString &path, const QString &summary);

    void copyName() const;
    void copyShape() const;

    QTabWidget *tabs() const { return m_tabs; }
    TensorStatsPanel *statsPanel() const { return m_stats; }
    SliceSelector *sliceSelector() const { return m_slice; }
    TensorValueModel *valueModel() const { return m_values; }
    ValueGridView *valueGrid() const { return m_grid; }
    HeatmapWidget *heatmap() const { return m_heatmap; }

Q_SIGNALS:
    void jobStarted(const QFuture<void> &future, const QString &description);
    void message(const QString &text);

private:
    void placeSliceSelector(int tab);

    std::shared_ptr<const SafetensorsModel> m_model;
    QString m_checkpointSource;
    const ModelTensor *m_tensor = nullptr;

    QLabel *m_title = nullptr;
    QLabel *m_facts = nullptr;
    QLabel *m_location = nullptr;
    QFrame *m_issueBox = nullptr;
    QLabel *m_issueText = nullptr;
    QToolButton *m_copyName = nullptr;
    QToolButton *m_copyShape = nullptr;
    QTabWidget *m_tabs = nullptr;
    TensorStatsPanel *m_stats = nullptr;
    SliceSelector *m_slice = nullptr;
    QVBoxLayout *m_valuesLayout = nullptr;
    QVBoxLayout *m_heatmapLayout = nullptr;
    TensorValueModel *m_values = nullptr;
    ValueGridView *m_grid = nullptr;
    HeatmapWidget *m_heatmap = nullptr;
};

} // namespace tantra
