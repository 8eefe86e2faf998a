// The issue-15 layer families, forward against naive double-precision loops written from Keras'
// definitions, and backward against finite differences (GradientCheck.h): UpSampling1D/2D
// (nearest, bilinear = tf.image.resize half-pixel centres), Cropping1D/2D, Conv2DTranspose
// (valid / same, strides, output_padding, dilation; dense and block-circulant), Rescaling,
// Normalization (invert, scalar statistics), Multiply / Subtract / Average / Maximum, Permute,
// RepeatVector.

#include <QTest>

#include <algorithm>
#include <cmath>
#include <functional>

#include "GradientCheck.h"
#include "NnTestUtil.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "model/ShapeInference.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

namespace {

void compare(const Tensor& got, const std::vector<double>& want, double tol, const std::string& context)
{
    QCOMPARE(static_cast<std::size_t>(got.size()), want.size());
    const std::vector<float> w(want.begin(), want.end());
    CIRCNN_COMPARE_VECTORS(got.data(), w.data(), w.size(), tol, context);
}

LayerSpec kindLayer(LayerKind kind)
{
    LayerSpec l;
    l.kind = kind;
    return l;
}

// A single-layer model Input(shape) → layer; returns its forward on x.
Tensor runOne(const Shape& shape, LayerSpec l, const Tensor& x)
{
    SpecBuilder b(shape);
    b.add(std::move(l));
    const Model m(b.done());
    return m.forward(x);
}

// Naive bilinear / nearest weight of source index `src` for output index `o` (tf.image.resize,
// half-pixel centres), written directly from the formula.
double resizeWeight(std::int64_t o, std::int64_t src, std::int64_t in, std::int64_t f, bool bilinear)
{
    if (!bilinear)
        return o / f == src ? 1.0 : 0.0;
    const double s = (o + 0.5) / double(f) - 0.5;
    const double fl = std::floor(s), frac = s - fl;
    double w = 0;
    if (std::clamp<std::int64_t>(std::int64_t(fl), 0, in - 1) == src)
        w += 1.0 - frac;
    if (std::clamp<std::int64_t>(std::int64_t(fl) + 1, 0, in - 1) == src)
        w += frac;
    return w;
}

// Naive Conv2DTranspose: scatter with Keras' output size and TensorFlow's padding split.
std::vector<double> transposeRef(const Tensor& x, const LayerSpec& l, const Tensor& kernel, Shape& ys)
{
    const std::int64_t b = x.dim(0), h = x.dim(1), w = x.dim(2), cin = x.dim(3), cout = l.units;
    auto outLen = [](std::int64_t n, std::int64_t k, std::int64_t s, std::int64_t d, Padding p, std::int64_t op) {
        // op -1: output_padding None
        const std::int64_t span = (k - 1) * d + 1;
        if (op < 0)
            return p == Padding::Same ? n * s : n * s + std::max<std::int64_t>(span - s, 0);
        return (n - 1) * s + span - 2 * (p == Padding::Same ? span / 2 : 0) + op;
    };
    const std::int64_t opH = l.outputPadding ? l.outputPadding->first : -1;
    const std::int64_t opW = l.outputPadding ? l.outputPadding->second : -1;
    const std::int64_t oh = outLen(h, l.kernelH, l.strideH, l.dilationH, l.padding, opH);
    const std::int64_t ow = outLen(w, l.kernelW, l.strideW, l.dilationW, l.padding, opW);
    const std::int64_t spanH = (l.kernelH - 1) * l.dilationH + 1, spanW = (l.kernelW - 1) * l.dilationW + 1;
    const std::int64_t pt =
        l.padding == Padding::Same ? std::max<std::int64_t>((h - 1) * l.strideH + spanH - oh, 0) / 2 : 0;
    const std::int64_t pl =
        l.padding == Padding::Same ? std::max<std::int64_t>((w - 1) * l.strideW + spanW - ow, 0) / 2 : 0;
    ys = {b, oh, ow, cout};
    std::vector<double> y(static_cast<std::size_t>(b * oh * ow * cout));
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t i = 0; i < oh; ++i)
            for (std::int64_t j = 0; j < ow; ++j)
                for (std::int64_t o = 0; o < cout; ++o)
                    y[static_cast<std::size_t>(((n * oh + i) * ow + j) * cout + o)] = l.useBias ? l.bias[o] : 0.0;
    for (std::int64_t n = 0; n < b; ++n)
        for (std::int64_t i = 0; i < h; ++i)
            for (std::int64_t j = 0; j < w; ++j)
                for (std::int64_t r = 0; r < l.kernelH; ++r)
                    for (std::int64_t s = 0; s < l.kernelW; ++s) {
                        const std::int64_t oi = i * l.strideH - pt + r * l.dilationH;
                        const std::int64_t oj = j * l.strideW - pl + s * l.dilationW;
                        if (oi < 0 || oi >= oh || oj < 0 || oj >= ow)
                            continue;
                        for (std::int64_t o = 0; o < cout; ++o) {
                            double acc = 0;
                            for (std::int64_t c = 0; c < cin; ++c)
                                acc += double(x[((n * h + i) * w + j) * cin + c]) *
                                       kernel[((r * l.kernelW + s) * cout + o) * cin + c];
                            y[static_cast<std::size_t>(((n * oh + oi) * ow + oj) * cout + o)] += acc;
                        }
                    }
    return y;
}

