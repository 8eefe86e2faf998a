// `circnn eval --task`: a tiny autoencoder and a tiny regressor written to the temp folder with a
// synthetic dataset; the reported MSE / MAE / ROC AUC against a naive reference computed here, the
// text labels (MSE, not accuracy), usage errors; and the MLPerf Tiny autoencoder from ../shared
// (skipped when absent) evaluated as a reconstruction, its per-sample MSE against the one implied
// by the shipped reference outputs.

#include <QTest>

#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "CommandRegistry.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "nn/Model.h"
#include "nn/RegressionMetrics.h"

using namespace circnn;

namespace {

int run(const std::vector<std::string>& args, std::string& out, std::string& err)
{
    std::ostringstream o, e;
    const int rc = cli::runCli(args, o, e);
    out = o.str();
    err = e.str();
    return rc;
}

Tensor seeded(const Shape& s, std::uint32_t seed)
{
    Tensor t(s);
    const auto v = test::randomVector(static_cast<std::size_t>(t.size()), seed, -0.5f, 0.5f);
    std::copy(v.begin(), v.end(), t.data());
    return t;
}

LayerSpec dense(const std::string& name, const std::string& input, std::int64_t in, std::int64_t units,
                ActivationKind act, std::uint32_t seed)
{
    LayerSpec l;
    l.name = name;
    l.kind = LayerKind::Dense;
    l.inputs = {input};
    l.units = units;
    l.activation = act;
    l.kernel = seeded({in, units}, seed);
    l.bias = seeded({units}, seed + 1);
    return l;
}

// in → hidden (relu) → out (linear).
ModelSpec twoLayer(const std::string& name, std::int64_t in, std::int64_t hidden, std::int64_t out)
{
    ModelSpec m;
    m.name = name;
    LayerSpec input;
    input.name = "input";
    input.kind = LayerKind::Input;
    input.inputShape = {in};
    m.layers.push_back(input);
    m.layers.push_back(dense("encode", "input", in, hidden, ActivationKind::Relu, 11));
    m.layers.push_back(dense("decode", "encode", hidden, out, ActivationKind::Linear, 13));
    m.inputs = {"input"};
    m.outputs = {"decode"};
    return m;
}

// Naive per-sample MSE of `model` on `x` against `target` (same layout as the output).
std::vector<double> naiveMse(const ModelSpec& spec, const Tensor& x, const Tensor& target)
{
    const Tensor y = Model(spec).forward(x);
    const std::int64_t n = x.dim(0), per = y.size() / n;
    std::vector<double> e;
    for (std::int64_t s = 0; s < n; ++s) {
        double sq = 0;
        for (std::int64_t i = 0; i < per; ++i) {
            const double d = double(y[s * per + i]) - double(target[s * per + i]);
            sq += d * d;
        }
        e.push_back(sq / double(per));
    }
    return e;
}

} // namespace

class TestCliEvalTask : public QObject {
    Q_OBJECT

    std::filesystem::path m_dir;
    ModelSpec m_auto, m_reg;
    Dataset m_data;

private slots:
    void initTestCase()
    {
        m_dir = test::tempDir() / "cli_eval_task";
        std::filesystem::create_directories(m_dir);
        m_auto = twoLayer("tiny-autoencoder", 8, 3, 8);
        m_reg = twoLayer("tiny-regressor", 8, 4, 2);
        writeNativeModel(m_auto, m_dir / "ae.circnn.h5");
        writeNativeModel(m_reg, m_dir / "reg.circnn.h5");
        m_data.name = "synthetic";
        m_data.images = seeded({24, 8}, 21);
        m_data.targets = seeded({24, 2}, 22);
        // Anomalies: every third sample, scaled up so the autoencoder reconstructs them worse.
        for (std::int64_t s = 0; s < 24; ++s) {
            m_data.labels.push_back(s % 3 == 0);
            if (s % 3 == 0)
                for (std::int64_t i = 0; i < 8; ++i)
                    m_data.images[s * 8 + i] *= 4.0f;
        }
        m_data.classCount = 2;
        writeDatasetH5(m_data, m_dir / "data.h5");
    }

    void reconstructAutomatically()
    {
        std::string out, err;
        QCOMPARE(run({"eval", (m_dir / "ae.circnn.h5").string(), "--data", (m_dir / "data.h5").string(), "--json"}, out,
                     err),
                 0);
        const auto j = nlohmann::json::parse(out);
        QCOMPARE(j["task"].get<std::string>(), std::string("reconstruct"));
        QCOMPARE(j["metric"].get<std::string>(), std::string("mse"));
        QVERIFY(!j.contains("top1"));
        QVERIFY(j["roc_auc"].is_null()); // labels are read only when asked for
        const auto ref = naiveMse(m_auto, m_data.images, m_data.images);
        double mean = 0;
        for (std::size_t s = 0; s < ref.size(); ++s) {
            QVERIFY(std::fabs(j["per_sample_mse"][s].get<double>() - ref[s]) < 1e-5 * (1 + ref[s]));
            mean += ref[s] / double(ref.size());
        }
        QVERIFY(std::fabs(j["mse"].get<double>() - mean) < 1e-5 * (1 + mean));
    }

