#include "nn/EmbeddingLayer.h"

#include <algorithm>
#include <cmath>

#include "common/Error.h"

namespace circnn::nn {

void EmbeddingLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    m_vocabulary = m_spec->inputDim;
    m_dim = m_spec->units;
    m_table = m_spec->embeddings;
    checkFinite(m_table, "embeddings");
    if (m_table.shape() != Shape{m_vocabulary, m_dim})
        throw Error(where() + "embeddings have shape " + shapeToString(m_table.shape()) + ", expected (" +
                    std::to_string(m_vocabulary) + ", " + std::to_string(m_dim) + ")");
}

std::int64_t EmbeddingLayer::row(const Tensor& ids, std::int64_t i) const
{
    const float v = ids[i];
    if (!(v >= 0.0f) || v >= static_cast<float>(m_vocabulary) || std::floor(v) != v)
        throw Error(where() + "token id " + std::to_string(v) + " at position " + std::to_string(i) +
                    " is not an integer in [0, " + std::to_string(m_vocabulary) + ")");
    return static_cast<std::int64_t>(v);
}

void EmbeddingLayer::forward(Inputs inputs, Tensor& out) const
{
    const Tensor& ids = *inputs[0];
    Shape s = ids.shape();
    s.push_back(m_dim);
    out.resize(s);
    for (std::int64_t i = 0; i < ids.size(); ++i)
        std::copy_n(m_table.data() + row(ids, i) * m_dim, m_dim, out.data() + i * m_dim);
}

void EmbeddingLayer::backward(Inputs inputs, const Tensor&, const Tensor& outGrad, const LayerCache&,
                              std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const
{
    const Tensor& ids = *inputs[0];
    paramGrads[0] = Tensor(m_table.shape(), 0.0f);
    for (std::int64_t i = 0; i < ids.size(); ++i) {
        float* dst = paramGrads[0].data() + row(ids, i) * m_dim;
        const float* src = outGrad.data() + i * m_dim;
        for (std::int64_t j = 0; j < m_dim; ++j)
            dst[j] += src[j];
    }
    if (inGrads[0]) // ids are not differentiable
        *inGrads[0] = Tensor(ids.shape(), 0.0f);
}

std::vector<ParameterRef> EmbeddingLayer::parameters()
{
    return {{name(), "embeddings", {m_table.data(), static_cast<std::size_t>(m_table.size())}}};
}

void EmbeddingLayer::storeParameters(LayerSpec& spec) const
{
    spec.embeddings = m_table;
}

} // namespace circnn::nn
