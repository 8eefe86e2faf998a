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
