#include "nn/MultiHeadAttentionLayer.h"

#include <algorithm>
#include <cblas.h>
#include <cmath>

#include "common/Error.h"
#include "model/AttentionMembers.h"

namespace circnn::nn {

namespace {

const char* const kNames[4] = {"query", "key", "value", "attention_output"};

std::span<float> span(Tensor& t)
{
    return {t.data(), static_cast<std::size_t>(t.size())};
}

// C (m × n, ldc) = alpha · op(A) · op(B), row-major.
void gemm(bool transA, bool transB, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
          std::int64_t lda, const float* b, std::int64_t ldb, float* c, std::int64_t ldc)
{
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b,
                static_cast<int>(ldb), 0.0f, c, static_cast<int>(ldc));
}

void addBias(float* y, const Tensor& bias, std::int64_t rows)
{
    if (bias.empty())
        return;
    const std::int64_t m = bias.size();
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t j = 0; j < m; ++j)
            y[r * m + j] += bias[j];
}

void biasGradient(const float* gy, std::int64_t rows, std::int64_t m, Tensor& grad)
{
    grad = Tensor({m}, 0.0f);
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t j = 0; j < m; ++j)
            grad[j] += gy[r * m + j];
}

} // namespace

void MultiHeadAttentionLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    const LayerSpec& l = *m_spec;
    m_hasKey = l.inputs.size() == 3;
    const std::size_t own = m_hasKey ? 3 : 2;
    const std::size_t masks = static_cast<std::size_t>(std::count(m_masked.begin(), m_masked.end(), true));
    if (inputShapes.size() != own + masks)
        throw Error(where() + "expected " + std::to_string(own) + " inputs (query, value" + (m_hasKey ? ", key" : "") +
                    ") and " + std::to_string(masks) + " masks, got " + std::to_string(inputShapes.size()));
    for (std::size_t i = 0; i < own; ++i)
        if (inputShapes[i].size() != 2)
            throw Error(where() + "input " + std::to_string(i) + " has shape " + shapeToString(inputShapes[i]) +
                        ", expected (steps, features)");
    m_t = inputShapes[0][0];
    m_dq = inputShapes[0][1];
    m_s = inputShapes[1][0];
    m_dv = inputShapes[1][1];
    m_dk = m_hasKey ? inputShapes[2][1] : m_dv;
    if (m_hasKey && inputShapes[2][0] != m_s)
        throw Error(where() + "key and value differ in length");
    std::size_t at = own;
    for (std::size_t i = 0; i < 3; ++i)
        if (m_masked[i])
            checkMaskSourceShape(inputShapes[at++], i == 0 ? m_t : m_s, m_maskRule[i], where());
    m_heads = l.numHeads;
    m_keyDim = l.keyDim;
    m_valueDim = l.valueDim;
    m_out = l.units > 0 ? l.units : m_dq;
    if (m_heads <= 0 || m_keyDim <= 0 || m_valueDim <= 0)
        throw Error(where() + "num_heads, key_dim and value_dim must be positive");
    for (std::size_t i = 0; i < 4; ++i) {
        const std::string name = kNames[i];
        if (l.attentionCirculant[i]) {
            m_vectors[i] = l.attentionCirculant[i]->vectors;
            checkFinite(m_vectors[i], (name + " block-circulant vectors").c_str());
        } else {
            m_kernel[i] = l.*kAttentionKernels[i];
            checkFinite(m_kernel[i], (name + " kernel").c_str());
        }
        m_bias[i] = l.useBias ? l.*kAttentionBiases[i] : Tensor();
        checkFinite(m_bias[i], (name + " bias").c_str());
    }
    setProjections();
}

void MultiHeadAttentionLayer::setProjections()
{
    const std::int64_t in[4] = {m_dq, m_dk, m_dv, m_heads * m_valueDim};
    const std::int64_t outs[4] = {m_heads * m_keyDim, m_heads * m_keyDim, m_heads * m_valueDim, m_out};
    for (std::size_t i = 0; i < 4; ++i) {
        const std::int64_t want = in[i] * outs[i];
        try {
            if (const auto& c = m_spec->attentionCirculant[i])
                m_proj[i].setCirculant(in[i], outs[i], c->k, span(m_vectors[i]));
            else if (m_kernel[i].size() != want)
                throw Error(std::string(kNames[i]) + " kernel has " + std::to_string(m_kernel[i].size()) +
                            " values, expected " + std::to_string(want));
            else
                m_proj[i].setDense(m_kernel[i].data(), in[i], outs[i]);
        } catch (const Error& e) {
            throw Error(where() + e.what());
        }
        if (!m_bias[i].empty() && m_bias[i].size() != outs[i])
            throw Error(where() + kNames[i] + " bias has " + std::to_string(m_bias[i].size()) + " values, expected " +
                        std::to_string(outs[i]));
    }
}

