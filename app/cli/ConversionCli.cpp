#include "ConversionCli.h"

#include <iomanip>
#include <ostream>

#include "TerminalProgress.h"
#include "io/ConversionPlanFile.h"

namespace circnn::cli {

void addReorderFlag(ArgParser& parser)
{
    parser.flag("no-reorder", "Keep the hidden units in their order. By default the units of every layer to be "
                              "converted are first reordered (function-preserving: the next layer's inputs are "
                              "permuted to match) so that the projection keeps more of each layer.");
}

ConversionRequest conversionRequestFromArgs(const ArgParser& p, const std::string& outputFlag, std::ostream& err)
{
    ConversionRequest request;
    if (p.given("plan"))
        static_cast<ConversionPlan&>(request) = readConversionPlan(p.get("plan"));
    if (p.given("k")) {
        request.defaultBlockSize = p.getInt("k", 1);
        if (request.defaultBlockSize < 1)
            throw ArgError("-k must be at least 1, got " + p.get("k"));
    }
    if (p.given(outputFlag))
        request.convertOutputLayer = true;
    request.reorderUnits = !p.given("no-reorder");
    request.reorderProgress = terminalProgress(err, "reordering units, layer");
    return request;
}

void calibrationFromArgs(const ArgParser& p, std::int64_t& samples, double& relativeRidge)
{
    samples = p.getInt("calibration", 1);
    if (samples < 1)
        throw ArgError("--calibration must be >= 1, got " + p.get("calibration"));
    relativeRidge = p.getDouble("ridge");
    if (!(relativeRidge >= 0))
        throw ArgError("--ridge must be >= 0, got " + p.get("ridge"));
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
