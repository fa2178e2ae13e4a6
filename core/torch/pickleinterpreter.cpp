#include "pickleinterpreter.h"

#include "printablename.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string_view>

namespace tantra {

namespace {

struct AllowedGlobal
{
    std::string_view name;
    PickleInterpreter::Global global;
    Dtype dtype = Dtype::U8;
};

// Everything a checkpoint of plain tensors and plain values needs, and nothing that runs code.
// Storage types are only ever looked at (their dtype), never called.
constexpr AllowedGlobal kAllowed[] = {
    {"collections.OrderedDict", PickleInterpreter::Global::OrderedDict},
    {"torch._utils._rebuild_tensor_v2", PickleInterpreter::Global::RebuildTensorV2},
    {"torch._utils._rebuild_parameter", PickleInterpreter::Global::RebuildParameter},
    {"torch._utils._rebuild_parameter_with_state", PickleInterpreter::Global::RebuildParameterWithState},
    {"torch.Size", PickleInterpreter::Global::TorchSize},
    {"torch.device", PickleInterpreter::Global::TorchDevice},
    {"torch.FloatStorage", PickleInterpreter::Global::StorageType, Dtype::F32},
    {"torch.DoubleStorage", PickleInterpreter::Global::StorageType, Dtype::F64},
    {"torch.HalfStorage", PickleInterpreter::Global::StorageType, Dtype::F16},
    {"torch.BFloat16Storage", PickleInterpreter::Global::StorageType, Dtype::BF16},
    {"torch.LongStorage", PickleInterpreter::Global::StorageType, Dtype::I64},
    {"torch.IntStorage", PickleInterpreter::Global::StorageType, Dtype::I32},
    {"torch.ShortStorage", PickleInterpreter::Global::StorageType, Dtype::I16},
    {"torch.CharStorage", PickleInterpreter::Global::StorageType, Dtype::I8},
    {"torch.ByteStorage", PickleInterpreter::Global::StorageType, Dtype::U8},
    {"torch.BoolStorage", PickleInterpreter::Global::StorageType, Dtype::BOOL},
    {"torch.ComplexFloatStorage", PickleInterpreter::Global::StorageType, Dtype::C64},
    {"torch.float32", PickleInterpreter::Global::TorchDtype},
    {"torch.float16", PickleInterpreter::Global::TorchDtype},
    {"torch.bfloat16", PickleInterpreter::Global::TorchDtype},
    {"torch.float64", PickleInterpreter::Global::TorchDtype},
    {"torch.int64", PickleInterpreter::Global::TorchDtype},
    {"torch.int32", PickleInterpreter::Global::TorchDtype},
    {"torch.int16", PickleInterpreter::Global::TorchDtype},
    {"torch.int8", PickleInterpreter::Global::TorchDtype},
    {"torch.uint8", PickleInterpreter::Global::TorchDtype},
    {"torch.bool", PickleInterpreter::Global::TorchDtype},
    {"builtins.set", PickleInterpreter::Global::Set},
    {"builtins.frozenset", PickleInterpreter::Global::FrozenSet},
    {"builtins.bytearray", PickleInterpreter::Global::ByteArray},
    {"__builtin__.set", PickleInterpreter::Global::Set},
    {"__builtin__.frozenset", PickleInterpreter::Global::FrozenSet},
    {"__builtin__.bytearray", PickleInterpreter::Global::ByteArray},
    // Protocol 2 writes Python 3 bytes as _codecs.encode(text, 'latin1'): a pure conversion.
    {"_codecs.encode", PickleInterpreter::Global::CodecsEncode},
};

// Reads little-endian unsigned integers of `n` bytes.
std::uint64_t readLE(const std::byte *p, int n)
{
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i)
        v = (v << 8) | std::uint64_t(p[i]);
    return v;
}

std::string hex(std::size_t v)
{
    static const char digits[] = "0123456789abcdef";
    std::string s;
    do {
        s.insert(s.begin(), digits[v & 15]);
        v >>= 4;
    } while (v);
    return "0x" + s;
}

// UTF-8 to Latin-1, for _codecs.encode(text, 'latin1'); false when a code point is above 0xff.
bool utf8ToLatin1(const std::string &in, std::string &out)
{
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        const auto c = static_cast<unsigned char>(in[i]);
        if (c < 0x80) {
            out.push_back(char(c));
        } else if ((c & 0xe0) == 0xc0 && c <= 0xc3 && i + 1 < in.size()) {
            out.push_back(char(((c & 0x03) << 6) | (static_cast<unsigned char>(in[++i]) & 0x3f)));
        } else {
            return false;
        }
    }
    return true;
}

