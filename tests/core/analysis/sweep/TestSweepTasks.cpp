// Sweeps of a reconstruction model (a tiny autoencoder on low-rank synthetic data with 0/1 anomaly
// labels, written to HDF5 here): the task is detected, every point carries the reconstruction
// error (checked against direct forward passes of the converted model) in the results file, the
// report JSON and the CSV, and the Pareto fronts minimise the MSE (lower is better) where a
// classifier's maximise top-1.

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../../nn/NnTestUtil.h"
#include "TestSupport.h"
#include "analysis/Conversion.h"
#include "analysis/SaveWorkflow.h"
#include "analysis/Sensitivity.h"
#include "analysis/SweepReport.h"
#include "analysis/SweepRunner.h"
#include "io/DatasetFile.h"
#include "nn/Model.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

// 16 → 8 (tanh) → 16 (linear): a reconstruction model (output shape = input shape, linear).
ModelSpec autoencoder()
{
    test::SpecBuilder b({16}, "tiny-autoencoder");
    b.dense(16, 8, ActivationKind::Tanh);
    b.dense(8, 16);
    return b.done();
}

// Low-rank samples; every 4th is anomalous (label 1: a spike off the subspace) when `anomalies`.
Dataset lowRank(std::int64_t n, std::uint32_t seed, bool anomalies)
{
    Dataset d;
    d.name = "low-rank";
    d.images = Tensor({n, 16});
    d.labels.assign(static_cast<std::size_t>(n), 0);
    const Tensor basis = test::randomTensor({3, 16}, 99);
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 0.5f);
    for (std::int64_t s = 0; s < n; ++s) {
        const float a = g(rng), b = g(rng), c = g(rng);
        for (std::int64_t i = 0; i < 16; ++i)
            d.images[s * 16 + i] = a * basis[i] + b * basis[16 + i] + c * basis[32 + i];
        if (anomalies && s % 4 == 3) {
            d.images[s * 16 + s % 16] += 2.0f;
            d.labels[static_cast<std::size_t>(s)] = 1;
        }
    }
    return d;
}

double directMse(const ModelSpec& m, const Tensor& x)
{
    const Tensor y = Model(m).forward(x);
    double s = 0;
    for (std::int64_t i = 0; i < y.size(); ++i)
        s += std::pow(double(y[i]) - double(x[i]), 2);
    return s / double(y.size());
}

std::string readText(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The front by definition, minimising (cost, −compression): no other point at least as good in both
// and better in one.
std::set<std::string> bruteFront(const std::vector<SweepPointResult>& points)
{
    std::set<std::string> front;
    for (const SweepPointResult& p : points) {
        bool beaten = false;
        for (const SweepPointResult& q : points)
            beaten = beaten || (q.id != p.id && q.cost() <= p.cost() && q.compression >= p.compression &&
                                (q.cost() < p.cost() || q.compression > p.compression));
        if (!beaten)
            front.insert(p.id);
    }
    return front;
}

} // namespace

class TestSweepTasks : public QObject {
    Q_OBJECT
    fs::path m_dir, m_model, m_eval, m_train;
    SweepConfig m_config;
    SweepRunResult m_run;
private slots:
    void initTestCase()
    {
        m_dir = test::tempDir() / "sweep_tasks";
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
        m_model = m_dir / "ae.circnn.h5";
        m_eval = m_dir / "ae_test.h5";
        m_train = m_dir / "ae_train.h5";
        saveModel(autoencoder(), m_model);
        writeDatasetH5(lowRank(120, 2, true), m_eval);
        writeDatasetH5(lowRank(300, 1, false), m_train);
        m_config.models = {m_model.string()};
        m_config.blockSizes = {1, 2, 4, 8};
        m_config.modes = {AccuracyMode::Project, AccuracyMode::Finetune};
        m_config.convertOutputLayer = true;
        m_config.epochs = 1;
        m_config.data = m_eval.string();
        m_config.trainData = m_train.string();
        m_config.calibration = 100;
        m_config.platforms = {"xcku060"};
        m_config.timingSamples = 2;
        m_config.anomalyLabels = true; // task Auto: detected
        SweepRunOptions o;
        o.resultsFile = m_dir / "ae.jsonl";
        m_run = runSweep(m_config, o);
        QCOMPARE(m_run.points.size(), std::size_t(8));
    }

