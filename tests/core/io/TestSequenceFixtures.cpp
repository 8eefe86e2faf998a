// LayerNormalization, Bidirectional, Masking, the masked GlobalAveragePooling1D and MultiHeadAttention in Keras
// files: fixtures from
// tests/data/keras_sequence_fixtures.py (via make_keras_fixtures.py) in the Keras 2 and Keras 3
// layouts against its independent float64 numpy forward pass (to 1e-5), how the layers are read,
// and the native format and Keras writer with them.

#include <QTest>

#include <cstring>

#include "IoTestUtil.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "io/Hdf5.h"
#include "io/ModelFile.h"
#include "model/LayerTraits.h"
#include "model/ShapeInference.h"
#include "nn/Model.h"

using namespace circnn;
using test::bitIdentical;
using test::randomBatch;
using test::readRef;

namespace {
const char* const kFixtures[] = {
    "k2_layer_norm_text.h5",    "layer_norm_text.keras",    "k2_layer_norm_axes.h5",      "k33_layer_norm_axes.h5",
    "k2_bidirectional_text.h5", "bidirectional_text.keras", "k2_bidirectional_frames.h5", "bidirectional_frames.keras",
    "k2_masked_frames.h5",      "masked_frames.keras",      "k2_bag_of_embeddings.h5",    "bag_of_embeddings.keras",
    "k2_transformer_text.h5",   "transformer_text.keras",   "k2_attention_causal.h5",     "attention_causal.keras",
    "k33_transformer_text.h5",  "k33_attention_causal.h5",
};

// The fixture folder; empty (after QSKIP / QFAIL by the caller) when the generator cannot run.
std::filesystem::path fixtures(QString& why)
{
    return test::kerasFixtures(why);
}

} // namespace

class TestSequenceFixtures : public QObject {
    Q_OBJECT
private slots:
    void fixtures_data()
    {
        QTest::addColumn<QString>("file");
        for (const char* f : kFixtures)
            QTest::newRow(f) << QString(f);
    }

    void fixtures()
    {
        QFETCH(QString, file);
        QString why;
        const auto dir = ::fixtures(why);
        if (dir.empty()) {
            if (why.startsWith("python3"))
                QSKIP(qPrintable(why));
            QFAIL(qPrintable(why));
        }
        const auto path = dir / file.toStdString();
        QVERIFY2(std::filesystem::exists(path), "generator did not write the fixture");
        ModelSpec spec;
        try {
            spec = readModel(path);
        } catch (const Error& e) {
            QFAIL(e.what());
        }
        const Tensor x = readRef(path.string() + ".ref.h5", "x");
        const Tensor want = readRef(path.string() + ".ref.h5", "y");
        const Tensor got = Model(spec).forward(x);
        QCOMPARE(got.shape(), want.shape());
        CIRCNN_COMPARE_VECTORS(got.data(), want.data(), std::size_t(got.size()), 1e-5, file.toStdString());
    }

    void layerNormalizationAxesRoundTrip()
    {
        // The axes as Keras wrote them ([2, 1], [1], -1) survive the native format and the Keras
        // writer (which writes them as a list), with the same outputs.
        QString why;
        const auto dir = ::fixtures(why);
        if (dir.empty())
            QSKIP(qPrintable(why));
        const ModelSpec m = readModel(dir / "k2_layer_norm_axes.h5");
        QCOMPARE(m.find("norm_all")->axes, (std::vector<std::int64_t>{2, 1}));
        QCOMPARE(m.find("norm_steps")->axes, (std::vector<std::int64_t>{1}));
        QVERIFY(!m.find("norm_steps")->center && m.find("norm_last")->center && !m.find("norm_last")->scale);
        QCOMPARE(m.find("norm_all")->gamma.shape(), (Shape{4, 5})); // as Keras stores it: the axes as listed
        const Tensor x = randomBatch({5, 4}, 3, 19);
        for (const bool keras : {false, true}) {
            const auto path = test::tempDir() / (keras ? "layer_norm.h5" : "layer_norm.circnn.h5");
            if (keras)
                writeKerasH5(m, path);
            else
                writeNativeModel(m, path);
            const ModelSpec back = readModel(path);
            QCOMPARE(back.find("norm_all")->axes, m.find("norm_all")->axes);
            QCOMPARE(back.find("norm_steps")->epsilon, m.find("norm_steps")->epsilon);
            QVERIFY2(bitIdentical(Model(m).forward(x), Model(back).forward(x)), keras ? "keras" : "native");
        }
    }

