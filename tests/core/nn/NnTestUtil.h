#pragma once
// Test helpers for core/nn and core/analysis: building small ModelSpecs by hand, seeded random
// tensors, naive (double precision, direct loop) references for block-circulant expansion.

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/Tensor.h"
#include "model/ModelSpec.h"

namespace circnn::test {

inline Tensor randomTensor(const Shape& shape, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f)
{
    Tensor t(shape);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    for (std::int64_t i = 0; i < t.size(); ++i)
        t[i] = d(rng);
    return t;
}

// A spec under construction: layers are appended in order; each new layer takes the previous
// one as input unless inputs are given.
struct SpecBuilder {
    ModelSpec spec;
    std::uint32_t seed = 1;

    explicit SpecBuilder(const Shape& inputShape, std::string name = "test")
    {
        spec.name = std::move(name);
        LayerSpec in;
        in.name = "input";
        in.kind = LayerKind::Input;
        in.inputShape = inputShape;
        spec.layers.push_back(in);
        spec.inputs = {"input"};
    }
    std::string last() const { return spec.layers.back().name; }
    LayerSpec& add(LayerSpec l, std::vector<std::string> inputs = {})
    {
        if (l.name.empty())
            l.name = std::string(layerKindName(l.kind)) + "_" + std::to_string(spec.layers.size());
        l.inputs = inputs.empty() ? std::vector<std::string>{last()} : inputs;
        spec.layers.push_back(std::move(l));
        return spec.layers.back();
    }
    LayerSpec& dense(std::int64_t in, std::int64_t units, ActivationKind act = ActivationKind::Linear,
                     std::vector<std::string> inputs = {})
    {
        LayerSpec l;
        l.kind = LayerKind::Dense;
        l.units = units;
        l.activation = act;
        l.kernel = randomTensor({in, units}, seed++, -0.5f, 0.5f);
        l.bias = randomTensor({units}, seed++, -0.2f, 0.2f);
        return add(std::move(l), inputs);
    }
    LayerSpec& conv(std::int64_t cin, std::int64_t filters, std::int64_t kh, std::int64_t kw,
                    ActivationKind act = ActivationKind::Linear, std::vector<std::string> inputs = {})
    {
        LayerSpec l;
        l.kind = LayerKind::Conv2D;
        l.units = filters;
        l.kernelH = kh;
        l.kernelW = kw;
        l.activation = act;
        l.kernel = randomTensor({kh, kw, cin, filters}, seed++, -0.5f, 0.5f);
        l.bias = randomTensor({filters}, seed++, -0.2f, 0.2f);
        return add(std::move(l), inputs);
    }
    // DepthwiseConv2D over c channels with depth multiplier `mult` (stride 1, valid, with bias).
    LayerSpec& depthwise(std::int64_t c, std::int64_t kh, std::int64_t kw, std::int64_t mult,
                         ActivationKind act = ActivationKind::Linear, std::vector<std::string> inputs = {})
    {
        LayerSpec l;
        l.kind = LayerKind::DepthwiseConv2D;
        l.kernelH = kh;
        l.kernelW = kw;
        l.depthMultiplier = mult;
        l.activation = act;
        l.depthwiseKernel = randomTensor({kh, kw, c, mult}, seed++, -0.5f, 0.5f);
        l.bias = randomTensor({c * mult}, seed++, -0.2f, 0.2f);
        return add(std::move(l), inputs);
    }
    LayerSpec& simple(LayerKind kind, std::vector<std::string> inputs = {})
    {
        LayerSpec l;
        l.kind = kind;
        return add(std::move(l), inputs);
    }
    ModelSpec done()
    {
        spec.outputs = {last()};
        return spec;
    }
};

// Naive expansion of first-column block-circulant defining vectors (p, q, k) into the rows×cols
// matrix W[r][c] = w_{r/k, c/k}[(r − c) mod k] (padding dropped).
inline std::vector<double> naiveExpand(const float* v, std::int64_t rows, std::int64_t cols, std::int64_t k)
{
    const std::int64_t q = (cols + k - 1) / k;
    std::vector<double> w(static_cast<std::size_t>(rows * cols));
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) {
            const std::int64_t i = r / k, j = c / k;
            const std::int64_t d = (((r % k) - (c % k)) % k + k) % k;
            w[static_cast<std::size_t>(r * cols + c)] = v[(i * q + j) * k + d];
        }
    return w;
}

// Dense kernel (Keras layout) of a block-circulant Dense or Conv2D layer, by naive expansion.
inline Tensor naiveKernel(const LayerSpec& l)
{
    const CirculantWeights& c = *l.circulant;
    const std::int64_t per = ((c.rows + c.k - 1) / c.k) * ((c.cols + c.k - 1) / c.k) * c.k;
    const std::int64_t taps = l.kind == LayerKind::Conv2D ? l.kernelH * l.kernelW : 1;
    Tensor kernel = l.kind == LayerKind::Conv2D ? Tensor({l.kernelH, l.kernelW, c.cols, c.rows}) : Tensor({c.cols, c.rows});
    for (std::int64_t t = 0; t < taps; ++t) {
        const std::vector<double> w = naiveExpand(c.vectors.data() + t * per, c.rows, c.cols, c.k);
        for (std::int64_t i = 0; i < c.cols; ++i)
            for (std::int64_t o = 0; o < c.rows; ++o)
                kernel[(t * c.cols + i) * c.rows + o] = static_cast<float>(w[static_cast<std::size_t>(o * c.cols + i)]);
    }
    return kernel;
}

// Turns a dense Dense/Conv2D layer into a block-circulant one with random defining vectors.
inline void makeCirculant(LayerSpec& l, std::int64_t cin, std::int64_t k, std::uint32_t seed)
{
    CirculantWeights c;
    c.k = k;
    c.rows = l.units;
    c.cols = cin;
    const std::int64_t p = (c.rows + k - 1) / k, q = (c.cols + k - 1) / k;
    c.vectors = l.kind == LayerKind::Conv2D ? randomTensor({l.kernelH, l.kernelW, p, q, k}, seed, -0.5f, 0.5f)
                                            : randomTensor({p, q, k}, seed, -0.5f, 0.5f);
    l.circulant = std::move(c);
    l.kernel = Tensor();
}

} // namespace circnn::test