    void pointsCarryTheReconstructionError()
    {
        const Dataset eval = lowRank(120, 2, true);
        const ModelSpec dense = autoencoder();
        const double denseMse = directMse(dense, eval.images);
        for (const SweepPointResult& p : m_run.points) {
            QCOMPARE(p.task, std::string("reconstruct"));
            QCOMPARE(p.metric().key, std::string("mse"));
            QVERIFY(!p.metric().higherIsBetter);
            QCOMPARE(p.top1, 0.0);
            QVERIFY2(std::abs(p.errors.denseMse - denseMse) <= 1e-6 * denseMse, p.id.c_str());
            QCOMPARE(p.score(), p.errors.mse);
            QVERIFY(p.errors.rocAuc && p.errors.denseRocAuc); // 0/1 labels were read
            QVERIFY(*p.errors.rocAuc >= 0 && *p.errors.rocAuc <= 1);
        }
        // m0/project/k=4: the Frobenius projection (after reordering), evaluated directly.
        const SweepPointResult& p = m_run.points.at(2);
        QCOMPARE(p.id, std::string("m0/project/k=4"));
        SweepPointSpec spec;
        spec.index = 2;
        spec.id = p.id;
        spec.mode = AccuracyMode::Project;
        spec.k = 4;
        const ConversionResult conv = convertModel(dense, sweepConversionRequest(m_config, spec));
        const double mse = directMse(conv.model, eval.images);
        QVERIFY2(std::abs(p.errors.mse - mse) <= 1e-6 * mse,
                 qPrintable(QString("%1 vs %2").arg(p.errors.mse).arg(mse)));
        QVERIFY(p.errors.mse != denseMse); // the projection changed the model
        // The dense point (k = 1) has the dense model's error.
        QVERIFY(std::abs(m_run.points.at(0).errors.mse - denseMse) <= 1e-6 * denseMse);
    }

    void resultsFileAndReportCarryMse()
    {
        // The results file: every point line names the task and metric and holds the errors.
        std::istringstream lines(readText(m_dir / "ae.jsonl"));
        std::size_t pointLines = 0;
        for (std::string line; std::getline(lines, line);) {
            const auto j = nlohmann::json::parse(line);
            if (j.value("kind", "") == "header")
                continue;
            ++pointLines;
            QCOMPARE(j["task"].get<std::string>(), std::string("reconstruct"));
            QCOMPARE(j["metric"].get<std::string>(), std::string("mse"));
            QVERIFY(j["errors"]["mse"].is_number() && j["errors"]["roc_auc"].is_number());
        }
        QCOMPARE(pointLines, std::size_t(8));
        SweepResultsContents read = readSweepResults(m_dir / "ae.jsonl");
        std::sort(read.points.begin(), read.points.end(), // file order: as points finished
                  [](const SweepPointResult& a, const SweepPointResult& b) { return a.index < b.index; });
        for (std::size_t i = 0; i < read.points.size(); ++i)
            QCOMPARE(sweepPointComparableText(read.points[i]), sweepPointComparableText(m_run.points[i]));

        const SweepReport report = buildSweepReport(read, "autoencoder sweep");
        QCOMPARE(report.metric().label, std::string("reconstruction MSE (lower is better)"));
        const auto j = sweepReportToJson(report);
        for (std::size_t i = 0; i < report.points.size(); ++i)
            QCOMPARE(j["points"][i]["errors"]["mse"].get<double>(), report.points[i].errors.mse);
        // CSV: the task and error columns of the first point.
        const auto split = [](const std::string& line) {
            std::vector<std::string> out;
            std::stringstream ss(line);
            for (std::string f; std::getline(ss, f, ',');)
                out.push_back(f);
            return out;
        };
        std::istringstream csv(sweepReportCsv(report));
        std::string headLine, firstRow;
        std::getline(csv, headLine);
        std::getline(csv, firstRow);
        const std::vector<std::string> names = split(headLine), values = split(firstRow);
        const auto col = [&](const std::string& n) {
            return std::size_t(std::find(names.begin(), names.end(), n) - names.begin());
        };
        QVERIFY(col("mse") < values.size() && col("task") < values.size());
        QCOMPARE(values[col("task")], std::string("reconstruct"));
        QCOMPARE(std::stod(values[col("mse")]), report.points.front().errors.mse);
    }

