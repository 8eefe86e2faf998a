#pragma once
// MaxPooling2D / AveragePooling2D over NHWC with pool size, strides and valid/same padding; also
// MaxPooling1D / AveragePooling1D, as pooling over a 1 x L image.
// 'same' padding follows TensorFlow/Keras: total pad = max((out − 1)·stride + pool − in, 0), with the
// extra element at the bottom/right. Padded positions never win a max and are not counted by the
// average (Keras divides by the number of valid elements in the window).
// Max-pool gradients go to the first maximum of each window (row-major window order).

#include "nn/Layer.h"

namespace circnn::nn {

class Pooling2DLayer : public Layer {
public:
    using Layer::Layer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

private:
    std::int64_t m_padTop = 0, m_padLeft = 0, m_h = 0, m_w = 0, m_c = 0, m_oh = 0, m_ow = 0;
    bool m_isMax = false;
};

} // namespace circnn::nn
