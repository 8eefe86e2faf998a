// Hardware estimates of recurrent layers: per-step operation counts × sequence length (dense and
// block-circulant, counted by hand here), stored weights, and the recurrent dependency that keeps
// a frame from taking fewer than steps × the step's dependent chain cycles.

#include <QTest>

#include <cmath>

#include "common/Error.h"
#include "hw/Estimator.h"
#include "hw/PlatformRegistry.h"
#include "hw/RecurrentCost.h"
#include "model/ArchitectureParser.h"
#include "model/ShapeInference.h"

using namespace circnn;
using namespace circnn::hw;

namespace {

// Input(steps, n) → LSTM(u) → Dense(3).
ModelSpec lstmModel(std::int64_t steps, std::int64_t n, std::int64_t u)
{
    const std::string json = R"({"input": [)" + std::to_string(steps) + "," + std::to_string(n) +
                             R"(], "layers": [{"lstm": )" + std::to_string(u) + R"(}, {"dense": 3}]})";
    return parseArchitecture(json).model;
}

} // namespace

class TestRecurrentEstimate : public QObject {
    Q_OBJECT

private slots:
    void denseOpsAreStepsTimesGateMatrices()
    {
        const ModelSpec m = lstmModel(10, 6, 8);
        const LayerSpec& l = *m.find("lstm_1");
        const OpCounts c = layerOps(m, l, 1);
        QCOMPARE(c.realMacs, 10.0 * 32 * (6 + 8));
        QCOMPARE(c.denseEquivalentMacs, c.realMacs);
        QCOMPARE(layerWeightCount(m, l, 1), 32.0 * (6 + 8) + 32);
    }

    void circulantOpsShareTheOutputSpectra()
    {
        const ModelSpec m = lstmModel(10, 6, 8);
        const LayerSpec& l = *m.find("lstm_1");
        const std::int64_t k = 4;
        const OpCounts c = layerOps(m, l, k);
        const double p = 32 / 4, qW = 2, qU = 2, bins = 3;
        QCOMPARE(c.complexMacs, 10 * p * (qW + qU) * bins);
        QCOMPARE(c.fftButterflies, 10 * (qW + qU + p) * realFftButterflies(k));
        QCOMPARE(c.denseEquivalentMacs, 10.0 * 32 * 14);
        QCOMPARE(layerWeightCount(m, l, k), p * (qW + qU) * k + 32);
    }

    void attentionCountsProjectionsAndTheSquareTerms()
    {
        // Input(6, 8) → MHA(self, 2 heads, key_dim 4, value_dim 3, output 8): per query step the
        // query and output projections, per value step the key and value projections, plus
        // T·S·heads·(key_dim + value_dim) MACs for the scores and the weighted sum (always dense).
        ModelSpec m;
        m.name = "m";
        LayerSpec in;
        in.kind = LayerKind::Input;
        in.name = "in";
        in.inputShape = {6, 8};
        LayerSpec a;
        a.kind = LayerKind::MultiHeadAttention;
        a.name = "mha";
        a.inputs = {"in", "in"};
        a.numHeads = 2;
        a.keyDim = 4;
        a.valueDim = 3;
        m.layers = {in, a};
        m.outputs = {"mha"};
        inferShapes(m, false);
        const LayerSpec& l = *m.find("mha");
        const double proj = 6.0 * (8 * 8 + 8 * 8 + 8 * 6 + 6 * 8); // q, k (8 → 8), v (8 → 6), o (6 → 8)
        const double core = 6.0 * 6 * 2 * (4 + 3);
        const OpCounts dense = layerOps(m, l, 1);
        QCOMPARE(dense.realMacs, proj + core);
        QCOMPARE(dense.denseEquivalentMacs, proj + core);
        QCOMPARE(dense.biasAdds, 6.0 * (8 + 8 + 6 + 8));
        QCOMPARE(layerWeightCount(m, l, 1), 8.0 * 8 + 8 * 8 + 8 * 6 + 6 * 8 + (8 + 8 + 6 + 8));
        const OpCounts circ = layerOps(m, l, 2);
        // p·q blocks per projection at k = 2: q 4·4, k 4·4, v 3·4, o 4·3; 2 bins each.
        QCOMPARE(circ.complexMacs, 6.0 * (16 + 16 + 12 + 12) * 2);
        QCOMPARE(circ.fftButterflies, 6.0 * ((4 + 4) + (4 + 4) + (3 + 4) + (4 + 3)) * realFftButterflies(2));
        QCOMPARE(circ.realMacs, core); // the n² terms stay dense
        QCOMPARE(circ.denseEquivalentMacs, proj + core);
        QCOMPARE(layerWeightCount(m, l, 2), 2.0 * (16 + 16 + 12 + 12) + (8 + 8 + 6 + 8));
        // The whole estimate at k = 2: finite energy, latency and traffic (the spectra of the four
        // projections; the generic rule divided by the layer's units, 0 for attention: NaN).
        EstimateOptions o;
        o.blocks.defaultBlockSize = 2;
        o.blocks.convertOutputLayer = true;
        const Estimate e = estimateModel(m, findPlatform("xcku060"), o);
        bool found = false;
        for (const LayerEstimate& le : e.circulant.layers)
            if (le.name == "mha") {
                found = true;
                QCOMPARE(le.blockSize, std::int64_t(2));
                QVERIFY(std::isfinite(le.onchipBits) && le.onchipBits > 0);
                QVERIFY(std::isfinite(le.energy.onchipPj) && std::isfinite(le.latencyS));
            }
        QVERIFY(found);
        QVERIFY(std::isfinite(e.circulant.energy.onchipPj));
    }

