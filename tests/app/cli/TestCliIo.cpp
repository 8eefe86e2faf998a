// `circnn inspect`, `circnn convert` and `circnn eval`, run in-process through runCli: the real
// Keras models' MNIST accuracy (../shared), and figures checked against independent computations
// on small models written here.

#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "CommandRegistry.h"
#include "TestSupport.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"

using namespace circnn;
using nlohmann::json;

namespace {

struct CliResult {
    int code = 0;
    std::string out, err;
};

CliResult run(const std::vector<std::string>& args)
{
    std::ostringstream out, err;
    CliResult r;
    r.code = cli::runCli(args, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

json runJson(const std::vector<std::string>& args)
{
    const CliResult r = run(args);
    if (r.code != 0)
        throw std::runtime_error("exit " + std::to_string(r.code) + ": " + r.err);
    return json::parse(r.out);
}

Tensor seeded(const Shape& shape, std::uint32_t seed, float scale)
{
    Tensor t(shape);
    const auto v = test::randomVector(std::size_t(t.size()), seed, -scale, scale);
    std::copy(v.begin(), v.end(), t.data());
    return t;
}

// Input(24) → Dense 20 relu → Dense 12 relu → Dense 4 softmax, random weights.
ModelSpec smallMlp()
{
    ModelSpec m;
    m.name = "cli_mlp";
    LayerSpec in;
    in.name = "in";
    in.kind = LayerKind::Input;
    in.className = "InputLayer";
    in.inputShape = {24};
    m.layers.push_back(in);
    const std::int64_t sizes[] = {24, 20, 12, 4};
    std::string prev = "in";
    for (int i = 0; i < 3; ++i) {
        LayerSpec d;
        d.name = "dense_" + std::to_string(i);
        d.kind = LayerKind::Dense;
        d.className = "Dense";
        d.inputs = {prev};
        d.units = sizes[i + 1];
        d.activation = i == 2 ? ActivationKind::Softmax : ActivationKind::Relu;
        d.kernel = seeded({sizes[i], sizes[i + 1]}, 40 + i, 0.6f);
        d.bias = seeded({sizes[i + 1]}, 50 + i, 0.1f);
        d.bias[0] = 0.0f; // one exact zero: sparsity of the bias is 1/units
        m.layers.push_back(d);
        prev = d.name;
    }
    m.inputs = {"in"};
    m.outputs = {prev};
    inferShapes(m);
    return m;
}

// 300 random samples of (4, 6) uint8-like pixels with labels in [0, 4).
std::filesystem::path smallDataset()
{
    Dataset d;
    d.name = "cli";
    d.images = seeded({300, 4, 6}, 77, 0.5f);
    for (std::int64_t i = 0; i < d.images.size(); ++i)
        d.images[i] += 0.5f;
    std::mt19937 rng(5);
    for (int i = 0; i < 300; ++i)
        d.labels.push_back(static_cast<std::int32_t>(rng() % 4));
    const auto path = test::tempDir() / "cli_data.h5";
    writeDatasetH5(d, path);
    return path;
}

} // namespace

class TestCliIo : public QObject {
    Q_OBJECT

private slots:
    void realModelAccuracy_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<double>("top1");
        // Listed in ../shared/models/README.md (independent numpy forward pass over t10k). Every real
        // model's accuracy is held by test_analysis_real_models; through the CLI, one of each file
        // kind (Keras 2 and 3 .h5, .keras zip) is enough, and the two CNN .h5 files would only add
        // time (most of all in the sanitizer build).
        QTest::newRow("keras 2.0.8 mlp") << "mlp_keras2.0.8_jacegem.h5" << 0.9079;
        QTest::newRow("keras 3.3.3 mlp") << "mlp_keras3.3.3_4bumuhammad.h5" << 0.9714;
        QTest::newRow("keras 3.1.1 cnn .keras") << "cnn_keras3.1.1_moonflower2022.keras" << 0.9918;
    }

    void realModelAccuracy()
    {
        CIRCNN_REQUIRE_SHARED();
        QFETCH(QString, file);
        QFETCH(double, top1);
        const auto model = test::sharedDir() / "models" / file.toStdString();
        const auto data = test::sharedDir() / "data/mnist/t10k-images-idx3-ubyte.gz";
        const json j = runJson({"eval", model.string(), "--data", data.string(), "--json"});
        QCOMPARE(j["count"].get<std::int64_t>(), std::int64_t(10000));
        const double got = j["top1"].get<double>();
        QVERIFY2(std::abs(got - top1) <= 0.0005, qPrintable(QString("top-1 %1, expected %2").arg(got).arg(top1)));
        QVERIFY(j["top5"].get<double>() >= got);
        QVERIFY(j["images_per_second"].get<double>() > 0);
        QCOMPARE(j["confusion"].size(), std::size_t(10));
    }

    void weightsOnlyFileFailsCleanly()
    {
        CIRCNN_REQUIRE_SHARED();
        const auto model = test::sharedDir() / "models/mlp512_weightsonly_keras2.2.2_suertang.h5";
        for (const char* cmd : {"inspect", "eval"}) {
            std::vector<std::string> args{cmd, model.string()};
            if (std::string(cmd) == "eval")
                args.insert(args.end(),
                            {"--data", (test::sharedDir() / "data/mnist/t10k-images-idx3-ubyte.gz").string()});
            const CliResult r = run(args);
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.find("weights-only file, no architecture") != std::string::npos, r.err.c_str());
            QCOMPARE(std::count(r.err.begin(), r.err.end(), '\n'), std::ptrdiff_t(1));
            QVERIFY(r.out.empty());
        }
    }

