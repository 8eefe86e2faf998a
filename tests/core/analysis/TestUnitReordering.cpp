// reorderUnits / ConversionRequest::reorderUnits: reordering hidden units keeps the model's
// function (Dense chains, Conv2D through BatchNormalization, pooling, Flatten and global pooling),
// never increases the projection residual, finds planted block-circulant structure, reports the
// residual convertModel then measures, leaves layers it must not touch alone (with a reason), is
// deterministic, cancellable, and rejects bad targets.

#include <QTest>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "../nn/NnTestUtil.h"
#include "analysis/Conversion.h"
#include "analysis/DataAwareProjection.h"
#include "analysis/UnitReordering.h"
#include "common/Error.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

namespace {

// 20 → 24 (relu) → dropout → 16 (relu) → 5 (softmax)
ModelSpec mlp()
{
    SpecBuilder b({20}, "mlp");
    b.dense(20, 24, ActivationKind::Relu).name = "fc1";
    LayerSpec& d = b.simple(LayerKind::Dropout);
    d.rate = 0.5f;
    b.dense(24, 16, ActivationKind::Relu).name = "fc2";
    b.dense(16, 5, ActivationKind::Softmax).name = "out";
    return b.done();
}

void addBatchNorm(SpecBuilder& b, std::int64_t channels, std::uint32_t seed)
{
    LayerSpec& bn = b.simple(LayerKind::BatchNormalization);
    bn.gamma = randomTensor({channels}, seed, 0.5f, 1.5f);
    bn.beta = randomTensor({channels}, seed + 1, -0.3f, 0.3f);
    bn.movingMean = randomTensor({channels}, seed + 2, -0.2f, 0.2f);
    bn.movingVariance = randomTensor({channels}, seed + 3, 0.5f, 2.0f);
}

// 8×8×3 → conv1 (8, relu) → BN → maxpool 2 → conv2 (12, relu) → BN → flatten → fc (10, relu) →
// out (4, softmax)
ModelSpec cnn()
{
    SpecBuilder b({8, 8, 3}, "cnn");
    LayerSpec& c1 = b.conv(3, 8, 3, 3, ActivationKind::Relu);
    c1.name = "conv1";
    c1.padding = Padding::Same;
    addBatchNorm(b, 8, 100);
    LayerSpec& pool = b.simple(LayerKind::MaxPooling2D);
    pool.kernelH = pool.kernelW = pool.strideH = pool.strideW = 2;
    LayerSpec& c2 = b.conv(8, 12, 3, 3, ActivationKind::Relu);
    c2.name = "conv2";
    c2.padding = Padding::Same;
    addBatchNorm(b, 12, 200);
    b.simple(LayerKind::Flatten);
    b.dense(4 * 4 * 12, 10, ActivationKind::Relu).name = "fc";
    b.dense(10, 4, ActivationKind::Softmax).name = "out";
    return b.done();
}

float maxAbsDiff(const Tensor& a, const Tensor& b)
{
    float m = 0;
    for (std::int64_t i = 0; i < a.size(); ++i)
        m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

void requireSameFunction(const ModelSpec& a, const ModelSpec& b, const Shape& input)
{
    Shape shape{16};
    shape.insert(shape.end(), input.begin(), input.end());
    const Tensor x = randomTensor(shape, 77, 0.0f, 1.0f);
    const Tensor ya = Model(a).forward(x), yb = Model(b).forward(x);
    QCOMPARE(ya.shape(), yb.shape());
    QVERIFY2(maxAbsDiff(ya, yb) < 2e-5f, qPrintable(QString::number(maxAbsDiff(ya, yb))));
}

bool isPermutation(const std::vector<std::int64_t>& p, std::int64_t n)
{
    std::vector<std::int64_t> s = p;
    std::sort(s.begin(), s.end());
    std::vector<std::int64_t> id(static_cast<std::size_t>(n));
    std::iota(id.begin(), id.end(), 0);
    return s == id;
}

bool isIdentity(const std::vector<std::int64_t>& p)
{
    for (std::size_t i = 0; i < p.size(); ++i)
        if (p[i] != static_cast<std::int64_t>(i))
            return false;
    return true;
}

const LayerConversion& conversionOf(const ConversionResult& r, const std::string& layer)
{
    for (const LayerConversion& l : r.layers)
        if (l.layer == layer)
            return l;
    throw Error("no conversion entry for " + layer);
}

} // namespace

class TestUnitReordering : public QObject {
    Q_OBJECT
private slots:
    void denseChainKeepsFunctionAndLowersResidual_data()
    {
        QTest::addColumn<qint64>("k");
        QTest::newRow("k=2") << qint64(2);
        QTest::newRow("k=3 (does not divide 20 or 16)") << qint64(3);
        QTest::newRow("k=4") << qint64(4);
        QTest::newRow("k=5") << qint64(5);
    }
    void denseChainKeepsFunctionAndLowersResidual()
    {
        QFETCH(qint64, k);
        const ModelSpec m = mlp();
        const UnitReorderingResult r = reorderUnits(m, {{"fc1", k}, {"fc2", k}});
        QCOMPARE(r.layers.size(), std::size_t(2));
        requireSameFunction(m, r.model, {20});
        const ConversionRequest request{{k, {}, false}};
        const ConversionResult projected = convertModel(r.model, request);
        for (const LayerReordering& l : r.layers) {
            QVERIFY2(l.reordered, qPrintable(QString::fromStdString(l.reason)));
            QVERIFY(l.residualAfter <= l.residualBefore + 1e-12);
            QVERIFY(l.steps > 0);
            QVERIFY(isPermutation(l.permutation, l.layer == "fc1" ? 24 : 16));
            // The residual the search reports is the one the projection then has.
            QVERIFY2(
                std::fabs(conversionOf(projected, l.layer).relativeResidual - l.residualAfter) < 1e-5,
                qPrintable(
                    QString("%1 vs %2").arg(conversionOf(projected, l.layer).relativeResidual).arg(l.residualAfter)));
        }
        QCOMPARE(r.layers[0].consumer, std::string("fc2"));
        QCOMPARE(r.layers[1].consumer, std::string("out"));
        // On random weights a search over 24! orders finds a strictly better one.
        QVERIFY(r.layers[0].residualAfter < r.layers[0].residualBefore - 1e-3);
        QVERIFY(!isIdentity(r.layers[0].permutation));
        // The bias moved with the units.
        const LayerSpec& before = *m.find("fc1");
        const LayerSpec& after = *r.model.find("fc1");
        for (std::size_t u = 0; u < r.layers[0].permutation.size(); ++u)
            QCOMPARE(after.bias[static_cast<std::int64_t>(u)], before.bias[r.layers[0].permutation[u]]);
    }

