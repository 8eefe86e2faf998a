// `circnn eval MODEL --data DATA`: top-1 / top-5 accuracy, cross-entropy, per-class accuracy,
// confusion matrix and throughput; with -k K also converts the model and reports how closely the
// block-circulant model agrees with the dense one.


#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <ostream>

#include <nlohmann/json.hpp>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "ConversionCli.h"
#include "TerminalProgress.h"
#include "analysis/Conversion.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "nn/Evaluation.h"
#include "nn/Model.h"

namespace circnn::cli {

namespace {

using nlohmann::json;

json evaluationJson(const Evaluation& e, bool perLayer)
{
    json j;
    j["count"] = e.count;
    j["top1"] = e.top1;
    j["top5"] = e.top5;
    j["cross_entropy"] = e.meanCrossEntropy;
    j["seconds"] = e.seconds;
    j["images_per_second"] = e.imagesPerSecond;
    json pc = json::array();
    for (double a : e.perClassAccuracy)
        pc.push_back(std::isnan(a) ? json(nullptr) : json(a));
    j["per_class_accuracy"] = pc;
    j["confusion"] = e.confusion;
    if (perLayer) {
        j["layer_seconds"] = json::object();
        for (const auto& t : e.layerTimes)
            j["layer_seconds"][t.name] = t.seconds;
    }
    j["warnings"] = e.warnings;
    return j;
}

void printEvaluation(std::ostream& out, const std::string& title, const Evaluation& e, bool details, bool perLayer)
{
    out << title << ": " << e.count << " images, top-1 " << std::fixed << std::setprecision(4) << e.top1
        << ", top-5 " << e.top5 << ", cross-entropy " << e.meanCrossEntropy << ", " << std::setprecision(0)
        << e.imagesPerSecond << " images/s\n";
    out.unsetf(std::ios::floatfield);
    for (const auto& w : e.warnings)
        out << "  warning: " << w << "\n";
    if (details) {
        out << "\nper-class accuracy\n";
        for (std::size_t c = 0; c < e.perClassAccuracy.size(); ++c) {
            out << "  class " << std::setw(3) << c << ": ";
            if (std::isnan(e.perClassAccuracy[c]))
                out << "  (absent)\n";
            else
                out << std::fixed << std::setprecision(4) << e.perClassAccuracy[c] << "\n";
            out.unsetf(std::ios::floatfield);
        }
        out << "\nconfusion matrix (rows: true class, columns: predicted)\n      ";
        for (std::size_t c = 0; c < e.confusion.size(); ++c)
            out << std::setw(6) << c;
        out << "\n";
        for (std::size_t r = 0; r < e.confusion.size(); ++r) {
            out << std::setw(6) << r;
            for (auto v : e.confusion[r])
                out << std::setw(6) << v;
            out << "\n";
        }
    }
    if (perLayer) {
        out << "\ntime per layer\n";
        for (const auto& t : e.layerTimes)
            out << "  " << std::left << std::setw(30) << t.name << std::right << std::fixed << std::setprecision(4)
                << t.seconds << " s\n";
        out.unsetf(std::ios::floatfield);
    }
}

int runEval(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    ArgParser p("circnn eval", "Evaluate a model on a labelled dataset (accuracy, confusion matrix, speed).");
    p.positional("MODEL", "Model file (.h5, .keras, .circnn.h5).");
    p.option("data", "DATA", "Images: IDX (.gz), HDF5 or .npz.");
    p.option("labels", "LABELS", "Labels file (IDX: default derived from the images name; HDF5: other file).");
    p.option("limit", "N", "Evaluate only the first N samples (0 = all).", "0");
    p.option("batch", "N", "Batch size.", "256");
    p.option("k", "K", "Also convert to block-circulant with block size K and compare with the dense model.", "", 'k');
    p.flag("convert-output-layer", "With -k: also convert the output layer.");
    addReorderFlag(p);
    p.flag("per-layer", "Report the time spent in each layer.");
    p.option("images-key", "NAME", "HDF5 dataset / npz member holding the images (x_test tried too).", "x");
    p.option("labels-key", "NAME", "HDF5 dataset / npz member holding the labels (y_test tried too).", "y");
    p.option("scale", "S", "Factor applied to integer pixels.", "0.00392156862745098");
    p.flag("json", "Print one JSON object (top1, top5, count, images_per_second, ...).");
    if (!p.parse(args, out))
        return 0;
    if (!p.given("data"))
        throw ArgError("--data DATA is required");
    EvalOptions eo;
    eo.batchSize = p.getInt("batch", 1);
    eo.limit = p.getInt("limit");
    eo.perLayerTiming = p.given("per-layer");
    if (eo.batchSize < 1)
        throw ArgError("--batch must be at least 1, got " + p.get("batch"));
    if (eo.limit < 0)
        throw ArgError("--limit must be >= 0, got " + p.get("limit"));

    const std::string modelPath = p.get("MODEL");
    ModelSpec spec = readModel(modelPath);
    DatasetOptions d;
    if (p.given("labels"))
        d.labelsPath = p.get("labels");
    d.imagesKey = p.get("images-key");
    d.labelsKey = p.get("labels-key");
    d.scale = p.getDouble("scale", NumberRange::positive());
    d.limit = eo.limit;
    Dataset data = readDataset(p.get("data"), d);
    const Model model(spec);
    fitDatasetToInput(data, model.inputShape());

    eo.progress = terminalProgress(err, "evaluating");
    const Evaluation dense = evaluate(model, data, eo);

    json j;
    j["model"] = modelPath;
    j["data"] = p.get("data");
    j.update(evaluationJson(dense, eo.perLayerTiming));

    std::optional<Evaluation> circ;
    std::optional<Agreement> agreement;
    ConversionResult conversion;
    if (p.given("k")) {
        ConversionRequest request;
        request.defaultBlockSize = p.getInt("k", 1);
        if (request.defaultBlockSize < 1)
            throw ArgError("-k must be at least 1, got " + p.get("k"));
        request.convertOutputLayer = p.given("convert-output-layer");
        request.reorderUnits = !p.given("no-reorder");
        request.reorderProgress = terminalProgress(err, "reordering units, layer");
        conversion = convertModel(spec, request);
        const Model circulant(conversion.model);
        eo.progress = terminalProgress(err, "evaluating block-circulant");
        circ = evaluate(circulant, data, eo);
        eo.progress = terminalProgress(err, "comparing");
        agreement = compareModels(model, circulant, data, eo);
        json cj = evaluationJson(*circ, eo.perLayerTiming);
        cj["k"] = request.defaultBlockSize;
        cj["agreement"] = {{"count", agreement->count},
                           {"top1_match", agreement->top1Match},
                           {"max_abs_difference", agreement->maxAbsDifference}};
        cj["reordering"] = reorderingToJson(conversion.reordering, true);
        cj["converted_layers"] = json::array();
        for (const auto& c : conversion.layers)
            if (c.converted)
                cj["converted_layers"].push_back(c.layer);
        j["circulant"] = cj;
    }

    if (p.given("json")) {
        out << j.dump(1) << "\n";
        return 0;
    }
    out << modelPath << " on " << p.get("data") << "\n";
    printEvaluation(out, circ ? "as read" : "model", dense, !circ, eo.perLayerTiming);
    if (circ) {
        out << "\n";
        printEvaluation(out, "block-circulant k=" + p.get("k"), *circ, false, eo.perLayerTiming);
        std::string converted;
        for (const auto& c : conversion.layers)
            if (c.converted)
                converted += (converted.empty() ? "" : ", ") + c.layer;
        out << "  converted layers: " << (converted.empty() ? "none" : converted) << "\n";
        printReordering(out, conversion.reordering);
        out << "agreement with the model as read: " << std::fixed << std::setprecision(4) << agreement->top1Match
            << " same top-1, max |output difference| " << std::scientific << std::setprecision(3)
            << agreement->maxAbsDifference << "\n";
        out.unsetf(std::ios::floatfield);
    }
    return 0;
}

const CommandRegistrar registrar({"eval", "Evaluate a model on a labelled dataset (optionally vs. block-circulant).",
                                  runEval});

} // namespace

} // namespace circnn::cli