MultiHeadAttentionLayer::Layout MultiHeadAttentionLayer::layout(std::int64_t batch) const
{
    Layout r;
    const std::int64_t hk = m_heads * m_keyDim, hv = m_heads * m_valueDim;
    r.q = 0;
    r.k = r.q + batch * m_t * hk;
    r.v = r.k + batch * m_s * hk;
    r.a = r.v + batch * m_s * hv;
    r.o = r.a + batch * m_heads * m_t * m_s;
    r.rows = r.o + batch * m_t * hv;
    r.size = r.rows + batch * m_heads * m_t;
    return r;
}

void MultiHeadAttentionLayer::setMaskInputs(const AttentionMaskSources& masks)
{
    const MaskSource* m[3] = {&masks.query, &masks.value, &masks.key};
    for (std::size_t i = 0; i < 3; ++i) {
        m_masked[i] = m[i]->layer >= 0;
        m_maskRule[i] = m[i]->frameMaskValue;
    }
}

std::array<std::vector<unsigned char>, 3> MultiHeadAttentionLayer::stepMasks(Inputs inputs, std::int64_t batch) const
{
    std::array<std::vector<unsigned char>, 3> masks;
    std::size_t at = m_hasKey ? 3 : 2;
    for (std::size_t i = 0; i < 3; ++i)
        if (m_masked[i])
            masks[i] = stepMask(*inputs[at++], batch, i == 0 ? m_t : m_s, m_maskRule[i], where());
    return masks;
}

void MultiHeadAttentionLayer::visibility(const std::array<std::vector<unsigned char>, 3>& masks, std::int64_t b,
                                         std::vector<unsigned char>& visible) const
{
    const auto allows = [&](std::size_t i, std::int64_t step, std::int64_t steps) {
        return masks[i].empty() || masks[i][static_cast<std::size_t>(b * steps + step)] != 0;
    };
    visible.assign(static_cast<std::size_t>(m_t * m_s), 1);
    for (std::int64_t t = 0; t < m_t; ++t)
        for (std::int64_t s = 0; s < m_s; ++s) {
            const bool ok =
                (!m_spec->useCausalMask || s <= t) && allows(0, t, m_t) && allows(1, s, m_s) && allows(2, s, m_s);
            visible[static_cast<std::size_t>(t * m_s + s)] = ok ? 1 : 0;
        }
}

