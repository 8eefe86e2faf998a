#pragma once
// runSweep: SweepConfig → the points of one shard, each computed by computeSweepPoint, appended
// to the results file as soon as it finishes. Resumable, shardable, cancellable.
//
// Parallelism (measured in docs/benchmarks.md, "Sweeps"): with SweepParallelism::Points the
// points run concurrently, one per worker thread (workerCount()), each single-threaded inside;
// with ::Inside they run one after another, each using all cores (batched evaluation and training
// are parallel). Results are the same either way except for the measured timing: the trainer's
// float summation order depends on its thread count, so training modes may differ in the last
// digits between the two settings (each setting is reproducible on its own).

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "analysis/SweepConfig.h"
#include "analysis/SweepProvenance.h"
#include "analysis/SweepResult.h"
#include "analysis/SweepResultsFile.h"

namespace circnn {

enum class SweepParallelism { Points, Inside };

struct SweepProgress {
    std::size_t done = 0;    // points of this shard finished (including resumed ones)
    std::size_t total = 0;   // points of this shard
    std::size_t running = 0; // points being computed now
    std::string step;        // the latest step: "m0/data/k=8: evaluating"
    double elapsedS = 0;     // this session
    double etaS = -1;        // estimated seconds left (-1 until a point finished)
};

struct SweepRunOptions {
    std::filesystem::path resultsFile; // empty: keep results in memory only
    bool resume = false;               // continue resultsFile (its config must be the same)
    SweepShard shard;
    SweepParallelism parallelism = SweepParallelism::Points;
    SweepProvenance provenance; // tool, commit, command line (date, machine and files are filled)
    // Called after every step and point (serialised; from worker threads). false cancels: no new
    // point starts, running points stop at their next safe point, then Cancelled is thrown (the
    // finished points are in the results file).
    std::function<bool(const SweepProgress&)> progress;
    // Called with every point computed in this session, right after it was appended to the
    // results file (serialised with progress; from worker threads; not for resumed points).
    std::function<void(const SweepPointResult&)> onPoint;
};

struct SweepRunResult {
    SweepConfig config;
    std::string configHash;
    std::size_t pointCount = 0;              // points of the whole sweep (all shards)
    std::vector<SweepPointResult> points;    // this shard's points, sorted by index
    std::size_t resumed = 0, computed = 0;   // taken from the results file / computed now
    std::vector<SweepResultsHeader> headers; // the results file's sessions (this one last)
    double seconds = 0;
};

// Throws Error for an invalid config, unreadable models / data, a results file that exists
// without resume or comes from another config; Cancelled when progress asked to stop; the first
// point's error otherwise (finished points stay in the results file).
SweepRunResult runSweep(const SweepConfig& config, const SweepRunOptions& options);

// The provenance file list of a config (models and data files with their SHA-256).
std::vector<SweepFileDigest> sweepFileDigests(const SweepConfig& config);

} // namespace circnn
