#include "nn/DropoutLayer.h"

namespace circnn::nn {

void DropoutLayer::forward(Inputs inputs, Tensor& out) const { out = *inputs[0]; }

void DropoutLayer::forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937& rng, bool) const
{
    out = *inputs[0];
    const float rate = m_spec->rate;
    if (!(rate > 0.0f)) {
        cache.aux = Tensor();
        return;
    }
    cache.aux.resize(out.shape());
    const float keep = rate >= 1.0f ? 0.0f : 1.0f / (1.0f - rate);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (std::int64_t i = 0; i < out.size(); ++i) {
        cache.aux[i] = u(rng) >= rate ? keep : 0.0f;
        out[i] *= cache.aux[i];
    }
}

void DropoutLayer::backward(Inputs, const Tensor&, const Tensor& g, const LayerCache& cache,
                            std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (!inGrads[0])
        return;
    *inGrads[0] = g;
    if (cache.aux.size() == g.size())
        for (std::int64_t i = 0; i < g.size(); ++i)
            (*inGrads[0])[i] *= cache.aux[i];
}

} // namespace circnn::nn
