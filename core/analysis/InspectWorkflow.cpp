#include "analysis/InspectWorkflow.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "io/ModelFile.h"
#include "model/LayerTraits.h"
#include "model/ShapeInference.h"

namespace circnn {

namespace {

const char* formatName(ModelFormat f)
{
    switch (f) {
    case ModelFormat::KerasH5:
        return "keras-h5";
    case ModelFormat::KerasZip:
        return "keras-zip";
    case ModelFormat::Native:
        return "circnn";
    }
    return "?";
}

LayerSummary summarise(const LayerSpec& l, const LayerStats& stats)
{
    LayerSummary s;
    s.name = l.name;
    s.className = l.className.empty() ? layerKindName(l.kind) : l.className;
    s.kind = layerKindName(l.kind);
    s.inputs = l.inputs;
    s.outputShape = l.outputShape;
    s.parameters = stats.parameters;
    s.denseParameters = stats.denseParameters;
    s.macs = stats.macs;
    s.activation = activationName(l.activation);
    if (l.circulant) {
        s.representation = "circulant";
        const Shape v = storedWeightShape(l, l.circulant->vectors); // recorded when weights are not loaded
        s.blockSize = l.circulant->k;
        s.blockRows = v.size() >= 3 ? v[v.size() - 3] : 0;
        s.blockCols = v.size() >= 2 ? v[v.size() - 2] : 0;
    } else if (const auto& q = l.attentionCirculant[0]) { // attention: the query projection's blocks
        s.representation = "circulant";
        const Shape v = storedWeightShape(l, q->vectors);
        s.blockSize = q->k;
        s.blockRows = v.size() >= 3 ? v[v.size() - 3] : 0;
        s.blockCols = v.size() >= 2 ? v[v.size() - 2] : 0;
    } else {
        s.representation = layerTraits(l.kind).convertible ? "dense" : "none";
    }
    return s;
}

} // namespace

TensorStatistics tensorStatistics(const std::string& layer, const std::string& role, const Tensor& t)
{
    TensorStatistics s{layer, role, t.shape()};
    if (t.empty())
        return s;
    double sum = 0, sumSq = 0;
    std::int64_t zeros = 0;
    s.min = std::numeric_limits<double>::infinity();
    s.max = -s.min;
    for (std::int64_t i = 0; i < t.size(); ++i) {
        const double v = t[i];
        s.min = std::min(s.min, v);
        s.max = std::max(s.max, v);
        sum += v;
        sumSq += v * v;
        zeros += v == 0.0;
    }
    const double n = static_cast<double>(t.size());
    s.mean = sum / n;
    s.std = std::sqrt(std::max(0.0, sumSq / n - s.mean * s.mean));
    s.sparsity = static_cast<double>(zeros) / n;
    return s;
}

InspectResult inspectModel(const InspectConfig& config)
{
    const std::shared_ptr<const ModelSpec> model = loadModelSource(config.model);
    const ModelSpec& m = *model;
    InspectResult r;
    r.file = config.model.label();
    r.format = config.model.model ? m.provenance.sourceFormat : formatName(detectModelFormat(config.model.path));
    r.name = m.name;
    if (!m.inputs.empty() && m.find(m.inputs.front()))
        r.inputShape = m.find(m.inputs.front())->outputShape;
    if (!m.outputs.empty() && m.find(m.outputs.front()))
        r.outputShape = m.find(m.outputs.front())->outputShape;
    r.provenance = m.provenance;
    if (!m.provenance.history.empty())
        r.bestEpoch =
            *std::max_element(m.provenance.history.begin(), m.provenance.history.end(),
                              [](const EpochRecord& a, const EpochRecord& b) { return a.valAccuracy < b.valAccuracy; });
    r.plan = m.plan;
    if (!m.weightsLoaded && config.weightStatistics)
        r.warnings.push_back("the weights are not loaded (architecture only): no weight statistics");
    const std::size_t total = m.layers.size();
    for (std::size_t i = 0; i < total; ++i) {
        reportProgress(config.progress, i, total);
        const LayerSpec& l = m.layers[i];
        const LayerStats stats = layerStats(m, l);
        r.layers.push_back(summarise(l, stats));
        r.parameters += stats.parameters;
        r.denseParameters += stats.denseParameters;
        r.macs += stats.macs;
        if (!config.weightStatistics)
            continue;
        const std::pair<const char*, const Tensor*> tensors[] = {{"kernel", &l.kernel},
                                                                 {"bias", &l.bias},
                                                                 {"gamma", &l.gamma},
                                                                 {"beta", &l.beta},
                                                                 {"moving_mean", &l.movingMean},
                                                                 {"moving_variance", &l.movingVariance}};
        for (const auto& [role, t] : tensors)
            if (!t->empty())
                r.weights.push_back(tensorStatistics(l.name, role, *t));
        if (l.circulant && !l.circulant->vectors.empty()) // empty: weights not loaded
            r.weights.push_back(tensorStatistics(l.name, "vectors", l.circulant->vectors));
    }
    reportProgress(config.progress, total, total);
    r.compression = r.parameters > 0 ? static_cast<double>(r.denseParameters) / static_cast<double>(r.parameters) : 1.0;
    return r;
}

} // namespace circnn
