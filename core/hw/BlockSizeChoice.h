#pragma once
// Which block size each weighted layer gets in an estimate: the shared decision rule
// (decideBlockSizes, model/ConversionRules.h) applied to a ConversionPlan, so that an estimate
// describes the model `circnn convert` would produce. Plan files are parsed by io/ConversionPlanFile.h.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/ConversionPlan.h"
#include "model/ModelSpec.h"

namespace circnn::hw {

// The block size of each Dense/Conv2D layer of `spec` (call inferShapes first) under `plan`, by
// decideBlockSizes. Differences from a conversion: a layer already block-circulant at another k
// keeps its own k with a warning (instead of an error); a layer too small for k is also reported
// as a warning. Layers that end up with k = 1 are absent from the result; `notes` receives
// layer → reason for the output layer and the layers too small for their k.
std::map<std::string, std::int64_t> resolveBlockSizes(const ModelSpec& spec, const ConversionPlan& plan,
                                                      std::vector<std::string>& warnings,
                                                      std::map<std::string, std::string>& notes);

} // namespace circnn::hw
