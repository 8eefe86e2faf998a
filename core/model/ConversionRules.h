#pragma once
// Rules shared by everything that decides which layers become block-circulant: model conversion
// (core/analysis) and hardware estimates (core/hw) must agree on them.

#include <cstdint>
#include <map>
#include <string>

#include "model/ModelSpec.h"

namespace circnn {

// The layer whose weights produce the model output: the output layer itself or, when the output
// is an Activation / Dropout / Flatten / Reshape / BatchNormalization, the weighted layer behind it.
// Empty for an empty model.
std::string outputWeightLayer(const ModelSpec& model);

// Checks a per-layer block-size map against the model: every named layer exists, is Dense or
// Conv2D, and has k ≥ 1. Throws ShapeError naming the model and the layer.
void checkPlanLayers(const ModelSpec& model, const std::map<std::string, std::int64_t>& perLayer);

} // namespace circnn
