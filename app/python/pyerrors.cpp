#include "pyerrors.h"

#include "pyvalues.h"

namespace py = pybind11;

namespace tantra::python {

namespace {

// The classes live as long as the interpreter (the module holds them too), so plain handles do.
struct ErrorClasses
{
    PyObject *base = nullptr;
    PyObject *notFound = nullptr;
    PyObject *invalidWeight = nullptr;
    PyObject *config = nullptr;
    PyObject *locked = nullptr;
};

ErrorClasses &classes()
{
    static ErrorClasses c;
    return c;
}

PyObject *addClass(py::module_ &module, const char *name, PyObject *base, const char *doc)
{
    const std::string qualified = std::string("tantra_weights.") + name;
    PyObject *cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base, nullptr);
    if (!cls)
        throw py::error_already_set();
    module.add_object(name, py::reinterpret_borrow<py::object>(cls));
    return cls; // the new reference is kept for raise()
}

} // namespace

void registerErrors(py::module_ &module)
{
    ErrorClasses &c = classes();
    c.base = addClass(module, "TantraError", PyExc_Exception,
                      "Base of every error the workspace reports. str() is the core's message, naming the file, "
                      "tensor or key at fault; .path is that file (or '') and .problem what is wrong with it.");
    c.notFound = addClass(module, "WeightNotFound", c.base,
                          "No weight of that name or version is registered, or the model type has no active weight.");
    c.invalidWeight = addClass(module, "InvalidWeight", c.base,
                               "A weight file breaks the safetensors format, or its tensors do not fit the model type's config.");
    c.config = addClass(module, "ConfigError", c.base,
                        "The model type has no Config/<type>.yaml, or the file does not parse or breaks a rule.");
    c.locked = addClass(module, "WorkspaceLocked", c.base,
                        "Another process held the registry lock for the whole wait (30 s); nothing was changed.");
}

void raise(const Error &error)
{
    const ErrorClasses &c = classes();
    PyObject *cls = c.base;
    switch (error.kind) {
    case ErrorKind::NotFound: cls = c.notFound; break;
    case ErrorKind::InvalidWeight: cls = c.invalidWeight; break;
    case ErrorKind::Config: cls = c.config; break;
    case ErrorKind::Locked: cls = c.locked; break;
    case ErrorKind::Other: break;
    }
    py::object exception = py::reinterpret_borrow<py::object>(cls)(toPy(error.message()));
    exception.attr("path") = toPy(error.path);
    exception.attr("problem") = toPy(error.problem);
    PyErr_SetObject(cls, exception.ptr());
    throw py::error_already_set();
}

} // namespace tantra::python
