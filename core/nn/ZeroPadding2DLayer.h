#pragma once
// ZeroPadding2D: pads H (top, bottom) and W (left, right) of NHWC tensors with zeros.

#include "nn/Layer.h"

namespace circnn::nn {

class ZeroPadding2DLayer : public Layer {
public:
    using Layer::Layer;

    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

};

} // namespace circnn::nn
