#include "jobspanel.h"

#include "icons.h"

#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace tantra {

namespace {

// Before this much time and progress, an estimate swings too much to be worth showing.
constexpr qint64 kEstimateAfterMs = 2000;
constexpr double kEstimateAfterFraction = 0.03;

} // namespace

JobsPanel::JobsPanel(QWidget *parent)
    : QWidget(parent),
      m_list(new QVBoxLayout),
      m_empty(new QLabel(tr("No background jobs are running."))),
      m_clear(new QPushButton(tr("C&lear Finished")))
{
    setObjectName(QStringLiteral("jobsPanel"));
    m_empty->setEnabled(false);
    m_clear->setObjectName(QStringLiteral("clearFinishedButton"));
    m_clear->setToolTip(tr("Remove the jobs that have ended from this list"));
    m_clear->setVisible(false);
    connect(m_clear, &QPushButton::clicked, this, &JobsPanel::clearFinished);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_empty);
    layout->addLayout(m_list);
    layout->addWidget(m_clear, 0, Qt::AlignRight);
    layout->addStretch(1);
}

JobsPanel::~JobsPanel()
{
    // Watchers are children; disconnect first so no finished() reaches a half-destroyed panel.
    for (const Row &row : m_rows) {
        if (row.watcher)
            row.watcher->disconnect(this);
    }
}

int JobsPanel::runningCount() const
{
    return int(std::count_if(m_rows.begin(), m_rows.end(), [](const Row &row) { return row.watcher != nullptr; }));
}

QStringList JobsPanel::statusTexts() const
{
    QStringList texts;
    for (const Row &row : m_rows)
        texts << row.status->text();
    return texts;
}

QString JobsPanel::durationText(qint64 ms)
{
    if (ms < 10'000)
        return tr("%L1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
    const qint64 seconds = (ms + 500) / 1000;
    if (seconds < 60)
        return tr("%1 s").arg(seconds);
    return tr("%1 min %2 s").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
}

QString JobsPanel::timeLeftText(qint64 elapsedMs, double fractionDone)
{
    if (elapsedMs < kEstimateAfterMs || fractionDone < kEstimateAfterFraction || fractionDone >= 1.0)
        return {};
    const double leftMs = double(elapsedMs) * (1.0 - fractionDone) / fractionDone;
    // Rounded up to what a reader takes in at a glance: 5 s steps, then whole minutes.
    const qint64 leftSeconds = qint64(std::ceil(leftMs / 1000.0));
    if (leftSeconds < 60)
        return tr("about %1 s left").arg(std::max<qint64>(5, (leftSeconds + 4) / 5 * 5));
    return tr("about %n min left", nullptr, int((leftSeconds + 59) / 60));
}

JobsPanel::Row *JobsPanel::rowOf(QFutureWatcher<void> *watcher)
{
    for (Row &row : m_rows) {
        if (row.watcher == watcher)
            return &row;
    }
    return nullptr;
}

void JobsPanel::track(const QFuture<void> &future, const QString &description)
{
    auto *watcher = new QFutureWatcher<void>(this);
    Row row;
    row.watcher = watcher;
    row.widget = new QWidget;
    auto *label = new QLabel(description);
    label->setWordWrap(true);
    row.status = new QLabel(tr("Starting\u2026"));
    row.status->setObjectName(QStringLiteral("jobStatus"));
    row.status->setEnabled(false); // the secondary line, greyed
    row.bar = new QProgressBar;
    row.bar->setRange(0, 0); // busy until the job reports a range
    row.bar->setTextVisible(false);
    row.bar->setMaximumHeight(10);
    row.cancel = new QToolButton;
    row.cancel->setIcon(Icons::get(QStringLiteral("cancel")));
    row.cancel->setAutoRaise(true);
    row.cancel->setToolTip(tr("Cancel %1").arg(description));
    auto *rowLayout = new QHBoxLayout(row.widget);
    rowLayout->setContentsMargins(0, 2, 0, 2);
    auto *text = new QVBoxLayout;
    text->addWidget(label);
    text->addWidget(row.bar);
    text->addWidget(row.status);
    rowLayout->addLayout(text, 1);
    rowLayout->addWidget(row.cancel, 0, Qt::AlignTop);
    m_list->addWidget(row.widget);
    row.clock.start();
    QToolButton *cancel = row.cancel;
    m_rows.push_back(std::move(row));
    updateEmpty();

    connect(watcher, &QFutureWatcherBase::progressValueChanged, this, [this, watcher] {
        if (Row *r = rowOf(watcher))
            updateProgress(*r);
    });
    connect(cancel, &QToolButton::clicked, watcher, [watcher, cancel] {
        watcher->cancel();
        cancel->setEnabled(false);
    });
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] { finish(watcher); });
    watcher->setFuture(future);
}

void JobsPanel::updateProgress(Row &row)
{
    const int minimum = row.watcher->progressMinimum();
    const int maximum = row.watcher->progressMaximum();
    const int value = row.watcher->progressValue();
    // Busy until the first step: a job waiting for the registry's lock is not stuck at 0 %.
    if (maximum <= minimum || value <= minimum)
        return;
    row.bar->setRange(minimum, maximum);
    row.bar->setValue(value);
    const double fraction = double(value - minimum) / double(maximum - minimum);
    const QString left = timeLeftText(row.clock.elapsed(), fraction);
    const QString percent = tr("%1 %").arg(int(fraction * 100));
    row.status->setText(left.isEmpty() ? percent : percent + QStringLiteral(" \u00B7 ") + left);
}

void JobsPanel::finish(QFutureWatcher<void> *watcher)
{
    Row *row = rowOf(watcher);
    if (!row)
        return;
    const QString took = durationText(row->clock.elapsed());
    // The job's own outcome (its message, its error) goes to the status bar and dialogs; this
    // keeps how it ended and how long it took.
    row->status->setText(watcher->isCanceled() ? tr("Cancelled after %1").arg(took) : tr("Finished in %1").arg(took));
    row->status->setEnabled(true);
    row->bar->hide();
    row->cancel->hide();
    row->watcher = nullptr;
    watcher->disconnect(this);
    watcher->deleteLater();
    updateEmpty();
}

void JobsPanel::clearFinished()
{
    for (auto it = m_rows.begin(); it != m_rows.end();) {
        if (it->watcher) {
            ++it;
            continue;
        }
        it->widget->deleteLater();
        it = m_rows.erase(it);
    }
    updateEmpty();
}

void JobsPanel::updateEmpty()
{
    m_empty->setVisible(runningCount() == 0);
    m_clear->setVisible(finishedCount() > 0);
}

} // namespace tantra
