#pragma once
// BatchNormalization over the last (channel) axis:
//   y = gamma·(x − moving_mean)/sqrt(moving_variance + epsilon) + beta
// (gamma = 1 / beta = 0 when the file has none). Inference uses the moving statistics. Training
// also uses them — the statistics are FROZEN: batch statistics are not computed and the moving
// averages are not updated; only gamma and beta (when present) are trained. This is the usual
// regime for fine-tuning a pretrained model and keeps forward/backward per-sample independent.

#include "nn/Layer.h"

namespace circnn::nn {

class BatchNormalizationLayer : public Layer {
public:
    using Layer::Layer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
    std::vector<ParameterRef> parameters() override;
    void parametersChanged() override;
    void storeParameters(LayerSpec& spec) const override;

private:
    Tensor m_gamma, m_beta;            // trainable copies (empty when absent in the spec)
    std::vector<float> m_invStd;       // 1/sqrt(var + eps)
    std::vector<float> m_scale, m_shift; // y = x·scale + shift
};

} // namespace circnn::nn
