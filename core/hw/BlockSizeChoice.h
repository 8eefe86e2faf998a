#pragma once
// Which block size each weighted layer gets in an estimate. The rules mirror convertModel
// (core/analysis/Conversion.h) so that an estimate describes the model `circnn convert` would
// produce; plan files ({"default_k": 8, "layers": {"fc1": 16}}) are parsed by core/analysis
// (readConversionPlan) and mapped onto this struct by the caller (core/hw cannot depend on analysis).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/ModelSpec.h"

namespace circnn::hw {

struct BlockSizeChoice {
    std::int64_t defaultK = 1;                    // for every eligible Dense/Conv2D layer (0 or 1 = none)
    std::map<std::string, std::int64_t> perLayer; // by layer name; overrides defaultK
    bool includeOutputLayer = false;              // defaultK skips the model's output layer unless set
};

// A plan as ModelSpec stores it (layer → k): every named layer at its k, nothing by default.
BlockSizeChoice blockSizeChoiceFromPlan(const ConversionPlan& plan);

// The block size of each Dense/Conv2D layer of `spec` (call inferShapes first) under `choice`:
// - a layer already block-circulant in the spec keeps its own k (a different request is a warning);
// - perLayer entries apply to the named layer (unknown names, layers without weights and k < 1
//   throw ShapeError), the output layer included;
// - defaultK applies to the other Dense/Conv2D layers except the output layer (the weighted layer
//   behind the first model output, unless includeOutputLayer);
// - a layer whose weight matrix (Dense: in × out; Conv2D: C_in × C_out) has a dimension below k
//   stays dense, with a note and a warning (its blocks would be mostly zero padding).
// Layers that end up with k = 1 are absent from the result. `notes` receives layer → reason.
std::map<std::string, std::int64_t> resolveBlockSizes(const ModelSpec& spec, const BlockSizeChoice& choice,
                                                      std::vector<std::string>& warnings,
                                                      std::map<std::string, std::string>& notes);

} // namespace circnn::hw
