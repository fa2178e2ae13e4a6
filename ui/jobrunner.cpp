#include "jobrunner.h"

#include <algorithm>

namespace tantra {

JobRunner::JobRunner(QObject *parent) : QObject(parent)
{
    // Jobs orchestrate; the heavy lifting inside them (hashing several files, statistics of
    // big tensors) fans out over the global pool. Two job threads keep one long hash from
    // blocking a quick validation.
    m_pool.setMaxThreadCount(2);
}

JobRunner::~JobRunner()
{
    cancelAllAndWait();
}

void JobRunner::cancel(int id)
{
    for (auto &job : m_jobs) {
        if (job.id == id && job.cancel)
            job.cancel();
    }
}

void JobRunner::cancelAllAndWait()
{
    for (auto &job : m_jobs) {
        if (job.cancel)
            job.cancel();
    }
    for (auto &wait : m_waiters)
        wait();
    m_waiters.clear();
    m_pool.waitForDone();
}

void JobRunner::setProgress(int id, int permille)
{
    for (auto &job : m_jobs) {
        if (job.id == id)
            job.permille = permille;
    }
    Q_EMIT jobProgress(id, permille);
}

void JobRunner::finish(int id)
{
    m_jobs.erase(std::remove_if(m_jobs.begin(), m_jobs.end(), [id](const JobInfo &j) { return j.id == id; }), m_jobs.end());
    if (m_jobs.empty())
        m_waiters.clear();
    Q_EMIT jobsChanged();
}

} // namespace tantra
