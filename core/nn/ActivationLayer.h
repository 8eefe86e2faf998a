#pragma once
// Activation (and Keras ReLU / LeakyReLU / Softmax / ELU layers): applies spec.activation
// element-wise (softmax over the last axis); see Activations.h for the exact definitions.

#include "nn/Layer.h"

namespace circnn::nn {

class ActivationLayer : public Layer {
public:
    using Layer::Layer;
    void forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937& rng,
                      bool skipSoftmax) const override;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

};

} // namespace circnn::nn
