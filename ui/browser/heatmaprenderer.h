#pragma once

#include "dtype.h"
#include "tensorslice.h"

#include <QImage>
#include <QSize>

#include <cstdint>
#include <functional>
#include <vector>

namespace tantra {

// A 2-D slice as an image: one pixel per block of the slice, coloured on a diverging scale
// symmetric around zero (blue negative, white zero, red positive), grey where a block has no
// finite value. Slices larger than the target are reduced by averaging up to 4×4 evenly spaced
// samples per block, so the cost is bounded by the image size, not by the slice size.
struct HeatmapImage
{
    QImage image;
    std::vector<float> values; // the block means, row-major, NaN where none is finite
    std::uint64_t sourceRows = 0;
    std::uint64_t sourceCols = 0;
    double limit = 1;          // the colour scale spans [-limit, +limit]
    double minValue = 0;
    double maxValue = 0;
    bool canceled = false;

    bool isNull() const { return image.isNull(); }
    bool isDownsampled() const { return std::uint64_t(image.width()) < sourceCols || std::uint64_t(image.height()) < sourceRows; }
    // The slice rows [first, last) that pixel row `y` stands for (likewise for columns).
    std::pair<std::uint64_t, std::uint64_t> rowRange(int y) const;
    std::pair<std::uint64_t, std::uint64_t> colRange(int x) const;
};

class HeatmapRenderer
{
public:
    static constexpr int kMaxSide = 768;
    // Below this many decoded samples a render is quick enough for the GUI thread.
    static constexpr std::uint64_t kSyncSamples = 64 * 1024;

    static QSize imageSize(const TensorSlice::Layout &layout, int maxSide = kMaxSide);
    static std::uint64_t sampleCount(const TensorSlice::Layout &layout, int maxSide = kMaxSide);
    // `isCanceled` is polled once per image row.
    static HeatmapImage render(Dtype dtype, const std::byte *data, const TensorSlice::Layout &layout,
                               int maxSide = kMaxSide, const std::function<bool()> &isCanceled = {});
    // |a - b| of two tensors of one shape, element by element (the compare view's heatmap):
    // white where they agree, red where they differ most, grey where a side is not finite.
    static HeatmapImage renderDifference(Dtype dtypeA, const std::byte *dataA, Dtype dtypeB, const std::byte *dataB,
                                         const TensorSlice::Layout &layout, int maxSide = kMaxSide,
                                         const std::function<bool()> &isCanceled = {});
    // t in [-1, 1].
    static QRgb colorAt(double t);
    static QRgb nanColor() { return qRgb(128, 128, 128); }
};

} // namespace tantra
