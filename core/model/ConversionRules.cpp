#include "model/ConversionRules.h"

#include "common/Error.h"
#include "model/LayerTraits.h"

namespace circnn {

std::string outputWeightLayer(const ModelSpec& m)
{
    if (m.layers.empty())
        return {};
    const LayerSpec* l = m.outputs.empty() ? &m.layers.back() : m.find(m.outputs.front());
    // Bounded walk: a malformed spec with a cycle cannot loop forever.
    for (std::size_t steps = 0; l && steps <= m.layers.size() && l->inputs.size() == 1; ++steps) {
        if (!layerTraits(l->kind).passesUnits)
            break;
        l = m.find(l->inputs.front());
    }
    return l ? l->name : std::string();
}

void checkPlanLayers(const ModelSpec& m, const std::map<std::string, std::int64_t>& perLayer)
{
    for (const auto& [name, k] : perLayer) {
        const LayerSpec* l = m.find(name);
        if (!l)
            throw ShapeError("model '" + m.name + "': the plan names layer '" + name +
                             "', which the model does not have");
        if (!layerTraits(l->kind).convertible)
            throw ShapeError("model '" + m.name + "': the plan names layer '" + name + "' (" +
                             layerKindName(l->kind) + "); only " + convertibleLayerClasses() +
                             " layers can be block-circulant");
        if (k < 1)
            throw ShapeError("model '" + m.name + "', layer '" + name + "': block size k = " + std::to_string(k) +
                             " must be at least 1");
    }
}

} // namespace circnn