    void anomalyLabelsGiveAuc()
    {
        std::string out, err;
        QCOMPARE(run({"eval", (m_dir / "ae.circnn.h5").string(), "--data", (m_dir / "data.h5").string(), "--labels-key",
                      "y", "--json"},
                     out, err),
                 0);
        const auto j = nlohmann::json::parse(out);
        std::vector<std::int32_t> labels(m_data.labels.begin(), m_data.labels.end());
        const auto auc = rocAuc(naiveMse(m_auto, m_data.images, m_data.images), labels);
        QVERIFY(auc.has_value());
        QVERIFY(std::fabs(j["roc_auc"].get<double>() - *auc) < 1e-9);
        QCOMPARE(j["anomalous_count"].get<int>(), 8);
        QCOMPARE(j["normal_count"].get<int>(), 16);

        // The text report is labelled as errors, not accuracy.
        QCOMPARE(run({"eval", (m_dir / "ae.circnn.h5").string(), "--data", (m_dir / "data.h5").string(), "--labels-key",
                      "y"},
                     out, err),
                 0);
        QVERIFY2(out.find("MSE") != std::string::npos && out.find("ROC AUC") != std::string::npos, out.c_str());
        QVERIFY2(out.find("top-1") == std::string::npos, out.c_str());
    }

    void reconstructWithConversion()
    {
        std::string out, err;
        QCOMPARE(run({"eval", (m_dir / "ae.circnn.h5").string(), "--data", (m_dir / "data.h5").string(), "-k", "2",
                      "--convert-output-layer", "--json"},
                     out, err),
                 0);
        const auto j = nlohmann::json::parse(out);
        QCOMPARE(j["circulant"]["task"].get<std::string>(), std::string("reconstruct"));
        QVERIFY(j["circulant"]["mse"].get<double>() > 0);
        QVERIFY(!j["circulant"]["converted_layers"].empty());
        QVERIFY(j["circulant"]["agreement"]["mean_squared_difference"].get<double>() > 0);
        QVERIFY(!j["circulant"]["agreement"].contains("top1_match"));
    }

    void regress()
    {
        std::string out, err;
        QCOMPARE(run({"eval", (m_dir / "reg.circnn.h5").string(), "--data", (m_dir / "data.h5").string(), "--task",
                      "regress", "--targets-key", "targets", "--json"},
                     out, err),
                 0);
        const auto j = nlohmann::json::parse(out);
        QCOMPARE(j["task"].get<std::string>(), std::string("regress"));
        const auto ref = naiveMse(m_reg, m_data.images, m_data.targets);
        for (std::size_t s = 0; s < ref.size(); ++s)
            QVERIFY(std::fabs(j["per_sample_mse"][s].get<double>() - ref[s]) < 1e-5 * (1 + ref[s]));
    }

    void usageErrors()
    {
        std::string out, err;
        const std::string model = (m_dir / "reg.circnn.h5").string(), data = (m_dir / "data.h5").string();
        QVERIFY(run({"eval", model, "--data", data, "--task", "segment"}, out, err) != 0);
        QVERIFY2(err.find("segment") != std::string::npos, err.c_str());
        QVERIFY(run({"eval", model, "--data", data, "--task", "regress"}, out, err) != 0);
        QVERIFY2(err.find("--targets-key") != std::string::npos, err.c_str());
        // The regressor's output (2) is not its input (8): no reconstruction.
        QVERIFY(run({"eval", model, "--data", data, "--task", "reconstruct"}, out, err) != 0);
        QVERIFY2(err.find("reconstruction") != std::string::npos, err.c_str());
        // A target key that does not exist is named.
        QVERIFY(run({"eval", model, "--data", data, "--task", "regress", "--targets-key", "nope"}, out, err) != 0);
        QVERIFY2(err.find("nope") != std::string::npos, err.c_str());
    }

    void mlperfAutoencoder()
    {
        const auto dir = test::sharedDir() / "models" / "mlperf-tiny";
        if (!std::filesystem::exists(dir / "autoencoder_ad01.h5") ||
            !std::filesystem::exists(dir / "autoencoder_ad01_reference.npz"))
            QSKIP("../shared/models/mlperf-tiny/autoencoder_ad01 not available");
        std::string out, err;
        const std::string ref = (dir / "autoencoder_ad01_reference.npz").string();
        QCOMPARE(run({"eval", (dir / "autoencoder_ad01.h5").string(), "--data", ref, "--json"}, out, err), 0);
        const auto j = nlohmann::json::parse(out);
        QCOMPARE(j["task"].get<std::string>(), std::string("reconstruct"));
        // The per-sample MSE the reference outputs (`y`, NumPy float64) imply for the inputs `x`.
        DatasetOptions xo, yo;
        xo.readLabels = yo.readLabels = false;
        yo.imagesKey = "y";
        const Dataset x = readDataset(ref, xo), y = readDataset(ref, yo);
        QCOMPARE(j["count"].get<std::int64_t>(), x.count());
        const std::int64_t per = x.images.size() / x.count();
        for (std::int64_t s = 0; s < x.count(); ++s) {
            double sq = 0;
            for (std::int64_t i = 0; i < per; ++i) {
                const double d = double(y.images[s * per + i]) - double(x.images[s * per + i]);
                sq += d * d;
            }
            const double want = sq / double(per), got = j["per_sample_mse"][s].get<double>();
            QVERIFY2(std::fabs(got - want) <= 1e-4 * want,
                     qPrintable(QString("sample %1: %2 vs %3").arg(s).arg(got).arg(want)));
        }
    }
};

QTEST_GUILESS_MAIN(TestCliEvalTask)
#include "TestCliEvalTask.moc"
