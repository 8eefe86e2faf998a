// MultiHeadAttention: forward against a naive double-precision reference (plain loops: the four
// projections from Keras' (d, heads, key_dim) kernels, scores / √key_dim, masked softmax over the
// keys, weighted sum, output projection) for self-attention, cross-attention with a key of its
// own and other lengths, output_shape, no bias, the causal mask, Embedding(mask_zero) padding
// masks, dense and block-circulant projections; Model::backward against central finite
// differences for the same nets; the masked mean of GlobalAveragePooling1D after it; errors
// naming the layer.

#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>

#include "GradientCheck.h"
#include "NnTestUtil.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "nn/Model.h"
#include "nn/training/Trainer.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

namespace {

struct Config {
    std::int64_t heads = 2, keyDim = 3, valueDim = 4, units = 0;
    bool bias = true, causal = false;
    std::int64_t k = 0; // > 0: block-circulant projections at this block size
};

// The layer for query features dq, value features dv, key features dk (weights random).
LayerSpec attention(const Config& c, std::int64_t dq, std::int64_t dv, std::int64_t dk, std::uint32_t seed)
{
    LayerSpec l;
    l.kind = LayerKind::MultiHeadAttention;
    l.name = "mha";
    l.numHeads = c.heads;
    l.keyDim = c.keyDim;
    l.valueDim = c.valueDim;
    l.units = c.units;
    l.useBias = c.bias;
    l.useCausalMask = c.causal;
    const std::int64_t out = c.units > 0 ? c.units : dq;
    const Shape kernels[4] = {
        {dq, c.heads, c.keyDim}, {dk, c.heads, c.keyDim}, {dv, c.heads, c.valueDim}, {c.heads, c.valueDim, out}};
    const Shape biases[4] = {{c.heads, c.keyDim}, {c.heads, c.keyDim}, {c.heads, c.valueDim}, {out}};
    Tensor* k[4] = {&l.queryKernel, &l.keyKernel, &l.valueKernel, &l.outputKernel};
    Tensor* b[4] = {&l.queryBias, &l.keyBias, &l.valueBias, &l.outputBias};
    for (std::size_t i = 0; i < 4; ++i) {
        const std::int64_t in = i == 3 ? c.heads * c.valueDim : kernels[i][0];
        const std::int64_t outs = i == 3 ? out : kernels[i][1] * kernels[i][2];
        if (c.k > 0) {
            CirculantWeights w;
            w.k = c.k;
            w.rows = outs;
            w.cols = in;
            w.vectors = randomTensor({(outs + c.k - 1) / c.k, (in + c.k - 1) / c.k, c.k}, seed++, -0.5f, 0.5f);
            l.attentionCirculant[i] = std::move(w);
        } else {
            *k[i] = randomTensor(kernels[i], seed++, -0.5f, 0.5f);
        }
        if (c.bias)
            *b[i] = randomTensor(biases[i], seed++, -0.3f, 0.3f);
    }
    return l;
}

// Projection i as a dense (in × out) matrix, row-major, in double.
std::vector<double> kernel2d(const LayerSpec& l, std::size_t i, std::int64_t in, std::int64_t out)
{
    std::vector<double> w(static_cast<std::size_t>(in * out));
    if (const auto& c = l.attentionCirculant[i]) {
        const std::vector<double> m = test::naiveExpand(c->vectors.data(), out, in, c->k);
        for (std::int64_t r = 0; r < in; ++r)
            for (std::int64_t o = 0; o < out; ++o)
                w[static_cast<std::size_t>(r * out + o)] = m[static_cast<std::size_t>(o * in + r)];
        return w;
    }
    const Tensor* k[4] = {&l.queryKernel, &l.keyKernel, &l.valueKernel, &l.outputKernel};
    for (std::size_t e = 0; e < w.size(); ++e)
        w[e] = (*k[i])[static_cast<std::int64_t>(e)];
    return w;
}

// x (rows × in) · w (in × out) + bias, in double.
std::vector<double> project(const std::vector<double>& x, std::int64_t rows, std::int64_t in,
                            const std::vector<double>& w, std::int64_t out, const Tensor& bias)
{
    std::vector<double> y(static_cast<std::size_t>(rows * out));
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t o = 0; o < out; ++o) {
            double s = bias.empty() ? 0.0 : bias[o];
            for (std::int64_t i = 0; i < in; ++i)
                s += x[static_cast<std::size_t>(r * in + i)] * w[static_cast<std::size_t>(i * out + o)];
            y[static_cast<std::size_t>(r * out + o)] = s;
        }
    return y;
}

