#pragma once

#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <vector>

namespace tantra {
class JsonWriter;
struct TensorStats;
}

namespace tantra::cli {

// What `inspect` prints for every kind of file (safetensors, PyTorch checkpoints), so the
// tables and the JSON read the same whichever format is open.
QString shapeText(const std::vector<std::uint64_t> &shape);
QString statText(double v);
QStringList statsHeader();
QStringList statsCells(const TensorStats &s);
// The "stats" object of a tensor in --json output, keys sorted.
void writeStatsJson(JsonWriter &w, const TensorStats &s);
// A table sized to its content: columns as wide as their widest cell, numeric ones
// right-aligned, the last one not padded.
QString formatTable(const QStringList &header, const std::vector<QStringList> &rows, const std::function<bool(qsizetype)> &numeric);

} // namespace tantra::cli
