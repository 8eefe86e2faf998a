#include "nn/ActivationLayer.h"

namespace circnn::nn {

void ActivationLayer::forward(Inputs inputs, Tensor& out) const
{
    out = *inputs[0];
    applyOwnActivation(out, nullptr, false, false);
}

void ActivationLayer::forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937&,
                                   bool skipSoftmax) const
{
    out = *inputs[0];
    // The pre-activation is the layer input, which the Model keeps: no copy needed.
    applyOwnActivation(out, &cache, skipSoftmax, false);
}

void ActivationLayer::backward(Inputs inputs, const Tensor& output, const Tensor& g, const LayerCache& cache,
                               std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (inGrads[0])
        ownActivationGradient(inputs[0]->data(), output, g, cache, *inGrads[0]);
}

} // namespace circnn::nn
