// The evaluate and finetune workflows on a reconstruction model (an in-memory autoencoder on
// low-rank synthetic data): the task is detected, compareDenseVsConverted reports the error of
// both models and their output difference (checked against direct forward passes), fine-tuning
// with the MSE loss lowers the projected model's error, and the JSON carries the task keys. Training
// from an architecture with --task reconstruct (linear output, MSE loss that decreases) and
// fine-tuning a regression model against stored targets.

#include <QTest>

#include <cmath>
#include <random>

#include "../nn/NnTestUtil.h"
#include "TestSupport.h"
#include "analysis/EvaluateWorkflow.h"
#include "analysis/FinetuneWorkflow.h"
#include "analysis/TrainWorkflow.h"
#include "analysis/WorkflowJson.h"
#include "io/ModelFile.h"
#include "nn/Model.h"

using namespace circnn;

namespace {

// 16 → 8 (tanh) → 16 (linear): converted at k = 4 both layers have blocks.
ModelSpec autoencoder()
{
    test::SpecBuilder b({16}, "tiny-autoencoder");
    b.dense(16, 8, ActivationKind::Tanh);
    b.dense(8, 16);
    return b.done();
}

std::shared_ptr<const Dataset> lowRank(std::int64_t n, std::uint32_t seed)
{
    auto d = std::make_shared<Dataset>();
    d->name = "low-rank";
    d->images = Tensor({n, 16});
    const Tensor basis = test::randomTensor({3, 16}, 99);
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 0.5f);
    for (std::int64_t s = 0; s < n; ++s) {
        const float a = g(rng), b = g(rng), c = g(rng);
        for (std::int64_t i = 0; i < 16; ++i)
            d->images[s * 16 + i] = a * basis[i] + b * basis[16 + i] + c * basis[32 + i];
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

// Regression data: low-rank inputs, targets = a fixed linear map of them (16 → 4) plus a tanh.
std::shared_ptr<const Dataset> regressionData(std::int64_t n, std::uint32_t seed)
{
    auto d = std::make_shared<Dataset>(*lowRank(n, seed));
    const Tensor map = test::randomTensor({16, 4}, 77);
    d->targets = Tensor({n, 4});
    for (std::int64_t s = 0; s < n; ++s)
        for (std::int64_t o = 0; o < 4; ++o) {
            double v = 0;
            for (std::int64_t i = 0; i < 16; ++i)
                v += double(d->images[s * 16 + i]) * map[i * 4 + o];
            d->targets[s * 4 + o] = static_cast<float>(std::tanh(v));
        }
    return d;
}

} // namespace

class TestTaskWorkflows : public QObject {
    Q_OBJECT
private slots:
    void evaluateAndCompare()
    {
        const ModelSpec ae = autoencoder();
        const auto data = lowRank(40, 1);
        EvaluateConfig c;
        c.model = ModelSource::memory(ae);
        c.data.data = data;
        ConversionRequest r;
        r.defaultBlockSize = 4;
        r.convertOutputLayer = true;
        r.reorderUnits = false;
        const EvaluateResult res = compareDenseVsConverted(c, r);
        QCOMPARE(res.task, Task::Reconstruct);
        QVERIFY(std::fabs(res.evaluation.errors.meanSquaredError - directMse(ae, data->images)) < 1e-6);
        QVERIFY(res.circulant.has_value());
        const ConversionResult conv = convertModel(ae, r);
        QVERIFY(std::fabs(res.circulant->evaluation.errors.meanSquaredError - directMse(conv.model, data->images)) <
                1e-6);
        // The output difference of the two models, directly.
        const Tensor ya = Model(ae).forward(data->images), yb = Model(conv.model).forward(data->images);
        double sq = 0;
        for (std::int64_t i = 0; i < ya.size(); ++i)
            sq += std::pow(double(ya[i]) - double(yb[i]), 2);
        QVERIFY(sq > 0);
        QVERIFY(std::fabs(res.circulant->agreement.meanSquaredDifference - sq / double(ya.size())) < 1e-6);
        const auto j = toJson(res);
        QCOMPARE(j["task"].get<std::string>(), std::string("reconstruct"));
        QCOMPARE(j["circulant"]["metric"].get<std::string>(), std::string("mse"));

        // Told to classify, the same model is evaluated as a classifier (labels needed).
        c.task = Task::Classify;
        QVERIFY_THROWS_EXCEPTION(ShapeError, evaluateModel(c));
    }

    void finetuneWithMse()
    {
        FinetuneConfig c;
        c.model = ModelSource::memory(autoencoder());
        c.trainData.data = lowRank(400, 2);
        c.testData.data = lowRank(100, 3);
        c.conversion.defaultBlockSize = 4;
        c.conversion.convertOutputLayer = true;
        c.projection = ProjectionChoice::Frobenius;
        c.distillation = 0; // fit the inputs only
        c.training.epochs = 4;
        c.training.optimizer.kind = OptimizerKind::Adam;
        c.training.optimizer.learningRate = 1e-2;
        c.training.schedule.warmupEpochs = 0;
        const FinetuneResult r = finetuneModel(c);
        QCOMPARE(r.task, Task::Reconstruct);
        QVERIFY(r.testProjected && r.testFinetuned);
        QVERIFY2(r.testFinetuned->errors.meanSquaredError < r.testProjected->errors.meanSquaredError,
                 qPrintable(QString("projected %1, fine-tuned %2")
                                .arg(r.testProjected->errors.meanSquaredError)
                                .arg(r.testFinetuned->errors.meanSquaredError)));
        const auto j = toJson(r);
        QCOMPARE(j["task"].get<std::string>(), std::string("reconstruct"));
        QCOMPARE(j["metric"].get<std::string>(), std::string("mse"));
    }

