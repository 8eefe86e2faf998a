// trainModel(TrainConfig) and finetuneModel as core calls: per-epoch records for live plots, the
// recipe's decisions (auto projection, ADMM numbering, starting point), cancel mid-way (Cancelled,
// no output file, a second call works) and the versioned JSON with unified keys.

#include <QTest>

#include "TestSupport.h"
#include "WorkflowTestData.h"
#include "analysis/FinetuneWorkflow.h"
#include "analysis/WorkflowJson.h"
#include "common/Error.h"
#include "io/ModelFile.h"

using namespace circnn;

class TestTrainingWorkflows : public QObject {
    Q_OBJECT

    std::shared_ptr<const Dataset> m_train, m_test;
    ModelSpec m_dense;
    std::filesystem::path m_dir;

    FinetuneConfig finetuneConfig(std::int64_t k, int epochs) const
    {
        FinetuneConfig c;
        c.model = ModelSource::memory(m_dense);
        c.trainData = test::inMemory(m_train);
        c.conversion.defaultBlockSize = k;
        c.training.epochs = epochs;
        return c;
    }

private slots:
    void initTestCase()
    {
        m_train = test::bandsDataset(300, 3);
        m_test = test::bandsDataset(90, 4);
        m_dense = test::trainedDenseMlp(m_train);
        m_dir = test::tempDir() / "training_workflows";
        std::filesystem::remove_all(m_dir);
        std::filesystem::create_directories(m_dir);
    }

    void trainFromArchitectureReportsEpochsAndCancels()
    {
        TrainConfig c;
        c.source = "16-16-3";
        c.blockSize = 4;
        c.trainData = test::inMemory(m_train);
        c.testData = test::inMemory(m_test);
        c.training.epochs = 3;
        c.training.optimizer.learningRate = 0.02;
        c.output = m_dir / "trained.circnn.h5";
        int batches = 0;
        c.callbacks.progress = [&](std::size_t, std::size_t) { return ++batches < 5; };
        QVERIFY_THROWS_EXCEPTION(Cancelled, trainModel(c));
        QVERIFY(!std::filesystem::exists(c.output));
        c.callbacks.progress = {};
        std::vector<EpochRecord> live;
        c.callbacks.onEpoch = [&](const EpochRecord& r) { live.push_back(r); };
        const TrainModelResult r = trainModel(c);
        QCOMPARE(live.size(), std::size_t(3));
        QCOMPARE(live[2].epoch, 3);
        QCOMPARE(r.training.history.size(), std::size_t(3));
        QCOMPARE(r.training.history[1].valAccuracy, live[1].valAccuracy);
        QVERIFY(r.model.layers[1].circulant.has_value());
        QVERIFY(r.test && r.test->top1 > 0.8);
        QCOMPARE(r.saved->format, std::string("circnn"));
        QCOMPARE(readModel(c.output).provenance.history.size(), std::size_t(3));
        const nlohmann::json j = toJson(r);
        QCOMPARE(j["schema"].get<std::string>(), std::string("circnn.train/1"));
        QCOMPARE(j["best_epoch"].get<int>(), r.training.bestEpoch);
        QCOMPARE(j["history"][2]["val_accuracy"].get<double>(), r.training.history[2].valAccuracy);
        QCOMPARE(j["test"]["cross_entropy"].get<double>(), r.test->meanCrossEntropy);
        // A block size for a model file is refused; an unknown source is named.
        c.source = (m_dir / "trained.circnn.h5").string();
        QVERIFY_THROWS_EXCEPTION(Error, trainModel(c));
        c.source = (m_dir / "missing.h5").string();
        try {
            trainModel(c);
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY(std::string(e.what()).find("missing.h5") != std::string::npos);
        }
    }

