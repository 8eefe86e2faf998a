#pragma once
// inspectModel: what a model file holds — layer table (output shape, parameters, MACs,
// representation), totals, provenance and per-tensor weight statistics. `circnn inspect` prints it;
// the desktop app's model view shows it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/WorkflowSources.h"
#include "common/Progress.h"
#include "model/ModelSpec.h"

namespace circnn {

struct InspectConfig {
    ModelSource model;
    bool weightStatistics = true; // fill InspectResult::weights
    ProgressFn progress;          // (layers done, layers); false cancels (Cancelled)
};

// Statistics of one stored weight tensor.
struct TensorStatistics {
    std::string layer;
    std::string role; // "kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance", "vectors"
    Shape shape;
    double min = 0, max = 0, mean = 0, std = 0;
    double sparsity = 0; // fraction of exact zeros
};

struct LayerSummary {
    std::string name;
    std::string className; // as in the file (the Keras class name when none was recorded)
    std::string kind;      // layerKindName
    std::vector<std::string> inputs;
    Shape outputShape;
    std::int64_t parameters = 0, denseParameters = 0, macs = 0;
    std::string activation; // activationName of the fused activation ("linear" when none)
    // "circulant", "dense" (a Dense / Conv2D layer with a full kernel) or "none" (no weight matrix).
    std::string representation;
    // For block-circulant layers: block size and the p × q block grid (of one tap); 0 otherwise.
    std::int64_t blockSize = 0, blockRows = 0, blockCols = 0;
};

struct InspectResult {
    std::string file;   // ModelSource::label()
    std::string format; // "keras-h5", "keras-zip", "circnn", or the provenance's source format in memory
    std::string name;
    Shape inputShape, outputShape;
    Provenance provenance;
    std::optional<EpochRecord> bestEpoch; // the recorded epoch with the highest validation accuracy
    ConversionPlan plan;
    std::vector<LayerSummary> layers;
    std::int64_t parameters = 0, denseParameters = 0, macs = 0;
    double compression = 1; // denseParameters / parameters
    std::vector<TensorStatistics> weights;
    std::vector<std::string> warnings;
};

// Throws Error naming the file for unreadable models; Cancelled on request. An architecture-only
// model in memory (ModelSpec::weightsLoaded false, io/ModelFile.h readModelArchitecture) gives the
// full layer table and totals from its recorded weight shapes, and no weight statistics.
InspectResult inspectModel(const InspectConfig& config);

// Statistics of one tensor (an empty tensor gives zeros).
TensorStatistics tensorStatistics(const std::string& layer, const std::string& role, const Tensor& tensor);

} // namespace circnn
