// Every layer's inference against an independent naive reference (direct loops, double
// accumulation) on seeded random data, and block-circulant Dense/Conv2D against dense layers
// with the (naively) expanded kernel.

#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>

#include "NnTestUtil.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

Q_DECLARE_METATYPE(circnn::ActivationKind)
Q_DECLARE_METATYPE(circnn::Padding)
Q_DECLARE_METATYPE(circnn::LayerKind)

namespace {

double actRef(ActivationKind kind, double alpha, double x)
{
    switch (kind) {
    case ActivationKind::Linear: return x;
    case ActivationKind::Relu: return x > 0 ? x : 0;
    case ActivationKind::Relu6: return std::min(std::max(x, 0.0), 6.0);
    case ActivationKind::LeakyRelu: return x >= 0 ? x : (alpha ? alpha : 0.3) * x;
    case ActivationKind::Sigmoid: return 1 / (1 + std::exp(-x));
    case ActivationKind::HardSigmoid: return std::min(std::max(x + 3, 0.0), 6.0) / 6;
    case ActivationKind::HardSigmoidKeras2: return std::min(std::max(0.2 * x + 0.5, 0.0), 1.0);
    case ActivationKind::Tanh: return std::tanh(x);
    case ActivationKind::Elu: return x > 0 ? x : (alpha ? alpha : 1.0) * (std::exp(x) - 1);
    case ActivationKind::Selu: return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (std::exp(x) - 1));
    case ActivationKind::Swish: return x / (1 + std::exp(-x));
    case ActivationKind::Gelu: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case ActivationKind::Softmax: break;
    }
    return NAN;
}

// Applies the activation to rows of `last` values (softmax per row).
void actRefRows(ActivationKind kind, double alpha, std::vector<double>& v, std::int64_t last)
{
    if (kind != ActivationKind::Softmax) {
        for (double& x : v)
            x = actRef(kind, alpha, x);
        return;
    }
    for (std::size_t r = 0; r < v.size(); r += static_cast<std::size_t>(last)) {
        double mx = -INFINITY, sum = 0;
        for (std::int64_t i = 0; i < last; ++i)
            mx = std::max(mx, v[r + i]);
        for (std::int64_t i = 0; i < last; ++i)
            sum += std::exp(v[r + i] - mx);
        for (std::int64_t i = 0; i < last; ++i)
            v[r + i] = std::exp(v[r + i] - mx) / sum;
    }
}

std::vector<float> toFloat(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

void compare(const Tensor& got, const std::vector<double>& want, double tol, const std::string& context)
{
    QCOMPARE(static_cast<std::size_t>(got.size()), want.size());
    const std::vector<float> w = toFloat(want);
    CIRCNN_COMPARE_VECTORS(got.data(), w.data(), w.size(), tol, context);
}

// Naive Keras Conv2D over NHWC; kernel (kh, kw, cin, cout).
std::vector<double> convRef(const Tensor& x, const LayerSpec& l, const Tensor& kernel)
{
    const std::int64_t b = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3), f = l.units;
    const auto outSize = [&](std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t d) {
        return l.padding == Padding::Same ? (in + s - 1) / s : (in - d * (k - 1) - 1) / s + 1;
    };
    const std::int64_t oh = outSize(h, l.kernelH, l.strideH, l.dilationH);
    const std::int64_t ow = outSize(w, l.kernelW, l.strideW, l.dilationW);
    std::int64_t pt = 0, pl = 0;
    if (l.padding == Padding::Same) {
        pt = std::max<std::int64_t>((oh - 1) * l.strideH + (l.kernelH - 1) * l.dilationH + 1 - h, 0) / 2;
        pl = std::max<std::int64_t>((ow - 1) * l.strideW + (l.kernelW - 1) * l.dilationW + 1 - w, 0) / 2;
    }
    std::vector<double> y(static_cast<std::size_t>(b * oh * ow * f));
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t oi = 0; oi < oh; ++oi)
            for (std::int64_t oj = 0; oj < ow; ++oj)
                for (std::int64_t o = 0; o < f; ++o) {
                    double acc = l.useBias ? l.bias[o] : 0.0;
                    for (std::int64_t r = 0; r < l.kernelH; ++r)
                        for (std::int64_t s = 0; s < l.kernelW; ++s) {
                            const std::int64_t i = oi * l.strideH - pt + r * l.dilationH;
                            const std::int64_t j = oj * l.strideW - pl + s * l.dilationW;
                            if (i < 0 || i >= h || j < 0 || j >= w)
                                continue;
                            for (std::int64_t ch = 0; ch < c; ++ch)
                                acc += double(x[((n * h + i) * w + j) * c + ch]) *
                                       kernel[((r * l.kernelW + s) * c + ch) * f + o];
                        }
                    y[static_cast<std::size_t>(((n * oh + oi) * ow + oj) * f + o)] = acc;
                }
    actRefRows(l.activation, l.activationAlpha.value_or(0.0f), y, f);
    return y;
}

} // namespace

