#include "nn/LayerNormalizationLayer.h"

#include <cmath>
#include <limits>

#include "common/Error.h"
#include "model/LayerShapeRules.h"
#include "nn/ScaleOffsetParameters.h"

namespace circnn::nn {

void LayerNormalizationLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    if (inputShapes.empty() || inputShapes[0].empty())
        throw Error(where() + "needs an input of rank 1 or more (batch excluded)");
    const Shape& s = inputShapes[0];
    std::vector<bool> normalised(s.size(), false);
    for (std::int64_t a : shape_rules::normalisedAxes(*m_spec, s.size()))
        normalised[static_cast<std::size_t>(a)] = true;
    m_sampleSize = shapeSize(s);
    if (m_sampleSize > std::numeric_limits<std::int32_t>::max())
        throw Error(where() + "input of " + std::to_string(m_sampleSize) + " elements per sample is too large");
    m_groupSize = 1;
    for (std::size_t d = 0; d < s.size(); ++d)
        if (normalised[d])
            m_groupSize *= s[d];
    m_groups = m_groupSize > 0 ? m_sampleSize / m_groupSize : 0;
    // Row-major walk over the sample: the group index runs over the other axes, the parameter
    // index over the normalised ones, each row-major in increasing axis order.
    m_groupOf.assign(static_cast<std::size_t>(m_sampleSize), 0);
    m_paramOf.assign(static_cast<std::size_t>(m_sampleSize), 0);
    std::vector<std::int64_t> index(s.size(), 0);
    for (std::int64_t i = 0; i < m_sampleSize; ++i) {
        std::int64_t g = 0, p = 0;
        for (std::size_t d = 0; d < s.size(); ++d) {
            if (normalised[d])
                p = p * s[d] + index[d];
            else
                g = g * s[d] + index[d];
        }
        m_groupOf[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(g);
        m_paramOf[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(p);
        for (std::size_t d = s.size(); d-- > 0;) { // next index, last axis fastest
            if (++index[d] < s[d])
                break;
            index[d] = 0;
        }
    }
    const auto copyParam = [&](const Tensor& t, bool wanted, const char* role, Tensor& into) {
        into = Tensor();
        if (!wanted)
            return;
        if (t.size() != m_groupSize)
            throw Error(where() + role + " has " + std::to_string(t.size()) + " values, the normalised axes need " +
                        std::to_string(m_groupSize));
        checkFinite(t, role);
        into = t;
        into.reshape({m_groupSize});
    };
    copyParam(m_spec->gamma, m_spec->scale, "gamma", m_gamma);
    copyParam(m_spec->beta, m_spec->center, "beta", m_beta);
    if (!(m_spec->epsilon >= 0))
        throw Error(where() + "epsilon must not be negative");
}

void LayerNormalizationLayer::groupStatistics(const float* x, std::vector<double>& mean,
                                              std::vector<double>& invStd) const
{
    // Two passes (mean, then squared deviations) in double: no cancellation for large means.
    mean.assign(static_cast<std::size_t>(m_groups), 0.0);
    invStd.assign(static_cast<std::size_t>(m_groups), 0.0);
    for (std::int64_t i = 0; i < m_sampleSize; ++i)
        mean[static_cast<std::size_t>(m_groupOf[static_cast<std::size_t>(i)])] += x[i];
    for (double& m : mean)
        m /= static_cast<double>(m_groupSize);
    for (std::int64_t i = 0; i < m_sampleSize; ++i) {
        const auto g = static_cast<std::size_t>(m_groupOf[static_cast<std::size_t>(i)]);
        const double d = x[i] - mean[g];
        invStd[g] += d * d;
    }
    for (double& v : invStd)
        v = 1.0 / std::sqrt(v / static_cast<double>(m_groupSize) + double(m_spec->epsilon));
}

void LayerNormalizationLayer::forward(Inputs inputs, Tensor& out) const
{
    const Tensor& x = *inputs[0];
    out.resize(x.shape());
    const std::int64_t batch = m_sampleSize > 0 ? x.size() / m_sampleSize : 0;
    std::vector<double> mean, invStd;
    for (std::int64_t b = 0; b < batch; ++b) {
        const float* xs = x.data() + b * m_sampleSize;
        float* ys = out.data() + b * m_sampleSize;
        groupStatistics(xs, mean, invStd);
        for (std::int64_t i = 0; i < m_sampleSize; ++i) {
            const auto g = static_cast<std::size_t>(m_groupOf[static_cast<std::size_t>(i)]);
            const std::int32_t p = m_paramOf[static_cast<std::size_t>(i)];
            double y = (xs[i] - mean[g]) * invStd[g];
            if (!m_gamma.empty())
                y *= m_gamma[p];
            if (!m_beta.empty())
                y += m_beta[p];
            ys[i] = static_cast<float>(y);
        }
    }
}

void LayerNormalizationLayer::backward(Inputs inputs, const Tensor&, const Tensor& gy, const LayerCache&,
                                       std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const
{
    // With x̂ = (x − mean)·invStd and ĝ = dL/dx̂ = gy·gamma, per group of N elements:
    //   dL/dx = invStd · (ĝ − mean(ĝ) − x̂ · mean(ĝ ∘ x̂)).
    const Tensor& x = *inputs[0];
    const std::int64_t batch = m_sampleSize > 0 ? x.size() / m_sampleSize : 0;
    const auto n = static_cast<std::size_t>(m_groupSize);
    std::vector<double> dGamma(m_gamma.empty() ? 0 : n, 0.0), dBeta(m_beta.empty() ? 0 : n, 0.0);
    Tensor* gx = inGrads.empty() ? nullptr : inGrads[0];
    if (gx)
        gx->resize(x.shape());
    std::vector<double> mean, invStd, sumG, sumGX, xHat(static_cast<std::size_t>(m_sampleSize)),
        gHat(static_cast<std::size_t>(m_sampleSize));
    for (std::int64_t b = 0; b < batch; ++b) {
        const float* xs = x.data() + b * m_sampleSize;
        const float* gs = gy.data() + b * m_sampleSize;
        groupStatistics(xs, mean, invStd);
        sumG.assign(static_cast<std::size_t>(m_groups), 0.0);
        sumGX.assign(static_cast<std::size_t>(m_groups), 0.0);
        for (std::int64_t i = 0; i < m_sampleSize; ++i) {
            const auto e = static_cast<std::size_t>(i);
            const auto g = static_cast<std::size_t>(m_groupOf[e]);
            const auto p = static_cast<std::size_t>(m_paramOf[e]);
            xHat[e] = (xs[i] - mean[g]) * invStd[g];
            gHat[e] = m_gamma.empty() ? gs[i] : double(gs[i]) * m_gamma[static_cast<std::int64_t>(p)];
            if (!dGamma.empty())
                dGamma[p] += double(gs[i]) * xHat[e];
            if (!dBeta.empty())
                dBeta[p] += gs[i];
            sumG[g] += gHat[e];
            sumGX[g] += gHat[e] * xHat[e];
        }
        if (!gx)
            continue;
        float* out = gx->data() + b * m_sampleSize;
        const double inv = 1.0 / static_cast<double>(m_groupSize);
        for (std::int64_t i = 0; i < m_sampleSize; ++i) {
            const auto e = static_cast<std::size_t>(i);
            const auto g = static_cast<std::size_t>(m_groupOf[e]);
            out[i] = static_cast<float>(invStd[g] * (gHat[e] - sumG[g] * inv - xHat[e] * sumGX[g] * inv));
        }
    }
    std::size_t slot = 0;
    for (const std::vector<double>* d : {&dGamma, &dBeta}) {
        if (d == &dGamma ? m_gamma.empty() : m_beta.empty())
            continue;
        Tensor& t = paramGrads[slot++];
        t.resize({m_groupSize});
        for (std::size_t p = 0; p < n; ++p)
            t[static_cast<std::int64_t>(p)] = static_cast<float>((*d)[p]);
    }
}

std::vector<ParameterRef> LayerNormalizationLayer::parameters()
{
    return scaleOffsetParameters(name(), m_gamma, m_beta);
}

void LayerNormalizationLayer::storeParameters(LayerSpec& spec) const
{
    // Back in the shape the spec had (Keras' shape of the normalised axes).
    const auto store = [](const Tensor& from, Tensor& to) {
        Shape shape = to.shape();
        to = from;
        to.reshape(std::move(shape));
    };
    if (!m_gamma.empty())
        store(m_gamma, spec.gamma);
    if (!m_beta.empty())
        store(m_beta, spec.beta);
}

} // namespace circnn::nn
