#include "jobpool.h"

#include "computepool.h"

namespace tantra {

QThreadPool *JobPool::instance()
{
    // One pool for the UI's jobs and the core's parallel work inside them: both must stay off
    // the global pool, and a job waiting on its own chunks steals them rather than deadlock.
    return computePool();
}

} // namespace tantra