class TestLayers : public QObject {
    Q_OBJECT
private slots:
    void dense_data()
    {
        QTest::addColumn<int>("in");
        QTest::addColumn<int>("units");
        QTest::addColumn<int>("rows");  // 0: input (batch, in); else (batch, rows, in)
        QTest::addColumn<ActivationKind>("act");
        QTest::newRow("7x5 linear") << 7 << 5 << 0 << ActivationKind::Linear;
        QTest::newRow("33x17 relu") << 33 << 17 << 0 << ActivationKind::Relu;
        QTest::newRow("16x10 softmax") << 16 << 10 << 0 << ActivationKind::Softmax;
        QTest::newRow("rank3 9x4 tanh") << 9 << 4 << 3 << ActivationKind::Tanh;
    }
    void dense()
    {
        QFETCH(int, in);
        QFETCH(int, units);
        QFETCH(int, rows);
        QFETCH(ActivationKind, act);
        const Shape inShape = rows ? Shape{rows, in} : Shape{in};
        SpecBuilder b(inShape);
        b.dense(in, units, act);
        const ModelSpec spec = b.done();
        const LayerSpec& l = spec.layers[1];
        const Model model(spec);
        const std::int64_t batch = 37; // > one inference chunk, not a multiple of it
        Shape xs = inShape;
        xs.insert(xs.begin(), batch);
        const Tensor x = randomTensor(xs, 11);
        const std::int64_t r = x.size() / in;
        std::vector<double> want(static_cast<std::size_t>(r * units));
        for (std::int64_t i = 0; i < r; ++i)
            for (std::int64_t o = 0; o < units; ++o) {
                double acc = l.bias[o];
                for (std::int64_t k = 0; k < in; ++k)
                    acc += double(x[i * in + k]) * l.kernel[k * units + o];
                want[static_cast<std::size_t>(i * units + o)] = acc;
            }
        actRefRows(act, 0, want, units);
        compare(model.forward(x), want, 1e-5, "dense");
    }