LayerSpec transposeLayer(std::int64_t cin, std::int64_t filters, std::int64_t kh, std::int64_t kw, std::int64_t stride,
                         Padding pad, std::uint32_t seed)
{
    LayerSpec l = kindLayer(LayerKind::Conv2DTranspose);
    l.units = filters;
    l.kernelH = kh;
    l.kernelW = kw;
    l.strideH = l.strideW = stride;
    l.padding = pad;
    l.kernel = randomTensor({kh, kw, filters, cin}, seed, -0.5f, 0.5f);
    l.bias = randomTensor({filters}, seed + 1, -0.2f, 0.2f);
    return l;
}

// Block-circulant Conv2DTranspose with random defining vectors (kh, kw, p, q, k).
void makeCirculantTranspose(LayerSpec& l, std::int64_t cin, std::int64_t k, std::uint32_t seed)
{
    CirculantWeights c;
    c.k = k;
    c.rows = l.units;
    c.cols = cin;
    c.vectors = randomTensor({l.kernelH, l.kernelW, (l.units + k - 1) / k, (cin + k - 1) / k, k}, seed, -0.5f, 0.5f);
    l.circulant = std::move(c);
    l.kernel = Tensor();
}

// The dense (kh, kw, C_out, C_in) kernel of a block-circulant Conv2DTranspose, by naive expansion.
Tensor expandTranspose(const LayerSpec& l)
{
    const CirculantWeights& c = *l.circulant;
    const std::int64_t per = ((c.rows + c.k - 1) / c.k) * ((c.cols + c.k - 1) / c.k) * c.k;
    Tensor kernel({l.kernelH, l.kernelW, c.rows, c.cols});
    for (std::int64_t t = 0; t < l.kernelH * l.kernelW; ++t) {
        const std::vector<double> w = test::naiveExpand(c.vectors.data() + t * per, c.rows, c.cols, c.k);
        for (std::int64_t i = 0; i < c.rows * c.cols; ++i)
            kernel[t * c.rows * c.cols + i] = static_cast<float>(w[static_cast<std::size_t>(i)]);
    }
    return kernel;
}

using GradCase = test::GradientCase;
using GradMaker = std::function<GradCase()>;

GradCase spatialNet(std::int64_t h, std::int64_t w, std::int64_t c, const std::function<void(SpecBuilder&)>& middle)
{
    return test::spatialGradientNet(h, w, c, middle);
}

} // namespace

