#pragma once
// WeightedLayer: the common part of Dense and Conv2D — a kernel (dense) or the defining vectors
// of a block-circulant matrix, plus an optional bias — and the parameter plumbing for training.
// Parameters, in order: "kernel" (Keras layout) or "vectors" (spec layout); then "bias".

#include <optional>

#include "circulant/BlockCirculantMatrix.h"
#include "nn/Layer.h"

namespace circnn::nn {

class WeightedLayer : public Layer {
public:
    using Layer::Layer;
    std::vector<ParameterRef> parameters() override;
    void storeParameters(LayerSpec& spec) const override;

protected:
    // dL/dbias: gz (rows × units, row-major) summed over its rows in double, into out (units).
    static void biasGradient(const Tensor& gz, std::int64_t units, Tensor& out);

    Tensor m_kernel;                              // dense weights, Keras layout
    Tensor m_vectors;                             // block-circulant defining vectors, spec layout
    Tensor m_bias;                                // (units) or empty
    std::optional<BlockCirculantMatrix> m_matrix; // set when block-circulant
};

} // namespace circnn::nn
