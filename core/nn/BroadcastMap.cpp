#include "nn/BroadcastMap.h"

#include "common/Error.h"
#include "model/BroadcastShape.h"
#include "nn/Layer.h"

namespace circnn::nn {

BroadcastMap::BroadcastMap(const Shape& in, const Shape& out) : m_in(in), m_out(out)
{
    const std::optional<Shape> b = broadcastShapes(in, out);
    if (!b || *b != out)
        throw ShapeError("broadcast: shape " + shapeToString(in) + " does not broadcast to " + shapeToString(out));
    if (in == out)
        return;
    // Strides of the input laid over the output's axes (right-aligned); 0 where it broadcasts.
    const std::size_t rank = out.size(), offset = rank - in.size();
    std::vector<std::int64_t> stride(rank, 0);
    std::int64_t s = 1;
    for (std::size_t a = rank; a-- > offset;) {
        const std::int64_t size = in[a - offset];
        stride[a] = size == 1 ? 0 : s;
        s *= size;
    }
    const std::int64_t total = shapeSize(out);
    m_source.resize(static_cast<std::size_t>(total));
    std::vector<std::int64_t> index(rank, 0); // odometer over the output, last axis fastest
    std::int64_t source = 0;
    for (std::int64_t j = 0; j < total; ++j) {
        m_source[static_cast<std::size_t>(j)] = source;
        for (std::size_t a = rank; a-- > 0;) {
            source += stride[a];
            if (++index[a] < out[a])
                break;
            source -= stride[a] * out[a];
            index[a] = 0;
        }
    }
}

void BroadcastMap::expand(const Tensor& x, Tensor& y) const
{
    const std::int64_t batch = x.dim(0);
    if (identity()) {
        y = x;
        return;
    }
    y.resize(withBatch(batch, m_out));
    const std::int64_t inSize = shapeSize(m_in), outSize = shapeSize(m_out);
    for (std::int64_t b = 0; b < batch; ++b) {
        const float* xs = x.data() + b * inSize;
        float* ys = y.data() + b * outSize;
        for (std::int64_t j = 0; j < outSize; ++j)
            ys[j] = xs[m_source[static_cast<std::size_t>(j)]];
    }
}

void BroadcastMap::reduce(const Tensor& g, Tensor& gx) const
{
    const std::int64_t batch = g.dim(0);
    if (identity()) {
        gx = g;
        return;
    }
    gx.resize(withBatch(batch, m_in));
    gx.fill(0.0f);
    const std::int64_t inSize = shapeSize(m_in), outSize = shapeSize(m_out);
    for (std::int64_t b = 0; b < batch; ++b) {
        const float* gs = g.data() + b * outSize;
        float* d = gx.data() + b * inSize;
        for (std::int64_t j = 0; j < outSize; ++j)
            d[m_source[static_cast<std::size_t>(j)]] += gs[j];
    }
}

} // namespace circnn::nn
