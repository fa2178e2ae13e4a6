#pragma once

#include "cli.h"

namespace tantra {
struct ConversionReport;
}

namespace tantra::cli {

// `convert` of a PyTorch checkpoint: to safetensors as it is, or with --dtype through the
// safetensors conversion (see converttorch.cpp for why in two steps).
int runConvertTorch(Context &ctx, const QString &checkpointPath);

// The --dtype report as convertcommand.cpp prints it (text table or one JSON object).
QString conversionTextReport(const ConversionReport &report, const QString &registeredAs);
QByteArray conversionJsonReport(const ConversionReport &report, const QString &registeredAs);

} // namespace tantra::cli
