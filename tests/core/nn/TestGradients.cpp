// Model::backward against central finite differences of a double-precision loss
// L = Σ r ∘ forwardTrain(x) (fixed random r), for every layer type, every fused activation and
// block-circulant Dense / Conv2D with k not dividing the dimensions. Each net is
// Input → pre layer → [layer under test] → post layer, so the gradient of the pre layer's weights
// also checks the input gradient the tested layer propagates.

#include <QTest>

#include <cmath>
#include <functional>

#include "GradientCheck.h"
#include "NnTestUtil.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

namespace {

using Case = test::GradientCase;
using Maker = std::function<Case()>;

// Spatial nets: Input(h, w, c) → Conv2D 1x1 (pre) → layer → Flatten → Dense (post).
Case spatial(std::int64_t h, std::int64_t w, std::int64_t c, const std::function<void(SpecBuilder&)>& middle)
{
    return test::spatialGradientNet(h, w, c, middle);
}

// Vector nets: Input(n) → Dense (pre) → layer → Dense (post).
Case vectorNet(std::int64_t n, const std::function<std::int64_t(SpecBuilder&)>& middle)
{
    SpecBuilder b({n});
    b.dense(n, n, ActivationKind::Tanh).name = "pre";
    const std::int64_t out = middle(b);
    b.dense(out, 3, ActivationKind::Linear).name = "post";
    return {b.done(), {n}};
}

Case denseAct(ActivationKind act)
{
    return vectorNet(6, [act](SpecBuilder& b) {
        b.dense(6, 5, act);
        return std::int64_t(5);
    });
}

} // namespace

Q_DECLARE_METATYPE(Maker)

