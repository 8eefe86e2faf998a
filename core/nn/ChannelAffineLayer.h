#pragma once
// The preprocessing layers Rescaling and Normalization as one per-channel affine map
// y = x · a[c] + b[c] over the last axis (no trainable parameters; Keras does not train them).
// Rescaling: a = scale, b = offset for every channel.
// Normalization (Keras 2 and 3): (x − mean) / max(√variance, 1e-7) — a = 1 / s, b = −mean / s with
// s = max(√variance, 1e-7); with invert: mean + x · s — a = s, b = mean. mean / variance are
// LayerSpec::movingMean / movingVariance (C,).

#include "nn/Layer.h"

namespace circnn::nn {

class ChannelAffineLayer : public Layer {
public:
    using Layer::Layer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

    // Keras' backend.epsilon(): the floor of Normalization's standard deviation.
    static constexpr float kEpsilon = 1e-7f;

private:
    std::vector<float> m_scale, m_offset; // a, b per channel
};

} // namespace circnn::nn