    void conv2d_data()
    {
        QTest::addColumn<int>("h");
        QTest::addColumn<int>("w");
        QTest::addColumn<int>("c");
        QTest::addColumn<int>("f");
        QTest::addColumn<int>("kh");
        QTest::addColumn<int>("kw");
        QTest::addColumn<int>("sh");
        QTest::addColumn<int>("sw");
        QTest::addColumn<int>("dil");
        QTest::addColumn<Padding>("pad");
        QTest::newRow("3x3 valid") << 8 << 7 << 3 << 4 << 3 << 3 << 1 << 1 << 1 << Padding::Valid;
        QTest::newRow("3x3 same") << 8 << 7 << 3 << 4 << 3 << 3 << 1 << 1 << 1 << Padding::Same;
        QTest::newRow("2x2 same odd") << 7 << 9 << 2 << 5 << 2 << 2 << 1 << 1 << 1 << Padding::Same;
        QTest::newRow("stride 2 same") << 9 << 8 << 3 << 6 << 3 << 3 << 2 << 2 << 1 << Padding::Same;
        QTest::newRow("stride 2x3 valid") << 11 << 10 << 2 << 3 << 3 << 2 << 2 << 3 << 1 << Padding::Valid;
        QTest::newRow("dilation 2 same") << 9 << 9 << 2 << 3 << 3 << 3 << 1 << 1 << 2 << Padding::Same;
        QTest::newRow("dilation 2 valid") << 9 << 10 << 2 << 3 << 3 << 2 << 1 << 1 << 2 << Padding::Valid;
        QTest::newRow("1x1") << 5 << 5 << 7 << 5 << 1 << 1 << 1 << 1 << 1 << Padding::Valid;
        QTest::newRow("5x5 stride 3 same") << 10 << 11 << 1 << 2 << 5 << 5 << 3 << 3 << 1 << Padding::Same;
    }
    void conv2d()
    {
        QFETCH(int, h);
        QFETCH(int, w);
        QFETCH(int, c);
        QFETCH(int, f);
        QFETCH(int, kh);
        QFETCH(int, kw);
        QFETCH(int, sh);
        QFETCH(int, sw);
        QFETCH(int, dil);
        QFETCH(Padding, pad);
        SpecBuilder b({h, w, c});
        LayerSpec& l = b.conv(c, f, kh, kw, ActivationKind::Relu);
        l.strideH = sh;
        l.strideW = sw;
        l.dilationH = l.dilationW = dil;
        l.padding = pad;
        const ModelSpec spec = b.done();
        const Model model(spec);
        const Tensor x = randomTensor({5, h, w, c}, 21);
        compare(model.forward(x), convRef(x, spec.layers[1], spec.layers[1].kernel), 1e-5, "conv2d");
    }

    void pooling_data()
    {
        QTest::addColumn<LayerKind>("kind");
        QTest::addColumn<int>("h");
        QTest::addColumn<int>("w");
        QTest::addColumn<int>("pool");
        QTest::addColumn<int>("stride");
        QTest::addColumn<Padding>("pad");
        for (LayerKind k : {LayerKind::MaxPooling2D, LayerKind::AveragePooling2D}) {
            const std::string n = k == LayerKind::MaxPooling2D ? "max " : "avg ";
            QTest::newRow((n + "2x2 valid even").c_str()) << k << 8 << 6 << 2 << 2 << Padding::Valid;
            QTest::newRow((n + "2x2 valid odd").c_str()) << k << 7 << 9 << 2 << 2 << Padding::Valid;
            QTest::newRow((n + "2x2 same odd").c_str()) << k << 7 << 9 << 2 << 2 << Padding::Same;
            QTest::newRow((n + "3x3 stride 2 same").c_str()) << k << 8 << 7 << 3 << 2 << Padding::Same;
            QTest::newRow((n + "3x3 stride 1 same").c_str()) << k << 5 << 6 << 3 << 1 << Padding::Same;
            QTest::newRow((n + "3x3 stride 2 valid").c_str()) << k << 9 << 8 << 3 << 2 << Padding::Valid;
        }
    }
    void pooling()
    {
        QFETCH(LayerKind, kind);
        QFETCH(int, h);
        QFETCH(int, w);
        QFETCH(int, pool);
        QFETCH(int, stride);
        QFETCH(Padding, pad);
        const int c = 3;
        SpecBuilder b({h, w, c});
        LayerSpec& l = b.simple(kind);
        l.kernelH = l.kernelW = pool;
        l.strideH = l.strideW = stride;
        l.padding = pad;
        const Model model(b.done());
        const Tensor x = randomTensor({3, h, w, c}, 31);
        const std::int64_t oh = pad == Padding::Same ? (h + stride - 1) / stride : (h - pool) / stride + 1;
        const std::int64_t ow = pad == Padding::Same ? (w + stride - 1) / stride : (w - pool) / stride + 1;
        const std::int64_t pt = pad == Padding::Same ? std::max<std::int64_t>((oh - 1) * stride + pool - h, 0) / 2 : 0;
        const std::int64_t pl = pad == Padding::Same ? std::max<std::int64_t>((ow - 1) * stride + pool - w, 0) / 2 : 0;
        std::vector<double> want;
        for (std::int64_t n = 0; n < 3; ++n)
            for (std::int64_t oi = 0; oi < oh; ++oi)
                for (std::int64_t oj = 0; oj < ow; ++oj)
                    for (std::int64_t ch = 0; ch < c; ++ch) {
                        double mx = -INFINITY, sum = 0;
                        int count = 0;
                        for (std::int64_t r = 0; r < pool; ++r)
                            for (std::int64_t s = 0; s < pool; ++s) {
                                const std::int64_t i = oi * stride - pt + r, j = oj * stride - pl + s;
                                if (i < 0 || i >= h || j < 0 || j >= w)
                                    continue;
                                const double v = x[((n * h + i) * w + j) * c + ch];
                                mx = std::max(mx, v);
                                sum += v;
                                ++count;
                            }
                        want.push_back(kind == LayerKind::MaxPooling2D ? mx : sum / count);
                    }
        const Tensor y = model.forward(x);
        QCOMPARE(y.shape(), (Shape{3, oh, ow, c}));
        compare(y, want, 1e-6, "pooling");
    }

