#include "nn/DepthwiseConv2DLayer.h"

#include <algorithm>

#include "common/Error.h"
#include "common/Parallel.h"

namespace circnn::nn {

void DepthwiseConv2DLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    const Shape& in = inputShapes.at(0);
    m_h = in[0];
    m_w = in[1];
    m_c = in[2];
    m_mult = m_spec->depthMultiplier;
    m_oh = m_spec->outputShape[0];
    m_ow = m_spec->outputShape[1];
    m_padTop = m_padLeft = 0;
    if (m_spec->padding == Padding::Same) {
        m_padTop = std::max<std::int64_t>(
                       (m_oh - 1) * m_spec->strideH + (m_spec->kernelH - 1) * m_spec->dilationH + 1 - m_h, 0) /
                   2;
        m_padLeft = std::max<std::int64_t>(
                        (m_ow - 1) * m_spec->strideW + (m_spec->kernelW - 1) * m_spec->dilationW + 1 - m_w, 0) /
                    2;
    }
    m_kernel = m_spec->depthwiseKernel;
    if (m_kernel.shape() != Shape{m_spec->kernelH, m_spec->kernelW, m_c, m_mult})
        throw Error(where() + "depthwise kernel has shape " + shapeToString(m_kernel.shape()));
    checkFinite(m_kernel, "depthwise kernel");
    m_bias = m_spec->useBias ? m_spec->bias : Tensor();
    checkFinite(m_bias, "bias");
}

void DepthwiseConv2DLayer::linear(const Tensor& x, Tensor& z) const
{
    const std::int64_t batch = x.dim(0), cout = m_c * m_mult;
    z.resize({batch, m_oh, m_ow, cout});
    const std::int64_t kh = m_spec->kernelH, kw = m_spec->kernelW;
    parallelFor(static_cast<std::size_t>(batch), [&](std::size_t b0, std::size_t b1) {
        for (auto n = static_cast<std::int64_t>(b0); n < static_cast<std::int64_t>(b1); ++n)
            for (std::int64_t oi = 0; oi < m_oh; ++oi)
                for (std::int64_t oj = 0; oj < m_ow; ++oj) {
                    float* y = z.data() + ((n * m_oh + oi) * m_ow + oj) * cout;
                    for (std::int64_t o = 0; o < cout; ++o)
                        y[o] = m_bias.empty() ? 0.0f : m_bias[o];
                    for (std::int64_t r = 0; r < kh; ++r) {
                        const std::int64_t i = inRow(oi, r);
                        if (i < 0 || i >= m_h)
                            continue;
                        for (std::int64_t s = 0; s < kw; ++s) {
                            const std::int64_t j = inCol(oj, s);
                            if (j < 0 || j >= m_w)
                                continue;
                            const float* px = x.data() + ((n * m_h + i) * m_w + j) * m_c;
                            const float* k = m_kernel.data() + (r * kw + s) * cout; // (c, m) at tap (r, s)
                            for (std::int64_t c = 0; c < m_c; ++c)
                                for (std::int64_t m = 0; m < m_mult; ++m)
                                    y[c * m_mult + m] += px[c] * k[c * m_mult + m];
                        }
                    }
                }
    });
}

void DepthwiseConv2DLayer::forward(Inputs inputs, Tensor& out) const
{
    linear(*inputs[0], out);
    applyOwnActivation(out, nullptr, false, false);
}

void DepthwiseConv2DLayer::forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937&,
                                        bool skipSoftmax) const
{
    linear(*inputs[0], out);
    applyOwnActivation(out, &cache, skipSoftmax, true);
}

void DepthwiseConv2DLayer::backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                                    std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const
{
    const Tensor& x = *inputs[0];
    Tensor gz;
    ownActivationGradient(cache.aux.data(), output, outGrad, cache, gz);
    const std::int64_t batch = x.dim(0), cout = m_c * m_mult;
    const std::int64_t kh = m_spec->kernelH, kw = m_spec->kernelW;
    Tensor* gx = inGrads[0];
    if (gx) {
        gx->resize(x.shape());
        gx->fill(0.0f);
    }
    // Sums in double, one accumulator per parameter (batch order fixed: thread-count independent).
    std::vector<double> gk(static_cast<std::size_t>(m_kernel.size()), 0.0), gb(static_cast<std::size_t>(cout), 0.0);
    for (std::int64_t n = 0; n < batch; ++n)
        for (std::int64_t oi = 0; oi < m_oh; ++oi)
            for (std::int64_t oj = 0; oj < m_ow; ++oj) {
                const float* g = gz.data() + ((n * m_oh + oi) * m_ow + oj) * cout;
                for (std::int64_t o = 0; o < cout; ++o)
                    gb[static_cast<std::size_t>(o)] += g[o];
                for (std::int64_t r = 0; r < kh; ++r) {
                    const std::int64_t i = inRow(oi, r);
                    if (i < 0 || i >= m_h)
                        continue;
                    for (std::int64_t s = 0; s < kw; ++s) {
                        const std::int64_t j = inCol(oj, s);
                        if (j < 0 || j >= m_w)
                            continue;
                        const std::int64_t pixel = ((n * m_h + i) * m_w + j) * m_c;
                        const std::int64_t tap = (r * kw + s) * cout;
                        for (std::int64_t o = 0; o < cout; ++o) {
                            const std::int64_t c = o / m_mult;
                            gk[static_cast<std::size_t>(tap + o)] += double(g[o]) * x[pixel + c];
                            if (gx)
                                (*gx)[pixel + c] += g[o] * m_kernel[tap + o];
                        }
                    }
                }
            }
    paramGrads[0].resize(m_kernel.shape());
    for (std::int64_t i = 0; i < m_kernel.size(); ++i)
        paramGrads[0][i] = static_cast<float>(gk[static_cast<std::size_t>(i)]);
    if (!m_bias.empty()) {
        paramGrads[1].resize({cout});
        for (std::int64_t o = 0; o < cout; ++o)
            paramGrads[1][o] = static_cast<float>(gb[static_cast<std::size_t>(o)]);
    }
}

std::vector<ParameterRef> DepthwiseConv2DLayer::parameters()
{
    std::vector<ParameterRef> p;
    p.push_back({name(), "depthwise_kernel", {m_kernel.data(), static_cast<std::size_t>(m_kernel.size())}});
    if (!m_bias.empty())
        p.push_back({name(), "bias", {m_bias.data(), static_cast<std::size_t>(m_bias.size())}});
    return p;
}

void DepthwiseConv2DLayer::storeParameters(LayerSpec& spec) const
{
    spec.depthwiseKernel = m_kernel;
    if (!m_bias.empty())
        spec.bias = m_bias;
}

} // namespace circnn::nn
