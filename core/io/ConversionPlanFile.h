#pragma once
// Conversion plans as JSON (`circnn convert|finetune|estimate --plan FILE`; the one parser):
//   {"default_k": 8, "layers": {"dense_1": 16, "dense_2": 1}, "convert_output_layer": false}
// All keys are optional; block sizes are integers ≥ 1 (1 = keep the layer dense), default_k may be
// 0 (= convert only the listed layers). Unknown keys are errors (a typo must not be ignored).
// Layer names are checked against the model later, by decideBlockSizes (model/ConversionRules.h).

#include <filesystem>
#include <string>

#include "model/ConversionPlan.h"

namespace circnn {

// Throws FormatError naming what is wrong (JSON syntax with position, wrong types, k < 1, unknown keys).
ConversionPlan parseConversionPlan(const std::string& jsonText);
// Reads and parses a plan file; errors name the file.
ConversionPlan readConversionPlan(const std::filesystem::path& file);

// The plan as JSON text that parseConversionPlan reads back to an equal plan (the desktop app's
// plan editor saves it).
std::string conversionPlanToJson(const ConversionPlan& plan);
// Writes the plan file atomically (temporary file + rename); throws Error naming the file for a
// block size out of range or when it cannot be written.
void writeConversionPlan(const ConversionPlan& plan, const std::filesystem::path& file);

} // namespace circnn
