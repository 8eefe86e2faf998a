#pragma once
// Keras masking, resolved once per model. Two layers make a sequence mask: an Embedding with
// mask_zero (a step counts when its token id is non-zero) and Masking (a step counts when any of
// its features differs from mask_value). Dropout, Activation, Dense, BatchNormalization,
// LayerNormalization, the merges (Add, Concatenate over the features, Average, Multiply: the mask of
// their masked input — Keras ands the masks, unmasked inputs counting as all ones; two different
// masks meeting are an error) and recurrent layers with return_sequences pass it on unchanged.
// The consumers — SimpleRNN, LSTM, GRU (masked steps keep the state) and GlobalAveragePooling1D
// (averages the unmasked steps) — get the tensor the mask is computed from as an extra, last input:
// the Embedding's input (the token ids, (steps)) or the Masking layer's input (the frames,
// (steps, features)), and the rule to apply to it (Layer::setMaskRule).
//
// MultiHeadAttention consumes the masks of its query, value and key (attentionMaskSources) and
// passes its query's on. Other mask consumers of Keras (pooling layers other than
// GlobalAveragePooling1D) are not modelled: they ignore masks.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/Tensor.h"
#include "model/ModelSpec.h"

namespace circnn::nn {

struct MaskSource {
    std::int64_t layer = -1; // the layer whose output the mask is computed from; -1: no mask
    // Masking: a step counts when any feature of the frame differs from this value; nullopt: the
    // source holds token ids, a step counts when its id is non-zero.
    std::optional<float> frameMaskValue;
};

// Per layer (model order): where its mask comes from (layer -1 for layers that consume no mask).
std::vector<MaskSource> maskSources(const ModelSpec& model);

// The step mask (1: the step counts, 0: masked) of `batch` samples of `steps` steps from a mask
// source tensor: (batch, steps) token ids, or (batch, steps, features) frames with frameMaskValue.
// Throws Error prefixed with `where` when the source does not hold batch·steps steps.
std::vector<unsigned char> stepMask(const Tensor& source, std::int64_t batch, std::int64_t steps,
                                    const std::optional<float>& frameMaskValue, const std::string& where);

// The mask source shape a consumer of `steps` steps accepts: (steps) for ids, (steps, features) for
// frames. Throws Error prefixed with `where` otherwise.
void checkMaskSourceShape(const Shape& source, std::int64_t steps, const std::optional<float>& frameMaskValue,
                          const std::string& where);

// MultiHeadAttention: per layer (model order) the mask sources of its query, value and key (the
// value's when it has no key input); layer -1 each when unmasked, and for other layers.
struct AttentionMaskSources {
    MaskSource query, value, key;
};
std::vector<AttentionMaskSources> attentionMaskSources(const ModelSpec& model);

} // namespace circnn::nn
