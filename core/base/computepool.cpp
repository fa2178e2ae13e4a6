#include "computepool.h"

#include <QCoreApplication>
#include <QMutex>
#include <QPointer>
#include <QThread>
#include <QThreadPool>

#include <algorithm>

namespace tantra {

QThreadPool *computePool()
{
    static QMutex mutex;
    static QPointer<QThreadPool> pool;
    const QMutexLocker lock(&mutex);
    if (!pool) {
        // Parented to the application so its threads are joined before Qt goes down; without
        // an application (a plain test of the parser) it lives for the process.
        pool = new QThreadPool(QCoreApplication::instance());
        pool->setObjectName(QStringLiteral("tantra-compute"));
        pool->setMaxThreadCount(std::max(2, QThread::idealThreadCount()));
    }
    return pool;
}

} // namespace tantra
