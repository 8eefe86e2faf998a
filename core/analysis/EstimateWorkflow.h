#pragma once
// estimateModel (workflow form): the hardware cost model (core/hw) for a model file, a model in
// memory or an architecture string, over a list of block sizes or one conversion plan.
// `circnn estimate` prints it; the desktop app's hardware view and the sweeps call it.

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/WorkflowSources.h"
#include "common/Progress.h"
#include "hw/Estimate.h"
#include "hw/Platform.h"
#include "model/ConversionPlan.h"

namespace circnn {

struct EstimateConfig {
    // The model: `model` (file or memory), or, when `architecture` is set, an architecture string
    // (784-256-10 or the CNN shorthand; Dense layers named fc1, fc2, ...; no weights needed).
    ModelSource model;
    std::string architecture;
    hw::Platform platform; // e.g. hw::findPlatform("xcku060")
    hw::Precision precision = hw::Precision::Fixed16;
    std::int64_t batch = 1; // frames processed together
    // One estimate per entry of blockSizes (the plan with defaultBlockSize = k); with blockSizes
    // empty, one estimate of `plan` (the default plan: the model's own block-circulant layers).
    ConversionPlan plan;
    std::vector<std::int64_t> blockSizes;
    ProgressFn progress; // (estimates done, estimates); false cancels
};

struct EstimateResult {
    std::vector<hw::Estimate> estimates; // in the order of blockSizes (or one)
};

// Throws Error / ShapeError for unreadable models, bad architecture strings, k < 1 or a bad plan;
// Cancelled on request.
EstimateResult estimateModel(const EstimateConfig& config);

// The model an architecture string describes, as estimates read it: no weights, Dense layers named
// fc1, fc2, ..., the model named by the string.
ModelSpec architectureForEstimate(const std::string& text);

// How a front end tells a MODEL argument apart: true when `text` is an architecture shorthand and
// no file of that name exists.
bool looksLikeArchitecture(const std::string& text);

} // namespace circnn
