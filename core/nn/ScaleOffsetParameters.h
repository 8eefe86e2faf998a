#pragma once
// The trainable parameters of the normalisation layers (BatchNormalization, LayerNormalization):
// "gamma" then "beta", each only when present (scale / center), as spans into the layer's copies.

#include <string>
#include <vector>

#include "common/Tensor.h"
#include "nn/Model.h"

namespace circnn::nn {

inline std::vector<ParameterRef> scaleOffsetParameters(const std::string& layer, Tensor& gamma, Tensor& beta)
{
    std::vector<ParameterRef> p;
    if (!gamma.empty())
        p.push_back({layer, "gamma", {gamma.data(), static_cast<std::size_t>(gamma.size())}});
    if (!beta.empty())
        p.push_back({layer, "beta", {beta.data(), static_cast<std::size_t>(beta.size())}});
    return p;
}

} // namespace circnn::nn
