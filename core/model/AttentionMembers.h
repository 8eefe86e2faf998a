#pragma once
// The four projections of a MultiHeadAttention LayerSpec, in the one order used everywhere:
// query, key, value, output (the order of LayerSpec::attentionCirculant and of
// shape_rules::attentionProjections). Use as `layer.*kAttentionKernels[p]`.

#include "model/ModelSpec.h"

namespace circnn {

inline constexpr Tensor LayerSpec::*kAttentionKernels[4] = {&LayerSpec::queryKernel, &LayerSpec::keyKernel,
                                                            &LayerSpec::valueKernel, &LayerSpec::outputKernel};
inline constexpr Tensor LayerSpec::*kAttentionBiases[4] = {&LayerSpec::queryBias, &LayerSpec::keyBias,
                                                           &LayerSpec::valueBias, &LayerSpec::outputBias};

} // namespace circnn