    void paretoFrontMinimisesTheError()
    {
        const SweepReport report = buildSweepReport(readSweepResults(m_dir / "ae.jsonl"), "t");
        QCOMPARE(report.paretoCompression, bruteFront(report.points));
        // The point of lowest error is on the front, as a classifier's best accuracy would be.
        const auto best = std::min_element(report.points.begin(), report.points.end(),
                                           [](const auto& a, const auto& b) { return a.errors.mse < b.errors.mse; });
        QVERIFY(report.paretoCompression.count(best->id));
        // Synthetic points where the direction matters: A (MSE 1, ×1), B (MSE 5, ×4), C (MSE 2, ×4).
        SweepResultsContents synthetic = readSweepResults(m_dir / "ae.jsonl");
        synthetic.points.resize(3);
        const double mses[] = {1, 5, 2}, comps[] = {1, 4, 4};
        for (std::size_t i = 0; i < 3; ++i) {
            synthetic.points[i].errors.mse = mses[i];
            synthetic.points[i].compression = comps[i];
        }
        const SweepReport s = buildSweepReport(synthetic, "t");
        QCOMPARE(s.paretoCompression,
                 (std::set<std::string>{synthetic.points[0].id, synthetic.points[2].id})); // B is beaten by C
    }

    void sensitivityCurvesUseTheError()
    {
        SweepConfig c = m_config;
        c.kind = SweepKind::Sensitivity;
        c.modes = {AccuracyMode::Project};
        c.blockSizes = {2, 4};
        const SweepRunResult r = runSweep(c, {});
        const std::vector<SensitivityCurve> curves = sensitivityCurves(r.points);
        QCOMPARE(curves.size(), std::size_t(2)); // both Dense layers
        for (const SensitivityCurve& curve : curves) {
            QCOMPARE(curve.task, std::string("reconstruct"));
            QCOMPARE(curve.denseTop1, curve.points.front()->errors.denseMse);
            for (std::size_t i = 0; i < curve.top1.size(); ++i)
                QCOMPARE(curve.top1[i], curve.points[i]->errors.mse);
        }
    }

    void configKeepsTheHashOfClassificationSweeps()
    {
        // The task keys are written only when set, so a classification config hashes as before.
        SweepConfig c = m_config;
        c.task = Task::Auto;
        c.anomalyLabels = false;
        const auto j = sweepConfigToJson(c);
        QVERIFY(!j.contains("task") && !j.contains("anomaly_labels") && !j.contains("targets_key"));
        c.task = Task::Reconstruct;
        c.anomalyLabels = true;
        const SweepConfig back = sweepConfigFromJson(nlohmann::json::parse(sweepConfigToJson(c).dump()), "test");
        QCOMPARE(back.task, Task::Reconstruct);
        QVERIFY(back.anomalyLabels);
        QVERIFY(sweepConfigHash(back) != sweepConfigHash(m_config));
        c.task = Task::Regress;
        QVERIFY_THROWS_EXCEPTION(Error, validateSweepConfig(c)); // needs targets_key
    }
};

QTEST_GUILESS_MAIN(TestSweepTasks)
#include "TestSweepTasks.moc"
