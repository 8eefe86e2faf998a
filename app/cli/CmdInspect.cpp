// `circnn inspect MODEL`: inspectModel (core/analysis/InspectWorkflow.h) printed as a layer table
// (output shape, parameters, MACs, representation), totals and per-tensor weight statistics, or
// toJson(InspectResult).

#include <algorithm>
#include <iomanip>
#include <ostream>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "analysis/InspectWorkflow.h"
#include "analysis/WorkflowJson.h"

namespace circnn::cli {

namespace {

// "circulant k=4 (3x2)", "dense" or "-" for the layer table.
std::string representation(const LayerSummary& l)
{
    if (l.representation == "circulant")
        return "circulant k=" + std::to_string(l.blockSize) + " (" + std::to_string(l.blockRows) + "x" +
               std::to_string(l.blockCols) + ")";
    return l.representation == "dense" ? "dense" : "-";
}

int runInspect(const std::vector<std::string>& args, std::ostream& out, std::ostream&)
{
    ArgParser p("circnn inspect",
                "Show a model's layers, parameter and MAC counts, representation and weight statistics.");
    p.positional("MODEL", "Model file (.h5, .keras, .circnn.h5).");
    p.flag("json", "Print one JSON object instead of tables.");
    if (!p.parse(args, out))
        return 0;
    InspectConfig config;
    config.model = ModelSource::file(p.get("MODEL"));
    const InspectResult r = inspectModel(config);
    if (p.given("json")) {
        out << toJson(r).dump(1) << "\n";
        return 0;
    }

    const Provenance& prov = r.provenance;
    out << r.file << "  (" << r.format << ")\n";
    out << "model '" << r.name << "'";
    if (!prov.kerasVersion.empty())
        out << ", Keras " << prov.kerasVersion;
    if (r.format == "circnn" && !prov.sourceFile.empty())
        out << ", from " << prov.sourceFile;
    if (!prov.createdAt.empty())
        out << ", created " << prov.createdAt;
    out << "\n";
    if (!prov.createdBy.empty())
        out << "made by " << prov.createdBy << "\n";
    if (!prov.notes.empty())
        out << "notes: " << prov.notes << "\n";
    if (r.bestEpoch) {
        out << "trained " << prov.history.size() << (prov.history.size() == 1 ? " epoch" : " epochs")
            << "; best validation accuracy " << std::fixed << std::setprecision(2) << 100.0 * r.bestEpoch->valAccuracy
            << "% (epoch " << r.bestEpoch->epoch << ")\n";
        out.unsetf(std::ios::floatfield);
    }
    out << "\n";
    std::size_t nameWidth = 5, classWidth = 5;
    for (const LayerSummary& l : r.layers) {
        nameWidth = std::max(nameWidth, std::min<std::size_t>(l.name.size(), 40));
        classWidth = std::max(classWidth, l.className.size());
    }
    out << std::left << std::setw(static_cast<int>(nameWidth) + 2) << "layer"
        << std::setw(static_cast<int>(classWidth) + 2) << "class" << std::setw(16) << "output" << std::right
        << std::setw(12) << "params" << std::setw(14) << "MACs"
        << "  representation\n";
    for (const LayerSummary& l : r.layers) {
        const std::string name = l.name.size() > 40 ? l.name.substr(0, 37) + "..." : l.name;
        const std::string rep = representation(l);
        out << std::left << std::setw(static_cast<int>(nameWidth) + 2) << name
            << std::setw(static_cast<int>(classWidth) + 2) << l.className << std::setw(16)
            << shapeToString(l.outputShape) << std::right << std::setw(12) << l.parameters << std::setw(14) << l.macs
            << "  " << rep;
        if (l.activation != "linear")
            out << (rep == "-" ? " " : ", ") << l.activation;
        out << "\n";
    }
    out << "\ntotal: " << r.parameters << " parameters stored (" << r.denseParameters
        << " dense-equivalent, compression " << std::fixed << std::setprecision(2) << r.compression << "x), " << r.macs
        << " MACs per sample\n";
    out.unsetf(std::ios::floatfield);
    if (!r.weights.empty()) {
        out << "\nweight statistics\n";
        out << std::left << std::setw(static_cast<int>(nameWidth) + 2) << "layer" << std::setw(17) << "tensor"
            << std::setw(20) << "shape" << std::right << std::setw(11) << "min" << std::setw(11) << "max"
            << std::setw(11) << "mean" << std::setw(11) << "std" << std::setw(10) << "sparsity\n";
        for (const TensorStatistics& w : r.weights) {
            const std::string name = w.layer.size() > 40 ? w.layer.substr(0, 37) + "..." : w.layer;
            out << std::left << std::setw(static_cast<int>(nameWidth) + 2) << name << std::setw(17) << w.role
                << std::setw(20) << shapeToString(w.shape) << std::right << std::setprecision(4) << std::setw(11)
                << w.min << std::setw(11) << w.max << std::setw(11) << w.mean << std::setw(11) << w.std << std::setw(9)
                << std::fixed << std::setprecision(3) << w.sparsity << "\n";
            out.unsetf(std::ios::floatfield);
        }
    }
    return 0;
}

const CommandRegistrar registrar({"inspect", "Show a model's layers, sizes, representation and weight statistics.",
                                  runInspect});

} // namespace

} // namespace circnn::cli
