// SimpleRNN / LSTM / GRU and Embedding: forward against the naive double-precision reference of
// RecurrentReference.h (every Keras option: gate activations, reset_after both ways,
// return_sequences, go_backwards, masking from Embedding mask_zero with and without
// zero_output_for_mask, dense and block-circulant weights), and Model::backward against central
// finite differences through time for the same configurations.

#include <QTest>

#include <functional>

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

constexpr std::int64_t kSteps = 5, kIn = 4, kVocab = 7, kBatch = 3;

struct Options {
    LayerKind kind = LayerKind::LSTM;
    std::int64_t units = 3;
    bool sequences = false, backwards = false, resetAfter = true, masked = false, zeroOutput = false;
    std::int64_t k = 1; // block size (1: dense)
    ActivationKind gate = ActivationKind::Sigmoid;
    ActivationKind act = ActivationKind::Tanh;
};

LayerSpec makeLayer(const Options& o)
{
    LayerSpec l = test::recurrentLayer(o.kind, kIn, o.units, 31);
    l.name = "rnn";
    l.returnSequences = o.sequences;
    l.goBackwards = o.backwards;
    l.zeroOutputForMask = o.zeroOutput;
    l.recurrentActivation = o.gate;
    l.activation = o.act;
    if (o.kind == LayerKind::GRU && !o.resetAfter) {
        l.resetAfter = false;
        l.bias = randomTensor({3 * o.units}, 35, -0.3f, 0.3f);
    }
    if (o.k > 1)
        test::makeRecurrentCirculant(l, kIn, o.k, 41);
    return l;
}

LayerSpec makeEmbedding(bool maskZero)
{
    LayerSpec e;
    e.kind = LayerKind::Embedding;
    e.name = "embedding";
    e.inputDim = kVocab;
    e.units = kIn;
    e.maskZero = maskZero;
    e.useBias = false;
    e.embeddings = randomTensor({kVocab, kIn}, 23);
    return e;
}

// Token ids with trailing padding (0) of different lengths per sample, plus a 0 inside sample 2.
Tensor tokenIds()
{
    Tensor ids({kBatch, kSteps});
    const std::int64_t lengths[kBatch] = {5, 3, 4};
    for (std::int64_t b = 0; b < kBatch; ++b)
        for (std::int64_t t = 0; t < kSteps; ++t)
            ids[b * kSteps + t] = t < lengths[b] ? float(1 + (b * 3 + t * 2) % (kVocab - 1)) : 0.0f;
    ids[2 * kSteps + 1] = 0.0f;
    return ids;
}

// The model under test: [ids → Embedding | frames] → recurrent layer, optionally with a head.
ModelSpec makeModel(const Options& o, bool withHead)
{
    SpecBuilder b(o.masked ? Shape{kSteps} : Shape{kSteps, kIn});
    if (o.masked)
        b.add(makeEmbedding(true));
    else if (withHead)
        b.dense(kIn, kIn, ActivationKind::Tanh).name = "pre"; // Dense over the last axis of 3-D input
    b.add(makeLayer(o));
    if (withHead)
        b.dense(o.units, 2, ActivationKind::Linear).name = "post";
    return b.done();
}

Tensor modelInput(const Options& o)
{
    return o.masked ? tokenIds() : randomTensor({kBatch, kSteps, kIn}, 17);
}

void addRows(const char* prefix, std::function<void(Options&)> tweak)
{
    for (LayerKind kind : {LayerKind::SimpleRNN, LayerKind::LSTM, LayerKind::GRU}) {
        Options o;
        o.kind = kind;
        tweak(o);
        QTest::newRow((std::string(layerKindName(kind)) + " " + prefix).c_str()) << o;
    }
}

