#include "ConversionCli.h"

#include <iomanip>
#include <ostream>

namespace circnn::cli {

void addReorderFlag(ArgParser& parser)
{
    parser.flag("no-reorder", "Keep the hidden units in their order. By default the units of every layer to be "
                              "converted are first reordered (function-preserving: the next layer's inputs are "
                              "permuted to match) so that the projection keeps more of each layer.");
}

nlohmann::json reorderingToJson(const std::vector<LayerReordering>& layers, bool snakeCase)
{
    nlohmann::json j = nlohmann::json::array();
    for (const LayerReordering& r : layers)
        j.push_back({{"layer", r.layer},
                     {"reordered", r.reordered},
                     {"reason", r.reason},
                     {"consumer", r.consumer},
                     {snakeCase ? "residual_before" : "residualBefore", r.residualBefore},
                     {snakeCase ? "residual_after" : "residualAfter", r.residualAfter},
                     {"steps", r.steps}});
    return j;
}

void printReordering(std::ostream& out, const std::vector<LayerReordering>& layers)
{
    const auto flags = out.flags();
    const auto precision = out.precision();
    for (const LayerReordering& r : layers) {
        out << "  " << r.layer << ": ";
        if (r.reordered)
            out << "units reordered (inputs of " << r.consumer << " to match), projection residual " << std::fixed
                << std::setprecision(3) << r.residualBefore << " -> " << r.residualAfter << "\n";
        else
            out << "units kept in order (" << r.reason << ")\n";
    }
    out.flags(flags);
    out.precision(precision);
}

} // namespace circnn::cli
