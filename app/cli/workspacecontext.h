#pragma once

#include "cli.h"
#include "registry.h"
#include "safetensorsmodel.h"
#include "weightmanager.h"

#include <QJsonArray>
#include <QJsonObject>

#include <optional>

namespace tantra::cli {

// Opens the workspace a command works on, or prints why it cannot (exit 2).
std::optional<WeightManager> openWorkspace(Context &ctx, bool mustExist = true);

// A weight given on the command line: a path (file, index, shard folder) when it exists, else
// the name of a registered weight of the workspace, whose entry goes to `entry`.
Result<SafetensorsModel> openWeightArgument(Context &ctx, const QString &arg, std::optional<WeightEntry> *entry = nullptr);

// Prints a JSON document (object or array) on stdout.
void printJson(Context &ctx, const QJsonValue &value);

// An error as the command line words it: core's "PATH: PROBLEM", then the remedy as the
// command to run ("; run 'tantra-model-manager doctor --rebuild' …"). Core returns the
// remedy as a value; only this boundary (and the GUI's, in menu paths) puts it in words.
QString remedyText(Remedy remedy, const QString &subject = {});
QString errorText(const Error &error);

// The words the registry and --json use for a checksum status ("ok", "changed", …).
QString checksumStatusName(ChecksumStatus status);

// Prints a Result's error (with its remedy) on stderr and returns `code`.
int fail(Context &ctx, const Error &error, int code = ExitProblem);

QJsonObject weightJson(const WeightEntry &w, bool active);
QString formatTable(const QStringList &header, const std::vector<QStringList> &rows, const QList<int> &rightAligned = {});

} // namespace tantra::cli