class TestGradients : public QObject {
    Q_OBJECT
private slots:
    void gradients_data()
    {
        QTest::addColumn<Maker>("make");
        QTest::addColumn<bool>("logits");
        for (ActivationKind a :
             {ActivationKind::Linear, ActivationKind::Relu, ActivationKind::Relu6, ActivationKind::LeakyRelu,
              ActivationKind::Sigmoid, ActivationKind::HardSigmoid, ActivationKind::HardSigmoidKeras2,
              ActivationKind::Tanh, ActivationKind::Softmax, ActivationKind::Elu, ActivationKind::Selu,
              ActivationKind::Swish, ActivationKind::Gelu})
            QTest::newRow((std::string("dense ") + activationName(a)).c_str())
                << Maker([a] { return denseAct(a); }) << false;
        QTest::newRow("dense circulant 7->5 k3") << Maker([] {
            return vectorNet(7, [](SpecBuilder& b) {
                test::makeCirculant(b.dense(7, 5, ActivationKind::Sigmoid), 7, 3, 5);
                return std::int64_t(5);
            });
        }) << false;
        QTest::newRow("dense circulant 6->9 k4") << Maker([] {
            return vectorNet(6, [](SpecBuilder& b) {
                test::makeCirculant(b.dense(6, 9, ActivationKind::Linear), 6, 4, 6);
                return std::int64_t(9);
            });
        }) << false;
        QTest::newRow("depthwise 3x3 same stride 2 multiplier 2") << Maker([] {
            return spatial(6, 5, 3, [](SpecBuilder& b) {
                LayerSpec& l = b.depthwise(3, 3, 3, 2, ActivationKind::Tanh);
                l.strideH = l.strideW = 2;
                l.padding = Padding::Same;
            });
        }) << false;
        QTest::newRow("depthwise 2x3 valid dilation 2 no bias") << Maker([] {
            return spatial(6, 7, 2, [](SpecBuilder& b) {
                LayerSpec& l = b.depthwise(2, 2, 3, 1, ActivationKind::Elu);
                l.dilationH = l.dilationW = 2;
                l.useBias = false;
                l.bias = Tensor();
            });
        }) << false;
        QTest::newRow("conv1d causal dilation 2 + max pooling 1d + global average 1d") << Maker([] {
            SpecBuilder b({9, 2});
            LayerSpec c;
            c.kind = LayerKind::Conv1D;
            c.units = 3;
            c.kernelW = 3;
            c.dilationW = 2;
            c.padding = Padding::Causal;
            c.activation = ActivationKind::Tanh;
            c.kernel = randomTensor({3, 2, 3}, 71, -0.5f, 0.5f);
            c.bias = randomTensor({3}, 72, -0.2f, 0.2f);
            b.add(c).name = "pre";
            LayerSpec& p = b.simple(LayerKind::MaxPooling1D);
            p.kernelW = 2;
            p.strideW = 2;
            p.padding = Padding::Same;
            b.simple(LayerKind::ZeroPadding1D).padLeft = 1;
            LayerSpec c2 = c;
            c2.name = "conv_same_stride";
            c2.kernel = randomTensor({3, 3, 3}, 73, -0.5f, 0.5f);
            c2.padding = Padding::Same;
            c2.dilationW = 1;
            c2.strideW = 2;
            b.add(c2);
            b.simple(LayerKind::GlobalAveragePooling1D);
            b.dense(3, 2, ActivationKind::Linear).name = "post";
            return Case{b.done(), {9, 2}};
        }) << false;
        QTest::newRow("activation layer gelu") << Maker([] {
            return vectorNet(5, [](SpecBuilder& b) {
                b.simple(LayerKind::Activation).activation = ActivationKind::Gelu;
                return std::int64_t(5);
            });
        }) << false;
        QTest::newRow("activation layer softmax") << Maker([] {
            return vectorNet(5, [](SpecBuilder& b) {
                b.simple(LayerKind::Activation).activation = ActivationKind::Softmax;
                return std::int64_t(5);
            });
        }) << false;
        QTest::newRow("dropout") << Maker([] {
            return vectorNet(8, [](SpecBuilder& b) {
                b.simple(LayerKind::Dropout).rate = 0.4f;
                return std::int64_t(8);
            });
        }) << false;
        QTest::newRow("batchnorm") << Maker([] {
            return vectorNet(4, [](SpecBuilder& b) {
                LayerSpec& l = b.simple(LayerKind::BatchNormalization);
                l.movingMean = randomTensor({4}, 3);
                l.movingVariance = randomTensor({4}, 4, 0.2f, 1.5f);
                l.gamma = randomTensor({4}, 5, 0.5f, 1.5f);
                l.beta = randomTensor({4}, 6);
                return std::int64_t(4);
            });
        }) << false;
        QTest::newRow("add + concatenate") << Maker([] {
            SpecBuilder b({5});
            b.dense(5, 4, ActivationKind::Tanh).name = "a";
            b.dense(5, 4, ActivationKind::Sigmoid, {"input"}).name = "b";
            b.simple(LayerKind::Add, {"a", "b"}).name = "sum";
            b.simple(LayerKind::Concatenate, {"sum", "a"}).name = "cat";
            b.dense(8, 3, ActivationKind::Linear).name = "post";
            return Case{b.done(), {5}};
        }) << false;
        QTest::newRow("concatenate along H + batchnorm without gamma") << Maker([] {
            return spatial(4, 3, 2, [](SpecBuilder& b) {
                LayerSpec& c = b.conv(2, 2, 1, 1, ActivationKind::Elu);
                c.name = "side";
                b.simple(LayerKind::Concatenate, {"pre", "side"}).axis = 1;
                LayerSpec& bn = b.simple(LayerKind::BatchNormalization);
                bn.movingMean = randomTensor({2}, 11);
                bn.movingVariance = randomTensor({2}, 12, 0.2f, 1.5f);
                bn.beta = randomTensor({2}, 13);
                bn.scale = false;
            });
        }) << false;
        QTest::newRow("conv 3x3 same stride 2") << Maker([] {
            return spatial(7, 6, 3, [](SpecBuilder& b) {
                LayerSpec& l = b.conv(3, 4, 3, 3, ActivationKind::Tanh);
                l.padding = Padding::Same;
                l.strideH = l.strideW = 2;
            });
        }) << false;
        QTest::newRow("conv 3x2 valid dilation 2") << Maker([] {
            return spatial(7, 6, 2, [](SpecBuilder& b) {
                LayerSpec& l = b.conv(2, 3, 3, 2, ActivationKind::Swish);
                l.dilationH = l.dilationW = 2;
            });
        }) << false;
        QTest::newRow("conv circulant 5->7 k3 same") << Maker([] {
            return spatial(5, 4, 5, [](SpecBuilder& b) {
                LayerSpec& l = b.conv(5, 7, 3, 3, ActivationKind::Linear);
                l.padding = Padding::Same;
                test::makeCirculant(l, 5, 3, 9);
            });
        }) << false;
        QTest::newRow("conv circulant 6->4 k4 valid stride 2") << Maker([] {
            return spatial(6, 7, 6, [](SpecBuilder& b) {
                LayerSpec& l = b.conv(6, 4, 2, 3, ActivationKind::Tanh);
                l.strideH = l.strideW = 2;
                test::makeCirculant(l, 6, 4, 10);
            });
        }) << false;
        for (LayerKind k : {LayerKind::MaxPooling2D, LayerKind::AveragePooling2D})
            for (Padding p : {Padding::Valid, Padding::Same})
                QTest::newRow((std::string(layerKindName(k)) + (p == Padding::Same ? " same" : " valid")).c_str())
                    << Maker([k, p] {
                           return spatial(7, 5, 2, [k, p](SpecBuilder& b) {
                               LayerSpec& l = b.simple(k);
                               l.kernelH = l.kernelW = 3;
                               l.strideH = l.strideW = 2;
                               l.padding = p;
                           });
                       })
                    << false;
        QTest::newRow("global average pooling") << Maker([] {
            return spatial(4, 3, 3, [](SpecBuilder& b) { b.simple(LayerKind::GlobalAveragePooling2D); });
        }) << false;
        QTest::newRow("global max pooling")
            << Maker([] { return spatial(4, 3, 3, [](SpecBuilder& b) { b.simple(LayerKind::GlobalMaxPooling2D); }); })
            << false;
        QTest::newRow("zero padding + reshape") << Maker([] {
            return spatial(3, 4, 2, [](SpecBuilder& b) {
                LayerSpec& z = b.simple(LayerKind::ZeroPadding2D);
                z.padTop = 1;
                z.padRight = 2;
                b.simple(LayerKind::Reshape).targetShape = {-1, 2, 2};
            });
        }) << false;
        QTest::newRow("softmax output as logits") << Maker([] {
            SpecBuilder b({6});
            b.dense(6, 5, ActivationKind::Tanh);
            b.dense(5, 4, ActivationKind::Softmax);
            return Case{b.done(), {6}};
        }) << true;
    }