    void convolutionsThroughBatchNormPoolingAndFlatten()
    {
        const ModelSpec m = cnn();
        const UnitReorderingResult r = reorderUnits(m, {{"conv1", 2}, {"conv2", 4}, {"fc", 2}});
        requireSameFunction(m, r.model, {8, 8, 3});
        QCOMPARE(r.layers.size(), std::size_t(3));
        for (const LayerReordering& l : r.layers) {
            QVERIFY2(l.reordered, qPrintable(QString::fromStdString(l.layer + ": " + l.reason)));
            QVERIFY(l.residualAfter <= l.residualBefore + 1e-12);
        }
        QCOMPARE(r.layers[0].consumer, std::string("conv2"));
        QCOMPARE(r.layers[1].consumer, std::string("fc")); // through BatchNormalization and Flatten
        QCOMPARE(r.layers[2].consumer, std::string("out"));
        QVERIFY(!isIdentity(r.layers[1].permutation));
    }

    void globalPoolingToDense()
    {
        SpecBuilder b({6, 6, 4}, "gap");
        LayerSpec& c = b.conv(4, 12, 3, 3, ActivationKind::Relu);
        c.name = "conv";
        b.simple(LayerKind::GlobalAveragePooling2D);
        b.dense(12, 8, ActivationKind::Relu).name = "fc";
        b.dense(8, 3, ActivationKind::Softmax).name = "out";
        const ModelSpec m = b.done();
        const UnitReorderingResult r = reorderUnits(m, {{"conv", 4}, {"fc", 4}});
        requireSameFunction(m, r.model, {6, 6, 4});
        QVERIFY(r.layers[0].reordered);
        QCOMPARE(r.layers[0].consumer, std::string("fc"));
    }

