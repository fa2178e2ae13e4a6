#pragma once

#include "jobcontext.h"
#include "jobpool.h"

#include <QFuture>
#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QPromise>
#include <QString>
#include <QtConcurrent/QtConcurrentRun>

#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

namespace tantra {

// The one way the GUI runs work off its thread. A job is a function of a JobContext (cancel
// flag + per-mille progress) run on the compute pool (JobPool) with a QPromise; its result
// comes back through a QFutureWatcher, so `onDone` always runs on the GUI thread, and only if
//  - the job's receiver still exists (a destroyed widget is never called back),
//  - the job belongs to the runner's current generation: cancelAll() starts a new one, and so
//    does every run() of a LatestOnly runner, so a superseded job's late result is dropped
//    even when the job never looked at its cancel flag,
//  - and the job was not cancelled (a cancelled promise keeps no result).
// Destroying the runner cancels its jobs, and waits for them if setWaitOnDestroy(true) (jobs
// that write to the workspace must not be cut off by the process ending); as a child of its
// owner it goes with it. Jobs with a title are announced by jobStarted() for the status bar
// and the jobs panel, which show their progress and offer cancel.
class JobRunner : public QObject
{
    Q_OBJECT
public:
    enum class Mode {
        Parallel,   // jobs run side by side (workspace operations, opening models)
        LatestOnly, // a new job supersedes the running one (statistics of the newest selection)
    };

    struct JobInfo
    {
        int id = 0;
        QString title;
        int permille = 0;
    };

    explicit JobRunner(QObject *parent = nullptr, Mode mode = Mode::Parallel);
    ~JobRunner() override;

    void setWaitOnDestroy(bool wait) { m_waitOnDestroy = wait; }

    // Starts `work(JobContext &) -> T` on the pool. `onDone(const T &)` runs on the GUI thread
    // as described above; `onCanceled()` when the job was cancelled (from the jobs panel, or by
    // cancel(id)) rather than superseded. An empty title keeps the job out of the jobs panel.
    template<typename Work, typename Done>
    auto run(const QString &title, Work work, QObject *receiver, Done onDone, std::function<void()> onCanceled = {})
    {
        using T = std::decay_t<std::invoke_result_t<const Work &, JobContext &>>;
        if (m_mode == Mode::LatestOnly)
            cancelAll();
        QFuture<T> future = QtConcurrent::run(JobPool::instance(), [work = std::move(work)](QPromise<T> &promise) {
            JobContext job;
            bindPromise(job, promise);
            promise.addResult(work(job));
        });
        const int id = begin(title, QFuture<void>(future));
        auto *watcher = new QFutureWatcher<T>(this);
        QPointer<QObject> guard(receiver);
        connect(watcher, &QFutureWatcherBase::progressValueChanged, this, [this, id](int value) { setProgress(id, value); });
        connect(watcher, &QFutureWatcherBase::finished, this,
                [this, id, watcher, guard, onDone = std::move(onDone), onCanceled = std::move(onCanceled)] {
                    watcher->deleteLater();
                    const bool wanted = finish(id, watcher->isCanceled()) && guard;
                    if (!wanted)
                        return;
                    if (watcher->future().resultCount() > 0 && !watcher->isCanceled())
                        onDone(watcher->future().result());
                    else if (onCanceled)
                        onCanceled();
                });
        watcher->setFuture(future);
        return future;
    }

    // The jobs whose results are still wanted.
    std::vector<JobInfo> jobs() const;
    // Whether a job whose result is still wanted is running.
    bool isBusy() const;
    void cancel(int id);
    // Cancels every job and drops the results of all of them: a new generation starts.
    void cancelAll();
    // cancelAll(), then blocks until every job (superseded ones too) has returned.
    void cancelAllAndWait();

Q_SIGNALS:
    void jobStarted(const QFuture<void> &future, const QString &title);
    void jobsChanged();
    // Only for jobs whose results are still wanted.
    void jobProgress(int id, int permille);
    void jobEnded(const QString &title, bool canceled);
    void busyChanged(bool busy);

private:
    struct Job
    {
        JobInfo info;
        QFuture<void> future;
        quint64 generation = 0;
    };

    int begin(const QString &title, const QFuture<void> &future);
    // Forgets the job; true when its result is still wanted (its generation is current).
    bool finish(int id, bool canceled);
    void setProgress(int id, int permille);
    void updateBusy();

    Mode m_mode;
    bool m_waitOnDestroy = false;
    bool m_busy = false;
    int m_nextId = 0;
    quint64 m_generation = 0;
    std::vector<Job> m_jobs;
};

} // namespace tantra
