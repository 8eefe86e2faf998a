#pragma once
// Keras masking, resolved once per model: an Embedding with mask_zero produces a mask (id != 0)
// that Dropout, Activation, Dense, BatchNormalization, LayerNormalization, the merges (Add,
// Concatenate over the features, Average, Multiply: the mask of their masked input — Keras ands
// the masks, unmasked inputs counting as all ones; two different masks meeting are an error) and
// recurrent layers with return_sequences pass on unchanged; a recurrent layer or a
// GlobalAveragePooling1D consumes it. Model gives every such layer that receives a mask the
// Embedding's input (the token ids) as an extra, last input.
//
// MultiHeadAttention consumes the masks of its query, value and key (attentionMaskSources) and
// passes on its query's. Other layers ignore masks.

#include <cstdint>
#include <vector>

#include "model/ModelSpec.h"

namespace circnn::nn {

// Per layer (model order): the index of the layer whose output holds the token ids masking it,
// or -1 when the layer gets no mask (recurrent layers and GlobalAveragePooling1D only).
std::vector<std::int64_t> maskSources(const ModelSpec& model);

// MultiHeadAttention: per layer (model order) the token-id sources masking its query, value and
// key (the value's when it has no key input), -1 each when unmasked (and for other layers).
struct AttentionMaskSources {
    std::int64_t query = -1, value = -1, key = -1;
};
std::vector<AttentionMaskSources> attentionMaskSources(const ModelSpec& model);

} // namespace circnn::nn