std::vector<double> toDouble(const Tensor& t)
{
    return std::vector<double>(t.data(), t.data() + t.size());
}

// Plain-loop MultiHeadAttention of one batch. query (B, T, dq), value (B, S, dv), key (B, S, dk);
// ids*: token ids (B, T) / (B, S) whose zeros mask the query / value / key, or nullptr.
std::vector<double> reference(const LayerSpec& l, const Tensor& query, const Tensor& value, const Tensor& key,
                              const Tensor* idsQ, const Tensor* idsV, const Tensor* idsK)
{
    const std::int64_t batch = query.dim(0), t = query.dim(1), dq = query.dim(2), s = value.dim(1);
    const std::int64_t dv = value.dim(2), dk = key.dim(2), h = l.numHeads, kd = l.keyDim, vd = l.valueDim;
    const std::int64_t out = l.units > 0 ? l.units : dq;
    const auto q = project(toDouble(query), batch * t, dq, kernel2d(l, 0, dq, h * kd), h * kd, l.queryBias);
    const auto k = project(toDouble(key), batch * s, dk, kernel2d(l, 1, dk, h * kd), h * kd, l.keyBias);
    const auto v = project(toDouble(value), batch * s, dv, kernel2d(l, 2, dv, h * vd), h * vd, l.valueBias);
    std::vector<double> o(static_cast<std::size_t>(batch * t * h * vd), 0.0);
    for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t head = 0; head < h; ++head)
            for (std::int64_t i = 0; i < t; ++i) {
                std::vector<double> score(static_cast<std::size_t>(s));
                for (std::int64_t j = 0; j < s; ++j) {
                    bool visible = !l.useCausalMask || j <= i;
                    visible = visible && (!idsQ || (*idsQ)[b * t + i] != 0);
                    visible = visible && (!idsV || (*idsV)[b * s + j] != 0);
                    visible = visible && (!idsK || (*idsK)[b * s + j] != 0);
                    double d = 0;
                    for (std::int64_t e = 0; e < kd; ++e)
                        d += q[static_cast<std::size_t>((b * t + i) * h * kd + head * kd + e)] / std::sqrt(double(kd)) *
                             k[static_cast<std::size_t>((b * s + j) * h * kd + head * kd + e)];
                    score[static_cast<std::size_t>(j)] = visible ? d : -1e9; // Keras' masked Softmax
                }
                double top = score[0], sum = 0;
                for (double x : score)
                    top = std::max(top, x);
                for (double& x : score)
                    sum += (x = std::exp(x - top));
                for (std::int64_t j = 0; j < s; ++j)
                    for (std::int64_t e = 0; e < vd; ++e)
                        o[static_cast<std::size_t>((b * t + i) * h * vd + head * vd + e)] +=
                            score[static_cast<std::size_t>(j)] / sum *
                            v[static_cast<std::size_t>((b * s + j) * h * vd + head * vd + e)];
            }
    return project(o, batch * t, h * vd, kernel2d(l, 3, h * vd, out), out, l.outputBias);
}

void compare(const Tensor& got, const std::vector<double>& want, const std::string& what)
{
    QCOMPARE(static_cast<std::size_t>(got.size()), want.size());
    std::vector<float> w(want.begin(), want.end());
    CIRCNN_COMPARE_VECTORS(got.data(), w.data(), w.size(), 1e-5, what);
}

