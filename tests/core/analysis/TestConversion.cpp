// convertModel / expandedKernel / conversion plans: k = 1 reproduces the model bit for bit, the
// projection equals a naive wrapped-diagonal mean, its residual on random weights is ≈ √(1 − 1/k),
// layers that must stay dense say why, bad requests give clear errors (plan files:
// tests/core/io/TestConversionPlanFile.cpp).

#include <QTest>

#include <cmath>

#include "../nn/NnTestUtil.h"
#include "TestSupport.h"
#include "analysis/Conversion.h"
#include "common/Error.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

namespace {

// conv1 (C_in 3) → conv2 (8 → 12) → flatten → fc1 (… → 20) → fc2 (20 → 10, output, softmax)
ModelSpec smallCnn()
{
    SpecBuilder b({6, 6, 3}, "cnn");
    b.conv(3, 8, 3, 3, ActivationKind::Relu).name = "conv1";
    LayerSpec& c2 = b.conv(8, 12, 3, 3, ActivationKind::Relu);
    c2.name = "conv2";
    c2.padding = Padding::Same;
    b.simple(LayerKind::Flatten);
    b.dense(4 * 4 * 12, 20, ActivationKind::Relu).name = "fc1";
    b.dense(20, 10, ActivationKind::Softmax).name = "fc2";
    return b.done();
}

// Naive Frobenius-optimal projection of the rows×cols matrix w: each defining-vector entry is the
// mean of the wrapped diagonal (r − c) mod k of its block, over entries inside the matrix.
std::vector<double> naiveProject(const std::vector<double>& w, std::int64_t rows, std::int64_t cols, std::int64_t k)
{
    const std::int64_t p = (rows + k - 1) / k, q = (cols + k - 1) / k;
    std::vector<double> v(static_cast<std::size_t>(p * q * k), 0.0);
    for (std::int64_t i = 0; i < p; ++i)
        for (std::int64_t j = 0; j < q; ++j)
            for (std::int64_t d = 0; d < k; ++d) {
                double sum = 0;
                int n = 0;
                for (std::int64_t r = 0; r < k; ++r) {
                    const std::int64_t c = ((r - d) % k + k) % k;
                    const std::int64_t gr = i * k + r, gc = j * k + c;
                    if (gr < rows && gc < cols) {
                        sum += w[static_cast<std::size_t>(gr * cols + gc)];
                        ++n;
                    }
                }
                v[static_cast<std::size_t>((i * q + j) * k + d)] = n ? sum / n : 0.0;
            }
    return v;
}

const LayerConversion& entry(const ConversionResult& r, const std::string& name)
{
    for (const auto& l : r.layers)
        if (l.layer == name)
            return l;
    throw Error("no entry for " + name);
}

} // namespace

class TestConversion : public QObject {
    Q_OBJECT
private slots:
    void blockSizeOneIsBitIdentical()
    {
        const ModelSpec spec = smallCnn();
        ConversionRequest req;
        req.defaultBlockSize = 1;
        req.convertOutputLayer = true;
        const ConversionResult r = convertModel(spec, req);
        QCOMPARE(r.layers.size(), std::size_t(4));
        for (const auto& l : r.layers) {
            QCOMPARE(l.blockSize, std::int64_t(1));
            QVERIFY(!l.converted);
            QCOMPARE(l.parametersAfter, l.parametersBefore);
        }
        const Tensor x = randomTensor({9, 6, 6, 3}, 1);
        const Tensor a = Model(spec).forward(x), b = Model(r.model).forward(x);
        QVERIFY(a == b);
    }

