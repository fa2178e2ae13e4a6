#pragma once

#include "safetensorsmodel.h"
#include "safetensorswriter.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <span>
#include <vector>

namespace tantra::python {

enum class Framework { Numpy, Torch };
Framework frameworkFromPy(const std::string &name);

// The owner of views into a mapping: a capsule holding a shared_ptr to whatever keeps the
// mapping alive (the SafetensorsFile, or a ModelRuntime holding the model). Every array made
// over the mapping has it as its base, so the mapping lives while any array does.
pybind11::capsule mappingOwner(std::shared_ptr<const void> keepAlive);

// A read-only numpy array over `data`, zero-copy. Types numpy has: themselves; bf16 as uint16
// and the 8-bit floats as uint8 (same shape, raw codes); the packed 4/6-bit floats as their
// raw bytes (1-D uint8).
// `writable`: over a private copy-on-write mapping (torch's views), where writing is allowed.
pybind11::array tensorView(const TensorInfo &info, std::span<const std::byte> data, const pybind11::handle &owner, bool writable = false);
// The same memory as a torch tensor (bf16 as torch.bfloat16). Raises TypeError for a type the
// installed torch has no dtype for.
pybind11::object torchView(const pybind11::array &view, const TensorInfo &info);

// torch has no read-only tensors: an in-place operation on a view of the read-only mapping
// killed the interpreter with SIGSEGV. Torch tensors view a private, copy-on-write mapping of
// the same file instead: zero-copy for reading, and a write copies the one page it touches in
// this process, never reaching the file.
struct PrivateMapping
{
    std::byte *base = nullptr;
    std::size_t size = 0;
    PrivateMapping(std::byte *b, std::size_t n) : base(b), size(n) {}
    PrivateMapping(const PrivateMapping &) = delete;
    PrivateMapping &operator=(const PrivateMapping &) = delete;
    ~PrivateMapping();
};
// Throws std::runtime_error naming the file when it cannot be mapped, or no longer holds what
// the checked mapping holds.
std::shared_ptr<PrivateMapping> privateMapping(const SafetensorsFile &file);
// `data`, a range of `file`'s checked mapping, at the same offset in `mapping`.
std::span<const std::byte> inPrivateMapping(const PrivateMapping &mapping, const SafetensorsFile &file, std::span<const std::byte> data);

// Every tensor of `model` (name → array or tensor), in file order.
pybind11::dict modelTensors(const SafetensorsModel &model, Framework framework);

// A state dict's tensors ready for the writer. `arrays` holds the contiguous little-endian
// numpy arrays whose memory `tensors` points into; keep it (and the GIL for its destruction)
// while the writer runs.
struct TensorsToWrite
{
    std::vector<pybind11::object> arrays;
    std::vector<TensorWrite> tensors;
};
// `stateDict`: a mapping of name → numpy array, array-like or CPU torch tensor. `dtypes`
// (optional mapping name → safetensors dtype name, e.g. "BF16") re-tags raw arrays of the same
// element size, such as bf16 loaded as uint16.
TensorsToWrite tensorsFromPy(const pybind11::handle &stateDict, const pybind11::handle &dtypes);
Metadata metadataFromPy(const pybind11::handle &metadata);

} // namespace tantra::python
