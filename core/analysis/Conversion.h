#pragma once
// Converting a model's Dense / Conv2D layers to block-circulant form by Frobenius-optimal
// projection (per ../shared/reference/circulant-method.md). For Conv2D, each spatial tap's
// C_out × C_in matrix is projected.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/UnitReordering.h"
#include "common/Progress.h"
#include "model/ModelSpec.h"

namespace circnn {

// A conversion plan (which layers, which k; model/ConversionPlan.h) plus how to convert.
// Aggregate: ConversionRequest{k, {}, false} sets the plan's defaultBlockSize, perLayer and
// convertOutputLayer; ConversionRequest{plan} takes a whole plan.
struct ConversionRequest : ConversionPlan {
    // Reorder hidden units before projecting (UnitReordering.h): the same function, a smaller
    // projection residual. Off by default here; the command-line tools turn it on.
    bool reorderUnits = false;
    std::uint64_t reorderSeed = 1;
    ProgressFn reorderProgress = {}; // (layers reordered, layers to reorder); false cancels
};

struct LayerConversion {
    std::string layer;
    std::string kind;           // "Dense", "Conv2D"
    std::int64_t blockSize = 1; // 1 when left dense
    bool converted = false;
    std::string reason; // why it was left dense (empty when converted)
    std::int64_t parametersBefore = 0, parametersAfter = 0;
    double compression = 1;      // before / after (weights only)
    double relativeResidual = 0; // ‖W − P(W)‖_F / ‖W‖_F
};

struct ConversionResult {
    ModelSpec model; // converted copy (plan and provenance updated)
    std::vector<LayerConversion> layers;
    std::vector<std::string> warnings;
    // With reorderUnits: what was done per converted layer, and the reordered dense model (the
    // input model's function, its hidden units in the converted model's order — the reference
    // to compare the converted model's layers with, e.g. as a distillation teacher).
    std::vector<LayerReordering> reordering;
    std::optional<ModelSpec> reorderedSource;
};

// Throws Error for unknown layer names in perLayer, k < 1, or layers already block-circulant at a
// different k. Layers whose dimensions are smaller than k, the output layer (by default) and
// layers with C_in < k are left dense with a reason. With request.reorderUnits, the layers to be
// converted have their hidden units reordered first (function-preserving), then are projected.
ConversionResult convertModel(const ModelSpec& model, const ConversionRequest& request);

// What convertModel(model, request) would do per Dense / Conv2D layer (block size, converted or
// the reason to stay dense, parameters before), without projecting anything (parametersAfter,
// compression and relativeResidual are not filled). Same errors as convertModel.
std::vector<LayerConversion> planConversion(const ModelSpec& model, const ConversionRequest& request);

// Expands a block-circulant layer back to a dense kernel in Keras layout (slow reference path).
Tensor expandedKernel(const LayerSpec& layer);

} // namespace circnn
