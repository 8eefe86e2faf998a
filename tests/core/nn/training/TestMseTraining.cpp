// The mean squared error loss (MeanSquaredError.h): its value against a direct sum, its gradient
// against central finite differences of the loss; and training with it: a tiny autoencoder and a
// tiny regressor whose MSE decreases, and the best-epoch rule (lowest MSE).

#include <QTest>

#include <cmath>
#include <random>

#include "../NnTestUtil.h"
#include "common/Error.h"
#include "nn/Evaluation.h"
#include "nn/Model.h"
#include "nn/training/MeanSquaredError.h"
#include "nn/training/Trainer.h"

using namespace circnn;

namespace {

double directLoss(const Tensor& y, const Tensor& t)
{
    const std::int64_t n = y.dim(0), c = y.dim(1);
    double sum = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        double row = 0;
        for (std::int64_t j = 0; j < c; ++j)
            row += std::pow(double(y[i * c + j]) - double(t[i * c + j]), 2);
        sum += row / double(c);
    }
    return sum;
}

// 8 → 3 (tanh) → 8 (linear), trained on samples that lie in a 2-D subspace (learnable).
ModelSpec autoencoder()
{
    test::SpecBuilder b({8}, "tiny-autoencoder");
    b.dense(8, 3, ActivationKind::Tanh);
    b.dense(3, 8);
    return b.done();
}

Dataset lowRankData(std::int64_t n)
{
    Dataset d;
    d.name = "low-rank";
    d.images = Tensor({n, 8});
    const Tensor basis = test::randomTensor({2, 8}, 77);
    std::mt19937 rng(5);
    std::normal_distribution<float> g(0.0f, 0.5f);
    for (std::int64_t s = 0; s < n; ++s) {
        const float a = g(rng), b = g(rng);
        for (std::int64_t i = 0; i < 8; ++i)
            d.images[s * 8 + i] = a * basis[i] + b * basis[8 + i];
    }
    return d;
}

} // namespace

class TestMseTraining : public QObject {
    Q_OBJECT
private slots:
    void lossAndGradient()
    {
        const Tensor y = test::randomTensor({3, 5}, 1), t = test::randomTensor({3, 5}, 2);
        Tensor grad;
        const double scale = 1.0 / 3.0;
        const LossSums l = meanSquaredError(y, t.data(), &grad, scale);
        QVERIFY(std::fabs(l.lossSum - directLoss(y, t)) < 1e-6);
        QCOMPARE(grad.shape(), y.shape());
        // Central differences of scale · Σ loss in double precision.
        const double h = 1e-3;
        for (std::int64_t i = 0; i < y.size(); ++i) {
            Tensor plus = y, minus = y;
            plus[i] += float(h);
            minus[i] -= float(h);
            const double numeric =
                scale * (directLoss(plus, t) - directLoss(minus, t)) / (double(plus[i]) - double(minus[i]));
            QVERIFY2(std::fabs(numeric - grad[i]) < 1e-4,
                     qPrintable(QString("value %1: analytic %2, numeric %3").arg(i).arg(grad[i]).arg(numeric)));
        }
        QVERIFY_THROWS_EXCEPTION(ShapeError, meanSquaredError(Tensor({5}), t.data()));
    }

    void autoencoderLearns()
    {
        const ModelSpec initial = autoencoder();
        const Dataset data = lowRankData(256);
        EvalOptions eo;
        eo.task = Task::Reconstruct;
        const double before = evaluate(Model(initial), data, eo).errors.meanSquaredError;
        TrainOptions o;
        o.task = Task::Reconstruct;
        o.epochs = 8;
        o.batchSize = 16;
        o.optimizer.kind = OptimizerKind::Adam;
        o.optimizer.learningRate = 1e-2;
        o.validationSplit = 0.25;
        const TrainResult r = trainModel(initial, data, o);
        const double after = evaluate(Model(r.model), data, eo).errors.meanSquaredError;
        QVERIFY2(after < 0.5 * before, qPrintable(QString("MSE %1 -> %2").arg(before).arg(after)));
        QCOMPARE(r.history.size(), std::size_t(8));
        QVERIFY(std::isnan(r.history.front().valAccuracy));
        // The kept epoch is the one with the lowest validation MSE, reported as such.
        double lowest = INFINITY;
        int lowestEpoch = 0;
        for (const EpochRecord& e : r.history)
            if (e.valLoss < lowest) {
                lowest = e.valLoss;
                lowestEpoch = e.epoch;
            }
        QCOMPARE(r.bestEpoch, lowestEpoch);
        QCOMPARE(r.bestValidationAccuracy, lowest);
    }

    void regressorLearns()
    {
        test::SpecBuilder b({8}, "tiny-regressor");
        b.dense(8, 2);
        const ModelSpec initial = b.done();
        Dataset data = lowRankData(128);
        // Targets: a fixed linear map of the inputs (exactly learnable by one Dense layer).
        const Tensor w = test::randomTensor({8, 2}, 9);
        data.targets = Tensor({128, 2});
        for (std::int64_t s = 0; s < 128; ++s)
            for (std::int64_t j = 0; j < 2; ++j)
                for (std::int64_t i = 0; i < 8; ++i)
                    data.targets[s * 2 + j] += data.images[s * 8 + i] * w[i * 2 + j];
        EvalOptions eo;
        eo.task = Task::Regress;
        const double before = evaluate(Model(initial), data, eo).errors.meanSquaredError;
        TrainOptions o;
        o.task = Task::Regress;
        o.epochs = 6;
        o.batchSize = 16;
        o.optimizer.kind = OptimizerKind::Adam;
        o.optimizer.learningRate = 2e-2;
        o.validationSplit = 0;
        const TrainResult r = trainModel(initial, data, o);
        const double after = evaluate(Model(r.model), data, eo).errors.meanSquaredError;
        QVERIFY2(after < 0.2 * before, qPrintable(QString("MSE %1 -> %2").arg(before).arg(after)));
        // Missing targets: a clear error, not a crash.
        data.targets = Tensor();
        QVERIFY_THROWS_EXCEPTION(ShapeError, trainModel(initial, data, o));
    }
};

QTEST_GUILESS_MAIN(TestMseTraining)
#include "TestMseTraining.moc"
