#include "pytensors.h"

#include "dtype.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace py = pybind11;
using namespace py::literals;

namespace tantra::python {

namespace {

bool isSubByte(Dtype dtype)
{
    return dtypeBits(dtype) < 8;
}

// The numpy type a tensor is viewed as: see tensorView.
const char *numpyTypeOf(Dtype dtype)
{
    switch (dtype) {
    case Dtype::BOOL: return "?";
    case Dtype::U8: return "u1";
    case Dtype::I8: return "i1";
    case Dtype::I16: return "<i2";
    case Dtype::U16: return "<u2";
    case Dtype::F16: return "<f2";
    case Dtype::BF16: return "<u2";
    case Dtype::I32: return "<i4";
    case Dtype::U32: return "<u4";
    case Dtype::F32: return "<f4";
    case Dtype::C64: return "<c8";
    case Dtype::F64: return "<f8";
    case Dtype::I64: return "<i8";
    case Dtype::U64: return "<u8";
    default: return "u1"; // the 8-bit floats' codes; the packed 4/6-bit floats' bytes
    }
}

std::string quotedName(const std::string &name)
{
    return "'" + name + "'";
}

} // namespace

Framework frameworkFromPy(const std::string &name)
{
    if (name == "numpy")
        return Framework::Numpy;
    if (name == "torch" || name == "pt")
        return Framework::Torch;
    throw py::value_error("framework must be 'numpy' or 'torch', not '" + name + "'");
}

py::capsule mappingOwner(std::shared_ptr<const void> keepAlive)
{
    auto *payload = new std::shared_ptr<const void>(std::move(keepAlive));
    return py::capsule(payload, "tantra_weights.mapping",
                       [](PyObject *capsule) {
                           delete static_cast<std::shared_ptr<const void> *>(
                               PyCapsule_GetPointer(capsule, "tantra_weights.mapping"));
                       });
}

py::array tensorView(const TensorInfo &info, std::span<const std::byte> data, const py::handle &owner, bool writable)
{
    const py::dtype type = py::reinterpret_steal<py::dtype>(py::dtype::from_args(py::str(numpyTypeOf(info.dtype))).release());
    std::vector<py::ssize_t> shape;
    if (isSubByte(info.dtype)) {
        shape.push_back(py::ssize_t(data.size()));
    } else {
        for (std::uint64_t d : info.shape)
            shape.push_back(py::ssize_t(d));
    }
    // numpy would allocate for a null pointer; an empty tensor still gets an address in the map.
    static const std::byte empty{};
    const void *ptr = data.data() ? static_cast<const void *>(data.data()) : &empty;
    py::array array(type, shape, ptr, owner);
    // The mapping is read-only: writing through the array must raise, not crash.
    if (!writable)
        py::detail::array_proxy(array.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return array;
}

py::object torchView(const py::array &view, const TensorInfo &info)
{
    py::module_ torch = py::module_::import("torch");
    const auto fromNumpy = [&torch](const py::handle &array) { return torch.attr("from_numpy")(array); };
    switch (info.dtype) {
    case Dtype::BF16:
        return fromNumpy(view.attr("view")("<i2")).attr("view")(torch.attr("bfloat16"));
    case Dtype::F8_E4M3:
    case Dtype::F8_E5M2: {
        const char *name = info.dtype == Dtype::F8_E4M3 ? "float8_e4m3fn" : "float8_e5m2";
        if (!py::hasattr(torch, name))
            break;
        return fromNumpy(view).attr("view")(torch.attr(name));
    }
    case Dtype::U16:
    case Dtype::U32:
    case Dtype::U64: {
        const char *name = info.dtype == Dtype::U16 ? "uint16" : info.dtype == Dtype::U32 ? "uint32" : "uint64";
        if (!py::hasattr(torch, name))
            break;
        return fromNumpy(view);
    }
    default:
        if (dtypeIsFloat(info.dtype) && dtypeBits(info.dtype) <= 8)
            break; // the other 8-bit floats and the packed 4/6-bit ones
        return fromNumpy(view);
    }
    throw py::type_error("tensor " + quotedName(info.name) + " is " + dtypeName(info.dtype) + ", which torch "
                         + py::str(torch.attr("__version__")).cast<std::string>()
                         + " has no dtype for; load it with framework='numpy'");
}

PrivateMapping::~PrivateMapping()
{
    if (base)
        ::munmap(base, size);
}

std::shared_ptr<PrivateMapping> privateMapping(const SafetensorsFile &file)
{
    const std::size_t size = std::size_t(file.mapping().size());
    const std::string path = file.path().toStdString();
    // The descriptor the checked mapping was made from: the same file, even if another
    // process has renamed a new one into its place since (a file opened again by path could
    // be shorter, and touching a page past its end is SIGBUS).
    int fd = file.mapping().fd();
    bool own = false;
    if (fd < 0) {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throw std::runtime_error(path + ": cannot open for a private mapping: " + std::strerror(errno));
        own = true;
        struct stat st;
        if (::fstat(fd, &st) != 0 || std::uint64_t(st.st_size) != file.mapping().size()) {
            ::close(fd);
            throw std::runtime_error(path + ": the file changed while it was being loaded; load it again");
        }
    }
    void *base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    const int mapError = errno;
    if (own)
        ::close(fd);
    if (base == MAP_FAILED)
        throw std::runtime_error(path + ": cannot map privately: " + std::strerror(mapError));
    // Opened again by path: the header must be the one checked, or its offsets mean nothing.
    const auto checked = file.mapping().bytes();
    if (own && std::memcmp(base, checked.data(), std::min<std::size_t>(size, 1 << 20)) != 0) {
        ::munmap(base, size);
        throw std::runtime_error(path + ": the file changed while it was being loaded; load it again");
    }
    return std::make_shared<PrivateMapping>(static_cast<std::byte *>(base), size);
}

std::span<const std::byte> inPrivateMapping(const PrivateMapping &mapping, const SafetensorsFile &file, std::span<const std::byte> data)
{
    return {mapping.base + (data.data() - file.mapping().bytes().data()), data.size()};
}

py::dict modelTensors(const SafetensorsModel &model, Framework framework)
{
    if (framework == Framework::Torch)
        py::module_::import("torch"); // a missing torch is an ImportError before any work
    std::vector<py::capsule> owners;
    std::vector<std::shared_ptr<PrivateMapping>> privates;
    for (const auto &shard : model.shards()) {
        if (framework == Framework::Torch) {
            privates.push_back(privateMapping(*shard));
            owners.push_back(mappingOwner(privates.back()));
        } else {
            owners.push_back(mappingOwner(shard));
        }
    }
    py::dict tensors;
    for (const ModelTensor &tensor : model.tensors()) {
        std::span<const std::byte> data = model.data(tensor);
        if (framework == Framework::Torch) {
            data = inPrivateMapping(*privates[std::size_t(tensor.shard)], model.shardOf(tensor), data);
        }
        py::array view = tensorView(*tensor.info, data, owners[std::size_t(tensor.shard)], framework == Framework::Torch);
        py::str name(tensor.info->name);
        if (framework == Framework::Torch)
            tensors[name] = torchView(view, *tensor.info);
        else
            tensors[name] = std::move(view);
    }
    return tensors;
}

namespace {

bool isTorchTensor(const py::handle &value)
{
    const py::object type = py::type::of(value);
    const std::string module = py::str(type.attr("__module__"));
    return module.rfind("torch", 0) == 0 && py::hasattr(value, "detach") && py::hasattr(value, "numpy");
}

// A CPU torch tensor as a contiguous numpy array over its memory, and its safetensors type
// when numpy has none (bf16, the 8-bit floats).
std::pair<py::object, std::optional<Dtype>> fromTorch(const std::string &name, const py::handle &value)
{
    py::module_ torch = py::module_::import("torch");
    py::object tensor = value.attr("detach")();
    const std::string device = py::str(tensor.attr("device").attr("type"));
    if (device != "cpu")
        throw py::type_error("tensor " + quotedName(name) + " is on " + device + "; move it to the CPU first (.cpu())");
    tensor = tensor.attr("contiguous")();
    const py::object dtype = tensor.attr("dtype");
    if (dtype.equal(torch.attr("bfloat16")))
        return {tensor.attr("view")(torch.attr("int16")).attr("numpy")().attr("view")("<u2"), Dtype::BF16};
    for (auto [torchName, safetensorsType] : {std::pair{"float8_e4m3fn", Dtype::F8_E4M3}, std::pair{"float8_e5m2", Dtype::F8_E5M2}}) {
        if (py::hasattr(torch, torchName) && dtype.equal(torch.attr(torchName)))
            return {tensor.attr("view")(torch.attr("uint8")).attr("numpy")(), safetensorsType};
    }
    return {tensor.attr("numpy")(), std::nullopt};
}

std::optional<Dtype> dtypeOfNumpy(const py::dtype &type)
{
    const std::string name = py::str(type.attr("name"));
    if (name == "bfloat16") // ml_dtypes
        return Dtype::BF16;
    const char kind = type.kind();
    const py::ssize_t size = type.itemsize();
    switch (kind) {
    case 'b': return Dtype::BOOL;
    case 'u':
        return size == 1 ? Dtype::U8 : size == 2 ? Dtype::U16 : size == 4 ? Dtype::U32 : size == 8 ? std::optional(Dtype::U64) : std::nullopt;
    case 'i':
        return size == 1 ? Dtype::I8 : size == 2 ? Dtype::I16 : size == 4 ? Dtype::I32 : size == 8 ? std::optional(Dtype::I64) : std::nullopt;
    case 'f':
        return size == 2 ? Dtype::F16 : size == 4 ? Dtype::F32 : size == 8 ? std::optional(Dtype::F64) : std::nullopt;
    case 'c':
        return size == 8 ? std::optional(Dtype::C64) : std::nullopt;
    default:
        return std::nullopt;
    }
}

} // namespace

TensorsToWrite tensorsFromPy(const py::handle &stateDict, const py::handle &dtypes)
{
    if (!py::hasattr(stateDict, "items"))
        throw py::type_error("state_dict must be a mapping of tensor names to arrays or tensors");
    py::module_ numpy = py::module_::import("numpy");
    TensorsToWrite out;
    for (const py::handle item : stateDict.attr("items")()) {
        const py::tuple pair = py::reinterpret_borrow<py::tuple>(item);
        if (!py::isinstance<py::str>(pair[0]))
            throw py::type_error("state_dict keys must be str, found " + std::string(py::str(py::type::of(pair[0]).attr("__name__"))));
        const std::string name = pair[0].cast<std::string>();
        const py::handle value = pair[1];
        py::object array;
        std::optional<Dtype> dtype;
        if (isTorchTensor(value))
            std::tie(array, dtype) = fromTorch(name, value);
        else
            array = numpy.attr("asarray")(value);
        py::dtype type = py::reinterpret_borrow<py::dtype>(array.attr("dtype"));
        if (!dtype)
            dtype = dtypeOfNumpy(type);
        if (!dtypes.is_none() && dtypes.contains(pair[0])) {
            const std::string wanted = py::str(dtypes[pair[0]]);
            const auto retag = dtypeFromName(wanted);
            if (!retag)
                throw py::value_error("dtypes[" + quotedName(name) + "]: unknown safetensors dtype '" + wanted + "'");
            if (dtypeBits(*retag) < 8 || dtypeBits(*retag) != type.itemsize() * 8)
                throw py::value_error("dtypes[" + quotedName(name) + "]: " + wanted + " has " + std::to_string(dtypeBits(*retag))
                                      + "-bit elements, the array " + std::to_string(type.itemsize() * 8) + "-bit ones");
            dtype = retag;
        }
        if (!dtype)
            throw py::type_error("tensor " + quotedName(name) + " has numpy dtype " + std::string(py::str(type))
                                 + ", which safetensors cannot store");
        // The format is little-endian and C-ordered; a view that already is costs nothing.
        array = numpy.attr("ascontiguousarray")(array, "dtype"_a = type.attr("newbyteorder")("<"));
        const py::array contiguous = py::reinterpret_borrow<py::array>(array);
        TensorWrite write;
        write.name = name;
        write.dtype = *dtype;
        for (py::ssize_t i = 0; i < contiguous.ndim(); ++i)
            write.shape.push_back(std::uint64_t(contiguous.shape(i)));
        write.data = std::span(static_cast<const std::byte *>(contiguous.data()), std::size_t(contiguous.nbytes()));
        out.tensors.push_back(std::move(write));
        out.arrays.push_back(std::move(array));
    }
    return out;
}

Metadata metadataFromPy(const py::handle &metadata)
{
    Metadata out;
    if (metadata.is_none())
        return out;
    if (!py::hasattr(metadata, "items"))
        throw py::type_error("metadata must be a mapping of str to str");
    for (const py::handle item : metadata.attr("items")()) {
        const py::tuple pair = py::reinterpret_borrow<py::tuple>(item);
        if (!py::isinstance<py::str>(pair[0]) || !py::isinstance<py::str>(pair[1]))
            throw py::type_error("metadata must map str to str (safetensors stores strings only)");
        out.emplace_back(pair[0].cast<std::string>(), pair[1].cast<std::string>());
    }
    return out;
}

} // namespace tantra::python
