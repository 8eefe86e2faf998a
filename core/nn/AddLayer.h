#pragma once
// Add: element-wise sum of two or more inputs, broadcast as in Keras. The arithmetic, broadcasting
// and gradient are MergeLayer's (nn/MergeLayer.h), which handles LayerKind::Add like the other
// element-wise merges.

#include "nn/MergeLayer.h"

namespace circnn::nn {

class AddLayer final : public MergeLayer {
public:
    using MergeLayer::MergeLayer;
};

} // namespace circnn::nn
