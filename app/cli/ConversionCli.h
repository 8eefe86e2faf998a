#pragma once
// Pieces shared by the commands that convert models (convert, eval -k, finetune): the unit
// reordering flag and its text report (the JSON one is reorderingToJson, analysis/WorkflowJson.h).

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "ArgParser.h"
#include "analysis/Conversion.h"
#include "analysis/UnitReordering.h"

namespace circnn::cli {

// The --no-reorder flag and its help text (the same wording in every command).
void addReorderFlag(ArgParser& parser);

// The conversion flags: -k K and/or --plan FILE (when both are declared and given, -k replaces the
// plan's default_k), the output-layer flag named `outputFlag`, and --no-reorder (a terminal
// progress line while reordering). ArgError for k < 1.
ConversionRequest conversionRequestFromArgs(const ArgParser& parser, const std::string& outputFlag, std::ostream& err);

// --calibration N and --ridge R of the data-aware projection (ArgError when out of range).
void calibrationFromArgs(const ArgParser& parser, std::int64_t& samples, double& relativeRidge);

// One line per reordered layer ("  dense: units reordered, projection residual 0.867 -> 0.790"),
// nothing when no layer was considered.
void printReordering(std::ostream& out, const std::vector<LayerReordering>& layers);

} // namespace circnn::cli