Q_DECLARE_METATYPE(GradMaker)
Q_DECLARE_METATYPE(circnn::Padding)

class TestVisionLayers : public QObject {
    Q_OBJECT
private slots:
    void upSampling2D_data()
    {
        QTest::addColumn<int>("fh");
        QTest::addColumn<int>("fw");
        QTest::addColumn<bool>("bilinear");
        QTest::newRow("nearest 2x3") << 2 << 3 << false;
        QTest::newRow("bilinear 2x2") << 2 << 2 << true;
        QTest::newRow("bilinear 3x1") << 3 << 1 << true;
        QTest::newRow("bilinear 4x3") << 4 << 3 << true;
    }

    void upSampling2D()
    {
        QFETCH(int, fh);
        QFETCH(int, fw);
        QFETCH(bool, bilinear);
        const std::int64_t b = 2, h = 4, w = 5, c = 3;
        const Tensor x = randomTensor({b, h, w, c}, 3);
        LayerSpec l = kindLayer(LayerKind::UpSampling2D);
        l.kernelH = fh;
        l.kernelW = fw;
        l.bilinear = bilinear;
        const Tensor y = runOne({h, w, c}, l, x);
        QCOMPARE(y.shape(), (Shape{b, h * fh, w * fw, c}));
        std::vector<double> want(static_cast<std::size_t>(y.size()), 0.0);
        for (std::int64_t n = 0; n < b; ++n)
            for (std::int64_t i = 0; i < h * fh; ++i)
                for (std::int64_t j = 0; j < w * fw; ++j)
                    for (std::int64_t ch = 0; ch < c; ++ch) {
                        double acc = 0;
                        for (std::int64_t si = 0; si < h; ++si)
                            for (std::int64_t sj = 0; sj < w; ++sj)
                                acc += resizeWeight(i, si, h, fh, bilinear) * resizeWeight(j, sj, w, fw, bilinear) *
                                       x[((n * h + si) * w + sj) * c + ch];
                        want[static_cast<std::size_t>(((n * h * fh + i) * w * fw + j) * c + ch)] = acc;
                    }
        compare(y, want, 1e-5, "upsampling");
    }

    void bilinearKnownValues()
    {
        // A 1 x 2 row [0, 1] up-sampled 2x along W: half-pixel centres give 0, 0.25, 0.75, 1
        // (tf.image.resize(..., 'bilinear') on [[0, 1]] to width 4).
        LayerSpec l = kindLayer(LayerKind::UpSampling2D);
        l.kernelH = 1;
        l.kernelW = 2;
        l.bilinear = true;
        const Tensor y = runOne({1, 2, 1}, l, Tensor({1, 1, 2, 1}, {0.0f, 1.0f}));
        const float want[] = {0.0f, 0.25f, 0.75f, 1.0f};
        CIRCNN_COMPARE_VECTORS(y.data(), want, 4, 1e-6, "bilinear row");
    }

