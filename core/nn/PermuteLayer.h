#pragma once
// Permute: reorders the non-batch axes; output axis i is input axis dims[i] − 1 (Keras' 1-based
// dims). Backward applies the inverse permutation.

#include "nn/Layer.h"

namespace circnn::nn {

class PermuteLayer : public Layer {
public:
    using Layer::Layer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

private:
    // For every element of one output sample (row-major), its offset in the input sample.
    std::vector<std::int64_t> m_source;
};

} // namespace circnn::nn
