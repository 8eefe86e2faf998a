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