    void finetuneRecipe()
    {
        FinetuneConfig c = finetuneConfig(4, 2);
        c.testData = test::inMemory(m_test);
        c.output = m_dir / "tuned.circnn.h5";
        std::vector<std::string> phases;
        std::vector<EpochRecord> live;
        c.callbacks.onPhase = [&](const std::string& p) { phases.push_back(p); };
        c.callbacks.onEpoch = [&](const EpochRecord& r) { live.push_back(r); };
        const FinetuneResult r = finetuneModel(c);
        // Only Dense layers convert: auto takes the data-aware start, calibrated on training samples.
        QVERIFY(r.projection == ProjectionChoice::DataAware);
        QVERIFY(r.dataAware.has_value());
        QCOMPARE(r.dataAware->calibrationSamples, r.training.trainCount); // fewer than 2000
        QCOMPARE(r.reordering.size(), std::size_t(2));
        QCOMPARE(live.size(), std::size_t(2));
        QVERIFY(std::find(phases.begin(), phases.end(), "fine-tuning") != phases.end());
        QVERIFY(r.testOriginal && r.testProjected && r.testFinetuned);
        QVERIFY(r.parameters < r.parametersBefore);
        QVERIFY(r.model.find("dense_1")->circulant.has_value());
        QVERIFY(std::filesystem::exists(c.output));
        QCOMPARE(r.saved->format, std::string("circnn"));
        // The result's accuracy is the best of the epochs and the starting point.
        QVERIFY(r.training.bestValidationAccuracy >= r.startValidationAccuracy);
        const nlohmann::json j = toJson(r);
        QCOMPARE(j["schema"].get<std::string>(), std::string("circnn.finetune/1"));
        QCOMPARE(j["projection"].get<std::string>(), std::string("data"));
        QCOMPARE(j["layers"][0]["k"].get<std::int64_t>(), std::int64_t(4));
        QCOMPARE(j["reordering"][0]["residual_after"].get<double>(), r.reordering[0].residualAfter);
        QCOMPARE(j["test"]["finetuned"]["top1"].get<double>(), r.testFinetuned->top1);
        QVERIFY(j["test"]["original"].contains("cross_entropy"));
    }

    void finetuneWithAdmmNumbersEpochsAcrossPhases()
    {
        FinetuneConfig c = finetuneConfig(4, 3);
        c.admmEpochs = 2;
        c.rho = 0.5;
        c.projection = ProjectionChoice::Frobenius;
        std::vector<EpochRecord> live;
        int statusEpochs = 0;
        c.callbacks.onEpoch = [&](const EpochRecord& r) { live.push_back(r); };
        c.callbacks.onStatus = [&](const TrainStatus& s) {
            statusEpochs = s.epochs;
            return true;
        };
        const FinetuneResult r = finetuneModel(c);
        QVERIFY(r.admm.has_value());
        QCOMPARE(r.admm->history.size(), std::size_t(2));
        QCOMPARE(r.admm->structureResidual.size(), std::size_t(3));
        QVERIFY(r.admm->structureResidual[2] < r.admm->structureResidual[0]);
        QCOMPARE(r.training.history.size(), std::size_t(1));
        QCOMPARE(r.training.history[0].epoch, 3);
        QCOMPARE(live.size(), std::size_t(3));
        QCOMPARE(live.back().epoch, 3);
        QCOMPARE(statusEpochs, 3);
        QVERIFY(!r.dataAware);
        QVERIFY(toJson(r)["admm"].contains("structure_residual"));
    }

    void finetuneCancelLeavesNoFile()
    {
        FinetuneConfig c = finetuneConfig(4, 2);
        c.output = m_dir / "cancelled.circnn.h5";
        int calls = 0;
        bool training = false;
        c.callbacks.onPhase = [&](const std::string& p) { training = p == "fine-tuning"; };
        c.callbacks.progress = [&](std::size_t, std::size_t) { return !(training && ++calls >= 3); };
        QVERIFY_THROWS_EXCEPTION(Cancelled, finetuneModel(c));
        QVERIFY(training);
        QVERIFY(!std::filesystem::exists(c.output));
        c.callbacks = {};
        const FinetuneResult r = finetuneModel(c);
        QVERIFY(std::filesystem::exists(c.output));
        QCOMPARE(r.training.history.size(), std::size_t(2));
    }

    void finetuneRejectsBadConfigs()
    {
        const auto bad = [&](auto change) {
            FinetuneConfig c = finetuneConfig(4, 2);
            change(c);
            try {
                finetuneModel(c);
                return false;
            } catch (const Cancelled&) {
                return false;
            } catch (const Error& e) {
                return std::string(e.what()).find("fine-tuning") != std::string::npos;
            }
        };
        QVERIFY(bad([](FinetuneConfig& c) { c.distillation = 2; }));
        QVERIFY(bad([](FinetuneConfig& c) { c.admmEpochs = 2; }));
        QVERIFY(bad([](FinetuneConfig& c) { c.calibrationSamples = 0; }));
        QVERIFY(bad([](FinetuneConfig& c) {
            c.admmEpochs = 1;
            c.rho = 0;
        }));
        QCOMPARE(projectionFromName("data"), std::optional<ProjectionChoice>(ProjectionChoice::DataAware));
        QVERIFY(!projectionFromName("fancy"));
    }
};

QTEST_APPLESS_MAIN(TestTrainingWorkflows)
#include "TestTrainingWorkflows.moc"
