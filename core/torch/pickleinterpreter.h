#pragma once

#include "dtype.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace tantra {

// A pickle *interpreter* for what `torch.save` writes (protocols 2-5), not an unpickler: it
// builds plain values (numbers, strings, tuples, lists, dicts) and tensor descriptions, and
// resolves GLOBAL only against a fixed allow-list of what a checkpoint of plain tensors needs.
// Any other global (`posix.system`, `builtins.eval`, a user's class) stops the run at the
// GLOBAL opcode itself, before any REDUCE could reach it: there is no code path that calls
// anything. Objects live in an arena addressed by index, so cycles and deep nesting cost no
// recursion; memo, stack, marks and objects are bounded, every length is checked against the
// input. Qt-free, so it can be fuzzed on its own.
class PickleInterpreter
{
public:
    using Ref = std::uint32_t;

    enum class Kind : std::uint8_t {
        None, Bool, Int, BigInt, Float, Str, Bytes, Tuple, List, Dict, Global, Storage, Tensor,
    };

    // The allow-list: every global the interpreter knows. Values of torch.*Storage and the
    // torch dtypes are types, not calls.
    enum class Global : std::uint8_t {
        OrderedDict, RebuildTensorV2, RebuildParameter, RebuildParameterWithState, TorchSize,
        TorchDevice, StorageType, TorchDtype, Set, FrozenSet, ByteArray, CodecsEncode,
    };

    struct Object
    {
        Kind kind = Kind::None;
        std::int64_t integer = 0; // Bool, Int; Global: the Global; Storage, Tensor: their index
        double real = 0;          // Float
        std::string text;         // Str (UTF-8), Bytes, BigInt (little-endian two's complement), Global: its dotted name
        std::vector<Ref> items;   // Tuple, List; Dict: key, value, key, value...
        Dtype dtype = Dtype::U8;  // Global StorageType: the storage's element type
    };

    // A persistent id ('storage', type, key, location, numel[, view]) seen by BINPERSID.
    struct Storage
    {
        std::string key;     // unique per storage (a legacy view's includes its view key)
        std::string rootKey; // the record that holds the bytes
        Dtype dtype = Dtype::U8;
        std::uint64_t numel = 0;       // elements of the whole (root) storage
        std::uint64_t viewOffset = 0;  // legacy views: elements into the root storage
        std::uint64_t viewNumel = 0;   // legacy views: elements of the view (numel when no view)
    };

    // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...).
    struct Tensor
    {
        std::uint32_t storage = 0;
        std::uint64_t offset = 0; // elements into the (view) storage
        std::vector<std::uint64_t> shape;
        std::vector<std::uint64_t> stride; // elements
    };

    struct Limits
    {
        std::size_t maxObjects = std::size_t(1) << 22; // ~80 bytes each
        std::size_t maxStack = std::size_t(1) << 22;
        std::size_t maxMarks = std::size_t(1) << 16;
        std::size_t maxMemo = std::size_t(1) << 24;
        std::size_t maxDims = 64;
    };

    PickleInterpreter() = default;
    explicit PickleInterpreter(Limits limits) : m_limits(limits) {}

    // Runs one pickle from the start of `bytes` to its STOP. Returns an empty string on success
    // (then root() is the value and consumed() how many bytes the pickle took), or the problem.
    std::string run(std::span<const std::byte> bytes);

    Ref root() const { return m_root; }
    std::size_t consumed() const { return m_consumed; }
    const Object &object(Ref ref) const { return m_objects[ref]; }
    const std::vector<Storage> &storages() const { return m_storages; }
    const std::vector<Tensor> &tensors() const { return m_tensors; }

    // "int", "dict", "tensor"...: what a value is, for notes on what was ignored.
    static const char *kindName(Kind kind);
    static int elementBytes(Dtype dtype) { return dtypeBits(dtype) / 8; }

private:
    Ref make(Object object);
    Ref pop();
    Ref top() const;
    void push(Ref ref);
    std::vector<Ref> popToMark();
    void doGlobal(std::string module, std::string name);
    Ref call(Ref callable, Ref args, bool newObject);
    Ref persistentLoad(Ref pid);
    Ref rebuildTensor(const std::vector<Ref> &args);
    std::int64_t intArg(Ref ref, const char *what);
    std::vector<std::uint64_t> dims(Ref ref, const char *what);
    // Records the first problem and returns the poison object (index 0, a None): the run loop
    // stops after the opcode that failed, so no poison value outlives it. No exceptions.
    Ref fail(std::string message);
    bool failed() const { return !m_error.empty(); }

    Limits m_limits;
    std::vector<Object> m_objects;
    std::vector<Ref> m_stack;
    std::vector<std::size_t> m_marks;
    std::unordered_map<std::uint32_t, Ref> m_memo;
    std::unordered_map<std::string, std::uint32_t> m_storageByKey;
    std::vector<Storage> m_storages;
    std::vector<Tensor> m_tensors;
    Ref m_root = 0;
    std::size_t m_consumed = 0;
    std::size_t m_position = 0; // the opcode being run, for messages
    std::string m_error;
};

} // namespace tantra
