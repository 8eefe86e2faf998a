#pragma once
// JSON form of an Estimate (for `circnn estimate --json` and reports). Keys carry units
// ("latency_s", "energy_pj", "weight_bits"); the document says "schema": "circnn.estimate/1" and
// "kind": "estimate".

#include <nlohmann/json_fwd.hpp>

#include "hw/Estimate.h"

namespace circnn::hw {

nlohmann::ordered_json estimateToJson(const Estimate& estimate);
nlohmann::ordered_json designToJson(const DesignEstimate& design);

} // namespace circnn::hw
