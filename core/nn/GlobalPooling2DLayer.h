#pragma once
// GlobalAveragePooling2D / GlobalMaxPooling2D: (B, H, W, C) → (B, C); the 1-D ones (B, L, C) → (B, C). Max gradients go
// to the first maximum.
// GlobalAveragePooling1D consumes a sequence mask (Embedding mask_zero, nn/SequenceMask.h): Model
// then passes the token ids (B, L) as a second input and the mean runs over the unmasked steps
// only, as Keras does (a sample with every step masked gives 0 here; Keras divides 0 by 0).

#include <vector>

#include "nn/Layer.h"

namespace circnn::nn {

class GlobalPooling2DLayer : public Layer {
public:
    using Layer::Layer;

    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

private:
    // Per sample and position: the weight of that position in the mean (1/count of the unmasked
    // steps, 0 for masked ones; 1/positions without a mask).
    std::vector<float> averageWeights(Inputs inputs, std::int64_t batch, std::int64_t positions) const;
};

} // namespace circnn::nn