    void findsPlantedStructure()
    {
        // fc1 is exactly block-circulant (k = 4) in some unit order; its rows are shuffled.
        const std::int64_t k = 4, rows = 16, cols = 32;
        const Tensor vectors = randomTensor({rows / k, cols / k, k}, 5);
        const std::vector<double> w = test::naiveExpand(vectors.data(), rows, cols, k);
        std::vector<std::int64_t> shuffle(static_cast<std::size_t>(rows));
        std::iota(shuffle.begin(), shuffle.end(), 0);
        std::mt19937 rng(3);
        std::shuffle(shuffle.begin(), shuffle.end(), rng);
        SpecBuilder b({cols}, "planted");
        LayerSpec& fc1 = b.dense(cols, rows, ActivationKind::Relu);
        fc1.name = "fc1";
        for (std::int64_t i = 0; i < cols; ++i)
            for (std::int64_t o = 0; o < rows; ++o)
                fc1.kernel[i * rows + o] =
                    static_cast<float>(w[static_cast<std::size_t>(shuffle[static_cast<std::size_t>(o)] * cols + i)]);
        b.dense(rows, 3, ActivationKind::Softmax).name = "out";
        const ModelSpec m = b.done();
        const UnitReorderingResult r = reorderUnits(m, {{"fc1", k}});
        QVERIFY(r.layers[0].residualBefore > 0.5);
        QVERIFY2(r.layers[0].residualAfter < 1e-3, qPrintable(QString::number(r.layers[0].residualAfter)));
        requireSameFunction(m, r.model, {cols});
    }

    void layersThatMustKeepTheirOrder()
    {
        // Output layer, a layer feeding Add, a consumer that is already block-circulant.
        SpecBuilder b({12}, "branches");
        b.dense(12, 8, ActivationKind::Relu).name = "a";
        b.dense(8, 8, ActivationKind::Relu).name = "b";
        b.dense(8, 8, ActivationKind::Relu, {"a"}).name = "c";
        b.simple(LayerKind::Add, {"b", "c"});
        b.dense(8, 8, ActivationKind::Relu).name = "d";
        LayerSpec& e = b.dense(8, 8, ActivationKind::Relu);
        e.name = "e";
        test::makeCirculant(e, 8, 4, 9);
        b.dense(8, 3, ActivationKind::Softmax).name = "out";
        const ModelSpec m = b.done();
        const UnitReorderingResult r = reorderUnits(m, {{"a", 4}, {"b", 4}, {"d", 4}, {"e", 4}, {"out", 3}});
        QCOMPARE(r.layers.size(), std::size_t(5));
        auto reason = [&](const std::string& layer) {
            for (const LayerReordering& l : r.layers)
                if (l.layer == layer) {
                    if (l.reordered || !l.permutation.empty() || l.residualAfter != l.residualBefore)
                        return std::string("changed");
                    return l.reason;
                }
            return std::string("missing");
        };
        QVERIFY2(reason("a").find("feeds 2 layers") != std::string::npos, reason("a").c_str());
        QVERIFY2(reason("b").find("Add") != std::string::npos, reason("b").c_str());
        QVERIFY2(reason("d").find("already block-circulant") != std::string::npos, reason("d").c_str());
        QVERIFY2(reason("e").find("already block-circulant") != std::string::npos, reason("e").c_str());
        QVERIFY2(reason("out").find("output") != std::string::npos, reason("out").c_str());
        for (std::size_t i = 0; i < m.layers.size(); ++i)
            QVERIFY(maxAbsDiff(m.layers[i].kernel, r.model.layers[i].kernel) == 0.0f);
    }