bool mulOverflow(std::uint64_t a, std::uint64_t b, std::uint64_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

} // namespace

const char *PickleInterpreter::kindName(Kind kind)
{
    switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int:
    case Kind::BigInt: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "type";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
    }
    return "value";
}

PickleInterpreter::Ref PickleInterpreter::fail(std::string message)
{
    if (m_error.empty())
        m_error = "the pickle is malformed at byte " + std::to_string(m_position) + ": " + std::move(message);
    return 0;
}

PickleInterpreter::Ref PickleInterpreter::make(Object object)
{
    if (m_objects.size() >= m_limits.maxObjects)
        return fail("more than " + std::to_string(m_limits.maxObjects) + " objects");
    m_objects.push_back(std::move(object));
    return Ref(m_objects.size() - 1);
}

void PickleInterpreter::push(Ref ref)
{
    if (m_stack.size() >= m_limits.maxStack) {
        fail("the stack grows past " + std::to_string(m_limits.maxStack) + " entries");
        return;
    }
    m_stack.push_back(ref);
}

PickleInterpreter::Ref PickleInterpreter::pop()
{
    const std::size_t floor = m_marks.empty() ? 0 : m_marks.back();
    if (m_stack.size() <= floor)
        return fail("an opcode takes a value from an empty stack");
    const Ref r = m_stack.back();
    m_stack.pop_back();
    return r;
}

PickleInterpreter::Ref PickleInterpreter::top() const
{
    const std::size_t floor = m_marks.empty() ? 0 : m_marks.back();
    return m_stack.size() <= floor ? 0 : m_stack.back();
}

std::vector<PickleInterpreter::Ref> PickleInterpreter::popToMark()
{
    if (m_marks.empty()) {
        fail("an opcode needs a MARK and there is none");
        return {};
    }
    const std::size_t mark = m_marks.back();
    m_marks.pop_back();
    std::vector<Ref> items(m_stack.begin() + std::ptrdiff_t(mark), m_stack.end());
    m_stack.resize(mark);
    return items;
}

void PickleInterpreter::doGlobal(std::string module, std::string name)
{
    const std::string dotted = module + "." + name;
    for (const auto &allowed : kAllowed) {
        if (allowed.name == dotted) {
            Object o;
            o.kind = Kind::Global;
            o.integer = std::int64_t(allowed.global);
            o.text = dotted;
            o.dtype = allowed.dtype;
            push(make(std::move(o)));
            return;
        }
    }
    // Not "malformed": the message is the whole point, so it replaces the prefix.
    if (m_error.empty())
        m_error = "refusing to load: the pickle calls " + printableName(dotted, 200)
                  + ", which a checkpoint of plain tensors does not need (nothing in the file was run)";
}

std::int64_t PickleInterpreter::intArg(Ref ref, const char *what)
{
    const Object &o = m_objects[ref];
    if (o.kind != Kind::Int && o.kind != Kind::Bool) {
        fail(std::string(what) + " is a " + kindName(o.kind) + ", not an int");
        return 0;
    }
    return o.integer;
}

std::vector<std::uint64_t> PickleInterpreter::dims(Ref ref, const char *what)
{
    const Object &o = m_objects[ref];
    if (o.kind != Kind::Tuple && o.kind != Kind::List) {
        fail(std::string("the tensor's ") + what + " is a " + kindName(o.kind) + ", not a tuple");
        return {};
    }
    if (o.items.size() > m_limits.maxDims) {
        fail(std::string("the tensor's ") + what + " has " + std::to_string(o.items.size()) + " dimensions");
        return {};
    }
    std::vector<std::uint64_t> out;
    for (Ref item : o.items) {
        const std::int64_t v = intArg(item, what);
        if (v < 0) {
            fail(std::string("the tensor's ") + what + " has a negative entry");
            return {};
        }
        out.push_back(std::uint64_t(v));
    }
    return out;
}

