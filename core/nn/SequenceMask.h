#pragma once
// Keras masking, resolved once per model: an Embedding with mask_zero produces a mask (id != 0)
// that Dropout, Activation, Dense, BatchNormalization, LayerNormalization, the merges (Add,
// Concatenate over the features, Average, Multiply: the mask of their masked input — Keras ands
// the masks, unmasked inputs counting as all ones; two different masks meeting are an error) and
// recurrent layers with return_sequences pass on unchanged; a recurrent layer consumes it. Model gives every recurrent
// layer that receives a mask the Embedding's input (the token ids) as an extra, last input.
//
// Other mask consumers of Keras (pooling over masked steps, attention) are not modelled: layers
// other than SimpleRNN / LSTM / GRU ignore masks.

#include <cstdint>
#include <vector>

#include "model/ModelSpec.h"

namespace circnn::nn {

// Per layer (model order): the index of the layer whose output holds the token ids masking it,
// or -1 when the layer gets no mask.
std::vector<std::int64_t> maskSources(const ModelSpec& model);

} // namespace circnn::nn
