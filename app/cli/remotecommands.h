#pragma once

#include "cli.h"

namespace tantra::cli {

// list-weights --remote R [--profile P]: the remote's weights from their manifests alone,
// each marked as present locally (same name and SHA-256) or only on the remote.
void addRemoteListingOptions(QCommandLineParser &parser);
bool wantsRemoteListing(const Context &ctx);
int runListRemoteWeights(Context &ctx, const QString &type);

} // namespace tantra::cli
