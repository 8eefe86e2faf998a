#pragma once
// evaluateModel: a model's accuracy figures on a labelled dataset (top-1 / top-5, cross-entropy,
// per-class accuracy, confusion matrix, throughput) and, with a conversion, the block-circulant
// model's figures and how closely it agrees with the dense one (compareDenseVsConverted). For
// reconstruction / regression models the figures are errors (MSE, MAE, ROC AUC), not accuracy.
// `circnn eval` prints it; the desktop app's inference view shows it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/Conversion.h"
#include "analysis/WorkflowSources.h"
#include "common/Progress.h"
#include "nn/Evaluation.h"

namespace circnn {

struct EvaluateConfig {
    ModelSource model;
    DataSource data;
    std::int64_t batchSize = 256;
    std::int64_t limit = 0;      // evaluate only the first `limit` samples (0 = all; also for data in memory)
    bool perLayerTiming = false; // fill Evaluation::layerTimes
    // What the output means (EvalOptions::task): Auto detects a reconstruction model (output shape
    // = input shape, linear output) and otherwise classifies. For Reconstruct / Regress the
    // evaluations report squared / absolute errors (and ROC AUC with 0/1 labels) instead of
    // accuracy; the data may then be unlabelled (DatasetOptions::readLabels = false) and Regress
    // reads its targets from DatasetOptions::targetsKey.
    Task task = Task::Auto;
    // Reconstruct / Regress from a file: read 0 (normal) / 1 (anomalous) labels too (from
    // options.labelsPath or options.labelsKey), for the ROC AUC. When false such data is read
    // unlabelled (a file's "y" may hold reference outputs, not classes).
    bool anomalyLabels = false;
    // When set: also convert the model with this request (convertModel, Frobenius projection),
    // evaluate the block-circulant model and compare both on the same samples.
    std::optional<ConversionRequest> conversion;
    // Phases: "evaluating", then with a conversion "reordering units, layer" (when reordering),
    // "evaluating block-circulant", "comparing". `progress` counts the phase's units (samples,
    // or layers while reordering); false cancels (Cancelled).
    ProgressFn progress;
    PhaseFn onPhase;
};

// The block-circulant side of an evaluation.
struct ConvertedEvaluation {
    std::int64_t blockSize = 0; // the request's defaultBlockSize
    Evaluation evaluation;
    Agreement agreement;                 // with the model as read, on the same samples
    std::vector<LayerConversion> layers; // what the conversion did per layer
    std::vector<LayerReordering> reordering;
    std::vector<std::string> warnings; // the conversion's
};

struct EvaluateResult {
    std::string model, data;    // the sources' labels
    Task task = Task::Classify; // as evaluated (resolved from Auto)
    Evaluation evaluation;      // the model as read
    std::optional<ConvertedEvaluation> circulant;
};

// Throws Error for unreadable files / bad options, ShapeError when data and model do not fit,
// Cancelled on request.
EvaluateResult evaluateModel(const EvaluateConfig& config);

// evaluateModel with `request` as the conversion (the same call, named for what it does).
EvaluateResult compareDenseVsConverted(EvaluateConfig config, const ConversionRequest& request);

} // namespace circnn
