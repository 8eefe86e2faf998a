#include "nn/SequenceMask.h"

#include "common/Error.h"
#include "model/RecurrentKinds.h"

namespace circnn::nn {

namespace {

bool passesMask(const LayerSpec& l)
{
    // A Concatenate over another axis than the features would have to concatenate the masks.
    if (l.kind == LayerKind::Concatenate && l.axis != -1)
        return false;
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
    // The mask on each layer's output, as the index of the layer holding the token ids (-1: none),
    // in model order (inputs precede their users). Merges combine their inputs' masks (Keras: the
    // logical and; an input without a mask counts as all ones), so one masked input masks the merge.
    std::vector<std::int64_t> carried(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
        const LayerSpec& l = model.layers[i];
        std::int64_t found = -1;
        for (const std::string& in : l.inputs) {
            const std::int64_t j = indexOf(in);
            if (j < 0 || static_cast<std::size_t>(j) >= i || carried[static_cast<std::size_t>(j)] < 0)
                continue;
            if (found >= 0 && found != carried[static_cast<std::size_t>(j)])
                throw Error("layer '" + l.name + "': the masks of two Embeddings (mask_zero) meet here; " +
                            "combining masks is not supported");
            found = carried[static_cast<std::size_t>(j)];
        }
        if (isRecurrent(l.kind) && l.inputs.size() == 1)
            source[i] = found;
        if (l.kind == LayerKind::Embedding)
            carried[i] = l.maskZero && l.inputs.size() == 1 ? indexOf(l.inputs[0]) : -1;
        else if (passesMask(l))
            carried[i] = found;
    }
    return source;
}

} // namespace circnn::nn
