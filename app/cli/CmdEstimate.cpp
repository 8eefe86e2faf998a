// `circnn estimate`: flags -> EstimateConfig -> estimateModel (core/analysis/EstimateWorkflow.h):
// the hardware cost model (core/hw) on a model file or an architecture string, one table per k.
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "analysis/EstimateWorkflow.h"
#include "analysis/WorkflowJson.h"
#include "common/Error.h"
#include "hw/PlatformRegistry.h"
#include "io/ConversionPlanFile.h"

namespace circnn::cli {

namespace {

std::string num(double v, int precision = 3)
{
    char buf[64];
    const double a = std::abs(v);
    if (v == 0)
        return "0";
    if (a >= 1e6 || a < 1e-3)
        std::snprintf(buf, sizeof buf, "%.*e", precision - 1, v);
    else
        std::snprintf(buf, sizeof buf, "%.*g", std::max(precision, 4), v);
    return buf;
}

std::string ratio(double dense, double bc)
{
    if (bc == 0)
        return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fx", dense / bc);
    return buf;
}

void printRow(std::ostream& out, const std::vector<std::string>& cells, const std::vector<int>& widths)
{
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i == 0)
            out << std::left << std::setw(widths[i]) << cells[i];
        else
            out << ' ' << std::right << std::setw(widths[i]) << cells[i];
    }
    out << "\n";
}

// "y" all weights on chip, "n" none, "p" part.
std::string onChipMark(const hw::LayerEstimate& l)
{
    return l.weightsOnChip ? "y" : (l.weightBitsOnChip > 0 ? "p" : "n");
}

void printEstimate(std::ostream& out, const hw::Estimate& e)
{
    const hw::DesignEstimate& d = e.dense;
    const hw::DesignEstimate& c = e.circulant;
    out << "ESTIMATE (analytical model, not a measurement)\n"
        << "model " << e.model << " | platform " << e.platform << " (" << e.platformKind << ") | precision "
        << hw::precisionKey(e.precision) << " | batch " << e.batch << " | dense vs " << c.label << "\n\n";

    const std::vector<int> w{16, 12, 4, 11, 11, 10, 10, 6, 12, 12, 10, 10, 12};
    printRow(out,
             {"layer", "kind", "k", "Mops dense", "Mops bc", "KiB dense", "KiB bc", "chip", "us dense", "us bc",
              "uJ dense", "uJ bc", "bound bc"},
             w);
    for (std::size_t i = 0; i < c.layers.size(); ++i) {
        const hw::LayerEstimate& ld = d.layers[i];
        const hw::LayerEstimate& lc = c.layers[i];
        if (ld.ops.total() == 0 && ld.weightBits == 0)
            continue; // Input, Flatten, Dropout...: nothing to estimate
        printRow(out,
                 {lc.name, lc.kind, std::to_string(lc.blockSize), num(ld.ops.total() / 1e6), num(lc.ops.total() / 1e6),
                  num(ld.weightBits / 8192), num(lc.weightBits / 8192),
                  lc.weightBits == 0 ? "-" : onChipMark(ld) + "/" + onChipMark(lc), num(ld.latencyS * 1e6),
                  num(lc.latencyS * 1e6), num(ld.energy.totalPj() / 1e6), num(lc.energy.totalPj() / 1e6),
                  hw::boundName(lc.bound)},
                 w);
        if (!lc.note.empty())
            out << "    note: " << lc.note << "\n";
    }
    out << "(Mops = multiplies + adds per frame; KiB of weights; chip = weights on chip dense/bc: y all, p part, n "
           "none; us per batch; "
           "uJ per frame)\n\n";

    const std::vector<int> tw{30, 14, 14, 10};
    printRow(out, {"total (estimate)", "dense", "block-circ.", "gain"}, tw);
    auto row = [&](const std::string& name, double dv, double cv, bool showRatio = true, bool invert = false) {
        printRow(out, {name, num(dv), num(cv), showRatio ? (invert ? ratio(cv, dv) : ratio(dv, cv)) : ""}, tw);
    };
    row("weights (KiB)", d.weightBits / 8192, c.weightBits / 8192);
    row("weights on chip (KiB)", d.weightBitsOnChip / 8192, c.weightBitsOnChip / 8192, false);
    row("multiplies / frame (M)", d.ops.mults / 1e6, c.ops.mults / 1e6);
    row("adds / frame (M)", d.ops.adds / 1e6, c.ops.adds / 1e6);
    row("FFT butterflies / frame (M)", d.ops.fftButterflies / 1e6, c.ops.fftButterflies / 1e6, false);
    row("complex MACs / frame (M)", d.ops.complexMacs / 1e6, c.ops.complexMacs / 1e6, false);
    row("latency per batch (us)", d.latencyS * 1e6, c.latencyS * 1e6);
    row("frames / s", d.framesPerSecond, c.framesPerSecond, true, true);
    row("effective GOP/s (dense-eq.)", d.effectiveGops, c.effectiveGops, true, true);
    row("energy / frame (uJ)", d.energy.totalPj() / 1e6, c.energy.totalPj() / 1e6);
    row("  compute (uJ)", d.energy.computePj / 1e6, c.energy.computePj / 1e6, false);
    row("  on-chip memory (uJ)", d.energy.onchipPj / 1e6, c.energy.onchipPj / 1e6, false);
    row("  off-chip memory (uJ)", d.energy.offchipPj / 1e6, c.energy.offchipPj / 1e6, false);
    row("  static (uJ)", d.energy.staticPj / 1e6, c.energy.staticPj / 1e6, false);
    row("power (W)", d.powerW, c.powerW, false);
    row("frames / J", d.framesPerJoule, c.framesPerJoule, true, true);
    row("compute utilisation (%)", d.computeUtilisation * 100, c.computeUtilisation * 100, false);
    row("on-chip memory used (%)", d.onchipMemoryUtilisation * 100, c.onchipMemoryUtilisation * 100, false);
    printRow(out, {"bound", hw::boundName(d.bound), hw::boundName(c.bound), ""}, tw);
    out << "\nmultipliers " << num(d.multipliers) << ", peak " << num(d.peakGops) << " GOP/s\n";
    out << "estimated speedup " << num(e.speedup) << "x, energy-efficiency gain " << num(e.energyEfficiencyGain)
        << "x, storage reduction " << num(e.storageReduction) << "x\n";
    if (!e.warnings.empty()) {
        out << "\nwarnings:\n";
        for (const std::string& s : e.warnings)
            out << "  - " << s << "\n";
    }
    out << "\nassumptions:\n";
    for (const std::string& s : e.assumptions)
        out << "  - " << s << "\n";
}

