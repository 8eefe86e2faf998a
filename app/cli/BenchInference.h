#pragma once
// `circnn bench --model FILE` and `circnn bench --conv` (core/analysis InferenceBenchmark), and the
// helpers they share with the matrix benchmark in CmdBench.cpp.

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ArgParser.h"
#include "circulant/CirculantBenchmark.h"

namespace circnn::cli {

std::string fixed(double v, int decimals);
std::string sci(double v);
// When OpenBLAS runs a fallback kernel family, runs `circnn bench args` again in a child process
// with OPENBLAS_CORETYPE = the strongest family the CPU supports: in text mode its output is
// printed, in JSON mode returned (null when not re-run).
nlohmann::json rerunWithStrongerBlas(const BenchMachine& machine, const std::vector<std::string>& args, bool json,
                                     bool disabled, std::ostream& out);

int runInferenceBench(const ArgParser& p, const std::vector<std::string>& args, std::ostream& out);

} // namespace circnn::cli
