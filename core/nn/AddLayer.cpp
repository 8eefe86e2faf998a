#include "nn/AddLayer.h"

namespace circnn::nn {

void AddLayer::forward(Inputs inputs, Tensor& out) const
{
    out = *inputs[0];
    float* o = out.data();
    for (std::size_t i = 1; i < inputs.size(); ++i) {
        const float* x = inputs[i]->data();
        for (std::int64_t j = 0; j < out.size(); ++j)
            o[j] += x[j];
    }
}

void AddLayer::backward(Inputs, const Tensor&, const Tensor& outGrad, const LayerCache&,
                        std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    for (Tensor* g : inGrads)
        if (g)
            *g = outGrad;
}

} // namespace circnn::nn