    void globalPooling_data()
    {
        QTest::addColumn<LayerKind>("kind");
        QTest::newRow("avg") << LayerKind::GlobalAveragePooling2D;
        QTest::newRow("max") << LayerKind::GlobalMaxPooling2D;
    }
    void globalPooling()
    {
        QFETCH(LayerKind, kind);
        const int h = 5, w = 3, c = 4;
        SpecBuilder b({h, w, c});
        b.simple(kind);
        const Model model(b.done());
        const Tensor x = randomTensor({2, h, w, c}, 41);
        std::vector<double> want;
        for (int n = 0; n < 2; ++n)
            for (int ch = 0; ch < c; ++ch) {
                double mx = -INFINITY, sum = 0;
                for (int p = 0; p < h * w; ++p) {
                    mx = std::max(mx, double(x[(n * h * w + p) * c + ch]));
                    sum += x[(n * h * w + p) * c + ch];
                }
                want.push_back(kind == LayerKind::GlobalMaxPooling2D ? mx : sum / (h * w));
            }
        compare(model.forward(x), want, 1e-6, "global pooling");
    }

    void activations_data()
    {
        QTest::addColumn<ActivationKind>("act");
        QTest::addColumn<float>("alpha");
        for (ActivationKind a : {ActivationKind::Linear, ActivationKind::Relu, ActivationKind::Relu6,
                                 ActivationKind::LeakyRelu, ActivationKind::Sigmoid, ActivationKind::HardSigmoid, ActivationKind::HardSigmoidKeras2,
                                 ActivationKind::Tanh, ActivationKind::Softmax, ActivationKind::Elu,
                                 ActivationKind::Selu, ActivationKind::Swish, ActivationKind::Gelu})
            QTest::newRow(activationName(a)) << a << 0.0f;
        QTest::newRow("leaky_relu alpha 0.1") << ActivationKind::LeakyRelu << 0.1f;
        QTest::newRow("elu alpha 0.5") << ActivationKind::Elu << 0.5f;
    }
    void activations()
    {
        QFETCH(ActivationKind, act);
        QFETCH(float, alpha);
        SpecBuilder b({4, 9});
        LayerSpec& l = b.simple(LayerKind::Activation);
        l.activation = act;
        if (alpha != 0.0f)
            l.activationAlpha = alpha;
        const Model model(b.done());
        const Tensor x = randomTensor({6, 4, 9}, 51, -8.0f, 8.0f); // covers relu6 / hard_sigmoid saturation
        std::vector<double> want(x.data(), x.data() + x.size());
        actRefRows(act, alpha, want, 9);
        compare(model.forward(x), want, 2e-6, activationName(act));
    }

