#pragma once
// Conv2DTranspose over NHWC (Keras' "deconvolution"): y = act(bias + Σ scatter), Keras kernel
// layout (kh, kw, C_out, C_in). Every input pixel (i, j) adds K[r, s] · x[i, j] (a C_out vector)
// to the output pixel (i·sh − padTop + r·dh, j·sw − padLeft + s·dw); contributions falling outside
// the output are dropped. Output size: Keras' deconv_output_length (model/VisionShapeRules.h).
// Padding as TensorFlow's conv2d_transpose (the input gradient of the convolution that maps the
// output back to the input): 'valid' 0, 'same' before = max((in − 1)·s + (k − 1)·d + 1 − out, 0) / 2.
//
// Work: one matrix product per group of input pixels, cols = X · Kmat with Kmat C_in × (taps·C_out)
// (Kmat[c][t·C_out + o] = K[t][o][c]), then a col2im-style scatter ("col2im" of Conv2D's backward).
// Block-circulant: the per-tap C_out × C_in matrices stacked vertically, one BlockCirculantMatrix
// of (taps·p·k) × C_in whose block (t·p + i, j) is tap t's block (i, j): the spec layout
// (kh, kw, p, q, k) is exactly its defining-vector layout. Each input pixel is transformed once.
// Backward: gather the output gradient per input pixel and tap (gcols), then dX = gcols · Kmatᵀ
// (multiplyTransposed), dKmat = Xᵀ · gcols (vectorGradient), db = Σ gz.
// Parameters: "kernel" (kh, kw, C_out, C_in) or "vectors" (kh, kw, p, q, k); then "bias" (C_out).

#include <cstdint>
#include <vector>

#include "nn/WeightedLayer.h"

namespace circnn::nn {

class Conv2DTransposeLayer : public WeightedLayer {
public:
    using WeightedLayer::WeightedLayer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937& rng,
                      bool skipSoftmax) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
    void parametersChanged() override;

private:
    void linear(const Tensor& x, Tensor& z) const;
    // The output pixel (within its image) tap t of input pixel (i, j) reaches, or -1 outside.
    std::int64_t target(std::int64_t i, std::int64_t j, std::int64_t t) const;
    std::int64_t pixelsPerGroup() const;

    std::int64_t m_h = 0, m_w = 0, m_cin = 0, m_oh = 0, m_ow = 0, m_cout = 0, m_taps = 0;
    std::int64_t m_padTop = 0, m_padLeft = 0;
    std::int64_t m_coutPadded = 0; // C_out (dense) or p·k (block-circulant)
    std::vector<float> m_kmat;     // dense: C_in × (taps·C_out)
};

} // namespace circnn::nn
