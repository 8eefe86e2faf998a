// `circnn convert MODEL (-k K | --plan FILE) -o OUT`: projects Dense / Conv2D layers to
// block-circulant form and saves the native format, printing per-layer figures. With
// --calibrate DATA the Dense layers get the data-aware (output-matching) projection
// (convertModelDataAware) on the first --calibration samples of DATA instead of the Frobenius one.

#include <iomanip>
#include <ostream>

#include <nlohmann/json.hpp>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "ConversionCli.h"
#include "TerminalProgress.h"
#include "analysis/Conversion.h"
#include "analysis/ConversionPlanFile.h"
#include "analysis/DataAwareProjection.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"
#include "nn/Model.h"

#ifndef CIRCNN_VERSION
#define CIRCNN_VERSION "unknown"
#endif

namespace circnn::cli {

namespace {

using nlohmann::json;

int runConvert(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    ArgParser p("circnn convert", "Convert a model's Dense/Conv2D layers to block-circulant form (native format).");
    p.positional("MODEL", "Model file (.h5, .keras, .circnn.h5).");
    p.option("k", "K", "Block size for every eligible layer.", "", 'k');
    p.option("plan", "FILE", "Conversion plan JSON: {\"default_k\": 8, \"layers\": {\"dense_1\": 16}, "
                             "\"convert_output_layer\": false}.");
    p.option("output", "OUT", "Output file (native format, e.g. model.circnn.h5).", "", 'o');
    p.flag("convert-output-layer", "Also convert the model's output layer (left dense by default).");
    addReorderFlag(p);
    p.flag("json", "Print the per-layer figures as JSON.");
    p.flag("force", "Replace an existing OUT that is not a native model (e.g. a Keras .h5).");
    p.option("calibrate", "DATA", "Data-aware projection: fit each converted Dense layer so its outputs on samples "
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
    checkModelReplaceable(p.get("output"), ModelFormat::Native, ModelWriteOptions{p.given("force")});
    ConversionRequest request;
    if (p.given("k")) {
        request.defaultBlockSize = p.getInt("k", 1);
        if (request.defaultBlockSize < 1)
            throw ArgError("-k must be at least 1, got " + p.get("k"));
    } else {
        request = readConversionPlan(p.get("plan"));
    }
    if (p.given("convert-output-layer"))
        request.convertOutputLayer = true;
    request.reorderUnits = !p.given("no-reorder");
    request.reorderProgress = terminalProgress(err, "reordering units, layer");

    const std::string input = p.get("MODEL");
    const ModelSpec model = readModel(input);
    ConversionResult result;
    std::vector<DataAwareLayerReport> report;
    std::int64_t calibrationSamples = 0;
    if (p.given("calibrate")) {
        DatasetOptions d;
        d.limit = p.getInt("calibration", 1);
        if (d.limit < 1)
            throw ArgError("--calibration must be >= 1, got " + p.get("calibration"));
        const double ridge = p.getDouble("ridge");
        if (!(ridge >= 0))
            throw ArgError("--ridge must be >= 0, got " + p.get("ridge"));
        Dataset calib = readDataset(p.get("calibrate"), d);
        fitDatasetToInput(calib, Model(model).inputShape());
        calibrationSamples = calib.count();
        result = convertModelDataAware(model, request, calib.images, ridge, {}, &report);
    } else {
        result = convertModel(model, request);
    }
    result.model.provenance.createdBy = std::string("circnn convert ") + CIRCNN_VERSION;
    result.model.provenance.createdAt.clear();  // the writer stamps the current time
    if (result.model.provenance.sourceFile.empty())
        result.model.provenance.sourceFile = input;
    const std::string output = p.get("output");
    writeNativeModel(result.model, output, ModelWriteOptions{p.given("force")});

    const std::int64_t before = modelStats(model).parameters;
    ModelSpec converted = result.model;
    inferShapes(converted);
    const std::int64_t after = modelStats(converted).parameters;

    if (p.given("json")) {
        json j;
        j["input"] = input;
        j["output"] = output;
        j["layers"] = json::array();
        for (const auto& c : result.layers)
            j["layers"].push_back({{"layer", c.layer},
                                   {"kind", c.kind},
                                   {"converted", c.converted},
                                   {"k", c.blockSize},
                                   {"reason", c.reason},
                                   {"parameters_before", c.parametersBefore},
                                   {"parameters_after", c.parametersAfter},
                                   {"compression", c.compression},
                                   {"relative_residual", c.relativeResidual}});
        j["totals"] = {{"parameters_before", before},
                       {"parameters_after", after},
                       {"compression", after > 0 ? double(before) / double(after) : 1.0}};
        j["warnings"] = result.warnings;
        j["reordering"] = reorderingToJson(result.reordering, true);
        if (p.given("calibrate")) {
            j["data_aware"] = {{"calibration_samples", calibrationSamples}, {"layers", json::array()}};
            for (const DataAwareLayerReport& r : report)
                j["data_aware"]["layers"].push_back({{"layer", r.layer},
                                                     {"data_aware", r.dataAware},
                                                     {"reason", r.reason},
                                                     {"frobenius_output_error", r.frobeniusOutputError},
                                                     {"data_aware_output_error", r.dataAwareOutputError}});
        }
        out << j.dump(1) << "\n";
        return 0;
    }
    for (const auto& w : result.warnings)
        err << "warning: " << w << "\n";
    std::size_t width = 5;
    for (const auto& c : result.layers)
        width = std::max(width, std::min<std::size_t>(c.layer.size(), 40));
    out << std::left << std::setw(static_cast<int>(width) + 2) << "layer" << std::setw(8) << "kind" << std::right
        << std::setw(5) << "k" << std::setw(12) << "params" << std::setw(12) << "after" << std::setw(10)
        << "compr." << std::setw(11) << "residual" << "  note\n";
    for (const auto& c : result.layers) {
        const std::string name = c.layer.size() > 40 ? c.layer.substr(0, 37) + "..." : c.layer;
        out << std::left << std::setw(static_cast<int>(width) + 2) << name << std::setw(8) << c.kind << std::right
            << std::setw(5) << c.blockSize << std::setw(12) << c.parametersBefore << std::setw(12)
            << c.parametersAfter << std::fixed << std::setprecision(2) << std::setw(9) << c.compression << "x"
            << std::setprecision(4) << std::setw(11) << c.relativeResidual << "  "
            << (c.converted ? "block-circulant" : "dense: " + c.reason) << "\n";
        out.unsetf(std::ios::floatfield);
    }
    if (!result.reordering.empty()) {
        out << "\nhidden units reordered before projection (the dense model's function is unchanged):\n";
        printReordering(out, result.reordering);
    }
    if (p.given("calibrate")) {
        out << "\ndata-aware projection on " << calibrationSamples
            << " calibration samples, relative output error (Frobenius -> data-aware):\n";
        for (const DataAwareLayerReport& r : report)
            out << "  " << r.layer << ": "
                << (r.dataAware ? std::to_string(r.frobeniusOutputError) + " -> " + std::to_string(r.dataAwareOutputError)
                                : "Frobenius kept (" + r.reason + ")")
                << "\n";
    }
    out << "\nparameters " << before << " -> " << after << " (" << std::fixed << std::setprecision(2)
        << (after > 0 ? double(before) / double(after) : 1.0) << "x); saved " << output << "\n";
    out.unsetf(std::ios::floatfield);
    return 0;
}

const CommandRegistrar registrar({"convert", "Convert Dense/Conv2D layers to block-circulant form and save it.",
                                  runConvert});

} // namespace

} // namespace circnn::cli
