// `circnn sweep MODEL... --data DATA -k 1,2,4,8 [--mode project,data] ...`: a what-if block-size
// sweep (core/analysis/SweepRunner.h): every point appended to --results as it finishes (resumable,
// shardable), then the sweep table and the reports asked for.

#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "SweepCli.h"

namespace circnn::cli {

int runSweepCommand(const std::string& command, SweepKind kind, const std::vector<std::string>& args, std::ostream& out,
                    std::ostream& err)
{
    const bool sensitivity = kind == SweepKind::Sensitivity;
    ArgParser p("circnn " + command,
                sensitivity ? "Per-layer sensitivity: convert one layer at a time over the k list (the others dense) "
                              "and measure the accuracy."
                            : "What-if block-size sweep: accuracy, compression, measured CPU speed and hardware "
                              "estimates for every block size and accuracy mode.");
    addSweepConfigOptions(p, true);
    addSweepRunOptions(p);
    addReportOptions(p);
    p.epilog(std::string("Examples:\n") +
             (sensitivity
                  ? "  circnn sensitivity sample_models/fashion_cnn_dense.h5 --data sample_models/fashion_test_1k.h5 "
                    "-k 2,4,8,16 --report sens.html\n"
                  : "  circnn sweep sample_models/fashion_mlp_dense.h5 --data sample_models/fashion_test_1k.h5 "
                    "-k 1,2,4,8,16,32 \\\n      --mode project,data --train-data "
                    "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz --platforms all \\\n"
                    "      --results sweep.jsonl --report sweep.html --pdf sweep.pdf --csv sweep.csv --json "
                    "sweep.json\n") +
             "Ctrl+C stops after the running points' next step; finished points stay in --results and\n"
             "--resume continues. Big sweeps: --shard I/N on several machines (scripts/sweep-slurm.sh,\n"
             "scripts/sweep-parallel.sh), then `circnn report --merge shard*.jsonl`.");
    if (!p.parse(args, out))
        return 0;
    SweepConfig config = sweepConfigFromArgs(p);
    config.kind = sensitivity ? SweepKind::Sensitivity : (p.given("config") ? config.kind : SweepKind::Grid);
    if (sensitivity && config.blockSizes.empty() && !p.given("k"))
        config.blockSizes = {2, 4, 8, 16, 32};
    SweepRunOptions options = sweepRunOptionsFromArgs(p, command, args, err);
    const CancelOnInterrupt cancel;
    const SweepRunResult run = runSweep(config, options);
    SweepReport report = buildSweepReport(
        contentsOfRun(run),
        p.given("title") ? p.get("title") : (sensitivity ? "Per-layer sensitivity" : "Block-size sweep"));
    report.tool = toolName();
    if (p.given("print-json")) {
        nlohmann::ordered_json j;
        j["command"] = command;
        j["config_hash"] = run.configHash;
        j["points_total"] = run.pointCount;
        j["shard"] = options.shard.index;
        j["shards"] = options.shard.count;
        j["points_in_shard"] = run.points.size();
        j["resumed"] = run.resumed;
        j["computed"] = run.computed;
        j["seconds"] = run.seconds;
        j["results"] = options.resultsFile.string();
        j["points"] = nlohmann::ordered_json::array();
        for (const SweepPointResult& pt : run.points)
            j["points"].push_back({{"id", pt.id},
                                   {"mode", pt.mode},
                                   {"task", pt.task},
                                   {"metric", pt.metric().key},
                                   {pt.metric().key, pt.score()}, // "top1" or "mse"
                                   {"compression", pt.compression},
                                   {"agreement", pt.agreement}});
        std::ostringstream files;
        writeReportOutputs(p, report, files);
        j["outputs"] = files.str();
        out << j.dump(2) << "\n";
        return 0;
    }
    out << command << ": " << run.points.size() << " points (" << run.resumed << " from "
        << options.resultsFile.string() << ", " << run.computed << " computed in " << formatNumber(run.seconds, 3)
        << " s)";
    if (options.shard.count > 1)
        out << ", shard " << options.shard.index << "/" << options.shard.count << " of " << run.pointCount;
    out << "\n";
    printSweepTable(out, report);
    writeReportOutputs(p, report, out);
    return 0;
}

namespace {

int runSweepCmd(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    return runSweepCommand("sweep", SweepKind::Grid, args, out, err);
}

const CommandRegistrar sweepRegistrar({"sweep", "What-if block-size sweep with reports (HTML, PDF, CSV, JSON).",
                                       runSweepCmd});

} // namespace

} // namespace circnn::cli
