#pragma once

#include <cstdint>
#include <vector>

namespace tantra {

// A 2-D window on a tensor of any rank: one dimension runs down the rows, another across the
// columns, every other dimension is held at a fixed position. Rank 1 has rows only; rank 0 is
// one cell. Shapes are row-major, as safetensors stores them.
struct TensorSlice
{
    int rowDim = -1;
    int colDim = -1;
    std::vector<std::uint64_t> position; // one entry per dimension; rowDim/colDim entries unused

    // Rows over the second-to-last dimension, columns over the last: a matrix reads as one.
    static TensorSlice defaultFor(const std::vector<std::uint64_t> &shape);
    bool isValidFor(const std::vector<std::uint64_t> &shape) const;

    // Element addressing, worked out once per slice so that a cell costs two multiplications.
    struct Layout
    {
        std::uint64_t rows = 1;
        std::uint64_t cols = 1;
        std::uint64_t base = 0;
        std::uint64_t rowStride = 0;
        std::uint64_t colStride = 0;

        std::uint64_t element(std::uint64_t row, std::uint64_t col) const { return base + row * rowStride + col * colStride; }
    };
    Layout layout(const std::vector<std::uint64_t> &shape) const;

    // The full index of a cell, dimension by dimension.
    std::vector<std::uint64_t> indexOf(std::uint64_t row, std::uint64_t col) const;

    bool operator==(const TensorSlice &other) const = default;
};

} // namespace tantra