    void projectionMatchesNaive_data()
    {
        QTest::addColumn<int>("k");
        QTest::newRow("k2") << 2;
        QTest::newRow("k3 (not dividing)") << 3;
        QTest::newRow("k4 (not dividing 20/10)") << 4;
        QTest::newRow("k8") << 8;
    }
    void projectionMatchesNaive()
    {
        QFETCH(int, k);
        const ModelSpec spec = smallCnn();
        ConversionRequest req;
        req.defaultBlockSize = k;
        req.convertOutputLayer = true;
        const ConversionResult r = convertModel(spec, req);
        for (const std::string name : {"conv2", "fc1", "fc2"}) {
            const LayerSpec& before = *spec.find(name);
            const LayerSpec& after = *r.model.find(name);
            if (!after.circulant)
                continue;
            QVERIFY2(entry(r, name).converted, name.c_str());
            const std::int64_t rows = after.circulant->rows, cols = after.circulant->cols;
            const std::int64_t taps = before.kind == LayerKind::Conv2D ? before.kernelH * before.kernelW : 1;
            const std::int64_t per = after.circulant->vectors.size() / taps;
            double res2 = 0, norm2 = 0;
            for (std::int64_t t = 0; t < taps; ++t) {
                std::vector<double> w(static_cast<std::size_t>(rows * cols));
                for (std::int64_t c = 0; c < cols; ++c)
                    for (std::int64_t o = 0; o < rows; ++o)
                        w[static_cast<std::size_t>(o * cols + c)] = before.kernel[(t * cols + c) * rows + o];
                const std::vector<double> v = naiveProject(w, rows, cols, k);
                const std::vector<float> fv(v.begin(), v.end());
                CIRCNN_COMPARE_VECTORS(after.circulant->vectors.data() + t * per, fv.data(), fv.size(), 1e-5,
                                       name << " tap " << t);
                const std::vector<double> back = test::naiveExpand(fv.data(), rows, cols, k);
                for (std::size_t i = 0; i < w.size(); ++i) {
                    res2 += (w[i] - back[i]) * (w[i] - back[i]);
                    norm2 += w[i] * w[i];
                }
            }
            QVERIFY(std::abs(entry(r, name).relativeResidual - std::sqrt(res2 / norm2)) < 1e-4);
            // expandedKernel (library path) equals the naive expansion, in Keras layout.
            const Tensor ek = expandedKernel(after), nk = test::naiveKernel(after);
            QCOMPARE(ek.shape(), before.kernel.shape());
            CIRCNN_COMPARE_VECTORS(ek.data(), nk.data(), static_cast<std::size_t>(nk.size()), 1e-6, name);
        }
        // The converted model runs and equals a dense model built from the expanded kernels.
        ModelSpec dense = r.model;
        for (LayerSpec& l : dense.layers)
            if (l.circulant) {
                l.kernel = expandedKernel(l);
                l.circulant.reset();
            }
        const Tensor x = randomTensor({5, 6, 6, 3}, 2);
        const Tensor yc = Model(r.model).forward(x), yd = Model(dense).forward(x);
        CIRCNN_COMPARE_VECTORS(yc.data(), yd.data(), static_cast<std::size_t>(yd.size()), 1e-4, "converted model");
        QVERIFY(r.model.provenance.notes.find("k=" + std::to_string(k)) != std::string::npos);
        QCOMPARE(r.model.plan.perLayer.at("fc1"), std::int64_t(k));
    }

    void residualOfRandomWeights_data()
    {
        QTest::addColumn<int>("k");
        for (int k : {2, 4, 8, 16})
            QTest::newRow(("k" + std::to_string(k)).c_str()) << k;
    }
    void residualOfRandomWeights()
    {
        QFETCH(int, k);
        SpecBuilder b({256});
        b.dense(256, 256).name = "big";
        b.dense(256, 10).name = "out";
        const ConversionResult r = convertModel(b.done(), ConversionRequest{{k, {}, false}});
        const LayerConversion& big = entry(r, "big");
        QVERIFY(big.converted);
        const double expected = std::sqrt(1.0 - 1.0 / k);
        QVERIFY2(std::abs(big.relativeResidual - expected) < 0.02,
                 (std::to_string(big.relativeResidual) + " vs " + std::to_string(expected)).c_str());
        QCOMPARE(big.compression, double(k));
        QCOMPARE(big.parametersBefore, std::int64_t(256 * 256 + 256));
        QCOMPARE(big.parametersAfter, std::int64_t(256 * 256 / k + 256));
    }

