#pragma once
// Views of a layer's weights for display: the weight matrix in the orientation of the
// block-circulant literature (m × n = outputs × inputs), and per-block defining vectors.

#include <cstdint>
#include <string>
#include <vector>

#include "model/ModelSpec.h"

namespace circnn {

struct WeightMatrixView {
    std::int64_t rows = 0;      // m: outputs (Dense units, Conv2D filters)
    std::int64_t cols = 0;      // n: inputs (Dense inputs; Conv2D taps·C_in, tap-major)
    std::int64_t blockSize = 1; // k of the representation (1 = dense)
    std::vector<float> values;  // row-major rows×cols
    std::string description;    // e.g. "W = kernelᵀ (64 × 784)"
};

// The layer's weight matrix, expanded to dense when block-circulant. For Conv2D, column
// t·C_in + c holds tap t = r·kw + s, input channel c. Throws Error for layers without weights.
WeightMatrixView weightMatrix(const LayerSpec& layer);

// True for layers weightMatrix() accepts (Dense, Conv2D with weights).
bool hasWeightMatrix(const LayerSpec& layer);

// MultiHeadAttention: no single matrix, four projections (nn/MultiHeadAttentionLayer.h), each
// shown as W = Kᵀ with Keras' EinsumDense kernel read as 2-D: 0 query (heads·key_dim × d_q),
// 1 key (heads·key_dim × d_k), 2 value (heads·value_dim × d_v), 3 output (out × heads·value_dim);
// expanded to dense when block-circulant (blockSize = that projection's k). Throws Error for other
// layers, a layer without its weights or a projection outside 0..3.
bool hasAttentionProjections(const LayerSpec& layer);
const char* attentionProjectionName(std::int64_t projection); // "query", "key", "value", "output"
WeightMatrixView attentionProjectionView(const LayerSpec& layer, std::int64_t projection);

// DepthwiseConv2D (kernel (kh, kw, C, M)): one kh × kw filter per output channel o = c·M + m and no
// channel mixing, so no matrix to make block-circulant (the layer stays dense; the description
// says so with the traits' reason). channel ≥ 0: the kh × kw filter of output channel `channel`;
// channel < 0: every filter tiled row by row, depthwiseTilesPerRow() tiles per row (rows =
// kh · tile rows, cols = kw · tiles per row; tiles past the last channel are 0). Throws Error for
// other layers, a layer without its kernel or a channel out of range.
bool hasDepthwiseKernel(const LayerSpec& layer);
std::int64_t depthwiseChannels(const LayerSpec& layer);    // C·M
std::int64_t depthwiseTilesPerRow(const LayerSpec& layer); // ceil(√(C·M))
WeightMatrixView depthwiseKernelView(const LayerSpec& layer, std::int64_t channel = -1);

} // namespace circnn