    void upSampling1DAndCropping()
    {
        const Tensor x = randomTensor({2, 5, 3}, 4);
        LayerSpec up = kindLayer(LayerKind::UpSampling1D);
        up.kernelW = 3;
        const Tensor y = runOne({5, 3}, up, x);
        QCOMPARE(y.shape(), (Shape{2, 15, 3}));
        for (std::int64_t n = 0; n < 2; ++n)
            for (std::int64_t i = 0; i < 15; ++i)
                for (std::int64_t c = 0; c < 3; ++c)
                    QCOMPARE(y[(n * 15 + i) * 3 + c], x[(n * 5 + i / 3) * 3 + c]);
        LayerSpec crop = kindLayer(LayerKind::Cropping1D);
        crop.padLeft = 1;
        crop.padRight = 2;
        const Tensor z = runOne({5, 3}, crop, x);
        QCOMPARE(z.shape(), (Shape{2, 2, 3}));
        for (std::int64_t n = 0; n < 2; ++n)
            for (std::int64_t i = 0; i < 2; ++i)
                for (std::int64_t c = 0; c < 3; ++c)
                    QCOMPARE(z[(n * 2 + i) * 3 + c], x[(n * 5 + i + 1) * 3 + c]);
        const Tensor x2 = randomTensor({2, 6, 7, 2}, 5);
        LayerSpec crop2 = kindLayer(LayerKind::Cropping2D);
        crop2.padTop = 2;
        crop2.padBottom = 1;
        crop2.padLeft = 0;
        crop2.padRight = 3;
        const Tensor z2 = runOne({6, 7, 2}, crop2, x2);
        QCOMPARE(z2.shape(), (Shape{2, 3, 4, 2}));
        for (std::int64_t n = 0; n < 2; ++n)
            for (std::int64_t i = 0; i < 3; ++i)
                for (std::int64_t j = 0; j < 4; ++j)
                    for (std::int64_t c = 0; c < 2; ++c)
                        QCOMPARE(z2[((n * 3 + i) * 4 + j) * 2 + c], x2[((n * 6 + i + 2) * 7 + j) * 2 + c]);
    }

    void conv2DTranspose_data()
    {
        QTest::addColumn<int>("kh");
        QTest::addColumn<int>("kw");
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("dil");
        QTest::addColumn<Padding>("pad");
        QTest::addColumn<int>("outPad");
        QTest::addColumn<int>("k"); // block size, 0: dense
        QTest::newRow("3x3 same s2") << 3 << 3 << 2 << 1 << Padding::Same << -1 << 0;
        QTest::newRow("3x3 valid s2") << 3 << 3 << 2 << 1 << Padding::Valid << -1 << 0;
        QTest::newRow("2x3 valid s1 dilation 2") << 2 << 3 << 1 << 2 << Padding::Valid << -1 << 0;
        QTest::newRow("3x3 same s2 output_padding 1") << 3 << 3 << 2 << 1 << Padding::Same << 1 << 0;
        QTest::newRow("2x2 valid s3 output_padding 2") << 2 << 2 << 3 << 1 << Padding::Valid << 2 << 0;
        QTest::newRow("4x4 same s2 (even kernel)") << 4 << 4 << 2 << 1 << Padding::Same << -1 << 0;
        QTest::newRow("circulant k2 3x3 same s2") << 3 << 3 << 2 << 1 << Padding::Same << -1 << 2;
        QTest::newRow("circulant k4 2x2 valid s2") << 2 << 2 << 2 << 1 << Padding::Valid << -1 << 4;
    }

    void conv2DTranspose()
    {
        QFETCH(int, kh);
        QFETCH(int, kw);
        QFETCH(int, stride);
        QFETCH(int, dil);
        QFETCH(Padding, pad);
        QFETCH(int, outPad);
        QFETCH(int, k);
        const std::int64_t h = 4, w = 5, cin = 6, cout = 5;
        LayerSpec l = transposeLayer(cin, cout, kh, kw, stride, pad, 11);
        l.dilationH = l.dilationW = dil;
        if (outPad >= 0)
            l.outputPadding = std::pair{std::int64_t(outPad), std::int64_t(outPad)};
        l.activation = ActivationKind::Linear;
        if (k > 0)
            makeCirculantTranspose(l, cin, k, 12);
        const Tensor kernel = k > 0 ? expandTranspose(l) : l.kernel;
        const Tensor x = randomTensor({2, h, w, cin}, 13);
        Shape ys;
        const std::vector<double> want = transposeRef(x, l, kernel, ys);
        const Tensor y = runOne({h, w, cin}, l, x);
        QCOMPARE(y.shape(), ys);
        compare(y, want, 1e-4, "conv2d transpose");
    }