    void crossAttentionStatsUseBothLengths()
    {
        // Query (3, 6), value (7, 4), key (7, 5): MHA(3 heads, key_dim 2, value_dim 3, output 5).
        // layerStats (model/ShapeInference.h) and the estimator count the same dense MACs: query
        // and output projections per query step, key and value per value step, plus T·S·heads·
        // (key_dim + value_dim).
        ModelSpec m;
        m.name = "cross";
        for (const auto& [name, shape] :
             {std::pair{"q", Shape{3, 6}}, std::pair{"v", Shape{7, 4}}, std::pair{"k", Shape{7, 5}}}) {
            LayerSpec in;
            in.kind = LayerKind::Input;
            in.name = name;
            in.inputShape = shape;
            m.layers.push_back(in);
        }
        m.inputs = {"q", "v", "k"};
        LayerSpec a;
        a.kind = LayerKind::MultiHeadAttention;
        a.name = "mha";
        a.inputs = {"q", "v", "k"};
        a.numHeads = 3;
        a.keyDim = 2;
        a.valueDim = 3;
        a.units = 5;
        m.layers.push_back(a);
        m.outputs = {"mha"};
        inferShapes(m, false);
        const LayerSpec& l = *m.find("mha");
        const std::int64_t macs = 3 * 6 * 6   // query: T · d_q · heads·key_dim
                                  + 7 * 5 * 6 // key: S · d_k · heads·key_dim
                                  + 7 * 4 * 9 // value: S · d_v · heads·value_dim
                                  + 3 * 9 * 5 // output: T · heads·value_dim · out
                                  + 3 * 7 * 3 * (2 + 3);
        const LayerStats st = layerStats(m, l);
        QCOMPARE(st.macs, macs);
        QCOMPARE(st.denseParameters, std::int64_t(6 * 6 + 5 * 6 + 4 * 9 + 9 * 5 + (6 + 6 + 9 + 5)));
        QCOMPARE(layerOps(m, l, 1).denseEquivalentMacs, double(macs));
        // Self-attention (value = query): S = T.
        ModelSpec self = m;
        self.find("mha")->inputs = {"q", "q"};
        inferShapes(self, false);
        QCOMPARE(layerStats(self, *self.find("mha")).macs,
                 std::int64_t(3 * (6 * 6 + 6 * 6 + 6 * 9 + 9 * 5) + 3 * 3 * 3 * 5));
    }

    void layerNormalizationCountsItsStatistics()
    {
        // Input(5, 4) → LayerNormalization: 3 multiplies + 4 adds per element, gamma and beta over
        // the normalised axes (no weights needed: an architecture without them estimates too).
        ModelSpec m;
        m.name = "ln";
        LayerSpec in;
        in.name = "in";
        in.kind = LayerKind::Input;
        in.inputShape = {5, 4};
        LayerSpec ln;
        ln.name = "ln";
        ln.kind = LayerKind::LayerNormalization;
        ln.inputs = {"in"};
        ln.axes = {-1};
        m.layers = {in, ln};
        m.inputs = {"in"};
        m.outputs = {"ln"};
        inferShapes(m, false);
        const OpCounts c = layerOps(m, *m.find("ln"), 1);
        QCOMPARE(c.mults, 3.0 * 20);
        QCOMPARE(c.adds, 4.0 * 20);
        QCOMPARE(c.otherOps, 7.0 * 20);
        QCOMPARE(layerWeightCount(m, *m.find("ln"), 8), 2.0 * 4); // never block-circulant
        m.layers[1].axes = {1, 2};
        m.layers[1].scale = false;
        QCOMPARE(layerWeightCount(m, m.layers[1], 1), 20.0);
    }

    void stepsSerialiseTheFrame()
    {
        // A tiny layer on a large datapath: the dependent chain, not the arithmetic, sets the time,
        // and it grows linearly with the sequence length.
        const Platform platform = findPlatform("xcku060");
        auto cycles = [&](std::int64_t steps) {
            ModelSpec m = lstmModel(steps, 4, 4);
            const DesignEstimate d = estimateDesign(m, platform, Precision::Fixed16, 1, {});
            for (const LayerEstimate& le : d.layers)
                if (le.name == "lstm_1")
                    return le.computeCycles;
            return -1.0;
        };
        const LayerSpec l = *lstmModel(1, 4, 4).find("lstm_1");
        QCOMPARE(cycles(50), 50 * recurrentStepDepth(l, 1));
        QCOMPARE(cycles(100), 2 * cycles(50));
    }

