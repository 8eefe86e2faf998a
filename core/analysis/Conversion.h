#pragma once
// Converting a model's Dense / Conv2D layers to block-circulant form by Frobenius-optimal
// projection (per ../shared/reference/circulant-method.md). For Conv2D, each spatial tap's
// C_out × C_in matrix is projected.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/ModelSpec.h"

namespace circnn {

struct ConversionRequest {
    std::int64_t defaultBlockSize = 0;                  // for every eligible layer (0 = none)
    std::map<std::string, std::int64_t> perLayer;       // block size by layer name (overrides)
    bool convertOutputLayer = false;                    // the model's output layer stays dense unless set
};

struct LayerConversion {
    std::string layer;
    std::string kind;                // "Dense", "Conv2D"
    std::int64_t blockSize = 1;      // 1 when left dense
    bool converted = false;
    std::string reason;              // why it was left dense (empty when converted)
    std::int64_t parametersBefore = 0, parametersAfter = 0;
    double compression = 1;          // before / after (weights only)
    double relativeResidual = 0;     // ‖W − P(W)‖_F / ‖W‖_F
};

struct ConversionResult {
    ModelSpec model;                 // converted copy (plan and provenance updated)
    std::vector<LayerConversion> layers;
    std::vector<std::string> warnings;
};

// Throws Error for unknown layer names in perLayer, k < 1, or layers already block-circulant at a
// different k. Layers whose dimensions are smaller than k, the output layer (by default) and
// layers with C_in < k are left dense with a reason.
ConversionResult convertModel(const ModelSpec& model, const ConversionRequest& request);

// Expands a block-circulant layer back to a dense kernel in Keras layout (slow reference path).
Tensor expandedKernel(const LayerSpec& layer);

} // namespace circnn
