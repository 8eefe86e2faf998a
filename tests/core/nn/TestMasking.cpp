// Masking (float frames equal to mask_value mask their step) and the mask consumers it feeds:
// recurrent layers (masked steps keep the state, against the plain-loop reference with the frame
// mask) and GlobalAveragePooling1D (the mean of the unmasked steps, also under an Embedding's
// mask_zero); gradients against central finite differences, dense and block-circulant.

#include <QTest>

#include <cmath>
#include <vector>

#include "GradientCheck.h"
#include "NnTestUtil.h"
#include "RecurrentReference.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

namespace {

constexpr std::int64_t kSteps = 6, kIn = 4, kBatch = 3;
constexpr float kMaskValue = -1.0f;

// Frames with trailing padding (every feature = kMaskValue) of different lengths per sample, a
// padded step inside sample 1, and an all-zero frame in sample 0 that counts (it differs from the
// mask value), plus a frame that equals the mask value in all but one feature (counts too).
Tensor paddedFrames(std::vector<int>& mask)
{
    Tensor x = randomTensor({kBatch, kSteps, kIn}, 17);
    const std::int64_t lengths[kBatch] = {6, 4, 5};
    mask.assign(static_cast<std::size_t>(kBatch * kSteps), 1);
    for (std::int64_t b = 0; b < kBatch; ++b)
        for (std::int64_t t = lengths[b]; t < kSteps; ++t)
            mask[static_cast<std::size_t>(b * kSteps + t)] = 0;
    mask[1 * kSteps + 1] = 0;
    for (std::int64_t s = 0; s < kBatch * kSteps; ++s)
        if (!mask[static_cast<std::size_t>(s)])
            for (std::int64_t f = 0; f < kIn; ++f)
                x[s * kIn + f] = kMaskValue;
    for (std::int64_t f = 0; f < kIn; ++f) {
        x[2 * kIn + f] = 0.0f;                      // sample 0, step 2: all zeros, counts
        x[(2 * kSteps + 1) * kIn + f] = kMaskValue; // sample 2, step 1: mask value ...
    }
    x[(2 * kSteps + 1) * kIn + 3] = 0.5f; // ... but for one feature: counts
    return x;
}

LayerSpec masking()
{
    LayerSpec m;
    m.kind = LayerKind::Masking;
    m.name = "masking";
    m.maskValue = kMaskValue;
    return m;
}

// The mean over the counted steps of each sample (x: (batch, steps, f)), as Keras computes it.
std::vector<float> maskedMean(const Tensor& x, const std::vector<int>& mask)
{
    const std::int64_t f = x.dim(2);
    std::vector<float> out(static_cast<std::size_t>(kBatch * f), 0.0f);
    for (std::int64_t b = 0; b < kBatch; ++b) {
        double count = 0;
        std::vector<double> sum(static_cast<std::size_t>(f), 0.0);
        for (std::int64_t t = 0; t < kSteps; ++t)
            if (mask[static_cast<std::size_t>(b * kSteps + t)]) {
                ++count;
                for (std::int64_t i = 0; i < f; ++i)
                    sum[static_cast<std::size_t>(i)] += x[(b * kSteps + t) * f + i];
            }
        for (std::int64_t i = 0; i < f; ++i)
            out[static_cast<std::size_t>(b * f + i)] = static_cast<float>(sum[static_cast<std::size_t>(i)] / count);
    }
    return out;
}

LayerSpec globalAverage()
{
    LayerSpec g;
    g.kind = LayerKind::GlobalAveragePooling1D;
    g.name = "gap";
    return g;
}

} // namespace

class TestMasking : public QObject {
    Q_OBJECT

private slots:
    void maskingZeroesMaskedStepsOnly()
    {
        SpecBuilder b({kSteps, kIn});
        b.add(masking());
        const Model model(b.done());
        std::vector<int> mask;
        const Tensor x = paddedFrames(mask);
        const Tensor y = model.forward(x);
        QCOMPARE(y.shape(), x.shape());
        for (std::int64_t s = 0; s < kBatch * kSteps; ++s)
            for (std::int64_t f = 0; f < kIn; ++f)
                QCOMPARE(y[s * kIn + f], mask[static_cast<std::size_t>(s)] ? x[s * kIn + f] : 0.0f);
    }

