// evaluate() and compareModels() on a hand-made model (a Dense layer with identity kernel, so the
// scores are the inputs) and a hand-made dataset whose confusion matrix is known.

#include <QTest>

#include <cmath>

#include "NnTestUtil.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "nn/Evaluation.h"

using namespace circnn;

namespace {

constexpr int kClasses = 6;

ModelSpec identityModel(bool softmax)
{
    test::SpecBuilder b({kClasses}, softmax ? "identity-softmax" : "identity");
    LayerSpec& d = b.dense(kClasses, kClasses, ActivationKind::Linear);
    d.kernel = Tensor({kClasses, kClasses}, 0.0f);
    for (int i = 0; i < kClasses; ++i)
        d.kernel[i * kClasses + i] = 1.0f;
    d.bias = Tensor({kClasses}, 0.0f);
    if (softmax)
        b.simple(LayerKind::Activation).activation = ActivationKind::Softmax;
    return b.done();
}

// Sample s predicts `pred[s]` (score 2 there), has label `label[s]`; scores elsewhere are
// small distinct values; sample 5's label gets the lowest score of all (outside the top 5).
const std::vector<int> kPred = {0, 1, 1, 2, 3, 4, 5, 5};
const std::vector<int> kLabel = {0, 1, 2, 2, 3, 0, 1, 5};

Dataset makeData()
{
    Dataset d;
    d.name = "hand-made";
    d.classCount = kClasses;
    d.images = Tensor({static_cast<std::int64_t>(kPred.size()), kClasses});
    for (std::size_t s = 0; s < kPred.size(); ++s) {
        for (int c = 0; c < kClasses; ++c)
            d.images[static_cast<std::int64_t>(s) * kClasses + c] = 0.1f * float(c);
        if (s == 5)
            d.images[5 * kClasses + kLabel[5]] = -1.0f;
        d.images[static_cast<std::int64_t>(s) * kClasses + kPred[s]] = 2.0f;
        d.labels.push_back(kLabel[s]);
    }
    return d;
}

} // namespace

class TestEvaluation : public QObject {
    Q_OBJECT
private slots:
    void knownConfusion_data()
    {
        QTest::addColumn<bool>("softmax");
        QTest::addColumn<int>("batch");
        QTest::newRow("logits, batch 3") << false << 3;
        QTest::newRow("softmax, batch 256") << true << 256;
    }
    void knownConfusion()
    {
        QFETCH(bool, softmax);
        QFETCH(int, batch);
        const Model m(identityModel(softmax));
        const Dataset data = makeData();
        EvalOptions opt;
        opt.batchSize = batch;
        opt.perLayerTiming = true;
        const Evaluation ev = evaluate(m, data, opt);
        QCOMPARE(ev.count, std::int64_t(8));
        std::vector<std::vector<std::int64_t>> want(kClasses, std::vector<std::int64_t>(kClasses, 0));
        int correct = 0;
        for (std::size_t s = 0; s < kPred.size(); ++s) {
            ++want[kLabel[s]][kPred[s]];
            correct += kPred[s] == kLabel[s];
        }
        QCOMPARE(ev.confusion, want);
        QCOMPARE(ev.top1, correct / 8.0);
        QCOMPARE(ev.top5, 7 / 8.0);
        QCOMPARE(ev.predictions, std::vector<std::int32_t>(kPred.begin(), kPred.end()));
        // Per-class recall: class 0: 1/2, 1: 1/2, 2: 1/2, 3: 1, 4: NaN (absent), 5: 1.
        QCOMPARE(ev.perClassAccuracy[0], 0.5);
        QCOMPARE(ev.perClassAccuracy[3], 1.0);
        QVERIFY(std::isnan(ev.perClassAccuracy[4]));
        // Cross-entropy from an independent double softmax of the inputs.
        double ce = 0;
        for (std::size_t s = 0; s < kPred.size(); ++s) {
            double sum = 0;
            for (int c = 0; c < kClasses; ++c)
                sum += std::exp(double(data.images[static_cast<std::int64_t>(s) * kClasses + c]));
            ce -= std::log(std::exp(double(data.images[static_cast<std::int64_t>(s) * kClasses + kLabel[s]])) / sum);
        }
        QVERIFY(std::abs(ev.meanCrossEntropy - ce / 8) < 1e-5);
        const bool warned = std::any_of(ev.warnings.begin(), ev.warnings.end(),
                                        [](const std::string& w) { return w.find("softmax") != std::string::npos; });
        QCOMPARE(warned, !softmax);
        QCOMPARE(ev.layerTimes.size(), m.spec().layers.size());
        QVERIFY(ev.imagesPerSecond > 0);
    }

