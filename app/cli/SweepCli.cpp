#include "SweepCli.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <ostream>
#include <sstream>

#include <unistd.h>

#include "BuildInfo.h"
#include "PdfReport.h"
#include "ReportHtml.h"
#include "hw/Platform.h"

namespace circnn::cli {

namespace {
std::atomic<bool> g_interrupted{false};
void (*g_previous)(int) = SIG_DFL;
extern "C" void onInterrupt(int)
{
    if (g_interrupted.exchange(true)) {
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
    }
}

std::string quoted(const std::string& a)
{
    if (!a.empty() && a.find_first_of(" \t\"'$\\;&|<>*?()") == std::string::npos)
        return a;
    std::string q = "'";
    for (char c : a)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string duration(double s)
{
    char buf[32];
    if (s < 0)
        return "?";
    if (s < 120)
        std::snprintf(buf, sizeof buf, "%.0fs", s);
    else if (s < 7200)
        std::snprintf(buf, sizeof buf, "%.0fm%02.0fs", std::floor(s / 60), std::fmod(s, 60));
    else
        std::snprintf(buf, sizeof buf, "%.0fh%02.0fm", std::floor(s / 3600), std::fmod(s / 60, 60));
    return buf;
}
} // namespace

CancelOnInterrupt::CancelOnInterrupt()
{
    g_interrupted = false;
    g_previous = std::signal(SIGINT, onInterrupt);
}
CancelOnInterrupt::~CancelOnInterrupt()
{
    std::signal(SIGINT, g_previous);
}
bool CancelOnInterrupt::requested()
{
    return g_interrupted;
}

std::string toolName()
{
    return std::string("circnn ") + CIRCNN_VERSION;
}
std::string toolCommit()
{
    return build::commit();
}

void addSweepConfigOptions(ArgParser& p, bool manyModels)
{
    p.positional(manyModels ? "MODEL" : "MODEL",
                 manyModels ? "Model file(s) (.h5, .keras, .circnn.h5)." : "Model file.", false, manyModels);
    p.option("config", "FILE", "Sweep config JSON (docs/file-formats.md); flags given as well override its fields.");
    p.option("data", "DATA", "Evaluation images: IDX (.gz), HDF5 or .npz.");
    p.option("labels", "LABELS", "Evaluation labels file, when separate.");
    p.option("train-data", "DATA", "Training images (modes data, finetune, scratch: calibration and training).");
    p.option("train-labels", "LABELS", "Training labels file, when separate.");
    p.option("k", "K,...", "Block sizes, comma-separated (1 = dense).", "", 'k');
    p.option("grid", "L:K,K;L:K", "Per-layer grid instead of -k, e.g. 'dense:4,8;dense_1:8,16' (cartesian product).");
    p.option("layers", "L,...", "Layers to convert (default: every eligible Dense/Conv2D layer but the output layer).");
    p.option("mode", "M,...",
             "Accuracy modes: project (projection only), data (data-aware projection), finetune "
             "(projection + --epochs of fine-tuning), scratch (trained from a random start).");
    p.option("epochs", "N", "Epochs of the finetune and scratch modes.");
    p.option("platforms", "P,...", "Hardware platforms for the estimates (names, files, or 'all').");
    p.option("precision", "BITS", "Datapath precision of the estimates: 8, 16 or 32.");
    p.option("batch", "N", "Frames per batch in the estimates.");
    p.option("seed", "S", "Seed of training, validation split and unit reordering.");
    p.option("eval-limit", "N", "Evaluate on the first N samples only (0 = all).");
    p.option("train-limit", "N", "Use the first N training samples only (0 = all).");
    p.option("calibration", "N", "Data-aware projection: calibration samples (from the training split).");
    p.option("timing-samples", "N", "Samples timed for the measured CPU latency / throughput (0 = no timing).");
    p.flag("no-reorder", "Do not reorder hidden units before projecting (reordering is on by default, as in convert).");
    p.flag("convert-output-layer", "Convert the output layer too.");
    p.option("task", "TASK",
             "What the models' outputs mean: classify (points ranked by top-1), reconstruct (target = input) or "
             "regress (target from --targets-key): points ranked by the mean squared error (lower is better), "
             "fine-tuning and scratch training with the MSE loss; auto (default): reconstruct when a model's "
             "output shape = input shape and its output is linear, else classify.");
    p.option("targets-key", "NAME", "With --task regress: HDF5 dataset / npz member holding the targets.");
    p.flag("anomaly-labels",
           "With --task reconstruct / regress: read the evaluation data's 0 (normal) / 1 (anomalous) labels (its "
           "labels member, or --labels) for the ROC AUC.");
}

void addSweepRunOptions(ArgParser& p)
{
    p.option("results", "FILE.jsonl", "Append every finished point to this JSON Lines file (flushed per point).");
    p.flag("resume", "Continue --results FILE: points already in it are kept, not computed again.");
    p.option("shard", "I/N",
             "Compute only shard I of N (points i with i mod N = I-1); merge with `circnn report --merge`.", "1/1");
    p.option("parallel", "HOW",
             "'points': points run concurrently, one per core; 'inside': one point at a time, "
             "each on all cores.",
             "points");
}

void addReportOptions(ArgParser& p)
{
    p.option("report", "OUT.html", "Write the HTML report (self-contained: inline SVG charts and styles).");
    p.option("pdf", "OUT.pdf", "Write the PDF report (charts as vectors).");
    p.option("csv", "OUT.csv", "Write one row per point, and OUT-layers.csv with one row per point and layer.");
    p.option("json", "OUT.json", "Write all data as JSON (schema circnn.report/1, docs/file-formats.md).");
    p.option("title", "TEXT", "Report title.");
    p.flag("print-json", "Print a JSON summary on stdout instead of the text table.");
}

SweepConfig sweepConfigFromArgs(const ArgParser& p)
{
    SweepConfig c = p.given("config") ? readSweepConfig(p.get("config")) : SweepConfig{};
    if (!c.platforms.size() && !p.given("config"))
        c.platforms = {"all"};
    if (p.given("MODEL"))
        c.models = p.getList("MODEL");
    auto str = [&](const char* flag, std::string& field) {
        if (p.given(flag))
            field = p.get(flag);
    };
    str("data", c.data);
    str("labels", c.labels);
    str("train-data", c.trainData);
    str("train-labels", c.trainLabels);
    if (p.given("k"))
        c.blockSizes = p.getIntList("k");
    if (p.given("grid")) {
        c.layerGrid.clear();
        std::stringstream ss(p.get("grid"));
        for (std::string entry; std::getline(ss, entry, ';');) {
            const auto colon = entry.find(':');
            if (colon == std::string::npos || colon == 0)
                throw ArgError("--grid entry '" + entry + "' must be LAYER:K,K,...");
            std::stringstream ks(entry.substr(colon + 1));
            for (std::string k; std::getline(ks, k, ',');) {
                try {
                    c.layerGrid[entry.substr(0, colon)].push_back(std::stoll(k));
                } catch (const std::exception&) {
                    throw ArgError("--grid: '" + k + "' is not a block size");
                }
            }
        }
        if (!p.given("k"))
            c.blockSizes.clear();
    }
    if (p.given("layers"))
        c.layers = p.getList("layers");
    if (p.given("mode")) {
        c.modes.clear();
        for (const std::string& m : p.getList("mode"))
            c.modes.push_back(parseAccuracyMode(m));
    }
    if (p.given("epochs"))
        c.epochs = static_cast<int>(p.getInt("epochs"));
    if (p.given("platforms"))
        c.platforms = p.getList("platforms");
    if (p.given("precision"))
        c.precision = hw::precisionKey(hw::parsePrecision(p.get("precision")));
    if (p.given("batch"))
        c.batch = p.getInt("batch");
    if (p.given("seed"))
        c.seed = static_cast<std::uint32_t>(p.getInt("seed"));
    if (p.given("eval-limit"))
        c.evalLimit = p.getInt("eval-limit");
    if (p.given("train-limit"))
        c.trainLimit = p.getInt("train-limit");
    if (p.given("calibration"))
        c.calibration = p.getInt("calibration");
    if (p.given("timing-samples"))
        c.timingSamples = p.getInt("timing-samples");
    if (p.given("no-reorder"))
        c.reorderUnits = false;
    if (p.given("convert-output-layer"))
        c.convertOutputLayer = true;
    if (p.given("task")) {
        try {
            c.task = parseTask(p.get("task"));
        } catch (const Error& e) {
            throw ArgError(std::string("--task: ") + e.what());
        }
    }
    str("targets-key", c.targetsKey);
    if (p.given("anomaly-labels"))
        c.anomalyLabels = true;
    return c;
}

SweepRunOptions sweepRunOptionsFromArgs(const ArgParser& p, const std::string& command,
                                        const std::vector<std::string>& args, std::ostream& err)
{
    SweepRunOptions o;
    if (p.given("results"))
        o.resultsFile = p.get("results");
    o.resume = p.given("resume");
    if (o.resume && o.resultsFile.empty())
        throw ArgError("--resume needs --results FILE");
    o.shard = parseSweepShard(p.get("shard"));
    const std::string how = p.get("parallel");
    if (how != "points" && how != "inside")
        throw ArgError("--parallel must be 'points' or 'inside', got '" + how + "'");
    o.parallelism = how == "points" ? SweepParallelism::Points : SweepParallelism::Inside;
    o.provenance.tool = toolName();
    o.provenance.gitCommit = toolCommit();
    o.provenance.commandLine = "circnn " + command;
    for (const std::string& a : args)
        o.provenance.commandLine.append(1, ' ').append(quoted(a));
    const bool terminal = &err == &std::cerr && isatty(STDERR_FILENO);
    o.progress = [terminal](const SweepProgress& s) {
        if (terminal) {
            std::string step = s.step.size() > 48 ? s.step.substr(0, 45) + "..." : s.step;
            std::fprintf(stderr, "\r\033[K%zu/%zu points, %zu running, ETA %s | %s", s.done, s.total, s.running,
                         duration(s.etaS).c_str(), step.c_str());
            if (s.done == s.total)
                std::fprintf(stderr, "\r\033[K");
            std::fflush(stderr);
        }
        return !CancelOnInterrupt::requested();
    };
    return o;
}

SweepResultsContents contentsOfRun(const SweepRunResult& run)
{
    SweepResultsContents c;
    c.headers = run.headers;
    c.points = run.points;
    return c;
}

bool writeReportOutputs(const ArgParser& p, const SweepReport& report, std::ostream& out)
{
    bool any = false;
    if (p.given("report")) {
        report::writeSweepReportHtml(report, p.get("report"));
        out << "wrote " << p.get("report") << " (HTML)\n";
        any = true;
    }
    if (p.given("pdf")) {
        const report::PdfReportInfo info = report::writeSweepReportPdf(report, p.get("pdf"));
        out << "wrote " << p.get("pdf") << " (PDF, " << info.pages << " pages)\n";
        any = true;
    }
    if (p.given("csv")) {
        const std::string layers = writeSweepReportCsv(report, p.get("csv"));
        out << "wrote " << p.get("csv") << " and " << layers << " (CSV)\n";
        any = true;
    }
    if (p.given("json")) {
        writeSweepReportJson(report, p.get("json"));
        out << "wrote " << p.get("json") << " (JSON)\n";
        any = true;
    }
    return any;
}

void printSweepTable(std::ostream& out, const SweepReport& r)
{
    // Classifiers: top-1 and agreement; reconstruction / regression models: MSE and MAE (lower is
    // better). A table of mixed tasks labels each row's figures in the row.
    const bool classify = std::all_of(r.points.begin(), r.points.end(),
                                      [](const SweepPointResult& p) { return p.metric().higherIsBetter; });
    out << std::left << std::setw(30) << "point" << std::setw(10) << "mode" << std::right << std::setw(10) << "params"
        << std::setw(9) << "compr." << std::setw(11) << (classify ? "top-1" : "MSE") << std::setw(11)
        << (classify ? "agree" : "MAE") << std::setw(10) << "CPU ms"
        << "  Pareto\n";
    for (const SweepPointResult& p : r.points) {
        std::string pareto = r.paretoCompression.count(p.id) ? "C" : "";
        if (r.paretoLatency.count(p.id))
            pareto += "L";
        out << std::left << std::setw(30) << p.id << std::setw(10) << p.mode << std::right << std::setw(10)
            << p.parameters << std::setw(8) << formatNumber(p.compression, 3) << "x";
        if (p.metric().higherIsBetter)
            out << std::setw(10) << formatPercent(p.top1) << "%" << std::setw(10) << formatPercent(p.agreement) << "%";
        else
            out << std::setw(11) << formatNumber(p.errors.mse, 4) << std::setw(11) << formatNumber(p.errors.mae, 4);
        out << std::setw(10) << formatNumber(p.timing.latencyMs, 3) << "  " << pareto << "\n";
    }
    if (!classify && !r.points.empty())
        out << "MSE / MAE: " << r.points.front().metric().label << " (mean over the evaluation samples)\n";
    for (const std::string& w : r.warnings)
        out << "warning: " << w << "\n";
}

} // namespace circnn::cli
