#include "jobspanel.h"

#include "icons.h"

#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace tantra {

JobsPanel::JobsPanel(QWidget *parent) : QWidget(parent), m_list(new QVBoxLayout), m_empty(new QLabel(tr("No background jobs are running.")))
{
    setObjectName(QStringLiteral("jobsPanel"));
    m_empty->setEnabled(false);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_empty);
    layout->addLayout(m_list);
    layout->addStretch(1);
}

JobsPanel::~JobsPanel()
{
    // Watchers are children; disconnect first so no finished() reaches a half-destroyed panel.
    for (const Row &row : m_rows)
        row.watcher->disconnect(this);
}

void JobsPanel::track(const QFuture<void> &future, const QString &description)
{
    auto *watcher = new QFutureWatcher<void>(this);
    auto *row = new QWidget;
    auto *label = new QLabel(description);
    label->setWordWrap(true);
    auto *bar = new QProgressBar;
    bar->setRange(0, 0); // busy until the job reports a range
    bar->setTextVisible(false);
    bar->setMaximumHeight(10);
    auto *cancel = new QToolButton;
    cancel->setIcon(Icons::get(QStringLiteral("cancel")));
    cancel->setAutoRaise(true);
    cancel->setToolTip(tr("Cancel %1").arg(description));
    auto *rowLayout = new QHBoxLayout(row);
    rowLayout->setContentsMargins(0, 2, 0, 2);
    auto *text = new QVBoxLayout;
    text->addWidget(label);
    text->addWidget(bar);
    rowLayout->addLayout(text, 1);
    rowLayout->addWidget(cancel);
    m_list->addWidget(row);
    m_rows.push_back(Row{watcher, row});
    m_empty->hide();

    // Busy until the first step: a job waiting for the registry's lock is not stuck at 0 %.
    connect(watcher, &QFutureWatcherBase::progressValueChanged, bar, [watcher, bar](int value) {
        if (watcher->progressMaximum() <= watcher->progressMinimum() || value <= watcher->progressMinimum())
            return;
        bar->setRange(watcher->progressMinimum(), watcher->progressMaximum());
        bar->setValue(value);
    });
    connect(cancel, &QToolButton::clicked, watcher, [watcher, cancel] {
        watcher->cancel();
        cancel->setEnabled(false);
    });
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] { remove(watcher); });
    watcher->setFuture(future);
}

void JobsPanel::remove(QFutureWatcher<void> *watcher)
{
    for (auto it = m_rows.begin(); it != m_rows.end(); ++it) {
        if (it->watcher == watcher) {
            it->widget->deleteLater();
            m_rows.erase(it);
            break;
        }
    }
    watcher->deleteLater();
    m_empty->setVisible(m_rows.empty());
}

} // namespace tantra
