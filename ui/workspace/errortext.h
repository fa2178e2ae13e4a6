#pragma once

#include "result.h"

#include <QString>

namespace tantra {

// An error as the GUI words it: core's "PATH: PROBLEM", then the remedy as the menu action
// that carries it out ("Use Workspace › Repair Workspace… to rebuild it"). Core returns the
// remedy as a value; the CLI words the same value as a command line, the GUI never does.
QString remedyText(Remedy remedy, const QString &subject = {});
QString errorText(const Error &error);

} // namespace tantra
