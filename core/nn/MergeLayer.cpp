#include "nn/MergeLayer.h"

#include <algorithm>

namespace circnn::nn {

void MergeLayer::forward(Inputs inputs, Tensor& out) const
{
    out = *inputs[0];
    float* o = out.data();
    const LayerKind kind = m_spec->kind;
    for (std::size_t i = 1; i < inputs.size(); ++i) {
        const float* x = inputs[i]->data();
        for (std::int64_t j = 0; j < out.size(); ++j)
            switch (kind) {
            case LayerKind::Multiply:
                o[j] *= x[j];
                break;
            case LayerKind::Subtract:
                o[j] -= x[j];
                break;
            case LayerKind::Maximum:
                o[j] = std::max(o[j], x[j]);
                break;
            default: // Average
                o[j] += x[j];
            }
    }
    if (kind == LayerKind::Average) {
        const float scale = 1.0f / static_cast<float>(inputs.size());
        for (std::int64_t j = 0; j < out.size(); ++j)
            o[j] *= scale;
    }
}

void MergeLayer::backward(Inputs inputs, const Tensor&, const Tensor& g, const LayerCache&,
                          std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    const LayerKind kind = m_spec->kind;
    const std::int64_t size = g.size();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        Tensor* gx = inGrads[i];
        if (!gx)
            continue;
        gx->resize(inputs[i]->shape());
        float* d = gx->data();
        if (kind == LayerKind::Subtract) {
            const float sign = i == 0 ? 1.0f : -1.0f;
            for (std::int64_t j = 0; j < size; ++j)
                d[j] = sign * g[j];
        } else if (kind == LayerKind::Average) {
            const float scale = 1.0f / static_cast<float>(inputs.size());
            for (std::int64_t j = 0; j < size; ++j)
                d[j] = scale * g[j];
        } else if (kind == LayerKind::Multiply) {
            // The product of the other inputs (no division: inputs may be zero).
            for (std::int64_t j = 0; j < size; ++j) {
                float p = g[j];
                for (std::size_t o = 0; o < inputs.size(); ++o)
                    if (o != i)
                        p *= (*inputs[o])[j];
                d[j] = p;
            }
        } else { // Maximum: the first input holding the maximum takes the gradient
            for (std::int64_t j = 0; j < size; ++j) {
                std::size_t best = 0;
                for (std::size_t o = 1; o < inputs.size(); ++o)
                    if ((*inputs[o])[j] > (*inputs[best])[j])
                        best = o;
                d[j] = best == i ? g[j] : 0.0f;
            }
        }
    }
}

} // namespace circnn::nn