    void recurrentMatrixIsReadEveryStep()
    {
        // LSTM 1024 units on 512 inputs at 16 bit: W 4 MiB, U 8 MiB, more than the XCKU060's block
        // RAM. U is kept on chip first, W and the bias stream once per batch; the part of U that
        // does not fit streams every step, and the part on chip is read every step.
        const Platform platform = findPlatform("xcku060");
        for (const std::int64_t steps : {10, 20}) {
            ModelSpec m = lstmModel(steps, 512, 1024);
            for (const std::int64_t batch : {1, 4}) {
                const DesignEstimate d = estimateDesign(m, platform, Precision::Fixed16, batch, {});
                QVERIFY(d.activationsOnChip);
                const LayerEstimate& le = d.layers[1];
                QCOMPARE(le.name, std::string("lstm_1"));
                const double u = 4096.0 * 1024 * 16, all = le.weightBits;
                QCOMPARE(all, (4096.0 * (512 + 1024) + 4096) * 16);
                QVERIFY(le.weightBitsOnChip < u); // W, the bias and part of U stream
                const double uOff = u - le.weightBitsOnChip;
                const double off = (all - u) + uOff * double(steps);
                QCOMPARE(le.offchipBits, off / double(batch));
                QCOMPARE(le.onchipBits, le.weightBitsOnChip * double(steps) / double(batch) + le.activationBits);
            }
        }
        // A layer that fits: nothing from DRAM, U's spectra read from chip every step (plus the
        // per-step spectra of x_t, h and the gate pre-activations).
        ModelSpec small = lstmModel(10, 16, 16);
        EstimateOptions o;
        o.blocks.defaultBlockSize = 4;
        const Estimate e = estimateModel(small, platform, o);
        const LayerEstimate& le = e.circulant.layers[1];
        QCOMPARE(le.offchipBits, 0.0);
        const LayerSpec& l = *small.find("lstm_1");
        const double uBits = recurrentStateWeightCount(l, 4) * 16;
        QCOMPARE(uBits, 16.0 * 4 * 4 * 16); // p = 64/4 = 16 block rows, q_U = 4, k = 4
        QCOMPARE(le.onchipBits, (le.weightBits - uBits) + uBits * 10 + le.activationBits +
                                    2.0 * recurrentSpectraValues(l, {10, 16}, 4) * 16);
    }

    void sequenceArchitectures()
    {
        // Token ids → Embedding → GRU (sequences) → Dense per step → LSTM → Dense classifier.
        ModelSpec m;
        try {
            m = parseArchitecture(
                    R"({"input": [12], "layers": [{"embedding": 8, "vocab": 30, "mask_zero": true},
                {"gru": 6, "return_sequences": true, "reset_after": false}, {"dense": 5, "activation": "tanh"},
                {"lstm": 4, "go_backwards": true}, {"dense": 3}]})")
                    .model;
        } catch (const Error& e) {
            QFAIL(e.what());
        }
        QCOMPARE(m.name, std::string("rnn"));
        QCOMPARE(m.find("embedding_1")->outputShape, (Shape{12, 8}));
        QVERIFY(m.find("embedding_1")->maskZero);
        QCOMPARE(m.find("gru_2")->outputShape, (Shape{12, 6}));
        QVERIFY(!m.find("gru_2")->resetAfter);
        QCOMPARE(m.find("dense_1")->outputShape, (Shape{12, 5})); // per step, no Flatten
        QCOMPARE(m.find("lstm_3")->outputShape, (Shape{4}));
        QVERIFY(m.find("lstm_3")->goBackwards);
        QCOMPARE(m.layers.back().outputShape, (Shape{3}));
        QVERIFY_THROWS_EXCEPTION(ShapeError,
                                 parseArchitecture(R"({"input": [12], "layers": [{"lstm": 4}, {"dense": 2}]})"));
        QVERIFY_THROWS_EXCEPTION(ShapeError,
                                 parseArchitecture(R"({"input": [12], "layers": [{"embedding": 4}, {"dense": 2}]})"));
    }

    void planConvertsRecurrentLayers()
    {
        ModelSpec m = lstmModel(20, 16, 16);
        EstimateOptions o;
        o.blocks.defaultBlockSize = 8;
        const Estimate e = estimateModel(m, findPlatform("xcku060"), o);
        bool found = false;
        for (const LayerEstimate& le : e.circulant.layers)
            if (le.name == "lstm_1") {
                found = true;
                QCOMPARE(le.blockSize, std::int64_t(8));
                QVERIFY(le.hasWeights);
            }
        QVERIFY(found);
        QVERIFY(e.storageReduction > 1);
    }
};

QTEST_APPLESS_MAIN(TestRecurrentEstimate)
#include "TestRecurrentEstimate.moc"
