// Block-circulant conversion of recurrent layers (the C-LSTM case): the plan's decisions, the
// projection of both stacked gate matrices (W = Kᵀ and U = Rᵀ) against a naive expansion, the
// native format round trip, and the estimate's recurrent costs; MultiHeadAttention's four
// projections likewise.

#include <QTest>

#include "../nn/NnTestUtil.h"
#include "../nn/RecurrentReference.h"
#include "TestSupport.h"
#include "analysis/Conversion.h"
#include "circulant/BlockCirculantMatrix.h"
#include "io/ModelFile.h"
#include "model/ConversionRules.h"
#include "model/ShapeInference.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

namespace {

// Input(steps, 8) → LSTM(8, sequences) → GRU(4) → Dense(3).
ModelSpec recurrentModel()
{
    SpecBuilder b({6, 8});
    LayerSpec lstm = test::recurrentLayer(LayerKind::LSTM, 8, 8, 5);
    lstm.name = "lstm";
    lstm.returnSequences = true;
    b.add(lstm);
    LayerSpec gru = test::recurrentLayer(LayerKind::GRU, 8, 4, 9);
    gru.name = "gru";
    b.add(gru);
    b.dense(4, 3).name = "head";
    return b.done();
}

// Frobenius-optimal projection of a Keras-layout kernel (cols × rows) as the rows × cols Kᵀ.
std::vector<float> projectedTransposed(const Tensor& kernel, std::int64_t rows, std::int64_t cols, std::int64_t k)
{
    std::vector<float> w(static_cast<std::size_t>(rows * cols));
    for (std::int64_t i = 0; i < cols; ++i)
        for (std::int64_t o = 0; o < rows; ++o)
            w[static_cast<std::size_t>(o * cols + i)] = kernel[i * rows + o];
    const BlockCirculantMatrix p = BlockCirculantMatrix::project(w, rows, cols, k);
    return {p.vectors().begin(), p.vectors().end()};
}

} // namespace

class TestRecurrentConversion : public QObject {
    Q_OBJECT

private slots:
    void decisionsCoverRecurrentLayers()
    {
        ModelSpec m = recurrentModel();
        inferShapes(m);
        ConversionPlan plan;
        plan.defaultBlockSize = 4;
        const auto ds = decideBlockSizes(m, plan);
        QCOMPARE(ds.size(), std::size_t(3));
        QCOMPARE(ds[0].layer, std::string("lstm"));
        QCOMPARE(ds[0].rows, std::int64_t(32)); // 4 gates × 8 units
        QCOMPARE(ds[0].cols, std::int64_t(8));
        QVERIFY(ds[0].converts());
        QCOMPARE(ds[1].rows, std::int64_t(12)); // 3 gates × 4 units
        QVERIFY(ds[1].converts());
        plan.defaultBlockSize = 8; // the GRU's 4 units are below k
        const auto big = decideBlockSizes(m, plan);
        QVERIFY(big[0].converts());
        QCOMPARE(big[1].outcome, BlockSizeOutcome::DimensionBelowK);
        QVERIFY2(big[1].reason.find("recurrent") != std::string::npos, big[1].reason.c_str());
    }