    void batchNorm_data()
    {
        QTest::addColumn<bool>("scale");
        QTest::addColumn<bool>("center");
        QTest::newRow("gamma+beta") << true << true;
        QTest::newRow("no gamma") << false << true;
        QTest::newRow("no beta") << true << false;
    }
    void batchNorm()
    {
        QFETCH(bool, scale);
        QFETCH(bool, center);
        const int c = 5;
        SpecBuilder b({3, 2, c});
        LayerSpec& l = b.simple(LayerKind::BatchNormalization);
        l.epsilon = 1e-3f;
        l.movingMean = randomTensor({c}, 61);
        l.movingVariance = randomTensor({c}, 62, 0.1f, 2.0f);
        l.scale = scale;
        l.center = center;
        if (scale)
            l.gamma = randomTensor({c}, 63, 0.5f, 1.5f);
        if (center)
            l.beta = randomTensor({c}, 64);
        const ModelSpec spec = b.done();
        const LayerSpec& s = spec.layers[1];
        const Model model(spec);
        const Tensor x = randomTensor({4, 3, 2, c}, 65);
        std::vector<double> want;
        for (std::int64_t i = 0; i < x.size(); ++i) {
            const std::int64_t ch = i % c;
            const double g = scale ? s.gamma[ch] : 1.0, be = center ? s.beta[ch] : 0.0;
            want.push_back(g * (x[i] - s.movingMean[ch]) / std::sqrt(double(s.movingVariance[ch]) + 1e-3) + be);
        }
        compare(model.forward(x), want, 1e-5, "batchnorm");
    }

    void shapeLayers()
    {
        // ZeroPadding2D → Flatten → Reshape → Dropout: checks values and NHWC flatten order.
        const int h = 3, w = 2, c = 2;
        SpecBuilder b({h, w, c});
        LayerSpec& zp = b.simple(LayerKind::ZeroPadding2D);
        zp.padTop = 1;
        zp.padBottom = 2;
        zp.padLeft = 0;
        zp.padRight = 1;
        b.simple(LayerKind::Flatten);
        LayerSpec& rs = b.simple(LayerKind::Reshape);
        rs.targetShape = {-1, 6};
        LayerSpec& dr = b.simple(LayerKind::Dropout);
        dr.rate = 0.5f;
        const Model model(b.done());
        const Tensor x = randomTensor({2, h, w, c}, 71);
        const int ph = h + 3, pw = w + 1;
        std::vector<double> want;
        for (int n = 0; n < 2; ++n)
            for (int i = 0; i < ph; ++i)
                for (int j = 0; j < pw; ++j)
                    for (int ch = 0; ch < c; ++ch) {
                        const int si = i - 1, sj = j;
                        want.push_back(si >= 0 && si < h && sj < w ? x[((n * h + si) * w + sj) * c + ch] : 0.0);
                    }
        const Tensor y = model.forward(x);
        QCOMPARE(y.shape(), (Shape{2, ph * pw * c / 6, 6}));
        compare(y, want, 0, "zero padding + flatten");
    }

