#pragma once
// What a block-size sweep computes: the models, the block sizes (one global list, or a per-layer
// grid), the accuracy modes, the data and the hardware platforms. A JSON file (schema
// "circnn.sweep-config/1", docs/file-formats.md) and the `circnn sweep` flags fill the same struct.
//
// Points: for every model (in order), every mode (in order), every block-size assignment (in
// order) — one point each. Assignments:
//   - global list (layerGrid empty): one assignment per k in blockSizes, applied to `layers`
//     (empty = every eligible Dense/Conv2D layer, the output layer only with convertOutputLayer);
//   - per-layer grid: the cartesian product of the listed layers' k lists (layers in name order,
//     the last varying fastest); other layers stay dense;
//   - sensitivity: one layer at a time (each of `layers`, or every eligible layer, in model
//     order) at each k of blockSizes, all other layers dense.
// The enumeration is a pure function of the config, so point indices and ids are stable across
// runs, resumptions and shards.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "analysis/Conversion.h"
#include "model/ModelSpec.h"
#include "nn/RegressionMetrics.h"

namespace circnn {

// How a point's accuracy is obtained. Every table, chart and file names the mode.
enum class AccuracyMode {
    Project,   // Frobenius projection only (after unit reordering unless disabled)
    DataAware, // data-aware projection calibrated on training samples
    Finetune,  // data-aware / Frobenius projection + fine-tuning for `epochs` epochs
    Scratch,   // the converted architecture trained from a seeded random start for `epochs` epochs
};
const char* accuracyModeName(AccuracyMode mode); // "project", "data", "finetune", "scratch"
// Throws Error naming the accepted values.
AccuracyMode parseAccuracyMode(const std::string& text);
bool modeNeedsTrainingData(AccuracyMode mode);

enum class SweepKind { Grid, Sensitivity };

struct SweepConfig {
    SweepKind kind = SweepKind::Grid;
    std::vector<std::string> models;                            // model files
    std::vector<std::int64_t> blockSizes;                       // global list (k = 1: dense)
    std::map<std::string, std::vector<std::int64_t>> layerGrid; // per-layer lists (grid sweeps)
    std::vector<std::string> layers;                            // layers to convert (empty = all eligible)
    bool convertOutputLayer = false;
    bool reorderUnits = true;
    std::vector<AccuracyMode> modes{AccuracyMode::Project};
    int epochs = 1;                     // finetune / scratch
    std::string data, labels;           // evaluation set
    std::string trainData, trainLabels; // training / calibration set (data, finetune, scratch)
    std::int64_t evalLimit = 0;         // first N evaluation samples (0 = all)
    std::int64_t trainLimit = 0;        // first N training samples (0 = all)
    std::int64_t calibration = 2000;    // data-aware projection: calibration samples
    std::vector<std::string> platforms; // names or files; "all" = every built-in preset
    std::string precision = "fixed16";
    std::int64_t batch = 1;           // frames per batch for the hardware estimates
    std::uint32_t seed = 1;           // training, validation split, reordering
    std::int64_t timingSamples = 256; // samples timed for the measured CPU latency/throughput (0 = none)
    // What the models' outputs mean (EvaluateConfig::task): Auto = detectTask per model. For
    // Reconstruct / Regress every point is ranked by the mean squared error (SweepMetric: lower is
    // better) instead of top-1, fine-tuning and scratch training use the MSE loss, and the data is
    // read without labels unless `anomalyLabels` (0/1 labels for the ROC AUC: a labels file, or
    // the data file's labels member) — or a labels file is named. Regress reads its targets from
    // `targetsKey` (HDF5 dataset / npz member) of both data files. JSON keys "task",
    // "anomaly_labels", "targets_key", written only when not at their defaults (so the hash of a
    // classification sweep is what it was before tasks existed).
    Task task = Task::Auto;
    bool anomalyLabels = false;
    std::string targetsKey;
};

// Checks ranges and combinations (models given, k ≥ 1, modes that train need training data, ...).
// Throws Error naming the field and what was wrong.
void validateSweepConfig(const SweepConfig& config);

// JSON form (keys snake_case, "schema": "circnn.sweep-config/1"). fromJson rejects unknown keys
// and wrong types with FormatError naming `origin` and the key.
nlohmann::ordered_json sweepConfigToJson(const SweepConfig& config);
SweepConfig sweepConfigFromJson(const nlohmann::json& json, const std::string& origin);
SweepConfig readSweepConfig(const std::string& path);

// 16 hex digits: FNV-1a 64 of the canonical (sorted-key) JSON. Two configs with the same hash
// compute the same points; a results file records it on every line.
std::string sweepConfigHash(const SweepConfig& config);

struct SweepPointSpec {
    std::size_t index = 0; // position in the enumeration
    std::string id;        // stable and unique: "m0/project/k=8", "m0/data/dense=4,dense_1=8"
    std::size_t modelIndex = 0;
    AccuracyMode mode = AccuracyMode::Project;
    std::int64_t k = 0; // the global k of a global-list point; 0 for grid / sensitivity points
    std::map<std::string, std::int64_t> layerBlocks; // requested per-layer k (grid / sensitivity)
    std::string sensitivityLayer;                    // sensitivity points: the one converted layer
};

// The eligible layers of a model under the config's rules (Dense/Conv2D, the output layer only
// with convertOutputLayer), in model order; when config.layers is set, those (checked to exist).
std::vector<std::string> sweepLayers(const SweepConfig& config, const ModelSpec& model);

// Enumerates the points. `models` are the config's models read (for sensitivity sweeps, whose
// points depend on the layers); grid and global-list sweeps need none (pass {}).
std::vector<SweepPointSpec> enumerateSweepPoints(const SweepConfig& config, const std::vector<ModelSpec>& models);

// The conversion request of a point (reordering and the output-layer rule from the config).
ConversionRequest sweepConversionRequest(const SweepConfig& config, const SweepPointSpec& point);

// Shards: point index i belongs to shard (i mod count) + 1 (round-robin, so every shard gets a
// mix of modes and block sizes). Parses "I/N" with 1 ≤ I ≤ N; throws Error otherwise.
struct SweepShard {
    int index = 1, count = 1;
    bool contains(std::size_t pointIndex) const { return int(pointIndex % std::size_t(count)) + 1 == index; }
};
SweepShard parseSweepShard(const std::string& text);

} // namespace circnn
