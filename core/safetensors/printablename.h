#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tantra {

// Makes a name safe to print in a message: control characters and quotes are escaped and
// anything very long is cut, so a hostile file cannot garble a terminal.
std::string printableName(std::string_view name, std::size_t maxLength = 200);

} // namespace tantra
