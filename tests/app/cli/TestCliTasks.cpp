// `--task reconstruct | regress` in the commands that train and compare, run in-process on small
// synthetic data written to the temp folder: `circnn train` of an autoencoder architecture (MSE
// loss that decreases, linear output), `circnn finetune --task regress` against stored targets,
// and `circnn sweep` / `circnn report` of a reconstruction model (MSE in the table, the results
// file, the CSV, the JSON and the HTML report, labelled lower-is-better).

#include <QTest>

#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "CommandRegistry.h"
#include "TestSupport.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

int run(const std::vector<std::string>& args, std::string& out, std::string& err)
{
    std::ostringstream o, e;
    const int rc = cli::runCli(args, o, e);
    out = o.str();
    err = e.str();
    return rc;
}

std::string readText(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// n samples of 16 values on a 3-dimensional subspace; every 4th anomalous (label 1, a spike) when
// `anomalies`; with `targets`, regression targets tanh(A x) of 4 values.
Dataset synthetic(std::int64_t n, std::uint32_t seed, bool anomalies, bool targets)
{
    Dataset d;
    d.images = Tensor({n, 16});
    d.labels.assign(static_cast<std::size_t>(n), 0);
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 0.5f);
    std::mt19937 fixed(99);
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    std::vector<float> basis(48), map(64);
    for (float& v : basis)
        v = u(fixed);
    for (float& v : map)
        v = u(fixed);
    if (targets)
        d.targets = Tensor({n, 4});
    for (std::int64_t s = 0; s < n; ++s) {
        const float a = g(rng), b = g(rng), c = g(rng);
        for (std::int64_t i = 0; i < 16; ++i)
            d.images[s * 16 + i] = a * basis[i] + b * basis[16 + i] + c * basis[32 + i];
        if (anomalies && s % 4 == 3) {
            d.images[s * 16 + s % 16] += 2.0f;
            d.labels[static_cast<std::size_t>(s)] = 1;
        }
        for (std::int64_t o = 0; targets && o < 4; ++o) {
            float v = 0;
            for (std::int64_t i = 0; i < 16; ++i)
                v += d.images[s * 16 + i] * map[i * 4 + o];
            d.targets[s * 4 + o] = std::tanh(v);
        }
    }
    return d;
}

} // namespace

class TestCliTasks : public QObject {
    Q_OBJECT

    fs::path m_dir, m_autoencoder;
    nlohmann::json m_trainJson;

private slots:
    void initTestCase()
    {
        m_dir = test::tempDir() / "cli_tasks";
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
        writeDatasetH5(synthetic(400, 1, false, false), m_dir / "ae_train.h5");
        writeDatasetH5(synthetic(120, 2, true, false), m_dir / "ae_test.h5");
        writeDatasetH5(synthetic(400, 3, false, true), m_dir / "reg_train.h5");
        writeDatasetH5(synthetic(100, 4, false, true), m_dir / "reg_test.h5");
        // The autoencoder the other tests use, trained from an architecture.
        m_autoencoder = m_dir / "ae.h5";
        std::string out, err;
        const int rc = run({"train", "16-8-16", "--task", "reconstruct", "--data", (m_dir / "ae_train.h5").string(),
                            "--epochs", "5", "--lr", "0.01", "--test", (m_dir / "ae_test.h5").string(), "-o",
                            m_autoencoder.string(), "--json"},
                           out, err);
        QVERIFY2(rc == 0, err.c_str());
        m_trainJson = nlohmann::json::parse(out);
    }

    void trainReconstructLossDecreases()
    {
        const nlohmann::json& j = m_trainJson;
        QCOMPARE(j["task"].get<std::string>(), std::string("reconstruct"));
        QCOMPARE(j["metric"].get<std::string>(), std::string("mse"));
        const auto& h = j["history"];
        QCOMPARE(h.size(), std::size_t(5));
        const double first = h.front()["loss"].get<double>(), last = h.back()["loss"].get<double>();
        QVERIFY2(last < 0.7 * first, qPrintable(QString("training MSE %1 -> %2").arg(first).arg(last)));
        QVERIFY(h.front()["accuracy"].is_null()); // NaN: no accuracy for the MSE loss
        QCOMPARE(j["test"]["task"].get<std::string>(), std::string("reconstruct"));
        QVERIFY(j["test"]["mse"].get<double>() > 0);
        const ModelSpec m = readModel(m_autoencoder);
        QCOMPARE(m.find(m.outputs.front())->activation, ActivationKind::Linear);

        // The text report speaks of MSE, not accuracy.
        std::string out, err;
        QCOMPARE(run({"train", "16-8-16", "--task", "reconstruct", "--data", (m_dir / "ae_train.h5").string(),
                      "--epochs", "1", "--test", (m_dir / "ae_test.h5").string(), "-o", (m_dir / "ae1.h5").string()},
                     out, err),
                 0);
        QVERIFY2(out.find("validation MSE") != std::string::npos &&
                     out.find("test (reconstruct) MSE") != std::string::npos && out.find("acc") == std::string::npos,
                 out.c_str());
    }