PickleInterpreter::Ref PickleInterpreter::rebuildTensor(const std::vector<Ref> &args)
{
    if (args.size() < 4)
        return fail("_rebuild_tensor_v2 takes at least 4 arguments, got " + std::to_string(args.size()));
    const Object &storage = m_objects[args[0]];
    if (storage.kind != Kind::Storage)
        return fail(std::string("_rebuild_tensor_v2's first argument is a ") + kindName(storage.kind) + ", not a storage");
    Tensor t;
    t.storage = std::uint32_t(storage.integer);
    const std::int64_t offset = intArg(args[1], "the storage offset");
    if (offset < 0)
        return fail("the tensor's storage offset is negative");
    t.offset = std::uint64_t(offset);
    t.shape = dims(args[2], "size");
    t.stride = dims(args[3], "stride");
    if (failed())
        return 0;
    if (t.shape.size() != t.stride.size())
        return fail("the tensor's size and stride have different lengths");
    // The last element it reaches must lie inside its storage (checked without overflow).
    std::uint64_t last = t.offset;
    bool empty = false;
    for (std::size_t d = 0; d < t.shape.size(); ++d) {
        if (t.shape[d] == 0) {
            empty = true;
            continue;
        }
        std::uint64_t step = 0;
        if (mulOverflow(t.shape[d] - 1, t.stride[d], &step) || __builtin_add_overflow(last, step, &last))
            return fail("the tensor's size and stride overflow");
    }
    std::uint64_t numel = 1;
    for (auto d : t.shape)
        if (mulOverflow(numel, d, &numel))
            return fail("the tensor's element count overflows");
    const Storage &s = m_storages[t.storage];
    if (!empty && last >= s.viewNumel)
        return fail("a tensor reaches element " + std::to_string(last) + " of storage '" + printableName(s.key, 100)
                    + "', which has " + std::to_string(s.viewNumel));
    std::uint64_t bytes = 0;
    if (mulOverflow(numel, std::uint64_t(elementBytes(s.dtype)), &bytes))
        return fail("the tensor's byte size overflows");
    m_tensors.push_back(std::move(t));
    Object o;
    o.kind = Kind::Tensor;
    o.integer = std::int64_t(m_tensors.size() - 1);
    return make(std::move(o));
}

PickleInterpreter::Ref PickleInterpreter::call(Ref callable, Ref argsRef, bool newObject)
{
    const Object &f = m_objects[callable];
    if (f.kind != Kind::Global)
        return fail(std::string("REDUCE calls a ") + kindName(f.kind) + ", which is not callable");
    const Object &a = m_objects[argsRef];
    if (a.kind != Kind::Tuple)
        return fail("REDUCE's arguments are a " + std::string(kindName(a.kind)) + ", not a tuple");
    const std::vector<Ref> args = a.items; // a copy: make() may grow m_objects
    const auto global = Global(f.integer);
    const std::string name = f.text;
    if (newObject && global != Global::OrderedDict && global != Global::Set && global != Global::FrozenSet)
        return fail("NEWOBJ on " + name + " is not supported");
    switch (global) {
    case Global::OrderedDict: {
        Object d;
        d.kind = Kind::Dict;
        if (!args.empty()) {
            const Object &pairs = m_objects[args[0]];
            if (pairs.kind != Kind::List && pairs.kind != Kind::Tuple)
                return fail("OrderedDict's argument is not a list of pairs");
            for (Ref p : pairs.items) {
                const Object &pair = m_objects[p];
                if (pair.kind != Kind::Tuple || pair.items.size() != 2)
                    return fail("OrderedDict's argument is not a list of pairs");
                d.items.push_back(pair.items[0]);
                d.items.push_back(pair.items[1]);
            }
        }
        return make(std::move(d));
    }
    case Global::RebuildTensorV2:
        return rebuildTensor(args);
    case Global::RebuildParameter:
    case Global::RebuildParameterWithState:
        if (args.empty() || m_objects[args[0]].kind != Kind::Tensor)
            return fail(name + " is not given a tensor");
        return args[0];
    case Global::TorchSize:
        if (args.size() != 1 || m_objects[args[0]].kind != Kind::Tuple)
            return fail("torch.Size is not given one tuple");
        return args[0];
    case Global::TorchDevice:
        if (args.empty() || m_objects[args[0]].kind != Kind::Str)
            return fail("torch.device is not given a name");
        return args[0];
    case Global::Set:
    case Global::FrozenSet: {
        Object l;
        l.kind = Kind::List;
        if (!args.empty()) {
            const Object &items = m_objects[args[0]];
            if (items.kind != Kind::List && items.kind != Kind::Tuple)
                return fail(name + " is not given a list");
            l.items = items.items;
        }
        return make(std::move(l));
    }
    case Global::ByteArray: {
        Object b;
        b.kind = Kind::Bytes;
        if (!args.empty()) {
            const Object &in = m_objects[args[0]];
            if (in.kind != Kind::Bytes)
                return fail("bytearray is not given bytes");
            b.text = in.text;
        }
        return make(std::move(b));
    }
    case Global::CodecsEncode: {
        if (args.size() != 2 || m_objects[args[0]].kind != Kind::Str || m_objects[args[1]].kind != Kind::Str
            || m_objects[args[1]].text != "latin1")
            return fail("_codecs.encode is called other than as encode(text, 'latin1')");
        Object b;
        b.kind = Kind::Bytes;
        if (!utf8ToLatin1(m_objects[args[0]].text, b.text))
            return fail("_codecs.encode is given text outside Latin-1");
        return make(std::move(b));
    }
    case Global::StorageType:
    case Global::TorchDtype:
        break;
    }
    return fail("the pickle calls " + name + ", which is a type here, not a function");
}

