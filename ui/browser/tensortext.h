#pragma once

#include <QString>

#include <cstdint>
#include <string_view>
#include <vector>

namespace tantra {

// How tensor facts read on screen, in one place so that the table, the tree, the detail pane
// and the clipboard agree.
class TensorText
{
public:
    static QString name(std::string_view name) { return QString::fromUtf8(name.data(), qsizetype(name.size())); }
    // "[4096, 4096]"; "[]" for a scalar.
    static QString shape(const std::vector<std::uint64_t> &shape);
    // "1.5 MiB"; exact counts below 1 KiB ("512 bytes").
    static QString bytes(std::uint64_t bytes);
    // "1 tensor", "36 tensors": English plurals without a translation file, digits grouped.
    static QString counted(std::uint64_t n, const QString &singular, const QString &plural);
    // Grouped digits in the user's locale: "16,777,216".
    static QString count(std::uint64_t count);
    // "backbone.layers.0.mixer" -> "backbone › layers › 0 › mixer".
    static QString breadcrumb(const QString &name);

    // Orders "layers.2" before "layers.10": digit runs compare as numbers. Returns <0, 0, >0.
    static int naturalCompare(std::string_view a, std::string_view b);
};

} // namespace tantra
