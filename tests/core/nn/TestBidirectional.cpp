// Bidirectional recurrent layers as the reader builds them (io/KerasBidirectional.h): a forward
// layer, a go_backwards copy whose returned sequence is reversed back (reverseOutputSteps) and a
// merge (Concatenate / Add / Average / Multiply). Forward against the naive reference of
// RecurrentReference.h (the backward sequence reversed by hand), masks from Embedding mask_zero
// reaching both directions and passing the merge to a later recurrent layer, and Model::backward
// against finite differences, dense and block-circulant.

#include <QTest>

#include "GradientCheck.h"
#include "NnTestUtil.h"
#include "RecurrentReference.h"
#include "TestSupport.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

namespace {

constexpr std::int64_t kSteps = 5, kIn = 4, kVocab = 7, kBatch = 3;

struct Options {
    LayerKind kind = LayerKind::LSTM;
    LayerKind merge = LayerKind::Concatenate;
    bool sequences = true, masked = false;
    std::int64_t units = 4, k = 1;
};

// Token ids with trailing padding (0) of different lengths per sample.
Tensor tokenIds()
{
    Tensor ids({kBatch, kSteps});
    const std::int64_t lengths[kBatch] = {5, 2, 4};
    for (std::int64_t b = 0; b < kBatch; ++b)
        for (std::int64_t t = 0; t < kSteps; ++t)
            ids[b * kSteps + t] = t < lengths[b] ? float(1 + (b * 2 + t * 3) % (kVocab - 1)) : 0.0f;
    return ids;
}

LayerSpec embedding()
{
    LayerSpec e;
    e.kind = LayerKind::Embedding;
    e.name = "embedding";
    e.inputDim = kVocab;
    e.units = kIn;
    e.maskZero = true;
    e.useBias = false;
    e.embeddings = randomTensor({kVocab, kIn}, 23);
    return e;
}

// [ids → Embedding | frames] → forward + backward → merge [→ LSTM over the merged sequence].
ModelSpec makeModel(const Options& o, bool withTail)
{
    SpecBuilder b(o.masked ? Shape{kSteps} : Shape{kSteps, kIn});
    if (o.masked)
        b.add(embedding());
    const std::string source = b.last();
    LayerSpec fwd = test::recurrentLayer(o.kind, kIn, o.units, 31);
    LayerSpec bwd = test::recurrentLayer(o.kind, kIn, o.units, 51);
    fwd.name = "bidi/forward";
    bwd.name = "bidi/backward";
    fwd.returnSequences = bwd.returnSequences = o.sequences;
    bwd.goBackwards = true;
    bwd.reverseOutputSteps = o.sequences;
    if (o.k > 1) {
        test::makeRecurrentCirculant(fwd, kIn, o.k, 41);
        test::makeRecurrentCirculant(bwd, kIn, o.k, 61);
    }
    b.add(fwd, {source});
    b.add(bwd, {source});
    LayerSpec merge;
    merge.kind = o.merge;
    merge.name = "bidi";
    merge.axis = -1;
    b.add(merge, {"bidi/forward", "bidi/backward"});
    if (withTail) {
        const std::int64_t width = o.merge == LayerKind::Concatenate ? 2 * o.units : o.units;
        if (o.sequences) {
            LayerSpec tail = test::recurrentLayer(LayerKind::GRU, width, 3, 71);
            tail.name = "tail";
            b.add(tail);
            b.dense(3, 2).name = "post";
        } else {
            b.dense(width, 2).name = "post";
        }
    }
    return b.done();
}

Tensor modelInput(const Options& o)
{
    return o.masked ? tokenIds() : randomTensor({kBatch, kSteps, kIn}, 17);
}

void addRows()
{
    QTest::addColumn<Options>("options");
    for (LayerKind kind : {LayerKind::SimpleRNN, LayerKind::LSTM, LayerKind::GRU}) {
        const std::string k = layerKindName(kind);
        QTest::newRow((k + " concat sequences").c_str()) << Options{kind, LayerKind::Concatenate, true};
        QTest::newRow((k + " sum last").c_str()) << Options{kind, LayerKind::Add, false};
        QTest::newRow((k + " ave masked sequences").c_str()) << Options{kind, LayerKind::Average, true, true};
        QTest::newRow((k + " mul masked last").c_str()) << Options{kind, LayerKind::Multiply, false, true};
        QTest::newRow((k + " concat block-circulant k2 masked").c_str())
            << Options{kind, LayerKind::Concatenate, true, true, 4, 2};
    }
}

} // namespace