    void deterministicPerSeed()
    {
        const ModelSpec m = mlp();
        UnitReorderingOptions o;
        o.seed = 7;
        const UnitReorderingResult a = reorderUnits(m, {{"fc1", 4}, {"fc2", 4}}, o);
        const UnitReorderingResult b = reorderUnits(m, {{"fc1", 4}, {"fc2", 4}}, o);
        QCOMPARE(a.layers[0].permutation, b.layers[0].permutation);
        QCOMPARE(a.layers[1].permutation, b.layers[1].permutation);
    }

    void progressAndCancel()
    {
        const ModelSpec m = mlp();
        UnitReorderingOptions o;
        std::vector<std::size_t> seen;
        o.progress = [&](std::size_t done, std::size_t total) {
            if (total != 2)
                return false;
            seen.push_back(done);
            return true;
        };
        reorderUnits(m, {{"fc1", 4}, {"fc2", 4}}, o);
        QVERIFY(!seen.empty());
        QCOMPARE(seen.back(), std::size_t(2));
        o.progress = [](std::size_t, std::size_t) { return false; };
        QVERIFY_THROWS_EXCEPTION(Cancelled, reorderUnits(m, {{"fc1", 4}}, o));
    }

    void badTargets()
    {
        const ModelSpec m = mlp();
        QVERIFY_THROWS_EXCEPTION(Error, reorderUnits(m, {{"nope", 4}}));
        QVERIFY_THROWS_EXCEPTION(Error, reorderUnits(m, {{"Dropout_2", 4}}));
        QVERIFY_THROWS_EXCEPTION(Error, reorderUnits(m, {{"fc1", 0}}));
        ModelSpec noWeights = m;
        noWeights.find("fc1")->kernel = Tensor();
        QVERIFY_THROWS_EXCEPTION(Error, reorderUnits(noWeights, {{"fc1", 4}}));
    }

    void convertModelReorders()
    {
        const ModelSpec m = mlp();
        ConversionRequest plain{{4, {}, false}};
        ConversionRequest reorder = plain;
        reorder.reorderUnits = true;
        const ConversionResult a = convertModel(m, plain);
        const ConversionResult b = convertModel(m, reorder);
        QVERIFY(!a.reorderedSource);
        QVERIFY(b.reorderedSource.has_value());
        requireSameFunction(m, *b.reorderedSource, {20});
        QCOMPARE(b.reordering.size(), std::size_t(2)); // fc1, fc2 (out stays dense)
        for (const char* layer : {"fc1", "fc2"})
            QVERIFY(conversionOf(b, layer).relativeResidual <= conversionOf(a, layer).relativeResidual + 1e-6);
        QVERIFY(conversionOf(b, "fc1").relativeResidual < conversionOf(a, "fc1").relativeResidual - 1e-3);
        QVERIFY(b.model.provenance.notes.find("reordered") != std::string::npos);
        // The data-aware projection fits against the reordered dense model: its layer outputs are
        // matched unit for unit, so the fit is at least as good as the Frobenius start.
        const Tensor calib = randomTensor({64, 20}, 4, 0.0f, 1.0f);
        std::vector<DataAwareLayerReport> report;
        const ConversionResult c = convertModelDataAware(m, reorder, calib, kDefaultRelativeRidge, {}, &report);
        QVERIFY(c.reorderedSource.has_value());
        QCOMPARE(report.size(), std::size_t(2));
        for (const DataAwareLayerReport& r : report) {
            QVERIFY(r.dataAware);
            QVERIFY2(r.dataAwareOutputError <= r.frobeniusOutputError + 1e-9,
                     qPrintable(QString("%1 > %2").arg(r.dataAwareOutputError).arg(r.frobeniusOutputError)));
        }
    }
};

QTEST_APPLESS_MAIN(TestUnitReordering)
#include "TestUnitReordering.moc"
