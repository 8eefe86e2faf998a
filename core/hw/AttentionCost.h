#pragma once
// The hardware cost of a MultiHeadAttention layer (CostClass::Attention), used by Estimator.cpp.
// Per frame: the query projection runs on each of the T query steps, the key and value
// projections on each of the S value steps, the output projection on each query step (each a
// matrix of the layer's 2-D projection shape, dense or block-circulant at k: q input and p output
// real FFTs per step, p·q·(k/2+1) complex MACs); then, per head, the scores Q·Kᵀ (T·S·key_dim MACs,
// the query scaled by 1/√key_dim first: T·heads·key_dim multiplies), the softmax over the keys
// (per score a max compare, a subtraction, an exp, a sum and a multiply by the reciprocal) and the
// weighted sum A·V (T·S·value_dim MACs). The n² terms stay dense whatever k is.

#include <cstdint>

#include "hw/Estimate.h"
#include "model/ModelSpec.h"

namespace circnn::hw {

// Operation counts per frame at block size k (1 = dense) for every projection.
OpCounts attentionOps(const ModelSpec& spec, const LayerSpec& l, std::int64_t k);
// Stored numbers: the four projections (dense, or p·q·k defining values each) plus their biases.
double attentionWeightCount(const ModelSpec& spec, const LayerSpec& l, std::int64_t k);
// Complex spectrum values (k/2 + 1 bins per block) the block-circulant projections write per frame:
// every projection's input vectors' blocks and its output vectors' blocks (0 for k <= 1).
double attentionSpectraValues(const ModelSpec& spec, const LayerSpec& l, std::int64_t k);

} // namespace circnn::hw