    void layersLeftDense()
    {
        const ModelSpec spec = smallCnn();
        const ConversionResult r = convertModel(spec, ConversionRequest{{4, {}, false}});
        QVERIFY(!entry(r, "conv1").converted); // C_in = 3 < 4
        QVERIFY(entry(r, "conv1").reason.find("C_in") != std::string::npos);
        QVERIFY(!entry(r, "fc2").converted); // output layer
        QVERIFY(entry(r, "fc2").reason.find("output") != std::string::npos);
        QVERIFY(entry(r, "conv2").converted);
        QVERIFY(entry(r, "fc1").converted);
        QVERIFY(entry(r, "conv2").reason.empty());
        QVERIFY(!r.model.find("conv1")->circulant);
        QVERIFY(r.model.find("conv1")->kernel == spec.find("conv1")->kernel);
        // A dimension smaller than k: fc2 has 10 outputs.
        const ConversionResult r16 = convertModel(spec, ConversionRequest{{16, {}, true}});
        QVERIFY(!entry(r16, "fc2").converted);
        QVERIFY(entry(r16, "fc2").reason.find("smaller") != std::string::npos);
        // Explicit per-layer sizes override the default and convert the output layer.
        const ConversionResult rx = convertModel(spec, ConversionRequest{{0, {{"fc2", 2}, {"fc1", 1}}, false}});
        QVERIFY(entry(rx, "fc2").converted);
        QVERIFY(!entry(rx, "fc1").converted);
        QVERIFY(!entry(rx, "conv2").converted);
        QCOMPARE(entry(rx, "conv2").reason, std::string("no block size requested"));
        // Output layer behind a separate Activation layer is still recognised.
        SpecBuilder b({16});
        b.dense(16, 16).name = "h";
        b.dense(16, 8).name = "logits";
        b.simple(LayerKind::Activation).activation = ActivationKind::Softmax;
        const ConversionResult ra = convertModel(b.done(), ConversionRequest{{4, {}, false}});
        QVERIFY(entry(ra, "h").converted);
        QVERIFY(!entry(ra, "logits").converted);
    }

    void badRequests()
    {
        const ModelSpec spec = smallCnn();
        QVERIFY(spec.find("Flatten_3") && spec.find("Flatten_3")->kind == LayerKind::Flatten);
        QVERIFY_THROWS_EXCEPTION(Error, convertModel(spec, ConversionRequest{{4, {{"nope", 4}}, false}}));
        QVERIFY_THROWS_EXCEPTION(Error, convertModel(spec, ConversionRequest{{4, {{"Flatten_3", 4}}, false}}));
        QVERIFY_THROWS_EXCEPTION(Error, convertModel(spec, ConversionRequest{{4, {{"fc1", 0}}, false}}));
        QVERIFY_THROWS_EXCEPTION(Error, convertModel(spec, ConversionRequest{{-2, {}, false}}));
        const ConversionResult r = convertModel(spec, ConversionRequest{{4, {}, false}});
        QVERIFY_THROWS_EXCEPTION(Error, convertModel(r.model, ConversionRequest{{8, {}, false}}));
        // Same k again: kept, reported as converted.
        const ConversionResult again = convertModel(r.model, ConversionRequest{{4, {}, false}});
        QVERIFY(entry(again, "fc1").converted);
        try {
            convertModel(spec, ConversionRequest{{4, {{"fc9", 4}}, false}});
            QFAIL("accepted an unknown layer name");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("fc9") != std::string::npos, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestConversion)
#include "TestConversion.moc"
