#include "nn/UpSamplingLayer.h"

#include <algorithm>
#include <cmath>

namespace circnn::nn {

std::vector<UpSamplingLayer::Tap> UpSamplingLayer::axisTable(std::int64_t in, std::int64_t factor, bool bilinear)
{
    std::vector<Tap> t(static_cast<std::size_t>(in * factor));
    for (std::int64_t o = 0; o < in * factor; ++o) {
        Tap& tap = t[static_cast<std::size_t>(o)];
        if (!bilinear) {
            tap.lo = tap.hi = o / factor;
            continue;
        }
        const double s = (static_cast<double>(o) + 0.5) / static_cast<double>(factor) - 0.5;
        const double f = std::floor(s);
        const auto fl = static_cast<std::int64_t>(f);
        tap.lo = std::clamp<std::int64_t>(fl, 0, in - 1);
        tap.hi = std::clamp<std::int64_t>(fl + 1, 0, in - 1);
        tap.wHi = static_cast<float>(s - f);
        tap.wLo = 1.0f - tap.wHi;
    }
    return t;
}

void UpSamplingLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    const Shape& in = inputShapes.at(0);
    const bool oneD = in.size() == 2;
    m_h = oneD ? 1 : in[0];
    m_w = oneD ? in[0] : in[1];
    m_c = in.back();
    const bool bilinear = m_spec->bilinear && !oneD;
    m_rows = axisTable(m_h, oneD ? 1 : m_spec->kernelH, bilinear);
    m_cols = axisTable(m_w, m_spec->kernelW, bilinear);
}

void UpSamplingLayer::forward(Inputs inputs, Tensor& out) const
{
    const Tensor& x = *inputs[0];
    const std::int64_t b = x.dim(0), oh = static_cast<std::int64_t>(m_rows.size());
    const std::int64_t ow = static_cast<std::int64_t>(m_cols.size()), c = m_c;
    out.resize(withBatch(b, m_spec->outputShape));
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t i = 0; i < oh; ++i) {
            const Tap& r = m_rows[static_cast<std::size_t>(i)];
            const float* top = x.data() + (n * m_h + r.lo) * m_w * c;
            const float* bottom = x.data() + (n * m_h + r.hi) * m_w * c;
            for (std::int64_t j = 0; j < ow; ++j) {
                const Tap& s = m_cols[static_cast<std::size_t>(j)];
                float* o = out.data() + ((n * oh + i) * ow + j) * c;
                const float* tl = top + s.lo * c;
                const float* tr = top + s.hi * c;
                const float* bl = bottom + s.lo * c;
                const float* br = bottom + s.hi * c;
                for (std::int64_t ch = 0; ch < c; ++ch) {
                    const float t = tl[ch] * s.wLo + tr[ch] * s.wHi;
                    const float u = bl[ch] * s.wLo + br[ch] * s.wHi;
                    o[ch] = t * r.wLo + u * r.wHi;
                }
            }
        }
}

void UpSamplingLayer::backward(Inputs inputs, const Tensor&, const Tensor& g, const LayerCache&,
                               std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (!inGrads[0])
        return;
    const Tensor& x = *inputs[0];
    const std::int64_t b = x.dim(0), oh = static_cast<std::int64_t>(m_rows.size());
    const std::int64_t ow = static_cast<std::int64_t>(m_cols.size()), c = m_c;
    Tensor& gx = *inGrads[0];
    gx.resize(x.shape());
    gx.fill(0.0f);
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t i = 0; i < oh; ++i) {
            const Tap& r = m_rows[static_cast<std::size_t>(i)];
            float* top = gx.data() + (n * m_h + r.lo) * m_w * c;
            float* bottom = gx.data() + (n * m_h + r.hi) * m_w * c;
            for (std::int64_t j = 0; j < ow; ++j) {
                const Tap& s = m_cols[static_cast<std::size_t>(j)];
                const float* gy = g.data() + ((n * oh + i) * ow + j) * c;
                for (std::int64_t ch = 0; ch < c; ++ch) {
                    const float v = gy[ch];
                    top[s.lo * c + ch] += v * r.wLo * s.wLo;
                    top[s.hi * c + ch] += v * r.wLo * s.wHi;
                    bottom[s.lo * c + ch] += v * r.wHi * s.wLo;
                    bottom[s.hi * c + ch] += v * r.wHi * s.wHi;
                }
            }
        }
}

} // namespace circnn::nn
