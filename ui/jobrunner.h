#pragma once

#include "jobcontext.h"
#include "result.h"

#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QPromise>
#include <QString>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <functional>
#include <memory>
#include <vector>

namespace tantra {

// Runs long core operations off the GUI thread. Each job is a function of a JobContext
// (cancel flag + progress) executed with QtConcurrent::run and a QPromise; its progress and
// result come back through a QFutureWatcher, so `onDone` always runs on the GUI thread.
// A result is dropped when its receiver object has been destroyed meanwhile (stale results
// never touch a dead widget). Closing the window cancels and waits for every job.
class JobRunner : public QObject
{
    Q_OBJECT
public:
    struct JobInfo
    {
        int id = 0;
        QString title;
        int permille = 0;
        QString detail; // "1.2 GiB of 4.0 GiB"
        std::function<void()> cancel;
    };

    explicit JobRunner(QObject *parent = nullptr);
    ~JobRunner() override;

    // Starts `work` in the background; `onDone(result)` runs on the GUI thread unless
    // `receiver` is gone. Returns the job's id.
    template<typename T>
    int run(const QString &title, std::function<T(JobContext &)> work, QObject *receiver, std::function<void(const T &)> onDone)
    {
        const int id = ++m_nextId;
        auto *watcher = new QFutureWatcher<T>(this);
        QPointer<QObject> guard(receiver);
        // The JobContext must outlive the task; the promise's cancel state drives it.
        QFuture<T> future = QtConcurrent::run(&m_pool, [work](QPromise<T> &promise) {
            JobContext job;
            bindPromise(job, promise);
            promise.addResult(work(job));
        });
        connect(watcher, &QFutureWatcherBase::progressValueChanged, this, [this, id](int value) { setProgress(id, value); });
        connect(watcher, &QFutureWatcherBase::finished, this, [this, id, title, watcher, guard, onDone] {
            // A cancelled promise drops its result: the job ends without calling back.
            const bool hasResult = watcher->future().resultCount() > 0;
            if (hasResult && guard && onDone)
                onDone(watcher->future().result());
            finish(id);
            Q_EMIT jobEnded(title, !hasResult);
            watcher->deleteLater();
        });
        watcher->setFuture(future);
        Q_EMIT jobStarted(QFuture<void>(future), title);
        m_jobs.push_back(JobInfo{id, title, 0, QString(), [future]() mutable { future.cancel(); }});
        m_waiters.push_back([future]() mutable { future.waitForFinished(); });
        Q_EMIT jobsChanged();
        return id;
    }

    const std::vector<JobInfo> &jobs() const { return m_jobs; }
    bool isBusy() const { return !m_jobs.empty(); }
    void cancel(int id);
    // Cancels everything and blocks until all jobs have returned: for shutdown.
    void cancelAllAndWait();

Q_SIGNALS:
    // For the status bar and the jobs panel, which show progress and offer cancel.
    void jobStarted(const QFuture<void> &future, const QString &title);
    void jobsChanged();
    void jobProgress(int id, int permille);
    void jobEnded(const QString &title, bool canceled);

private:
    void setProgress(int id, int permille);
    void finish(int id);

    QThreadPool m_pool;
    int m_nextId = 0;
    std::vector<JobInfo> m_jobs;
    std::vector<std::function<void()>> m_waiters;
};

} // namespace tantra