    void finetuneRegress()
    {
        std::string out, err;
        const fs::path model = m_dir / "reg.h5", tuned = m_dir / "reg_k4.circnn.h5";
        const std::string train = (m_dir / "reg_train.h5").string(), test = (m_dir / "reg_test.h5").string();
        QCOMPARE(run({"train", "16-8-4", "--task", "regress", "--targets-key", "targets", "--data", train, "--epochs",
                      "6", "--lr", "0.01", "-o", model.string()},
                     out, err),
                 0);
        // Without --targets-key: a usage error naming it.
        QCOMPARE(
            run({"finetune", model.string(), "-k", "4", "--task", "regress", "--data", train, "-o", tuned.string()},
                out, err),
            2);
        QVERIFY2(err.find("--targets-key") != std::string::npos, err.c_str());
        QVERIFY(!fs::exists(tuned));
        const int rc = run({"finetune",
                            model.string(),
                            "-k",
                            "4",
                            "--convert-output",
                            "--task",
                            "regress",
                            "--targets-key",
                            "targets",
                            "--data",
                            train,
                            "--test",
                            test,
                            "--epochs",
                            "3",
                            "--optimizer",
                            "adam",
                            "--lr",
                            "0.01",
                            "--distill",
                            "0",
                            "--projection",
                            "frobenius",
                            "-o",
                            tuned.string(),
                            "--json"},
                           out, err);
        QVERIFY2(rc == 0, err.c_str());
        const nlohmann::json j = nlohmann::json::parse(out);
        QCOMPARE(j["task"].get<std::string>(), std::string("regress"));
        QCOMPARE(j["metric"].get<std::string>(), std::string("mse"));
        const double projected = j["test"]["projected"]["mse"].get<double>();
        const double finetuned = j["test"]["finetuned"]["mse"].get<double>();
        QVERIFY2(finetuned < projected,
                 qPrintable(QString("projected %1, fine-tuned %2").arg(projected).arg(finetuned)));
        QVERIFY(fs::exists(tuned));
    }

    void sweepAndReportUseTheError()
    {
        std::string out, err;
        const fs::path results = m_dir / "ae.jsonl", csv = m_dir / "ae.csv", html = m_dir / "ae.html";
        fs::remove(results);
        const int rc = run({"sweep",
                            m_autoencoder.string(),
                            "-k",
                            "1,2,4",
                            "--convert-output-layer",
                            "--data",
                            (m_dir / "ae_test.h5").string(),
                            "--anomaly-labels",
                            "--mode",
                            "project",
                            "--platforms",
                            "xcku060",
                            "--timing-samples",
                            "1",
                            "--results",
                            results.string(),
                            "--csv",
                            csv.string(),
                            "--report",
                            html.string()},
                           out, err);
        QVERIFY2(rc == 0, err.c_str());
        QVERIFY2(out.find("MSE") != std::string::npos &&
                     out.find("reconstruction MSE (lower is better)") != std::string::npos,
                 out.c_str());
        const std::string page = readText(html);
        QVERIFY(page.find("reconstruction MSE (lower is better)") != std::string::npos);
        QVERIFY(page.find("ROC AUC") != std::string::npos);
        const std::string table = readText(csv);
        QVERIFY(table.find(",task,mse,mae,dense_mse,dense_mae,roc_auc,") != std::string::npos);
        QVERIFY(table.find(",reconstruct,") != std::string::npos);

        // `circnn report` from the results file: the JSON carries the errors and the metric.
        const fs::path json = m_dir / "ae-report.json";
        QCOMPARE(run({"report", results.string(), "--json", json.string()}, out, err), 0);
        const nlohmann::json j = nlohmann::json::parse(readText(json));
        QCOMPARE(j["points"].size(), std::size_t(3));
        for (const auto& p : j["points"]) {
            QCOMPARE(p["task"].get<std::string>(), std::string("reconstruct"));
            QCOMPARE(p["metric"].get<std::string>(), std::string("mse"));
            QVERIFY(p["errors"]["mse"].get<double>() > 0);
            QVERIFY(p["errors"]["roc_auc"].is_number());
        }
        // An unknown task is a usage error naming the flag.
        QCOMPARE(run({"sweep", m_autoencoder.string(), "-k", "2", "--data", (m_dir / "ae_test.h5").string(), "--task",
                      "bogus"},
                     out, err),
                 2);
        QVERIFY2(err.find("--task") != std::string::npos, err.c_str());
    }
};

QTEST_APPLESS_MAIN(TestCliTasks)
#include "TestCliTasks.moc"
