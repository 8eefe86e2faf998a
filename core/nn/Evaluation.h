#pragma once
// Evaluation of a prepared Model on a Dataset: for classifiers accuracy figures and confusion
// matrix; for reconstruction / regression models squared and absolute errors (RegressionMetrics.h);
// timing. Batched and parallel over all cores.

#include <cstdint>
#include <string>
#include <vector>

#include "common/Progress.h"
#include "model/Dataset.h"
#include "nn/Model.h"
#include "nn/RegressionMetrics.h"

namespace circnn {

struct EvalOptions {
    std::int64_t batchSize = 256;
    std::int64_t limit = 0;      // evaluate only the first `limit` samples (0 = all)
    bool perLayerTiming = false; // fill Evaluation::layerTimes
    ProgressFn progress;         // (samples done, total); false cancels
    // Auto: detectTask(model). Reconstruct: targets are the inputs, labels are optional (0/1 give
    // the ROC AUC). Regress: targets are Dataset::targets (one output-sized array per sample).
    // Classify by default, as before tasks existed; the workflows default to Auto.
    Task task = Task::Classify;
};

struct Evaluation {
    Task task = Task::Classify; // as evaluated (never Auto)
    std::int64_t count = 0;
    // Classify only (0 / empty otherwise):
    double top1 = 0, top5 = 0;                        // fractions in [0, 1]
    double meanCrossEntropy = 0;                      // −log p(true class), natural log
    std::vector<std::vector<std::int64_t>> confusion; // [true][predicted]
    std::vector<double> perClassAccuracy;             // recall per true class (NaN when absent)
    std::vector<LayerTiming> layerTimes;              // when requested
    double seconds = 0;
    double imagesPerSecond = 0;
    std::vector<std::int32_t> predictions; // top-1 class per sample
    ErrorMetrics errors;                   // Reconstruct / Regress only
    std::vector<std::string> warnings;
};

// The figure a sweep or report ranks an evaluation by: top-1 accuracy for classifiers (higher is
// better), the mean squared error otherwise (lower is better).
double primaryMetric(const Evaluation& evaluation);
std::string metricName(const Evaluation& evaluation); // "top1" or "mse" (the JSON key)
bool higherIsBetter(const Evaluation& evaluation);

// Throws ShapeError when the dataset does not fit the model's input.
Evaluation evaluate(const Model& model, const Dataset& data, const EvalOptions& options = {});

// How closely two models agree on the same inputs (e.g. dense vs. block-circulant).
struct Agreement {
    std::int64_t count = 0;
    double top1Match = 0;             // fraction of samples with the same top-1 class (classifiers)
    double maxAbsDifference = 0;      // largest |output_a − output_b| over all outputs
    double meanSquaredDifference = 0; // mean over all outputs of (output_a − output_b)²
};
Agreement compareModels(const Model& a, const Model& b, const Dataset& data, const EvalOptions& options = {});

} // namespace circnn
