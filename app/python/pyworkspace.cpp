#include "pyworkspace.h"

#include "modelruntime.h"
#include "pyerrors.h"
#include "pyvalues.h"

#include <QDateTime>

#include <pybind11/stl.h>

namespace py = pybind11;
using namespace py::literals;

namespace tantra::python {

namespace {

QString optionalText(const py::handle &value)
{
    return value.is_none() ? QString() : fromPy(value);
}

py::list stringList(const QStringList &items)
{
    py::list list;
    for (const QString &item : items)
        list.append(toPy(item));
    return list;
}

const char *checksumStatusWord(ChecksumStatus status)
{
    switch (status) {
    case ChecksumStatus::Ok: return "ok";
    case ChecksumStatus::Changed: return "changed";
    case ChecksumStatus::Missing: return "missing";
    case ChecksumStatus::Error: return "error";
    }
    return "error";
}

// A ConfigManager override "section.key=value" from a keyword argument; the value written as
// YAML reads a plain scalar back (True → true).
QString overrideText(const QString &key, const py::handle &value)
{
    QString text;
    if (py::isinstance<py::bool_>(value))
        text = value.cast<bool>() ? QStringLiteral("true") : QStringLiteral("false");
    else
        text = fromPy(py::str(value));
    return key + QLatin1Char('=') + text;
}

QStringList overridesFromPy(const py::kwargs &kwargs)
{
    QStringList overrides;
    for (const auto &[key, value] : kwargs) {
        const QString name = fromPy(key);
        if (py::isinstance<py::dict>(value)) {
            for (const auto &[subKey, subValue] : py::reinterpret_borrow<py::dict>(value))
                overrides << overrideText(name + QLatin1Char('.') + fromPy(subKey), subValue);
        } else {
            overrides << overrideText(name, value);
        }
    }
    return overrides;
}

class PyConfigManager
{
public:
    explicit PyConfigManager(const py::handle &root) : m_configs(workspaceFromPy(root).configDir()) {}

    py::dict config(const QString &type) const { return configToPy(unwrap(m_configs.getConfig(type))); }
    py::dict paths(const QString &type) const { return toPy(unwrap(m_configs.getPaths(type))); }
    py::dict training(const QString &type) const { return toPy(unwrap(m_configs.getTrainingConfig(type))); }
    py::dict serve(const QString &type) const { return toPy(unwrap(m_configs.getServeConfig(type))); }
    py::list types() const { return stringList(m_configs.modelTypes()); }
    py::dict create(const QString &type, const py::handle &fromType, const py::kwargs &kwargs)
    {
        return configToPy(unwrap(m_configs.createModelConfig(type, optionalText(fromType), overridesFromPy(kwargs))));
    }

private:
    ConfigManager m_configs;
};

class PyModelRuntime
{
public:
    PyModelRuntime(const QString &type, const py::handle &version, const py::handle &root, Framework framework)
        : m_framework(framework)
    {
        PyWeightManager manager(root);
        const QString v = optionalText(version);
        Result<ModelRuntime> runtime = [&] {
            py::gil_scoped_release release;
            return ModelRuntime::create(manager.core(), type, v);
        }();
        m_runtime = std::make_shared<ModelRuntime>(unwrap(std::move(runtime)));
        if (m_framework == Framework::Torch) {
            py::module_::import("torch");
            auto privates = std::make_shared<std::vector<std::shared_ptr<PrivateMapping>>>();
            for (const auto &shard : m_runtime->model().shards())
                privates->push_back(privateMapping(*shard));
            m_privates = privates;
            m_owner = mappingOwner(privates);
        } else {
            m_owner = mappingOwner(m_runtime);
        }
    }

    py::object tensor(const QString &name) const
    {
        const BoundTensor *bound = m_runtime->tensor(name);
        if (!bound)
            throw py::key_error("'" + name.toStdString() + "': the config of " + m_runtime->config().type.toStdString()
                                + " names no such tensor");
        return view(*bound);
    }
    py::dict tensors() const
    {
        py::dict out;
        for (const BoundTensor &bound : m_runtime->tensors())
            out[toPy(bound.name)] = view(bound);
        return out;
    }
    std::optional<qint64> dimension(const QString &name) const { return m_runtime->dimension(name); }
    py::dict config() const { return configToPy(m_runtime->config()); }
    py::dict weight() const { return entryToPy(m_runtime->weight()); }

private:
    py::object view(const BoundTensor &bound) const
    {
        if (m_framework == Framework::Torch) {
            const auto &shards = m_runtime->model().shards();
            for (std::size_t i = 0; i < shards.size(); ++i) {
                const auto range = shards[i]->mapping().bytes();
                if (bound.data.data() >= range.data() && bound.data.data() + bound.data.size() <= range.data() + range.size())
                    return torchView(tensorView(*bound.info, inPrivateMapping(*(*m_privates)[i], *shards[i], bound.data), m_owner, true),
                                     *bound.info);
            }
        }
        py::array array = tensorView(*bound.info, bound.data, m_owner);
        if (m_framework == Framework::Torch)
            return torchView(array, *bound.info);
        return array;
    }

