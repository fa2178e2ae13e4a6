#include "printablename.h"

#include <algorithm>

namespace tantra {

std::string printableName(std::string_view name, std::size_t maxLength)
{
    std::string out;
    out.reserve(std::min(name.size(), maxLength) + 8);
    static const char hex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (out.size() >= maxLength) {
            out += "…";
            break;
        }
        const auto c = static_cast<unsigned char>(name[i]);
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xf]);
        } else if (c == '\'' || c == '\\') {
            out.push_back('\\');
            out.push_back(char(c));
        } else {
            out.push_back(char(c));
        }
    }
    return out;
}

} // namespace tantra