int runEstimate(const std::vector<std::string>& args, std::ostream& out, std::ostream&)
{
    ArgParser p("circnn estimate",
                "Estimate operations, storage, throughput and energy of a model on a hardware platform, dense "
                "and block-circulant side by side. Every figure is an estimate from the analytical model in "
                "docs/hardware-model.md; the assumptions are printed with it.");
    p.positional("MODEL",
                 "Model file (.h5, .keras, .circnn.h5) or an architecture string of layer widths such "
                 "as 9216-4096-4096-1000 (Dense layers, relu, softmax last; no weights needed), or a JSON "
                 "architecture as circnn train takes it (CNNs, recurrent models, Transformers).",
                 false);
    p.option("platform", "NAME|FILE", "Built-in platform name (see --list-platforms) or a platform .json file.", "",
             'p');
    p.option("precision", "BITS", "Datapath precision: 8 (fixed), 16 (fixed) or 32 (float).", "16");
    p.option("batch", "N", "Frames processed together (weights fetched once per batch).", "1");
    p.option("k", "K",
             "Block size for every eligible Dense/Conv2D layer; a comma-separated list gives one "
             "estimate per k.",
             "", 'k');
    p.option("plan", "FILE", "JSON plan {\"default_k\": 8, \"layers\": {\"name\": k}} (instead of -k).");
    p.flag("convert-output", "Let -k apply to the output layer too (kept dense by default, as `convert` does).");
    p.flag("json", "Print the estimate(s) as JSON.");
    p.flag("list-platforms", "List the built-in platforms and those in $CIRCNN_PLATFORM_DIR, then exit.");
    p.option("write-platform", "FILE", "Write the chosen --platform as an editable JSON file, then exit.");
    p.epilog(
        "Examples:\n"
        "  circnn estimate 9216-4096-4096-1000 --platform asic-45nm -k 8,16\n"
        "  circnn estimate model.h5 --platform xcku060 --plan plan.json --json\n"
        "  circnn estimate '{\"input\":[64],\"layers\":[{\"embedding\":128,\"vocab\":1000},{\"transformer\":\n"
        "    {\"heads\":4,\"key_dim\":32,\"ff\":256}},\"global_average_pooling\",{\"dense\":4}]}' -p xcku060 -k 8\n"
        "  circnn estimate --platform xcku060 --write-platform my-board.json   (then edit and pass the file)\n"
        "Platforms: CIRCNN_PLATFORM_DIR names a folder of <name>.json files that override and extend the "
        "built-in presets.\n");
    if (!p.parse(args, out))
        return 0;

    if (p.given("list-platforms")) {
        for (const hw::PlatformListing& l : hw::listPlatforms())
            out << std::left << std::setw(20) << l.name << ' ' << std::setw(10) << l.origin << ' ' << l.description
                << "\n";
        return 0;
    }
    if (!p.given("platform"))
        throw ArgError("--platform is required (see --list-platforms)");
    const hw::Platform platform = hw::findPlatform(p.get("platform"));
    if (p.given("write-platform")) {
        hw::savePlatform(platform, p.get("write-platform"));
        out << "wrote platform '" << platform.name << "' to " << p.get("write-platform") << "\n";
        return 0;
    }
    if (!p.given("MODEL"))
        throw ArgError("MODEL (a model file or an architecture string like 9216-4096-4096-1000) is required");
    if (p.given("k") && p.given("plan"))
        throw ArgError("give either -k or --plan, not both");

    EstimateConfig config;
    const std::string what = p.get("MODEL");
    if (looksLikeArchitecture(what))
        config.architecture = what;
    else
        config.model = ModelSource::file(what);
    config.platform = platform;
    config.precision = hw::parsePrecision(p.get("precision"));
    config.batch = p.getInt("batch", 1);
    if (config.batch < 1)
        throw ArgError("--batch must be at least 1");
    if (p.given("plan")) {
        config.plan = readConversionPlan(p.get("plan")); // the plan format of `circnn convert`
    } else if (p.given("k")) {
        config.blockSizes = p.getIntList("k", 1);
        for (std::int64_t k : config.blockSizes)
            if (k < 1)
                throw ArgError("-k values must be at least 1");
    }
    if (p.given("convert-output"))
        config.plan.convertOutputLayer = true;
    const EstimateResult result = estimateModel(config);
    if (p.given("json")) {
        out << toJson(result).dump(2) << "\n";
        return 0;
    }
    for (std::size_t i = 0; i < result.estimates.size(); ++i) {
        if (i)
            out << "\n" << std::string(100, '=') << "\n\n";
        printEstimate(out, result.estimates[i]);
    }
    return 0;
}

const CommandRegistrar kRegistrar{
    Command{"estimate", "Estimate hardware cost (ops, storage, throughput, energy) on a platform", runEstimate}};

} // namespace

} // namespace circnn::cli
