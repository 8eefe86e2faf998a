#include "nn/Pooling2DLayer.h"

#include <algorithm>
#include <limits>

namespace circnn::nn {

void Pooling2DLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    if (m_spec->padding == Padding::Same) {
        const Shape& in = inputShapes.at(0);
        const Shape& out = m_spec->outputShape;
        m_padTop = std::max<std::int64_t>((out[0] - 1) * m_spec->strideH + m_spec->kernelH - in[0], 0) / 2;
        m_padLeft = std::max<std::int64_t>((out[1] - 1) * m_spec->strideW + m_spec->kernelW - in[1], 0) / 2;
    }
}

void Pooling2DLayer::forward(Inputs inputs, Tensor& out) const
{
    const Tensor& x = *inputs[0];
    const std::int64_t b = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
    const std::int64_t oh = m_spec->outputShape[0], ow = m_spec->outputShape[1];
    const bool isMax = m_spec->kind == LayerKind::MaxPooling2D;
    out.resize({b, oh, ow, c});
    std::vector<float> acc(static_cast<std::size_t>(c));
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t oi = 0; oi < oh; ++oi)
            for (std::int64_t oj = 0; oj < ow; ++oj) {
                const std::int64_t i0 = std::max<std::int64_t>(oi * m_spec->strideH - m_padTop, 0);
                const std::int64_t i1 = std::min(oi * m_spec->strideH - m_padTop + m_spec->kernelH, h);
                const std::int64_t j0 = std::max<std::int64_t>(oj * m_spec->strideW - m_padLeft, 0);
                const std::int64_t j1 = std::min(oj * m_spec->strideW - m_padLeft + m_spec->kernelW, w);
                std::fill(acc.begin(), acc.end(), isMax ? -std::numeric_limits<float>::infinity() : 0.0f);
                for (std::int64_t i = i0; i < i1; ++i)
                    for (std::int64_t j = j0; j < j1; ++j) {
                        const float* px = x.data() + ((n * h + i) * w + j) * c;
                        if (isMax)
                            for (std::int64_t ch = 0; ch < c; ++ch)
                                acc[ch] = std::max(acc[ch], px[ch]);
                        else
                            for (std::int64_t ch = 0; ch < c; ++ch)
                                acc[ch] += px[ch];
                    }
                float* o = out.data() + ((n * oh + oi) * ow + oj) * c;
                const float scale = isMax ? 1.0f : 1.0f / static_cast<float>((i1 - i0) * (j1 - j0));
                for (std::int64_t ch = 0; ch < c; ++ch)
                    o[ch] = isMax ? acc[ch] : acc[ch] * scale;
            }
}

void Pooling2DLayer::backward(Inputs inputs, const Tensor&, const Tensor& g, const LayerCache&,
                              std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (!inGrads[0])
        return;
    const Tensor& x = *inputs[0];
    const std::int64_t b = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
    const std::int64_t oh = m_spec->outputShape[0], ow = m_spec->outputShape[1];
    const bool isMax = m_spec->kind == LayerKind::MaxPooling2D;
    Tensor& gx = *inGrads[0];
    gx.resize(x.shape());
    gx.fill(0.0f);
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t oi = 0; oi < oh; ++oi)
            for (std::int64_t oj = 0; oj < ow; ++oj) {
                const std::int64_t i0 = std::max<std::int64_t>(oi * m_spec->strideH - m_padTop, 0);
                const std::int64_t i1 = std::min(oi * m_spec->strideH - m_padTop + m_spec->kernelH, h);
                const std::int64_t j0 = std::max<std::int64_t>(oj * m_spec->strideW - m_padLeft, 0);
                const std::int64_t j1 = std::min(oj * m_spec->strideW - m_padLeft + m_spec->kernelW, w);
                const float* gy = g.data() + ((n * oh + oi) * ow + oj) * c;
                for (std::int64_t ch = 0; ch < c; ++ch) {
                    if (isMax) {
                        std::int64_t bi = i0, bj = j0;
                        float best = -std::numeric_limits<float>::infinity();
                        for (std::int64_t i = i0; i < i1; ++i)
                            for (std::int64_t j = j0; j < j1; ++j) {
                                const float v = x.data()[((n * h + i) * w + j) * c + ch];
                                if (v > best) {
                                    best = v;
                                    bi = i;
                                    bj = j;
                                }
                            }
                        gx.data()[((n * h + bi) * w + bj) * c + ch] += gy[ch];
                    } else {
                        const float v = gy[ch] / static_cast<float>((i1 - i0) * (j1 - j0));
                        for (std::int64_t i = i0; i < i1; ++i)
                            for (std::int64_t j = j0; j < j1; ++j)
                                gx.data()[((n * h + i) * w + j) * c + ch] += v;
                    }
                }
            }
}

} // namespace circnn::nn
