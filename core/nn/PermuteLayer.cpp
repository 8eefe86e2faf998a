#include "nn/PermuteLayer.h"

namespace circnn::nn {

void PermuteLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    const Shape& in = inputShapes.at(0);
    const std::size_t rank = in.size();
    std::vector<std::int64_t> inStride(rank, 1);
    for (std::size_t d = rank; d-- > 1;)
        inStride[d - 1] = inStride[d] * in[d];
    const Shape& out = m_spec->outputShape;
    const std::int64_t total = shapeSize(out);
    m_source.resize(static_cast<std::size_t>(total));
    std::vector<std::int64_t> index(rank, 0);
    for (std::int64_t e = 0; e < total; ++e) {
        std::int64_t off = 0;
        for (std::size_t d = 0; d < rank; ++d)
            off += index[d] * inStride[static_cast<std::size_t>(m_spec->permuteDims[d] - 1)];
        m_source[static_cast<std::size_t>(e)] = off;
        for (std::size_t d = rank; d-- > 0;) { // next output index (row-major)
            if (++index[d] < out[d])
                break;
            index[d] = 0;
        }
    }
}

void PermuteLayer::forward(Inputs inputs, Tensor& out) const
{
    const Tensor& x = *inputs[0];
    const std::int64_t b = x.dim(0), per = static_cast<std::int64_t>(m_source.size());
    out.resize(withBatch(b, m_spec->outputShape));
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t e = 0; e < per; ++e)
            out[n * per + e] = x[n * per + m_source[static_cast<std::size_t>(e)]];
}

void PermuteLayer::backward(Inputs inputs, const Tensor&, const Tensor& g, const LayerCache&,
                            std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (!inGrads[0])
        return;
    const Tensor& x = *inputs[0];
    const std::int64_t b = x.dim(0), per = static_cast<std::int64_t>(m_source.size());
    Tensor& gx = *inGrads[0];
    gx.resize(x.shape());
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t e = 0; e < per; ++e)
            gx[n * per + m_source[static_cast<std::size_t>(e)]] = g[n * per + e];
}

} // namespace circnn::nn
