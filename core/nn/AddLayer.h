#pragma once
// Add: element-wise sum of two or more inputs of the same shape.

#include "nn/Layer.h"

namespace circnn::nn {

class AddLayer : public Layer {
public:
    using Layer::Layer;

    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

};

} // namespace circnn::nn