    void preprocessing()
    {
        const Tensor x = randomTensor({3, 4, 3}, 21, -2.0f, 2.0f);
        LayerSpec r = kindLayer(LayerKind::Rescaling);
        r.rescaleScale = 1.0f / 255.0f;
        r.rescaleOffset = -0.5f;
        const Tensor y = runOne({4, 3}, r, x);
        for (std::int64_t i = 0; i < x.size(); ++i)
            QVERIFY(std::abs(y[i] - (x[i] / 255.0 - 0.5)) < 1e-6);
        for (bool invert : {false, true}) {
            LayerSpec nl = kindLayer(LayerKind::Normalization);
            nl.invert = invert;
            nl.movingMean = Tensor({3}, {0.5f, -1.0f, 2.0f});
            nl.movingVariance = Tensor({3}, {4.0f, 0.25f, 0.0f}); // 0: the 1e-7 floor of Keras
            const Tensor z = runOne({4, 3}, nl, x);
            for (std::int64_t i = 0; i < x.size(); ++i) {
                const double mean = nl.movingMean[i % 3];
                const double s = std::max(std::sqrt(double(nl.movingVariance[i % 3])), 1e-7);
                const double want = invert ? mean + x[i] * s : (x[i] - mean) / s;
                QVERIFY2(std::abs(z[i] - want) <= 1e-5 * std::max(1.0, std::abs(want)),
                         qPrintable(QString("element %1: %2 vs %3").arg(i).arg(z[i]).arg(want)));
            }
        }
        LayerSpec scalar = kindLayer(LayerKind::Normalization); // one statistic for every channel
        scalar.statsInConfig = true;
        scalar.movingMean = Tensor({1}, {3.0f});
        scalar.movingVariance = Tensor({1}, {2.0f});
        const Tensor z = runOne({4, 3}, scalar, x);
        for (std::int64_t i = 0; i < x.size(); ++i)
            QVERIFY(std::abs(z[i] - (x[i] - 3.0) / std::sqrt(2.0)) < 1e-5);
    }

    void mergesPermuteRepeat()
    {
        SpecBuilder b({4, 3});
        b.dense(3, 3, ActivationKind::Tanh).name = "a";
        b.dense(3, 3, ActivationKind::Linear, {"input"}).name = "b";
        LayerSpec mul = kindLayer(LayerKind::Multiply);
        mul.name = "mul";
        b.add(mul, {"a", "b", "input"});
        LayerSpec sub = kindLayer(LayerKind::Subtract);
        sub.name = "sub";
        b.add(sub, {"a", "b"});
        LayerSpec avg = kindLayer(LayerKind::Average);
        avg.name = "avg";
        b.add(avg, {"mul", "sub", "b"});
        LayerSpec mx = kindLayer(LayerKind::Maximum);
        mx.name = "max";
        b.add(mx, {"avg", "input"});
        LayerSpec perm = kindLayer(LayerKind::Permute);
        perm.name = "perm";
        perm.permuteDims = {2, 1};
        b.add(perm);
        b.simple(LayerKind::Flatten);
        LayerSpec rep = kindLayer(LayerKind::RepeatVector);
        rep.name = "rep";
        rep.repeats = 2;
        b.add(rep);
        ModelSpec spec = b.done();
        const Model m(spec);
        const Tensor x = randomTensor({2, 4, 3}, 31);
        const Tensor y = m.forward(x);
        QCOMPARE(y.shape(), (Shape{2, 2, 12}));
        // Naive: the same graph in double.
        const LayerSpec& la = *spec.find("a");
        const LayerSpec& lb = *spec.find("b");
        for (std::int64_t n = 0; n < 2; ++n)
            for (std::int64_t i = 0; i < 4; ++i)
                for (std::int64_t o = 0; o < 3; ++o) {
                    double za = la.bias[o], zb = lb.bias[o];
                    for (std::int64_t c = 0; c < 3; ++c) {
                        za += double(x[(n * 4 + i) * 3 + c]) * la.kernel[c * 3 + o];
                        zb += double(x[(n * 4 + i) * 3 + c]) * lb.kernel[c * 3 + o];
                    }
                    za = std::tanh(za);
                    const double xi = x[(n * 4 + i) * 3 + o];
                    const double v = std::max((za * zb * xi + (za - zb) + zb) / 3.0, xi);
                    // Permute (2, 1): (4, 3) → (3, 4); Flatten; RepeatVector 2.
                    for (std::int64_t r = 0; r < 2; ++r)
                        QVERIFY(std::abs(y[(n * 2 + r) * 12 + o * 4 + i] - v) < 1e-5);
                }
    }

