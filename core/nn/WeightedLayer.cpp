#include "nn/WeightedLayer.h"

namespace circnn::nn {

std::vector<ParameterRef> WeightedLayer::parameters()
{
    std::vector<ParameterRef> p;
    if (m_matrix)
        p.push_back({name(), "vectors", {m_vectors.data(), static_cast<std::size_t>(m_vectors.size())}});
    else
        p.push_back({name(), "kernel", {m_kernel.data(), static_cast<std::size_t>(m_kernel.size())}});
    if (!m_bias.empty())
        p.push_back({name(), "bias", {m_bias.data(), static_cast<std::size_t>(m_bias.size())}});
    return p;
}

void WeightedLayer::biasGradient(const Tensor& gz, std::int64_t units, Tensor& out)
{
    std::vector<double> acc(static_cast<std::size_t>(units), 0.0);
    for (std::int64_t i = 0; i < gz.size(); i += units)
        for (std::int64_t o = 0; o < units; ++o)
            acc[static_cast<std::size_t>(o)] += gz[i + o];
    out.resize({units});
    for (std::int64_t o = 0; o < units; ++o)
        out[o] = static_cast<float>(acc[static_cast<std::size_t>(o)]);
}

void WeightedLayer::storeParameters(LayerSpec& spec) const
{
    if (m_matrix)
        spec.circulant->vectors = m_vectors;
    else
        spec.kernel = m_kernel;
    if (!m_bias.empty())
        spec.bias = m_bias;
}

} // namespace circnn::nn
