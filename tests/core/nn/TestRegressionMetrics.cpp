// Task detection, per-sample squared / absolute errors and ROC AUC (RegressionMetrics.h) and
// evaluate() on reconstruction and regression models, each against a naive double-precision
// reference computed here (the AUC from all positive/negative pairs, O(n²)).

#include <QTest>

#include <cmath>
#include <random>

#include "NnTestUtil.h"
#include "common/Error.h"
#include "nn/Evaluation.h"
#include "nn/RegressionMetrics.h"

using namespace circnn;

namespace {

// AUC as the definition states it: over all (anomalous, normal) pairs, 1 when the anomalous
// score is larger, ½ on a tie.
double naiveAuc(const std::vector<double>& s, const std::vector<std::int32_t>& l)
{
    double wins = 0, pairs = 0;
    for (std::size_t i = 0; i < s.size(); ++i)
        for (std::size_t j = 0; j < s.size(); ++j)
            if (l[i] == 1 && l[j] == 0) {
                pairs += 1;
                wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
            }
    return wins / pairs;
}

// An autoencoder-shaped model: 6 → 3 (relu) → 6 (linear).
ModelSpec autoencoder(ActivationKind outputActivation = ActivationKind::Linear)
{
    test::SpecBuilder b({6}, "tiny-autoencoder");
    b.dense(6, 3, ActivationKind::Relu);
    b.dense(3, 6, outputActivation);
    return b.done();
}

// Naive per-sample (MSE, MAE) of the model's outputs against `targets` (n × per values).
std::vector<std::pair<double, double>> naiveErrors(const Model& m, const Tensor& x, const float* targets)
{
    const Tensor y = m.forward(x);
    const std::int64_t n = x.dim(0), per = y.size() / n;
    std::vector<std::pair<double, double>> e;
    for (std::int64_t s = 0; s < n; ++s) {
        double sq = 0, ab = 0;
        for (std::int64_t i = 0; i < per; ++i) {
            const double d = double(y[s * per + i]) - double(targets[s * per + i]);
            sq += d * d;
            ab += std::fabs(d);
        }
        e.emplace_back(sq / double(per), ab / double(per));
    }
    return e;
}

} // namespace

class TestRegressionMetrics : public QObject {
    Q_OBJECT
private slots:
    void taskNames()
    {
        for (Task t : {Task::Auto, Task::Classify, Task::Reconstruct, Task::Regress})
            QCOMPARE(parseTask(taskName(t)), t);
        QVERIFY_THROWS_EXCEPTION(Error, parseTask("segment"));
    }

    void detection()
    {
        QCOMPARE(detectTask(Model(autoencoder())), Task::Reconstruct);
        // Same shapes but a sigmoid output: not taken as a reconstruction.
        QCOMPARE(detectTask(Model(autoencoder(ActivationKind::Sigmoid))), Task::Classify);
        test::SpecBuilder b({6}, "classifier");
        b.dense(6, 4, ActivationKind::Softmax);
        QCOMPARE(detectTask(Model(b.done())), Task::Classify);
    }

    void aucMatchesPairwiseReference_data()
    {
        QTest::addColumn<int>("count");
        QTest::addColumn<int>("levels"); // distinct score values (few → many ties)
        QTest::newRow("ties") << 60 << 4;
        QTest::newRow("distinct") << 200 << 100000;
        QTest::newRow("two samples") << 2 << 10;
    }
    void aucMatchesPairwiseReference()
    {
        QFETCH(int, count);
        QFETCH(int, levels);
        std::mt19937 rng(static_cast<std::uint32_t>(count * 7 + levels));
        std::vector<double> s(static_cast<std::size_t>(count));
        std::vector<std::int32_t> l(s.size());
        for (std::size_t i = 0; i < s.size(); ++i) {
            l[i] = static_cast<std::int32_t>(i % 2); // both classes present
            // Anomalies score higher on average, so the AUC is well away from ½ and from 1.
            s[i] = double(std::uniform_int_distribution<int>(0, levels - 1)(rng)) + (l[i] ? 0.3 * levels : 0.0);
        }
        const auto auc = rocAuc(s, l);
        QVERIFY(auc.has_value());
        QVERIFY(std::fabs(*auc - naiveAuc(s, l)) < 1e-12);
    }

    void aucEdgeCases()
    {
        // Perfect separation and perfect inversion.
        QCOMPARE(*rocAuc({1, 2, 3, 4}, {0, 0, 1, 1}), 1.0);
        QCOMPARE(*rocAuc({4, 3, 2, 1}, {0, 0, 1, 1}), 0.0);
        QCOMPARE(*rocAuc({1, 1, 1, 1}, {0, 1, 0, 1}), 0.5);
        // A NaN error ranks as the most anomalous.
        QCOMPARE(*rocAuc({1, NAN, 2}, {0, 1, 0}), 1.0);
        // One class only, or labels that are not 0/1: no AUC.
        QVERIFY(!rocAuc({1, 2}, {0, 0}).has_value());
        QVERIFY(!rocAuc({1, 2, 3}, {0, 1, 2}).has_value());
        QVERIFY_THROWS_EXCEPTION(ShapeError, rocAuc({1, 2}, {0}));
    }

