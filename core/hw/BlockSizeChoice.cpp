#include "hw/BlockSizeChoice.h"

#include <algorithm>

#include "common/Error.h"
#include "model/ConversionRules.h"

namespace circnn::hw {

namespace {

bool isWeighted(const LayerSpec& l)
{
    return l.kind == LayerKind::Dense || l.kind == LayerKind::Conv2D;
}

} // namespace

BlockSizeChoice blockSizeChoiceFromPlan(const ConversionPlan& plan)
{
    BlockSizeChoice c;
    c.perLayer = plan.blockSize;
    return c;
}

std::map<std::string, std::int64_t> resolveBlockSizes(const ModelSpec& spec, const BlockSizeChoice& choice,
                                                      std::vector<std::string>& warnings,
                                                      std::map<std::string, std::string>& notes)
{
    if (choice.defaultK < 0)
        throw ShapeError("model '" + spec.name + "': block size k = " + std::to_string(choice.defaultK) +
                         " must be at least 1");
    checkPlanLayers(spec, choice.perLayer);
    const std::string outputLayer = outputWeightLayer(spec);
    std::map<std::string, std::int64_t> result;
    for (const LayerSpec& l : spec.layers) {
        if (!isWeighted(l))
            continue;
        if (l.circulant) {
            const std::int64_t own = l.circulant->k;
            auto it = choice.perLayer.find(l.name);
            const std::int64_t asked = it != choice.perLayer.end() ? it->second : choice.defaultK;
            if (asked > 1 && asked != own)
                warnings.push_back("layer '" + l.name + "' is already block-circulant with k = " + std::to_string(own) +
                                   "; the requested k = " + std::to_string(asked) + " is ignored");
            if (own > 1)
                result[l.name] = own;
            continue;
        }
        const auto explicitK = choice.perLayer.find(l.name);
        const bool isExplicit = explicitK != choice.perLayer.end();
        const std::int64_t k = isExplicit ? explicitK->second : choice.defaultK;
        if (k <= 1)
            continue;
        if (l.name == outputLayer && !isExplicit && !choice.includeOutputLayer) {
            notes[l.name] = "output layer kept dense (name it in a plan, or convert the output layer)";
            continue;
        }
        const LayerSpec* src = l.inputs.empty() ? nullptr : spec.find(l.inputs.front());
        const std::int64_t cols = src && !src->outputShape.empty() ? src->outputShape.back() : 0;
        const std::int64_t rows = l.units;
        if (rows < k || cols < k) {
            notes[l.name] = "the " + std::to_string(rows) + "x" + std::to_string(cols) +
                            (l.kind == LayerKind::Conv2D ? " (C_out x C_in)" : "") +
                            " weight matrix has a dimension below k = " + std::to_string(k) +
                            ": kept dense (the blocks would be mostly zero padding)";
            warnings.push_back("layer '" + l.name + "': " + notes[l.name]);
            continue;
        }
        result[l.name] = k;
    }
    return result;
}

} // namespace circnn::hw
