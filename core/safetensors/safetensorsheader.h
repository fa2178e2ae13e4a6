#pragma once

#include "dtype.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tantra {

struct TensorInfo
{
    std::string name;
    Dtype dtype = Dtype::F32;
    std::vector<std::uint64_t> shape;
    // Byte range inside the data section (which starts right after the header).
    std::uint64_t begin = 0;
    std::uint64_t end = 0;

    std::uint64_t byteSize() const { return end - begin; }
    // Valid once the header passed validation (which checks for overflow).
    std::uint64_t elementCount() const;
};

struct SafetensorsHeader
{
    std::uint64_t headerLength = 0; // N: the JSON's length, without the 8-byte prefix
    std::uint64_t dataSize = 0;     // bytes of tensor data after the header
    bool hasMetadata = false;       // a __metadata__ object was present (null counts as absent)
    std::vector<std::pair<std::string, std::string>> metadata; // in file order
    std::vector<TensorInfo> tensors;                           // in data order (by offsets)

    std::uint64_t dataStart() const { return 8 + headerLength; }
};

// The rules of the format, named as the reference implementation names its errors so that
// tests can compare with it; DuplicateKey is ours (the reference keeps the last silently).
enum class HeaderRule {
    HeaderTooSmall,
    HeaderTooLarge,
    InvalidHeaderLength,
    InvalidHeader,
    InvalidHeaderDeserialization,
    DuplicateKey,
    InvalidOffset,
    ValidationOverflow,
    MisalignedSlice,
    TensorInvalidInfo,
    MetadataIncompleteBuffer,
};

const char *headerRuleName(HeaderRule rule);

struct HeaderError
{
    HeaderRule rule;
    std::optional<std::string> tensor; // the tensor concerned, if any ("" is a valid name)
    std::string message; // the rule broken, in words (without file or tensor name)
};

inline constexpr std::uint64_t kMaxHeaderLength = 100'000'000;

// Parses and validates the header of a safetensors file of `fileSize` bytes. `head` holds the
// file's first bytes: at least min(fileSize, 8 + N), where N is the header length (a fuzzer or
// a small file can pass the whole file). Checks exactly the reference's rules, in its order,
// plus duplicate keys.
std::variant<SafetensorsHeader, HeaderError> parseSafetensorsHeader(std::span<const std::byte> head,
                                                                    std::uint64_t fileSize);

// Indices into `tensors` in name order (bytewise, as std::string compares); equal names in
// index order. Several times faster than std::sort with string comparisons on the long shared
// prefixes of real tensor names.
std::vector<std::uint32_t> sortedByName(const std::vector<TensorInfo> &tensors);

// Recognises files that are commonly mistaken for safetensors, from their first bytes:
// returns a sentence such as "this is a Git LFS pointer, not the weights", or empty. Any other
// text gets "not a safetensors file: it starts with text ('import torch')".
std::string recogniseForeignFile(std::span<const std::byte> head);

} // namespace tantra
