#include "nn/BatchNormalizationLayer.h"

#include <cmath>

#include "common/Error.h"
#include "nn/ScaleOffsetParameters.h"

namespace circnn::nn {

void BatchNormalizationLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    m_gamma = m_spec->gamma;
    m_beta = m_spec->beta;
    checkFinite(m_spec->movingMean, "moving_mean");
    checkFinite(m_spec->movingVariance, "moving_variance");
    checkFinite(m_gamma, "gamma");
    checkFinite(m_beta, "beta");
    const std::int64_t c = m_spec->movingMean.size();
    m_invStd.resize(static_cast<std::size_t>(c));
    for (std::int64_t i = 0; i < c; ++i) {
        const double v = double(m_spec->movingVariance[i]) + m_spec->epsilon;
        if (!(v > 0))
            throw Error(where() + "moving_variance + epsilon is not positive at channel " + std::to_string(i));
        m_invStd[static_cast<std::size_t>(i)] = static_cast<float>(1.0 / std::sqrt(v));
    }
    parametersChanged();
}

void BatchNormalizationLayer::parametersChanged()
{
    const std::size_t c = m_invStd.size();
    m_scale.resize(c);
    m_shift.resize(c);
    for (std::size_t i = 0; i < c; ++i) {
        const float g = m_gamma.empty() ? 1.0f : m_gamma[static_cast<std::int64_t>(i)];
        const float b = m_beta.empty() ? 0.0f : m_beta[static_cast<std::int64_t>(i)];
        m_scale[i] = g * m_invStd[i];
        m_shift[i] = b - m_scale[i] * m_spec->movingMean[static_cast<std::int64_t>(i)];
    }
}

void BatchNormalizationLayer::forward(Inputs inputs, Tensor& out) const
{
    out = *inputs[0];
    const std::int64_t c = static_cast<std::int64_t>(m_scale.size());
    for (std::int64_t i = 0; i < out.size(); i += c)
        for (std::int64_t ch = 0; ch < c; ++ch)
            out[i + ch] = out[i + ch] * m_scale[ch] + m_shift[ch];
}

void BatchNormalizationLayer::backward(Inputs inputs, const Tensor&, const Tensor& g, const LayerCache&,
                                       std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const
{
    const Tensor& x = *inputs[0];
    const std::int64_t c = static_cast<std::int64_t>(m_scale.size());
    std::vector<double> dGamma(static_cast<std::size_t>(c), 0.0), dBeta(static_cast<std::size_t>(c), 0.0);
    for (std::int64_t i = 0; i < x.size(); i += c)
        for (std::int64_t ch = 0; ch < c; ++ch) {
            dGamma[ch] += double(g[i + ch]) * (x[i + ch] - m_spec->movingMean[ch]) * m_invStd[ch];
            dBeta[ch] += g[i + ch];
        }
    std::size_t p = 0;
    if (!m_gamma.empty()) {
        paramGrads[p].resize({c});
        for (std::int64_t ch = 0; ch < c; ++ch)
            paramGrads[p][ch] = static_cast<float>(dGamma[ch]);
        ++p;
    }
    if (!m_beta.empty()) {
        paramGrads[p].resize({c});
        for (std::int64_t ch = 0; ch < c; ++ch)
            paramGrads[p][ch] = static_cast<float>(dBeta[ch]);
    }
    if (inGrads[0]) {
        Tensor& gx = *inGrads[0];
        gx.resize(x.shape());
        for (std::int64_t i = 0; i < x.size(); i += c)
            for (std::int64_t ch = 0; ch < c; ++ch)
                gx[i + ch] = g[i + ch] * m_scale[ch];
    }
}

std::vector<ParameterRef> BatchNormalizationLayer::parameters()
{
    return scaleOffsetParameters(name(), m_gamma, m_beta);
}

void BatchNormalizationLayer::storeParameters(LayerSpec& spec) const
{
    spec.gamma = m_gamma;
    spec.beta = m_beta;
}

} // namespace circnn::nn