Q_DECLARE_METATYPE(Options)

class TestBidirectional : public QObject {
    Q_OBJECT

private slots:
    void forwardMatchesReference_data() { addRows(); }

    void forwardMatchesReference()
    {
        QFETCH(Options, options);
        const ModelSpec spec = makeModel(options, false);
        const Model model(spec);
        const Tensor input = modelInput(options);
        const Tensor got = model.forward(input);
        std::vector<int> mask;
        const Tensor x = options.masked ? test::lookedUp(spec.layers[1].embeddings, input, mask) : input;
        const std::vector<double> f = test::refRecurrent(*spec.find("bidi/forward"), x, mask);
        std::vector<double> r = test::refRecurrent(*spec.find("bidi/backward"), x, mask);
        const std::int64_t u = options.units, steps = options.sequences ? kSteps : 1;
        if (options.sequences) // Keras' Bidirectional reverses the backward sequence into input order
            for (std::int64_t b = 0; b < kBatch; ++b)
                for (std::int64_t t = 0; t < kSteps / 2; ++t)
                    for (std::int64_t j = 0; j < u; ++j)
                        std::swap(r[static_cast<std::size_t>((b * kSteps + t) * u + j)],
                                  r[static_cast<std::size_t>((b * kSteps + kSteps - 1 - t) * u + j)]);
        std::vector<float> want;
        for (std::int64_t row = 0; row < kBatch * steps; ++row) {
            for (std::int64_t j = 0; j < u; ++j) {
                const double a = f[static_cast<std::size_t>(row * u + j)], c = r[static_cast<std::size_t>(row * u + j)];
                if (options.merge == LayerKind::Concatenate)
                    want.push_back(static_cast<float>(a));
                else if (options.merge == LayerKind::Add)
                    want.push_back(static_cast<float>(a + c));
                else if (options.merge == LayerKind::Average)
                    want.push_back(static_cast<float>((a + c) / 2));
                else
                    want.push_back(static_cast<float>(a * c));
            }
            if (options.merge == LayerKind::Concatenate)
                for (std::int64_t j = 0; j < u; ++j)
                    want.push_back(static_cast<float>(r[static_cast<std::size_t>(row * u + j)]));
        }
        QCOMPARE(static_cast<std::size_t>(got.size()), want.size());
        CIRCNN_COMPARE_VECTORS(got.data(), want.data(), want.size(), 1e-5, "forward");
    }

    void maskReachesTheNextLayerThroughTheMerge()
    {
        // Trailing padding leaves the output of a recurrent layer after the merge unchanged: the
        // mask passed through both directions (return_sequences) and the Concatenate.
        Options o;
        o.masked = true;
        const Model padded(makeModel(o, true));
        const Tensor ids({1, kSteps}, {3, 5, 2, 0, 0});
        const Tensor a = padded.forward(ids);
        Tensor changed = ids;
        changed[3] = 4; // a real token where the padding was: the output must change
        const Tensor b = padded.forward(changed);
        QVERIFY(std::abs(a[0] - b[0]) + std::abs(a[1] - b[1]) > 1e-5);
        // Without the mask the padding steps would count: the same ids through an unmasked model
        // (mask_zero off) differ from the masked output.
        ModelSpec unmasked = makeModel(o, true);
        unmasked.layers[1].maskZero = false;
        const Tensor c = Model(unmasked).forward(ids);
        QVERIFY(std::abs(a[0] - c[0]) + std::abs(a[1] - c[1]) > 1e-5);
        // And the masked output equals that of the unpadded three tokens.
        ModelSpec s = makeModel(o, true);
        s.layers[0].inputShape = {3};
        const Tensor d = Model(s).forward(Tensor({1, 3}, {3, 5, 2}));
        CIRCNN_COMPARE_VECTORS(a.data(), d.data(), std::size_t(d.size()), 1e-5, "padded vs unpadded");
    }

    void gradients_data() { addRows(); }

    void gradients()
    {
        QFETCH(Options, options);
        test::checkGradients(makeModel(options, true), modelInput(options), false, 1e-2);
    }
};

QTEST_APPLESS_MAIN(TestBidirectional)
#include "TestBidirectional.moc"