    void recurrentLayersSkipMaskedFrames_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<bool>("sequences");
        QTest::addColumn<int>("k");
        for (LayerKind kind : {LayerKind::SimpleRNN, LayerKind::LSTM, LayerKind::GRU})
            for (bool seq : {false, true})
                for (int k : {1, 3}) {
                    const std::string row = std::string(layerKindName(kind)) + (seq ? " sequences" : " last") +
                                            (k > 1 ? " block-circulant k3" : " dense");
                    QTest::newRow(row.c_str()) << static_cast<int>(kind) << seq << k;
                }
    }

    void recurrentLayersSkipMaskedFrames()
    {
        QFETCH(int, kind);
        QFETCH(bool, sequences);
        QFETCH(int, k);
        LayerSpec rnn = test::recurrentLayer(static_cast<LayerKind>(kind), kIn, 5, 31);
        rnn.name = "rnn";
        rnn.returnSequences = sequences;
        if (k > 1)
            test::makeRecurrentCirculant(rnn, kIn, k, 41);
        SpecBuilder b({kSteps, kIn});
        b.add(masking());
        b.add(rnn);
        const ModelSpec spec = b.done();
        std::vector<int> mask;
        const Tensor x = paddedFrames(mask);
        const Tensor got = Model(spec).forward(x);
        const std::vector<double> want = test::refRecurrent(*spec.find("rnn"), x, mask);
        QCOMPARE(static_cast<std::size_t>(got.size()), want.size());
        const std::vector<float> wantF(want.begin(), want.end());
        CIRCNN_COMPARE_VECTORS(got.data(), wantF.data(), wantF.size(), 1e-5, "forward");
    }

    void globalAverageOfCountedSteps()
    {
        // Masking → GlobalAveragePooling1D, and the mask carried through a Dense over the steps.
        SpecBuilder b({kSteps, kIn});
        b.add(masking());
        b.dense(kIn, 3, ActivationKind::Tanh).name = "frames";
        b.add(globalAverage());
        const ModelSpec spec = b.done();
        std::vector<int> mask;
        const Tensor x = paddedFrames(mask);
        const Tensor got = Model(spec).forward(x);
        // Reference: the Dense per frame (masked frames are zeros, so tanh(bias); skipped anyway).
        const LayerSpec& d = *spec.find("frames");
        Tensor frames({kBatch, kSteps, 3});
        for (std::int64_t s = 0; s < kBatch * kSteps; ++s)
            for (std::int64_t o = 0; o < 3; ++o) {
                double z = d.bias[o];
                for (std::int64_t i = 0; i < kIn; ++i)
                    z += double(mask[static_cast<std::size_t>(s)] ? x[s * kIn + i] : 0.0f) * d.kernel[i * 3 + o];
                frames[s * 3 + o] = static_cast<float>(std::tanh(z));
            }
        const std::vector<float> want = maskedMean(frames, mask);
        CIRCNN_COMPARE_VECTORS(got.data(), want.data(), want.size(), 1e-5, "masked mean");
    }

    void globalAverageUnderEmbeddingMask()
    {
        SpecBuilder b({kSteps});
        LayerSpec e;
        e.kind = LayerKind::Embedding;
        e.name = "embedding";
        e.inputDim = 5;
        e.units = kIn;
        e.maskZero = true;
        e.useBias = false;
        e.embeddings = randomTensor({5, kIn}, 23);
        b.add(e);
        b.add(globalAverage());
        const ModelSpec spec = b.done();
        Tensor ids({kBatch, kSteps}, 0.0f);
        const float tokens[kBatch][kSteps] = {{1, 2, 3, 4, 1, 2}, {4, 4, 0, 0, 0, 0}, {2, 0, 3, 0, 0, 0}};
        for (std::int64_t b2 = 0; b2 < kBatch; ++b2)
            for (std::int64_t t = 0; t < kSteps; ++t)
                ids[b2 * kSteps + t] = tokens[b2][t];
        std::vector<int> mask;
        const Tensor looked = test::lookedUp(spec.layers[1].embeddings, ids, mask);
        const std::vector<float> want = maskedMean(looked, mask);
        const Tensor got = Model(spec).forward(ids);
        CIRCNN_COMPARE_VECTORS(got.data(), want.data(), want.size(), 1e-5, "masked mean");
    }

    void allMaskedSampleAveragesToZero()
    {
        SpecBuilder b({kSteps, kIn});
        b.add(masking());
        b.add(globalAverage());
        const Model model(b.done());
        const Tensor y = model.forward(Tensor({1, kSteps, kIn}, kMaskValue));
        for (std::int64_t i = 0; i < y.size(); ++i)
            QCOMPARE(y[i], 0.0f);
    }

    void gradients_data()
    {
        QTest::addColumn<int>("k");
        QTest::addColumn<bool>("pooled");
        QTest::newRow("LSTM dense") << 1 << false;
        QTest::newRow("LSTM block-circulant k2") << 2 << false;
        QTest::newRow("GlobalAveragePooling1D dense") << 1 << true;
        QTest::newRow("GlobalAveragePooling1D block-circulant k2") << 2 << true;
    }

    void gradients()
    {
        // Input → Masking → Dense "pre" over the steps (its gradient must leave out the masked
        // steps) → LSTM (return_sequences) or nothing → [GlobalAveragePooling1D] → Dense "post".
        QFETCH(int, k);
        QFETCH(bool, pooled);
        SpecBuilder b({kSteps, kIn});
        b.add(masking());
        LayerSpec& pre = b.dense(kIn, kIn, ActivationKind::Tanh);
        pre.name = "pre";
        if (k > 1)
            test::makeCirculant(pre, kIn, k, 5);
        if (!pooled) {
            LayerSpec rnn = test::recurrentLayer(LayerKind::LSTM, kIn, 4, 31);
            rnn.name = "rnn";
            if (k > 1)
                test::makeRecurrentCirculant(rnn, kIn, k, 41);
            b.add(rnn);
        } else {
            b.add(globalAverage());
        }
        b.dense(kIn, 2, ActivationKind::Linear).name = "post";
        std::vector<int> mask;
        test::checkGradients(b.done(), paddedFrames(mask), false, 1e-2);
    }

    void masksOfTwoSourcesMeetingAreRefused()
    {
        // Two Masking layers with different values feeding one Add: Keras would and the masks.
        SpecBuilder b({kSteps, kIn});
        b.add(masking()).name = "m1";
        LayerSpec m2 = masking();
        m2.name = "m2";
        m2.maskValue = 0.0f;
        b.add(m2, {"input"});
        LayerSpec add;
        add.kind = LayerKind::Add;
        add.name = "add";
        b.add(add, {"m1", "m2"});
        LayerSpec rnn = test::recurrentLayer(LayerKind::GRU, kIn, 3, 31);
        rnn.name = "rnn";
        b.add(rnn);
        try {
            const Model model(b.done());
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("'add'") && QString(e.what()).contains("masks"), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestMasking)
#include "TestMasking.moc"
