#pragma once

class QThreadPool;

namespace tantra {

// The pool for the core's parallel work: hashing several files at once, statistics of large
// tensors in chunks. Not QThreadPool::globalInstance(): Qt's raster paint engine spreads some
// drawing over the global pool and waits for it on the GUI thread, so minutes of hashing
// queued there would freeze the window. One thread per core; owned by the application object
// when there is one.
QThreadPool *computePool();

} // namespace tantra
