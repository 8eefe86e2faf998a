// `circnn convert MODEL (-k K | --plan FILE) -o OUT`: flags -> ConvertConfig -> convertModel
// (core/analysis/ConvertWorkflow.h): projects Dense / Conv2D layers to block-circulant form and
// saves the native format, printing per-layer figures. With --calibrate DATA the Dense layers get
// the data-aware (output-matching) projection on the first --calibration samples of DATA.

#include <algorithm>
#include <iomanip>
#include <ostream>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "ConversionCli.h"
#include "analysis/ConvertWorkflow.h"
#include "analysis/WorkflowJson.h"

namespace circnn::cli {

namespace {

int runConvert(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    ArgParser p("circnn convert", "Convert a model's Dense/Conv2D layers to block-circulant form (native format).");
    p.positional("MODEL", "Model file (.h5, .keras, .circnn.h5).");
    p.option("k", "K", "Block size for every eligible layer.", "", 'k');
    p.option("plan", "FILE",
             "Conversion plan JSON: {\"default_k\": 8, \"layers\": {\"dense_1\": 16}, "
             "\"convert_output_layer\": false}.");
    p.option("output", "OUT", "Output file (native format, e.g. model.circnn.h5).", "", 'o');
    p.flag("convert-output-layer", "Also convert the model's output layer (left dense by default).");
    addReorderFlag(p);
    p.flag("json", "Print the per-layer figures as JSON.");
    p.flag("force", "Replace an existing OUT that is not a native model (e.g. a Keras .h5).");
    p.option("calibrate", "DATA",
             "Data-aware projection: fit each converted Dense layer so its outputs on samples "
             "of DATA (images as for `circnn train --data`) match the original model's, "
             "layers in order (Conv2D layers keep the Frobenius projection).");
    p.option("calibration", "N", "--calibrate: number of samples used (the first N of DATA).", "2000");
    p.option("ridge", "R", "--calibrate: ridge toward the Frobenius projection, relative to trace(G)/dim.", "0.001");
    p.epilog("Layers smaller than k and the output layer (unless --convert-output-layer) stay dense;\n"
             "the table says why. Compression counts weights only (biases stay dense).\n"
             "Hidden units are reordered before the projection unless --no-reorder: which units share a\n"
             "k x k block decides how much of a layer its block-circulant projection keeps, and permuting a\n"
             "layer's outputs together with the next layer's inputs does not change the network. The saved\n"
             "model's hidden units are therefore in a different order than the source's.");
    if (!p.parse(args, out))
        return 0;
    if (p.given("k") == p.given("plan"))
        throw ArgError("give exactly one of -k K and --plan FILE");
    if (!p.given("output"))
        throw ArgError("-o OUT is required");
    ConvertConfig config;
    config.conversion = conversionRequestFromArgs(p, "convert-output-layer", err);
    if (p.given("calibrate")) {
        config.calibration.path = p.get("calibrate");
        calibrationFromArgs(p, config.calibrationSamples, config.relativeRidge);
    }
    config.model = ModelSource::file(p.get("MODEL"));
    config.output = p.get("output");
    config.save.createdBy = std::string("circnn convert ") + CIRCNN_VERSION;
    config.save.force = p.given("force");
    const ConvertResult r = convertModel(config);

    if (p.given("json")) {
        out << toJson(r).dump(1) << "\n";
        return 0;
    }
    const ConversionResult& result = r.conversion;
    for (const auto& w : result.warnings)
        err << "warning: " << w << "\n";
    std::size_t width = 5;
    for (const auto& c : result.layers)
        width = std::max(width, std::min<std::size_t>(c.layer.size(), 40));
    out << std::left << std::setw(static_cast<int>(width) + 2) << "layer" << std::setw(8) << "kind" << std::right
        << std::setw(5) << "k" << std::setw(12) << "params" << std::setw(12) << "after" << std::setw(10) << "compr."
        << std::setw(11) << "residual"
        << "  note\n";
    for (const auto& c : result.layers) {
        const std::string name = c.layer.size() > 40 ? c.layer.substr(0, 37) + "..." : c.layer;
        out << std::left << std::setw(static_cast<int>(width) + 2) << name << std::setw(8) << c.kind << std::right
            << std::setw(5) << c.blockSize << std::setw(12) << c.parametersBefore << std::setw(12) << c.parametersAfter
            << std::fixed << std::setprecision(2) << std::setw(9) << c.compression << "x" << std::setprecision(4)
            << std::setw(11) << c.relativeResidual << "  " << (c.converted ? "block-circulant" : "dense: " + c.reason)
            << "\n";
        out.unsetf(std::ios::floatfield);
    }
    if (!result.reordering.empty()) {
        out << "\nhidden units reordered before projection (the dense model's function is unchanged):\n";
        printReordering(out, result.reordering);
    }
    if (r.dataAware) {
        out << "\ndata-aware projection on " << r.dataAware->calibrationSamples
            << " calibration samples, relative output error (Frobenius -> data-aware):\n";
        for (const DataAwareLayerReport& l : r.dataAware->layers)
            out << "  " << l.layer << ": "
                << (l.dataAware
                        ? std::to_string(l.frobeniusOutputError) + " -> " + std::to_string(l.dataAwareOutputError)
                        : "Frobenius kept (" + l.reason + ")")
                << "\n";
    }
    out << "\nparameters " << r.parametersBefore << " -> " << r.parametersAfter << " (" << std::fixed
        << std::setprecision(2) << r.compression << "x); saved " << r.output << "\n";
    out.unsetf(std::ios::floatfield);
    return 0;
}

const CommandRegistrar registrar({"convert", "Convert Dense/Conv2D layers to block-circulant form and save it.",
                                  runConvert});

} // namespace

} // namespace circnn::cli
