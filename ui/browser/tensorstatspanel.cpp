#include "tensorstatspanel.h"

#include "histogramwidget.h"
#include "icons.h"
#include "jobcontext.h"
#include "jobpool.h"
#include "jobrunner.h"
#include "safetensorsmodel.h"
#include "tensortext.h"
#include "valueformatter.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <utility>

namespace tantra {

namespace {

// Runs on the pool. `model` is held by value: the mapping outlives the panel if need be.
StatsOutcome runStats(JobContext &job, const std::shared_ptr<const SafetensorsModel> &model, const ModelTensor *tensor)
{
    auto result = computeStats(tensor->info->dtype, model->reader(*tensor), &job, JobPool::instance());
    if (result)
        return StatsOutcome{*result, {}};
    return StatsOutcome{{}, result.errorString()};
}

} // namespace

TensorStatsPanel::TensorStatsPanel(QWidget *parent)
    : QWidget(parent)
    , m_jobs(new JobRunner(this, JobRunner::Mode::LatestOnly))
{
    auto *layout = new QVBoxLayout(this);

    auto *grid = new QGridLayout;
    grid->setHorizontalSpacing(14);
    grid->setVerticalSpacing(4);
    addFigure(grid, 0, 0, QStringLiteral("min"), tr("Min"), tr("Smallest finite value"));
    addFigure(grid, 1, 0, QStringLiteral("max"), tr("Max"), tr("Largest finite value"));
    addFigure(grid, 2, 0, QStringLiteral("mean"), tr("Mean"), tr("Mean of the finite values"));
    addFigure(grid, 3, 0, QStringLiteral("std"), tr("Std"), tr("Population standard deviation of the finite values"));
    addFigure(grid, 0, 2, QStringLiteral("zeros"), tr("Zeros"), tr("Values equal to zero (±0)"));
    addFigure(grid, 1, 2, QStringLiteral("nan"), tr("NaN"), tr("Not-a-number values"));
    addFigure(grid, 2, 2, QStringLiteral("posinf"), tr("+Inf"), tr("Positive infinities"));
    addFigure(grid, 3, 2, QStringLiteral("neginf"), tr("\u2212Inf"), tr("Negative infinities"));
    addFigure(grid, 0, 4, QStringLiteral("finite"), tr("Finite"), tr("Finite values examined"));
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
    grid->setColumnStretch(5, 1);
    layout->addLayout(grid);

    auto *jobRow = new QHBoxLayout;
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("statsStatus"));
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(fontMetrics().height());
    m_progress->setToolTip(tr("Reading the tensor's values"));
    m_computeButton = new QPushButton(Icons::get(QStringLiteral("statistics")), tr("Co&mpute"), this);
    m_computeButton->setToolTip(tr("Compute the statistics of this tensor (reads all its bytes)"));
    m_cancelButton = new QPushButton(Icons::get(QStringLiteral("cancel")), tr("&Cancel"), this);
    m_cancelButton->setToolTip(tr("Stop computing the statistics"));
    m_logScale = new QCheckBox(tr("Lo&g scale"), this);
    m_logScale->setToolTip(tr("Logarithmic count axis: small bins next to a spike stay visible"));
    jobRow->addWidget(m_status, 1);
    jobRow->addWidget(m_progress, 1);
    jobRow->addWidget(m_computeButton);
    jobRow->addWidget(m_cancelButton);
    jobRow->addWidget(m_logScale);
    layout->addLayout(jobRow);

    m_histogram = new HistogramWidget(this);
    m_histogram->setObjectName(QStringLiteral("histogram"));
    layout->addWidget(m_histogram, 1);

    connect(m_jobs, &JobRunner::jobProgress, m_progress, [this](int, int permille) { m_progress->setValue(permille); });
    connect(m_computeButton, &QPushButton::clicked, this, &TensorStatsPanel::compute);
    connect(m_cancelButton, &QPushButton::clicked, this, &TensorStatsPanel::cancel);
    connect(m_logScale, &QCheckBox::toggled, m_histogram, &HistogramWidget::setLogScale);
    connect(m_histogram, &HistogramWidget::logScaleChanged, m_logScale, &QCheckBox::setChecked);

    clearFigures(tr("Select a tensor"));
}

TensorStatsPanel::~TensorStatsPanel()
{
    // The job holds the model alive itself; the runner cancels it and does not wait.
}