    void addConcatenate_data()
    {
        QTest::addColumn<int>("axis");
        QTest::newRow("axis -1") << -1;
        QTest::newRow("axis 1") << 1;
        QTest::newRow("axis 2") << 2;
    }
    void addConcatenate()
    {
        QFETCH(int, axis);
        SpecBuilder b({3, 4});
        b.dense(4, 4, ActivationKind::Linear, {"input"}).name = "a";
        b.dense(4, 4, ActivationKind::Tanh, {"input"}).name = "b";
        b.simple(LayerKind::Add, {"a", "b", "input"}).name = "sum";
        LayerSpec& cat = b.simple(LayerKind::Concatenate, {"sum", "a"});
        cat.axis = axis;
        const ModelSpec spec = b.done();
        const Model model(spec);
        const Tensor x = randomTensor({2, 3, 4}, 81);
        auto denseRef = [&](const LayerSpec& l) {
            std::vector<double> y(static_cast<std::size_t>(x.size()));
            for (int r = 0; r < 6; ++r)
                for (int o = 0; o < 4; ++o) {
                    double acc = l.bias[o];
                    for (int i = 0; i < 4; ++i)
                        acc += double(x[r * 4 + i]) * l.kernel[i * 4 + o];
                    y[r * 4 + o] = l.activation == ActivationKind::Tanh ? std::tanh(acc) : acc;
                }
            return y;
        };
        const std::vector<double> a = denseRef(*spec.find("a")), bb = denseRef(*spec.find("b"));
        std::vector<double> sumW(a.size());
        for (std::size_t i = 0; i < a.size(); ++i)
            sumW[i] = a[i] + bb[i] + x[static_cast<std::int64_t>(i)];
        const std::vector<double>& sum = sumW;
        // Concatenate sum and a (each (2, 3, 4)) along the Keras axis.
        std::vector<double> want;
        const int ax = axis < 0 ? 2 : axis; // batch-first axis index
        for (int n = 0; n < 2; ++n) {
            if (ax == 1) {
                for (const std::vector<double>* src : {&sum, &a})
                    for (int r = 0; r < 3; ++r)
                        for (int i = 0; i < 4; ++i)
                            want.push_back((*src)[(n * 3 + r) * 4 + i]);
            } else {
                for (int r = 0; r < 3; ++r)
                    for (const std::vector<double>* src : {&sum, &a})
                        for (int i = 0; i < 4; ++i)
                            want.push_back((*src)[(n * 3 + r) * 4 + i]);
            }
        }
        const Tensor y = model.forward(x);
        QCOMPARE(y.shape(), ax == 1 ? (Shape{2, 6, 4}) : (Shape{2, 3, 8}));
        compare(y, want, 1e-5, "add + concatenate");
    }

    void circulantDense_data()
    {
        QTest::addColumn<int>("in");
        QTest::addColumn<int>("units");
        QTest::addColumn<int>("k");
        QTest::newRow("16x8 k4") << 16 << 8 << 4;
        QTest::newRow("13x10 k4 (not dividing)") << 13 << 10 << 4;
        QTest::newRow("20x7 k3") << 20 << 7 << 3;
        QTest::newRow("64x32 k16") << 64 << 32 << 16;
        QTest::newRow("9x9 k1") << 9 << 9 << 1;
    }
    void circulantDense()
    {
        QFETCH(int, in);
        QFETCH(int, units);
        QFETCH(int, k);
        SpecBuilder b({in});
        LayerSpec& l = b.dense(in, units, ActivationKind::Relu);
        test::makeCirculant(l, in, k, 91);
        const ModelSpec circ = b.done();
        ModelSpec dense = circ;
        dense.layers[1].kernel = test::naiveKernel(circ.layers[1]);
        dense.layers[1].circulant.reset();
        const Tensor x = randomTensor({40, in}, 92);
        const Tensor yc = Model(circ).forward(x), yd = Model(dense).forward(x);
        CIRCNN_COMPARE_VECTORS(yc.data(), yd.data(), static_cast<std::size_t>(yd.size()), 1e-5, "circulant dense");
    }

