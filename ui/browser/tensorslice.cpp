#include "tensorslice.h"

namespace tantra {

TensorSlice TensorSlice::defaultFor(const std::vector<std::uint64_t> &shape)
{
    TensorSlice slice;
    const int rank = int(shape.size());
    slice.position.assign(shape.size(), 0);
    if (rank == 1) {
        slice.rowDim = 0;
    } else if (rank >= 2) {
        slice.rowDim = rank - 2;
        slice.colDim = rank - 1;
    }
    return slice;
}

bool TensorSlice::isValidFor(const std::vector<std::uint64_t> &shape) const
{
    const int rank = int(shape.size());
    if (position.size() != shape.size())
        return false;
    if (rank == 0)
        return rowDim == -1 && colDim == -1;
    if (rowDim < 0 || rowDim >= rank)
        return false;
    if (rank == 1)
        return colDim == -1;
    if (colDim < 0 || colDim >= rank || colDim == rowDim)
        return false;
    for (int d = 0; d < rank; ++d) {
        if (d != rowDim && d != colDim && position[std::size_t(d)] >= shape[std::size_t(d)])
            return false;
    }
    return true;
}

TensorSlice::Layout TensorSlice::layout(const std::vector<std::uint64_t> &shape) const
{
    Layout layout;
    std::uint64_t stride = 1;
    for (int d = int(shape.size()) - 1; d >= 0; --d) {
        if (d == rowDim) {
            layout.rows = shape[std::size_t(d)];
            layout.rowStride = stride;
        } else if (d == colDim) {
            layout.cols = shape[std::size_t(d)];
            layout.colStride = stride;
        } else {
            layout.base += position[std::size_t(d)] * stride;
        }
        stride *= shape[std::size_t(d)];
    }
    return layout;
}

std::vector<std::uint64_t> TensorSlice::indexOf(std::uint64_t row, std::uint64_t col) const
{
    std::vector<std::uint64_t> index = position;
    if (rowDim >= 0)
        index[std::size_t(rowDim)] = row;
    if (colDim >= 0)
        index[std::size_t(colDim)] = col;
    return index;
}

} // namespace tantra