PickleInterpreter::Ref PickleInterpreter::persistentLoad(Ref pidRef)
{
    const Object &pid = m_objects[pidRef];
    if (pid.kind != Kind::Tuple || pid.items.empty() || m_objects[pid.items[0]].kind != Kind::Str)
        return fail("a persistent id is not a tuple naming its kind");
    if (m_objects[pid.items[0]].text != "storage")
        return fail("a persistent id of kind '" + printableName(m_objects[pid.items[0]].text, 50)
                    + "' (only storages are read)");
    if (pid.items.size() != 5 && pid.items.size() != 6)
        return fail("a storage's persistent id has " + std::to_string(pid.items.size()) + " fields, not 5 or 6");
    const Object &type = m_objects[pid.items[1]];
    if (type.kind != Kind::Global || Global(type.integer) != Global::StorageType)
        return fail("a storage's type is not one of torch's storage types");
    const Object &key = m_objects[pid.items[2]];
    if (key.kind != Kind::Str)
        return fail("a storage's key is not a string");
    const std::int64_t numel = intArg(pid.items[4], "a storage's size");
    if (failed())
        return 0;
    if (numel < 0)
        return fail("a storage's size is negative");
    Storage s;
    s.key = key.text;
    s.rootKey = key.text;
    s.dtype = type.dtype;
    s.numel = std::uint64_t(numel);
    s.viewNumel = s.numel;
    // The legacy format's view metadata: (view key, offset, size) into the root storage.
    if (pid.items.size() == 6 && m_objects[pid.items[5]].kind != Kind::None) {
        const Object &view = m_objects[pid.items[5]];
        if (view.kind != Kind::Tuple || view.items.size() != 3 || m_objects[view.items[0]].kind != Kind::Str)
            return fail("a storage's view metadata is not (key, offset, size)");
        const std::int64_t offset = intArg(view.items[1], "a storage view's offset");
        const std::int64_t size = intArg(view.items[2], "a storage view's size");
        if (failed())
            return 0;
        if (offset < 0 || size < 0 || std::uint64_t(offset) > s.numel || std::uint64_t(size) > s.numel - std::uint64_t(offset))
            return fail("a storage view lies outside its storage");
        s.key = s.key + "\x1f" + m_objects[view.items[0]].text; // a view is its own storage entry
        s.viewOffset = std::uint64_t(offset);
        s.viewNumel = std::uint64_t(size);
    }
    std::uint32_t index = 0;
    if (auto it = m_storageByKey.find(s.key); it != m_storageByKey.end()) {
        index = it->second;
        const Storage &seen = m_storages[index];
        if (seen.dtype != s.dtype || seen.numel != s.numel)
            return fail("storage '" + printableName(key.text, 100) + "' is declared twice with different types or sizes");
    } else {
        index = std::uint32_t(m_storages.size());
        m_storageByKey.emplace(s.key, index);
        m_storages.push_back(std::move(s));
    }
    Object o;
    o.kind = Kind::Storage;
    o.integer = index;
    return make(std::move(o));
}

