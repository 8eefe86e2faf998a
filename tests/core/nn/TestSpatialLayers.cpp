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

// Naive Keras Conv1D over (B, L, C): kernel (k, C, F); causal pads dilation·(k − 1) zeros before.
std::vector<double> conv1DRef(const Tensor& x, const LayerSpec& l, Shape& ys)
{
    const std::int64_t b = x.dim(0), len = x.dim(1), c = x.dim(2), f = l.units, k = l.kernelW;
    const std::int64_t s = l.strideW, d = l.dilationW;
    const std::int64_t out = l.padding == Padding::Valid ? (len - d * (k - 1) - 1) / s + 1 : (len + s - 1) / s;
    const std::int64_t before = l.padding == Padding::Causal ? d * (k - 1)
                                : l.padding == Padding::Same ? samePadBefore(len, out, k, s, d)
                                                             : 0;
    ys = {b, out, f};
    std::vector<double> y(static_cast<std::size_t>(b * out * f));
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t o = 0; o < out; ++o)
            for (std::int64_t fo = 0; fo < f; ++fo) {
                double acc = l.useBias ? l.bias[fo] : 0.0;
                for (std::int64_t t = 0; t < k; ++t) {
                    const std::int64_t i = o * s - before + t * d;
                    if (i >= 0 && i < len)
                        for (std::int64_t ch = 0; ch < c; ++ch)
                            acc += double(x[(n * len + i) * c + ch]) * l.kernel[(t * c + ch) * f + fo];
                }
                y[static_cast<std::size_t>((n * out + o) * f + fo)] = acc;
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

    void conv1D_data()
    {
        QTest::addColumn<int>("k");
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("dil");
        QTest::addColumn<Padding>("pad");
        QTest::newRow("k3 valid") << 3 << 1 << 1 << Padding::Valid;
        QTest::newRow("k3 same") << 3 << 1 << 1 << Padding::Same;
        QTest::newRow("k4 same stride 2") << 4 << 2 << 1 << Padding::Same;
        QTest::newRow("k3 causal") << 3 << 1 << 1 << Padding::Causal;
        QTest::newRow("k2 causal dilation 4") << 2 << 1 << 4 << Padding::Causal;
        QTest::newRow("k3 valid dilation 2") << 3 << 1 << 2 << Padding::Valid;
        QTest::newRow("k5 causal stride 3") << 5 << 3 << 1 << Padding::Causal;
    }
    void conv1D()
    {
        QFETCH(int, k);
        QFETCH(int, stride);
        QFETCH(int, dil);
        QFETCH(Padding, pad);
        const std::int64_t len = 13, c = 3, f = 4;
        SpecBuilder b({len, c});
        LayerSpec l;
        l.kind = LayerKind::Conv1D;
        l.units = f;
        l.kernelW = k;
        l.strideW = stride;
        l.dilationW = dil;
        l.padding = pad;
        l.kernel = randomTensor({k, c, f}, 51);
        l.bias = randomTensor({f}, 52);
        b.add(l);
        ModelSpec spec = b.done();
        inferShapes(spec);
        const Tensor x = randomTensor({2, len, c}, 53);
        Shape ys;
        const auto want = conv1DRef(x, spec.layers[1], ys);
        const Tensor y = Model(spec).forward(x);
        QCOMPARE(y.shape(), ys);
        compare(y, want, 1e-5, "conv1d");
        QCOMPARE(layerStats(spec, spec.layers[1]).macs, ys[1] * k * c * f);
    }

    // 1-D pooling, global pooling and zero padding against direct loops.
    void oneDimensionalShapes()
    {
        const std::int64_t len = 9, c = 2;
        const Tensor x = randomTensor({2, len, c}, 61);
        for (LayerKind kind : {LayerKind::MaxPooling1D, LayerKind::AveragePooling1D}) {
            for (Padding pad : {Padding::Valid, Padding::Same}) {
                SpecBuilder b({len, c});
                LayerSpec& l = b.simple(kind);
                l.kernelW = 3;
                l.strideW = 2;
                l.padding = pad;
                const ModelSpec spec = b.done();
                const Tensor y = Model(spec).forward(x);
                const std::int64_t out = pad == Padding::Valid ? (len - 3) / 2 + 1 : (len + 1) / 2;
                const std::int64_t before = pad == Padding::Same ? samePadBefore(len, out, 3, 2, 1) : 0;
                QCOMPARE(y.shape(), (Shape{2, out, c}));
                std::vector<double> want;
                for (std::int64_t n = 0; n < 2; ++n)
                    for (std::int64_t o = 0; o < out; ++o)
                        for (std::int64_t ch = 0; ch < c; ++ch) {
                            const std::int64_t i0 = std::max<std::int64_t>(o * 2 - before, 0);
                            const std::int64_t i1 = std::min<std::int64_t>(o * 2 - before + 3, len);
                            double m = -1e30, s = 0;
                            for (std::int64_t i = i0; i < i1; ++i) {
                                m = std::max(m, double(x[(n * len + i) * c + ch]));
                                s += x[(n * len + i) * c + ch];
                            }
                            want.push_back(kind == LayerKind::MaxPooling1D ? m : s / double(i1 - i0));
                        }
                compare(y, want, 1e-6, layerKindName(kind));
            }
        }
        for (LayerKind kind : {LayerKind::GlobalMaxPooling1D, LayerKind::GlobalAveragePooling1D}) {
            SpecBuilder b({len, c});
            b.simple(kind);
            const Tensor y = Model(b.done()).forward(x);
            QCOMPARE(y.shape(), (Shape{2, c}));
            std::vector<double> want;
            for (std::int64_t n = 0; n < 2; ++n)
                for (std::int64_t ch = 0; ch < c; ++ch) {
                    double m = -1e30, s = 0;
                    for (std::int64_t i = 0; i < len; ++i) {
                        m = std::max(m, double(x[(n * len + i) * c + ch]));
                        s += x[(n * len + i) * c + ch];
                    }
                    want.push_back(kind == LayerKind::GlobalMaxPooling1D ? m : s / double(len));
                }
            compare(y, want, 1e-6, layerKindName(kind));
        }
        SpecBuilder b({len, c});
        LayerSpec& pad = b.simple(LayerKind::ZeroPadding1D);
        pad.padLeft = 2;
        pad.padRight = 1;
        const Tensor y = Model(b.done()).forward(x);
        QCOMPARE(y.shape(), (Shape{2, len + 3, c}));
        std::vector<double> want;
        for (std::int64_t n = 0; n < 2; ++n)
            for (std::int64_t i = -2; i < len + 1; ++i)
                for (std::int64_t ch = 0; ch < c; ++ch)
                    want.push_back(i < 0 || i >= len ? 0.0 : x[(n * len + i) * c + ch]);
        compare(y, want, 0, "ZeroPadding1D");
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
