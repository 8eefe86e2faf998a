#pragma once
// Concatenate: joins inputs along spec.axis (Keras axis: the batch is axis 0; negative counts from the end).

#include "nn/Layer.h"

namespace circnn::nn {

class ConcatenateLayer : public Layer {
public:
    using Layer::Layer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
private:
    std::int64_t m_axis = 0;  // axis in the batch-first tensor
};

} // namespace circnn::nn
