#pragma once
// The result of one sweep point, as a value, and its JSON form (one line of a results file,
// schema "circnn.sweep-point/1", docs/file-formats.md). Fractions are in [0, 1]; units are in the
// names (ms, pj, s).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace circnn {

struct SweepLayerResult {
    std::string layer;
    std::string kind;           // "Dense", "Conv2D"
    std::int64_t blockSize = 1; // 1 = left dense
    bool converted = false;
    std::string reason;                                     // why it stayed dense
    std::int64_t parametersBefore = 0, parametersAfter = 0; // weights of the layer (stored numbers)
    double compression = 1;                                 // before / after
    double relativeResidual = 0;                            // ‖W − P(W)‖_F / ‖W‖_F (0 for dense layers)
};

// The hardware estimate of the point's model on one platform (dense and block-circulant designs).
struct SweepPlatformResult {
    std::string platform;
    double latencyS = 0, denseLatencyS = 0; // per batch
    double framesPerSecond = 0, denseFramesPerSecond = 0;
    double energyPjPerFrame = 0, denseEnergyPjPerFrame = 0;
    double weightBits = 0;
    double multipliers = 0;             // processing elements used
    double onchipMemoryUtilisation = 0; // 0..1
    double computeUtilisation = 0;      // 0..1
    bool weightsOnChip = true;
    std::string bound; // "compute", "on-chip memory", "off-chip bandwidth"
};

// Measured on this machine by the engine (not an estimate). Timing differs run to run; tests and
// merges compare everything else.
struct SweepTiming {
    std::int64_t samples = 0;                   // samples timed
    double latencyMs = 0, denseLatencyMs = 0;   // one sample at a time, single thread, mean per sample
    double throughput = 0, denseThroughput = 0; // samples/s, batched on all cores
};

// How the points of a task are ranked and labelled: classifiers by top-1 accuracy (higher is
// better), reconstruction / regression models by the mean squared error (lower is better). Every
// table, chart and report takes its labels from here, so they all say the same.
struct SweepMetric {
    std::string task;           // "classify", "reconstruct", "regress"
    std::string key;            // the JSON / CSV key of the figure: "top1" or "mse"
    bool higherIsBetter = true; // false for errors: Pareto fronts minimise them
    std::string label;          // axis / heading: "top-1 accuracy (%)", "reconstruction MSE (lower is better)"
    std::string shortLabel;     // table column: "Top-1 %", "MSE"
    double scale = 1;           // shown value = scale × figure (100: accuracy fractions shown in %)
};
// Throws nothing: an unknown task name is taken as "classify" (results written before tasks).
SweepMetric sweepMetric(const std::string& task);

// Reconstruction / regression figures of a point (Evaluation::errors), for the point's model and
// for the dense model on the same samples.
struct SweepErrors {
    double mse = 0, mae = 0, denseMse = 0, denseMae = 0;
    // ROC AUC of the per-sample squared error against 0/1 anomaly labels (when the data has them).
    std::optional<double> rocAuc, denseRocAuc;
};

struct SweepPointResult {
    std::size_t index = 0;
    std::string id;
    std::string configHash;
    std::string model; // file
    std::size_t modelIndex = 0;
    std::string mode;                                    // accuracyModeName
    int epochs = 0;                                      // finetune / scratch epochs (0 otherwise)
    std::int64_t k = 0;                                  // global k (0 for per-layer points)
    std::map<std::string, std::int64_t> requestedBlocks; // per-layer request (grid / sensitivity)
    std::string sensitivityLayer;
    std::int64_t parameters = 0, denseParameters = 0; // whole model, stored numbers
    double compression = 1;                           // denseParameters / parameters
    std::vector<SweepLayerResult> layers;
    std::int64_t evalCount = 0;
    std::string task = "classify"; // taskName of the evaluation ("classify", "reconstruct", "regress")
    // Classifiers (0 for other tasks):
    double top1 = 0, top5 = 0, denseTop1 = 0, denseTop5 = 0;
    double agreement = 0; // fraction of samples where top-1 equals the dense model's
    SweepErrors errors;   // reconstruction / regression (zeros for classifiers)
    SweepTiming timing;
    std::vector<SweepPlatformResult> platforms;
    std::vector<std::string> warnings;
    double seconds = 0; // wall time of the point

    // A short label of the block sizes: "k=8" or "dense=4, dense_1=8".
    std::string blockLabel() const;
    const SweepPlatformResult* platform(const std::string& name) const;
    // The figure the point is ranked by (SweepMetric): top1, or errors.mse; and the dense model's.
    SweepMetric metric() const { return sweepMetric(task); }
    double score() const;
    double denseScore() const;
    // score() oriented for minimisation (−top1, or the MSE): what Pareto fronts take.
    double cost() const;
};

nlohmann::ordered_json sweepPointToJson(const SweepPointResult& point);
// Throws FormatError naming `origin` and the missing / mistyped key.
SweepPointResult sweepPointFromJson(const nlohmann::json& json, const std::string& origin);

// Everything except the measured timing and wall time, as canonical JSON text: what two runs of
// the same config must agree on (resumed vs uninterrupted, merged shards vs one run).
std::string sweepPointComparableText(const SweepPointResult& point);

} // namespace circnn
