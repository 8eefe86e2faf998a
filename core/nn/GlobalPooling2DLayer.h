#pragma once
// GlobalAveragePooling2D / GlobalMaxPooling2D: (B, H, W, C) → (B, C); the 1-D ones (B, L, C) → (B, C). Max gradients go
// to the first maximum. GlobalAveragePooling1D with a sequence mask (nn/SequenceMask.h: a second
// input, the mask source) averages the unmasked steps only, as Keras does; a sample whose steps
// are all masked gives zeros (Keras divides 0 by 0 there).

#include "nn/Layer.h"

namespace circnn::nn {

class GlobalPooling2DLayer : public Layer {
public:
    using Layer::Layer;

    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

private:
    // Per sample and position, the weight of the position in the average (1/count, 0 when masked);
    // empty without a mask.
    std::vector<float> maskedWeights(Inputs inputs, std::int64_t batch, std::int64_t positions) const;
    bool m_hasMask = false;
};

} // namespace circnn::nn