void addAllRows()
{
    QTest::addColumn<Options>("options");
    addRows("last", [](Options&) {});
    addRows("sequences", [](Options& o) { o.sequences = true; });
    addRows("go_backwards sequences", [](Options& o) { o.sequences = o.backwards = true; });
    addRows("go_backwards last", [](Options& o) { o.backwards = true; });
    addRows("masked last", [](Options& o) { o.masked = true; });
    addRows("masked sequences go_backwards", [](Options& o) { o.masked = o.sequences = o.backwards = true; });
    addRows("masked sequences zero_output_for_mask", [](Options& o) { o.masked = o.sequences = o.zeroOutput = true; });
    addRows("hard_sigmoid (Keras 2) relu", [](Options& o) {
        o.gate = ActivationKind::HardSigmoidKeras2;
        o.act = o.kind == LayerKind::SimpleRNN ? ActivationKind::Relu : ActivationKind::Tanh;
        o.sequences = true;
    });
    addRows("block-circulant k2 units 4", [](Options& o) {
        o.units = 4;
        o.k = 2;
        o.sequences = true;
    });
    addRows("block-circulant k4 units 4 masked", [](Options& o) {
        o.units = 4;
        o.k = 4;
        o.masked = true;
    });
    for (bool seq : {false, true}) {
        Options o;
        o.kind = LayerKind::GRU;
        o.resetAfter = false;
        o.sequences = seq;
        QTest::newRow(seq ? "GRU reset_after=false sequences" : "GRU reset_after=false last") << o;
        o.k = 3;
        o.units = 3;
        o.masked = true;
        QTest::newRow(seq ? "GRU reset_after=false block-circulant k3 masked sequences"
                          : "GRU reset_after=false block-circulant k3 masked last")
            << o;
    }
}

} // namespace

Q_DECLARE_METATYPE(Options)

class TestRecurrentLayers : public QObject {
    Q_OBJECT

private slots:
    void forwardMatchesReference_data() { addAllRows(); }

    void forwardMatchesReference()
    {
        QFETCH(Options, options);
        const ModelSpec spec = makeModel(options, false);
        const Model model(spec);
        const Tensor input = modelInput(options);
        const Tensor got = model.forward(input);
        // Reference input: the looked-up embeddings (masked) or the frames themselves.
        std::vector<int> mask;
        const Tensor x = options.masked ? test::lookedUp(spec.layers[1].embeddings, input, mask) : input;
        const std::vector<double> want = test::refRecurrent(*spec.find("rnn"), x, mask);
        QCOMPARE(static_cast<std::size_t>(got.size()), want.size());
        std::vector<float> wantF(want.begin(), want.end());
        CIRCNN_COMPARE_VECTORS(got.data(), wantF.data(), wantF.size(), 1e-5, "forward");
        // Training forward computes the same.
        ForwardCache cache;
        std::mt19937 rng(1);
        const Tensor train = model.forwardTrain(input, cache, rng, false);
        CIRCNN_COMPARE_VECTORS(train.data(), got.data(), std::size_t(got.size()), 1e-6, "forwardTrain");
    }

    void gradients_data() { addAllRows(); }

    void gradients()
    {
        QFETCH(Options, options);
        // Hard sigmoid has kinks: a perturbation crossing one makes the difference quotient
        // one-sided, so that case gets a looser bound.
        const double tol = options.gate == ActivationKind::HardSigmoidKeras2 ? 5e-2 : 1e-2;
        test::checkGradients(makeModel(options, true), modelInput(options), false, tol);
    }

    void maskedStepsKeepTheState()
    {
        // A sample whose only non-padding tokens come first gives the same last output as the
        // same tokens without the padding steps.
        Options o;
        o.masked = true;
        const Model padded(makeModel(o, false));
        Tensor ids({1, kSteps}, 0.0f);
        ids[0] = 3;
        ids[1] = 5;
        const Tensor a = padded.forward(ids);
        ids[2] = 2; // now a third real token: the output must change
        const Tensor b = padded.forward(ids);
        QVERIFY(std::abs(a[0] - b[0]) + std::abs(a[1] - b[1]) + std::abs(a[2] - b[2]) > 1e-4);
    }

    void embeddingRejectsBadIds()
    {
        SpecBuilder b({3});
        b.add(makeEmbedding(false));
        const Model m(b.done());
        for (float bad : {-1.0f, 7.0f, 1.5f}) {
            Tensor ids({1, 3}, 1.0f);
            ids[2] = bad;
            try {
                (void)m.forward(ids);
                QFAIL("no error for a bad token id");
            } catch (const Error& e) {
                const std::string what = e.what();
                QVERIFY2(what.find("embedding") != std::string::npos && what.find("position 2") != std::string::npos,
                         e.what());
            }
        }
    }

    void wrongWeightShapesAreNamed()
    {
        Options o;
        ModelSpec spec = makeModel(o, false);
        spec.layers.back().recurrentKernel = Tensor({2, 2});
        try {
            Model m(spec);
            QFAIL("no error for a bad recurrent kernel");
        } catch (const Error& e) {
            const std::string what = e.what();
            QVERIFY2(what.find("rnn") != std::string::npos && what.find("recurrent_kernel") != std::string::npos,
                     e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestRecurrentLayers)
#include "TestRecurrentLayers.moc"
