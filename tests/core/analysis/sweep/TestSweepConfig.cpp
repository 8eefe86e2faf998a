// Sweep configuration, point enumeration, shards, the results file (resume rules, cut-short
// lines, merge refusals), Pareto fronts and SHA-256 — everything that needs no model run.

#include <QtTest>

#include <cmath>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "analysis/SweepConfig.h"
#include "analysis/SweepProvenance.h"
#include "analysis/SweepReport.h"
#include "analysis/SweepResultsFile.h"
#include "common/Error.h"
#include "io/ModelFile.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

SweepConfig smallConfig()
{
    SweepConfig c;
    c.models = {"a.h5", "b.h5"};
    c.blockSizes = {1, 4, 16};
    c.modes = {AccuracyMode::Project, AccuracyMode::DataAware};
    c.data = "eval.h5";
    c.trainData = "train.h5";
    c.platforms = {"xcku060"};
    return c;
}

SweepPointResult fakePoint(const SweepConfig& c, const SweepPointSpec& s)
{
    SweepPointResult p;
    p.index = s.index;
    p.id = s.id;
    p.configHash = sweepConfigHash(c);
    p.model = c.models[s.modelIndex];
    p.modelIndex = s.modelIndex;
    p.mode = accuracyModeName(s.mode);
    p.k = s.k;
    p.top1 = 0.5 + 0.01 * double(s.index);
    p.layers.push_back({"dense", "Dense", s.k, s.k > 1, "", 100, 100 / std::max<std::int64_t>(1, s.k), 1.0, 0.25});
    p.platforms.push_back({"xcku060", 1e-3, 2e-3, 1000, 500, 5e5, 1e6, 1e4, 64, 0.1, 0.5, true, "compute"});
    p.timing.samples = 4;
    p.timing.latencyMs = 0.1 * double(s.index + 1);
    return p;
}

