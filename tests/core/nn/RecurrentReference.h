#pragma once
// Naive double-precision reference of Keras' SimpleRNN / LSTM / GRU (plain loops, one sample and
// one step at a time, no shared code with core/nn) and helpers to build recurrent LayerSpecs.

#include <cmath>
#include <functional>
#include <vector>

#include "NnTestUtil.h"
#include "model/ModelSpec.h"

namespace circnn::test {

inline double refActivation(ActivationKind a, double x)
{
    switch (a) {
    case ActivationKind::Linear:
        return x;
    case ActivationKind::Relu:
        return x > 0 ? x : 0;
    case ActivationKind::Sigmoid:
        return 1 / (1 + std::exp(-x));
    case ActivationKind::HardSigmoidKeras2:
        return std::clamp(0.2 * x + 0.5, 0.0, 1.0);
    case ActivationKind::HardSigmoid:
        return std::clamp(x + 3, 0.0, 6.0) / 6;
    case ActivationKind::Tanh:
        return std::tanh(x);
    default:
        throw std::runtime_error("reference: activation not covered");
    }
}

inline std::int64_t gatesOf(LayerKind k)
{
    return k == LayerKind::LSTM ? 4 : k == LayerKind::GRU ? 3 : 1;
}

// Dense Keras-layout matrix (n × m) of a kernel or of block-circulant weights (m × n).
inline std::vector<double> refMatrix(const Tensor& kernel, const std::optional<CirculantWeights>& c, std::int64_t n,
                                     std::int64_t m)
{
    std::vector<double> k(static_cast<std::size_t>(n * m));
    if (c) {
        const std::vector<double> w = naiveExpand(c->vectors.data(), m, n, c->k);
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t j = 0; j < m; ++j)
                k[static_cast<std::size_t>(i * m + j)] = w[static_cast<std::size_t>(j * n + i)];
    } else {
        for (std::int64_t i = 0; i < n * m; ++i)
            k[static_cast<std::size_t>(i)] = kernel[i];
    }
    return k;
}

// Forward of a recurrent layer on x (batch, steps, in); mask (batch·steps, 1 = step counts) or empty.
inline std::vector<double> refRecurrent(const LayerSpec& l, const Tensor& x, const std::vector<int>& mask)
{
    const std::int64_t batch = x.dim(0), steps = x.dim(1), in = x.dim(2), u = l.units, g = gatesOf(l.kind) * u;
    const std::vector<double> K = refMatrix(l.kernel, l.circulant, in, g);
    const std::vector<double> U = refMatrix(l.recurrentKernel, l.recurrentCirculant, u, g);
    std::vector<double> bIn(static_cast<std::size_t>(g), 0.0), bRec(static_cast<std::size_t>(g), 0.0);
    if (l.useBias)
        for (std::int64_t j = 0; j < g; ++j) {
            bIn[static_cast<std::size_t>(j)] = l.bias[j];
            if (l.kind == LayerKind::GRU && l.resetAfter)
                bRec[static_cast<std::size_t>(j)] = l.bias[g + j];
        }
    auto act = [&](double v) { return refActivation(l.activation, v); };
    auto gate = [&](double v) { return refActivation(l.recurrentActivation, v); };
    auto matvec = [&](const std::vector<double>& v, const std::vector<double>& M, std::int64_t n, std::int64_t col) {
        double s = 0;
        for (std::int64_t i = 0; i < n; ++i)
            s += v[static_cast<std::size_t>(i)] * M[static_cast<std::size_t>(i * g + col)];
        return s;
    };
    std::vector<double> out;
    for (std::int64_t b = 0; b < batch; ++b) {
        std::vector<double> h(static_cast<std::size_t>(u), 0.0), c(h), last(h);
        std::vector<std::vector<double>> seq;
        for (std::int64_t s = 0; s < steps; ++s) {
            const std::int64_t t = l.goBackwards ? steps - 1 - s : s;
            if (!mask.empty() && !mask[static_cast<std::size_t>(b * steps + t)]) {
                seq.push_back(l.zeroOutputForMask ? std::vector<double>(static_cast<std::size_t>(u), 0.0) : h);
                continue;
            }
            std::vector<double> xt(static_cast<std::size_t>(in));
            for (std::int64_t i = 0; i < in; ++i)
                xt[static_cast<std::size_t>(i)] = x[(b * steps + t) * in + i];
            std::vector<double> xw(static_cast<std::size_t>(g)), hu(static_cast<std::size_t>(g));
            for (std::int64_t j = 0; j < g; ++j) {
                xw[static_cast<std::size_t>(j)] = matvec(xt, K, in, j) + bIn[static_cast<std::size_t>(j)];
                hu[static_cast<std::size_t>(j)] = matvec(h, U, u, j) + bRec[static_cast<std::size_t>(j)];
            }
            std::vector<double> hn(static_cast<std::size_t>(u));
            if (l.kind == LayerKind::SimpleRNN) {
                for (std::int64_t j = 0; j < u; ++j)
                    hn[static_cast<std::size_t>(j)] =
                        act(xw[static_cast<std::size_t>(j)] + hu[static_cast<std::size_t>(j)]);
            } else if (l.kind == LayerKind::LSTM) {
                for (std::int64_t j = 0; j < u; ++j) {
                    auto z = [&](std::int64_t gi) {
                        return xw[static_cast<std::size_t>(gi * u + j)] + hu[static_cast<std::size_t>(gi * u + j)];
                    };
                    const double i = gate(z(0)), f = gate(z(1)), cc = act(z(2)), o = gate(z(3));
                    c[static_cast<std::size_t>(j)] = f * c[static_cast<std::size_t>(j)] + i * cc;
                    hn[static_cast<std::size_t>(j)] = o * act(c[static_cast<std::size_t>(j)]);
                }
            } else { // GRU
                std::vector<double> z(static_cast<std::size_t>(u)), r(z), rh(z);
                for (std::int64_t j = 0; j < u; ++j) {
                    z[static_cast<std::size_t>(j)] =
                        gate(xw[static_cast<std::size_t>(j)] + hu[static_cast<std::size_t>(j)]);
                    r[static_cast<std::size_t>(j)] =
                        gate(xw[static_cast<std::size_t>(u + j)] + hu[static_cast<std::size_t>(u + j)]);
                    rh[static_cast<std::size_t>(j)] = r[static_cast<std::size_t>(j)] * h[static_cast<std::size_t>(j)];
                }
                for (std::int64_t j = 0; j < u; ++j) {
                    const double rec = l.resetAfter
                                           ? r[static_cast<std::size_t>(j)] * hu[static_cast<std::size_t>(2 * u + j)]
                                           : matvec(rh, U, u, 2 * u + j);
                    const double cand = act(xw[static_cast<std::size_t>(2 * u + j)] + rec);
                    hn[static_cast<std::size_t>(j)] = z[static_cast<std::size_t>(j)] * h[static_cast<std::size_t>(j)] +
                                                      (1 - z[static_cast<std::size_t>(j)]) * cand;
                }
            }
            h = hn;
            seq.push_back(h);
        }
        if (l.returnSequences)
            for (const auto& v : seq)
                out.insert(out.end(), v.begin(), v.end());
        else
            out.insert(out.end(), seq.back().begin(), seq.back().end());
    }
    return out;
}

