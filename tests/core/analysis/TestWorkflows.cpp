// The analysis workflows as core calls (InspectWorkflow.h, EvaluateWorkflow.h, EstimateWorkflow.h,
// ConvertWorkflow.h, SaveWorkflow.h): results against the lower-level calls they wrap, cancel
// mid-way (Cancelled, no output file, a second call works) and the versioned JSON.

#include <QTest>

#include <set>

#include "TestSupport.h"
#include "WorkflowTestData.h"
#include "analysis/WorkflowJson.h"
#include "common/Error.h"
#include "hw/Estimator.h"
#include "hw/PlatformRegistry.h"
#include "io/ModelFile.h"
#include "nn/Model.h"

using namespace circnn;

namespace {

// A ProgressFn that asks to stop at its `stopAt`-th call (counting from 1).
ProgressFn stopAfter(int stopAt, std::shared_ptr<int> calls = std::make_shared<int>(0))
{
    return [calls, stopAt](std::size_t, std::size_t) { return ++*calls < stopAt; };
}

std::set<std::string> keysOf(const nlohmann::json& j)
{
    std::set<std::string> keys;
    for (const auto& [k, v] : j.items())
        keys.insert(k);
    return keys;
}

} // namespace

class TestWorkflows : public QObject {
    Q_OBJECT

    std::shared_ptr<const Dataset> m_train, m_test;
    ModelSpec m_dense;
    std::filesystem::path m_dir;

private slots:
    void initTestCase()
    {
        m_train = test::bandsDataset(300, 3);
        m_test = test::bandsDataset(90, 4);
        m_dense = test::trainedDenseMlp(m_train);
        m_dir = test::tempDir() / "workflows";
        std::filesystem::remove_all(m_dir);
        std::filesystem::create_directories(m_dir);
    }

    void inspectSummarisesAndCancels()
    {
        const auto path = m_dir / "dense.circnn.h5";
        writeNativeModel(m_dense, path);
        InspectConfig c;
        c.model = ModelSource::file(path);
        c.progress = stopAfter(2);
        QVERIFY_THROWS_EXCEPTION(Cancelled, inspectModel(c));
        c.progress = {};
        const InspectResult r = inspectModel(c);
        QCOMPARE(r.format, std::string("circnn"));
        QCOMPARE(r.layers.size(), m_dense.layers.size());
        std::int64_t params = 0;
        for (const LayerSummary& l : r.layers)
            params += l.parameters;
        QCOMPARE(r.parameters, params);
        QCOMPARE(r.parameters, std::int64_t(16 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3));
        // Weight statistics: dense_1's kernel against a direct loop.
        const LayerSpec& d1 = *m_dense.find("dense_1");
        double sum = 0, mn = 1e30;
        for (std::int64_t i = 0; i < d1.kernel.size(); ++i) {
            sum += d1.kernel[i];
            mn = std::min(mn, double(d1.kernel[i]));
        }
        bool found = false;
        for (const TensorStatistics& w : r.weights)
            if (w.layer == "dense_1" && w.role == "kernel") {
                found = true;
                QVERIFY(std::abs(w.mean - sum / double(d1.kernel.size())) < 1e-9);
                QCOMPARE(w.min, mn);
            }
        QVERIFY(found);
        QCOMPARE(r.bestEpoch.has_value(), true);
        const nlohmann::json j = toJson(r);
        QCOMPARE(j["schema"].get<std::string>(), std::string("circnn.inspect/1"));
        // A model in memory needs no file.
        c.model = ModelSource::memory(m_dense);
        QCOMPARE(inspectModel(c).parameters, r.parameters);
    }

    void evaluateMatchesEvaluationAndCancels()
    {
        EvaluateConfig c;
        c.model = ModelSource::memory(m_dense);
        c.data = test::inMemory(m_test);
        c.progress = stopAfter(1);
        QVERIFY_THROWS_EXCEPTION(Cancelled, evaluateModel(c));
        c.progress = {};
        std::vector<std::string> phases;
        c.onPhase = [&](const std::string& p) { phases.push_back(p); };
        const EvaluateResult r = evaluateModel(c);
        const Evaluation direct = evaluate(Model(m_dense), *m_test);
        QCOMPARE(r.evaluation.count, std::int64_t(90));
        QCOMPARE(r.evaluation.top1, direct.top1);
        QCOMPARE(r.evaluation.confusion, direct.confusion);
        QVERIFY(!r.circulant);
        QCOMPARE(phases, std::vector<std::string>{"evaluating"});
        EvaluateConfig limited = c;
        limited.limit = 30;
        QCOMPARE(evaluateModel(limited).evaluation.count, std::int64_t(30));

        // Dense vs block-circulant: the same conversion convertModel makes, compared sample by sample.
        ConversionRequest request{{4, {}, false}};
        const EvaluateResult cmp = compareDenseVsConverted(c, request);
        QVERIFY(cmp.circulant.has_value());
        const ConversionResult conv = convertModel(m_dense, request);
        const Evaluation circ = evaluate(Model(conv.model), *m_test);
        QCOMPARE(cmp.circulant->evaluation.top1, circ.top1);
        QCOMPARE(cmp.circulant->agreement.count, std::int64_t(90));
        QCOMPARE(cmp.circulant->blockSize, std::int64_t(4));
        QCOMPARE(cmp.circulant->layers.size(), conv.layers.size());
        const nlohmann::json j = toJson(cmp);
        QCOMPARE(j["schema"].get<std::string>(), std::string("circnn.evaluate/1"));
        QCOMPARE(j["circulant"]["agreement"]["count"].get<std::int64_t>(), std::int64_t(90));
        // One set of keys for an evaluation wherever it appears.
        QCOMPARE(keysOf(evaluationToJson(r.evaluation)),
                 (std::set<std::string>{"task", "metric", "count", "top1", "top5", "cross_entropy", "seconds",
                                        "images_per_second", "per_class_accuracy", "confusion", "warnings"}));
    }

