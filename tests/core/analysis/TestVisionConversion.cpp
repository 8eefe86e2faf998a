// Block-circulant conversion of Conv1D and Conv2DTranspose (per tap, like Conv2D): a kernel that
// is already block-circulant projects onto itself (checks the layouts), the converted model
// computes what the dense model with the naively expanded kernel computes (fast path against the
// slow reference path), and a unit-reordering conversion leaves these kinds to plain projection.

#include <QTest>

#include "../nn/NnTestUtil.h"
#include "TestSupport.h"
#include "analysis/Conversion.h"
#include "model/ShapeInference.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;

namespace {

// Input → [Conv1D 3 taps same (10 x 8) | Conv2DTranspose 3x3 s2 same (4x4x8 → 8x8x12)] → Flatten → Dense 3.
ModelSpec net(LayerKind kind)
{
    const bool oneD = kind == LayerKind::Conv1D;
    test::SpecBuilder b(oneD ? Shape{10, 8} : Shape{4, 4, 8});
    LayerSpec l;
    l.kind = kind;
    l.name = "conv";
    l.units = 12;
    l.kernelH = oneD ? 1 : 3;
    l.kernelW = 3;
    l.strideH = l.strideW = oneD ? 1 : 2;
    l.padding = Padding::Same;
    l.activation = ActivationKind::Tanh;
    l.kernel = oneD ? randomTensor({3, 8, 12}, 3, -0.5f, 0.5f) : randomTensor({3, 3, 12, 8}, 3, -0.5f, 0.5f);
    l.bias = randomTensor({12}, 4, -0.2f, 0.2f);
    b.add(l);
    b.simple(LayerKind::Flatten);
    b.dense(oneD ? 10 * 12 : 8 * 8 * 12, 3).name = "out";
    ModelSpec m = b.done();
    inferShapes(m);
    return m;
}

// Dense kernel (Keras layout of `kind`) of per-tap block-circulant matrices with vectors `v`.
Tensor expandNaive(LayerKind kind, const Tensor& v, std::int64_t taps, std::int64_t rows, std::int64_t cols,
                   std::int64_t k)
{
    const std::int64_t per = ((rows + k - 1) / k) * ((cols + k - 1) / k) * k;
    const bool transposed = kind == LayerKind::Conv2DTranspose;
    Tensor kernel = kind == LayerKind::Conv1D ? Tensor({taps, cols, rows})
                    : transposed              ? Tensor({3, 3, rows, cols})
                                              : Tensor({3, 3, cols, rows});
    for (std::int64_t t = 0; t < taps; ++t) {
        const std::vector<double> w = test::naiveExpand(v.data() + t * per, rows, cols, k);
        for (std::int64_t o = 0; o < rows; ++o)
            for (std::int64_t c = 0; c < cols; ++c)
                kernel[transposed ? (t * rows + o) * cols + c : (t * cols + c) * rows + o] =
                    static_cast<float>(w[static_cast<std::size_t>(o * cols + c)]);
    }
    return kernel;
}

} // namespace

class TestVisionConversion : public QObject {
    Q_OBJECT
private slots:
    void kinds_data()
    {
        QTest::addColumn<int>("kindValue");
        QTest::newRow("Conv1D") << int(LayerKind::Conv1D);
        QTest::newRow("Conv2DTranspose") << int(LayerKind::Conv2DTranspose);
    }

    void kinds()
    {
        QFETCH(int, kindValue);
        const auto kind = static_cast<LayerKind>(kindValue);
        ModelSpec m = net(kind);
        LayerSpec& conv = *m.find("conv");
        const std::int64_t taps = conv.kernelH * conv.kernelW, k = 4;
        // A kernel that is block-circulant per tap already.
        const Tensor v = randomTensor({conv.kernelH, conv.kernelW, 3, 2, k}, 9, -0.5f, 0.5f);
        conv.kernel = expandNaive(kind, v, taps, 12, 8, k);
        ConversionRequest request;
        request.perLayer["conv"] = k;
        for (bool reorder : {false, true}) {
            request.reorderUnits = reorder;
            const ConversionResult r = convertModel(m, request);
            const LayerSpec& c = *r.model.find("conv");
            QVERIFY(c.circulant.has_value());
            QCOMPARE(c.circulant->vectors.shape(), v.shape());
            CIRCNN_COMPARE_VECTORS(c.circulant->vectors.data(), v.data(), std::size_t(v.size()), 1e-5, "vectors");
            QVERIFY(r.layers[0].relativeResidual < 1e-5);
            // Fast path (block-circulant runtime) against the dense model with the expanded kernel.
            const Tensor expanded = expandedKernel(c);
            CIRCNN_COMPARE_VECTORS(expanded.data(), conv.kernel.data(), std::size_t(conv.kernel.size()), 1e-5,
                                   "expandedKernel");
            const Tensor x = randomTensor(kind == LayerKind::Conv1D ? Shape{3, 10, 8} : Shape{3, 4, 4, 8}, 5);
            const Tensor got = Model(r.model).forward(x);
            const Tensor want = Model(m).forward(x);
            CIRCNN_COMPARE_VECTORS(got.data(), want.data(), std::size_t(want.size()), 1e-4, "forward");
        }
        // A random kernel: the projection leaves a residual, the parameter count drops k-fold.
        ModelSpec random = net(kind);
        const ConversionResult r = convertModel(random, request);
        QVERIFY(r.layers[0].converted);
        QVERIFY(r.layers[0].relativeResidual > 0.1);
        QCOMPARE(r.layers[0].parametersAfter, taps * 3 * 2 * k + 12);
    }
};

QTEST_APPLESS_MAIN(TestVisionConversion)
#include "TestVisionConversion.moc"
