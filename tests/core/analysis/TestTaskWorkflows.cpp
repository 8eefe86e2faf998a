// The evaluate and finetune workflows on a reconstruction model (an in-memory autoencoder on
// low-rank synthetic data): the task is detected, compareDenseVsConverted reports the error of
// both models and their output difference (checked against direct forward passes), fine-tuning
// with the MSE loss lowers the projected model's error, and the JSON carries the task keys.

#include <QTest>

#include <cmath>
#include <random>

#include "../nn/NnTestUtil.h"
#include "analysis/EvaluateWorkflow.h"
#include "analysis/FinetuneWorkflow.h"
#include "analysis/WorkflowJson.h"
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
};

QTEST_GUILESS_MAIN(TestTaskWorkflows)
#include "TestTaskWorkflows.moc"
