#include "nn/ChannelAffineLayer.h"

#include <algorithm>
#include <cmath>

namespace circnn::nn {

void ChannelAffineLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    const std::int64_t c = inputShapes.at(0).back();
    m_scale.assign(static_cast<std::size_t>(c), m_spec->rescaleScale);
    m_offset.assign(static_cast<std::size_t>(c), m_spec->rescaleOffset);
    if (m_spec->kind != LayerKind::Normalization)
        return;
    checkFinite(m_spec->movingMean, "mean");
    checkFinite(m_spec->movingVariance, "variance");
    const std::int64_t stats = m_spec->movingMean.size(); // C, or 1 for every channel
    for (std::int64_t i = 0; i < c; ++i) {
        const double var = m_spec->movingVariance[i % stats];
        const double s = std::max(std::sqrt(std::max(0.0, var)), double(kEpsilon));
        const double mean = m_spec->movingMean[i % stats];
        m_scale[static_cast<std::size_t>(i)] = static_cast<float>(m_spec->invert ? s : 1.0 / s);
        m_offset[static_cast<std::size_t>(i)] = static_cast<float>(m_spec->invert ? mean : -mean / s);
    }
}

void ChannelAffineLayer::forward(Inputs inputs, Tensor& out) const
{
    const Tensor& x = *inputs[0];
    const std::int64_t c = static_cast<std::int64_t>(m_scale.size());
    out.resize(x.shape());
    for (std::int64_t i = 0; i < x.size(); i += c)
        for (std::int64_t ch = 0; ch < c; ++ch)
            out[i + ch] = x[i + ch] * m_scale[static_cast<std::size_t>(ch)] + m_offset[static_cast<std::size_t>(ch)];
}

void ChannelAffineLayer::backward(Inputs inputs, const Tensor&, const Tensor& g, const LayerCache&,
                                  std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (!inGrads[0])
        return;
    const std::int64_t c = static_cast<std::int64_t>(m_scale.size());
    Tensor& gx = *inGrads[0];
    gx.resize(inputs[0]->shape());
    for (std::int64_t i = 0; i < g.size(); i += c)
        for (std::int64_t ch = 0; ch < c; ++ch)
            gx[i + ch] = g[i + ch] * m_scale[static_cast<std::size_t>(ch)];
}

} // namespace circnn::nn
