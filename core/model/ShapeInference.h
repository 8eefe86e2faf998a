#pragma once
// Static checks and figures over a ModelSpec that need no runtime: output shapes, weight-shape
// validation, parameter and multiply-accumulate counts.

#include <cstdint>

#include "model/ModelSpec.h"

namespace circnn {

// Fills LayerSpec::outputShape for every layer (in order) and checks that each layer's inputs
// exist, precede it, and have compatible shapes, and that weights (when present) have the shapes
// the configuration implies. Throws ShapeError naming the model, the layer and the mismatch.
// `checkWeights` = false allows architecture-only specs (hardware estimates).
void inferShapes(ModelSpec& model, bool checkWeights = true);
// inferShapes for an architecture-only model (ModelSpec::weightsLoaded false) whose weight shapes
// are not known from the file: checks what is present or recorded, and records in
// LayerSpec::weightShapes the shape every other weight the layer needs must have.
void inferWeightShapes(ModelSpec& model);

// Per-layer figures for one input sample. Call inferShapes() first.
struct LayerStats {
    std::int64_t parameters = 0;      // stored numbers (block-circulant: p·q·k per matrix)
    std::int64_t denseParameters = 0; // numbers a dense layer of the same shape stores
    std::int64_t macs = 0;            // dense-equivalent multiply-accumulates per sample
};
LayerStats layerStats(const ModelSpec& model, const LayerSpec& layer);
// Sum of layerStats over all layers.
LayerStats modelStats(const ModelSpec& model);

// Spatial output size of a convolution or pooling window along one axis.
std::int64_t convOutputSize(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t dilation,
                            Padding padding);

} // namespace circnn
