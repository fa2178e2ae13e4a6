#pragma once

#include "result.h"

#include <QString>

namespace tantra {

// An error as the GUI words it: core's "PATH: PROBLEM", then the remedy as the menu action
// that carries it out ("Use Workspace › Repair Workspace… to rebuild it"). Core returns the
// remedy as a value; the CLI words the same value as a command line, the GUI never does.
QString remedyText(Remedy remedy, const QString &subject = {});
QString errorText(const Error &error);

// Why `version` of `type` cannot take a new weight (WeightManager::checkNewVersion), worded
// for a dialog's version field with the free version to use instead ("mamba_v2 already
// exists; v3 is free."); empty when it can. The convert and reshard dialogs share it.
class WeightManager;
struct RegistryData;
QString newVersionProblem(const WeightManager &manager, const RegistryData &known, const QString &type, const QString &version,
                          bool sharded);

} // namespace tantra