    void realModelConvertAndCompare()
    {
        CIRCNN_REQUIRE_SHARED();
        const auto model = test::sharedDir() / "models/mlp_keras3.3.3_4bumuhammad.h5";
        const auto data = test::sharedDir() / "data/mnist/t10k-images-idx3-ubyte.gz";
        const json j =
            runJson({"eval", model.string(), "--data", data.string(), "-k", "8", "--limit", "500", "--json"});
        QCOMPARE(j["count"].get<int>(), 500);
        QCOMPARE(j["circulant"]["agreement"]["count"].get<int>(), 500);
        QCOMPARE(j["circulant"]["k"].get<int>(), 8);
        QVERIFY(j["circulant"]["converted_layers"] == json({"dense", "dense_1"}));
    }

    void inspectJsonMatchesIndependentFigures()
    {
        const ModelSpec m = smallMlp();
        const auto path = test::tempDir() / "cli_inspect.h5";
        writeKerasH5(m, path);
        const json j = runJson({"inspect", path.string(), "--json"});
        QCOMPARE(j["format"].get<std::string>(), std::string("keras-h5"));
        QCOMPARE(j["layers"].size(), m.layers.size());
        std::int64_t total = 0, macs = 0;
        for (std::size_t i = 1; i < m.layers.size(); ++i) {
            const LayerSpec& l = m.layers[i];
            const std::int64_t in = l.kernel.dim(0), out = l.kernel.dim(1);
            QCOMPARE(j["layers"][i]["parameters"].get<std::int64_t>(), in * out + out);
            QCOMPARE(j["layers"][i]["macs"].get<std::int64_t>(), in * out);
            QCOMPARE(j["layers"][i]["representation"].get<std::string>(), std::string("dense"));
            total += in * out + out;
            macs += in * out;
        }
        QCOMPARE(j["totals"]["parameters"].get<std::int64_t>(), total);
        QCOMPARE(j["totals"]["macs"].get<std::int64_t>(), macs);
        // Weight statistics of dense_1's kernel and bias, recomputed here.
        const Tensor& k = m.layers[2].kernel;
        double mn = 1e9, mx = -1e9, sum = 0;
        for (std::int64_t i = 0; i < k.size(); ++i) {
            mn = std::min(mn, double(k[i]));
            mx = std::max(mx, double(k[i]));
            sum += k[i];
        }
        bool foundKernel = false, foundBias = false;
        for (const auto& w : j["weights"]) {
            if (w["layer"] == "dense_1" && w["role"] == "kernel") {
                foundKernel = true;
                QCOMPARE(w["min"].get<double>(), mn);
                QCOMPARE(w["max"].get<double>(), mx);
                QVERIFY(std::abs(w["mean"].get<double>() - sum / double(k.size())) < 1e-9);
            }
            if (w["layer"] == "dense_1" && w["role"] == "bias") {
                foundBias = true;
                QVERIFY(std::abs(w["sparsity"].get<double>() - 1.0 / 12.0) < 1e-12);
            }
        }
        QVERIFY(foundKernel && foundBias);

        const CliResult text = run({"inspect", path.string()});
        QCOMPARE(text.code, 0);
        QVERIFY(text.out.find("dense_1") != std::string::npos);
        QVERIFY(text.out.find("weight statistics") != std::string::npos);
    }

