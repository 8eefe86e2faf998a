// `circnn report RESULTS.jsonl... [--merge] [--plan-result autoplan.json] --report out.html --pdf
// out.pdf --csv out.csv --json out.json`: reports from sweep results files. Several files (shards,
// or resumed parts) are joined with --merge, which refuses files of different sweep configs and
// points present twice; -o writes the merged results file.

#include <fstream>
#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "SweepCli.h"
#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/InputFile.h"

namespace circnn::cli {

namespace {

int runReport(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    ArgParser p("circnn report", "Reports (HTML, PDF, CSV, JSON) from sweep results files; joins shards with --merge.");
    p.positional("RESULTS", "Sweep results file(s) (JSON Lines, from `circnn sweep --results`).", true, true);
    p.flag("merge",
           "Join several results files of one sweep (shards): refuses different configs and duplicate points.");
    p.option("output", "MERGED.jsonl", "With --merge: also write the merged results file.", "", 'o');
    p.option("plan-result", "FILE", "Include an automatic plan (`circnn autoplan --result-json FILE`).");
    addReportOptions(p);
    p.epilog("Examples:\n"
             "  circnn report sweep.jsonl --report sweep.html --pdf sweep.pdf\n"
             "  circnn report --merge shard-1.jsonl shard-2.jsonl shard-3.jsonl -o sweep.jsonl --csv sweep.csv");
    if (!p.parse(args, out))
        return 0;
    const std::vector<std::string> files = p.getList("RESULTS");
    if (files.size() > 1 && !p.given("merge"))
        throw ArgError("several results files given: pass --merge to join them");
    std::vector<SweepResultsContents> parts;
    for (const std::string& f : files) {
        parts.push_back(readSweepResults(f));
        if (parts.back().partialLastLine)
            err << "warning: " << f << " ends in a line cut short (a killed run?); it is ignored\n";
    }
    const SweepResultsContents merged = mergeSweepResults(parts);
    if (p.given("output")) {
        if (!p.given("merge"))
            throw ArgError("-o is for --merge");
        std::string text;
        for (const SweepResultsHeader& h : merged.headers)
            text += sweepHeaderToJson(h).dump() + "\n";
        for (const SweepPointResult& pt : merged.points)
            text += sweepPointToJson(pt).dump() + "\n";
        writeTextFileAtomically(p.get("output"), text);
        out << "wrote " << p.get("output") << " (" << merged.points.size() << " points)\n";
    }
    std::optional<AutoPlanResult> plan;
    if (p.given("plan-result")) {
        const std::string text = readTextInput(p.get("plan-result"), "autoplan result");
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception& e) { // syntax, or a number out of range
            throw FormatError("'" + p.get("plan-result") + "' is not valid JSON (" + e.what() + ")");
        }
        plan = autoPlanFromJson(j, p.get("plan-result"));
    }
    SweepReport report = buildSweepReport(merged, p.given("title") ? p.get("title") : "Block-size sweep", plan);
    report.tool = toolName();
    if (p.given("print-json")) {
        out << sweepReportToJson(report).dump(2) << "\n";
        std::ostringstream ignored;
        writeReportOutputs(p, report, ignored);
        return 0;
    }
    out << files.size() << " results file(s): " << report.points.size() << " of " << report.expectedPoints
        << " points, config " << report.configHash << "\n";
    printSweepTable(out, report);
    if (!writeReportOutputs(p, report, out) && !p.given("output"))
        out << "(no output asked for: --report, --pdf, --csv, --json)\n";
    return 0;
}

const CommandRegistrar registrar({"report", "Reports from sweep results; --merge joins shards.", runReport});

} // namespace

} // namespace circnn::cli
