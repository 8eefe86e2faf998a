// Sweeps run on the bundled sample model (tiny: 300 evaluation samples): a point equals the core
// calls it is composed of, a cancelled and resumed sweep equals an uninterrupted one, shards merged
// equal the unsharded run, both parallel settings agree, the report's JSON and CSV agree with each
// other and with the results file, and an automatic plan meets its budget when re-evaluated.

#include <QtTest>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "analysis/AutoPlan.h"
#include "analysis/Conversion.h"
#include "analysis/SweepReport.h"
#include "analysis/SweepRunner.h"
#include "common/AtomicFile.h"
#include "common/Error.h"
#include "io/ConversionPlanFile.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "nn/Evaluation.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

std::string sample(const char* name)
{
    return (test::sourceDir() / "sample_models" / name).string();
}

SweepConfig tinyConfig()
{
    SweepConfig c;
    c.models = {sample("fashion_mlp_dense.h5")};
    c.blockSizes = {1, 4, 16};
    c.modes = {AccuracyMode::Project, AccuracyMode::DataAware};
    c.data = sample("fashion_test_1k.h5");
    c.evalLimit = 300;
    c.trainData = sample("fashion_test_1k.h5");
    c.trainLimit = 600;
    c.calibration = 200;
    c.platforms = {"xcku060", "asic-45nm"};
    c.timingSamples = 4;
    // Unit reordering (the annealing before the projection) is the costliest step and is not what
    // most of these tests are about; the auto-plan test runs a sweep with it and checks it against
    // convertModel with reordering.
    c.reorderUnits = false;
    return c;
}

fs::path freshDir(const std::string& name)
{
    const fs::path d = test::tempDir() / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// Everything but the measured timing, point by point.
void compareRuns(const std::vector<SweepPointResult>& a, const std::vector<SweepPointResult>& b)
{
    QCOMPARE(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        QCOMPARE(sweepPointComparableText(a[i]), sweepPointComparableText(b[i]));
}

// RFC 4180 fields of one CSV file.
std::vector<std::vector<std::string>> parseCsv(const std::string& text)
{
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
                field += '"', ++i;
            else if (c == '"')
                quoted = false;
            else
                field += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().push_back(field);
            field.clear();
        } else if (c == '\n') {
            rows.back().push_back(field);
            field.clear();
            rows.emplace_back();
        } else {
            field += c;
        }
    }
    rows.pop_back(); // after the last newline
    return rows;
}

