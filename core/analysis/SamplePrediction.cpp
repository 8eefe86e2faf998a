#include "analysis/SamplePrediction.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/Error.h"
#include "nn/Activations.h"

namespace circnn {

std::vector<ClassScore> topClasses(std::span<const float> probabilities, int k)
{
    std::vector<std::int32_t> order(probabilities.size());
    std::iota(order.begin(), order.end(), 0);
    const std::size_t n = std::min<std::size_t>(order.size(), static_cast<std::size_t>(std::max(k, 0)));
    // Stable on equal scores: the lower class index first (evaluate() takes the first maximum).
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                      [&](std::int32_t a, std::int32_t b) {
                          const float pa = probabilities[static_cast<std::size_t>(a)];
                          const float pb = probabilities[static_cast<std::size_t>(b)];
                          return pa > pb || (pa == pb && a < b);
                      });
    std::vector<ClassScore> top;
    top.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        top.push_back({order[i], probabilities[static_cast<std::size_t>(order[i])]});
    return top;
}

bool outputIsSoftmax(const ModelSpec& s)
{
    if (s.layers.empty())
        return false;
    const LayerSpec* last = s.outputs.empty() ? &s.layers.back() : s.find(s.outputs.front());
    return last && last->activation == ActivationKind::Softmax &&
           (last->kind == LayerKind::Dense || last->kind == LayerKind::Conv2D || last->kind == LayerKind::Activation);
}

std::vector<float> classProbabilities(const Model& model, const Dataset& data, std::int64_t index)
{
    if (index < 0 || index >= data.count())
        throw ShapeError("sample " + std::to_string(index) + " is outside the dataset '" + data.name + "' (" +
                         std::to_string(data.count()) + " samples)");
    const Dataset one = selectSamples(data, {index});
    Shape shape = one.images.shape();
    const Shape input = model.inputShape();
    Shape expected{1};
    expected.insert(expected.end(), input.begin(), input.end());
    if (shape != expected)
        throw ShapeError("sample shape " + shapeToString(shape) + " does not fit the model input " +
                         shapeToString(expected));
    const Tensor y = model.forward(one.images);
    std::vector<float> p(y.data(), y.data() + y.size());
    if (!outputIsSoftmax(model.spec()) && !p.empty())
        nn::applyActivation(ActivationKind::Softmax, std::nullopt, p.data(), static_cast<std::int64_t>(p.size()),
                            static_cast<std::int64_t>(p.size()));
    return p;
}

std::vector<std::int64_t> confusionCellSamples(const std::vector<std::int32_t>& labels,
                                               const std::vector<std::int32_t>& predictions, std::int32_t trueClass,
                                               std::int32_t predictedClass)
{
    if (labels.size() < predictions.size())
        throw ShapeError("confusion cell: " + std::to_string(labels.size()) + " labels but " +
                         std::to_string(predictions.size()) + " predictions");
    std::vector<std::int64_t> samples;
    for (std::size_t i = 0; i < predictions.size(); ++i)
        if (labels[i] == trueClass && predictions[i] == predictedClass)
            samples.push_back(static_cast<std::int64_t>(i));
    return samples;
}

std::vector<std::int64_t> classSampleCounts(const Evaluation& evaluation)
{
    std::vector<std::int64_t> counts;
    counts.reserve(evaluation.confusion.size());
    for (const auto& row : evaluation.confusion)
        counts.push_back(std::accumulate(row.begin(), row.end(), std::int64_t(0)));
    return counts;
}

std::int64_t largestConfusion(const Evaluation& evaluation)
{
    std::int64_t largest = 0;
    for (std::size_t t = 0; t < evaluation.confusion.size(); ++t)
        for (std::size_t p = 0; p < evaluation.confusion[t].size(); ++p)
            if (t != p)
                largest = std::max(largest, evaluation.confusion[t][p]);
    return largest;
}

} // namespace circnn
