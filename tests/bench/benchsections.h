#pragma once

#include <QString>

#include <cstdint>

namespace tantra {

class BenchReport;

struct BenchOptions
{
    QString dir;                // where the data files go (deleted afterwards)
    std::uint64_t size = 0;     // bytes per data file for hashing and statistics
    int runs = 2;               // each timing is the best of this many
    QString self;               // this executable, for measurements in a child process
    QString cli;                // the tantra-model-manager to time as a whole process
    QString otherCli;           // another build of it, timed beside (before/after a change)
};

void runShaBench(const BenchOptions &options, BenchReport &report);
void runStatsBench(const BenchOptions &options, BenchReport &report);
void runHeaderBench(const BenchOptions &options, BenchReport &report);
void runSparseBench(const BenchOptions &options, BenchReport &report);
// Whole processes (the CLI beside cat, openssl, sha256sum), for wall time and peak RSS.
void runProcessBench(const BenchOptions &options, BenchReport &report);
// Whole-process `diff --json` beside numpy (files that differ) and cmp (identical files).
void runCompareBench(const BenchOptions &options, BenchReport &report);
// Whole-process `convert --dtype bf16` beside cp of the source file.
void runConvertBench(const BenchOptions &options, BenchReport &report);
// Whole-process `convert pytorch_model.bin --out` (a checkpoint torch.save wrote) beside cp.
void runTorchConvertBench(const BenchOptions &options, BenchReport &report);

// The child side of runSparseBench: opens `path` in a fresh process and prints
// "<seconds> <peak RSS KiB> <RSS before open KiB> <tensors>".
int runOpenChild(const QString &path);

} // namespace tantra
