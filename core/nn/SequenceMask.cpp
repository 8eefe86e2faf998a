#include "nn/SequenceMask.h"

#include "model/RecurrentKinds.h"

namespace circnn::nn {

namespace {

bool passesMask(const LayerSpec& l)
{
    return layerTraits(l.kind).passesSequenceMask || (isRecurrent(l.kind) && l.returnSequences);
}

} // namespace

std::vector<std::int64_t> maskSources(const ModelSpec& model)
{
    const std::size_t n = model.layers.size();
    std::vector<std::int64_t> source(n, -1);
    auto indexOf = [&](const std::string& name) -> std::int64_t {
        for (std::size_t i = 0; i < n; ++i)
            if (model.layers[i].name == name)
                return static_cast<std::int64_t>(i);
        return -1;
    };
    for (std::size_t i = 0; i < n; ++i) {
        if (!isRecurrent(model.layers[i].kind) || model.layers[i].inputs.size() != 1)
            continue;
        std::int64_t j = indexOf(model.layers[i].inputs[0]);
        // Bounded walk back through mask-passing layers (a malformed spec cannot loop forever).
        for (std::size_t steps = 0; j >= 0 && steps <= n; ++steps) {
            const LayerSpec& l = model.layers[static_cast<std::size_t>(j)];
            if (l.kind == LayerKind::Embedding) {
                if (l.maskZero && l.inputs.size() == 1)
                    source[i] = indexOf(l.inputs[0]);
                break;
            }
            if (!passesMask(l) || l.inputs.size() != 1)
                break;
            j = indexOf(l.inputs[0]);
        }
    }
    return source;
}

} // namespace circnn::nn
