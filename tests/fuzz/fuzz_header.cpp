// libFuzzer target: the input is a whole .safetensors file. Besides crashes and sanitizer
// reports, a header the parser accepts must satisfy the format's invariants; a violation is
// a parser bug, so it aborts and libFuzzer keeps the input.

#include "safetensorsheader.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <span>
#include <string_view>
#include <vector>

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t *data, std::size_t size, std::size_t maxSize);

namespace {

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
}

void checkAccepted(const tantra::SafetensorsHeader &h, const std::uint8_t *data, std::size_t size)
{
    std::uint64_t n;
    std::memcpy(&n, data, 8);
    if (h.headerLength != n)
        violated("headerLength differs from the length prefix");
    if (h.dataSize + 8 + h.headerLength != size)
        violated("dataSize + 8 + N != file size");
    if (h.dataStart() != 8 + n)
        violated("dataStart() != 8 + N");

    // The tensors, in data order, tile [0, dataSize) without gap or overlap.
    std::uint64_t expected = 0;
    for (const auto &t : h.tensors) {
        if (t.begin != expected)
            violated("tensors do not tile the data section (gap, overlap or wrong order)");
        if (t.end < t.begin)
            violated("a tensor ends before it begins");
        std::uint64_t elements = 1;
        for (std::uint64_t d : t.shape) {
            if (d != 0 && elements > UINT64_MAX / d)
                violated("an accepted shape overflows 64 bits");
            elements *= d;
        }
        const auto bits = std::uint64_t(tantra::dtypeBits(t.dtype));
        if (elements > UINT64_MAX / bits || elements * bits % 8 != 0 || elements * bits / 8 != t.byteSize())
            violated("a tensor's byte range does not match its shape and dtype");
        if (t.elementCount() != elements)
            violated("elementCount() disagrees with the shape");
        if (t.name == "__metadata__")
            violated("a tensor is named __metadata__");
        expected = t.end;
    }
    if (expected != h.dataSize)
        violated("the tensors do not end at dataSize");

    std::vector<std::string_view> names;
    for (const auto &t : h.tensors)
        names.emplace_back(t.name);
    std::sort(names.begin(), names.end());
    if (std::adjacent_find(names.begin(), names.end()) != names.end())
        violated("two tensors share a name");

    std::vector<std::string_view> keys;
    for (const auto &kv : h.metadata)
        keys.emplace_back(kv.first);
    std::sort(keys.begin(), keys.end());
    if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())
        violated("two metadata entries share a key");
    if (!h.hasMetadata && !h.metadata.empty())
        violated("metadata entries without a __metadata__ object");
}

// The same file with a space after every ':' outside strings: the same JSON to any reader,
// but the parser's one-pass reading of compact entries no longer applies, so this compares
// that fast path with the general one. Empty when the JSON cannot be located.
std::vector<std::uint8_t> spacedVariant(const std::uint8_t *data, std::size_t size)
{
    if (size < 8)
        return {};
    std::uint64_t n;
    std::memcpy(&n, data, 8);
    if (n > size - 8)
        return {};
    std::vector<std::uint8_t> out(8);
    bool inString = false;
    bool escaped = false;
    for (std::size_t i = 8; i < 8 + n; ++i) {
        const std::uint8_t c = data[i];
        out.push_back(c);
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == ':') {
            out.push_back(' ');
        }
    }
    const std::uint64_t spacedLength = out.size() - 8;
    std::memcpy(out.data(), &spacedLength, 8);
    out.insert(out.end(), data + 8 + n, data + size);
    return out;
}

bool sameTensor(const tantra::TensorInfo &a, const tantra::TensorInfo &b)
{
    return a.name == b.name && a.dtype == b.dtype && a.shape == b.shape && a.begin == b.begin && a.end == b.end;
}

void compareWithSpaced(const std::variant<tantra::SafetensorsHeader, tantra::HeaderError> &parsed,
                       const std::uint8_t *data, std::size_t size)
{
    const std::vector<std::uint8_t> spaced = spacedVariant(data, size);
    if (spaced.empty())
        return;
    std::uint64_t n;
    std::memcpy(&n, spaced.data(), 8);
    if (n > tantra::kMaxHeaderLength)
        return;
    const auto other = tantra::parseSafetensorsHeader(std::as_bytes(std::span(spaced)), spaced.size());
    if (parsed.index() != other.index())
        violated("whitespace after ':' changes whether the header is accepted");
    if (const auto *error = std::get_if<tantra::HeaderError>(&parsed)) {
        const auto &otherError = std::get<tantra::HeaderError>(other);
        if (error->rule != otherError.rule || error->tensor != otherError.tensor)
            violated("whitespace after ':' changes the rule broken or the tensor named");
        return;
    }
    const auto &a = std::get<tantra::SafetensorsHeader>(parsed);
    const auto &b = std::get<tantra::SafetensorsHeader>(other);
    if (a.dataSize != b.dataSize || a.hasMetadata != b.hasMetadata || a.metadata != b.metadata
        || a.tensors.size() != b.tensors.size()
        || !std::equal(a.tensors.begin(), a.tensors.end(), b.tensors.begin(), sameTensor))
        violated("whitespace after ':' changes the parsed header");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const auto file = std::as_bytes(std::span(data, size));
    auto parsed = tantra::parseSafetensorsHeader(file, size);
    if (const auto *header = std::get_if<tantra::SafetensorsHeader>(&parsed)) {
        checkAccepted(*header, data, size);
    } else {
        const auto &error = std::get<tantra::HeaderError>(parsed);
        if (error.message.empty())
            violated("an error without a message");
        if (std::string_view(tantra::headerRuleName(error.rule)) == "?")
            violated("an error with an unknown rule");
    }
    // Also with only the first bytes at hand, as SafetensorsFile::open passes them.
    if (size >= 8) {
        std::uint64_t n;
        std::memcpy(&n, data, 8);
        if (n < size - 8) {
            auto partial = tantra::parseSafetensorsHeader(file.first(std::size_t(8 + n)), size);
            if (partial.index() != parsed.index()
                || (partial.index() == 1 && std::get<1>(partial).rule != std::get<1>(parsed).rule))
                violated("the verdict depends on bytes after the header");
        }
    }
    compareWithSpaced(parsed, data, size);
    (void)tantra::recogniseForeignFile(file.first(std::min<std::size_t>(size, 64)));
    return 0;
}

// Most mutations of the raw bytes break the length prefix and never reach the JSON parser.
// Half the time, mutate only the JSON and rewrite the prefix to its new length, keeping the
// data section as it was.
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t *data, std::size_t size, std::size_t maxSize,
                                               unsigned int seed)
{
    std::minstd_rand rng(seed);
    if (size < 8 || rng() % 2)
        return LLVMFuzzerMutate(data, size, maxSize);
    std::uint64_t n;
    std::memcpy(&n, data, 8);
    if (n > size - 8)
        return LLVMFuzzerMutate(data, size, maxSize);
    const std::size_t tailSize = size - 8 - std::size_t(n);
    if (maxSize < 8 + tailSize + 1)
        return LLVMFuzzerMutate(data, size, maxSize);
    const std::vector<std::uint8_t> tail(data + 8 + n, data + size);
    const std::size_t newN = LLVMFuzzerMutate(data + 8, std::size_t(n), maxSize - 8 - tailSize);
    if (tailSize)
        std::memcpy(data + 8 + newN, tail.data(), tailSize);
    const std::uint64_t prefix = newN;
    std::memcpy(data, &prefix, 8);
    return 8 + newN + tailSize;
}