    void gradients_data()
    {
        QTest::addColumn<GradMaker>("make");
        QTest::newRow("upsampling 2d bilinear + cropping 2d") << GradMaker([] {
            return spatialNet(3, 4, 2, [](SpecBuilder& b) {
                LayerSpec up = kindLayer(LayerKind::UpSampling2D);
                up.kernelH = 2;
                up.kernelW = 3;
                up.bilinear = true;
                b.add(up);
                LayerSpec crop = kindLayer(LayerKind::Cropping2D);
                crop.padTop = 1;
                crop.padRight = 2;
                b.add(crop);
            });
        });
        QTest::newRow("upsampling 2d nearest") << GradMaker([] {
            return spatialNet(3, 3, 2, [](SpecBuilder& b) {
                LayerSpec up = kindLayer(LayerKind::UpSampling2D);
                up.kernelH = 2;
                up.kernelW = 2;
                b.add(up);
            });
        });
        for (int k : {0, 2, 3})
            QTest::newRow(k ? qPrintable(QString("conv2d transpose circulant k%1").arg(k))
                            : "conv2d transpose dense same s2 relu")
                << GradMaker([k] {
                       return spatialNet(3, 4, 4, [k](SpecBuilder& b) {
                           LayerSpec l = transposeLayer(4, 5, 3, 3, 2, Padding::Same, 41);
                           l.activation = k == 0 ? ActivationKind::Tanh : ActivationKind::Sigmoid;
                           if (k > 0)
                               makeCirculantTranspose(l, 4, k, 42);
                           b.add(l);
                       });
                   });
        QTest::newRow("conv2d transpose valid output_padding dilation") << GradMaker([] {
            return spatialNet(3, 3, 2, [](SpecBuilder& b) {
                LayerSpec l = transposeLayer(2, 3, 2, 3, 1, Padding::Valid, 43);
                l.dilationH = 2;
                b.add(l);
                LayerSpec l2 = transposeLayer(3, 2, 2, 2, 2, Padding::Valid, 44);
                l2.outputPadding = std::pair{std::int64_t(1), std::int64_t(0)};
                b.add(l2);
            });
        });
        QTest::newRow("rescaling + normalization + merges + permute + repeat") << GradMaker([] {
            SpecBuilder b({4, 3});
            b.dense(3, 3, ActivationKind::Tanh).name = "pre";
            LayerSpec r = kindLayer(LayerKind::Rescaling);
            r.rescaleScale = 0.7f;
            r.rescaleOffset = 0.2f;
            b.add(r).name = "rescale";
            LayerSpec nl = kindLayer(LayerKind::Normalization);
            nl.movingMean = Tensor({3}, {0.1f, -0.2f, 0.3f});
            nl.movingVariance = Tensor({3}, {0.5f, 2.0f, 1.5f});
            b.add(nl).name = "norm";
            b.dense(3, 3, ActivationKind::Sigmoid, {"norm"}).name = "a";
            b.dense(3, 3, ActivationKind::Linear, {"norm"}).name = "b";
            LayerSpec mul = kindLayer(LayerKind::Multiply);
            b.add(mul, {"a", "b", "pre"}).name = "mul";
            LayerSpec sub = kindLayer(LayerKind::Subtract);
            b.add(sub, {"mul", "b"}).name = "sub";
            LayerSpec avg = kindLayer(LayerKind::Average);
            b.add(avg, {"sub", "a"}).name = "avg";
            LayerSpec mx = kindLayer(LayerKind::Maximum);
            b.add(mx, {"avg", "b"}).name = "max";
            LayerSpec perm = kindLayer(LayerKind::Permute);
            perm.permuteDims = {2, 1};
            b.add(perm).name = "perm";
            b.dense(4, 2).name = "mid";
            b.simple(LayerKind::Flatten);
            LayerSpec rep = kindLayer(LayerKind::RepeatVector);
            rep.repeats = 3;
            b.add(rep).name = "rep";
            b.dense(6, 2).name = "post";
            return GradCase{b.done(), {4, 3}};
        });
        QTest::newRow("conv1d block-circulant k2 causal") << GradMaker([] {
            SpecBuilder b({7, 4});
            b.dense(4, 4, ActivationKind::Tanh).name = "pre";
            LayerSpec c = kindLayer(LayerKind::Conv1D);
            c.units = 6;
            c.kernelW = 3;
            c.padding = Padding::Causal;
            c.activation = ActivationKind::Elu;
            CirculantWeights w;
            w.k = 2;
            w.rows = 6;
            w.cols = 4;
            w.vectors = randomTensor({1, 3, 3, 2, 2}, 51, -0.5f, 0.5f);
            c.circulant = w;
            c.bias = randomTensor({6}, 52, -0.2f, 0.2f);
            b.add(c);
            b.simple(LayerKind::Flatten);
            b.dense(42, 2).name = "post";
            return GradCase{b.done(), {7, 4}};
        });
        QTest::newRow("upsampling 1d + cropping 1d") << GradMaker([] {
            SpecBuilder b({5, 2});
            b.dense(2, 3, ActivationKind::Tanh).name = "pre";
            LayerSpec up = kindLayer(LayerKind::UpSampling1D);
            up.kernelW = 2;
            b.add(up);
            LayerSpec crop = kindLayer(LayerKind::Cropping1D);
            crop.padLeft = 3;
            crop.padRight = 1;
            b.add(crop);
            b.simple(LayerKind::Flatten);
            b.dense(18, 2).name = "post";
            return GradCase{b.done(), {5, 2}};
        });
    }