void MultiHeadAttentionLayer::run(Inputs inputs, Tensor& out, float* record) const
{
    const Tensor& query = *inputs[0];
    const Tensor& value = *inputs[1];
    const Tensor& key = m_hasKey ? *inputs[2] : value;
    const std::int64_t batch = query.dim(0), hk = m_heads * m_keyDim, hv = m_heads * m_valueDim;
    const Layout lay = layout(batch);
    std::vector<float> local;
    if (!record) {
        local.resize(static_cast<std::size_t>(lay.size));
        record = local.data();
    }
    float *q = record + lay.q, *k = record + lay.k, *v = record + lay.v, *a = record + lay.a, *o = record + lay.o,
          *rows = record + lay.rows;
    m_proj[0].multiply(query.data(), q, batch * m_t);
    addBias(q, m_bias[0], batch * m_t);
    m_proj[1].multiply(key.data(), k, batch * m_s);
    addBias(k, m_bias[1], batch * m_s);
    m_proj[2].multiply(value.data(), v, batch * m_s);
    addBias(v, m_bias[2], batch * m_s);
    const float scale = 1.0f / std::sqrt(static_cast<float>(m_keyDim));
    std::vector<unsigned char> visible;
    const auto masks = stepMasks(inputs, batch);
    for (std::int64_t b = 0; b < batch; ++b) {
        visibility(masks, b, visible);
        for (std::int64_t h = 0; h < m_heads; ++h) {
            float* ab = a + (b * m_heads + h) * m_t * m_s;
            gemm(false, true, m_t, m_s, m_keyDim, scale, q + b * m_t * hk + h * m_keyDim, hk,
                 k + b * m_s * hk + h * m_keyDim, hk, ab, m_s);
            for (std::int64_t t = 0; t < m_t; ++t) {
                float* row = ab + t * m_s;
                const unsigned char* vis = visible.data() + t * m_s;
                float top = -INFINITY;
                for (std::int64_t s = 0; s < m_s; ++s)
                    if (vis[s])
                        top = std::max(top, row[s]);
                const bool any = top != -INFINITY;
                rows[(b * m_heads + h) * m_t + t] = any ? 1.0f : 0.0f;
                if (!any) { // every score −1e9: uniform weights
                    std::fill(row, row + m_s, 1.0f / static_cast<float>(m_s));
                    continue;
                }
                double sum = 0;
                for (std::int64_t s = 0; s < m_s; ++s) {
                    row[s] = vis[s] ? std::exp(row[s] - top) : 0.0f;
                    sum += row[s];
                }
                const auto inv = static_cast<float>(1.0 / sum);
                for (std::int64_t s = 0; s < m_s; ++s)
                    row[s] *= inv;
            }
            gemm(false, false, m_t, m_valueDim, m_s, 1.0f, ab, m_s, v + b * m_s * hv + h * m_valueDim, hv,
                 o + b * m_t * hv + h * m_valueDim, hv);
        }
    }
    out.resize({batch, m_t, m_out});
    m_proj[3].multiply(o, out.data(), batch * m_t);
    addBias(out.data(), m_bias[3], batch * m_t);
}

void MultiHeadAttentionLayer::forward(Inputs inputs, Tensor& out) const
{
    run(inputs, out, nullptr);
}

void MultiHeadAttentionLayer::forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937&, bool) const
{
    cache.aux.resize({layout(inputs[0]->dim(0)).size});
    run(inputs, out, cache.aux.data());
}

