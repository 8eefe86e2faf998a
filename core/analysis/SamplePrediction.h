#pragma once
// Per-sample views of a classifier, for front ends that browse a dataset (the desktop app's
// inference view): the class probabilities of one sample, its top-k classes, and the samples
// behind one cell of a confusion matrix. The figures over a whole dataset are evaluate()'s
// (nn/Evaluation.h); these functions agree with it (same forward pass, same tie rule).

#include <cstdint>
#include <span>
#include <vector>

#include "model/Dataset.h"
#include "nn/Evaluation.h"
#include "nn/Model.h"

namespace circnn {

struct ClassScore {
    std::int32_t classIndex = 0;
    float probability = 0;
    bool operator==(const ClassScore&) const = default;
};

// The `k` highest scores, highest first; ties go to the lower class index (as evaluate's top-1).
// k larger than the number of classes returns every class.
std::vector<ClassScore> topClasses(std::span<const float> probabilities, int k);

// The model's class probabilities for sample `index` of `data` (images already shaped for the model
// input): the output as is when the output layer ends in softmax, else softmax of the output
// (logits). Throws ShapeError for an index outside [0, data.count()) or data that does not fit.
std::vector<float> classProbabilities(const Model& model, const Dataset& data, std::int64_t index);

// Whether the model's output is already a probability distribution (output layer ends in softmax).
bool outputIsSoftmax(const ModelSpec& spec);

// The sample indices i (ascending) with labels[i] == trueClass and predictions[i] == predictedClass:
// the samples of Evaluation::confusion[trueClass][predictedClass]. `predictions` cover the first
// predictions.size() samples (an evaluation with a limit); throws ShapeError when there are fewer
// labels than predictions.
std::vector<std::int64_t> confusionCellSamples(const std::vector<std::int32_t>& labels,
                                               const std::vector<std::int32_t>& predictions, std::int32_t trueClass,
                                               std::int32_t predictedClass);

// Samples per true class of an evaluation (row sums of Evaluation::confusion).
std::vector<std::int64_t> classSampleCounts(const Evaluation& evaluation);

// The largest count off the diagonal of the confusion matrix (the most frequent confusion; 0 when
// every sample is right). A heatmap's colour scale, so that errors stay visible beside the diagonal.
std::int64_t largestConfusion(const Evaluation& evaluation);

} // namespace circnn