// The reference input of a recurrent layer after an Embedding with mask_zero: the looked-up
// rows of `embeddings` (vocab × dim) for the ids (batch × steps) and the mask (id ≠ 0).
inline Tensor lookedUp(const Tensor& embeddings, const Tensor& ids, std::vector<int>& mask)
{
    const std::int64_t batch = ids.dim(0), steps = ids.dim(1), dim = embeddings.dim(1);
    Tensor x({batch, steps, dim});
    mask.clear();
    for (std::int64_t i = 0; i < batch * steps; ++i) {
        const auto id = static_cast<std::int64_t>(ids[i]);
        for (std::int64_t j = 0; j < dim; ++j)
            x[i * dim + j] = embeddings[id * dim + j];
        mask.push_back(id != 0);
    }
    return x;
}

// A recurrent layer spec with random weights (kernel (in, G·u), recurrent (u, G·u), bias).
inline LayerSpec recurrentLayer(LayerKind kind, std::int64_t in, std::int64_t units, std::uint32_t seed)
{
    LayerSpec l;
    l.kind = kind;
    l.units = units;
    l.activation = ActivationKind::Tanh;
    l.recurrentActivation = ActivationKind::Sigmoid;
    const std::int64_t g = gatesOf(kind) * units;
    l.kernel = randomTensor({in, g}, seed, -0.6f, 0.6f);
    l.recurrentKernel = randomTensor({units, g}, seed + 1, -0.6f, 0.6f);
    l.bias = kind == LayerKind::GRU && l.resetAfter ? randomTensor({2, g}, seed + 2, -0.3f, 0.3f)
                                                    : randomTensor({g}, seed + 2, -0.3f, 0.3f);
    return l;
}

// Replaces the kernels of a recurrent layer by random block-circulant weights of block size k.
inline void makeRecurrentCirculant(LayerSpec& l, std::int64_t in, std::int64_t k, std::uint32_t seed)
{
    const std::int64_t g = gatesOf(l.kind) * l.units;
    auto make = [&](std::int64_t cols, std::uint32_t s) {
        CirculantWeights c;
        c.k = k;
        c.rows = g;
        c.cols = cols;
        c.vectors = randomTensor({(g + k - 1) / k, (cols + k - 1) / k, k}, s, -0.5f, 0.5f);
        return c;
    };
    l.circulant = make(in, seed);
    l.recurrentCirculant = make(l.units, seed + 1);
    l.kernel = Tensor();
    l.recurrentKernel = Tensor();
}

} // namespace circnn::test
