#pragma once
// Dropout: identity at inference. In training (forwardTrain) each element is kept with
// probability 1 − rate and scaled by 1/(1 − rate) (inverted dropout, as Keras); the mask comes from
// the caller's rng and is kept in the cache for backward.

#include "nn/Layer.h"

namespace circnn::nn {

class DropoutLayer : public Layer {
public:
    using Layer::Layer;
    void forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937& rng,
                      bool skipSoftmax) const override;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

};

} // namespace circnn::nn
