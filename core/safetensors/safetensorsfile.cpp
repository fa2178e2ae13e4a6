#include "safetensorsfile.h"

#include "jsoncursor.h"

#include <algorithm>
#include <cstring>

namespace tantra {

QString quoteName(std::string_view name)
{
    return QLatin1Char('\'') + QString::fromStdString(printableName(name)) + QLatin1Char('\'');
}

QString formatHeaderError(const QString &path, const HeaderError &error)
{
    QString message = path + QStringLiteral(": ");
    if (error.tensor)
        message += QStringLiteral("tensor ") + quoteName(*error.tensor) + QStringLiteral(": ");
    return message + QString::fromStdString(error.message);
}

Result<std::shared_ptr<const SafetensorsFile>> SafetensorsFile::open(const QString &path)
{
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return mapped.error();

    const std::uint64_t size = mapped->size();
    // Read the length prefix first, then exactly the header, with pread: a 100 GB file costs
    // what its header costs, and a file truncated under us is an error, not a SIGBUS.
    std::uint64_t want = std::min<std::uint64_t>(size, 8);
    auto head = mapped->readAt(0, want, path);
    if (!head)
        return head.error();
    if (size >= 8) {
        std::uint64_t n;
        std::memcpy(&n, head->constData(), 8);
        if (n <= kMaxHeaderLength && n <= size - 8) {
            auto full = mapped->readAt(0, 8 + n, path);
            if (!full)
                return full.error();
            head = std::move(full);
        }
    }

    auto parsed = parseSafetensorsHeader(std::as_bytes(std::span(head->constData(), std::size_t(head->size()))), size);
    if (auto *error = std::get_if<HeaderError>(&parsed)) {
        // A wrong kind of file gets named for what it is: the rule it breaks would only puzzle.
        auto probe = mapped->readAt(0, std::min<std::uint64_t>(size, 64), path);
        if (probe) {
            const std::string foreign = recogniseForeignFile(std::as_bytes(std::span(probe->constData(), std::size_t(probe->size()))));
            if (!foreign.empty())
                return withKind(makeError(path, QString::fromStdString(foreign)), ErrorKind::InvalidWeight);
        }
        return withKind(makeError(formatHeaderError(path, *error)), ErrorKind::InvalidWeight);
    }

    std::shared_ptr<SafetensorsFile> file(new SafetensorsFile);
    file->m_path = path;
    file->m_map = std::move(mapped).value();
    file->m_header = std::move(std::get<SafetensorsHeader>(parsed));
    file->m_byName = sortedByName(file->m_header.tensors);
    return std::shared_ptr<const SafetensorsFile>(std::move(file));
}

const TensorInfo *SafetensorsFile::find(std::string_view name) const
{
    const auto &tensors = m_header.tensors;
    const auto it = std::lower_bound(m_byName.begin(), m_byName.end(), name,
                                     [&](std::uint32_t i, std::string_view n) { return tensors[i].name < n; });
    if (it == m_byName.end() || tensors[*it].name != name)
        return nullptr;
    return &tensors[*it];
}

std::span<const std::byte> SafetensorsFile::data(const TensorInfo &tensor) const
{
    return m_map.bytes().subspan(m_header.dataStart() + tensor.begin, tensor.byteSize());
}

StreamReader SafetensorsFile::reader(const TensorInfo &tensor) const
{
    return StreamReader(m_map.fd(), m_path, m_header.dataStart() + tensor.begin, tensor.byteSize());
}

} // namespace tantra
