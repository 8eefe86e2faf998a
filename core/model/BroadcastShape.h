#pragma once
// Keras merge broadcasting (Add, Multiply, Subtract, Average, Maximum, Minimum): per-sample shapes
// (no batch axis) are aligned on their last axes, a missing leading axis counts as 1 (Keras inserts
// axes of size 1 after the batch axis into the lower-rank inputs), and along every axis the sizes
// must be equal or one of them 1. E.g. a squeeze-excitation gate (1, 1, C) × features (H, W, C)
// gives (H, W, C).

#include <optional>

#include "model/ModelSpec.h"

namespace circnn {

// The broadcast shape of `a` and `b`, or nullopt when they do not broadcast.
std::optional<Shape> broadcastShapes(const Shape& a, const Shape& b);

} // namespace circnn
