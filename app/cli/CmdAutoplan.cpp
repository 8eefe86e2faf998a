// `circnn autoplan MODEL --data DATA --budget 1.0 --objective params|energy|latency
// [--platform P] -o plan.json`: an automatic conversion plan (core/analysis/AutoPlan.h) from a
// per-layer sensitivity sweep, verified by evaluating it; the plan file is the one `convert`,
// `finetune` and `estimate` read with --plan.

#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "SweepCli.h"
#include "common/AtomicFile.h"

namespace circnn::cli {

namespace {

int runAutoplan(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    ArgParser p("circnn autoplan", "Choose a block size per layer within an accuracy budget (searched from per-layer "
                                   "sensitivities, verified by evaluation).");
    addSweepConfigOptions(p, false);
    p.option("budget", "POINTS", "Allowed top-1 drop below the dense model, in percentage points.", "1.0");
    p.option("objective", "O",
             "What to minimise: params (stored parameters), energy (per frame on --platform), "
             "latency (measured CPU latency).",
             "params");
    p.option("platform", "P", "Platform of the energy objective (name or file).");
    p.option("max-verify", "N", "Candidates verified by evaluation at most (in objective order).", "4");
    p.option("output", "PLAN.json", "Write the plan file ({\"default_k\", \"layers\", \"convert_output_layer\"}).", "",
             'o');
    p.option("result-json", "FILE",
             "Write the full result (search, verifications; schema circnn.autoplan/1), for "
             "`circnn report --plan-result`.");
    addSweepRunOptions(p);
    addReportOptions(p);
    p.epilog("The sensitivity sweep behind the plan is an ordinary sweep: --results keeps it (and --resume reuses\n"
             "it). Example:\n"
             "  circnn autoplan sample_models/fashion_cnn_dense.h5 --data sample_models/fashion_test_1k.h5 \\\n"
             "      -k 2,4,8,16 --budget 1.0 --objective energy --platform xcku060 -o plan.json\n"
             "  circnn convert sample_models/fashion_cnn_dense.h5 --plan plan.json -o planned.circnn.h5");
    if (!p.parse(args, out))
        return 0;
    if (!p.given("output"))
        throw ArgError("-o PLAN.json is required");
    AutoPlanConfig config;
    config.sweep = sweepConfigFromArgs(p);
    if (!p.given("platforms") && !p.given("config"))
        config.sweep.platforms.clear();
    if (config.sweep.blockSizes.empty())
        config.sweep.blockSizes = {2, 4, 8, 16, 32};
    config.budgetPoints = p.getDouble("budget");
    config.objective = parsePlanObjective(p.get("objective"));
    if (p.given("platform"))
        config.platform = p.get("platform");
    config.maxVerifications = static_cast<int>(p.getInt("max-verify"));
    SweepRunOptions options = sweepRunOptionsFromArgs(p, "autoplan", args, err);
    const CancelOnInterrupt cancel;
    const AutoPlanResult result = runAutoPlan(config, options);
    writeTextFileAtomically(p.get("output"), autoPlanFileJson(result, config.sweep.convertOutputLayer).dump(2) + "\n");
    if (p.given("result-json"))
        writeTextFileAtomically(p.get("result-json"), autoPlanToJson(result).dump(2) + "\n");
    std::ostringstream files;
    if (p.given("report") || p.given("pdf") || p.given("csv") || p.given("json")) {
        const SweepResultsContents contents = contentsOfRun(result.sensitivity);
        SweepReport report = buildSweepReport(contents, p.given("title") ? p.get("title") : "Automatic plan", result);
        report.tool = toolName();
        writeReportOutputs(p, report, files);
    }
    if (p.given("print-json")) {
        nlohmann::ordered_json j = autoPlanToJson(result);
        j["plan_file"] = p.get("output");
        j["outputs"] = files.str();
        out << j.dump(2) << "\n";
        return 0;
    }
    out << "plan (" << (result.verified ? "verified" : "NOT verified") << "): ";
    for (const auto& [layer, k] : result.plan)
        out << layer << "=" << k << " ";
    out << "\ntop-1 " << formatPercent(result.planTop1) << "% (dense " << formatPercent(result.denseTop1)
        << "%, budget " << config.budgetPoints << " points), " << result.objective << " "
        << formatNumber(result.planObjective, 5) << " " << result.objectiveUnit << " (dense "
        << formatNumber(result.denseObjective, 5) << ")\n"
        << result.summary << "\n";
    for (const std::string& w : result.warnings)
        err << "warning: " << w << "\n";
    out << "wrote " << p.get("output") << "\n" << files.str();
    return 0;
}

const CommandRegistrar registrar({"autoplan", "Automatic per-layer block sizes within an accuracy budget.",
                                  runAutoplan});

} // namespace

} // namespace circnn::cli
