#pragma once

#include "result.h"

#include <pybind11/pybind11.h>

#include <utility>

namespace tantra::python {

// TantraError and its subclasses, added to the module. Each carries the core's message (which
// names the file, tensor or key) and its pieces as attributes: path, problem.
void registerErrors(pybind11::module_ &module);

// Raises the Python exception for `error`: its ErrorKind picks the class (NotFound →
// WeightNotFound, InvalidWeight, Config → ConfigError, Locked → WorkspaceLocked, Other →
// TantraError). Needs the GIL.
[[noreturn]] void raise(const Error &error);

template<typename T>
T unwrap(Result<T> result)
{
    if (!result)
        raise(result.error());
    return std::move(result).value();
}

inline void check(const Status &status)
{
    if (!status)
        raise(status.error());
}

} // namespace tantra::python
