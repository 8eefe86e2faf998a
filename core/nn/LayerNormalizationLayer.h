#pragma once
// LayerNormalization (Keras semantics): per sample, the elements that share every index outside
// the normalised axes (spec.axes; the last axis by default) form a group;
//   y = (x − mean) / sqrt(var + epsilon) · gamma + beta
// with the group's mean and (biased) variance, gamma / beta indexed by the position within the
// normalised axes (row-major over those axes in increasing order; gamma = 1 / beta = 0 when
// scale / center is false). Unlike BatchNormalization the statistics are the input's own, in
// inference and training alike; backward differentiates through them.
//
// One code path for every axis set: prepare() builds, per element of a sample, its group and its
// parameter index (a contiguous last axis gives groups of consecutive elements).

#include <cstdint>
#include <vector>

#include "nn/Layer.h"

namespace circnn::nn {

class LayerNormalizationLayer : public Layer {
public:
    using Layer::Layer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
    std::vector<ParameterRef> parameters() override;
    void storeParameters(LayerSpec& spec) const override;

private:
    // Per sample: mean and 1/sqrt(var + eps) of each group of `x` (one sample's elements).
    void groupStatistics(const float* x, std::vector<double>& mean, std::vector<double>& invStd) const;

    Tensor m_gamma, m_beta;                         // trainable copies (empty when scale / center is false)
    std::int64_t m_sampleSize = 0;                  // elements per sample
    std::int64_t m_groups = 0;                      // groups per sample
    std::int64_t m_groupSize = 0;                   // elements per group (= parameters of gamma / beta)
    std::vector<std::int32_t> m_groupOf, m_paramOf; // per element of a sample
};

} // namespace circnn::nn
