#include "nn/CroppingLayer.h"

#include <algorithm>

namespace circnn::nn {

void CroppingLayer::copyWindow(const Tensor& x, const float* from, float* to, bool toOutput) const
{
    const bool oneD = x.rank() == 3;
    const std::int64_t b = x.dim(0), h = oneD ? 1 : x.dim(1), w = x.dim(x.rank() - 2), c = x.dim(x.rank() - 1);
    const std::int64_t top = oneD ? 0 : m_spec->padTop, bottom = oneD ? 0 : m_spec->padBottom;
    const std::int64_t oh = h - top - bottom, ow = w - m_spec->padLeft - m_spec->padRight;
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t i = 0; i < oh; ++i) {
            const std::int64_t inAt = ((n * h + i + top) * w + m_spec->padLeft) * c;
            const std::int64_t outAt = (n * oh + i) * ow * c;
            if (toOutput)
                std::copy_n(from + inAt, ow * c, to + outAt);
            else
                std::copy_n(from + outAt, ow * c, to + inAt);
        }
}

void CroppingLayer::forward(Inputs inputs, Tensor& out) const
{
    const Tensor& x = *inputs[0];
    out.resize(withBatch(x.dim(0), m_spec->outputShape));
    copyWindow(x, x.data(), out.data(), true);
}

void CroppingLayer::backward(Inputs inputs, const Tensor&, const Tensor& g, const LayerCache&,
                             std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (!inGrads[0])
        return;
    const Tensor& x = *inputs[0];
    Tensor& gx = *inGrads[0];
    gx.resize(x.shape());
    gx.fill(0.0f);
    copyWindow(x, g.data(), gx.data(), false);
}

} // namespace circnn::nn
