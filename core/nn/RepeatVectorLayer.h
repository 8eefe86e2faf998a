#pragma once
// RepeatVector: (batch, features) → (batch, n, features), the vector repeated n times. The
// gradient sums the n copies.

#include "nn/Layer.h"

namespace circnn::nn {

class RepeatVectorLayer : public Layer {
public:
    using Layer::Layer;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
};

} // namespace circnn::nn
