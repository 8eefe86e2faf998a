#pragma once
// Masking: a time step (a group along the last axis) whose features all equal mask_value is
// masked — its output is zeros, and the mask consumers downstream (nn/SequenceMask.h) skip it;
// other steps pass unchanged (Keras: inputs · any(inputs != mask_value, axis=-1)). The gradient
// passes through the unmasked steps only.

#include "nn/Layer.h"

namespace circnn::nn {

class MaskingLayer : public Layer {
public:
    using Layer::Layer;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

private:
    // Copies each step of `from` into `to` where the matching step of `x` counts, zeros elsewhere.
    void copyUnmasked(const Tensor& x, const Tensor& from, Tensor& to) const;
};

} // namespace circnn::nn
