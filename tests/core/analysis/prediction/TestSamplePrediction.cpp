// Per-sample predictions (analysis/SamplePrediction.h) against evaluate(): the top class of every
// sample is evaluate's prediction, probabilities of a logits model are the softmax of its output
// (computed here in double), top-k order and ties, and the samples of every confusion cell add up
// to the confusion matrix.

#include <QTest>

#include <cmath>

#include "../WorkflowTestData.h"
#include "TestSupport.h"
#include "analysis/SamplePrediction.h"
#include "common/Error.h"
#include "nn/Evaluation.h"

using namespace circnn;

class TestSamplePrediction : public QObject {
    Q_OBJECT

private slots:
    void topClassesOrderAndTies()
    {
        const std::vector<float> p{0.1f, 0.3f, 0.05f, 0.3f, 0.25f};
        const auto top = topClasses(p, 3);
        QCOMPARE(top.size(), std::size_t(3));
        QCOMPARE(top[0], (ClassScore{1, 0.3f})); // tie: the lower class first
        QCOMPARE(top[1], (ClassScore{3, 0.3f}));
        QCOMPARE(top[2], (ClassScore{4, 0.25f}));
        QCOMPARE(topClasses(p, 9).size(), p.size());
        QCOMPARE(topClasses(p, 9).back(), (ClassScore{2, 0.05f}));
        QVERIFY(topClasses(p, 0).empty());
        QVERIFY(topClasses({}, 5).empty());
    }

    void probabilitiesAgreeWithEvaluate()
    {
        const auto data = test::bandsDataset(60, 7);
        const ModelSpec spec = test::trainedDenseMlp(test::bandsDataset(300, 1));
        QVERIFY(outputIsSoftmax(spec));
        const Model model(spec);
        const Evaluation ev = evaluate(model, *data);
        QCOMPARE(ev.predictions.size(), std::size_t(60));
        for (std::int64_t i = 0; i < data->count(); ++i) {
            const auto p = classProbabilities(model, *data, i);
            QCOMPARE(p.size(), std::size_t(3));
            double sum = 0;
            for (float v : p)
                sum += v;
            QVERIFY(std::abs(sum - 1) < 1e-5);
            QCOMPARE(topClasses(p, 1).front().classIndex, ev.predictions[std::size_t(i)]);
        }
        QVERIFY_THROWS_EXCEPTION(ShapeError, classProbabilities(model, *data, 60));
        QVERIFY_THROWS_EXCEPTION(ShapeError, classProbabilities(model, *data, -1));
        Dataset narrow;
        narrow.images = Tensor({2, 8});
        narrow.labels = {0, 1};
        QVERIFY_THROWS_EXCEPTION(ShapeError, classProbabilities(model, narrow, 0));
    }

    // A model whose output layer is linear: probabilities = softmax(output), top-1 unchanged.
    void logitsModelIsSoftmaxed()
    {
        const auto data = test::bandsDataset(30, 3);
        ModelSpec spec = test::trainedDenseMlp(test::bandsDataset(300, 1));
        LayerSpec* out = spec.find(spec.outputs.front());
        out->activation = ActivationKind::Linear;
        QVERIFY(!outputIsSoftmax(spec));
        const Model model(spec);
        const Tensor logits = model.forward(data->images);
        for (std::int64_t i = 0; i < data->count(); ++i) {
            const auto p = classProbabilities(model, *data, i);
            double mx = -1e30, sum = 0;
            for (int c = 0; c < 3; ++c)
                mx = std::max(mx, double(logits[i * 3 + c]));
            for (int c = 0; c < 3; ++c)
                sum += std::exp(double(logits[i * 3 + c]) - mx);
            for (int c = 0; c < 3; ++c)
                QVERIFY(std::abs(p[std::size_t(c)] - std::exp(double(logits[i * 3 + c]) - mx) / sum) < 1e-5);
        }
    }

    void perfectConfusion()
    {
        Evaluation e;
        e.confusion = {{5, 0}, {0, 7}};
        QCOMPARE(largestConfusion(e), std::int64_t(0));
        QVERIFY(classSampleCounts(e) == (std::vector<std::int64_t>{5, 7}));
    }

    void confusionCellsAddUp()
    {
        const auto data = test::bandsDataset(90, 11);
        // A weakly trained model, so that some cells off the diagonal are filled.
        ModelSpec spec = test::trainedDenseMlp(test::bandsDataset(12, 1));
        const Model model(spec);
        EvalOptions o;
        o.limit = 80;
        const Evaluation ev = evaluate(model, *data, o);
        std::int64_t total = 0;
        for (std::int32_t t = 0; t < 3; ++t)
            for (std::int32_t p = 0; p < 3; ++p) {
                const auto cell = confusionCellSamples(data->labels, ev.predictions, t, p);
                QCOMPARE(std::int64_t(cell.size()), ev.confusion[std::size_t(t)][std::size_t(p)]);
                for (std::int64_t i : cell) {
                    QVERIFY(i < 80);
                    QCOMPARE(data->labels[std::size_t(i)], t);
                    QCOMPARE(ev.predictions[std::size_t(i)], p);
                }
                total += std::int64_t(cell.size());
            }
        QCOMPARE(total, std::int64_t(80));
        // Samples per class: the labels of the 80 evaluated samples, counted here.
        std::vector<std::int64_t> perClass(3, 0);
        for (std::int64_t i = 0; i < 80; ++i)
            ++perClass[std::size_t(data->labels[std::size_t(i)])];
        QVERIFY(classSampleCounts(ev) == perClass);
        std::int64_t worst = 0;
        for (std::int32_t t = 0; t < 3; ++t)
            for (std::int32_t p = 0; p < 3; ++p)
                if (t != p)
                    worst = std::max<std::int64_t>(
                        worst, std::int64_t(confusionCellSamples(data->labels, ev.predictions, t, p).size()));
        QCOMPARE(largestConfusion(ev), worst);
        QVERIFY(worst > 0); // the weak model does confuse classes (the check above is not vacuous)
        QVERIFY_THROWS_EXCEPTION(ShapeError, confusionCellSamples({0}, {0, 1}, 0, 0));
    }
};

QTEST_APPLESS_MAIN(TestSamplePrediction)
#include "TestSamplePrediction.moc"