// Input(t, d) → MHA(self).
ModelSpec selfNet(const Config& c, std::int64_t t, std::int64_t d)
{
    SpecBuilder b({t, d});
    b.add(attention(c, d, d, d, 11), {"input", "input"});
    return b.done();
}

// Input(4, 6) is the query; value = Reshape(8, 3) of it (other length and width); key = Dense 5
// over the value. Exercises a separate key and S ≠ T.
ModelSpec crossNet(const Config& c)
{
    SpecBuilder b({4, 6});
    LayerSpec r;
    r.kind = LayerKind::Reshape;
    r.name = "value_src";
    r.targetShape = {8, 3};
    b.add(r, {"input"});
    b.dense(3, 5).name = "key_src";
    b.add(attention(c, 6, 3, 5, 21), {"input", "value_src", "key_src"});
    return b.done();
}

LayerSpec embedding(std::int64_t vocab, std::int64_t width)
{
    LayerSpec e;
    e.kind = LayerKind::Embedding;
    e.name = "embedding";
    e.inputDim = vocab;
    e.units = width;
    e.maskZero = true;
    e.embeddings = randomTensor({vocab, width}, 5);
    return e;
}

// Input ids (t) → Embedding(mask_zero) → MHA(self).
ModelSpec maskedNet(const Config& c, std::int64_t t)
{
    SpecBuilder b({t});
    b.add(embedding(7, 6));
    b.add(attention(c, 6, 6, 6, 31), {"embedding", "embedding"});
    return b.done();
}

// The key bias's gradient is exactly zero (it shifts every score of a row alike); finite differences
// of the float forward leave ~1e-5 there (typical gradients are 0.1 to 1).
constexpr double kZeroGradient = 1e-4;

const Tensor kIds({3, 5}, {3, 1, 4, 0, 0, 2, 6, 5, 3, 1, 0, 0, 0, 0, 0});

} // namespace

class TestMultiHeadAttention : public QObject {
    Q_OBJECT
private slots:
    void selfAttention_data()
    {
        QTest::addColumn<int>("variant");
        QTest::newRow("dense") << 0;
        QTest::newRow("causal") << 1;
        QTest::newRow("output_shape, no bias") << 2;
        QTest::newRow("block-circulant k=2") << 3;
        QTest::newRow("block-circulant k=4 causal") << 4;
    }
    Config variant(int v)
    {
        Config c;
        c.causal = v == 1 || v == 4;
        if (v == 2) {
            c.units = 5;
            c.bias = false;
        }
        c.k = v == 3 ? 2 : v == 4 ? 4 : 0;
        return c;
    }

    void selfAttention()
    {
        QFETCH(int, variant);
        const Config c = this->variant(variant);
        const ModelSpec spec = selfNet(c, 5, 6);
        const Tensor x = randomTensor({3, 5, 6}, 41);
        compare(Model(spec).forward(x), reference(spec.layers[1], x, x, x, nullptr, nullptr, nullptr), "self");
        test::checkGradients(spec, {5, 6}, false, 1e-2, kZeroGradient);
    }

    void crossAttentionWithKey_data() { selfAttention_data(); }
    void crossAttentionWithKey()
    {
        QFETCH(int, variant);
        const ModelSpec spec = crossNet(this->variant(variant));
        const Tensor x = randomTensor({2, 4, 6}, 43);
        Model model(spec);
        // The value and key as the net computes them: Reshape, then the Dense.
        Tensor value({2, 8, 3});
        std::copy_n(x.data(), x.size(), value.data());
        const LayerSpec& dense = spec.layers[2];
        Tensor key({2, 8, 5});
        for (std::int64_t r = 0; r < 16; ++r)
            for (std::int64_t o = 0; o < 5; ++o) {
                double s = dense.bias[o];
                for (std::int64_t i = 0; i < 3; ++i)
                    s += double(value[r * 3 + i]) * dense.kernel[i * 5 + o];
                key[r * 5 + o] = static_cast<float>(s);
            }
        compare(model.forward(x), reference(spec.layers[3], x, value, key, nullptr, nullptr, nullptr), "cross");
        test::checkGradients(spec, {4, 6}, false, 1e-2, kZeroGradient);
    }