    void layerNormalizationArchitectureOnly()
    {
        // The desktop app's first stage reads only the architecture (weights empty, their shapes
        // recorded); the LayerNormalization shape rule must check gamma / beta by the recorded
        // shapes, as the other rules do (it refused every such model before).
        QString why;
        const auto dir = ::fixtures(why);
        if (dir.empty())
            QSKIP(qPrintable(why));
        const auto native = test::tempDir() / "layer_norm_arch.circnn.h5";
        writeNativeModel(readModel(dir / "k2_layer_norm_axes.h5"), native);
        for (const auto& path : {dir / "k2_layer_norm_axes.h5", dir / "layer_norm_text.keras", native}) {
            ModelSpec m;
            try {
                m = readModelArchitecture(path);
            } catch (const Error& e) {
                QFAIL(e.what());
            }
            QVERIFY(!m.weightsLoaded);
            for (const LayerSpec& l : m.layers)
                if (l.kind == LayerKind::LayerNormalization && l.scale)
                    QVERIFY2(l.gamma.empty() && !storedWeightShape(l, l.gamma).empty(), l.name.c_str());
            ModelSpec wrong = m; // a recorded shape that does not fit is still refused
            for (LayerSpec& l : wrong.layers)
                if (l.kind == LayerKind::LayerNormalization && l.scale)
                    l.weightShapes[weightShapeKey(l, l.gamma)] = Shape{1000};
            QVERIFY_THROWS_EXCEPTION(Error, inferShapes(wrong, true));
        }
    }

    void maskingRoundTrip()
    {
        // mask_value survives the native format and the Keras writer, and so do the outputs on
        // padded frames (the padding equals the mask value, -1).
        QString why;
        const auto dir = ::fixtures(why);
        if (dir.empty())
            QSKIP(qPrintable(why));
        const ModelSpec m = readModel(dir / "masked_frames.keras");
        QCOMPARE(m.find("mask")->kind, LayerKind::Masking);
        QCOMPARE(m.find("mask")->maskValue, -1.0f);
        const Tensor x = readRef((dir / "masked_frames.keras").string() + ".ref.h5", "x");
        for (const bool keras : {false, true}) {
            const auto path = test::tempDir() / (keras ? "masking.h5" : "masking.circnn.h5");
            if (keras)
                writeKerasH5(m, path);
            else
                writeNativeModel(m, path);
            const ModelSpec back = readModel(path);
            QCOMPARE(back.find("mask")->maskValue, -1.0f);
            QVERIFY2(bitIdentical(Model(m).forward(x), Model(back).forward(x)), keras ? "keras" : "native");
        }
    }

