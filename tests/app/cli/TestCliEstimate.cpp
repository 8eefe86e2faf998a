// `circnn estimate` in-process: the CLI prints what core/hw computes, and fails clearly.
#include <QTest>

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "CommandRegistry.h"
#include "TestSupport.h"
#include "analysis/EstimateWorkflow.h"
#include "hw/Estimator.h"
#include "hw/PlatformRegistry.h"

using namespace circnn;

namespace {
struct Run {
    int code = 0;
    std::string out, err;
};
Run run(const std::vector<std::string>& args)
{
    std::ostringstream out, err;
    Run r;
    r.code = cli::runCli(args, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}
} // namespace

class TestCliEstimate : public QObject {
    Q_OBJECT
private slots:
    void jsonMatchesCore()
    {
        const Run r = run({"estimate", "9216-4096-4096-1000", "--platform", "asic-45nm", "-k", "8", "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        const auto j = nlohmann::json::parse(r.out);
        hw::EstimateOptions o;
        o.blocks.defaultBlockSize = 8;
        const hw::Estimate e =
            hw::estimateModel(architectureForEstimate("9216-4096-4096-1000"), hw::findPlatform("asic-45nm"), o);
        QCOMPARE(j.at("schema").get<std::string>(), std::string("circnn.estimate/1"));
        QCOMPARE(j.at("kind").get<std::string>(), std::string("estimate"));
        QCOMPARE(j.at("model").get<std::string>(), std::string("9216-4096-4096-1000"));
        QCOMPARE(j.at("block_circulant").at("frames_per_s").get<double>(), e.circulant.framesPerSecond);
        QCOMPARE(j.at("dense").at("energy_pj_per_frame").at("total").get<double>(), e.dense.energy.totalPj());
        QCOMPARE(j.at("energy_efficiency_gain").get<double>(), e.energyEfficiencyGain);
    }

    void severalBlockSizesGiveAnArray()
    {
        const Run r = run({"estimate", "256-128-10", "--platform", "xcku060", "-k", "2,4,8", "--json", "--precision",
                           "8", "--batch", "4"});
        QVERIFY2(r.code == 0, r.err.c_str());
        const auto j = nlohmann::json::parse(r.out);
        QVERIFY(j.is_array());
        QCOMPARE(j.size(), std::size_t(3));
        QCOMPARE(j.at(2).at("block_circulant").at("layers").at(1).at("k").get<int>(), 8);
        QCOMPARE(j.at(0).at("precision_bits").get<int>(), 8);
        QCOMPARE(j.at(0).at("batch").get<int>(), 4);
    }

    void tableIsLabelledEstimate()
    {
        const Run r = run({"estimate", "784-300-100-10", "--platform", "cyclone-v-5cseba6", "-k", "4"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY(r.out.find("ESTIMATE") != std::string::npos);
        QVERIFY(r.out.find("fc1") != std::string::npos);
        QVERIFY(r.out.find("energy-efficiency gain") != std::string::npos);
        QVERIFY(r.out.find("assumptions:") != std::string::npos);
    }

    void planFile()
    {
        const auto plan = test::tempDir() / "hw_plan.json";
        {
            std::ofstream out(plan);
            out << R"({"default_k": 4, "layers": {"fc3": 2}})";
        }
        const Run r = run({"estimate", "784-300-100-10", "--platform", "asic-28nm", "--plan", plan.string(), "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        const auto j = nlohmann::json::parse(r.out);
        const auto& layers = j.at("block_circulant").at("layers");
        QCOMPARE(layers.at(1).at("k").get<int>(), 4);
        QCOMPARE(layers.at(3).at("k").get<int>(), 2);
    }

    void listAndWritePlatforms()
    {
        Run r = run({"estimate", "--list-platforms"});
        QCOMPARE(r.code, 0);
        for (const hw::Platform& p : hw::builtinPlatforms())
            QVERIFY2(r.out.find(p.name) != std::string::npos, p.name.c_str());
        const auto file = test::tempDir() / "hw_written.json";
        r = run({"estimate", "--platform", "cortex-a72", "--write-platform", file.string()});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY(hw::loadPlatform(file) == hw::findPlatform("cortex-a72"));
        r = run({"estimate", "64-10", "--platform", file.string()});
        QVERIFY2(r.code == 0, r.err.c_str());
    }

    void modelFileFromShared()
    {
        CIRCNN_REQUIRE_SHARED();
        const auto model = test::sharedDir() / "models" / "cnn_keras3.1.1_moonflower2022.keras";
        if (!std::filesystem::exists(model))
            QSKIP("sample CNN not in ../shared/models");
        const Run r = run({"estimate", model.string(), "--platform", "xcku060", "-k", "8", "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        const auto j = nlohmann::json::parse(r.out);
        int convLayers = 0, converted = 0;
        for (const auto& l : j.at("block_circulant").at("layers")) {
            if (l.at("kind") == "Conv2D") {
                ++convLayers;
                converted += l.at("k").get<int>() == 8;
            }
        }
        // The first convolution has C_in = 1 (kept dense, with a note); the next one converts.
        QVERIFY(convLayers >= 2);
        QVERIFY(converted >= 1 && converted < convLayers);
        QVERIFY(j.at("storage_reduction").get<double>() > 1);
    }

    void transformerDescription()
    {
        // A JSON Transformer description (no weights): dense and k = 8, finite figures; the
        // attention layer block-circulant at k = 8 with fewer weight bits; a bad entry names itself.
        const std::string arch = R"({"input": [64], "layers": [{"embedding": 128, "vocab": 1000},
            {"transformer": {"heads": 4, "key_dim": 32, "ff": 256, "causal": true}}, "global_average_pooling",
            {"dense": 4}]})";
        const Run r = run({"estimate", arch, "--platform", "xcku060", "-k", "1,8", "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        const auto j = nlohmann::json::parse(r.out);
        QCOMPARE(j.size(), std::size_t(2));
        for (const auto& e : j)
            for (const char* design : {"dense", "block_circulant"}) {
                const auto& d = e.at(design);
                for (const double v :
                     {d.at("latency_s").get<double>(), d.at("energy_pj_per_frame").at("total").get<double>(),
                      d.at("power_w").get<double>(), d.at("weight_bits").get<double>()})
                    QVERIFY2(std::isfinite(v) && v > 0, e.dump().c_str());
            }
        const auto& k8 = j.at(1).at("block_circulant");
        QVERIFY(k8.at("weight_bits").get<double>() < j.at(1).at("dense").at("weight_bits").get<double>());
        bool attention = false;
        for (const auto& l : k8.at("layers"))
            if (l.at("name").get<std::string>() == "multi_head_attention_1")
                attention = l.at("k").get<int>() == 8;
        QVERIFY2(attention, k8.at("layers").dump().c_str());
        const Run bad =
            run({"estimate", R"({"input": [8], "layers": [{"attention": {"heads": 0, "key_dim": 4}}, {"dense": 2}]})",
                 "--platform", "xcku060"});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.find("layer 0 \"heads\"") != std::string::npos, bad.err.c_str());
    }

    void errorsAreOneClearLine()
    {
        Run r = run({"estimate", "64-10", "--platform", "no-such-board"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find("no-such-board") != std::string::npos && r.err.find("xcku060") != std::string::npos,
                 r.err.c_str());
        r = run({"estimate", "64-10"});
        QCOMPARE(r.code, 2);
        r = run({"estimate", "64-10", "--platform", "xcku060", "--precision", "12"});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.find("precision") != std::string::npos);
        r = run({"estimate", "64-10", "--platform", "xcku060", "-k", "4", "--plan", "x.json"});
        QCOMPARE(r.code, 2);
        const auto bad = test::tempDir() / "hw_cli_bad.json";
        {
            std::ofstream out(bad);
            out << R"({"name": "b", "kind": "fpga"})";
        }
        r = run({"estimate", "64-10", "--platform", bad.string()});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find(bad.string()) != std::string::npos && r.err.find("clock_mhz") != std::string::npos,
                 r.err.c_str());
    }
};

QTEST_APPLESS_MAIN(TestCliEstimate)
#include "TestCliEstimate.moc"