    void gradients()
    {
        QFETCH(Maker, make);
        QFETCH(bool, logits);
        const Case c = make();
        test::checkGradients(c.spec, c.input, logits);
    }

    void logitsSkipSoftmax()
    {
        SpecBuilder b({6});
        b.dense(6, 4, ActivationKind::Softmax);
        const Model m(b.done());
        const Tensor x = randomTensor({2, 6}, 3);
        ForwardCache cache;
        std::mt19937 rng(1);
        const Tensor logits = m.forwardTrain(x, cache, rng, true);
        const Tensor probs = m.forward(x);
        for (std::int64_t s = 0; s < 2; ++s) {
            double sum = 0, mx = -INFINITY;
            for (int i = 0; i < 4; ++i)
                mx = std::max(mx, double(logits[s * 4 + i]));
            for (int i = 0; i < 4; ++i)
                sum += std::exp(logits[s * 4 + i] - mx);
            for (int i = 0; i < 4; ++i)
                QVERIFY(std::abs(std::exp(logits[s * 4 + i] - mx) / sum - probs[s * 4 + i]) < 1e-6);
        }
    }

    void backwardNeedsForward()
    {
        SpecBuilder b({3});
        b.dense(3, 2);
        const Model m(b.done());
        ForwardCache cache;
        std::vector<Tensor> g;
        QVERIFY_THROWS_EXCEPTION(Error, m.backward(cache, Tensor({1, 2}), g));
    }
};

QTEST_APPLESS_MAIN(TestGradients)
#include "TestGradients.moc"
