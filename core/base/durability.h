#pragma once

namespace tantra {

// Whether a file the core writes atomically must also reach the disk before it is renamed
// into place (see AtomicFileWriter). Files the registry will name are always Flushed; NotFlushed
// is for exports outside the workspace and scratch files, written as cp writes them.
enum class Durability { Flushed, NotFlushed };

} // namespace tantra
