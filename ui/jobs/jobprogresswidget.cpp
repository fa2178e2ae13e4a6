#include "jobprogresswidget.h"

#include "icons.h"

#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>

#include <algorithm>

namespace tantra {

JobProgressWidget::JobProgressWidget(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_label = new QLabel(this);
    m_label->setObjectName(QStringLiteral("jobLabel"));
    m_bar = new QProgressBar(this);
    m_bar->setObjectName(QStringLiteral("jobProgress"));
    m_bar->setRange(0, 1000);
    m_bar->setTextVisible(false);
    m_bar->setFixedWidth(140);
    m_bar->setMaximumHeight(fontMetrics().height());
    m_cancel = new QToolButton(this);
    m_cancel->setIcon(Icons::get(QStringLiteral("cancel")));
    m_cancel->setAutoRaise(true);
    m_cancel->setToolTip(tr("Cancel this job"));
    layout->addWidget(m_label);
    layout->addWidget(m_bar);
    layout->addWidget(m_cancel);
    connect(m_cancel, &QToolButton::clicked, this, [this] {
        if (!m_jobs.empty())
            m_jobs.back().watcher->cancel();
    });
    refresh();
}

JobProgressWidget::~JobProgressWidget() = default;

void JobProgressWidget::track(const QFuture<void> &future, const QString &description)
{
    if (future.isFinished())
        return;
    auto *watcher = new QFutureWatcher<void>(this);
    m_jobs.push_back(Job{watcher, description});
    connect(watcher, &QFutureWatcherBase::progressValueChanged, this, [this, watcher] {
        if (!m_jobs.empty() && m_jobs.back().watcher == watcher)
            refresh();
    });
    connect(watcher, &QFutureWatcherBase::progressRangeChanged, this, [this, watcher] {
        if (!m_jobs.empty() && m_jobs.back().watcher == watcher)
            refresh();
    });
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] { remove(watcher); });
    watcher->setFuture(future);
    refresh();
}

QString JobProgressWidget::currentDescription() const
{
    return m_jobs.empty() ? QString() : m_jobs.back().description;
}

void JobProgressWidget::remove(QFutureWatcher<void> *watcher)
{
    m_jobs.erase(std::remove_if(m_jobs.begin(), m_jobs.end(), [watcher](const Job &job) { return job.watcher == watcher; }),
                 m_jobs.end());
    watcher->deleteLater();
    refresh();
}

void JobProgressWidget::refresh()
{
    setVisible(!m_jobs.empty());
    if (m_jobs.empty())
        return;
    const Job &job = m_jobs.back();
    QString text = job.description;
    if (m_jobs.size() > 1)
        text += tr(" (+%1 more)").arg(m_jobs.size() - 1);
    m_label->setText(fontMetrics().elidedText(text, Qt::ElideMiddle, 360));
    m_label->setToolTip(text);
    const int minimum = job.watcher->progressMinimum();
    const int maximum = job.watcher->progressMaximum();
    // Until the first step a job may be waiting (for the registry's lock, say): an empty bar
    // would look stuck, the busy one says it is alive.
    if (maximum > minimum && job.watcher->progressValue() > minimum) {
        m_bar->setRange(minimum, maximum);
        m_bar->setValue(job.watcher->progressValue());
    } else {
        m_bar->setRange(0, 0); // busy: the job reports no progress
    }
}

} // namespace tantra