    void projectsBothGateMatrices()
    {
        const ModelSpec dense = recurrentModel();
        ConversionRequest req;
        req.defaultBlockSize = 4;
        req.reorderUnits = true; // recurrent layers are not reordered: the result is the plain projection
        const ConversionResult r = convertModel(dense, req);
        const LayerSpec& lstm = *r.model.find("lstm");
        QVERIFY(lstm.circulant && lstm.recurrentCirculant);
        QVERIFY(lstm.kernel.empty() && lstm.recurrentKernel.empty());
        QCOMPARE(lstm.circulant->rows, std::int64_t(32));
        QCOMPARE(lstm.recurrentCirculant->cols, std::int64_t(8));
        const LayerSpec& src = *dense.find("lstm");
        const auto wantW = projectedTransposed(src.kernel, 32, 8, 4);
        const auto wantU = projectedTransposed(src.recurrentKernel, 32, 8, 4);
        CIRCNN_COMPARE_VECTORS(lstm.circulant->vectors.data(), wantW.data(), wantW.size(), 1e-6, "W vectors");
        CIRCNN_COMPARE_VECTORS(lstm.recurrentCirculant->vectors.data(), wantU.data(), wantU.size(), 1e-6, "U vectors");
        QCOMPARE(r.model.plan.perLayer.at("lstm"), std::int64_t(4));
        bool found = false;
        for (const LayerConversion& lc : r.layers)
            if (lc.layer == "lstm") {
                found = true;
                QVERIFY(lc.converted);
                QCOMPARE(lc.compression, 4.0);
                QVERIFY(lc.relativeResidual > 0 && lc.relativeResidual < 1);
            }
        QVERIFY(found);
        // The converted model runs: its output equals the naive reference on the expanded weights.
        const Model model(r.model);
        const Tensor x = randomTensor({2, 6, 8}, 3);
        Tensor hidden;
        {
            ModelSpec upTo = r.model;
            upTo.outputs = {"lstm"};
            hidden = Model(upTo).forward(x);
        }
        const auto want = test::refRecurrent(lstm, x, {});
        std::vector<float> wantF(want.begin(), want.end());
        CIRCNN_COMPARE_VECTORS(hidden.data(), wantF.data(), wantF.size(), 1e-5, "converted LSTM forward");
        QCOMPARE(model.forward(x).shape(), (Shape{2, 3}));
    }

    void projectsTheAttentionProjections()
    {
        // Input(5, 8) → MHA(self, 2 heads, key_dim 4) → Dense: at k = 4 the four projections
        // become block-circulant (each the projection of its own W = Kᵀ), the layer keeps its one
        // plan entry, and the converted model runs and round-trips through the native format.
        SpecBuilder b({5, 8});
        LayerSpec a;
        a.kind = LayerKind::MultiHeadAttention;
        a.name = "mha";
        a.numHeads = 2;
        a.keyDim = 4;
        a.valueDim = 4;
        Tensor* kernels[4] = {&a.queryKernel, &a.keyKernel, &a.valueKernel, &a.outputKernel};
        Tensor* biases[4] = {&a.queryBias, &a.keyBias, &a.valueBias, &a.outputBias};
        for (std::uint32_t p = 0; p < 4; ++p) {
            *kernels[p] = randomTensor(p == 3 ? Shape{2, 4, 8} : Shape{8, 2, 4}, 40 + p);
            *biases[p] = randomTensor(p == 3 ? Shape{8} : Shape{2, 4}, 50 + p);
        }
        b.add(a, {"input", "input"});
        b.dense(8, 3).name = "head";
        const ModelSpec dense = b.done();
        ConversionRequest req;
        req.defaultBlockSize = 4;
        const ConversionResult r = convertModel(dense, req);
        const LayerSpec& mha = *r.model.find("mha");
        const LayerSpec& src = *dense.find("mha");
        const Tensor* srcKernels[4] = {&src.queryKernel, &src.keyKernel, &src.valueKernel, &src.outputKernel};
        for (std::size_t p = 0; p < 4; ++p) {
            QVERIFY(mha.attentionCirculant[p].has_value());
            QCOMPARE(mha.attentionCirculant[p]->k, std::int64_t(4));
            const auto want = projectedTransposed(*srcKernels[p], 8, 8, 4);
            CIRCNN_COMPARE_VECTORS(mha.attentionCirculant[p]->vectors.data(), want.data(), want.size(), 1e-6,
                                   "projection " + std::to_string(p));
        }
        QVERIFY(mha.queryKernel.empty() && mha.outputKernel.empty());
        QCOMPARE(r.model.plan.perLayer.at("mha"), std::int64_t(4));
        const Tensor x = randomTensor({2, 5, 8}, 7);
        const Tensor y = Model(r.model).forward(x);
        const auto path = test::tempDir() / "attention_k4.circnn.h5";
        writeNativeModel(r.model, path);
        QVERIFY(Model(readModel(path)).forward(x) == y);
        std::filesystem::remove(path);
        // k above a projection's width leaves the layer dense, with the reason.
        req.defaultBlockSize = 16;
        for (const LayerConversion& lc : convertModel(dense, req).layers)
            if (lc.layer == "mha")
                QVERIFY2(!lc.converted && lc.reason.find("smaller") != std::string::npos, lc.reason.c_str());
    }