    Framework m_framework;
    std::shared_ptr<const std::vector<std::shared_ptr<PrivateMapping>>> m_privates; // torch: the shards' private mappings
    std::shared_ptr<ModelRuntime> m_runtime;
    py::capsule m_owner;
};

} // namespace

Workspace workspaceFromPy(const py::handle &root)
{
    return Workspace(Workspace::resolveRoot(optionalText(root)));
}

PyWeightManager::PyWeightManager(const py::handle &root) : m_manager(workspaceFromPy(root)) {}

py::dict PyWeightManager::loadWeights(const QString &type, const QString &version, Framework framework)
{
    Result<SafetensorsModel> model = [&] {
        py::gil_scoped_release release;
        return m_manager.loadWeights(type, version);
    }();
    return modelTensors(unwrap(std::move(model)), framework);
}

QString PyWeightManager::saveWeights(const py::handle &stateDict, const QString &type, const QString &wantedVersion,
                                     bool activate, const py::handle &metadata, const py::handle &dtypes)
{
    const TensorsToWrite prepared = tensorsFromPy(stateDict, dtypes);
    const Metadata meta = metadataFromPy(metadata);
    if (type.isEmpty())
        throw py::value_error("model_type must not be empty");
    QString version = wantedVersion;
    QString produced;
    Result<WeightEntry> entry = [&]() -> Result<WeightEntry> {
        py::gil_scoped_release release;
        // As WeightManager::saveWeights: a workspace with configs but no Model/ yet gets it.
        if (auto layout = m_manager.workspace().createLayout(); !layout)
            return layout.error();
        if (version.isEmpty()) {
            auto data = m_manager.snapshot();
            if (!data)
                return data.error();
            const QString stamp = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
            version = m_manager.freeVersion(*data, type, stamp, false);
        }
        // The same path as `import`: written in a scratch folder under Model/, then hashed,
        // validated against the config and moved into place under the registry lock.
        return m_manager.addDerivedVersion(type, version, false, activate, QStringLiteral("saved from Python"),
                                           [&](const QString &path) {
                                               produced = path;
                                               return writeSafetensors(path, prepared.tensors, meta);
                                           });
    }();
    if (!entry) {
        // The scratch file is gone; the user knows the weight by its final name.
        Error error = entry.error();
        if (!produced.isEmpty() && error.path == produced)
            error.path = m_manager.finalPathFor(type, version, false);
        raise(error);
    }
    return m_manager.workspace().absolutePath(entry->path);
}

void bindWorkspace(py::module_ &module)
{
    py::class_<PyWeightManager>(module, "WeightManager",
                                "The weights of a workspace: the root given, else $TANTRA_ROOT, else the current folder.")
        .def(py::init([](const py::handle &root) { return PyWeightManager(root); }), "root"_a = py::none())
        .def_property_readonly("root", [](PyWeightManager &self) { return toPy(self.core().workspace().root()); },
                               "The workspace's root folder.")
        .def("load_weights",
             [](PyWeightManager &self, const QString &type, const py::handle &version, const std::string &framework) {
                 return self.loadWeights(type, optionalText(version), frameworkFromPy(framework));
             },
             "model_type"_a, "version"_a = py::none(), "framework"_a = "numpy",
             "Every tensor of a weight (version None: the active one) as name → read-only numpy array viewing the "
             "file's mapping (zero-copy; the mapping lives while any array does). bf16 comes as uint16, the 8-bit "
             "floats as uint8 codes. framework='torch' gives torch tensors over the same memory.")
        .def("save_weights",
             [](PyWeightManager &self, const py::handle &stateDict, const QString &type, const py::handle &name,
                const py::handle &version, bool isActive, const py::handle &metadata, const py::handle &dtypes) {
                 QString v = optionalText(version);
                 if (!name.is_none()) {
                     const QString n = fromPy(name);
                     const QString prefix = type + QLatin1Char('_');
                     if (!n.startsWith(prefix) || n.size() == prefix.size())
                         throw py::value_error("name '" + n.toStdString() + "' must be '" + prefix.toStdString() + "<version>'");
                     if (!v.isEmpty() && v != n.mid(prefix.size()))
                         throw py::value_error("name '" + n.toStdString() + "' and version '" + v.toStdString() + "' disagree");
                     v = n.mid(prefix.size());
                 }
                 return toPy(self.saveWeights(stateDict, type, v, isActive, metadata, dtypes));
             },
             "state_dict"_a, "model_type"_a, "name"_a = py::none(), "version"_a = py::none(), "is_active"_a = false,
             "metadata"_a = py::none(), "dtypes"_a = py::none(),
             "Writes a new version (name '<type>_<version>', or version; neither: a UTC timestamp) atomically, hashes it, "
             "validates it against the type's config and registers it in one locked step. Returns its path.")
        .def("get_weight_path",
             [](PyWeightManager &self, const QString &type, const py::handle &version) {
                 return toPy(unwrap(self.core().getWeightPath(type, optionalText(version))));
             },
             "model_type"_a, "version"_a = py::none(), "The absolute path of a weight (version None: the active one).")
        .def("set_active_weight",
             [](PyWeightManager &self, const QString &name) {
                 Status status = [&] { py::gil_scoped_release r; return self.core().setActiveWeight(name); }();
                 check(status);
             },
             "name"_a, "Makes the weight '<type>_<version>' the active one of its type.")
        .def("backup_weight",
             [](PyWeightManager &self, const QString &name) {
                 Result<QString> archive = [&] { py::gil_scoped_release r; return self.core().backupWeight(name); }();
                 return toPy(unwrap(std::move(archive)));
             },
             "name"_a, "Writes a backup archive of the weight (zip: weight, config, checksums); returns its path.")
        .def("cleanup_old_weights",
             [](PyWeightManager &self, const QString &type, int keepCount, bool dryRun) {
                 if (keepCount < 0)
                     throw py::value_error("keep_count must not be negative");
                 Result<CleanupPlan> plan = [&] { py::gil_scoped_release r; return self.core().cleanupOldWeights(type, keepCount, dryRun); }();
                 py::list removed;
                 for (const WeightEntry &entry : unwrap(std::move(plan)).remove)
                     removed.append(toPy(entry.name));
                 return removed;
             },
             "model_type"_a, "keep_count"_a, "dry_run"_a = false,
             "Removes all but the keep_count newest weights of the type (never the active one, never backups). "
             "Returns the names removed (with dry_run: that would be).")
        .def("validate_weights",
             [](PyWeightManager &self, const QString &type, const py::handle &version, bool deep) {
                 const QString v = optionalText(version);
                 Result<ValidationReport> report = [&] { py::gil_scoped_release r; return self.core().validateWeights(type, v, deep); }();
                 const ValidationReport &rep = unwrap(std::move(report));
                 return py::dict("weight"_a = toPy(rep.weight), "path"_a = toPy(rep.path), "passed"_a = rep.passed,
                                 "deep"_a = rep.deep, "issues"_a = stringList(rep.issues), "tensor_count"_a = rep.tensorCount,
                                 "rules_checked"_a = rep.rulesChecked);
             },
             "model_type"_a, "version"_a = py::none(), "deep"_a = false,
             "Checks a weight against its config (deep: also its checksum and NaN/Inf); records and returns the result.")
        .def("list_weights",
             [](PyWeightManager &self, const py::handle &type) {
                 const RegistryData data = unwrap(self.core().snapshot());
                 const QString only = optionalText(type);
                 py::list out;
                 for (const auto &[name, entry] : data.weights) {
                     if (!only.isEmpty() && entry.modelType != only)
                         continue;
                     py::dict d = entryToPy(entry);
                     d["active"] = data.activeOf(entry.modelType) == name;
                     out.append(d);
                 }
                 return out;
             },
             "model_type"_a = py::none(), "Every registered weight (or a type's) as a dict, by name, with 'active'.")
        .def("list_models", [](PyWeightManager &self) { return stringList(self.core().configs().modelTypes()); },
             "The model types configured in Config/.")
        .def("active_weight",
             [](PyWeightManager &self, const QString &type) -> py::object {
                 const QString name = unwrap(self.core().snapshot()).activeOf(type);
                 return name.isEmpty() ? py::object(py::none()) : py::object(toPy(name));
             },
             "model_type"_a, "The active weight's name of a type, or None.")
        .def("verify",
             [](PyWeightManager &self, const py::handle &typeOrName) {
                 const QString what = optionalText(typeOrName);
                 Result<std::vector<VerifyResult>> results = [&] { py::gil_scoped_release r; return self.core().verify(what); }();
                 py::list out;
                 for (const VerifyResult &result : unwrap(std::move(results)))
                     out.append(py::dict("weight"_a = toPy(result.weight), "status"_a = checksumStatusWord(result.status),
                                         "message"_a = toPy(result.message), "sha256"_a = toPy(result.sha256)));
                 return out;
             },
             "model_type_or_name"_a = py::none(),
             "Re-hashes weights (all, a type's or one) against the registry; status is ok, changed, missing or error.")
        .def("history",
             [](PyWeightManager &self, const QString &type) {
                 const RegistryData data = unwrap(self.core().snapshot());
                 py::list out;
                 if (auto it = data.history.find(type); it != data.history.end()) {
                     for (const Activation &a : it->second)
                         out.append(py::dict("weight"_a = toPy(a.weight), "previous"_a = toPy(a.previous), "at"_a = toPy(isoUtc(a.at))));
                 }
                 return out;
             },
             "model_type"_a, "The type's activations, oldest first.")
        .def("rollback",
             [](PyWeightManager &self, const QString &type) {
                 Result<QString> name = [&] { py::gil_scoped_release r; return self.core().rollbackActiveWeight(type); }();
                 return toPy(unwrap(std::move(name)));
             },
             "model_type"_a, "Activates the weight active before the current one; returns its name.")
        .def("setup",
             [](PyWeightManager &self) {
                 Result<SetupReport> report = [&] { py::gil_scoped_release r; return self.core().setup(); }();
                 const SetupReport &rep = unwrap(std::move(report));
                 return py::dict("created"_a = stringList(rep.created), "migrated"_a = stringList(rep.migrated),
                                 "samples"_a = stringList(rep.samples));
             },
             "Creates the workspace's folders, copies the default configs and writes a sample weight per type "
             "(as `tantra-model-manager setup`).");

    py::class_<PyConfigManager>(module, "ConfigManager", "The model-type configs (Config/<type>.yaml) of a workspace.")
        .def(py::init([](const py::handle &root) { return PyConfigManager(root); }), "root"_a = py::none())
        .def("get_model_config", &PyConfigManager::config, "model_type"_a,
             "The type's config as a dict: model_type, description, architecture, derived, training, serve, paths, extra, config_path.")
        .def("get_paths", &PyConfigManager::paths, "model_type"_a, "The config's paths section.")
        .def("get_training_config", &PyConfigManager::training, "model_type"_a, "The config's training section.")
        .def("get_serve_config", &PyConfigManager::serve, "model_type"_a, "The config's serve section.")
        .def("list_model_types", &PyConfigManager::types, "The configured model types, sorted.")
        .def("create_model_config", &PyConfigManager::create, "model_type"_a, "from_type"_a = py::none(),
             "Writes Config/<model_type>.yaml from from_type's config (or the minimal template), with keyword "
             "overrides: d_model=512 sets architecture.d_model, training={'lr': 0.001} a section's key. Returns the new config.");

    py::class_<PyModelRuntime>(module, "ModelRuntime",
                               "The active weight (or a version) of a model type bound by its config's rules: every expected "
                               "tensor checked, aliases resolved, tied tensors served from their source. Zero-copy views.")
        .def(py::init([](const QString &type, const py::handle &version, const py::handle &root, const std::string &framework) {
                 return PyModelRuntime(type, version, root, frameworkFromPy(framework));
             }),
             "model_type"_a, "version"_a = py::none(), "root"_a = py::none(), "framework"_a = "numpy")
        .def("tensor", &PyModelRuntime::tensor, "name"_a, "A tensor by its canonical name or an alias (KeyError if the config names none).")
        .def_property_readonly("tensors", &PyModelRuntime::tensors, "Every bound tensor by canonical name.")
        .def("dimension", &PyModelRuntime::dimension, "name"_a, "An architecture or derived value (d_model, d_inner, …), or None.")
        .def_property_readonly("config", &PyModelRuntime::config, "The type's config as a dict.")
        .def_property_readonly("weight", &PyModelRuntime::weight, "The bound weight's registry entry as a dict.");
}

} // namespace tantra::python