    void limitProgressCancel()
    {
        const Model m(identityModel(false));
        const Dataset data = makeData();
        EvalOptions opt;
        opt.limit = 5;
        opt.batchSize = 2;
        std::vector<std::size_t> seen;
        opt.progress = [&](std::size_t done, std::size_t total) {
            seen.push_back(done);
            return total == 5;
        };
        const Evaluation ev = evaluate(m, data, opt);
        QCOMPARE(ev.count, std::int64_t(5));
        QCOMPARE(seen, (std::vector<std::size_t>{0, 2, 4, 5}));
        opt.progress = [](std::size_t done, std::size_t) { return done < 2; };
        QVERIFY_THROWS_EXCEPTION(Cancelled, evaluate(m, data, opt));
    }

    void badInputs()
    {
        const Model m(identityModel(false));
        Dataset data = makeData();
        data.labels[2] = kClasses; // out of range
        QVERIFY_THROWS_EXCEPTION(ShapeError, evaluate(m, data));
        data = makeData();
        data.labels.pop_back();
        QVERIFY_THROWS_EXCEPTION(ShapeError, evaluate(m, data));
        data = makeData();
        data.images = Tensor({8, 7});
        QVERIFY_THROWS_EXCEPTION(ShapeError, evaluate(m, data));
        // Same number of values, other shape: reshaped with a warning.
        data = makeData();
        data.images.reshape({8, 2, 3});
        const Evaluation ev = evaluate(m, data);
        QCOMPARE(ev.top1, 5 / 8.0);
        QVERIFY(!ev.warnings.empty());
    }

    void outputShapes()
    {
        // (1, classes) per sample is accepted; (2, 3) is not a vector of class scores.
        ModelSpec s = identityModel(false);
        s.layers[0].inputShape = {1, kClasses};
        Dataset data = makeData();
        QCOMPARE(evaluate(Model(s), data).top1, 5 / 8.0);
        test::SpecBuilder b({2, 3});
        b.dense(3, 3);
        data.images.reshape({8, 2, 3});
        QVERIFY_THROWS_EXCEPTION(ShapeError, evaluate(Model(b.done()), data));
    }

    void compare()
    {
        const Model a(identityModel(false));
        ModelSpec bs = identityModel(false);
        bs.layers[1].bias[3] = 1.5f; // shifts class 3 scores by 1.5
        const Model b(bs);
        const Dataset data = makeData();
        const Agreement same = compareModels(a, a, data);
        QCOMPARE(same.top1Match, 1.0);
        QCOMPARE(same.maxAbsDifference, 0.0);
        const Agreement diff = compareModels(a, b, data);
        QCOMPARE(diff.count, std::int64_t(8));
        QVERIFY(std::abs(diff.maxAbsDifference - 1.5) < 1e-6);
        // Class 3 scores 0.3 + 1.5 = 1.8 < 2 except where 3 is predicted already: top-1 unchanged
        // for all samples.
        QCOMPARE(diff.top1Match, 1.0);
        bs.layers[1].bias[3] = 2.5f; // now 2.8 > 2: every sample not predicting 3 changes
        const Agreement diff2 = compareModels(a, Model(bs), data);
        QCOMPARE(diff2.top1Match, 1 / 8.0);
    }
};

QTEST_APPLESS_MAIN(TestEvaluation)
#include "TestEvaluation.moc"
