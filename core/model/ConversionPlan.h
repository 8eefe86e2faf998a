#pragma once
// The one conversion-plan type: which Dense / Conv2D layers become block-circulant and at which
// block size k. Used by conversion (core/analysis), hardware estimates (core/hw), architecture
// building (training from scratch) and stored in a ModelSpec as the plan that produced it.
// The rule that applies a plan to a model is decideBlockSizes (model/ConversionRules.h); the JSON
// plan file is parsed by io/ConversionPlanFile.h.

#include <cstdint>
#include <map>
#include <string>

namespace circnn {

struct ConversionPlan {
    // Block size for every eligible Dense / Conv2D layer: 0 = none (only the layers named in
    // perLayer convert), 1 = dense.
    std::int64_t defaultBlockSize = 0;
    // Block size by layer name (≥ 1; 1 = keep dense); overrides defaultBlockSize and applies to the
    // output layer too.
    std::map<std::string, std::int64_t> perLayer;
    // defaultBlockSize skips the model's output layer (the weighted layer behind the first output)
    // unless this is set.
    bool convertOutputLayer = false;

    bool operator==(const ConversionPlan&) const = default;
};

} // namespace circnn
