#pragma once
// Conversion plans as JSON (for `circnn convert --plan FILE`):
//   {"default_k": 8, "layers": {"dense_1": 16, "dense_2": 1}, "convert_output_layer": false}
// All keys are optional; block sizes are integers ≥ 1 (1 = keep the layer dense), default_k may be
// 0 (= convert only the listed layers). Unknown keys are errors (a typo must not be ignored).
// Layer names are checked against the model later, by convertModel().

#include <filesystem>
#include <string>

#include "analysis/Conversion.h"

namespace circnn {

// Throws FormatError naming what is wrong (JSON syntax with position, wrong types, k < 1, unknown keys).
ConversionRequest parseConversionPlan(const std::string& jsonText);
// Reads and parses a plan file; errors name the file.
ConversionRequest readConversionPlan(const std::filesystem::path& file);

} // namespace circnn