    void trainReconstructFromArchitecture()
    {
        TrainConfig c;
        c.source = "16-8-16";
        c.training.task = Task::Reconstruct;
        c.training.epochs = 5;
        c.training.batchSize = 32;
        c.training.optimizer.learningRate = 1e-2; // Adam
        c.trainData.data = lowRank(400, 4);
        c.testData.data = lowRank(100, 5);
        c.output = test::tempDir() / "task_ae.circnn.h5";
        std::vector<EpochRecord> seen;
        c.callbacks.onEpoch = [&](const EpochRecord& r) { seen.push_back(r); };
        const TrainModelResult r = trainModel(c);
        QCOMPARE(r.task, Task::Reconstruct);
        // The output layer of the architecture is linear for a reconstruction.
        QCOMPARE(r.model.find(r.model.outputs.front())->activation, ActivationKind::Linear);
        const std::vector<EpochRecord>& h = r.training.history;
        QCOMPARE(h.size(), std::size_t(5));
        QCOMPARE(seen.size(), h.size());
        QVERIFY2(h.back().trainLoss < 0.7 * h.front().trainLoss,
                 qPrintable(QString("MSE %1 -> %2").arg(h.front().trainLoss).arg(h.back().trainLoss)));
        for (const EpochRecord& e : h)
            QVERIFY(std::isnan(e.trainAccuracy)); // no accuracy for the MSE loss
        // The best epoch's validation MSE is the summary figure; the test MSE is the model's, directly.
        QVERIFY(r.training.bestValidationAccuracy <= h.front().valLoss);
        QVERIFY(r.test && r.test->task == Task::Reconstruct);
        QVERIFY(std::fabs(r.test->errors.meanSquaredError - directMse(r.model, lowRank(100, 5)->images)) < 1e-6);
        const auto j = toJson(r);
        QCOMPARE(j["task"].get<std::string>(), std::string("reconstruct"));
        QCOMPARE(j["metric"].get<std::string>(), std::string("mse"));
        // The saved model reads back, its history's missing accuracies (NaN, stored as null) too.
        const ModelSpec back = readModel(c.output);
        QCOMPARE(back.provenance.history.size(), h.size());
        QVERIFY(std::isnan(back.provenance.history.front().trainAccuracy));
        QCOMPARE(back.provenance.history.back().trainLoss, h.back().trainLoss);

        // Auto on an architecture: a classifier (softmax output), as before tasks existed.
        TrainConfig classify = c;
        classify.training.task = Task::Auto;
        classify.training.epochs = 1;
        classify.source = "16-8-4";
        auto labelled = std::make_shared<Dataset>(*lowRank(64, 6));
        labelled->labels.assign(64, 0);
        for (std::size_t i = 0; i < 64; ++i)
            labelled->labels[i] = static_cast<std::int32_t>(i % 4);
        classify.trainData.data = labelled;
        classify.testData = {};
        classify.output.clear();
        const TrainModelResult rc = trainModel(classify);
        QCOMPARE(rc.task, Task::Classify);
        QCOMPARE(rc.model.find(rc.model.outputs.front())->activation, ActivationKind::Softmax);
    }

    void finetuneRegression()
    {
        // A 16 → 8 → 4 model first fitted to the targets, then converted at k = 4 and fine-tuned.
        TrainConfig t;
        t.source = "16-8-4";
        t.training.task = Task::Regress;
        t.training.epochs = 8;
        t.training.optimizer.learningRate = 1e-2;
        t.trainData.data = regressionData(400, 7);
        const TrainModelResult trained = trainModel(t);
        QCOMPARE(trained.task, Task::Regress);

        FinetuneConfig c;
        c.model = ModelSource::memory(trained.model);
        c.task = Task::Regress;
        c.trainData.data = regressionData(400, 7);
        c.testData.data = regressionData(100, 8);
        c.conversion.defaultBlockSize = 4;
        c.conversion.convertOutputLayer = true;
        c.projection = ProjectionChoice::Frobenius;
        c.distillation = 0;
        c.training.epochs = 4;
        c.training.optimizer.kind = OptimizerKind::Adam;
        c.training.optimizer.learningRate = 1e-2;
        c.training.schedule.warmupEpochs = 0;
        const FinetuneResult r = finetuneModel(c);
        QCOMPARE(r.task, Task::Regress);
        QVERIFY(r.testProjected && r.testFinetuned && r.testOriginal);
        QCOMPARE(r.testFinetuned->task, Task::Regress);
        QVERIFY2(r.testFinetuned->errors.meanSquaredError < r.testProjected->errors.meanSquaredError,
                 qPrintable(QString("projected %1, fine-tuned %2")
                                .arg(r.testProjected->errors.meanSquaredError)
                                .arg(r.testFinetuned->errors.meanSquaredError)));
        // The test MSE is against the stored targets, directly.
        const auto test = regressionData(100, 8);
        const Tensor y = Model(r.model).forward(test->images);
        double mse = 0;
        for (std::int64_t i = 0; i < y.size(); ++i)
            mse += std::pow(double(y[i]) - double(test->targets[i]), 2);
        mse /= double(y.size());
        QVERIFY(std::fabs(r.testFinetuned->errors.meanSquaredError - mse) < 1e-6);
    }
};

QTEST_GUILESS_MAIN(TestTaskWorkflows)
#include "TestTaskWorkflows.moc"