void MultiHeadAttentionLayer::backward(Inputs inputs, const Tensor&, const Tensor& outGrad, const LayerCache& cache,
                                       std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const
{
    const Tensor& query = *inputs[0];
    const Tensor& value = *inputs[1];
    const Tensor& key = m_hasKey ? *inputs[2] : value;
    const std::int64_t batch = query.dim(0), hk = m_heads * m_keyDim, hv = m_heads * m_valueDim;
    const Layout lay = layout(batch);
    if (cache.aux.size() != lay.size)
        throw Error(where() + "backward() without a matching forwardTrain()");
    const float* rec = cache.aux.data();
    const float *q = rec + lay.q, *k = rec + lay.k, *v = rec + lay.v, *a = rec + lay.a, *o = rec + lay.o,
                *rows = rec + lay.rows;
    const float scale = 1.0f / std::sqrt(static_cast<float>(m_keyDim));

    std::vector<float> dO(static_cast<std::size_t>(batch * m_t * hv)), dQ(static_cast<std::size_t>(batch * m_t * hk)),
        dK(static_cast<std::size_t>(batch * m_s * hk)), dV(static_cast<std::size_t>(batch * m_s * hv)),
        dA(static_cast<std::size_t>(m_t * m_s)), dS(dA.size());
    m_proj[3].multiplyTransposed(outGrad.data(), dO.data(), batch * m_t);
    for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t h = 0; h < m_heads; ++h) {
            const float* ab = a + (b * m_heads + h) * m_t * m_s;
            const std::int64_t qo = b * m_t * hk + h * m_keyDim, ko = b * m_s * hk + h * m_keyDim;
            const std::int64_t vo = b * m_s * hv + h * m_valueDim, oo = b * m_t * hv + h * m_valueDim;
            gemm(false, true, m_t, m_s, m_valueDim, 1.0f, dO.data() + oo, hv, v + vo, hv, dA.data(), m_s);
            gemm(true, false, m_s, m_valueDim, m_t, 1.0f, ab, m_s, dO.data() + oo, hv, dV.data() + vo, hv);
            for (std::int64_t t = 0; t < m_t; ++t) {
                const float* ar = ab + t * m_s;
                const float* dar = dA.data() + t * m_s;
                float* dsr = dS.data() + t * m_s;
                if (rows[(b * m_heads + h) * m_t + t] == 0.0f) { // uniform row: scores do not matter
                    std::fill(dsr, dsr + m_s, 0.0f);
                    continue;
                }
                double dot = 0;
                for (std::int64_t s = 0; s < m_s; ++s)
                    dot += static_cast<double>(ar[s]) * dar[s];
                for (std::int64_t s = 0; s < m_s; ++s)
                    dsr[s] = ar[s] * (dar[s] - static_cast<float>(dot));
            }
            gemm(false, false, m_t, m_keyDim, m_s, scale, dS.data(), m_s, k + ko, hk, dQ.data() + qo, hk);
            gemm(true, false, m_s, m_keyDim, m_t, scale, dS.data(), m_s, q + qo, hk, dK.data() + ko, hk);
        }

    // Parameter gradients, in parameters() order.
    const float* xs[4] = {query.data(), key.data(), value.data(), o};
    const float* gys[4] = {dQ.data(), dK.data(), dV.data(), outGrad.data()};
    const std::int64_t rowsOf[4] = {batch * m_t, batch * m_s, batch * m_s, batch * m_t};
    std::size_t p = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const Tensor& w = m_spec->attentionCirculant[i] ? m_vectors[i] : m_kernel[i];
        paramGrads[p].resize(w.shape());
        m_proj[i].gradient(xs[i], gys[i], rowsOf[i], paramGrads[p].data());
        ++p;
        if (!m_bias[i].empty())
            biasGradient(gys[i], rowsOf[i], m_bias[i].size(), paramGrads[p++]);
    }

    // Input gradients: query, value (+ the key's when the key is the value), key; masks get none.
    if (inGrads.size() > 0 && inGrads[0]) {
        inGrads[0]->resize(query.shape());
        m_proj[0].multiplyTransposed(dQ.data(), inGrads[0]->data(), batch * m_t);
    }
    if (inGrads.size() > 1 && inGrads[1]) {
        inGrads[1]->resize(value.shape());
        m_proj[2].multiplyTransposed(dV.data(), inGrads[1]->data(), batch * m_s);
        if (!m_hasKey) {
            std::vector<float> gk(static_cast<std::size_t>(value.size()));
            m_proj[1].multiplyTransposed(dK.data(), gk.data(), batch * m_s);
            float* g = inGrads[1]->data();
            for (std::size_t e = 0; e < gk.size(); ++e)
                g[e] += gk[e];
        }
    }
    if (m_hasKey && inGrads.size() > 2 && inGrads[2]) {
        inGrads[2]->resize(key.shape());
        m_proj[1].multiplyTransposed(dK.data(), inGrads[2]->data(), batch * m_s);
    }
    for (std::size_t i = m_hasKey ? 3 : 2; i < inGrads.size(); ++i)
        if (inGrads[i])
            *inGrads[i] = Tensor(inputs[i]->shape(), 0.0f);
}

std::vector<ParameterRef> MultiHeadAttentionLayer::parameters()
{
    std::vector<ParameterRef> r;
    for (std::size_t i = 0; i < 4; ++i) {
        const bool circulant = m_spec->attentionCirculant[i].has_value();
        r.push_back({name(), std::string(kNames[i]) + (circulant ? "/vectors" : "/kernel"),
                     span(circulant ? m_vectors[i] : m_kernel[i])});
        if (!m_bias[i].empty())
            r.push_back({name(), std::string(kNames[i]) + "/bias", span(m_bias[i])});
    }
    return r;
}

void MultiHeadAttentionLayer::parametersChanged()
{
    for (std::size_t i = 0; i < 4; ++i)
        if (m_proj[i].circulant())
            m_proj[i].setVectors(span(m_vectors[i]));
}

void MultiHeadAttentionLayer::storeParameters(LayerSpec& spec) const
{
    for (std::size_t i = 0; i < 4; ++i) {
        if (spec.attentionCirculant[i])
            spec.attentionCirculant[i]->vectors = m_vectors[i];
        else
            spec.*kAttentionKernels[i] = m_kernel[i];
        if (!m_bias[i].empty())
            spec.*kAttentionBiases[i] = m_bias[i];
    }
}

} // namespace circnn::nn
