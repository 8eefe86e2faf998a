#include "nn/ReshapeLayer.h"

namespace circnn::nn {

void ReshapeLayer::forward(Inputs inputs, Tensor& out) const
{
    out = *inputs[0];
    out.reshape(withBatch(inputs[0]->dim(0), m_spec->outputShape));
}

void ReshapeLayer::backward(Inputs inputs, const Tensor&, const Tensor& outGrad, const LayerCache&,
                            std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (inGrads[0]) {
        *inGrads[0] = outGrad;
        inGrads[0]->reshape(inputs[0]->shape());
    }
}

} // namespace circnn::nn