    void convertInspectEvalChain()
    {
        const ModelSpec m = smallMlp();
        const auto src = test::tempDir() / "cli_chain.h5";
        const auto dst = test::tempDir() / "cli_chain.circnn.h5";
        writeKerasH5(m, src);
        std::filesystem::remove(dst);
        const json c = runJson({"convert", src.string(), "-k", "4", "-o", dst.string(), "--json"});
        QVERIFY(std::filesystem::exists(dst));
        QCOMPARE(c["layers"].size(), std::size_t(3));
        QVERIFY(c["layers"][0]["converted"].get<bool>());
        QVERIFY(c["layers"][1]["converted"].get<bool>());
        QVERIFY(!c["layers"][2]["converted"].get<bool>()); // output layer stays dense by default
        QVERIFY(!c["layers"][2]["reason"].get<std::string>().empty());
        // dense_0: 20x24 weights → p=5, q=6 blocks of k=4 → 120 numbers + 20 bias.
        QCOMPARE(c["layers"][0]["parameters_after"].get<std::int64_t>() - 20, std::int64_t(5 * 6 * 4));

        const json i = runJson({"inspect", dst.string(), "--json"});
        QCOMPARE(i["format"].get<std::string>(), std::string("circnn"));
        QCOMPARE(i["layers"][1]["representation"].get<std::string>(), std::string("circulant"));
        QCOMPARE(i["layers"][1]["k"].get<int>(), 4);
        QCOMPARE(i["provenance"]["source_file"].get<std::string>(), src.string());
        QVERIFY(run({"inspect", dst.string()}).out.find("circulant k=4 (5x6)") != std::string::npos);

        // eval -k 4 on the Keras file equals eval of the converted native file.
        const auto data = smallDataset();
        const json viaK =
            runJson({"eval", src.string(), "--data", data.string(), "-k", "4", "--json", "--batch", "64"});
        const json native = runJson({"eval", dst.string(), "--data", data.string(), "--json"});
        QCOMPARE(viaK["count"].get<int>(), 300);
        QCOMPARE(viaK["circulant"]["top1"].get<double>(), native["top1"].get<double>());
        QCOMPARE(viaK["circulant"]["cross_entropy"].get<double>(), native["cross_entropy"].get<double>());
        const double match = viaK["circulant"]["agreement"]["top1_match"].get<double>();
        QVERIFY(match >= 0 && match <= 1);
        // Per-layer timing is reported for every layer when asked.
        const json perLayer = runJson({"eval", dst.string(), "--data", data.string(), "--json", "--per-layer"});
        QCOMPARE(perLayer["layer_seconds"].size(), m.layers.size());

        // Plans: the same conversion from a JSON plan file.
        const auto plan = test::tempDir() / "cli_plan.json";
        std::ofstream(plan) << R"({"default_k": 0, "layers": {"dense_1": 4}})";
        const json p = runJson({"convert", src.string(), "--plan", plan.string(), "-o", dst.string(), "--json"});
        QVERIFY(!p["layers"][0]["converted"].get<bool>());
        QVERIFY(p["layers"][1]["converted"].get<bool>());
    }

    void usageErrors()
    {
        const ModelSpec m = smallMlp();
        const auto src = test::tempDir() / "cli_usage.h5";
        writeKerasH5(m, src);
        QCOMPARE(run({"convert", src.string(), "-o", "x.circnn.h5"}).code, 2);                      // no -k / --plan
        QCOMPARE(run({"convert", src.string(), "-k", "4", "--plan", "p.json", "-o", "x"}).code, 2); // both
        QCOMPARE(run({"convert", src.string(), "-k", "4"}).code, 2);                                // no -o
        QCOMPARE(run({"eval", src.string()}).code, 2);                                              // no --data
        const CliResult missing = run({"inspect", (test::tempDir() / "nope.h5").string()});
        QCOMPARE(missing.code, 1);
        QVERIFY(missing.err.find("nope.h5") != std::string::npos);
        const CliResult help = run({"eval", "--help"});
        QCOMPARE(help.code, 0);
        for (const char* flag : {"--data", "--labels", "--limit", "--batch", "--json", "--per-layer", "--images-key",
                                 "--labels-key", "--scale"})
            QVERIFY2(help.out.find(flag) != std::string::npos, flag);
        // A dataset that does not fit the model: one clear line naming both shapes.
        Dataset d;
        d.name = "wrong";
        d.images = Tensor(Shape{3, 5, 5});
        d.labels = {0, 1, 2};
        writeDatasetH5(d, test::tempDir() / "cli_wrong.h5");
        const CliResult wrong = run({"eval", src.string(), "--data", (test::tempDir() / "cli_wrong.h5").string()});
        QCOMPARE(wrong.code, 1);
        QVERIFY2(wrong.err.find("(5, 5)") != std::string::npos && wrong.err.find("(24") != std::string::npos,
                 wrong.err.c_str());
    }
};

QTEST_APPLESS_MAIN(TestCliIo)
#include "TestCliIo.moc"