    void reconstructionErrors()
    {
        const Model m(autoencoder());
        Dataset d;
        d.name = "random";
        d.images = test::randomTensor({10, 6}, 5);
        d.labels = {0, 0, 1, 0, 1, 1, 0, 0, 1, 0};
        EvalOptions o;
        o.task = Task::Reconstruct;
        o.batchSize = 3; // several batches, the last one partial
        const Evaluation e = evaluate(m, d, o);
        QCOMPARE(e.task, Task::Reconstruct);
        QCOMPARE(e.count, 10);
        const auto ref = naiveErrors(m, d.images, d.images.data());
        double mse = 0, mae = 0;
        std::vector<double> scores;
        for (std::size_t s = 0; s < ref.size(); ++s) {
            QVERIFY(std::fabs(e.errors.perSampleSquaredError[s] - ref[s].first) < 1e-6 * (1 + ref[s].first));
            QVERIFY(std::fabs(e.errors.perSampleAbsoluteError[s] - ref[s].second) < 1e-6 * (1 + ref[s].second));
            mse += ref[s].first / 10.0;
            mae += ref[s].second / 10.0;
            scores.push_back(ref[s].first);
        }
        QVERIFY(mse > 0.01); // the random model reconstructs badly: the figures are not trivially 0
        QVERIFY(std::fabs(e.errors.meanSquaredError - mse) < 1e-6);
        QVERIFY(std::fabs(e.errors.meanAbsoluteError - mae) < 1e-6);
        QVERIFY(e.errors.rocAuc.has_value());
        QVERIFY(std::fabs(*e.errors.rocAuc - naiveAuc(scores, d.labels)) < 1e-9);
        QCOMPARE(e.errors.anomalousCount, 4);
        QCOMPARE(e.errors.normalCount, 6);
        QCOMPARE(metricName(e), std::string("mse"));
        QCOMPARE(primaryMetric(e), e.errors.meanSquaredError);
        QVERIFY(!higherIsBetter(e));

        // Unlabelled data works and has no AUC; the limit is honoured.
        d.labels.clear();
        o.limit = 4;
        const Evaluation u = evaluate(m, d, o);
        QCOMPARE(u.count, 4);
        QVERIFY(!u.errors.rocAuc.has_value());
        QCOMPARE(u.errors.perSampleSquaredError[3], e.errors.perSampleSquaredError[3]);
    }

    void regressionErrors()
    {
        test::SpecBuilder b({5}, "regressor");
        b.dense(5, 2);
        const Model m(b.done());
        Dataset d;
        d.name = "random";
        d.images = test::randomTensor({7, 5}, 8);
        d.targets = test::randomTensor({7, 2}, 9);
        EvalOptions o;
        o.task = Task::Regress;
        const Evaluation e = evaluate(m, d, o);
        const auto ref = naiveErrors(m, d.images, d.targets.data());
        double mse = 0;
        for (const auto& r : ref)
            mse += r.first / 7.0;
        QVERIFY(std::fabs(e.errors.meanSquaredError - mse) < 1e-6);
        // Targets of the wrong size, or none: a clear error.
        d.targets = test::randomTensor({7, 3}, 9);
        QVERIFY_THROWS_EXCEPTION(ShapeError, evaluate(m, d, o));
        d.targets = Tensor();
        QVERIFY_THROWS_EXCEPTION(ShapeError, evaluate(m, d, o));
        // A model that does not map its input shape to itself is no reconstruction.
        o.task = Task::Reconstruct;
        QVERIFY_THROWS_EXCEPTION(ShapeError, evaluate(m, d, o));
    }

    void agreementMeanSquaredDifference()
    {
        ModelSpec a = autoencoder();
        ModelSpec b = a;
        b.layers.back().bias[0] += 0.5f; // output 0 differs by exactly 0.5 on every sample
        Dataset d;
        d.name = "random";
        d.images = test::randomTensor({4, 6}, 3);
        const Agreement ag = compareModels(Model(a), Model(b), d);
        QVERIFY(std::fabs(ag.maxAbsDifference - 0.5) < 1e-6);
        QVERIFY(std::fabs(ag.meanSquaredDifference - 0.25 / 6.0) < 1e-6);
    }
};

QTEST_GUILESS_MAIN(TestRegressionMetrics)
#include "TestRegressionMetrics.moc"
