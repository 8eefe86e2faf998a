#pragma once
// Pieces shared by `circnn sweep`, `sensitivity`, `autoplan` and `report`: the sweep flags (the
// same fields as the JSON config file), the progress line with ETA and Ctrl+C cancel, the
// provenance of the run, and the report outputs (--report HTML, --pdf, --csv, --json).

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "ArgParser.h"
#include "analysis/AutoPlan.h"
#include "analysis/SweepConfig.h"
#include "analysis/SweepReport.h"
#include "analysis/SweepRunner.h"

namespace circnn::cli {

// MODEL... positional, --config, --data, --labels, --train-data, --train-labels, -k, --grid,
// --layers, --mode, --epochs, --platforms, --precision, --batch, --seed, --eval-limit,
// --train-limit, --calibration, --timing-samples, --no-reorder, --convert-output-layer, --task,
// --targets-key, --anomaly-labels, --integers, --lr.
// `modesDefault`: the --mode default ("project").
void addSweepConfigOptions(ArgParser& p, bool manyModels);
// --results, --resume, --shard, --parallel.
void addSweepRunOptions(ArgParser& p);
// --report, --pdf, --csv, --json, --title, --print-json.
void addReportOptions(ArgParser& p);

// The config: --config FILE first (if given), then every flag given on the command line
// overrides its field. ArgError for bad values.
SweepConfig sweepConfigFromArgs(const ArgParser& p);
// Run options with provenance (tool, commit, the command line) and a progress line on stderr
// (when it is a terminal) that Ctrl+C turns into a cancel.
SweepRunOptions sweepRunOptionsFromArgs(const ArgParser& p, const std::string& command,
                                        const std::vector<std::string>& args, std::ostream& err);

// Installs a SIGINT handler for the lifetime of the object: the first Ctrl+C asks the running
// sweep to stop (finished points are kept), the second one kills the process as usual.
class CancelOnInterrupt {
public:
    CancelOnInterrupt();
    ~CancelOnInterrupt();
    static bool requested();
};

// "circnn 0.1.0" and the commit the tool was built from.
std::string toolName();
std::string toolCommit();

// The results of a finished run as the contents of its results file.
SweepResultsContents contentsOfRun(const SweepRunResult& run);

// Writes the outputs asked for (--report, --pdf, --csv, --json); prints one line per file written.
// Returns true if any was asked for.
bool writeReportOutputs(const ArgParser& p, const SweepReport& report, std::ostream& out);

// `circnn sweep` and `circnn sensitivity` (the same command with another kind of sweep).
int runSweepCommand(const std::string& command, SweepKind kind, const std::vector<std::string>& args, std::ostream& out,
                    std::ostream& err);

// The sweep table as text (one line per point).
void printSweepTable(std::ostream& out, const SweepReport& report);

} // namespace circnn::cli
