#include "model/ShapeInference.h"

#include "common/Error.h"
#include "model/LayerShapeRules.h"
#include "model/LayerTraits.h"

namespace circnn {

std::int64_t convOutputSize(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t dilation,
                            Padding padding)
{
    if (padding != Padding::Valid) // Same and Causal
        return (in + stride - 1) / stride;
    const std::int64_t span = dilation * (kernel - 1) + 1;
    return in < span ? 0 : (in - span) / stride + 1;
}

namespace {

void infer(ModelSpec& model, bool checkWeights, bool recordWeightShapes)
{
    constexpr std::int64_t kMaxElements = std::int64_t(1) << 34; // 16 G values per sample: absurd
    for (std::size_t idx = 0; idx < model.layers.size(); ++idx) {
        LayerSpec& l = model.layers[idx];
        ShapeQuery q{model, l, {}, checkWeights, recordWeightShapes ? &l.weightShapes : nullptr};
        for (const std::string& name : l.inputs) {
            std::size_t j = model.layers.size();
            for (std::size_t t = 0; t < idx; ++t)
                if (model.layers[t].name == name)
                    j = t;
            if (j == model.layers.size())
                q.fail("input '" + name + "' is not a preceding layer");
            q.inputs.push_back(&model.layers[j].outputShape);
        }
        const LayerTraits& traits = layerTraits(l.kind);
        const auto count = static_cast<int>(q.inputs.size());
        if (count == 0 && traits.minInputs > 0)
            q.fail("has no input");
        if (traits.maxInputs == 1 && count != 1)
            q.fail("expects one input, has " + std::to_string(count));
        if (count < traits.minInputs)
            q.fail("needs at least " + std::to_string(traits.minInputs) + " inputs");
        if (traits.maxInputs >= 0 && count > traits.maxInputs)
            q.fail("takes at most " + std::to_string(traits.maxInputs) + " inputs, has " + std::to_string(count));
        const Shape out = traits.shape(q);
        if (shapeSize(out) > kMaxElements)
            q.fail("output shape " + shapeToString(out) + " is absurdly large");
        l.outputShape = out;
    }
}

} // namespace

void inferShapes(ModelSpec& model, bool checkWeights)
{
    infer(model, checkWeights, false);
}

void inferWeightShapes(ModelSpec& model)
{
    infer(model, true, true);
}

LayerStats layerStats(const ModelSpec& model, const LayerSpec& l)
{
    LayerStats s;
    // The inputs' shapes in order (an unknown input: empty); the rule gets none when the first is unknown.
    std::vector<Shape> inShapes(l.inputs.size());
    for (std::size_t i = 0; i < l.inputs.size(); ++i)
        if (const LayerSpec* src = model.find(l.inputs[i]))
            inShapes[i] = src->outputShape;
    const bool known = !l.inputs.empty() && model.find(l.inputs.front()) != nullptr;
    if (const auto rule = layerTraits(l.kind).stats)
        rule(l, known ? inShapes.data() : nullptr, s);
    return s;
}

LayerStats modelStats(const ModelSpec& model)
{
    LayerStats total;
    for (const LayerSpec& l : model.layers) {
        const LayerStats s = layerStats(model, l);
        total.parameters += s.parameters;
        total.denseParameters += s.denseParameters;
        total.macs += s.macs;
    }
    return total;
}

} // namespace circnn
