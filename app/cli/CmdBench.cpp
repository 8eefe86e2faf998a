// `circnn bench`: block-circulant multiply vs OpenBLAS on the expanded matrix (core/circulant
// CirculantBenchmark), single thread, warm (and optionally cold) caches, as a table or JSON.
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ArgParser.h"
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

nlohmann::json rowJson(const BenchRow& r, bool cold)
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
    return j;
}

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
    p.flag("cold", "Also time with cold caches (a buffer twice the last-level cache, at most 1 GiB, is written before "
                   "each call).");
    p.epilog("Times are microseconds per call; speedup = dense / circulant. Examples:\n"
             "  circnn bench --quick\n"
             "  circnn bench --shapes 4096x9216 -k 16,64,256,1024 --batch 1 --cold\n"
             "  circnn bench --json > bench.json");
    if (!p.parse(args, out))
        return 0;

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
    const std::vector<int> widths{11, 5, 5, 7, 12, 12, 9, 12, 12, 9, 9};
    auto cell = [&](std::size_t i, const std::string& s) {
        std::ostringstream os;
        os << (i ? " " : "") << (i == 0 ? std::left : std::right) << std::setw(widths[i]) << s;
        return os.str();
    };
    if (!json) {
        out << "block-circulant multiply vs OpenBLAS (single thread; us per call, " << clock << " clock, median of "
            << config.repeat << ")\n"
            << "machine: " << machine.cpuModel << ", " << machine.logicalCpus << " logical CPUs; OpenBLAS core "
            << machine.blasCore << "\n\n";
        const std::vector<std::string> head{"shape",   "batch",      "k",         "kernel", "dense us", "circ us",
                                            "speedup", "dense cold", "circ cold", "cold x", "max diff"};
        std::string line;
        for (std::size_t i = 0; i < head.size(); ++i)
            line += cell(i, head[i]);
        out << line << "\n" << std::flush;
    }
    const auto rows = runCirculantBenchmark(config, [&](const BenchRow& r) {
        if (json)
            return;
        const std::vector<std::string> cells{std::to_string(r.rows) + "x" + std::to_string(r.cols),
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
        std::string line;
        for (std::size_t i = 0; i < cells.size(); ++i)
            line += cell(i, cells[i]);
        out << line << "\n" << std::flush;
    });
    if (json) {
        nlohmann::json doc;
        doc["machine"] = {
            {"cpu", machine.cpuModel}, {"logical_cpus", machine.logicalCpus}, {"openblas_core", machine.blasCore}};
        doc["settings"] = {
            {"repeat", config.repeat}, {"cold", config.cold}, {"threads", 1}, {"kernel", kernel}, {"clock", clock}};
        doc["rows"] = nlohmann::json::array();
        for (const auto& r : rows)
            doc["rows"].push_back(rowJson(r, config.cold));
        out << doc.dump(2) << "\n";
    }
    // Agreement check: a product that disagrees with the dense baseline is a failure, not a result.
    for (const auto& r : rows)
        if (!(r.maxRelDiff <= 1e-4))
            throw Error("circulant and dense products disagree for " + std::to_string(r.rows) + "x" +
                        std::to_string(r.cols) + " k = " + std::to_string(r.blockSize) + " (max relative difference " +
                        sci(r.maxRelDiff) + ")");
    return 0;
}

const CommandRegistrar registrar{
    {"bench", "Benchmark block-circulant products against OpenBLAS dense products.", runBench}};

} // namespace

} // namespace circnn::cli
