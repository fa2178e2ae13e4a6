#include "valuedecoder.h"

#include <map>
#include <mutex>

namespace tantra {

const std::vector<double> &codeTable(Dtype dtype)
{
    static std::mutex mutex;
    static std::map<Dtype, std::vector<double>> tables;
    const std::lock_guard lock(mutex);
    auto &table = tables[dtype];
    if (table.empty()) {
        const int bits = dtypeBits(dtype);
        table.resize(std::size_t(1) << bits);
        for (std::uint32_t code = 0; code < table.size(); ++code) {
            const std::byte bytes[2] = {std::byte(code & 0xff), std::byte(code >> 8)};
            table[code] = decodeValue(dtype, bytes, 0);
        }
    }
    return table;
}

} // namespace tantra