QLabel *TensorStatsPanel::addFigure(QGridLayout *grid, int row, int column, const QString &key, const QString &title,
                                    const QString &toolTip)
{
    auto *name = new QLabel(title + QLatin1Char(':'), this);
    name->setToolTip(toolTip);
    auto *value = new QLabel(this);
    value->setObjectName(QStringLiteral("stat_") + key);
    value->setToolTip(toolTip);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    value->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("-1.23456789e-10")));
    grid->addWidget(name, row, column, Qt::AlignRight);
    grid->addWidget(value, row, column + 1);
    m_figures.insert(key, value);
    return value;
}

QString TensorStatsPanel::figureText(const QString &key) const
{
    const QLabel *label = m_figures.value(key);
    return label ? label->text() : QString();
}

bool TensorStatsPanel::isRunning() const
{
    return m_jobs->isBusy();
}

void TensorStatsPanel::setTensor(std::shared_ptr<const SafetensorsModel> model, const ModelTensor *tensor)
{
    cancel();
    m_model = tensor ? std::move(model) : nullptr;
    m_tensor = m_model ? tensor : nullptr;
    m_tensorName = m_tensor ? TensorText::name(m_tensor->info->name) : QString();
    m_hasStats = false;
    if (!m_tensor) {
        clearFigures(tr("Select a tensor"));
        return;
    }
    const std::uint64_t bytes = m_tensor->info->byteSize();
    if (bytes <= m_autoComputeLimit) {
        compute();
    } else {
        clearFigures(tr("This tensor holds %1, and its statistics read all of it. Press Compute to start.").arg(TensorText::bytes(bytes)));
        m_computeButton->setVisible(true);
    }
}

void TensorStatsPanel::compute()
{
    if (!m_tensor || isRunning())
        return;
    clearFigures(tr("Computing\u2026"));
    m_status->setText(tr("Computing\u2026"));
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_cancelButton->setVisible(true);
    m_computeButton->setVisible(false);

    // A job superseded by a new selection, or cancelled by cancel(), never reaches the panel.
    const QFuture<StatsOutcome> future = m_jobs->run(
            QString(), [model = m_model, tensor = m_tensor](JobContext &job) { return runStats(job, model, tensor); }, this,
            [this](const StatsOutcome &outcome) { onJobFinished(outcome); }, [this] { showCancelled(); });
    m_future = QFuture<void>(future);
    Q_EMIT jobStarted(m_future, tr("Statistics of %1").arg(m_tensorName));
}

void TensorStatsPanel::cancel()
{
    if (!m_jobs->isBusy())
        return;
    m_jobs->cancelAll();
    if (m_tensor && !m_hasStats)
        showCancelled();
}

void TensorStatsPanel::showCancelled()
{
    clearFigures(tr("Cancelled"));
    m_computeButton->setVisible(true);
}

void TensorStatsPanel::onJobFinished(const StatsOutcome &outcome)
{
    m_progress->setVisible(false);
    m_cancelButton->setVisible(false);
    if (!outcome.error.isEmpty()) {
        clearFigures(outcome.error);
        m_computeButton->setVisible(true);
        return;
    }
    showStats(outcome.stats);
}

void TensorStatsPanel::clearFigures(const QString &placeholder)
{
    for (QLabel *label : std::as_const(m_figures))
        label->setText(QStringLiteral("\u2014"));
    m_status->setText(placeholder == tr("Select a tensor") ? QString() : placeholder);
    m_progress->setVisible(false);
    m_cancelButton->setVisible(false);
    m_computeButton->setVisible(false);
    m_histogram->setPlaceholder(placeholder);
}

void TensorStatsPanel::showStats(const TensorStats &stats)
{
    m_stats = stats;
    m_hasStats = true;
    const auto real = [](double v) { return ValueFormatter::formatReal(v, 7); };
    const auto count = [](std::uint64_t n) { return TensorText::count(n); };
    m_figures[QStringLiteral("min")]->setText(real(stats.min));
    m_figures[QStringLiteral("max")]->setText(real(stats.max));
    m_figures[QStringLiteral("mean")]->setText(real(stats.mean));
    m_figures[QStringLiteral("std")]->setText(real(stats.std));
    m_figures[QStringLiteral("zeros")]->setText(count(stats.zeros));
    m_figures[QStringLiteral("nan")]->setText(count(stats.nan));
    m_figures[QStringLiteral("posinf")]->setText(count(stats.posInf));
    m_figures[QStringLiteral("neginf")]->setText(count(stats.negInf));
    m_figures[QStringLiteral("finite")]->setText(count(stats.finite));
    m_status->setText(stats.values == 0 ? tr("The tensor has no values")
                                        : TensorText::counted(stats.values, tr("value"), tr("values")));
    m_histogram->setStats(stats);
    Q_EMIT statsShown(m_tensorName);
}

} // namespace tantra
