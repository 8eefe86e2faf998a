#include "nn/RegressionMetrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/Error.h"

namespace circnn {

std::string taskName(Task task)
{
    switch (task) {
    case Task::Auto:
        return "auto";
    case Task::Classify:
        return "classify";
    case Task::Reconstruct:
        return "reconstruct";
    case Task::Regress:
        return "regress";
    }
    return "auto";
}

Task parseTask(const std::string& name)
{
    for (Task t : {Task::Auto, Task::Classify, Task::Reconstruct, Task::Regress})
        if (taskName(t) == name)
            return t;
    throw Error("unknown task '" + name + "' (expected auto, classify, reconstruct or regress)");
}

Task detectTask(const Model& model)
{
    const ModelSpec& s = model.spec();
    if (s.layers.empty())
        return Task::Classify;
    const LayerSpec* last = s.outputs.empty() ? &s.layers.back() : s.find(s.outputs.front());
    if (!last)
        return Task::Classify;
    return model.outputShape() == model.inputShape() && last->activation == ActivationKind::Linear ? Task::Reconstruct
                                                                                                   : Task::Classify;
}

void addSampleError(ErrorMetrics& metrics, const float* output, const float* target, std::int64_t values)
{
    double sq = 0, ab = 0;
    for (std::int64_t i = 0; i < values; ++i) {
        const double d = double(output[i]) - double(target[i]);
        sq += d * d;
        ab += std::abs(d);
    }
    const double n = double(std::max<std::int64_t>(values, 1));
    metrics.perSampleSquaredError.push_back(sq / n);
    metrics.perSampleAbsoluteError.push_back(ab / n);
}

void finishErrors(ErrorMetrics& metrics)
{
    metrics.count = static_cast<std::int64_t>(metrics.perSampleSquaredError.size());
    const double n = double(std::max<std::int64_t>(metrics.count, 1));
    metrics.meanSquaredError =
        std::accumulate(metrics.perSampleSquaredError.begin(), metrics.perSampleSquaredError.end(), 0.0) / n;
    metrics.meanAbsoluteError =
        std::accumulate(metrics.perSampleAbsoluteError.begin(), metrics.perSampleAbsoluteError.end(), 0.0) / n;
}

std::optional<double> rocAuc(const std::vector<double>& scores, const std::vector<std::int32_t>& labels)
{
    if (scores.size() != labels.size())
        throw ShapeError("ROC AUC: " + std::to_string(scores.size()) + " scores but " + std::to_string(labels.size()) +
                         " labels");
    std::int64_t positives = 0;
    for (std::int32_t l : labels) {
        if (l != 0 && l != 1)
            return std::nullopt;
        positives += l;
    }
    const std::int64_t negatives = static_cast<std::int64_t>(labels.size()) - positives;
    if (positives == 0 || negatives == 0)
        return std::nullopt;
    // Average 1-based ranks of the scores (ties share the mean rank); the positives' rank sum
    // gives U = R+ − P(P+1)/2 = #(pos > neg) + ½ #(pos = neg), and AUC = U / (P·N).
    // NaN errors (a diverged model) rank as the most anomalous, and keep the sort well defined.
    std::vector<double> s(scores);
    for (double& v : s)
        if (std::isnan(v))
            v = INFINITY;
    std::vector<std::size_t> order(s.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return s[a] < s[b]; });
    double positiveRankSum = 0;
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j < order.size() && s[order[j]] == s[order[i]])
            ++j;
        const double rank = (double(i + 1) + double(j)) / 2.0; // mean of ranks i+1 .. j
        for (std::size_t t = i; t < j; ++t)
            if (labels[order[t]] == 1)
                positiveRankSum += rank;
        i = j;
    }
    const double p = double(positives), n = double(negatives);
    return (positiveRankSum - p * (p + 1) / 2.0) / (p * n);
}

} // namespace circnn
