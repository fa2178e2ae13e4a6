#pragma once

#include "dtype.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace tantra {

// Neumaier's compensated sum: block sums of a billion-element tensor are added here, so the
// total keeps every digit a double can hold whatever the order of magnitude of the terms.
struct CompensatedSum
{
    double sum = 0;
    double comp = 0;

    void add(double term)
    {
        const double t = sum + term;
        comp += std::abs(sum) >= std::abs(term) ? (sum - t) + term : (term - t) + sum;
        sum = t;
    }
    void add(const CompensatedSum &other)
    {
        add(other.sum);
        add(other.comp);
    }
    double value() const { return sum + comp; }
};

// Decoded values of every code of a 16- or 8-bit dtype, built once from decodeValue.
const std::vector<double> &codeTable(Dtype dtype);

// Decodes `count` elements from `first` (relative to `data`) into out, as `pairs` values per
// element when either side is complex (a real side's imaginary parts are 0). The arithmetic
// of each dtype is dtype.cpp's: direct loads for F32/F64/C64 (what decodeValue does), its
// values tabulated for the 8- and 16-bit types, decodeValue itself for the rest.
class Decoder
{
public:
    Decoder(Dtype dtype, bool pairs) : m_dtype(dtype), m_pairs(pairs)
    {
        const int bits = dtypeBits(dtype);
        if ((bits == 8 || bits == 16) && dtype != Dtype::BOOL)
            m_table = codeTable(dtype).data();
    }

    void decode(const std::byte *data, std::uint64_t first, std::size_t count, double *out) const
    {
        const std::size_t step = m_pairs ? 2 : 1;
        if (m_dtype == Dtype::C64) {
            for (std::size_t i = 0; i < count; ++i) {
                float re, im;
                std::memcpy(&re, data + (first + i) * 8, 4);
                std::memcpy(&im, data + (first + i) * 8 + 4, 4);
                out[2 * i] = re;
                out[2 * i + 1] = im;
            }
            return;
        }
        if (m_dtype == Dtype::F32) {
            for (std::size_t i = 0; i < count; ++i) {
                float v;
                std::memcpy(&v, data + (first + i) * 4, 4);
                out[i * step] = v;
            }
        } else if (m_dtype == Dtype::F64) {
            for (std::size_t i = 0; i < count; ++i)
                std::memcpy(&out[i * step], data + (first + i) * 8, 8);
        } else if (m_table && dtypeBits(m_dtype) == 16) {
            for (std::size_t i = 0; i < count; ++i) {
                std::uint16_t code;
                std::memcpy(&code, data + (first + i) * 2, 2);
                out[i * step] = m_table[code];
            }
        } else if (m_table) {
            for (std::size_t i = 0; i < count; ++i)
                out[i * step] = m_table[std::to_integer<std::uint8_t>(data[first + i])];
        } else {
            for (std::size_t i = 0; i < count; ++i)
                out[i * step] = decodeValue(m_dtype, data, first + i);
        }
        if (m_pairs)
            for (std::size_t i = 0; i < count; ++i)
                out[2 * i + 1] = 0;
    }

private:
    Dtype m_dtype;
    bool m_pairs;
    const double *m_table = nullptr;
};

} // namespace tantra
