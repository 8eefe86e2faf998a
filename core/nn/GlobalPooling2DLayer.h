#pragma once
// GlobalAveragePooling2D / GlobalMaxPooling2D: (B, H, W, C) → (B, C); the 1-D ones (B, L, C) → (B, C). Max gradients go
// to the first maximum.

#include "nn/Layer.h"

namespace circnn::nn {

class GlobalPooling2DLayer : public Layer {
public:
    using Layer::Layer;

    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
};

} // namespace circnn::nn
