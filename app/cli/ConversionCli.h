#pragma once
// Pieces shared by the commands that convert models (convert, eval -k, finetune): the unit
// reordering flag and its text report (the JSON one is reorderingToJson, analysis/WorkflowJson.h).

#include <iosfwd>
#include <vector>

#include "ArgParser.h"
#include "analysis/UnitReordering.h"

namespace circnn::cli {

// The --no-reorder flag and its help text (the same wording in every command).
void addReorderFlag(ArgParser& parser);

// One line per reordered layer ("  dense: units reordered, projection residual 0.867 -> 0.790"),
// nothing when no layer was considered.
void printReordering(std::ostream& out, const std::vector<LayerReordering>& layers);

} // namespace circnn::cli
