#include "nn/ZeroPadding2DLayer.h"

#include <algorithm>

namespace circnn::nn {

void ZeroPadding2DLayer::forward(Inputs inputs, Tensor& out) const
{
    const Tensor& x = *inputs[0];
    // ZeroPadding1D pads a 1 x L image (padTop = padBottom = 0).
    const bool oneD = x.rank() == 3;
    const std::int64_t b = x.dim(0), h = oneD ? 1 : x.dim(1), w = x.dim(x.rank() - 2), c = x.dim(x.rank() - 1);
    const std::int64_t oh = h + m_spec->padTop + m_spec->padBottom, ow = w + m_spec->padLeft + m_spec->padRight;
    out.resize(withBatch(b, m_spec->outputShape));
    out.fill(0.0f);
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t i = 0; i < h; ++i)
            std::copy_n(x.data() + ((n * h + i) * w) * c, w * c,
                        out.data() + ((n * oh + i + m_spec->padTop) * ow + m_spec->padLeft) * c);
}

void ZeroPadding2DLayer::backward(Inputs inputs, const Tensor&, const Tensor& g, const LayerCache&,
                                  std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (!inGrads[0])
        return;
    const Tensor& x = *inputs[0];
    const bool oneD = x.rank() == 3;
    const std::int64_t b = x.dim(0), h = oneD ? 1 : x.dim(1), w = x.dim(x.rank() - 2), c = x.dim(x.rank() - 1);
    const std::int64_t oh = h + m_spec->padTop + m_spec->padBottom, ow = w + m_spec->padLeft + m_spec->padRight;
    Tensor& gx = *inGrads[0];
    gx.resize(x.shape());
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t i = 0; i < h; ++i)
            std::copy_n(g.data() + ((n * oh + i + m_spec->padTop) * ow + m_spec->padLeft) * c, w * c,
                        gx.data() + ((n * h + i) * w) * c);
}

} // namespace circnn::nn
