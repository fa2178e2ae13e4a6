#include "pyvalues.h"

#include <QJsonObject>

namespace py = pybind11;

namespace tantra::python {

py::str toPy(const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    return py::str(utf8.constData(), std::size_t(utf8.size()));
}

QString fromPy(const py::handle &text)
{
    const py::object path = py::module_::import("os").attr("fspath")(text);
    if (!py::isinstance<py::str>(path))
        throw py::type_error("expected a str or os.PathLike of str");
    return QString::fromStdString(path.cast<std::string>());
}

py::object toPy(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::UnknownType:
        return py::none();
    case QMetaType::Bool:
        return py::bool_(value.toBool());
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::UInt:
    case QMetaType::ULongLong:
        return py::int_(value.toLongLong());
    case QMetaType::Double:
    case QMetaType::Float:
        return py::float_(value.toDouble());
    case QMetaType::QVariantList:
    case QMetaType::QStringList: {
        py::list list;
        for (const QVariant &item : value.toList())
            list.append(toPy(item));
        return list;
    }
    case QMetaType::QVariantMap:
        return toPy(value.toMap());
    case QMetaType::QVariantHash: {
        py::dict dict;
        const QVariantHash hash = value.toHash();
        for (auto it = hash.begin(); it != hash.end(); ++it)
            dict[toPy(it.key())] = toPy(it.value());
        return dict;
    }
    default:
        return toPy(value.toString());
    }
}

py::dict toPy(const QVariantMap &map)
{
    py::dict dict;
    for (auto it = map.begin(); it != map.end(); ++it)
        dict[toPy(it.key())] = toPy(it.value());
    return dict;
}

py::dict entryToPy(const WeightEntry &entry)
{
    py::dict dict = toPy(Registry::entryToJson(entry).toVariantMap());
    dict["name"] = toPy(entry.name);
    return dict;
}

py::dict configToPy(const ModelConfig &config)
{
    py::dict dict;
    dict["model_type"] = toPy(config.type);
    dict["description"] = toPy(config.description);
    dict["architecture"] = toPy(config.architecture);
    py::dict derived;
    for (const auto &[name, value] : config.derived)
        derived[toPy(name)] = py::int_(value);
    dict["derived"] = derived;
    dict["training"] = toPy(config.training);
    dict["serve"] = toPy(config.serve);
    dict["paths"] = toPy(config.paths);
    dict["extra"] = toPy(config.extra);
    dict["config_path"] = toPy(config.filePath);
    return dict;
}

} // namespace tantra::python