fs::path freshDir(const std::string& name)
{
    const fs::path d = test::tempDir() / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

std::string readText(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

class TestSweepConfig : public QObject {
    Q_OBJECT
private slots:
    void enumeratesGlobalList()
    {
        const SweepConfig c = smallConfig();
        const auto points = enumerateSweepPoints(c, {});
        QCOMPARE(points.size(), std::size_t(2 * 2 * 3)); // models × modes × k
        std::set<std::string> ids;
        for (std::size_t i = 0; i < points.size(); ++i) {
            QCOMPARE(points[i].index, i);
            ids.insert(points[i].id);
        }
        QCOMPARE(ids.size(), points.size());
        QCOMPARE(points[0].id, std::string("m0/project/k=1"));
        QCOMPARE(points[4].id, std::string("m0/data/k=4"));
        QCOMPARE(points[11].id, std::string("m1/data/k=16"));
        // The request converts every eligible layer at k, reordering as configured.
        const ConversionRequest r = sweepConversionRequest(c, points[4]);
        QCOMPARE(r.defaultBlockSize, std::int64_t(4));
        QVERIFY(r.perLayer.empty());
        QVERIFY(r.reorderUnits);
    }

    void enumeratesGridAndSensitivity()
    {
        SweepConfig c = smallConfig();
        c.models = {(test::sourceDir() / "sample_models/fashion_cnn_dense.h5").string()};
        c.modes = {AccuracyMode::Project};
        c.blockSizes.clear();
        c.layerGrid = {{"conv2d_2", {1, 4}}, {"dense_1", {2, 4, 8}}};
        const auto grid = enumerateSweepPoints(c, {});
        QCOMPARE(grid.size(), std::size_t(6));
        QCOMPARE(grid[0].id, std::string("m0/project/conv2d_2=1,dense_1=2"));
        QCOMPARE(grid[5].id, std::string("m0/project/conv2d_2=4,dense_1=8"));
        QCOMPARE(sweepConversionRequest(c, grid[5]).perLayer.at("dense_1"), std::int64_t(8));

        c.layerGrid.clear();
        c.blockSizes = {2, 8};
        c.kind = SweepKind::Sensitivity;
        const ModelSpec model = readModel(c.models[0]);
        const std::vector<std::string> layers = sweepLayers(c, model);
        QCOMPARE(layers, (std::vector<std::string>{"conv2d_1", "conv2d_2", "dense_1"})); // output layer excluded
        const auto sens = enumerateSweepPoints(c, {model});
        QCOMPARE(sens.size(), std::size_t(3 * 2));
        for (const SweepPointSpec& p : sens) {
            QCOMPARE(p.layerBlocks.size(), std::size_t(1));
            QCOMPARE(p.layerBlocks.begin()->first, p.sensitivityLayer);
        }
        c.layers = {"no_such_layer"};
        QVERIFY_THROWS_EXCEPTION(Error, sweepLayers(c, model));
    }

    void shardsPartitionThePoints()
    {
        const auto points = enumerateSweepPoints(smallConfig(), {});
        for (int n = 1; n <= 5; ++n) {
            std::vector<int> owners(points.size(), 0);
            for (int i = 1; i <= n; ++i) {
                const SweepShard s = parseSweepShard(std::to_string(i) + "/" + std::to_string(n));
                for (const SweepPointSpec& p : points)
                    owners[p.index] += s.contains(p.index) ? 1 : 0;
            }
            for (int o : owners)
                QCOMPARE(o, 1);
        }
        for (const char* bad : {"0/3", "4/3", "1", "1/0", "a/b", "1/3x"})
            QVERIFY_THROWS_EXCEPTION(Error, parseSweepShard(bad));
    }

    void newKeysKeepTheHashOfOldConfigs()
    {
        // "integers" and "learning_rate" are written only when set: a config without them hashes
        // as before they existed. The pinned hash is the header line `circnn sweep m.h5 --data
        // d.h5 -k 1,4 --mode project --eval-limit 20 --platforms xcku060 --timing-samples 0` wrote
        // (commit 38667ce2f2c5, before these keys); results files on disk carry such hashes.
        SweepConfig c;
        c.models = {"m.h5"};
        c.blockSizes = {1, 4};
        c.data = "d.h5";
        c.evalLimit = 20;
        c.platforms = {"xcku060"};
        c.timingSamples = 0;
        const auto j = sweepConfigToJson(c);
        QVERIFY(!j.contains("integers") && !j.contains("learning_rate"));
        QCOMPARE(sweepConfigHash(c), std::string("c70c32b37dfa78b4"));

        // Set, they round-trip and change the hash.
        c.learningRate = 0.0003;
        c.integerValues = IntegerValues::TokenIds;
        const auto set = sweepConfigToJson(c);
        QCOMPARE(set["learning_rate"].get<double>(), 0.0003);
        QCOMPARE(set["integers"].get<std::string>(), std::string("ids"));
        const SweepConfig back = sweepConfigFromJson(nlohmann::json::parse(set.dump()), "test");
        QCOMPARE(back.learningRate, 0.0003);
        QCOMPARE(back.integerValues, IntegerValues::TokenIds);
        QCOMPARE(sweepConfigHash(back), sweepConfigHash(c));
        QVERIFY(sweepConfigHash(c) != "c70c32b37dfa78b4");
        c.integerValues = IntegerValues::Pixels;
        QCOMPARE(sweepConfigToJson(c)["integers"].get<std::string>(), std::string("pixels"));

        // Wrong types and values are refused naming the key; a negative rate by validation.
        const std::vector<std::pair<std::string, nlohmann::json>> wrong{{"learning_rate", "fast"},
                                                                        {"integers", "bytes"}};
        for (const auto& [key, value] : wrong) {
            nlohmann::json bad = nlohmann::json::parse(set.dump());
            bad[key] = value;
            try {
                sweepConfigFromJson(bad, "bad.json");
                QFAIL(qPrintable(QString::fromStdString(key + " " + value.dump() + " was accepted")));
            } catch (const FormatError& e) {
                QVERIFY2(std::string(e.what()).find(key) != std::string::npos, e.what());
            }
        }
        SweepConfig v = smallConfig();
        validateSweepConfig(v);
        v.learningRate = -0.1;
        QVERIFY_THROWS_EXCEPTION(Error, validateSweepConfig(v));
        v.learningRate = std::nan("");
        QVERIFY_THROWS_EXCEPTION(Error, validateSweepConfig(v));
    }

    void configJsonAndHash()
    {
        SweepConfig c = smallConfig();
        c.layerGrid = {{"dense", {2, 4}}};
        const std::string h = sweepConfigHash(c);
        QCOMPARE(h.size(), std::size_t(16));
        const SweepConfig back = sweepConfigFromJson(nlohmann::json::parse(sweepConfigToJson(c).dump()), "test");
        QCOMPARE(sweepConfigHash(back), h);
        QCOMPARE(back.layerGrid, c.layerGrid);
        // Any change of a field changes the hash.
        SweepConfig d = c;
        d.seed = 2;
        QVERIFY(sweepConfigHash(d) != h);
        d = c;
        d.epochs = 3;
        QVERIFY(sweepConfigHash(d) != h);
        d = c;
        d.platforms = {"asic-45nm"};
        QVERIFY(sweepConfigHash(d) != h);

        nlohmann::json j = nlohmann::json::parse(sweepConfigToJson(c).dump());
        j["bloc_sizes"] = {1};
        QVERIFY_THROWS_EXCEPTION(FormatError, sweepConfigFromJson(j, "typo.json"));
        j = nlohmann::json::parse(sweepConfigToJson(c).dump());
        j["epochs"] = "two";
        QVERIFY_THROWS_EXCEPTION(FormatError, sweepConfigFromJson(j, "bad.json"));
        j = nlohmann::json::parse(sweepConfigToJson(c).dump());
        j["modes"] = {"project", "prune"};
        QVERIFY_THROWS_EXCEPTION(FormatError, sweepConfigFromJson(j, "bad.json"));

        SweepConfig v = c;
        v.trainData.clear();
        QVERIFY_THROWS_EXCEPTION(Error, validateSweepConfig(v)); // mode data needs training data
        v = c;
        v.blockSizes = {4, 0};
        QVERIFY_THROWS_EXCEPTION(Error, validateSweepConfig(v));
        v = c;
        v.models.clear();
        QVERIFY_THROWS_EXCEPTION(Error, validateSweepConfig(v));
    }

    void resultsFileResumeRules()
    {
        const fs::path dir = freshDir("sweep_results_file");
        const SweepConfig c = smallConfig();
        const auto specs = enumerateSweepPoints(c, {});
        SweepResultsHeader h;
        h.config = c;
        h.configHash = sweepConfigHash(c);
        const fs::path f = dir / "r.jsonl";
        {
            SweepResultsWriter w(f, h);
            w.append(fakePoint(c, specs[0]));
            w.append(fakePoint(c, specs[3]));
        }
        QVERIFY_THROWS_EXCEPTION(Error, SweepResultsWriter(f, h)); // exists: resume or another file
        SweepResultsContents r = readSweepResults(f);
        QCOMPARE(r.points.size(), std::size_t(2));
        QCOMPARE(r.points[1].id, specs[3].id);
        QVERIFY(!r.partialLastLine);
        QCOMPARE(sweepPointComparableText(r.points[1]), sweepPointComparableText(fakePoint(c, specs[3])));

        // A line cut short by a kill: ignored on reading, removed on resume.
        const std::string cut = sweepPointToJson(fakePoint(c, specs[5])).dump().substr(0, 40);
        std::ofstream(f, std::ios::app) << cut;
        r = readSweepResults(f);
        QVERIFY(r.partialLastLine);
        QCOMPARE(r.points.size(), std::size_t(2));
        {
            SweepResultsWriter w(f, h, &r);
            w.append(fakePoint(c, specs[5]));
        }
        r = readSweepResults(f);
        QVERIFY(!r.partialLastLine);
        QCOMPARE(r.points.size(), std::size_t(3));
        QCOMPARE(r.headers.size(), std::size_t(2)); // the resumed session's header

        // Another config: refused with a clear error.
        SweepConfig other = c;
        other.seed = 7;
        SweepResultsHeader ho = h;
        ho.config = other;
        ho.configHash = sweepConfigHash(other);
        try {
            SweepResultsWriter w(f, ho, &r);
            QFAIL("a results file of another config was accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("different sweep config") != std::string::npos, e.what());
        }

        // A duplicated point line and a garbled line are errors naming the line.
        const fs::path dup = dir / "dup.jsonl";
        std::ofstream(dup) << readText(f) << sweepPointToJson(fakePoint(c, specs[0])).dump() << "\n";
        QVERIFY_THROWS_EXCEPTION(FormatError, readSweepResults(dup));
        const fs::path garbled = dir / "garbled.jsonl";
        std::ofstream(garbled) << sweepHeaderToJson(h).dump() << "\n{not json}\n";
        QVERIFY_THROWS_EXCEPTION(FormatError, readSweepResults(garbled));
    }

    void mergeRefusesMismatches()
    {
        const fs::path dir = freshDir("sweep_merge");
        const SweepConfig c = smallConfig();
        const auto specs = enumerateSweepPoints(c, {});
        SweepResultsHeader h;
        h.config = c;
        h.configHash = sweepConfigHash(c);
        auto write = [&](const std::string& name, std::vector<std::size_t> idx, const SweepResultsHeader& hh) {
            SweepResultsWriter w(dir / name, hh);
            for (std::size_t i : idx)
                w.append(fakePoint(hh.config, specs[i]));
            return readSweepResults(dir / name);
        };
        const auto a = write("a.jsonl", {0, 2}, h), b = write("b.jsonl", {1, 3}, h), dupe = write("c.jsonl", {2}, h);
        const SweepResultsContents m = mergeSweepResults({b, a});
        QCOMPARE(m.points.size(), std::size_t(4));
        for (std::size_t i = 0; i < 4; ++i)
            QCOMPARE(m.points[i].index, i);
        QVERIFY_THROWS_EXCEPTION(Error, mergeSweepResults({a, dupe}));
        SweepResultsHeader ho = h;
        ho.config.seed = 9;
        ho.configHash = sweepConfigHash(ho.config);
        const auto other = write("d.jsonl", {1}, ho);
        QVERIFY_THROWS_EXCEPTION(Error, mergeSweepResults({a, other}));
    }

    void paretoFrontAgainstDefinition()
    {
        // Minimise both: (1,5) (2,2) (5,1) are the front, (3,3) is beaten by (2,2), (2,2) repeated ties.
        const std::vector<double> a{1, 2, 3, 5, 2, 6}, b{5, 2, 3, 1, 2, 6};
        const std::vector<bool> f = paretoFront(a, b);
        QCOMPARE(f, (std::vector<bool>{true, true, false, true, true, false}));
        const std::vector<bool> g = paretoFront({1, NAN}, {1, 0});
        QCOMPARE(g, (std::vector<bool>{true, false}));
    }

    void sha256KnownVectors()
    {
        QCOMPARE(sha256Hex(""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(sha256Hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        QCOMPARE(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                 std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        const fs::path f = freshDir("sha") / "million_a";
        std::ofstream(f, std::ios::binary) << std::string(1000000, 'a');
        QCOMPARE(sha256File(f), std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    }
};

QTEST_GUILESS_MAIN(TestSweepConfig)
#include "TestSweepConfig.moc"
