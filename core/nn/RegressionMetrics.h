#pragma once
// What a model's output means (its task) and the error metrics of models whose output is not a
// class: reconstruction (autoencoders: the target is the input) and regression (the target is a
// stored array). Per-sample mean squared / absolute error, their means over the dataset, and, for
// anomaly detection, the ROC AUC of the per-sample squared error against 0 (normal) / 1
// (anomalous) labels.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nn/Model.h"

namespace circnn {

enum class Task { Auto, Classify, Reconstruct, Regress };

// "auto", "classify", "reconstruct", "regress".
std::string taskName(Task task);
// The inverse of taskName; throws Error naming the accepted values otherwise.
Task parseTask(const std::string& name);

// Reconstruct when the model's output shape equals its input shape and its output layer is
// linear (no activation or ActivationKind::Linear), else Classify. Regress is never guessed.
Task detectTask(const Model& model);

// Error figures of a reconstruction / regression evaluation.
struct ErrorMetrics {
    std::int64_t count = 0;
    double meanSquaredError = 0;                // mean over samples of the per-sample MSE (= over all values)
    double meanAbsoluteError = 0;               // likewise for |output − target|
    std::vector<double> perSampleSquaredError;  // mean over the sample's values of (output − target)²
    std::vector<double> perSampleAbsoluteError; // mean over the sample's values of |output − target|
    // With labels that are all 0 (normal) or 1 (anomalous) and both present: the probability that
    // an anomalous sample has a larger squared error than a normal one (ties count one half).
    std::optional<double> rocAuc;
    std::int64_t normalCount = 0, anomalousCount = 0; // when rocAuc is set
};

// Accumulates one sample: `values` outputs against `values` targets.
void addSampleError(ErrorMetrics& metrics, const float* output, const float* target, std::int64_t values);
// Sets the means from the per-sample figures (and count).
void finishErrors(ErrorMetrics& metrics);

// ROC AUC of `scores` (higher = more anomalous) against binary labels (1 = positive). Computed
// from average ranks (Mann–Whitney U), O(n log n). Returns nullopt unless labels are all 0/1 and
// both classes are present; throws ShapeError when the sizes differ.
std::optional<double> rocAuc(const std::vector<double>& scores, const std::vector<std::int32_t>& labels);

} // namespace circnn