    void paddingMask_data()
    {
        QTest::addColumn<bool>("causal");
        QTest::addColumn<int>("k");
        QTest::newRow("padding") << false << 0;
        QTest::newRow("padding + causal") << true << 0;
        QTest::newRow("padding, block-circulant k=2") << false << 2;
    }
    void paddingMask()
    {
        // Ids with trailing padding, and a sample that is all padding (uniform weights).
        QFETCH(bool, causal);
        QFETCH(int, k);
        Config c;
        c.causal = causal;
        c.k = k;
        const ModelSpec spec = maskedNet(c, 5);
        const LayerSpec& e = spec.layers[1];
        Tensor x({3, 5, 6});
        for (std::int64_t i = 0; i < 15; ++i)
            for (std::int64_t j = 0; j < 6; ++j)
                x[i * 6 + j] = e.embeddings[static_cast<std::int64_t>(kIds[i]) * 6 + j];
        compare(Model(spec).forward(kIds), reference(spec.layers[2], x, x, x, &kIds, &kIds, &kIds), "masked");
        test::checkGradients(spec, kIds, false, 1e-2, kZeroGradient);
    }

    void maskChangesTheResult()
    {
        // Without mask_zero the padding positions are attended to: the outputs differ (the
        // reference above would not notice a mask that never reaches the layer).
        ModelSpec masked = maskedNet(Config{}, 5);
        ModelSpec unmasked = masked;
        unmasked.layers[1].maskZero = false;
        const Tensor a = Model(masked).forward(kIds), b = Model(unmasked).forward(kIds);
        double diff = 0;
        for (std::int64_t i = 0; i < 5 * 6; ++i) // the first sample has padding
            diff = std::max(diff, std::abs(double(a[i]) - b[i]));
        QVERIFY2(diff > 1e-3, "the padding mask had no effect");
    }

    void maskedAveragePooling()
    {
        // GlobalAveragePooling1D consumes the mask as Keras does (the mean over unmasked steps):
        // Embedding(mask_zero) → MHA → GlobalAveragePooling1D; padding after the tokens does not
        // change the result, and the gradients through the masked mean hold.
        const auto net = [](std::int64_t steps) {
            SpecBuilder b({steps});
            b.add(embedding(7, 6));
            b.add(attention(Config{}, 6, 6, 6, 31), {"embedding", "embedding"});
            b.simple(LayerKind::GlobalAveragePooling1D);
            b.dense(6, 2);
            return b.done();
        };
        const Tensor padded = Model(net(5)).forward(Tensor({1, 5}, {3, 1, 4, 0, 0}));
        const Tensor plain = Model(net(3)).forward(Tensor({1, 3}, {3, 1, 4}));
        CIRCNN_COMPARE_VECTORS(padded.data(), plain.data(), std::size_t(plain.size()), 1e-5, "padding ignored");
        const Tensor ids({2, 5}, {3, 1, 4, 0, 0, 2, 6, 5, 3, 1});
        test::checkGradients(net(5), ids, false, 1e-2, kZeroGradient);
    }

