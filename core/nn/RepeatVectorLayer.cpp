#include "nn/RepeatVectorLayer.h"

#include <algorithm>

namespace circnn::nn {

void RepeatVectorLayer::forward(Inputs inputs, Tensor& out) const
{
    const Tensor& x = *inputs[0];
    const std::int64_t b = x.dim(0), f = x.dim(1), n = m_spec->repeats;
    out.resize(withBatch(b, m_spec->outputShape));
    for (std::int64_t s = 0; s < b; ++s)
        for (std::int64_t r = 0; r < n; ++r)
            std::copy_n(x.data() + s * f, f, out.data() + (s * n + r) * f);
}

void RepeatVectorLayer::backward(Inputs inputs, const Tensor&, const Tensor& g, const LayerCache&,
                                 std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (!inGrads[0])
        return;
    const Tensor& x = *inputs[0];
    const std::int64_t b = x.dim(0), f = x.dim(1), n = m_spec->repeats;
    Tensor& gx = *inGrads[0];
    gx.resize(x.shape());
    gx.fill(0.0f);
    for (std::int64_t s = 0; s < b; ++s)
        for (std::int64_t r = 0; r < n; ++r)
            for (std::int64_t i = 0; i < f; ++i)
                gx[s * f + i] += g[(s * n + r) * f + i];
}

} // namespace circnn::nn
