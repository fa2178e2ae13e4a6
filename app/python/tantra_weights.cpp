// tantra_weights: the seed's Python API on the C++ core. Module-level functions work on the
// workspace at root=, else $TANTRA_ROOT, else the current folder, like the CLI.
#include "configmanager.h"
#include "pyerrors.h"
#include "pytensors.h"
#include "pyvalues.h"
#include "pyworkspace.h"

#include <QDir>
#include <QFileInfo>

#include <pybind11/pybind11.h>

#include <dlfcn.h>

namespace py = pybind11;
using namespace py::literals;
using namespace tantra;
using namespace tantra::python;

namespace {

QString optionalText(const py::handle &value)
{
    return value.is_none() ? QString() : fromPy(value);
}

// `setup` copies the shipped configs from ConfigManager::defaultConfigDir(), which finds them
// beside the program's bin/ — but here the program is python3. Point it at the build tree's
// share/ (beside python/) or the installed one, unless the user chose already.
void findShippedConfigs()
{
    if (qEnvironmentVariableIsSet("TANTRA_DEFAULT_CONFIG_DIR"))
        return;
    // __file__ is not set yet while the module initialises; the loader knows where we are.
    Dl_info self{};
    if (!dladdr(reinterpret_cast<const void *>(&findShippedConfigs), &self) || !self.dli_fname)
        return;
    const QString here = QFileInfo(QString::fromLocal8Bit(self.dli_fname)).absolutePath();
    // The build tree: build/<preset>/python beside share/. Installed: <prefix>/lib/python3/
    // dist-packages, three levels under <prefix>/share (CPack's prefix may differ from the
    // configured one, so that comes last).
    const QStringList candidates{here + QStringLiteral("/../share/tantra-weight-manager/Config"),
                                 here + QStringLiteral("/../../../share/tantra-weight-manager/Config"),
                                 QStringLiteral(TANTRA_INSTALLED_CONFIG_DIR)};
    for (const QString &candidate : candidates) {
        if (QFileInfo(candidate).isDir()) {
            qputenv("TANTRA_DEFAULT_CONFIG_DIR", QDir::cleanPath(candidate).toUtf8());
            return;
        }
    }
}

} // namespace

PYBIND11_MODULE(tantra_weights, m)
{
    m.doc() = "Tantra Weight Manager's workspace from Python: versioned .safetensors weights, their registry and "
              "model-type configs, backed by the same C++ core as the CLI and the desktop app. Loading is zero-copy "
              "(read-only numpy views of the file's mapping); saving is atomic, hashed, validated and registered "
              "under the registry lock.";
    m.attr("__version__") = TANTRA_VERSION;
    py::module_::import("numpy");
    registerErrors(m);
    bindWorkspace(m);
    findShippedConfigs();

    m.def("load_model_weights",
          [](const QString &type, const py::handle &version, const std::string &framework, const py::handle &root) {
              PyWeightManager manager(root);
              return manager.loadWeights(type, optionalText(version), frameworkFromPy(framework));
          },
          "model_type"_a, "version"_a = py::none(), "framework"_a = "numpy", "root"_a = py::none(),
          "The tensors of a model type's active weight (or a version) as name → read-only array viewing the file's "
          "mapping, zero-copy. framework: 'numpy' (bf16 as uint16, 8-bit floats as uint8 codes) or 'torch'.");
    m.def("save_model_weights",
          [](const py::handle &stateDict, const QString &type, const py::handle &version, bool activate,
             const py::handle &metadata, const py::handle &dtypes, const py::handle &root) {
              PyWeightManager manager(root);
              return toPy(manager.saveWeights(stateDict, type, optionalText(version), activate, metadata, dtypes));
          },
          "state_dict"_a, "model_type"_a, "version"_a = py::none(), "activate"_a = false, "metadata"_a = py::none(),
          "dtypes"_a = py::none(), "root"_a = py::none(),
          "Saves a state dict (name → numpy array or CPU torch tensor) as a new version of a model type: written "
          "atomically, hashed, validated against the type's config and registered in one locked step, as "
          "`tantra-model-manager import` does. version None: a UTC timestamp. dtypes re-tags raw arrays "
          "({'w': 'BF16'} for bf16 loaded as uint16). Returns the weight's path.");
    m.def("get_model_config",
          [](const QString &type, const py::handle &root) {
              return configToPy(unwrap(ConfigManager(workspaceFromPy(root).configDir()).getConfig(type)));
          },
          "model_type"_a, "root"_a = py::none(), "The type's config (Config/<type>.yaml) as a dict.");
    m.def("get_paths",
          [](const QString &type, const py::handle &root) {
              return toPy(unwrap(ConfigManager(workspaceFromPy(root).configDir()).getPaths(type)));
          },
          "model_type"_a, "root"_a = py::none(), "The paths section of the type's config.");
    m.def("get_training_config",
          [](const QString &type, const py::handle &root) {
              return toPy(unwrap(ConfigManager(workspaceFromPy(root).configDir()).getTrainingConfig(type)));
          },
          "model_type"_a, "root"_a = py::none(), "The training section of the type's config.");
    m.def("get_serve_config",
          [](const QString &type, const py::handle &root) {
              return toPy(unwrap(ConfigManager(workspaceFromPy(root).configDir()).getServeConfig(type)));
          },
          "model_type"_a, "root"_a = py::none(), "The serve section of the type's config.");
    m.def("create_model_config",
          [m](const py::handle &type, const py::handle &fromType, const py::handle &root, const py::kwargs &kwargs) {
              return m.attr("ConfigManager")(root).attr("create_model_config")(type, fromType, **kwargs);
          },
          "model_type"_a, "from_type"_a = py::none(), "root"_a = py::none(),
          "Writes Config/<model_type>.yaml (see ConfigManager.create_model_config); returns the new config.");
}