    void maskingLayerFrames()
    {
        // Masking(mask_value 0) over float frames masks the attention like token padding does:
        // frames (5, 4) whose last two steps are all zeros give the result of the 3-step sequence.
        const auto net = [](std::int64_t steps) {
            SpecBuilder b({steps, 4});
            LayerSpec masking;
            masking.kind = LayerKind::Masking;
            masking.name = "masking";
            masking.maskValue = 0.0f;
            b.add(masking);
            b.add(attention(Config{}, 4, 4, 4, 61), {"masking", "masking"});
            b.simple(LayerKind::GlobalAveragePooling1D);
            return b.done();
        };
        const Tensor three = randomTensor({1, 3, 4}, 62);
        Tensor five({1, 5, 4}, 0.0f);
        std::copy_n(three.data(), three.size(), five.data());
        const Tensor a = Model(net(5)).forward(five), want = Model(net(3)).forward(three);
        CIRCNN_COMPARE_VECTORS(a.data(), want.data(), std::size_t(want.size()), 1e-5, "masked frames");
        test::checkGradients(net(5), {5, 4}, false, 1e-2, kZeroGradient);
    }

    void trainsDenseAndCirculant_data()
    {
        QTest::addColumn<int>("k");
        QTest::newRow("dense") << 0;
        QTest::newRow("block-circulant k=2") << 2;
    }
    void trainsDenseAndCirculant()
    {
        // Frames (4, 4) → MHA(self) → GlobalAveragePooling1D → Dense(softmax) trained by the
        // trainer on noisy copies of two prototype sequences: the loss falls, the classes are
        // learnt, the projections stay block-circulant.
        QFETCH(int, k);
        Config c;
        c.k = k;
        SpecBuilder b({4, 4});
        b.add(attention(c, 4, 4, 4, 51), {"input", "input"});
        b.simple(LayerKind::GlobalAveragePooling1D);
        b.dense(4, 2, ActivationKind::Softmax);
        const ModelSpec initial = b.done();
        std::mt19937 rng(3);
        std::normal_distribution<float> noise(0.0f, 0.6f);
        const Tensor protos = randomTensor({2, 16}, 9);
        Dataset data;
        data.images = Tensor({300, 4, 4});
        data.classCount = 2;
        for (std::int64_t i = 0; i < 300; ++i) {
            const int label = static_cast<int>(i % 2);
            data.labels.push_back(label);
            for (std::int64_t j = 0; j < 16; ++j)
                data.images[i * 16 + j] = protos[label * 16 + j] + noise(rng);
        }
        TrainOptions o;
        o.epochs = 8;
        o.batchSize = 16;
        o.optimizer.learningRate = 0.01;
        o.seed = 5;
        const TrainResult r = trainModel(initial, data, o);
        QVERIFY(r.history.back().trainLoss < 0.5 * r.history.front().trainLoss);
        QVERIFY2(r.history.back().trainAccuracy > 0.9, std::to_string(r.history.back().trainAccuracy).c_str());
        QCOMPARE(r.model.layers[1].attentionCirculant[0].has_value(), k > 0);
    }

    void errorsNameTheLayer()
    {
        const auto expectError = [](ModelSpec spec, const char* needle) {
            try {
                Model m(std::move(spec));
                QFAIL(qPrintable(QString("no error, expected one with '%1'").arg(needle)));
            } catch (const Error& err) {
                const std::string what = err.what();
                QVERIFY2(what.find("'mha'") != std::string::npos && what.find(needle) != std::string::npos, err.what());
            }
        };
        ModelSpec wrongKernel = selfNet(Config{}, 5, 6);
        wrongKernel.layers[1].keyKernel = Tensor({6, 2, 2});
        expectError(wrongKernel, "key/kernel");
        ModelSpec noHeads = selfNet(Config{}, 5, 6);
        noHeads.layers[1].numHeads = 0;
        expectError(noHeads, "num_heads");
        ModelSpec nan = selfNet(Config{}, 5, 6);
        nan.layers[1].valueBias[1] = std::nanf("");
        expectError(nan, "NaN");
        ModelSpec oneInput = selfNet(Config{}, 5, 6);
        oneInput.layers[1].inputs = {"input"};
        expectError(oneInput, "inputs");
    }
};

QTEST_APPLESS_MAIN(TestMultiHeadAttention)
#include "TestMultiHeadAttention.moc"
