#include "nn/training/WeightInitialiser.h"

#include <cmath>

#include "model/AttentionMembers.h"
#include "model/LayerTraits.h"
#include "model/RecurrentKinds.h"
#include "nn/training/Architecture.h"

namespace circnn {

void WeightInitialiser::glorot(Tensor& t, std::int64_t fanIn, std::int64_t fanOut)
{
    uniform(t, static_cast<float>(std::sqrt(6.0 / double(fanIn + fanOut))));
}

void WeightInitialiser::uniform(Tensor& t, float limit)
{
    for (std::int64_t i = 0; i < t.size(); ++i)
        t[i] = uniformFloat(static_cast<std::uint32_t>(m_rng()), -limit, limit);
}

void WeightInitialiser::recurrent(LayerSpec& s, std::int64_t in)
{
    const std::int64_t g = recurrentGateCount(s.kind) * s.units;
    if (s.circulant)
        glorot(s.circulant->vectors, in, g);
    else
        glorot(s.kernel, in, g);
    if (s.recurrentCirculant)
        glorot(s.recurrentCirculant->vectors, s.units, g);
    else
        glorot(s.recurrentKernel, s.units, g);
    s.bias.fill(0.0f);
    if (s.kind == LayerKind::LSTM && s.bias.size() == g)
        for (std::int64_t j = s.units; j < 2 * s.units; ++j)
            s.bias[j] = 1.0f;
}

void WeightInitialiser::attention(LayerSpec& s)
{
    for (std::size_t p = 0; p < 4; ++p) {
        Tensor& kernel = s.*kAttentionKernels[p];
        const auto& c = s.attentionCirculant[p];
        if (!c && kernel.rank() != 3) // no weights (an architecture-only model): nothing to draw
            continue;
        std::int64_t fanIn = 0, fanOut = 0;
        if (p < 3) { // (d, heads, dim): the input width d is the 2-D matrix's columns
            const std::int64_t d = c ? c->cols : kernel.shape().at(0);
            fanIn = s.numHeads * d;
            fanOut = (p == 2 ? s.valueDim : s.keyDim) * d;
        } else { // (heads, value_dim, out)
            const std::int64_t out = c ? c->rows : kernel.shape().at(2);
            fanIn = s.valueDim * s.numHeads;
            fanOut = out * s.numHeads;
        }
        glorot(c ? s.attentionCirculant[p]->vectors : kernel, fanIn, fanOut);
        (s.*kAttentionBiases[p]).fill(0.0f);
    }
}

void WeightInitialiser::initialise(LayerSpec& s, std::int64_t in)
{
    switch (s.kind) {
    case LayerKind::Embedding: // Keras: uniform(-0.05, 0.05)
        uniform(s.embeddings, 0.05f);
        return;
    case LayerKind::MultiHeadAttention:
        attention(s);
        return;
    case LayerKind::BatchNormalization:
        s.movingMean.fill(0.0f);
        s.movingVariance.fill(1.0f);
        [[fallthrough]];
    case LayerKind::LayerNormalization:
        s.gamma.fill(1.0f);
        s.beta.fill(0.0f);
        return;
    default:
        break;
    }
    if (isRecurrent(s.kind)) {
        recurrent(s, in);
        return;
    }
    if (!layerTraits(s.kind).convertible) // Dense and the convolutions from here
        return;
    const std::int64_t taps = s.kernelH * s.kernelW;
    glorot(s.circulant ? s.circulant->vectors : s.kernel, taps * in, taps * s.units);
    s.bias.fill(0.0f);
}

void initialiseWeights(ModelSpec& model, std::uint32_t seed)
{
    WeightInitialiser init(seed);
    for (LayerSpec& s : model.layers) {
        const LayerSpec* src = s.inputs.empty() ? nullptr : model.find(s.inputs.front());
        init.initialise(s, src && !src->outputShape.empty() ? src->outputShape.back() : 0);
    }
}

} // namespace circnn
