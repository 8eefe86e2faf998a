#pragma once
// Element-wise merges of inputs of one shape: Multiply (product), Subtract (x0 − x1, exactly two
// inputs), Average (mean) and Maximum (Keras' maximum; its gradient goes to the first input
// holding the maximum). Add has its own layer (nn/AddLayer.h).

#include "nn/Layer.h"

namespace circnn::nn {

class MergeLayer : public Layer {
public:
    using Layer::Layer;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
};

} // namespace circnn::nn
