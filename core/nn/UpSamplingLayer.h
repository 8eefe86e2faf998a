#pragma once
// UpSampling2D / UpSampling1D over NHWC (1-D: a 1 x L image), size (kernelH, kernelW) = integer
// factors (fh, fw).
// Nearest: output (i, j) reads input (i / fh, j / fw) (Keras repeats every row and column).
// Bilinear (UpSampling2D only): TensorFlow's tf.image.resize, which Keras 2 and 3 call, with
// half-pixel centres: per axis the source coordinate is s = (o + 0.5) / f − 0.5, interpolated
// between rows floor(s) and floor(s) + 1 (both clamped into the image) with weights
// 1 − (s − floor(s)) and s − floor(s).
// Both modes run through per-axis tables of (low, high, low weight, high weight): forward is the
// weighted sum of four input pixels, backward scatters the same weights.

#include "nn/Layer.h"

namespace circnn::nn {

class UpSamplingLayer : public Layer {
public:
    using Layer::Layer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

    // One output index's sources along an axis.
    struct Tap {
        std::int64_t lo = 0, hi = 0;
        float wLo = 1.0f, wHi = 0.0f;
    };
    // The table of one axis of `in` values up-sampled by `factor` (exposed for tests).
    static std::vector<Tap> axisTable(std::int64_t in, std::int64_t factor, bool bilinear);

private:
    std::int64_t m_h = 0, m_w = 0, m_c = 0;
    std::vector<Tap> m_rows, m_cols;
};

} // namespace circnn::nn
