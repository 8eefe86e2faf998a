#include "nn/RecurrentLayer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/Error.h"
#include "model/RecurrentKinds.h"
#include "nn/Activations.h"
#include "nn/SequenceMask.h"

namespace circnn::nn {

namespace {

std::span<const float> span(const Tensor& t)
{
    return {t.data(), static_cast<std::size_t>(t.size())};
}

std::span<float> span(Tensor& t)
{
    return {t.data(), static_cast<std::size_t>(t.size())};
}

} // namespace

void RecurrentLayer::RecurrentRows::add(const float* inRow, std::int64_t inCols, const float* gradRow,
                                        std::int64_t gradCols)
{
    in.insert(in.end(), inRow, inRow + inCols);
    grad.insert(grad.end(), gradRow, gradRow + gradCols);
}

void RecurrentLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    const Shape& x = inputShapes.at(0);
    if (x.size() != 2)
        throw Error(where() + "input shape " + shapeToString(x) + " must be (steps, features)");
    m_steps = x[0];
    m_in = x[1];
    m_units = m_spec->units;
    m_gates = recurrentGateCount(m_spec->kind);
    m_hasMask = inputShapes.size() > 1;
    if (m_hasMask)
        checkMaskSourceShape(inputShapes[1], m_steps, m_frameMaskValue, where());
    for (ActivationKind a : {m_spec->activation, m_spec->recurrentActivation})
        if (a == ActivationKind::Softmax)
            throw Error(where() + "softmax is not supported as a recurrent layer's activation");
    const std::int64_t g = m_gates * m_units;
    try {
        if (m_spec->circulant) {
            m_vectors = m_spec->circulant->vectors;
            checkFinite(m_vectors, "block-circulant kernel vectors");
            m_w.setCirculant(m_in, g, m_spec->circulant->k, span(m_vectors));
        } else {
            m_kernel = m_spec->kernel;
            checkFinite(m_kernel, "kernel");
            m_w.setDense(m_kernel.data(), m_in, g);
        }
        if (m_spec->recurrentCirculant) {
            m_recurrentVectors = m_spec->recurrentCirculant->vectors;
            checkFinite(m_recurrentVectors, "block-circulant recurrent vectors");
            m_u.setCirculant(m_units, g, m_spec->recurrentCirculant->k, span(m_recurrentVectors));
        } else {
            m_recurrentKernel = m_spec->recurrentKernel;
            checkFinite(m_recurrentKernel, "recurrent_kernel");
            m_u.setDense(m_recurrentKernel.data(), m_units, g);
        }
    } catch (const ShapeError& e) {
        throw Error(where() + e.what());
    }
    m_bias = m_spec->useBias ? m_spec->bias : Tensor();
    checkFinite(m_bias, "bias");
    m_recurrentBias = m_spec->kind == LayerKind::GRU && m_spec->resetAfter && !m_bias.empty();
}

void RecurrentLayer::parametersChanged()
{
    if (m_w.circulant())
        m_w.setVectors(span(std::as_const(m_vectors)));
    if (m_u.circulant())
        m_u.setVectors(span(std::as_const(m_recurrentVectors)));
}

std::vector<ParameterRef> RecurrentLayer::parameters()
{
    std::vector<ParameterRef> p;
    if (m_w.circulant())
        p.push_back({name(), "vectors", span(m_vectors)});
    else
        p.push_back({name(), "kernel", span(m_kernel)});
    if (m_u.circulant())
        p.push_back({name(), "recurrent_vectors", span(m_recurrentVectors)});
    else
        p.push_back({name(), "recurrent_kernel", span(m_recurrentKernel)});
    if (!m_bias.empty())
        p.push_back({name(), "bias", span(m_bias)});
    return p;
}

void RecurrentLayer::storeParameters(LayerSpec& spec) const
{
    if (m_w.circulant())
        spec.circulant->vectors = m_vectors;
    else
        spec.kernel = m_kernel;
    if (m_u.circulant())
        spec.recurrentCirculant->vectors = m_recurrentVectors;
    else
        spec.recurrentKernel = m_recurrentKernel;
    if (!m_bias.empty())
        spec.bias = m_bias;
}

void RecurrentLayer::recurrentProduct(const float* h, float* r, std::int64_t batch) const
{
    m_u.multiply(h, r, batch);
    if (m_recurrentBias) {
        const std::int64_t g = m_gates * m_units;
        const float* b = m_bias.data() + g; // row 1 of the (2, G·u) bias
        for (std::int64_t i = 0; i < batch; ++i)
            for (std::int64_t j = 0; j < g; ++j)
                r[i * g + j] += b[j];
    }
}

