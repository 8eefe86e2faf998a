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

struct MaskFlow {
    std::vector<std::int64_t> source;  // recurrent layers: the mask they consume
    std::vector<std::int64_t> carried; // every layer: the mask on its output
};

MaskFlow maskFlow(const ModelSpec& model)
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
            if (l.kind != LayerKind::MultiHeadAttention) // consumes each input's mask separately
                found = carried[static_cast<std::size_t>(j)];
        }
        // Consumers: recurrent layers and GlobalAveragePooling1D (a mean over the unmasked steps).
        if ((isRecurrent(l.kind) || l.kind == LayerKind::GlobalAveragePooling1D) && l.inputs.size() == 1)
            source[i] = found;
        if (l.kind == LayerKind::MultiHeadAttention) { // passes its query's mask (Keras' compute_mask)
            const std::int64_t q = l.inputs.empty() ? -1 : indexOf(l.inputs[0]);
            carried[i] = q >= 0 && static_cast<std::size_t>(q) < i ? carried[static_cast<std::size_t>(q)] : -1;
        } else if (l.kind == LayerKind::Embedding)
            carried[i] = l.maskZero && l.inputs.size() == 1 ? indexOf(l.inputs[0]) : -1;
        else if (passesMask(l))
            carried[i] = found;
    }
    return {source, carried};
}

} // namespace

std::vector<std::int64_t> maskSources(const ModelSpec& model)
{
    return maskFlow(model).source;
}

std::vector<AttentionMaskSources> attentionMaskSources(const ModelSpec& model)
{
    const MaskFlow flow = maskFlow(model);
    std::vector<AttentionMaskSources> out(model.layers.size());
    for (std::size_t i = 0; i < model.layers.size(); ++i) {
        const LayerSpec& l = model.layers[i];
        if (l.kind != LayerKind::MultiHeadAttention)
            continue;
        std::int64_t m[3] = {-1, -1, -1};
        for (std::size_t k = 0; k < l.inputs.size() && k < 3; ++k)
            for (std::size_t j = 0; j < i; ++j)
                if (model.layers[j].name == l.inputs[k])
                    m[k] = flow.carried[j];
        out[i] = {m[0], m[1], l.inputs.size() == 3 ? m[2] : -1};
    }
    return out;
}

} // namespace circnn::nn
