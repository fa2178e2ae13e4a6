#pragma once

#include "mappedfile.h"
#include "result.h"
#include "safetensorsheader.h"
#include "streamreader.h"

#include <QString>

#include <memory>
#include <span>
#include <string_view>

namespace tantra {

// One .safetensors file, opened by mapping it and parsing only its header. Tensor data are
// read-only views into the mapping, valid while the SafetensorsFile lives (hold the
// shared_ptr). Opening costs what the header costs, whatever the file's size.
class SafetensorsFile
{
public:
    static Result<std::shared_ptr<const SafetensorsFile>> open(const QString &path);

    const QString &path() const { return m_path; }
    std::uint64_t fileSize() const { return m_map.size(); }
    const SafetensorsHeader &header() const { return m_header; }
    const std::vector<TensorInfo> &tensors() const { return m_header.tensors; }
    const std::vector<std::pair<std::string, std::string>> &metadata() const { return m_header.metadata; }

    const TensorInfo *find(std::string_view name) const;
    std::span<const std::byte> data(const TensorInfo &tensor) const;
    // The same bytes for a whole-tensor pass (statistics): read with preads, not through the
    // mapping. Valid while this file lives.
    StreamReader reader(const TensorInfo &tensor) const;
    const MappedFile &mapping() const { return m_map; }

private:
    SafetensorsFile() = default;

    QString m_path;
    MappedFile m_map;
    SafetensorsHeader m_header;
    std::vector<std::uint32_t> m_byName; // indices into tensors, sorted by name
};

// "model.safetensors: tensor 'x': <rule>", the one format for every header error.
QString formatHeaderError(const QString &path, const HeaderError &error);
QString quoteName(std::string_view name);

} // namespace tantra