void RecurrentLayer::recurrentTransposed(const float* dr, float* dh, std::int64_t batch) const
{
    m_u.multiplyTransposed(dr, dh, batch);
}

void RecurrentLayer::activate(float* v, std::int64_t n) const
{
    applyActivation(m_spec->activation, m_spec->activationAlpha, v, n, n);
}

void RecurrentLayer::activateGate(float* v, std::int64_t n) const
{
    applyActivation(m_spec->recurrentActivation, std::nullopt, v, n, n);
}

void RecurrentLayer::activationGrad(const float* z, const float* y, const float* gy, float* gz, std::int64_t n) const
{
    activationGradient(m_spec->activation, m_spec->activationAlpha, z, y, gy, gz, n, n);
}

void RecurrentLayer::gateGrad(const float* z, const float* y, const float* gy, float* gz, std::int64_t n) const
{
    activationGradient(m_spec->recurrentActivation, std::nullopt, z, y, gy, gz, n, n);
}

std::vector<unsigned char> RecurrentLayer::stepMask(Inputs inputs, std::int64_t batch) const
{
    if (!m_hasMask)
        return {};
    return nn::stepMask(*inputs[1], batch, m_steps, m_frameMaskValue, where());
}

void RecurrentLayer::run(Inputs inputs, Tensor& out, Tensor* records, InputSpectra* keep) const
{
    const Tensor& x = *inputs[0];
    const std::int64_t batch = x.dim(0), steps = m_steps, u = m_units, g = m_gates * m_units;
    const std::int64_t rec = recordSize();
    const bool sequences = m_spec->returnSequences, zeroMasked = m_spec->zeroOutputForMask;
    const std::vector<unsigned char> mask = stepMask(inputs, batch);
    // Input projection of every step at once: xp (batch, steps, G·u).
    std::vector<float> xp(static_cast<std::size_t>(batch * steps * g));
    m_w.multiply(x.data(), xp.data(), batch * steps, keep);
    if (!m_bias.empty())
        for (std::int64_t r = 0; r < batch * steps; ++r)
            for (std::int64_t j = 0; j < g; ++j)
                xp[static_cast<std::size_t>(r * g + j)] += m_bias[j];
    if (sequences)
        out.resize({batch, steps, u});
    else
        out.resize({batch, u});
    std::vector<float> h(static_cast<std::size_t>(batch * u), 0.0f), c(h), hNext(h), cNext(h);
    std::vector<float> xpt(static_cast<std::size_t>(batch * g));
    std::vector<float> scratch;
    if (records)
        records->resize({steps, batch, rec});
    else
        scratch.resize(static_cast<std::size_t>(batch * rec));
    for (std::int64_t s = 0; s < steps; ++s) {
        const std::int64_t t = order(s);
        for (std::int64_t b = 0; b < batch; ++b)
            std::copy_n(xp.data() + (b * steps + t) * g, g, xpt.data() + b * g);
        float* record = records ? records->data() + s * batch * rec : scratch.data();
        cellForward(xpt.data(), h.data(), c.data(), hNext.data(), cNext.data(), record, batch);
        for (std::int64_t b = 0; b < batch; ++b) {
            const bool masked = !mask.empty() && !mask[static_cast<std::size_t>(b * steps + t)];
            if (masked) { // the state carries over unchanged
                std::copy_n(h.data() + b * u, u, hNext.data() + b * u);
                std::copy_n(c.data() + b * u, u, cNext.data() + b * u);
            }
            float* o = sequences ? out.data() + (b * steps + outputStep(s)) * u : out.data() + b * u;
            if (sequences || s == steps - 1) {
                if (masked && zeroMasked)
                    std::fill_n(o, u, 0.0f);
                else
                    std::copy_n(hNext.data() + b * u, u, o);
            }
        }
        std::swap(h, hNext);
        std::swap(c, cNext);
    }
}

void RecurrentLayer::forward(Inputs inputs, Tensor& out) const
{
    run(inputs, out, nullptr, nullptr);
}

void RecurrentLayer::forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937&, bool) const
{
    cache.spectra.clear();
    run(inputs, out, &cache.aux, m_w.circulant() ? &cache.spectra : nullptr);
}

