#pragma once

class QThreadPool;

namespace tantra {

// The thread pool for the UI's background jobs (statistics, heatmaps, opening models).
// Not QThreadPool::globalInstance(): Qt's raster paint engine splits some drawing over the
// global pool and waits for it on the GUI thread, so a long job there freezes painting
// until it ends. It is the core's computePool().
class JobPool
{
public:
    static QThreadPool *instance();
};

} // namespace tantra
