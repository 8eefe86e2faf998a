#include "nn/MergeLayer.h"

#include <algorithm>

#include "common/Error.h"
#include "model/BroadcastShape.h"

namespace circnn::nn {

void MergeLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    if (inputShapes.empty())
        throw ShapeError(where() + "no inputs");
    Shape out = inputShapes.front();
    for (const Shape& s : inputShapes) {
        const std::optional<Shape> b = broadcastShapes(out, s);
        if (!b)
            throw ShapeError(where() + "inputs of shapes " + shapeToString(out) + " and " + shapeToString(s) +
                             " do not broadcast");
        out = *b;
    }
    m_maps.clear();
    for (const Shape& s : inputShapes)
        m_maps.emplace_back(s, out);
}

std::vector<const Tensor*> MergeLayer::expanded(Inputs inputs, std::vector<Tensor>& storage) const
{
    if (m_maps.size() != inputs.size())
        throw Error(where() + "not prepared for " + std::to_string(inputs.size()) + " inputs");
    storage.resize(inputs.size());
    std::vector<const Tensor*> x(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (m_maps[i].identity()) {
            x[i] = inputs[i];
        } else {
            m_maps[i].expand(*inputs[i], storage[i]);
            x[i] = &storage[i];
        }
    }
    return x;
}

void MergeLayer::forward(Inputs inputs, Tensor& out) const
{
    std::vector<Tensor> storage;
    const std::vector<const Tensor*> in = expanded(inputs, storage);
    out = *in[0];
    float* o = out.data();
    const LayerKind kind = m_spec->kind;
    for (std::size_t i = 1; i < in.size(); ++i) {
        const float* x = in[i]->data();
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
            default: // Add, Average
                o[j] += x[j];
            }
    }
    if (kind == LayerKind::Average) {
        const float scale = 1.0f / static_cast<float>(in.size());
        for (std::int64_t j = 0; j < out.size(); ++j)
            o[j] *= scale;
    }
}

void MergeLayer::backward(Inputs inputs, const Tensor&, const Tensor& g, const LayerCache&,
                          std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    const LayerKind kind = m_spec->kind;
    std::vector<Tensor> storage;
    const std::vector<const Tensor*> in = kind == LayerKind::Multiply || kind == LayerKind::Maximum
                                              ? expanded(inputs, storage)
                                              : std::vector<const Tensor*>(inputs.begin(), inputs.end());
    const std::int64_t size = g.size();
    Tensor full; // dL/d(input expanded to the output shape), for broadcast inputs
    for (std::size_t i = 0; i < in.size(); ++i) {
        Tensor* gx = inGrads[i];
        if (!gx)
            continue;
        Tensor& target = m_maps[i].identity() ? *gx : full;
        target.resize(g.shape());
        float* d = target.data();
        if (kind == LayerKind::Add) {
            std::copy_n(g.data(), size, d);
        } else if (kind == LayerKind::Subtract) {
            const float sign = i == 0 ? 1.0f : -1.0f;
            for (std::int64_t j = 0; j < size; ++j)
                d[j] = sign * g[j];
        } else if (kind == LayerKind::Average) {
            const float scale = 1.0f / static_cast<float>(in.size());
            for (std::int64_t j = 0; j < size; ++j)
                d[j] = scale * g[j];
        } else if (kind == LayerKind::Multiply) {
            // The product of the other inputs (no division: inputs may be zero).
            for (std::int64_t j = 0; j < size; ++j) {
                float p = g[j];
                for (std::size_t o = 0; o < in.size(); ++o)
                    if (o != i)
                        p *= (*in[o])[j];
                d[j] = p;
            }
        } else { // Maximum: the first input holding the maximum takes the gradient
            for (std::int64_t j = 0; j < size; ++j) {
                std::size_t best = 0;
                for (std::size_t o = 1; o < in.size(); ++o)
                    if ((*in[o])[j] > (*in[best])[j])
                        best = o;
                d[j] = best == i ? g[j] : 0.0f;
            }
        }
        if (!m_maps[i].identity())
            m_maps[i].reduce(full, *gx); // summed over the broadcast axes
    }
}

} // namespace circnn::nn
