#pragma once
// Flatten and Reshape: the data is unchanged (NHWC row-major order, as Keras flattens channels_last), only the shape changes.

#include "nn/Layer.h"

namespace circnn::nn {

class ReshapeLayer : public Layer {
public:
    using Layer::Layer;

    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

};

} // namespace circnn::nn
