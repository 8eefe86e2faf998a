#pragma once
// InputLayer: passes the model input through (a copy); it has no gradient to propagate.

#include "nn/Layer.h"

namespace circnn::nn {

class InputLayer : public Layer {
public:
    using Layer::Layer;

    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

};

} // namespace circnn::nn
