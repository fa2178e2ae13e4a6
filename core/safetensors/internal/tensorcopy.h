#pragma once

#include "result.h"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tantra {

class AtomicFileWriter;
class JobContext;
class StreamReader;

// Copies a tensor's bytes [0, size) unchanged from `reader` to `file`, the pass that repack and
// convert (for the tensors it keeps) share. Pieces of 4 MiB through `buffer`, which the caller
// reuses from tensor to tensor: a fresh buffer costs a page fault per 4 KiB. Each piece
// advances `job`. Returns false, having written part of the tensor, when the job is cancelled;
// a read error names the tensor and the source.
Result<bool> copyTensorBytes(const StreamReader &reader, std::string_view tensorName, std::uint64_t size,
                             AtomicFileWriter &file, std::vector<std::byte> &buffer, JobContext *job);

} // namespace tantra