    void estimateOverBlockSizesAndCancels()
    {
        EstimateConfig c;
        c.architecture = "1024-512-10";
        c.platform = hw::findPlatform("xcku060");
        c.blockSizes = {4, 8};
        c.progress = stopAfter(2);
        QVERIFY_THROWS_EXCEPTION(Cancelled, estimateModel(c));
        c.progress = {};
        const EstimateResult r = estimateModel(c);
        QCOMPARE(r.estimates.size(), std::size_t(2));
        hw::EstimateOptions o;
        o.blocks.defaultBlockSize = 8;
        const hw::Estimate direct = hw::estimateModel(architectureForEstimate("1024-512-10"), c.platform, o);
        QCOMPARE(r.estimates[1].circulant.latencyS, direct.circulant.latencyS);
        QCOMPARE(r.estimates[1].model, std::string("1024-512-10"));
        QCOMPARE(r.estimates[0].circulant.layers[1].blockSize, std::int64_t(4));
        const nlohmann::ordered_json j = toJson(r);
        QVERIFY(j.is_array() && j.size() == 2);
        QCOMPARE(j[0]["schema"].get<std::string>(), std::string("circnn.estimate/1"));
        c.blockSizes = {0};
        QVERIFY_THROWS_EXCEPTION(Error, estimateModel(c));
        // A plan instead of a k list; a model in memory.
        c.blockSizes.clear();
        c.architecture.clear();
        c.model = ModelSource::memory(m_dense);
        c.plan.perLayer = {{"dense_2", 4}};
        const EstimateResult planned = estimateModel(c);
        QCOMPARE(planned.estimates.size(), std::size_t(1));
        QCOMPARE(planned.estimates[0].circulant.blockSizes.size(), std::size_t(1));
        QVERIFY(toJson(planned).is_object());
    }

    void convertWritesOnlyWhenDone()
    {
        const auto out = m_dir / "converted.circnn.h5";
        ConvertConfig c;
        c.model = ModelSource::memory(m_dense);
        c.conversion = ConversionRequest{{4, {}, false}};
        c.conversion.reorderUnits = true;
        c.progress = stopAfter(1);
        c.output = out;
        QVERIFY_THROWS_EXCEPTION(Cancelled, convertModel(c));
        QVERIFY(!std::filesystem::exists(out));
        c.progress = {};
        const ConvertResult r = convertModel(c);
        QVERIFY(std::filesystem::exists(out));
        QCOMPARE(r.saved->format, std::string("circnn"));
        const ModelSpec back = readModel(out);
        QVERIFY(back.find("dense_1")->circulant.has_value());
        QVERIFY(back.find("dense_1")->circulant->vectors == r.conversion.model.find("dense_1")->circulant->vectors);
        QCOMPARE(r.parametersBefore, inspectModel(InspectConfig{ModelSource::memory(m_dense), false, {}}).parameters);
        QVERIFY(r.compression > 1);
        QCOMPARE(r.conversion.reordering.size(), std::size_t(2));
        // Data-aware with calibration data in memory.
        c.calibration = test::inMemory(m_train);
        c.calibrationSamples = 50;
        const ConvertResult da = convertModel(c);
        QVERIFY(da.dataAware.has_value());
        QCOMPARE(da.dataAware->calibrationSamples, std::int64_t(50));
        const nlohmann::json j = toJson(da);
        QCOMPARE(j["schema"].get<std::string>(), std::string("circnn.convert/1"));
        QCOMPARE(j["data_aware"]["calibration_samples"].get<std::int64_t>(), std::int64_t(50));
    }

    void saveChoosesTheFormat()
    {
        const auto kerasName = m_dir / "saved.h5";
        const SaveResult dense = saveModel(m_dense, kerasName, SavePolicy{SaveFormat::Auto, "test", true});
        QCOMPARE(dense.format, std::string("keras-h5"));
        QCOMPARE(detectModelFormat(kerasName), ModelFormat::KerasH5);
        QVERIFY(dense.warnings.empty());
        const ModelSpec circ = convertModel(m_dense, ConversionRequest{{4, {}, false}}).model;
        const auto circName = m_dir / "saved_circ.h5";
        const SaveResult native = saveModel(circ, circName);
        QCOMPARE(native.format, std::string("circnn"));
        QCOMPARE(native.warnings.size(), std::size_t(1));
        QCOMPARE(detectModelFormat(circName), ModelFormat::Native);
        const auto refused = m_dir / "refused.h5";
        QVERIFY_THROWS_EXCEPTION(Error, saveModel(circ, refused, SavePolicy{SaveFormat::KerasH5, {}, true}));
        QVERIFY(!std::filesystem::exists(refused));
        const auto stamped = m_dir / "stamped.circnn.h5";
        saveModel(circ, stamped, SavePolicy{SaveFormat::Native, "circnn test", true});
        const ModelSpec back = readModel(stamped);
        QCOMPARE(back.provenance.createdBy, std::string("circnn test"));
        QVERIFY(!back.provenance.createdAt.empty());
    }
};

QTEST_APPLESS_MAIN(TestWorkflows)
#include "TestWorkflows.moc"
