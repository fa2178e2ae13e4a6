#include "heatmaprenderer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace tantra {

namespace {

constexpr int kMaxSamplesPerAxis = 4;

std::pair<std::uint64_t, std::uint64_t> blockRange(int pixel, int pixels, std::uint64_t source)
{
    const std::uint64_t first = std::uint64_t(pixel) * source / std::uint64_t(pixels);
    const std::uint64_t last = std::uint64_t(pixel + 1) * source / std::uint64_t(pixels);
    return {first, std::max(last, first + 1)};
}

} // namespace

std::pair<std::uint64_t, std::uint64_t> HeatmapImage::rowRange(int y) const
{
    return blockRange(y, image.height(), sourceRows);
}

std::pair<std::uint64_t, std::uint64_t> HeatmapImage::colRange(int x) const
{
    return blockRange(x, image.width(), sourceCols);
}

QSize HeatmapRenderer::imageSize(const TensorSlice::Layout &layout, int maxSide)
{
    return QSize(int(std::min<std::uint64_t>(layout.cols, std::uint64_t(maxSide))),
                 int(std::min<std::uint64_t>(layout.rows, std::uint64_t(maxSide))));
}

std::uint64_t HeatmapRenderer::sampleCount(const TensorSlice::Layout &layout, int maxSide)
{
    const QSize size = imageSize(layout, maxSide);
    if (size.isEmpty())
        return 0;
    const std::uint64_t sy = std::min<std::uint64_t>(kMaxSamplesPerAxis, (layout.rows + std::uint64_t(size.height()) - 1) / std::uint64_t(size.height()));
    const std::uint64_t sx = std::min<std::uint64_t>(kMaxSamplesPerAxis, (layout.cols + std::uint64_t(size.width()) - 1) / std::uint64_t(size.width()));
    return std::uint64_t(size.width()) * std::uint64_t(size.height()) * sx * sy;
}

QRgb HeatmapRenderer::colorAt(double t)
{
    // ColorBrewer RdBu, reversed: readable on light and dark backgrounds, safe for the
    // common red-green colour blindness.
    static constexpr std::array<std::array<int, 3>, 5> stops{{
            {33, 102, 172},
            {103, 169, 207},
            {247, 247, 247},
            {239, 138, 98},
            {178, 24, 43},
    }};
    if (std::isnan(t))
        return nanColor();
    const double x = (std::clamp(t, -1.0, 1.0) + 1.0) / 2.0 * double(stops.size() - 1);
    const int i = std::min(int(x), int(stops.size()) - 2);
    const double f = x - i;
    const auto mix = [&](int c) { return int(std::lround(stops[std::size_t(i)][std::size_t(c)] * (1 - f) + stops[std::size_t(i) + 1][std::size_t(c)] * f)); };
    return qRgb(mix(0), mix(1), mix(2));
}

namespace {

// The block means of `valueAt(element)` over the slice, coloured; see HeatmapImage.
template<typename ValueAt>
HeatmapImage renderValues(const ValueAt &valueAt, const TensorSlice::Layout &layout, int maxSide,
                          const std::function<bool()> &isCanceled)
{
    HeatmapImage out;
    out.sourceRows = layout.rows;
    out.sourceCols = layout.cols;
    const QSize size = HeatmapRenderer::imageSize(layout, maxSide);
    if (size.isEmpty())
        return out;
    const int w = size.width();
    const int h = size.height();
    out.values.assign(std::size_t(w) * std::size_t(h), std::numeric_limits<float>::quiet_NaN());
    out.image = QImage(size, QImage::Format_RGB32);

    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (int y = 0; y < h; ++y) {
        if (isCanceled && isCanceled()) {
            out.canceled = true;
            out.image = {};
            return out;
        }
        const auto [r0, r1] = blockRange(y, h, layout.rows);
        const std::uint64_t sy = std::min<std::uint64_t>(kMaxSamplesPerAxis, r1 - r0);
        for (int x = 0; x < w; ++x) {
            const auto [c0, c1] = blockRange(x, w, layout.cols);
            const std::uint64_t sx = std::min<std::uint64_t>(kMaxSamplesPerAxis, c1 - c0);
            double sum = 0;
            int n = 0;
            for (std::uint64_t i = 0; i < sy; ++i) {
                const std::uint64_t r = r0 + (r1 - r0) * (2 * i + 1) / (2 * sy);
                for (std::uint64_t j = 0; j < sx; ++j) {
                    const std::uint64_t c = c0 + (c1 - c0) * (2 * j + 1) / (2 * sx);
                    const double v = valueAt(layout.element(r, c));
                    if (std::isfinite(v)) {
                        sum += v;
                        ++n;
                    }
                }
            }
            if (n) {
                const double mean = sum / n;
                out.values[std::size_t(y) * std::size_t(w) + std::size_t(x)] = float(mean);
                lo = std::min(lo, mean);
                hi = std::max(hi, mean);
            }
        }
    }
    out.minValue = std::isfinite(lo) ? lo : 0;
    out.maxValue = std::isfinite(hi) ? hi : 0;
    out.limit = std::max(std::fabs(out.minValue), std::fabs(out.maxValue));
    if (!(out.limit > 0))
        out.limit = 1;
    for (int y = 0; y < h; ++y) {
        auto *line = reinterpret_cast<QRgb *>(out.image.scanLine(y));
        for (int x = 0; x < w; ++x)
            line[x] = HeatmapRenderer::colorAt(double(out.values[std::size_t(y) * std::size_t(w) + std::size_t(x)]) / out.limit);
    }
    return out;
}

HeatmapImage emptyImage(const TensorSlice::Layout &layout)
{
    HeatmapImage out;
    out.sourceRows = layout.rows;
    out.sourceCols = layout.cols;
    return out;
}

} // namespace

HeatmapImage HeatmapRenderer::render(Dtype dtype, const std::byte *data, const TensorSlice::Layout &layout, int maxSide,
                                     const std::function<bool()> &isCanceled)
{
    if (!data)
        return emptyImage(layout);
    return renderValues([&](std::uint64_t e) { return decodeValue(dtype, data, e); }, layout, maxSide, isCanceled);
}

HeatmapImage HeatmapRenderer::renderDifference(Dtype dtypeA, const std::byte *dataA, Dtype dtypeB, const std::byte *dataB,
                                               const TensorSlice::Layout &layout, int maxSide,
                                               const std::function<bool()> &isCanceled)
{
    if (!dataA || !dataB)
        return emptyImage(layout);
    // A non-finite side leaves the sample out (NaN), as the comparison's numbers do.
    return renderValues([&](std::uint64_t e) { return std::fabs(decodeValue(dtypeA, dataA, e) - decodeValue(dtypeB, dataB, e)); },
                        layout, maxSide, isCanceled);
}

} // namespace tantra
