// Hardware-model costs of the issue-15 layers against counts derived by hand from their
// definitions (docs/hardware-model.md): Conv2DTranspose dense and block-circulant, up-sampling
// (nearest free, bilinear 3 lerps), merges, preprocessing; and a whole conv autoencoder estimated
// on every built-in platform.

#include <QTest>

#include <cmath>

#include "hw/Estimator.h"
#include "hw/PlatformRegistry.h"
#include "model/ShapeInference.h"

using namespace circnn;
using namespace circnn::hw;

namespace {

LayerSpec make(const std::string& name, LayerKind kind, std::vector<std::string> inputs)
{
    LayerSpec l;
    l.name = name;
    l.kind = kind;
    l.inputs = std::move(inputs);
    return l;
}

// Input(6, 5, 8) → Conv2DTranspose 3x3 s2 same, 12 filters → UpSampling2D 2x2 (bilinear or not)
// → Rescaling → Multiply / Average / Maximum / Subtract with itself.
ModelSpec autoencoder(bool bilinear)
{
    ModelSpec m;
    m.name = "ae";
    LayerSpec in = make("in", LayerKind::Input, {});
    in.inputShape = {6, 5, 8};
    LayerSpec t = make("t", LayerKind::Conv2DTranspose, {"in"});
    t.units = 12;
    t.kernelH = t.kernelW = 3;
    t.strideH = t.strideW = 2;
    t.padding = Padding::Same;
    t.activation = ActivationKind::Relu;
    LayerSpec up = make("up", LayerKind::UpSampling2D, {"t"});
    up.kernelH = up.kernelW = 2;
    up.bilinear = bilinear;
    LayerSpec r = make("r", LayerKind::Rescaling, {"up"});
    LayerSpec mul = make("mul", LayerKind::Multiply, {"r", "up", "up"});
    LayerSpec avg = make("avg", LayerKind::Average, {"mul", "r"});
    LayerSpec mx = make("max", LayerKind::Maximum, {"avg", "r"});
    LayerSpec sub = make("sub", LayerKind::Subtract, {"max", "r"});
    m.layers = {in, t, up, r, mul, avg, mx, sub};
    m.inputs = {"in"};
    m.outputs = {"sub"};
    inferShapes(m, /*checkWeights=*/false);
    return m;
}

} // namespace

class TestVisionCosts : public QObject {
    Q_OBJECT
private slots:
    void transposedConvolution()
    {
        const ModelSpec m = autoencoder(false);
        const LayerSpec& t = *m.find("t");
        QCOMPARE(t.outputShape, (Shape{12, 10, 12}));
        const double u = 6 * 5, v = 12 * 10, taps = 9, n = 8, mm = 12;
        const OpCounts dense = layerOps(m, t, 1);
        QCOMPARE(dense.realMacs, u * taps * n * mm);
        QCOMPARE(dense.denseEquivalentMacs, u * taps * n * mm);
        QCOMPARE(dense.mults, u * taps * n * mm);             // relu is a compare
        QCOMPARE(dense.adds, u * taps * n * mm + 2 * v * mm); // + bias + relu per output element
        QCOMPARE(layerWeightCount(m, t, 1), taps * n * mm + mm);
        const std::int64_t k = 4;
        const OpCounts bc = layerOps(m, t, k);
        const double p = 3, q = 2, bins = 3, butterflies = (u * q + v * p) * (k / 4.0) * std::log2(k);
        QCOMPARE(bc.fftButterflies, butterflies);
        QCOMPARE(bc.complexMacs, u * taps * p * q * bins);
        QCOMPARE(bc.denseEquivalentMacs, dense.denseEquivalentMacs);
        QCOMPARE(layerWeightCount(m, t, k), taps * p * q * k + mm);
    }

    void resizeMergesAndScaling()
    {
        for (bool bilinear : {false, true}) {
            const ModelSpec m = autoencoder(bilinear);
            const double e = 24 * 20 * 12; // up-sampled elements
            const OpCounts up = layerOps(m, *m.find("up"), 1);
            QCOMPARE(up.mults, bilinear ? 3 * e : 0.0);
            QCOMPARE(up.adds, bilinear ? 6 * e : 0.0);
            const OpCounts r = layerOps(m, *m.find("r"), 1);
            QCOMPARE(r.mults, e);
            QCOMPARE(r.adds, e);
            QCOMPARE(layerWeightCount(m, *m.find("r"), 1), 2.0);
            QCOMPARE(layerOps(m, *m.find("mul"), 1).mults, 2 * e);
            QCOMPARE(layerOps(m, *m.find("mul"), 1).adds, 0.0);
            QCOMPARE(layerOps(m, *m.find("avg"), 1).adds, e);
            QCOMPARE(layerOps(m, *m.find("avg"), 1).mults, e);
            QCOMPARE(layerOps(m, *m.find("max"), 1).adds, e);
            QCOMPARE(layerOps(m, *m.find("sub"), 1).adds, e);
        }
    }

    void everyPlatformEstimates()
    {
        const ModelSpec m = autoencoder(true);
        for (const Platform& p : builtinPlatforms()) {
            const Estimate est = estimateModel(m, p, EstimateOptions{});
            QVERIFY2(est.dense.latencyS > 0 && std::isfinite(est.dense.latencyS), p.name.c_str());
            QVERIFY2(est.dense.energy.totalPj() > 0, p.name.c_str());
            QCOMPARE(est.dense.layers.size(), m.layers.size());
        }
    }
};

QTEST_APPLESS_MAIN(TestVisionCosts)
#include "TestVisionCosts.moc"
