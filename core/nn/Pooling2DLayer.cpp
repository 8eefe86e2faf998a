#include "nn/Pooling2DLayer.h"

#include <algorithm>
#include <limits>

namespace circnn::nn {

void Pooling2DLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    // 1-D pooling runs over a 1 x L image (kernelH = strideH = 1).
    const Shape& in = inputShapes.at(0);
    const Shape& out = m_spec->outputShape;
    const bool oneD = in.size() == 2;
    m_h = oneD ? 1 : in[0];
    m_w = oneD ? in[0] : in[1];
    m_c = in.back();
    m_oh = oneD ? 1 : out[0];
    m_ow = oneD ? out[0] : out[1];
    m_isMax = m_spec->kind == LayerKind::MaxPooling2D || m_spec->kind == LayerKind::MaxPooling1D;
    if (m_spec->padding == Padding::Same) {
        m_padTop = std::max<std::int64_t>((m_oh - 1) * m_spec->strideH + m_spec->kernelH - m_h, 0) / 2;
        m_padLeft = std::max<std::int64_t>((m_ow - 1) * m_spec->strideW + m_spec->kernelW - m_w, 0) / 2;
    }
}

void Pooling2DLayer::forward(Inputs inputs, Tensor& out) const
{
    const Tensor& x = *inputs[0];
    const std::int64_t b = x.dim(0), h = m_h, w = m_w, c = m_c, oh = m_oh, ow = m_ow;
    const bool isMax = m_isMax;
    out.resize(withBatch(b, m_spec->outputShape));
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
    const std::int64_t b = x.dim(0), h = m_h, w = m_w, c = m_c, oh = m_oh, ow = m_ow;
    const bool isMax = m_isMax;
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
