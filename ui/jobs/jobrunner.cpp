#include "jobrunner.h"

#include <algorithm>

namespace tantra {

JobRunner::JobRunner(QObject *parent, Mode mode) : QObject(parent), m_mode(mode)
{
}

JobRunner::~JobRunner()
{
    // The watchers are children and go with this object, so no result is delivered from here
    // on; the jobs themselves hold what they read and may finish later unless waited for.
    if (m_waitOnDestroy)
        cancelAllAndWait();
    else
        cancelAll();
}

std::vector<JobRunner::JobInfo> JobRunner::jobs() const
{
    std::vector<JobInfo> wanted;
    for (const Job &job : m_jobs) {
        if (job.generation == m_generation)
            wanted.push_back(job.info);
    }
    return wanted;
}

bool JobRunner::isBusy() const
{
    return std::any_of(m_jobs.begin(), m_jobs.end(), [this](const Job &job) { return job.generation == m_generation; });
}

void JobRunner::cancel(int id)
{
    for (Job &job : m_jobs) {
        if (job.info.id == id)
            job.future.cancel();
    }
}

void JobRunner::cancelAll()
{
    const bool hadWanted = isBusy();
    for (Job &job : m_jobs)
        job.future.cancel();
    ++m_generation;
    if (hadWanted)
        Q_EMIT jobsChanged();
    updateBusy();
}

void JobRunner::cancelAllAndWait()
{
    cancelAll();
    // Copies: a job may end (and be erased) while another is waited for.
    std::vector<QFuture<void>> futures;
    for (const Job &job : m_jobs)
        futures.push_back(job.future);
    for (QFuture<void> &future : futures)
        future.waitForFinished();
}

int JobRunner::begin(const QString &title, const QFuture<void> &future)
{
    const int id = ++m_nextId;
    m_jobs.push_back(Job{JobInfo{id, title, 0}, future, m_generation});
    if (!title.isEmpty())
        Q_EMIT jobStarted(future, title);
    Q_EMIT jobsChanged();
    updateBusy();
    return id;
}

bool JobRunner::finish(int id, bool canceled)
{
    const auto it = std::find_if(m_jobs.begin(), m_jobs.end(), [id](const Job &job) { return job.info.id == id; });
    if (it == m_jobs.end())
        return false;
    const bool wanted = it->generation == m_generation;
    const QString title = it->info.title;
    m_jobs.erase(it);
    if (wanted)
        Q_EMIT jobsChanged();
    updateBusy();
    Q_EMIT jobEnded(title, canceled || !wanted);
    return wanted;
}

void JobRunner::setProgress(int id, int permille)
{
    for (Job &job : m_jobs) {
        if (job.info.id != id)
            continue;
        job.info.permille = permille;
        if (job.generation == m_generation)
            Q_EMIT jobProgress(id, permille);
    }
}

void JobRunner::updateBusy()
{
    const bool busy = isBusy();
    if (busy == m_busy)
        return;
    m_busy = busy;
    Q_EMIT busyChanged(busy);
}

} // namespace tantra