    void gradients()
    {
        QFETCH(GradMaker, make);
        const GradCase c = make();
        test::checkGradients(c.spec, c.input);
    }

    void shapeErrors()
    {
        // Bad configurations fail shape inference with the layer named, never at run time.
        SpecBuilder b({4, 4, 2});
        LayerSpec crop = kindLayer(LayerKind::Cropping2D);
        crop.name = "too_much";
        crop.padTop = 3;
        crop.padBottom = 1;
        b.add(crop);
        ModelSpec s = b.done();
        try {
            inferShapes(s);
            QFAIL("expected a ShapeError");
        } catch (const ShapeError& e) {
            QVERIFY2(std::string(e.what()).find("too_much") != std::string::npos, e.what());
        }
        SpecBuilder p({4, 3});
        LayerSpec perm = kindLayer(LayerKind::Permute);
        perm.permuteDims = {1, 1};
        p.add(perm);
        ModelSpec ps = p.done();
        QVERIFY_THROWS_EXCEPTION(ShapeError, inferShapes(ps));
        SpecBuilder t({3, 3, 2});
        LayerSpec tr = transposeLayer(2, 2, 3, 3, 2, Padding::Same, 5);
        tr.outputPadding = std::pair{std::int64_t(2), std::int64_t(0)}; // must be < stride
        t.add(tr);
        ModelSpec ts = t.done();
        QVERIFY_THROWS_EXCEPTION(ShapeError, inferShapes(ts));
    }
};

QTEST_APPLESS_MAIN(TestVisionLayers)
#include "TestVisionLayers.moc"
