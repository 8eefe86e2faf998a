#pragma once
// DepthwiseConv2D over NHWC: every input channel c is convolved with its own kh x kw filters,
// one per depth multiplier m, giving output channel c·M + m; no channel mixing. Keras kernel
// layout (kh, kw, C, M); strides, dilation, 'valid' / 'same' padding with the TensorFlow split
// (the extra padded row / column at the bottom / right), then bias and the fused activation.
// Direct loops (the kernel has no matrix to hand to BLAS or to make block-circulant: it always
// stays dense). Images run in parallel (parallelFor); results do not depend on the thread count.
// Parameters: "depthwise_kernel" (kh, kw, C, M); then "bias" (C·M) when useBias.

#include "nn/Layer.h"

namespace circnn::nn {

class DepthwiseConv2DLayer : public Layer {
public:
    using Layer::Layer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937& rng,
                      bool skipSoftmax) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
    std::vector<ParameterRef> parameters() override;
    void storeParameters(LayerSpec& spec) const override;

private:
    void linear(const Tensor& x, Tensor& z) const;
    // Input row / column of output position o at tap t, or outside [0, size) for padding.
    std::int64_t inRow(std::int64_t o, std::int64_t t) const
    {
        return o * m_spec->strideH - m_padTop + t * m_spec->dilationH;
    }
    std::int64_t inCol(std::int64_t o, std::int64_t t) const
    {
        return o * m_spec->strideW - m_padLeft + t * m_spec->dilationW;
    }

    std::int64_t m_h = 0, m_w = 0, m_c = 0, m_mult = 1, m_oh = 0, m_ow = 0, m_padTop = 0, m_padLeft = 0;
    Tensor m_kernel; // (kh, kw, C, M)
    Tensor m_bias;   // (C·M) or empty
};

} // namespace circnn::nn
