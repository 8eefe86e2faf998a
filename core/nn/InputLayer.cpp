#include "nn/InputLayer.h"

namespace circnn::nn {

void InputLayer::forward(Inputs inputs, Tensor& out) const { out = *inputs[0]; }

void InputLayer::backward(Inputs, const Tensor&, const Tensor& outGrad, const LayerCache&,
                          std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (!inGrads.empty() && inGrads[0])
        *inGrads[0] = outGrad;
}

} // namespace circnn::nn
