// The layer families added for MobileNet-style and 1-D models, each against a naive loop in
// double precision written from Keras' definitions: DepthwiseConv2D (depth multiplier, strides,
// dilation, valid / same padding) and SeparableConv2D (split on reading into DepthwiseConv2D +
// 1x1 Conv2D: the split model must compute the separable convolution).

#include <QTest>

#include <algorithm>

#include "NnTestUtil.h"
#include "TestSupport.h"
#include "io/KerasConfig.h"
#include "model/ShapeInference.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

Q_DECLARE_METATYPE(circnn::Padding)

namespace {

// TensorFlow's split of 'same' padding: the leading side gets the smaller half.
std::int64_t samePadBefore(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s, std::int64_t d)
{
    return std::max<std::int64_t>((out - 1) * s + (k - 1) * d + 1 - in, 0) / 2;
}

std::int64_t outSize(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t d, Padding p)
{
    return p == Padding::Same ? (in + s - 1) / s : (in - d * (k - 1) - 1) / s + 1;
}

// Naive depthwise convolution (NHWC): y[n, i, j, c·M + m] = b + Σ_rs x[n, i', j', c] · K[r, s, c, m].
std::vector<double> depthwiseRef(const std::vector<double>& x, const Shape& xs, const LayerSpec& l,
                                 const Tensor& kernel, const Tensor& bias, Shape& ys)
{
    const std::int64_t b = xs[0], h = xs[1], w = xs[2], c = xs[3], mult = l.depthMultiplier;
    const std::int64_t oh = outSize(h, l.kernelH, l.strideH, l.dilationH, l.padding);
    const std::int64_t ow = outSize(w, l.kernelW, l.strideW, l.dilationW, l.padding);
    const std::int64_t pt = l.padding == Padding::Same ? samePadBefore(h, oh, l.kernelH, l.strideH, l.dilationH) : 0;
    const std::int64_t pl = l.padding == Padding::Same ? samePadBefore(w, ow, l.kernelW, l.strideW, l.dilationW) : 0;
    ys = {b, oh, ow, c * mult};
    std::vector<double> y(static_cast<std::size_t>(shapeSize(ys)));
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t oi = 0; oi < oh; ++oi)
            for (std::int64_t oj = 0; oj < ow; ++oj)
                for (std::int64_t ch = 0; ch < c; ++ch)
                    for (std::int64_t m = 0; m < mult; ++m) {
                        double acc = bias.empty() ? 0.0 : bias[ch * mult + m];
                        for (std::int64_t r = 0; r < l.kernelH; ++r)
                            for (std::int64_t s = 0; s < l.kernelW; ++s) {
                                const std::int64_t i = oi * l.strideH - pt + r * l.dilationH;
                                const std::int64_t j = oj * l.strideW - pl + s * l.dilationW;
                                if (i >= 0 && i < h && j >= 0 && j < w)
                                    acc += x[static_cast<std::size_t>(((n * h + i) * w + j) * c + ch)] *
                                           kernel[((r * l.kernelW + s) * c + ch) * mult + m];
                            }
                        y[static_cast<std::size_t>(((n * oh + oi) * ow + oj) * c * mult + ch * mult + m)] = acc;
                    }
    return y;
}

std::vector<double> toDouble(const Tensor& t)
{
    return std::vector<double>(t.data(), t.data() + t.size());
}

void compare(const Tensor& got, const std::vector<double>& want, double tol, const std::string& context)
{
    QCOMPARE(static_cast<std::size_t>(got.size()), want.size());
    const std::vector<float> w(want.begin(), want.end());
    CIRCNN_COMPARE_VECTORS(got.data(), w.data(), w.size(), tol, context);
}

} // namespace