    void circulantConv_data()
    {
        QTest::addColumn<int>("c");
        QTest::addColumn<int>("f");
        QTest::addColumn<int>("k");
        QTest::addColumn<Padding>("pad");
        QTest::addColumn<int>("stride");
        QTest::newRow("8->8 k4 same") << 8 << 8 << 4 << Padding::Same << 1;
        QTest::newRow("6->10 k4 valid (not dividing)") << 6 << 10 << 4 << Padding::Valid << 1;
        QTest::newRow("7->5 k3 same stride 2") << 7 << 5 << 3 << Padding::Same << 2;
        QTest::newRow("16->8 k8 valid") << 16 << 8 << 8 << Padding::Valid << 1;
    }
    void circulantConv()
    {
        QFETCH(int, c);
        QFETCH(int, f);
        QFETCH(int, k);
        QFETCH(Padding, pad);
        QFETCH(int, stride);
        SpecBuilder b({7, 6, c});
        LayerSpec& l = b.conv(c, f, 3, 2, ActivationKind::Linear);
        l.padding = pad;
        l.strideH = l.strideW = stride;
        test::makeCirculant(l, c, k, 101);
        const ModelSpec circ = b.done();
        ModelSpec dense = circ;
        dense.layers[1].kernel = test::naiveKernel(circ.layers[1]);
        dense.layers[1].circulant.reset();
        const Tensor x = randomTensor({3, 7, 6, c}, 102);
        const Tensor yc = Model(circ).forward(x);
        compare(yc, convRef(x, dense.layers[1], dense.layers[1].kernel), 1e-5, "circulant conv vs naive");
    }

