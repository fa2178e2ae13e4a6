#pragma once

#include "pytensors.h"
#include "weightmanager.h"

#include <pybind11/pybind11.h>

#include <optional>
#include <string>

namespace tantra::python {

// The workspace at root=, else $TANTRA_ROOT, else the current folder (as the CLI's --root).
Workspace workspaceFromPy(const pybind11::handle &root);

// What WeightManager (Python) does, callable from the module-level functions too. Every core
// call that reads or writes weight data (hashing, validating, writing) runs without the GIL.
class PyWeightManager
{
public:
    explicit PyWeightManager(const pybind11::handle &root);

    WeightManager &core() { return m_manager; }
    pybind11::dict loadWeights(const QString &type, const QString &version, Framework framework);
    // Writes, hashes, validates against the type's config and registers, as `import` does.
    // `version` empty: a UTC timestamp. Returns the weight's absolute path.
    QString saveWeights(const pybind11::handle &stateDict, const QString &type, const QString &version, bool activate,
                        const pybind11::handle &metadata, const pybind11::handle &dtypes);

private:
    WeightManager m_manager;
};

// The classes WeightManager, ConfigManager and ModelRuntime.
void bindWorkspace(pybind11::module_ &module);

} // namespace tantra::python