class TestSpatialLayers : public QObject {
    Q_OBJECT
private slots:
    void depthwise_data()
    {
        QTest::addColumn<int>("h");
        QTest::addColumn<int>("w");
        QTest::addColumn<int>("c");
        QTest::addColumn<int>("mult");
        QTest::addColumn<int>("kh");
        QTest::addColumn<int>("kw");
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("dil");
        QTest::addColumn<Padding>("pad");
        QTest::addColumn<bool>("bias");
        QTest::newRow("3x3 same") << 8 << 7 << 3 << 1 << 3 << 3 << 1 << 1 << Padding::Same << true;
        QTest::newRow("3x3 valid multiplier 2") << 8 << 7 << 3 << 2 << 3 << 3 << 1 << 1 << Padding::Valid << true;
        QTest::newRow("3x3 same stride 2 (MobileNet)")
            << 9 << 8 << 4 << 1 << 3 << 3 << 2 << 1 << Padding::Same << false;
        QTest::newRow("2x3 valid dilation 2 multiplier 3")
            << 9 << 10 << 2 << 3 << 2 << 3 << 1 << 2 << Padding::Valid << true;
        QTest::newRow("5x5 same stride 3") << 10 << 11 << 2 << 1 << 5 << 5 << 3 << 1 << Padding::Same << true;
        QTest::newRow("1x1 multiplier 4") << 4 << 4 << 3 << 4 << 1 << 1 << 1 << 1 << Padding::Valid << true;
    }
    void depthwise()
    {
        QFETCH(int, h);
        QFETCH(int, w);
        QFETCH(int, c);
        QFETCH(int, mult);
        QFETCH(int, kh);
        QFETCH(int, kw);
        QFETCH(int, stride);
        QFETCH(int, dil);
        QFETCH(Padding, pad);
        QFETCH(bool, bias);
        SpecBuilder b({h, w, c});
        LayerSpec& l = b.depthwise(c, kh, kw, mult, ActivationKind::Linear);
        l.strideH = l.strideW = stride;
        l.dilationH = l.dilationW = dil;
        l.padding = pad;
        l.useBias = bias;
        if (!bias)
            l.bias = Tensor();
        ModelSpec spec = b.done();
        inferShapes(spec);
        const Model model(spec);
        const Tensor x = randomTensor({3, h, w, c}, 31);
        Shape ys;
        const LayerSpec& s = spec.layers[1];
        const auto want = depthwiseRef(toDouble(x), x.shape(), s, s.depthwiseKernel, s.bias, ys);
        const Tensor y = model.forward(x);
        QCOMPARE(y.shape(), ys);
        compare(y, want, 1e-5, "depthwise");
        // The stats count every weight and multiply-accumulate once.
        const LayerStats st = layerStats(spec, s);
        QCOMPARE(st.parameters, std::int64_t(kh * kw * c * mult + (bias ? c * mult : 0)));
        QCOMPARE(st.macs, ys[1] * ys[2] * kh * kw * c * mult);
    }

    // A SeparableConv2D as read from Keras: depthwise then pointwise (1x1, C·M → filters) + bias
    // + activation. After the split the model must compute exactly that.
    void separableSplit()
    {
        const std::int64_t h = 7, w = 6, c = 3, mult = 2, filters = 5;
        SpecBuilder b({h, w, c});
        LayerSpec sep;
        sep.kind = LayerKind::SeparableConv2D;
        sep.className = "SeparableConv2D";
        sep.name = "sep";
        sep.kernelH = sep.kernelW = 3;
        sep.strideH = sep.strideW = 2;
        sep.padding = Padding::Same;
        sep.depthMultiplier = mult;
        sep.units = filters;
        sep.activation = ActivationKind::Relu;
        sep.depthwiseKernel = randomTensor({3, 3, c, mult}, 41);
        sep.pointwiseKernel = randomTensor({1, 1, c * mult, filters}, 42);
        sep.bias = randomTensor({filters}, 43);
        b.add(sep);
        ModelSpec spec = b.done();
        keras::splitSeparableConvolutions(spec, "test.h5");
        QCOMPARE(spec.layers.size(), std::size_t(3));
        QCOMPARE(spec.layers[1].name, std::string("sep/depthwise"));
        QCOMPARE(spec.layers[1].kind, LayerKind::DepthwiseConv2D);
        QCOMPARE(spec.layers[2].name, std::string("sep"));
        QCOMPARE(spec.layers[2].kind, LayerKind::Conv2D);
        QCOMPARE(spec.outputs, std::vector<std::string>{"sep"});
        inferShapes(spec);
        const Model model(spec);
        const Tensor x = randomTensor({2, h, w, c}, 44);
        Shape ds;
        LayerSpec dwOnly = sep;
        const auto d = depthwiseRef(toDouble(x), x.shape(), dwOnly, sep.depthwiseKernel, Tensor(), ds);
        std::vector<double> want(static_cast<std::size_t>(ds[0] * ds[1] * ds[2] * filters));
        for (std::int64_t p = 0; p < ds[0] * ds[1] * ds[2]; ++p)
            for (std::int64_t f = 0; f < filters; ++f) {
                double acc = sep.bias[f];
                for (std::int64_t i = 0; i < c * mult; ++i)
                    acc += d[static_cast<std::size_t>(p * c * mult + i)] * sep.pointwiseKernel[i * filters + f];
                want[static_cast<std::size_t>(p * filters + f)] = std::max(acc, 0.0);
            }
        compare(model.forward(x), want, 1e-5, "separable");
    }
};

QTEST_APPLESS_MAIN(TestSpatialLayers)
#include "TestSpatialLayers.moc"
