// `circnn bench`: block-circulant multiply vs OpenBLAS on the expanded matrix (core/circulant
// CirculantBenchmark), single thread, warm (and optionally cold) caches, as a table or JSON.
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>

#include "ArgParser.h"
#include "BenchInference.h"
#include "ChildProcess.h"
#include "CommandRegistry.h"
#include "circulant/CirculantBenchmark.h"
#include "common/Error.h"

namespace circnn::cli {

namespace {

std::vector<BenchShape> parseShapes(const std::vector<std::string>& items)
{
    std::vector<BenchShape> shapes;
    for (const std::string& s : items) {
        const auto x = s.find_first_of("xX");
        BenchShape shape;
        try {
            if (x == std::string::npos)
                throw std::invalid_argument(s);
            std::size_t used1 = 0, used2 = 0;
            shape.rows = std::stoll(s.substr(0, x), &used1);
            shape.cols = std::stoll(s.substr(x + 1), &used2);
            if (used1 != x || used2 != s.size() - x - 1)
                throw std::invalid_argument(s);
        } catch (const std::exception&) {
            throw ArgError("--shapes expects MxN items like 4096x9216, got '" + s + "'");
        }
        if (shape.rows < 1 || shape.cols < 1)
            throw ArgError("--shapes needs positive sizes, got '" + s + "'");
        shapes.push_back(shape);
    }
    return shapes;
}

} // namespace

std::string fixed(double v, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string sci(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1e", v);
    return buf;
}

// Set in the child that repeats the benchmark with the strongest OpenBLAS kernels (no recursion).
constexpr const char* kBlasChildVariable = "CIRCNN_BENCH_BLAS_CHILD";

// Only the circnn executable can be re-run (tests run commands inside their own executables).
bool isCircnnExecutable()
{
    std::error_code ec;
    return std::filesystem::read_symlink("/proc/self/exe", ec).filename() == "circnn";
}

namespace {

nlohmann::json rowJson(const BenchRow& r, bool cold, bool breakdown, bool reference)
{
    nlohmann::json j{{"m", r.rows},
                     {"n", r.cols},
                     {"k", r.blockSize},
                     {"batch", r.batch},
                     {"kernel", r.kernel},
                     {"dense_us", r.denseUs},
                     {"circulant_us", r.circulantUs},
                     {"speedup", r.speedup},
                     {"max_rel_diff", r.maxRelDiff},
                     {"compression", r.compression},
                     {"prepare_ms", r.prepareMs}};
    // Cold figures are null unless --cold was given.
    j["dense_cold_us"] = cold ? nlohmann::json(r.denseColdUs) : nlohmann::json(nullptr);
    j["circulant_cold_us"] = cold ? nlohmann::json(r.circulantColdUs) : nlohmann::json(nullptr);
    j["cold_speedup"] = cold ? nlohmann::json(r.coldSpeedup) : nlohmann::json(nullptr);
    if (breakdown && r.phaseSumUs > 0)
        j["phases"] = {{"forward_fft_us", r.forwardFftUs},        {"mac_us", r.macUs},
                       {"inverse_fft_us", r.inverseFftUs},        {"sum_us", r.phaseSumUs},
                       {"full_over_sum", r.fullOverPhases},       {"sequence_us", r.sequenceUs},
                       {"full_over_sequence", r.fullOverSequence}};
    if (reference)
        j["reference"] = {{"kind", "fftw+cgemm per bin"},
                          {"us", r.referenceUs},
                          {"engine_speedup", r.referenceSpeedup},
                          {"max_rel_diff", r.referenceMaxRelDiff}};
    return j;
}

} // namespace

// Honest baseline: with a fallback OpenBLAS core, the whole benchmark again with the strongest
// kernel family the CPU supports (in a child process: OpenBLAS reads OPENBLAS_CORETYPE at load).
nlohmann::json rerunWithStrongerBlas(const BenchMachine& machine, const std::vector<std::string>& args, bool json,
                                     bool disabled, std::ostream& out)
{
    nlohmann::json stronger;
    const bool rerun = machine.blasCoreIsWeaker && !std::getenv(kBlasChildVariable) && !disabled;
    if (rerun && !isCircnnExecutable()) {
        if (!json)
            out << "\n(not repeated with OPENBLAS_CORETYPE=" << machine.strongestBlasCore
                << ": only the circnn executable re-runs itself)\n";
    } else if (rerun) {
        if (!json)
            out << "\nAgain with OPENBLAS_CORETYPE=" << machine.strongestBlasCore
                << " (the strongest OpenBLAS kernels this CPU supports; targets count against the stronger "
                   "baseline):\n"
                << std::flush;
        std::vector<std::string> childArgs{"bench"};
        childArgs.insert(childArgs.end(), args.begin(), args.end());
        const auto child =
            runSelf(childArgs, {{"OPENBLAS_CORETYPE", machine.strongestBlasCore}, {kBlasChildVariable, "1"}});
        if (child.exitCode != 0)
            throw Error("the benchmark with OPENBLAS_CORETYPE=" + machine.strongestBlasCore + " failed (exit code " +
                        std::to_string(child.exitCode) + ")");
        if (json)
            stronger = nlohmann::json::parse(child.output, nullptr, false);
        else
            out << child.output << std::flush;
    }
    return stronger;
}

namespace {

int runBench(const std::vector<std::string>& args, std::ostream& out, std::ostream&)
{
    ArgParser p("circnn bench",
                "Time the block-circulant product against OpenBLAS (sgemv for batch 1, sgemm otherwise) on the "
                "expanded dense matrix, both on one thread, and check that both agree.");
    p.flag("json", "Print one JSON document (machine, settings, rows) instead of a table.");
    p.flag("quick", "Small, fast subset for demos and CI: 1024x1024, k = 16,64, batch 1,64, 3 repetitions.");
    p.option("shapes", "MxN,...", "Matrix shapes (rows x cols).", "1024x1024,4096x4096,4096x9216");
    p.option("k", "K,...", "Block sizes (those larger than max(rows, cols) are skipped).",
             "4,8,16,32,64,128,256,512,1024", 'k');
    p.option("batch", "B,...", "Batch sizes (1 uses sgemv, more use sgemm).", "1,64");
    p.option("repeat", "N", "Timed samples per figure; the median is reported.", "7");
    p.option("kernel", "auto|fft|direct", "Block-circulant kernel (auto picks direct only for k = 1).", "auto");
    p.option("clock", "cpu|wall", "Clock: the benchmark thread's CPU time (robust on a shared machine) or wall time.",
             "cpu");
    p.flag("breakdown",
           "Also time the three phases of the block-circulant product alone on the same data (forward "
           "FFTs, frequency-domain multiply-accumulate, inverse FFTs) and print full call / their sum, and the "
           "three run one after the other (seq) with full call / that.");
    p.flag("reference", "Also time a per-bin complex GEMM reference (FFTW many-plans + OpenBLAS cblas_cgemm per "
                        "frequency bin), checked against the dense product; 'vs ref' = reference / engine time.");
    p.flag("no-blas-rerun", "When OpenBLAS runs an older kernel family than this CPU supports, do not repeat the "
                            "benchmark with OPENBLAS_CORETYPE set to the strongest one.");
    p.flag("cold", "Also time with cold caches (a buffer twice the last-level cache, at most 1 GiB, is written before "
                   "each call).");
    p.epilog("Times are microseconds per call; speedup = dense / circulant. Examples:\n"
             "  circnn bench --quick\n"
             "  circnn bench --shapes 4096x9216 -k 16,64,256,1024 --batch 1 --cold\n"
             "  circnn bench --json > bench.json");
    p.option("model", "FILE",
             "Whole-model inference instead: the model (block-circulant layers expanded) against its "
             "conversion at each -k (default 16), batch 1,64, 1 thread and all (--threads).");
    p.flag("conv", "3x3 'same' convolutions instead: 256->256@28x28, 512->512@14x14, 512->512@7x7, block-circulant vs "
                   "im2col + sgemm on the same weights expanded (default -k 16,64, --batch 1,16, 1 thread).");
    p.option("lstm", "UNITS",
             "One LSTM layer instead (last output only): its W and U projected to block-circulant at each -k "
             "(default 8,16,64) against the same weights expanded (dense: OpenBLAS), --batch 1,32, 1 thread.");
    p.option("gru", "UNITS", "The same for a GRU layer (reset_after).");
    p.option("inputs", "N", "Input features of the --lstm / --gru layer (default: its units).");
    p.option("steps", "T", "Sequence length of the --lstm / --gru benchmark.", "100");
    p.option("threads", "T,...", "Thread counts for --model / --conv / --lstm ('all' = every core).", "");
    if (!p.parse(args, out))
        return 0;
    if (p.given("model") || p.has("conv") || p.given("lstm") || p.given("gru"))
        return runInferenceBench(p, args, out);

    BenchConfig config;
    if (p.has("quick")) {
        config.shapes = {{1024, 1024}};
        config.blockSizes = {16, 64};
        config.repeat = 3;
        config.minSampleSeconds = 1e-3;
    }
    if (!p.has("quick") || p.given("shapes"))
        config.shapes = parseShapes(p.getList("shapes"));
    if (!p.has("quick") || p.given("k"))
        config.blockSizes = p.getIntList("k", 1);
    config.batches = p.getIntList("batch", 1);
    if (!p.has("quick") || p.given("repeat"))
        config.repeat = static_cast<int>(p.getInt("repeat", 1, 1000000));
    if (config.repeat < 1 || config.repeat > 10000)
        throw ArgError("--repeat must be in [1, 10000], got " + p.get("repeat"));
    for (auto k : config.blockSizes)
        if (k < 1)
            throw ArgError("block sizes must be >= 1, got " + std::to_string(k));
    for (auto b : config.batches)
        if (b < 1 || b > 65536)
            throw ArgError("batch sizes must be in [1, 65536], got " + std::to_string(b));
    const std::string kernel = p.get("kernel");
    if (kernel == "fft")
        config.kernel = CirculantKernel::Fft;
    else if (kernel == "direct")
        config.kernel = CirculantKernel::Direct;
    else if (kernel != "auto")
        throw ArgError("--kernel must be auto, fft or direct, got '" + kernel + "'");
    config.cold = p.has("cold");
    config.breakdown = p.has("breakdown");
    config.reference = p.has("reference");
    const std::string clock = p.get("clock");
    if (clock != "cpu" && clock != "wall")
        throw ArgError("--clock must be cpu or wall, got '" + clock + "'");
    config.threadCpuClock = clock == "cpu";

    bool anyFits = false;
    for (const auto& shape : config.shapes)
        for (auto k : config.blockSizes)
            anyFits |= k <= std::max(shape.rows, shape.cols);
    if (!anyFits)
        throw ArgError("no block size fits the shapes (k must be at most max(rows, cols))");

    const BenchMachine machine = benchMachine();
    const bool json = p.has("json");
    std::vector<int> widths{11, 5, 5, 7, 12, 12, 9, 12, 12, 9, 9};
    std::vector<std::string> head{"shape",   "batch",      "k",         "kernel", "dense us", "circ us",
                                  "speedup", "dense cold", "circ cold", "cold x", "max diff"};
    if (config.breakdown) {
        for (const char* h : {"fwd fft", "mac", "inv fft", "sum", "full/sum", "seq", "full/seq"}) {
            head.push_back(h);
            widths.push_back(9);
        }
    }
    if (config.reference) {
        for (const char* h : {"ref us", "vs ref", "ref diff"}) {
            head.push_back(h);
            widths.push_back(10);
        }
    }
    auto cell = [&](std::size_t i, const std::string& s) {
        std::ostringstream os;
        os << (i ? " " : "") << (i == 0 ? std::left : std::right) << std::setw(widths[i]) << s;
        return os.str();
    };
    if (!json) {
        out << "block-circulant multiply vs OpenBLAS (single thread; us per call, " << clock << " clock, median of "
            << config.repeat << ")\n"
            << "machine: " << machine.cpuModel << ", " << machine.logicalCpus << " logical CPUs; OpenBLAS core "
            << machine.blasCore
            << (machine.blasCoreIsWeaker ? " (a fallback: this CPU supports " + machine.strongestBlasCore + ")" : "")
            << "\n\n";
        std::string line;
        for (std::size_t i = 0; i < head.size(); ++i)
            line += cell(i, head[i]);
        out << line << "\n" << std::flush;
    }
    const auto rows = runCirculantBenchmark(config, [&](const BenchRow& r) {
        if (json)
            return;
        std::vector<std::string> cells{std::to_string(r.rows) + "x" + std::to_string(r.cols),
                                       std::to_string(r.batch),
                                       std::to_string(r.blockSize),
                                       r.kernel,
                                       fixed(r.denseUs, 1),
                                       fixed(r.circulantUs, 1),
                                       fixed(r.speedup, 1) + "x",
                                       config.cold ? fixed(r.denseColdUs, 1) : "-",
                                       config.cold ? fixed(r.circulantColdUs, 1) : "-",
                                       config.cold ? fixed(r.coldSpeedup, 1) + "x" : "-",
                                       sci(r.maxRelDiff)};
        if (config.breakdown) {
            const bool has = r.phaseSumUs > 0; // FFT kernel only
            for (double v : {r.forwardFftUs, r.macUs, r.inverseFftUs, r.phaseSumUs})
                cells.push_back(has ? fixed(v, 1) : "-");
            cells.push_back(has ? fixed(r.fullOverPhases, 2) : "-");
            cells.push_back(has ? fixed(r.sequenceUs, 1) : "-");
            cells.push_back(has ? fixed(r.fullOverSequence, 2) : "-");
        }
        if (config.reference) {
            cells.push_back(fixed(r.referenceUs, 1));
            cells.push_back(fixed(r.referenceSpeedup, 2) + "x");
            cells.push_back(sci(r.referenceMaxRelDiff));
        }
        std::string line;
        for (std::size_t i = 0; i < cells.size(); ++i)
            line += cell(i, cells[i]);
        out << line << "\n" << std::flush;
    });
    const nlohmann::json stronger = rerunWithStrongerBlas(machine, args, json, p.has("no-blas-rerun"), out);
    if (json) {
        nlohmann::json doc;
        doc["machine"] = {{"cpu", machine.cpuModel},
                          {"logical_cpus", machine.logicalCpus},
                          {"openblas_core", machine.blasCore},
                          {"strongest_openblas_core", machine.strongestBlasCore},
                          {"openblas_core_is_fallback", machine.blasCoreIsWeaker}};
        if (!stronger.is_null())
            doc["stronger_openblas"] = stronger;
        doc["settings"] = {
            {"repeat", config.repeat}, {"cold", config.cold}, {"threads", 1}, {"kernel", kernel}, {"clock", clock}};
        doc["rows"] = nlohmann::json::array();
        for (const auto& r : rows)
            doc["rows"].push_back(rowJson(r, config.cold, config.breakdown, config.reference));
        out << doc.dump(2) << "\n";
    }
    // Agreement check: a product that disagrees with the dense baseline is a failure, not a result.
    for (const auto& r : rows)
        if (!(r.maxRelDiff <= 1e-4) || (config.reference && !(r.referenceMaxRelDiff <= 1e-4)))
            throw Error("circulant and dense products disagree for " + std::to_string(r.rows) + "x" +
                        std::to_string(r.cols) + " k = " + std::to_string(r.blockSize) + " (max relative difference " +
                        sci(std::max(r.maxRelDiff, r.referenceMaxRelDiff)) + ")");
    return 0;
}

const CommandRegistrar registrar{
    {"bench", "Benchmark block-circulant products against OpenBLAS dense products.", runBench}};

} // namespace

} // namespace circnn::cli
