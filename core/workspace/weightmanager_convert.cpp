// WeightManager: new versions converted from another weight (Weight ▸ Convert, `convert --as`).
#include "weightmanager.h"

namespace tantra {

Result<WeightManager::ConvertedVersion> WeightManager::convertToVersion(const SafetensorsModel &source, const QString &sourceName,
                                                                        const QString &type, const QString &version,
                                                                        const ConvertOptions &options, bool activate, JobContext *job)
{
    if (!type.isEmpty()) {
        auto selected = selectForConversion(source, options);
        if (!selected)
            return selected.error();
        if (auto fits = checkFitsConfig(type, type + QLatin1Char('_') + version, convertedShapes(source, *selected, options.target)); !fits)
            return fits.error();
    }
    ConvertedVersion made;
    auto entry = addDerivedVersion(
            type, version, false, activate,
            QStringLiteral("converted from %1 (%2)").arg(sourceName, conversionTargetName(options.target)),
            [&](const QString &path) -> Status {
                auto converted = convertWeight(source, path, options, job);
                if (!converted)
                    return converted.error();
                made.report = std::move(*converted);
                return {};
            },
            job);
    if (!entry)
        return entry.error();
    made.entry = *entry;
    made.report.output = m_workspace.absolutePath(entry->path);
    return made;
}

} // namespace tantra