std::string PickleInterpreter::run(std::span<const std::byte> bytes)
{
    m_objects.clear();
    m_stack.clear();
    m_marks.clear();
    m_memo.clear();
    m_storageByKey.clear();
    m_storages.clear();
    m_tensors.clear();
    m_error.clear();
    m_objects.push_back(Object{}); // index 0: the poison None that fail() returns
    const std::size_t size = bytes.size();
    std::size_t pos = 0;
    // Takes n bytes of argument, or fails when the input ends first.
    const auto take = [&](std::size_t n) -> const std::byte * {
        if (n > size - pos) {
            fail("the input ends inside an opcode's argument (needs " + std::to_string(n) + " bytes, "
                 + std::to_string(size - pos) + " left)");
            return nullptr;
        }
        const std::byte *p = bytes.data() + pos;
        pos += n;
        return p;
    };
    const auto line = [&]() -> std::string {
        const std::size_t maxLine = 512;
        for (std::size_t i = pos; i < size && i - pos <= maxLine; ++i) {
            if (bytes[i] == std::byte('\n')) {
                std::string s(reinterpret_cast<const char *>(bytes.data() + pos), i - pos);
                pos = i + 1;
                return s;
            }
        }
        fail("a GLOBAL's name is not a line of at most 512 bytes");
        return {};
    };
    const auto scalar = [&](Kind kind, std::int64_t integer) {
        Object o;
        o.kind = kind;
        o.integer = integer;
        push(make(std::move(o)));
    };
    const auto text = [&](Kind kind, std::size_t lengthBytes) {
        const std::byte *lp = take(lengthBytes);
        if (!lp)
            return;
        const std::uint64_t n = readLE(lp, int(lengthBytes));
        const std::byte *p = take(n);
        if (!p)
            return;
        Object o;
        o.kind = kind;
        o.text.assign(reinterpret_cast<const char *>(p), std::size_t(n));
        push(make(std::move(o)));
    };
    const auto memoPut = [&](std::uint32_t index) {
        if (m_memo.size() >= m_limits.maxMemo && !m_memo.count(index)) {
            fail("the memo grows past " + std::to_string(m_limits.maxMemo) + " entries");
            return;
        }
        const std::size_t floor = m_marks.empty() ? 0 : m_marks.back();
        if (m_stack.size() <= floor) {
            fail("a memo store with nothing on the stack");
            return;
        }
        m_memo[index] = m_stack.back();
    };
    const auto memoGet = [&](std::uint32_t index) {
        const auto it = m_memo.find(index);
        if (it == m_memo.end()) {
            fail("memo entry " + std::to_string(index) + " is read before it is written");
            return;
        }
        push(it->second);
    };
    const auto tuple = [&](std::size_t n) {
        Object o;
        o.kind = Kind::Tuple;
        o.items.resize(n);
        for (std::size_t i = n; i-- > 0;)
            o.items[i] = pop();
        if (!failed())
            push(make(std::move(o)));
    };

    while (!failed()) {
        m_position = pos;
        const std::byte *op = take(1);
        if (!op)
            break;
        const auto code = static_cast<unsigned char>(*op);
        switch (code) {
        case 0x80: // PROTO
            if (const std::byte *p = take(1); p && (static_cast<unsigned char>(*p) < 2 || static_cast<unsigned char>(*p) > 5))
                fail("pickle protocol " + std::to_string(static_cast<unsigned char>(*p)) + " (2 to 5 are read)");
            break;
        case 0x95: // FRAME: a length hint; the opcodes inside are read as usual
            take(8);
            break;
        case '}': { Object o; o.kind = Kind::Dict; push(make(std::move(o))); break; }
        case ']': { Object o; o.kind = Kind::List; push(make(std::move(o))); break; }
        case ')': { Object o; o.kind = Kind::Tuple; push(make(std::move(o))); break; }
        case 0x8f: { Object o; o.kind = Kind::List; push(make(std::move(o))); break; } // EMPTY_SET
        case '(': // MARK
            if (m_marks.size() >= m_limits.maxMarks)
                fail("marks nest deeper than " + std::to_string(m_limits.maxMarks));
            else
                m_marks.push_back(m_stack.size());
            break;
        case 'q': if (const std::byte *p = take(1)) memoPut(std::uint32_t(readLE(p, 1))); break; // BINPUT
        case 'r': if (const std::byte *p = take(4)) memoPut(std::uint32_t(readLE(p, 4))); break; // LONG_BINPUT
        case 0x94: memoPut(std::uint32_t(m_memo.size())); break;                                 // MEMOIZE
        case 'h': if (const std::byte *p = take(1)) memoGet(std::uint32_t(readLE(p, 1))); break; // BINGET
        case 'j': if (const std::byte *p = take(4)) memoGet(std::uint32_t(readLE(p, 4))); break; // LONG_BINGET
        case 'c': { // GLOBAL
            std::string module = line();
            std::string name = failed() ? std::string() : line();
            if (!failed())
                doGlobal(std::move(module), std::move(name));
            break;
        }
        case 0x93: { // STACK_GLOBAL
            const Ref name = pop();
            const Ref module = pop();
            if (failed())
                break;
            if (m_objects[name].kind != Kind::Str || m_objects[module].kind != Kind::Str) {
                fail("STACK_GLOBAL's module and name are not strings");
                break;
            }
            doGlobal(m_objects[module].text, m_objects[name].text);
            break;
        }
        case 'i': { // INST: calls a class by name; refused like any global outside the list
            std::string module = line();
            std::string name = failed() ? std::string() : line();
            if (!failed() && m_error.empty())
                m_error = "refusing to load: the pickle calls " + printableName(module + "." + name, 200)
                          + " (INST), which a checkpoint of plain tensors does not need (nothing in the file was run)";
            break;
        }
        case 'Q': { // BINPERSID
            const Ref pid = pop();
            if (!failed())
                push(persistentLoad(pid));
            break;
        }
        case 'R': { // REDUCE
            const Ref args = pop();
            const Ref callable = pop();
            if (!failed())
                push(call(callable, args, false));
            break;
        }
        case 0x81: { // NEWOBJ
            const Ref args = pop();
            const Ref cls = pop();
            if (!failed())
                push(call(cls, args, true));
            break;
        }
        case 0x92: { // NEWOBJ_EX: cls, args, kwargs
            const Ref kwargs = pop();
            const Ref args = pop();
            const Ref cls = pop();
            if (failed())
                break;
            if (m_objects[kwargs].kind != Kind::Dict || !m_objects[kwargs].items.empty()) {
                fail("NEWOBJ_EX with keyword arguments");
                break;
            }
            push(call(cls, args, true));
            break;
        }
        case 'b': { // BUILD: state for an object; dicts (OrderedDict._metadata) and tensors ignore it
            pop();
            const Ref target = top();
            if (failed())
                break;
            const Kind kind = m_objects[target].kind;
            if (target == 0 || (kind != Kind::Dict && kind != Kind::Tensor))
                fail(std::string("BUILD on a ") + kindName(kind));
            break;
        }
        case 's': { // SETITEM
            const Ref value = pop();
            const Ref key = pop();
            const Ref dict = top();
            if (failed())
                break;
            if (dict == 0 || m_objects[dict].kind != Kind::Dict) {
                fail("SETITEM on something that is not a dict");
                break;
            }
            m_objects[dict].items.push_back(key);
            m_objects[dict].items.push_back(value);
            break;
        }
        case 'u': { // SETITEMS
            const std::vector<Ref> items = popToMark();
            const Ref dict = top();
            if (failed())
                break;
            if (dict == 0 || m_objects[dict].kind != Kind::Dict || items.size() % 2 != 0) {
                fail("SETITEMS on something that is not a dict, or with an odd number of values");
                break;
            }
            auto &target = m_objects[dict].items;
            target.insert(target.end(), items.begin(), items.end());
            break;
        }
        case 'a': { // APPEND
            const Ref value = pop();
            const Ref list = top();
            if (failed())
                break;
            if (list == 0 || m_objects[list].kind != Kind::List) {
                fail("APPEND on something that is not a list");
                break;
            }
            m_objects[list].items.push_back(value);
            break;
        }
        case 'e':    // APPENDS
        case 0x90: { // ADDITEMS (sets are read as lists)
            const std::vector<Ref> items = popToMark();
            const Ref list = top();
            if (failed())
                break;
            if (list == 0 || m_objects[list].kind != Kind::List) {
                fail("APPENDS on something that is not a list");
                break;
            }
            auto &target = m_objects[list].items;
            target.insert(target.end(), items.begin(), items.end());
            break;
        }
        case 0x91: { // FROZENSET
            Object o;
            o.kind = Kind::List;
            o.items = popToMark();
            if (!failed())
                push(make(std::move(o)));
            break;
        }
        case 0x85: tuple(1); break;
        case 0x86: tuple(2); break;
        case 0x87: tuple(3); break;
        case 't': { // TUPLE
            Object o;
            o.kind = Kind::Tuple;
            o.items = popToMark();
            if (!failed())
                push(make(std::move(o)));
            break;
        }
        case 'J': if (const std::byte *p = take(4)) scalar(Kind::Int, std::int32_t(std::uint32_t(readLE(p, 4)))); break;
        case 'K': if (const std::byte *p = take(1)) scalar(Kind::Int, std::int64_t(readLE(p, 1))); break;
        case 'M': if (const std::byte *p = take(2)) scalar(Kind::Int, std::int64_t(readLE(p, 2))); break;
        case 0x8a:   // LONG1
        case 0x8b: { // LONG4
            const std::byte *lp = take(code == 0x8a ? 1 : 4);
            if (!lp)
                break;
            const std::uint64_t n = readLE(lp, code == 0x8a ? 1 : 4);
            const std::byte *p = take(n);
            if (!p)
                break;
            Object o;
            if (n <= 8) {
                o.kind = Kind::Int;
                std::uint64_t v = n ? readLE(p, int(n)) : 0;
                if (n > 0 && n < 8 && (static_cast<unsigned char>(p[n - 1]) & 0x80))
                    v |= ~std::uint64_t(0) << (8 * n); // sign-extend
                o.integer = std::int64_t(v);
            } else {
                o.kind = Kind::BigInt;
                o.text.assign(reinterpret_cast<const char *>(p), std::size_t(n));
            }
            push(make(std::move(o)));
            break;
        }
        case 'G': // BINFLOAT, big-endian
            if (const std::byte *p = take(8)) {
                std::uint64_t bits = 0;
                for (int i = 0; i < 8; ++i)
                    bits = (bits << 8) | std::uint64_t(p[i]);
                Object o;
                o.kind = Kind::Float;
                o.real = std::bit_cast<double>(bits);
                push(make(std::move(o)));
            }
            break;
        case 'X': text(Kind::Str, 4); break;    // BINUNICODE
        case 0x8c: text(Kind::Str, 1); break;   // SHORT_BINUNICODE
        case 0x8d: text(Kind::Str, 8); break;   // BINUNICODE8
        case 'T': text(Kind::Str, 4); break;    // BINSTRING (Python 2 str)
        case 'U': text(Kind::Str, 1); break;    // SHORT_BINSTRING
        case 'B': text(Kind::Bytes, 4); break;  // BINBYTES
        case 'C': text(Kind::Bytes, 1); break;  // SHORT_BINBYTES
        case 0x8e: text(Kind::Bytes, 8); break; // BINBYTES8
        case 0x96: text(Kind::Bytes, 8); break; // BYTEARRAY8
        case 'N': scalar(Kind::None, 0); break;
        case 0x88: scalar(Kind::Bool, 1); break;
        case 0x89: scalar(Kind::Bool, 0); break;
        case '0': pop(); break; // POP
        case '1': popToMark(); break; // POP_MARK
        case '2': { // DUP
            const Ref r = top();
            if (r == 0)
                fail("DUP on an empty stack");
            else
                push(r);
            break;
        }
        case '.': { // STOP
            const Ref r = pop();
            if (failed())
                break;
            m_root = r;
            m_consumed = pos;
            m_stack.clear();
            m_marks.clear();
            return {};
        }
        default:
            fail("opcode " + hex(code) + " is not one torch.save writes");
            break;
        }
    }
    return m_error;
}

} // namespace tantra
