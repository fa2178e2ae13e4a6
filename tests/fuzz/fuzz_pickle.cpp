// libFuzzer target: the input is a stream of pickles, as a legacy torch.save file holds them
// (data.pkl of the zip format is one). Whatever the bytes, the interpreter must stop with a
// message or a value; a value must keep its promises (every reference in bounds, every tensor
// inside its storage), or the target aborts so that libFuzzer keeps the input.

#include "pickleinterpreter.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

namespace {

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
}

void check(const tantra::PickleInterpreter &p)
{
    using Kind = tantra::PickleInterpreter::Kind;
    const auto &root = p.object(p.root());
    if (root.kind == Kind::Dict && root.items.size() % 2 != 0)
        violated("a dict with a key and no value");
    for (const auto &t : p.tensors()) {
        if (t.storage >= p.storages().size())
            violated("a tensor on a storage that does not exist");
        if (t.shape.size() != t.stride.size())
            violated("a tensor whose size and stride differ in length");
        const auto &s = p.storages()[t.storage];
        bool empty = false;
        unsigned __int128 last = t.offset;
        for (std::size_t d = 0; d < t.shape.size(); ++d) {
            if (t.shape[d] == 0)
                empty = true;
            else
                last += static_cast<unsigned __int128>(t.shape[d] - 1) * t.stride[d];
        }
        if (!empty && last >= s.viewNumel)
            violated("a tensor reaches past its storage");
        if (s.viewOffset + s.viewNumel > s.numel)
            violated("a storage view lies outside its storage");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    auto bytes = std::as_bytes(std::span(data, size));
    tantra::PickleInterpreter::Limits limits;
    limits.maxObjects = 1 << 16; // the limits themselves are tested; keep runs fast
    tantra::PickleInterpreter p(limits);
    // Up to six pickles in a row, as in the legacy format.
    for (int i = 0; i < 6 && !bytes.empty(); ++i) {
        const std::string message = p.run(bytes);
        if (!message.empty())
            return 0;
        if (p.consumed() == 0 || p.consumed() > bytes.size())
            violated("a pickle that took no bytes or more than it had");
        check(p);
        bytes = bytes.subspan(p.consumed());
    }
    return 0;
}
