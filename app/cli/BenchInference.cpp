// `circnn bench --model FILE [-k K]` and `circnn bench --conv`: parse → InferenceBenchmark → print.
#include "BenchInference.h"

#include <iomanip>
#include <sstream>

#include "analysis/InferenceBenchmark.h"
#include "common/Error.h"
#include "common/Parallel.h"
#include "io/ModelFile.h"

namespace circnn::cli {

namespace {

nlohmann::json rowJson(const InferenceBenchRow& r)
{
    return {{"label", r.label},
            {"k", r.blockSize},
            {"batch", r.batch},
            {"threads", r.threads},
            {"dense_us", r.denseUs},
            {"circulant_us", r.circulantUs},
            {"speedup", r.speedup},
            {"max_rel_diff", r.maxRelDiff},
            {"dense_parameters", r.denseParameters},
            {"circulant_parameters", r.circulantParameters}};
}

} // namespace

int runInferenceBench(const ArgParser& p, const std::vector<std::string>& args, std::ostream& out)
{
    const bool conv = p.has("conv");
    const bool recurrent = p.given("lstm") || p.given("gru");
    if (int(conv) + int(p.given("model")) + int(recurrent) > 1 || (p.given("lstm") && p.given("gru")))
        throw ArgError("--model, --conv, --lstm and --gru are separate benchmarks: give one");
    InferenceBenchConfig config;
    config.batches = p.given("batch") ? p.getIntList("batch")
                                      : std::vector<std::int64_t>{1, conv        ? 16
                                                                     : recurrent ? 32
                                                                                 : 64};
    for (auto b : config.batches)
        if (b < 1 || b > 65536)
            throw ArgError("batch sizes must be in [1, 65536], got " + std::to_string(b));
    const std::vector<std::int64_t> ks = p.given("k") ? p.getIntList("k")
                                                      : (conv        ? std::vector<std::int64_t>{16, 64}
                                                         : recurrent ? std::vector<std::int64_t>{8, 16, 64}
                                                                     : std::vector<std::int64_t>{16});
    for (auto k : ks)
        if (k < 1)
            throw ArgError("block sizes must be >= 1, got " + std::to_string(k));
    config.threads.clear();
    const std::vector<std::string> threads =
        p.given("threads") ? p.getList("threads")
                           : (conv || recurrent ? std::vector<std::string>{"1"} : std::vector<std::string>{"1", "all"});
    for (const auto& t : threads) {
        if (t == "all") {
            config.threads.push_back(0);
            continue;
        }
        try {
            std::size_t used = 0;
            const long v = std::stol(t, &used);
            if (used != t.size() || v < 1 || v > 1024)
                throw std::invalid_argument(t);
            config.threads.push_back(static_cast<std::size_t>(v));
        } catch (const std::exception&) {
            throw ArgError("--threads expects thread counts or 'all', got '" + t + "'");
        }
    }
    if (p.given("repeat"))
        config.repeat = static_cast<int>(p.getInt("repeat"));
    if (config.repeat < 1 || config.repeat > 10000)
        throw ArgError("--repeat must be in [1, 10000], got " + p.get("repeat"));
    if (p.has("quick")) {
        config.repeat = std::min(config.repeat, 3);
        config.minSampleSeconds = 0.01;
    }

    const bool json = p.has("json");
    const BenchMachine machine = benchMachine();
    const std::vector<int> widths{18, 5, 6, 8, 13, 13, 9, 9};
    auto line = [&](const std::vector<std::string>& cells) {
        std::ostringstream os;
        for (std::size_t i = 0; i < cells.size(); ++i)
            os << (i ? " " : "") << (i == 0 ? std::left : std::right) << std::setw(widths[i]) << cells[i];
        out << os.str() << "\n" << std::flush;
    };
    if (!json) {
        out << (conv        ? "3x3 'same' convolution layers"
                : recurrent ? "recurrent layer"
                            : "whole-model inference")
            << ": dense vs block-circulant (us per batch; thread CPU time if all rows use 1 thread, else wall clock; "
               "median of "
            << config.repeat << ")\n"
            << "machine: " << machine.cpuModel << ", " << machine.logicalCpus << " logical CPUs; OpenBLAS core "
            << machine.blasCore
            << (machine.blasCoreIsWeaker ? " (a fallback: this CPU supports " + machine.strongestBlasCore + ")" : "")
            << "\n\n";
        line({conv || recurrent ? "layer" : "model", "k", "batch", "threads", "dense us", "circ us", "speedup",
              "max diff"});
    }
    auto onRow = [&](const InferenceBenchRow& r) {
        if (!json)
            line({r.label, std::to_string(r.blockSize), std::to_string(r.batch), std::to_string(r.threads),
                  fixed(r.denseUs, 1), fixed(r.circulantUs, 1), fixed(r.speedup, 2) + "x", sci(r.maxRelDiff)});
    };
    std::vector<InferenceBenchRow> rows;
    if (conv) {
        const std::vector<ConvBenchShape> shapes =
            p.has("quick") ? std::vector<ConvBenchShape>{{64, 64, 14, 14}}
                           : std::vector<ConvBenchShape>{{256, 256, 28, 28}, {512, 512, 14, 14}, {512, 512, 7, 7}};
        rows = benchmarkConvolutions(shapes, ks, config, onRow);
    } else if (recurrent) {
        RecurrentBenchShape shape;
        shape.kind = p.given("lstm") ? LayerKind::LSTM : LayerKind::GRU;
        shape.units = p.getInt(p.given("lstm") ? "lstm" : "gru");
        shape.inputs = p.given("inputs") ? p.getInt("inputs") : shape.units;
        shape.steps = p.getInt("steps");
        if (shape.units < 1 || shape.inputs < 1 || shape.steps < 1 || shape.units > 65536 || shape.inputs > 65536 ||
            shape.steps > 100000)
            throw ArgError("--lstm/--gru, --inputs and --steps must be positive (units, inputs <= 65536, steps <= "
                           "100000)");
        rows = benchmarkRecurrent(shape, ks, config, onRow);
        if (rows.empty())
            throw ArgError("no block size fits the layer (k must be at most its units and inputs)");
    } else {
        const ModelSpec model = readModel(p.get("model"));
        for (auto k : ks) {
            auto part = benchmarkModelInference(model, k, config, onRow);
            rows.insert(rows.end(), part.begin(), part.end());
        }
    }
    const nlohmann::json stronger = rerunWithStrongerBlas(machine, args, json, p.has("no-blas-rerun"), out);
    if (json) {
        nlohmann::json doc;
        doc["machine"] = {{"cpu", machine.cpuModel},
                          {"logical_cpus", machine.logicalCpus},
                          {"all_threads", workerCount()},
                          {"openblas_core", machine.blasCore},
                          {"strongest_openblas_core", machine.strongestBlasCore},
                          {"openblas_core_is_fallback", machine.blasCoreIsWeaker}};
        if (!stronger.is_null())
            doc["stronger_openblas"] = stronger;
        doc["kind"] = conv ? "conv" : recurrent ? "recurrent" : "model";
        doc["rows"] = nlohmann::json::array();
        for (const auto& r : rows)
            doc["rows"].push_back(rowJson(r));
        out << doc.dump(2) << "\n";
    }
    for (const auto& r : rows)
        if (!(r.maxRelDiff <= 1e-3))
            throw Error("dense and block-circulant outputs disagree for " + r.label +
                        " k = " + std::to_string(r.blockSize) + " (max relative difference " + sci(r.maxRelDiff) + ")");
    return 0;
}

} // namespace circnn::cli
