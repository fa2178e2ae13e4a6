#pragma once

#include "registry.h"
#include "weightmanager.h"

#include <QString>
#include <QVariant>

#include <pybind11/pybind11.h>

namespace tantra::python {

// Plain values between Qt and Python: strings, the config's YAML values, registry entries and
// reports as dicts (keys as in the CLI's --json output).
pybind11::str toPy(const QString &text);
QString fromPy(const pybind11::handle &text); // str or os.PathLike
pybind11::object toPy(const QVariant &value);
pybind11::dict toPy(const QVariantMap &map);
pybind11::dict entryToPy(const WeightEntry &entry);
pybind11::dict configToPy(const ModelConfig &config);

} // namespace tantra::python

// Python str ↔ QString for bound functions' arguments (UTF-8 both ways).
namespace pybind11::detail {
template<>
struct type_caster<QString>
{
    PYBIND11_TYPE_CASTER(QString, const_name("str"));

    bool load(handle source, bool)
    {
        if (!source || !PyUnicode_Check(source.ptr()))
            return false;
        Py_ssize_t size = 0;
        const char *utf8 = PyUnicode_AsUTF8AndSize(source.ptr(), &size);
        if (!utf8) {
            PyErr_Clear(); // lone surrogates: not a str the core can take
            return false;
        }
        value = QString::fromUtf8(utf8, qsizetype(size));
        return true;
    }

    static handle cast(const QString &text, return_value_policy, handle)
    {
        const QByteArray utf8 = text.toUtf8();
        return PyUnicode_FromStringAndSize(utf8.constData(), Py_ssize_t(utf8.size()));
    }
};
} // namespace pybind11::detail