    void bidirectionalIsReadAsTwoDirectionsAndAMerge()
    {
        QString why;
        const auto dir = ::fixtures(why);
        if (dir.empty())
            QSKIP(qPrintable(why));
        for (const char* file : {"k2_bidirectional_text.h5", "bidirectional_text.keras"}) {
            const ModelSpec m = readModel(dir / file);
            const LayerSpec* fwd = m.find("bidi_lstm/forward_lstm");
            const LayerSpec* bwd = m.find("bidi_lstm/backward_lstm");
            const LayerSpec* merge = m.find("bidi_lstm");
            QVERIFY2(fwd && bwd && merge, file);
            QCOMPARE(fwd->kind, LayerKind::LSTM);
            QCOMPARE(bwd->kind, LayerKind::LSTM);
            QVERIFY(!fwd->goBackwards && bwd->goBackwards);
            QVERIFY(!fwd->reverseOutputSteps && bwd->reverseOutputSteps); // return_sequences: reversed back
            QCOMPARE(merge->kind, LayerKind::Concatenate);
            QCOMPARE(merge->inputs, (std::vector<std::string>{fwd->name, bwd->name}));
            QVERIFY(!(fwd->kernel == bwd->kernel)); // each direction got its own weights
            QCOMPARE(m.find("bidi_gru")->kind, LayerKind::Add);
            QVERIFY(!m.find("bidi_gru/backward_gru")->reverseOutputSteps); // last step only
        }
        const ModelSpec frames = readModel(dir / "k2_bidirectional_frames.h5");
        QCOMPARE(frames.find("bidi_rnn")->kind, LayerKind::Average);
        QCOMPARE(frames.find("bidi_lstm")->kind, LayerKind::Multiply);

        // The native format keeps the reversal; a Keras file cannot hold the unwrapped backward half.
        const auto path = test::tempDir() / "bidirectional.circnn.h5";
        writeNativeModel(frames, path);
        const ModelSpec back = readModel(path);
        QVERIFY(back.find("bidi_lstm/backward_lstm")->reverseOutputSteps);
        const Tensor x = randomBatch({5, 3}, 3, 21);
        QVERIFY(bitIdentical(Model(frames).forward(x), Model(back).forward(x)));
        const auto kerasPath = test::tempDir() / "bidirectional.h5";
        try {
            writeKerasH5(frames, kerasPath);
            QFAIL("the reversed backward half was written to a Keras file");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("backward") != std::string::npos, e.what());
        }
        QVERIFY(!std::filesystem::exists(kerasPath));
    }

    void multiHeadAttentionIsRead()
    {
        QString why;
        const auto dir = ::fixtures(why);
        if (dir.empty())
            QSKIP(qPrintable(why));
        // Keras 2 .h5, .keras and the Keras >= 3.3 legacy .h5 (weights named by variable path,
        // functional/mha/query/kernel: the role is the last two components).
        for (const char* file : {"k2_transformer_text.h5", "transformer_text.keras", "k33_transformer_text.h5"}) {
            const ModelSpec m = readModel(dir / file);
            const LayerSpec* mha = m.find("mha");
            QVERIFY2(mha && mha->kind == LayerKind::MultiHeadAttention, file);
            QCOMPARE(mha->inputs, (std::vector<std::string>{"embed", "embed"})); // self-attention
            QVERIFY(mha->numHeads == 2 && mha->keyDim == 4 && mha->valueDim == 4 && mha->units == 0);
            QVERIFY(mha->useBias && !mha->useCausalMask);
            QCOMPARE(mha->queryKernel.shape(), (Shape{8, 2, 4}));
            QCOMPARE(mha->outputKernel.shape(), (Shape{2, 4, 8}));
            QCOMPARE(mha->valueBias.shape(), (Shape{2, 4}));
        }
        for (const char* file : {"k2_attention_causal.h5", "attention_causal.keras", "k33_attention_causal.h5"}) {
            const ModelSpec m = readModel(dir / file);
            const LayerSpec* mha = m.find("mha");
            QVERIFY2(mha, file);
            // query, value, key: Keras 2 records value / key as keyword arguments of the call.
            QCOMPARE(mha->inputs, (std::vector<std::string>{"proj", "frames", "proj"}));
            QVERIFY(mha->useCausalMask && !mha->useBias && mha->units == 5 && mha->valueDim == 3);
            QCOMPARE(mha->keyKernel.shape(), (Shape{6, 3, 2}));
            QVERIFY(mha->queryBias.empty());
        }
    }

    void multiHeadAttentionRoundTrips()
    {
        // Native format (dense, then block-circulant projections) and the Keras writer (its node
        // records value / key / use_causal_mask as Keras does) give bit-identical outputs.
        QString why;
        const auto dir = ::fixtures(why);
        if (dir.empty())
            QSKIP(qPrintable(why));
        ModelSpec m = readModel(dir / "k2_attention_causal.h5");
        const Tensor x = randomBatch({5, 4}, 3, 23);
        const auto keras = test::tempDir() / "attention.h5";
        writeKerasH5(m, keras);
        QVERIFY(bitIdentical(Model(m).forward(x), Model(readModel(keras)).forward(x)));
        for (const bool circulant : {false, true}) {
            if (circulant) {
                LayerSpec& mha = *m.find("mha");
                const std::int64_t rows[4] = {6, 6, 9, 5}, cols[4] = {6, 6, 4, 9};
                for (std::size_t p = 0; p < 4; ++p) {
                    CirculantWeights c;
                    c.k = 2;
                    c.rows = rows[p];
                    c.cols = cols[p];
                    c.vectors = test::randomTensor({(rows[p] + 1) / 2, (cols[p] + 1) / 2, 2}, 31 + std::uint32_t(p));
                    mha.attentionCirculant[p] = std::move(c);
                }
                mha.queryKernel = mha.keyKernel = mha.valueKernel = mha.outputKernel = Tensor();
            }
            const auto path = test::tempDir() / "attention.circnn.h5";
            writeNativeModel(m, path);
            const ModelSpec back = readModel(path);
            QCOMPARE(back.find("mha")->attentionCirculant[2].has_value(), circulant);
            QVERIFY(back.find("mha")->useCausalMask);
            QVERIFY2(bitIdentical(Model(m).forward(x), Model(back).forward(x)), circulant ? "circulant" : "dense");
        }
        try {
            writeKerasH5(m, test::tempDir() / "circulant_attention.h5");
            QFAIL("block-circulant attention written to a Keras file");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("'mha'") != std::string::npos, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestSequenceFixtures)
#include "TestSequenceFixtures.moc"