std::string readText(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

class TestSweepRun : public QObject {
    Q_OBJECT
    SweepRunResult m_full; // the uninterrupted reference run
    fs::path m_fullFile;
private slots:
    void initTestCase()
    {
        const fs::path dir = freshDir("sweep_run_full");
        m_fullFile = dir / "full.jsonl";
        SweepRunOptions o;
        o.resultsFile = m_fullFile;
        std::size_t calls = 0;
        o.progress = [&](const SweepProgress& s) {
            ++calls;
            return s.done <= s.total;
        };
        m_full = runSweep(tinyConfig(), o);
        QCOMPARE(m_full.points.size(), std::size_t(6));
        QCOMPARE(m_full.computed, std::size_t(6));
        QVERIFY(calls > 6); // steps and points were reported
        QCOMPARE(readSweepResults(m_fullFile).points.size(), std::size_t(6));
    }

    void pointIsTheCompositionOfCoreCalls()
    {
        // m0/project/k=4: convertModel (without reordering, as configured) + evaluate + agreement with
        // the dense model.
        const SweepPointResult& p = m_full.points.at(1);
        QCOMPARE(p.id, std::string("m0/project/k=4"));
        const ModelSpec spec = readModel(sample("fashion_mlp_dense.h5"));
        ConversionRequest r;
        r.defaultBlockSize = 4;
        r.reorderUnits = false;
        const ConversionResult conv = convertModel(spec, r);
        DatasetOptions d;
        d.limit = 300;
        Dataset data = readDataset(sample("fashion_test_1k.h5"), d);
        const Model dense(spec), circ(conv.model);
        fitDatasetToInput(data, dense.inputShape());
        const Evaluation e = evaluate(circ, data), de = evaluate(dense, data);
        QCOMPARE(p.top1, e.top1);
        QCOMPARE(p.top5, e.top5);
        QCOMPARE(p.denseTop1, de.top1);
        QCOMPARE(p.agreement, compareModels(dense, circ, data).top1Match);
        QCOMPARE(p.layers.front().relativeResidual, conv.layers.front().relativeResidual);
        QCOMPARE(p.layers.front().parametersAfter, conv.layers.front().parametersAfter);
        QVERIFY(p.compression > 3.0 && p.compression < 4.0); // the dense output layer stays
        QCOMPARE(p.platforms.size(), std::size_t(2));
        QVERIFY(p.platforms[0].energyPjPerFrame < p.platforms[0].denseEnergyPjPerFrame);
        // k = 1 is the dense model itself.
        QCOMPARE(m_full.points.at(0).top1, de.top1);
        QCOMPARE(m_full.points.at(0).agreement, 1.0);
    }

    void cancelledAndResumedEqualsUninterrupted()
    {
        const fs::path f = freshDir("sweep_run_resume") / "r.jsonl";
        SweepRunOptions o;
        o.resultsFile = f;
        o.progress = [](const SweepProgress& s) { return s.done < 2; }; // cancel after two points
        QVERIFY_THROWS_EXCEPTION(Cancelled, runSweep(tinyConfig(), o));
        const std::size_t kept = readSweepResults(f).points.size();
        QVERIFY(kept >= 2 && kept < 6);
        o.progress = {};
        QVERIFY_THROWS_EXCEPTION(Error, runSweep(tinyConfig(), o)); // exists, no --resume
        o.resume = true;
        const SweepRunResult resumed = runSweep(tinyConfig(), o);
        QCOMPARE(resumed.resumed, kept);
        QCOMPARE(resumed.computed, 6 - kept);
        compareRuns(resumed.points, m_full.points);
        QCOMPARE(readSweepResults(f).points.size(), std::size_t(6)); // nothing repeated, nothing lost
        // Resuming with another config is refused.
        SweepConfig other = tinyConfig();
        other.blockSizes = {1, 8};
        QVERIFY_THROWS_EXCEPTION(Error, runSweep(other, o));
    }

    void shardsMergedEqualUnsharded()
    {
        const fs::path dir = freshDir("sweep_run_shards");
        std::vector<SweepResultsContents> parts;
        for (const char* shard : {"1/3", "2/3", "3/3"}) {
            SweepRunOptions o;
            o.resultsFile = dir / (std::string(1, shard[0]) + ".jsonl");
            o.shard = parseSweepShard(shard);
            o.parallelism = SweepParallelism::Inside; // the other setting than the reference
            const SweepRunResult r = runSweep(tinyConfig(), o);
            QCOMPARE(r.points.size(), std::size_t(2));
            parts.push_back(readSweepResults(o.resultsFile));
        }
        compareRuns(mergeSweepResults(parts).points, m_full.points);
        QVERIFY_THROWS_EXCEPTION(Error, mergeSweepResults({parts[0], parts[1], parts[0]}));
    }

    void reportJsonAndCsvAgreeWithResults()
    {
        const fs::path dir = freshDir("sweep_run_report");
        SweepResultsContents results = readSweepResults(m_fullFile);
        // The file holds the points in the order they finished; the report tables by point index.
        std::sort(results.points.begin(), results.points.end(),
                  [](const SweepPointResult& a, const SweepPointResult& b) { return a.index < b.index; });
        const SweepReport report = buildSweepReport(results, "test");
        QCOMPARE(report.expectedPoints, std::size_t(6));
        QCOMPARE(report.models.size(), std::size_t(1));
        QVERIFY(!report.hardwareAssumptions.empty());
        writeSweepReportJson(report, (dir / "r.json").string());
        const std::string layersPath = writeSweepReportCsv(report, (dir / "r.csv").string());
        QCOMPARE(fs::path(layersPath).filename().string(), std::string("r-layers.csv"));

        const nlohmann::json j = nlohmann::json::parse(readText(dir / "r.json"));
        QCOMPARE(j["schema"].get<std::string>(), std::string("circnn.report/1"));
        const auto csv = parseCsv(readText(dir / "r.csv"));
        const auto& head = csv.at(0);
        auto col = [&](const std::string& name) {
            const auto it = std::find(head.begin(), head.end(), name);
            if (it == head.end())
                throw Error("no CSV column " + name);
            return static_cast<std::size_t>(it - head.begin());
        };
        QCOMPARE(csv.size(), results.points.size() + 1);
        QCOMPARE(j["points"].size(), results.points.size());
        for (std::size_t i = 0; i < results.points.size(); ++i) {
            const SweepPointResult& p = results.points[i];
            const auto& row = csv[i + 1];
            const nlohmann::json& jp = j["points"][i];
            QCOMPARE(row.size(), head.size());
            QCOMPARE(row[col("point_id")], p.id);
            QCOMPARE(jp["id"].get<std::string>(), p.id);
            QCOMPARE(row[col("mode")], p.mode);
            QCOMPARE(jp["mode"].get<std::string>(), p.mode);
            for (const char* key : {"top1", "top5", "compression", "agreement", "dense_top1"}) {
                const double fromCsv = std::stod(row[col(key)]), fromJson = jp[key].get<double>();
                QCOMPARE(fromCsv, fromJson);
            }
            QCOMPARE(std::stod(row[col("top1")]), p.top1);
            QCOMPARE(std::stoll(row[col("parameters")]), p.parameters);
            QCOMPARE(std::stod(row[col("latency_ms")]), p.timing.latencyMs);
            QCOMPARE(std::stod(row[col("xcku060:energy_pj_per_frame")]), p.platform("xcku060")->energyPjPerFrame);
            QCOMPARE(jp["platforms"][1]["energy_pj_per_frame"].get<double>(), p.platforms[1].energyPjPerFrame);
            QCOMPARE(row[col("pareto_compression")] == "1", jp["pareto"]["accuracy_vs_compression"].get<bool>());
            QCOMPARE(row[col("asic-45nm:pareto_energy")] == "1",
                     jp["pareto"]["accuracy_vs_energy"]["asic-45nm"].get<bool>());
        }
        // The per-layer CSV: one row per point and layer, residuals as in the results.
        const auto layers = parseCsv(readText(layersPath));
        std::size_t rows = 0;
        for (const SweepPointResult& p : results.points)
            for (const SweepLayerResult& l : p.layers) {
                ++rows;
                QCOMPARE(layers.at(rows)[1], p.id);
                QCOMPARE(layers.at(rows)[5], l.layer);
                QCOMPARE(std::stod(layers.at(rows)[13]), l.relativeResidual);
            }
        QCOMPARE(layers.size(), rows + 1);
        // The dense k = 1 point has the best accuracy: it is on the compression front.
        QVERIFY(report.paretoCompression.count("m0/project/k=1"));
    }

    void autoPlanMeetsItsBudgetWhenReevaluated()
    {
        const fs::path dir = freshDir("sweep_autoplan");
        AutoPlanConfig c;
        c.sweep = tinyConfig();
        c.sweep.modes = {AccuracyMode::Project};
        c.sweep.blockSizes = {2, 4}; // two: the reordered searches are the slow part under the sanitizers
        c.sweep.reorderUnits = true; // checked below against convertModel with reordering
        c.sweep.platforms = {};
        c.budgetPoints = 6.0; // projection alone loses about 5 points at k = 2 on this MLP
        c.objective = PlanObjective::Parameters;
        const AutoPlanResult r = runAutoPlan(c, {});
        QVERIFY(r.verified);
        QVERIFY(r.exhaustive);
        QCOMPARE(r.sensitivityPoints, std::size_t(2)); // one eligible layer × 2 block sizes
        QVERIFY(!r.verifications.empty());
        QVERIFY(r.summary.find("Verified") != std::string::npos);
        QVERIFY(r.plan.at("dense_1") > 1); // not the trivial all-dense plan
        writeTextFileAtomically(dir / "plan.json", autoPlanFileJson(r, false).dump());
        // Independently: the plan file read back as `circnn convert --plan` reads it, converted and
        // evaluated from scratch.
        ConversionRequest request;
        static_cast<ConversionPlan&>(request) = readConversionPlan(dir / "plan.json");
        request.reorderUnits = true;
        const ModelSpec spec = readModel(sample("fashion_mlp_dense.h5"));
        const ConversionResult conv = convertModel(spec, request);
        DatasetOptions d;
        d.limit = 300;
        Dataset data = readDataset(sample("fashion_test_1k.h5"), d);
        const Model dense(spec), planned(conv.model);
        fitDatasetToInput(data, dense.inputShape());
        const double drop = evaluate(dense, data).top1 - evaluate(planned, data).top1;
        QVERIFY2(drop <= c.budgetPoints / 100.0 + 1e-12, ("drop " + std::to_string(drop)).c_str());
        QCOMPARE(evaluate(planned, data).top1, r.planTop1);
        // JSON round trip of the result.
        const AutoPlanResult back = autoPlanFromJson(nlohmann::json::parse(autoPlanToJson(r).dump()), "test");
        QCOMPARE(back.plan, r.plan);
        QCOMPARE(back.verifications.size(), r.verifications.size());
    }
};

QTEST_GUILESS_MAIN(TestSweepRun)
#include "TestSweepRun.moc"
