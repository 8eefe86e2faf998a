// `circnn eval MODEL --data DATA`: flags -> EvaluateConfig -> evaluateModel
// (core/analysis/EvaluateWorkflow.h) -> text report or toJson(EvaluateResult): top-1 / top-5
// accuracy, cross-entropy, per-class accuracy, confusion matrix and throughput (for reconstruction /
// regression models: MSE, MAE per sample and in total, ROC AUC with anomaly labels); with -k K also the
// block-circulant model and how closely it agrees with the dense one.

#include <cmath>
#include <iomanip>
#include <memory>
#include <ostream>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "ConversionCli.h"
#include "TerminalProgress.h"
#include "TrainingCli.h"
#include "analysis/EvaluateWorkflow.h"
#include "analysis/WorkflowJson.h"

namespace circnn::cli {

namespace {

void printAccuracy(std::ostream& out, const std::string& title, const Evaluation& e, bool details);

// Reconstruction / regression: errors instead of accuracy.
void printErrors(std::ostream& out, const std::string& title, const Evaluation& e, bool details)
{
    const ErrorMetrics& m = e.errors;
    out << title << " (" << taskName(e.task) << "): " << e.count << " samples, MSE " << std::scientific
        << std::setprecision(4) << m.meanSquaredError << ", MAE " << m.meanAbsoluteError;
    if (m.rocAuc)
        out << ", ROC AUC " << std::fixed << std::setprecision(4) << *m.rocAuc << " (" << m.anomalousCount
            << " anomalous / " << m.normalCount << " normal, score = per-sample MSE)";
    out << ", " << std::fixed << std::setprecision(0) << e.imagesPerSecond << " samples/s\n";
    out.unsetf(std::ios::floatfield);
    for (const auto& w : e.warnings)
        out << "  warning: " << w << "\n";
    if (details) {
        out << "\nper-sample error (first 20)\n  sample          MSE          MAE\n";
        for (std::size_t s = 0; s < m.perSampleSquaredError.size() && s < 20; ++s)
            out << std::setw(8) << s << std::scientific << std::setprecision(4) << std::setw(13)
                << m.perSampleSquaredError[s] << std::setw(13) << m.perSampleAbsoluteError[s] << "\n";
        out.unsetf(std::ios::floatfield);
    }
}

void printEvaluation(std::ostream& out, const std::string& title, const Evaluation& e, bool details, bool perLayer)
{
    if (e.task != Task::Classify) {
        printErrors(out, title, e, details);
        details = false;
    } else {
        printAccuracy(out, title, e, details);
    }
    if (perLayer) {
        out << "\ntime per layer\n";
        for (const auto& t : e.layerTimes)
            out << "  " << std::left << std::setw(30) << t.name << std::right << std::fixed << std::setprecision(4)
                << t.seconds << " s\n";
        out.unsetf(std::ios::floatfield);
    }
}

void printAccuracy(std::ostream& out, const std::string& title, const Evaluation& e, bool details)
{
    out << title << ": " << e.count << " images, top-1 " << std::fixed << std::setprecision(4) << e.top1 << ", top-5 "
        << e.top5 << ", cross-entropy " << e.meanCrossEntropy << ", " << std::setprecision(0) << e.imagesPerSecond
        << " images/s\n";
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
}

int runEval(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    ArgParser p("circnn eval", "Evaluate a model on a dataset (accuracy and confusion matrix, or reconstruction / "
                               "regression error and ROC AUC; speed).");
    p.positional("MODEL", "Model file (.h5, .keras, .circnn.h5).");
    p.option("data", "DATA", "Images: IDX (.gz), HDF5 or .npz.");
    p.option("labels", "LABELS",
             "Labels file (IDX: default derived from the images name; HDF5: other file). With --task reconstruct / "
             "regress: 0 (normal) / 1 (anomalous) labels for the ROC AUC.");
    p.option("task", "TASK",
             "What the output means: classify, reconstruct (target = input; MSE/MAE), regress (target from "
             "--targets-key; MSE/MAE) or auto (reconstruct when output shape = input shape and the output is linear).",
             "auto");
    p.option("targets-key", "NAME", "With --task regress: HDF5 dataset / npz member holding the targets.", "");
    p.option("limit", "N", "Evaluate only the first N samples (0 = all).", "0");
    p.option("batch", "N", "Batch size.", "256");
    p.option("k", "K", "Also convert to block-circulant with block size K and compare with the dense model.", "", 'k');
    p.flag("convert-output-layer", "With -k: also convert the output layer.");
    addReorderFlag(p);
    p.flag("per-layer", "Report the time spent in each layer.");
    p.option("images-key", "NAME", "HDF5 dataset / npz member holding the images (x_test tried too).", "x");
    p.option("labels-key", "NAME",
             "HDF5 dataset / npz member holding the labels (y_test tried too); reconstruct / regress read labels "
             "only when this or --labels is given.",
             "y");
    p.option("scale", "S", "Factor applied to integer pixels.", "0.00392156862745098");
    addIntegerValuesOption(p);
    p.flag("json", "Print one JSON object (top1, top5, count, images_per_second, ...).");
    if (!p.parse(args, out))
        return 0;
    if (!p.given("data"))
        throw ArgError("--data DATA is required");
    EvaluateConfig config;
    config.batchSize = p.getInt("batch", 1);
    config.perLayerTiming = p.given("per-layer");
    if (config.batchSize < 1)
        throw ArgError("--batch must be at least 1, got " + p.get("batch"));
    const std::int64_t limit = p.getInt("limit");
    if (limit < 0)
        throw ArgError("--limit must be >= 0, got " + p.get("limit"));
    const std::string modelPath = p.get("MODEL");
    config.model = ModelSource::file(modelPath);
    config.data.path = p.get("data");
    if (p.given("labels"))
        config.data.options.labelsPath = p.get("labels");
    config.data.options.imagesKey = p.get("images-key");
    config.data.options.labelsKey = p.get("labels-key");
    try {
        config.task = parseTask(p.get("task"));
    } catch (const Error& e) {
        throw ArgError(std::string("--task: ") + e.what());
    }
    config.anomalyLabels = p.given("labels") || p.given("labels-key");
    config.data.options.targetsKey = p.given("targets-key") ? p.get("targets-key") : std::string();
    if (config.task == Task::Regress && config.data.options.targetsKey.empty())
        throw ArgError("--task regress needs --targets-key NAME (the HDF5 dataset / npz member holding the targets)");
    config.data.options.scale = p.getDouble("scale", NumberRange::positive());
    config.data.options.integerValues = integerValuesFromArgs(p);
    config.data.options.limit = limit;
    config.limit = limit;
    if (p.given("k"))
        config.conversion = conversionRequestFromArgs(p, "convert-output-layer", err);
    // One terminal progress line per phase.
    auto progress = std::make_shared<ProgressFn>();
    config.onPhase = [progress, &err](const std::string& phase) { *progress = terminalProgress(err, phase); };
    config.progress = [progress](std::size_t done, std::size_t total) {
        return !*progress || (*progress)(done, total);
    };
    const EvaluateResult r = evaluateModel(config);

    if (p.given("json")) {
        out << toJson(r).dump(1) << "\n";
        return 0;
    }
    out << modelPath << " on " << p.get("data") << "\n";
    printEvaluation(out, r.circulant ? "as read" : "model", r.evaluation, !r.circulant, config.perLayerTiming);
    if (r.circulant) {
        const ConvertedEvaluation& c = *r.circulant;
        out << "\n";
        printEvaluation(out, "block-circulant k=" + p.get("k"), c.evaluation, false, config.perLayerTiming);
        std::string converted;
        for (const auto& l : c.layers)
            if (l.converted)
                converted += (converted.empty() ? "" : ", ") + l.layer;
        out << "  converted layers: " << (converted.empty() ? "none" : converted) << "\n";
        printReordering(out, c.reordering);
        out << "agreement with the model as read: ";
        if (r.task == Task::Classify)
            out << std::fixed << std::setprecision(4) << c.agreement.top1Match << " same top-1, ";
        out << "max |output difference| " << std::scientific << std::setprecision(3) << c.agreement.maxAbsDifference
            << ", mean squared output difference " << c.agreement.meanSquaredDifference << "\n";
        out.unsetf(std::ios::floatfield);
    }
    return 0;
}

const CommandRegistrar registrar({"eval", "Evaluate a model on a labelled dataset (optionally vs. block-circulant).",
                                  runEval});

} // namespace

} // namespace circnn::cli
