#include "nn/SequenceMask.h"

#include "common/Error.h"
#include "model/LayerTraits.h"
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

bool consumesMask(const LayerSpec& l)
{
    return (isRecurrent(l.kind) || layerTraits(l.kind).consumesSequenceMask) && l.inputs.size() == 1;
}

struct MaskFlow {
    std::vector<MaskSource> source;  // consumers: the mask they consume
    std::vector<MaskSource> carried; // every layer: the mask on its output
};

MaskFlow maskFlow(const ModelSpec& model)
{
    const std::size_t n = model.layers.size();
    std::vector<MaskSource> source(n);
    auto indexOf = [&](const std::string& name) -> std::int64_t {
        for (std::size_t i = 0; i < n; ++i)
            if (model.layers[i].name == name)
                return static_cast<std::int64_t>(i);
        return -1;
    };
    // The mask on each layer's output (layer -1: none), in model order (inputs precede their
    // users). Merges combine their inputs' masks (Keras: the logical and; an input without a mask
    // counts as all ones), so one masked input masks the merge.
    std::vector<MaskSource> carried(n);
    for (std::size_t i = 0; i < n; ++i) {
        const LayerSpec& l = model.layers[i];
        MaskSource found;
        for (const std::string& in : l.inputs) {
            const std::int64_t j = indexOf(in);
            if (j < 0 || static_cast<std::size_t>(j) >= i || carried[static_cast<std::size_t>(j)].layer < 0)
                continue;
            const MaskSource& c = carried[static_cast<std::size_t>(j)];
            if (l.kind == LayerKind::MultiHeadAttention) // consumes each input's mask on its own
                continue;
            if (found.layer >= 0 && (found.layer != c.layer || found.frameMaskValue != c.frameMaskValue))
                throw Error("layer '" + l.name + "': two different sequence masks (Embedding mask_zero or Masking) " +
                            "meet here; combining masks is not supported");
            found = c;
        }
        if (consumesMask(l))
            source[i] = found;
        if (l.kind == LayerKind::MultiHeadAttention) { // passes its query's (Keras' default compute_mask)
            const std::int64_t q = l.inputs.empty() ? -1 : indexOf(l.inputs[0]);
            carried[i] =
                q >= 0 && static_cast<std::size_t>(q) < i ? carried[static_cast<std::size_t>(q)] : MaskSource{};
        } else if (l.kind == LayerKind::Embedding) {
            carried[i] = MaskSource{};
            if (l.maskZero && l.inputs.size() == 1)
                carried[i].layer = indexOf(l.inputs[0]);
        } else if (l.kind == LayerKind::Masking) { // replaces any incoming mask, as Keras does
            carried[i] = MaskSource{};
            if (l.inputs.size() == 1)
                carried[i] = MaskSource{indexOf(l.inputs[0]), l.maskValue};
        } else if (passesMask(l)) {
            carried[i] = found;
        }
    }
    return {source, carried};
}

} // namespace

std::vector<MaskSource> maskSources(const ModelSpec& model)
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
        MaskSource m[3];
        for (std::size_t k = 0; k < l.inputs.size() && k < 3; ++k)
            for (std::size_t j = 0; j < i; ++j)
                if (model.layers[j].name == l.inputs[k])
                    m[k] = flow.carried[j];
        out[i] = {m[0], m[1], l.inputs.size() == 3 ? m[2] : MaskSource{}};
    }
    return out;
}

void checkMaskSourceShape(const Shape& source, std::int64_t steps, const std::optional<float>& frameMaskValue,
                          const std::string& where)
{
    const bool ok = frameMaskValue ? source.size() == 2 && source[0] == steps : source == Shape{steps};
    if (!ok)
        throw Error(where + "mask source has shape " + shapeToString(source) + ", expected (" + std::to_string(steps) +
                    (frameMaskValue ? ", features)" : ")"));
}

std::vector<unsigned char> stepMask(const Tensor& source, std::int64_t batch, std::int64_t steps,
                                    const std::optional<float>& frameMaskValue, const std::string& where)
{
    const std::int64_t count = batch * steps;
    if (count <= 0 || source.size() % count != 0 || (!frameMaskValue && source.size() != count))
        throw Error(where + "mask source holds " + std::to_string(source.size()) + " values, expected " +
                    (frameMaskValue ? "a multiple of " : "") + std::to_string(count));
    std::vector<unsigned char> mask(static_cast<std::size_t>(count));
    const std::int64_t width = source.size() / count; // 1 for ids, the features for frames
    const float* v = source.data();
    for (std::int64_t s = 0; s < count; ++s) {
        bool counts = false;
        if (frameMaskValue) {
            for (std::int64_t f = 0; f < width && !counts; ++f)
                counts = v[s * width + f] != *frameMaskValue;
        } else {
            counts = v[s] != 0.0f;
        }
        mask[static_cast<std::size_t>(s)] = counts ? 1 : 0;
    }
    return mask;
}

} // namespace circnn::nn