void RecurrentLayer::backward(Inputs inputs, const Tensor&, const Tensor& outGrad, const LayerCache& cache,
                              std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const
{
    const Tensor& x = *inputs[0];
    const std::int64_t batch = x.dim(0), steps = m_steps, u = m_units, g = m_gates * m_units;
    const std::int64_t rec = recordSize();
    if (cache.aux.shape() != Shape{steps, batch, rec})
        throw Error(where() + "backward() without a matching forwardTrain()");
    const bool sequences = m_spec->returnSequences, zeroMasked = m_spec->zeroOutputForMask;
    const std::vector<unsigned char> mask = stepMask(inputs, batch);
    std::vector<float> dxp(static_cast<std::size_t>(batch * steps * g));
    std::vector<float> dH(static_cast<std::size_t>(batch * u), 0.0f), dC(dH), dHPrev(dH), dCPrev(dH), dh(dH);
    std::vector<float> dxpt(static_cast<std::size_t>(batch * g));
    std::vector<float> keptH, keptC;
    RecurrentRows rows;
    rows.in.reserve(static_cast<std::size_t>(steps * batch * u));
    rows.grad.reserve(static_cast<std::size_t>(steps * batch * g));
    for (std::int64_t s = steps; s-- > 0;) {
        const std::int64_t t = order(s);
        for (std::int64_t b = 0; b < batch; ++b) {
            const bool masked = !mask.empty() && !mask[static_cast<std::size_t>(b * steps + t)];
            const float* go = nullptr;
            if (sequences)
                go = outGrad.data() + (b * steps + outputStep(s)) * u;
            else if (s == steps - 1)
                go = outGrad.data() + b * u;
            if (masked && zeroMasked)
                go = nullptr; // that output was a constant zero
            for (std::int64_t j = 0; j < u; ++j)
                dh[static_cast<std::size_t>(b * u + j)] = dH[static_cast<std::size_t>(b * u + j)] + (go ? go[j] : 0.0f);
        }
        // Masked rows: the state passed through unchanged, so their gradient does too.
        keptH = dh;
        keptC = dC;
        for (std::int64_t b = 0; b < batch; ++b)
            if (!mask.empty() && !mask[static_cast<std::size_t>(b * steps + t)]) {
                std::fill_n(dh.data() + b * u, u, 0.0f);
                std::fill_n(dC.data() + b * u, u, 0.0f);
            }
        cellBackward(cache.aux.data() + s * batch * rec, dh.data(), dC.data(), dxpt.data(), dHPrev.data(),
                     dCPrev.data(), rows, batch);
        for (std::int64_t b = 0; b < batch; ++b) {
            if (!mask.empty() && !mask[static_cast<std::size_t>(b * steps + t)])
                for (std::int64_t j = 0; j < u; ++j) {
                    dHPrev[static_cast<std::size_t>(b * u + j)] += keptH[static_cast<std::size_t>(b * u + j)];
                    dCPrev[static_cast<std::size_t>(b * u + j)] += keptC[static_cast<std::size_t>(b * u + j)];
                }
            std::copy_n(dxpt.data() + b * g, g, dxp.data() + (b * steps + t) * g);
        }
        std::swap(dH, dHPrev);
        std::swap(dC, dCPrev);
    }
    const std::int64_t rowCount = batch * steps;
    paramGrads[0].resize(m_w.circulant() ? m_vectors.shape() : m_kernel.shape());
    m_w.gradient(x.data(), dxp.data(), rowCount, paramGrads[0].data(),
                 m_w.circulant() && !cache.spectra.empty() ? &cache.spectra : nullptr);
    const auto recRows = static_cast<std::int64_t>(rows.in.size()) / u;
    paramGrads[1].resize(m_u.circulant() ? m_recurrentVectors.shape() : m_recurrentKernel.shape());
    m_u.gradient(rows.in.data(), rows.grad.data(), recRows, paramGrads[1].data());
    if (!m_bias.empty()) {
        std::vector<double> acc(static_cast<std::size_t>(m_bias.size()), 0.0);
        for (std::int64_t r = 0; r < rowCount; ++r)
            for (std::int64_t j = 0; j < g; ++j)
                acc[static_cast<std::size_t>(j)] += dxp[static_cast<std::size_t>(r * g + j)];
        if (m_recurrentBias)
            for (std::int64_t r = 0; r < recRows; ++r)
                for (std::int64_t j = 0; j < g; ++j)
                    acc[static_cast<std::size_t>(g + j)] += rows.grad[static_cast<std::size_t>(r * g + j)];
        paramGrads[2].resize(m_bias.shape());
        for (std::int64_t j = 0; j < m_bias.size(); ++j)
            paramGrads[2][j] = static_cast<float>(acc[static_cast<std::size_t>(j)]);
    }
    if (inGrads[0]) {
        inGrads[0]->resize(x.shape());
        m_w.multiplyTransposed(dxp.data(), inGrads[0]->data(), rowCount);
    }
    if (inGrads.size() > 1 && inGrads[1]) // the mask source: the mask is piecewise constant, no gradient
        *inGrads[1] = Tensor(inputs[1]->shape(), 0.0f);
}

} // namespace circnn::nn