    // The block-circulant Conv2D transforms each input pixel once and gathers the spectra of its
    // im2col rows ("im2col in the frequency domain"; 'same' padding gives zero spectra). Held
    // against the naive dense convolution with the expanded kernel for every block size the
    // matrix may meet (k = 1 takes the direct kernel), C_in not a multiple of k, strides,
    // dilation, both paddings, one and several images (and several im2col groups); forwardTrain
    // gives bit-identical outputs, and its weight gradient (from the gathered spectra) equals the
    // dense kernel gradient folded onto the defining vectors.
    void circulantConvGathered_data()
    {
        QTest::addColumn<int>("h");
        QTest::addColumn<int>("w");
        QTest::addColumn<int>("k");
        QTest::addColumn<int>("kh");
        QTest::addColumn<int>("kw");
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("dil");
        QTest::addColumn<Padding>("pad");
        QTest::addColumn<int>("batch");
        for (int k : {1, 2, 3, 4, 5, 8, 16})
            for (int batch : {1, 3}) {
                const std::string kb = " k" + std::to_string(k) + " b" + std::to_string(batch);
                QTest::newRow(("3x3 same" + kb).c_str()) << 7 << 6 << k << 3 << 3 << 1 << 1 << Padding::Same << batch;
                QTest::newRow(("3x3 valid" + kb).c_str()) << 7 << 6 << k << 3 << 3 << 1 << 1 << Padding::Valid << batch;
                QTest::newRow(("3x3 stride 2 same" + kb).c_str())
                    << 9 << 8 << k << 3 << 3 << 2 << 1 << Padding::Same << batch;
                QTest::newRow(("3x2 stride 2 valid" + kb).c_str())
                    << 9 << 8 << k << 3 << 2 << 2 << 1 << Padding::Valid << batch;
                QTest::newRow(("3x3 dilation 2 same" + kb).c_str())
                    << 8 << 9 << k << 3 << 3 << 1 << 2 << Padding::Same << batch;
                QTest::newRow(("2x3 dilation 2 valid" + kb).c_str())
                    << 8 << 9 << k << 2 << 3 << 1 << 2 << Padding::Valid << batch;
                QTest::newRow(("1x1 stride 2" + kb).c_str()) << 6 << 5 << k << 1 << 1 << 2 << 1 << Padding::Same << batch;
            }
        // 70×70 'same': 4900 positions per image, so 2 images are 2 im2col groups (8192 rows each).
        QTest::newRow("two im2col groups k4") << 70 << 70 << 4 << 3 << 3 << 1 << 1 << Padding::Same << 2;
    }
    void circulantConvGathered()
    {
        QFETCH(int, h);
        QFETCH(int, w);
        QFETCH(int, k);
        QFETCH(int, kh);
        QFETCH(int, kw);
        QFETCH(int, stride);
        QFETCH(int, dil);
        QFETCH(Padding, pad);
        QFETCH(int, batch);
        const int c = k == 1 ? 3 : 2 * k - 1; // C_in not a multiple of k (k >= 2)
        const int f = k + 2;
        SpecBuilder b({h, w, c});
        LayerSpec& l = b.conv(c, f, kh, kw, ActivationKind::Linear);
        l.padding = pad;
        l.strideH = l.strideW = stride;
        l.dilationH = l.dilationW = dil;
        test::makeCirculant(l, c, k, 201 + k);
        const ModelSpec circ = b.done();
        ModelSpec dense = circ;
        dense.layers[1].kernel = test::naiveKernel(circ.layers[1]);
        dense.layers[1].circulant.reset();
        const Tensor x = randomTensor({batch, h, w, c}, 202);
        const Model mc(circ), md(dense);
        const Tensor yc = mc.forward(x);
        compare(yc, convRef(x, dense.layers[1], dense.layers[1].kernel), 1e-5, "gathered circulant conv vs naive");

        ForwardCache cc, cd;
        std::mt19937 rng(1);
        const Tensor ycTrain = mc.forwardTrain(x, cc, rng, true);
        QCOMPARE(ycTrain.shape(), yc.shape());
        QVERIFY(std::equal(yc.data(), yc.data() + yc.size(), ycTrain.data()));
        md.forwardTrain(x, cd, rng, true);
        const Tensor r = randomTensor(yc.shape(), 203);
        std::vector<Tensor> gc, gd;
        mc.backward(cc, r, gc);
        md.backward(cd, r, gd);
        // Fold dL/dK (kh, kw, C_in, C_out) onto the defining vectors (kh, kw, p, q, k).
        const std::int64_t taps = kh * kw, p = (f + k - 1) / k, q = (c + k - 1) / k;
        std::vector<double> folded(static_cast<std::size_t>(taps * p * q * k), 0.0);
        for (std::int64_t t = 0; t < taps; ++t)
            for (std::int64_t ch = 0; ch < c; ++ch)
                for (std::int64_t o = 0; o < f; ++o)
                    folded[static_cast<std::size_t>(((t * p + o / k) * q + ch / k) * k + ((o % k) - (ch % k) + k) % k)] +=
                        gd[0][(t * c + ch) * f + o];
        QCOMPARE(gc[0].size(), static_cast<std::int64_t>(folded.size()));
        compare(gc[0], folded, 1e-4, "circulant conv weight gradient vs folded dense");
        CIRCNN_COMPARE_VECTORS(gc[1].data(), gd[1].data(), static_cast<std::size_t>(gd[1].size()), 1e-5, "bias gradient");
    }

    void badWeights_data()
    {
        QTest::addColumn<float>("value");
        QTest::newRow("NaN") << std::numeric_limits<float>::quiet_NaN();
        QTest::newRow("Inf") << std::numeric_limits<float>::infinity();
    }
    void badWeights()
    {
        QFETCH(float, value);
        SpecBuilder b({4});
        b.dense(4, 3).name = "fc_bad";
        ModelSpec spec = b.done();
        spec.layers[1].kernel[5] = value;
        try {
            Model m(spec);
            QFAIL("expected an Error");
        } catch (const Error& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("fc_bad") != std::string::npos, msg.c_str());
            QVERIFY2(msg.find("kernel") != std::string::npos, msg.c_str());
        }
    }

    void badInputShape()
    {
        SpecBuilder b({4});
        b.dense(4, 3);
        const Model m(b.done());
        QVERIFY_THROWS_EXCEPTION(ShapeError, m.forward(Tensor({2, 5})));
    }
};

QTEST_APPLESS_MAIN(TestLayers)
#include "TestLayers.moc"
