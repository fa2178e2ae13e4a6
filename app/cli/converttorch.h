#pragma once

#include "cli.h"

#include <optional>

namespace tantra {
struct ConversionReport;
struct ConvertOptions;
}

namespace tantra::cli {

// `convert` of a PyTorch checkpoint: to safetensors as it is, or with --dtype through the
// safetensors conversion (see converttorch.cpp for why in two steps).
int runConvertTorch(Context &ctx, const QString &checkpointPath);

// --dtype and the selection options (--include, --exclude, --keep-sensitive, --no-saturate)
// of `convert`, for a safetensors source and a checkpoint alike; nullopt after printing the
// usage error (an unknown --dtype).
std::optional<ConvertOptions> convertOptionsOf(Context &ctx);

// The --dtype report as convertcommand.cpp prints it (text table or one JSON object).
QString conversionTextReport(const ConversionReport &report, const QString &registeredAs);
QByteArray conversionJsonReport(const ConversionReport &report, const QString &registeredAs);

} // namespace tantra::cli