    void nativeFormatRoundTrip()
    {
        ConversionRequest req;
        req.defaultBlockSize = 4;
        const ModelSpec m = convertModel(recurrentModel(), req).model;
        const auto path = test::tempDir() / "recurrent_k4.circnn.h5";
        writeNativeModel(m, path);
        const ModelSpec back = readModel(path);
        const LayerSpec& l = *back.find("gru");
        QVERIFY(l.recurrentCirculant.has_value());
        QCOMPARE(l.recurrentCirculant->k, std::int64_t(4));
        QCOMPARE(l.resetAfter, true);
        QCOMPARE(back.find("lstm")->returnSequences, true);
        const Tensor x = randomTensor({3, 6, 8}, 4);
        const Tensor a = Model(m).forward(x), b = Model(back).forward(x);
        QVERIFY(a == b);
        std::filesystem::remove(path);
    }

    void bidirectionalDirectionsConvertOnTheirOwn()
    {
        // A Bidirectional as the reader builds it (forward LSTM, go_backwards LSTM with its
        // sequence reversed back, Concatenate): each direction is a layer of the plan, both gate
        // matrices of each become block-circulant, and the reversal survives the native format.
        SpecBuilder b({6, 8});
        LayerSpec fwd = test::recurrentLayer(LayerKind::LSTM, 8, 8, 5);
        fwd.name = "bidi/forward_lstm";
        fwd.returnSequences = true;
        LayerSpec bwd = test::recurrentLayer(LayerKind::LSTM, 8, 8, 15);
        bwd.name = "bidi/backward_lstm";
        bwd.returnSequences = bwd.goBackwards = bwd.reverseOutputSteps = true;
        b.add(fwd, {"input"});
        b.add(bwd, {"input"});
        LayerSpec merge;
        merge.kind = LayerKind::Concatenate;
        merge.name = "bidi";
        b.add(merge, {fwd.name, bwd.name});
        LayerSpec tail = test::recurrentLayer(LayerKind::GRU, 16, 4, 9);
        tail.name = "gru";
        b.add(tail);
        b.dense(4, 3).name = "head";
        ConversionRequest req;
        req.defaultBlockSize = 4;
        const ConversionResult r = convertModel(b.done(), req);
        for (const char* name : {"bidi/forward_lstm", "bidi/backward_lstm"}) {
            const LayerSpec& l = *r.model.find(name);
            QVERIFY2(l.circulant && l.recurrentCirculant, name);
            QCOMPARE(r.model.plan.perLayer.at(name), std::int64_t(4));
        }
        const auto path = test::tempDir() / "bidirectional_k4.circnn.h5";
        writeNativeModel(r.model, path);
        const ModelSpec back = readModel(path);
        QVERIFY(back.find("bidi/backward_lstm")->reverseOutputSteps);
        QVERIFY(!back.find("bidi/forward_lstm")->reverseOutputSteps);
        const Tensor x = randomTensor({2, 6, 8}, 6);
        QVERIFY(Model(r.model).forward(x) == Model(back).forward(x));
        std::filesystem::remove(path);
    }
};

QTEST_APPLESS_MAIN(TestRecurrentConversion)
#include "TestRecurrentConversion.moc"
