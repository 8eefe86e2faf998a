// The hardware cost model held to hand-computed cases and to invariants.
#include <QTest>

#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "common/Error.h"
#include "hw/EstimateJson.h"
#include "hw/Estimator.h"
#include "hw/PlatformRegistry.h"
#include "model/ArchitectureParser.h"
#include "model/ShapeInference.h"

using namespace circnn;
using namespace circnn::hw;

namespace {

// A bare width list as `circnn estimate` reads it (fc1, fc2, ... layers).
ModelSpec parseSpecString(const std::string& text)
{
    return parseArchitecture(text, LayerNaming::Numbered).model;
}

// Relative comparison for computed doubles (hand values are exact decimals).
#define CHECK_CLOSE(actual, expected)                                                                                  \
    do {                                                                                                               \
        const double a_ = (actual), e_ = (expected);                                                                   \
        if (!(std::abs(a_ - e_) <= 1e-9 * std::max(1.0, std::abs(e_))))                                                \
            QFAIL((std::string(#actual) + " = " + std::to_string(a_) + ", expected " + std::to_string(e_)).c_str());   \
    } while (0)

// The tiny platform of the hand-computed cases:
// 100 MHz; 2 blocks × 2 multipliers (16-bit) = 4 multipliers; 1 KiB = 8192 bits on chip;
// 128 bits/cycle on chip at 0.5 pJ/bit; 1 Gbit/s DRAM at 10 pJ/bit; 0.1 W static;
// 16-bit: add 0.1 pJ, mul 1 pJ.
Platform tinyPlatform()
{
    Platform p;
    p.name = "tiny";
    p.kind = PlatformKind::Asic;
    p.clockMhz = 100;
    p.dspBlocks = 2;
    p.multipliersPerDsp = {4, 2, 1};
    p.computeEfficiency = 1;
    p.onchipMemoryKib = 1;
    p.onchipBandwidthBitsPerCycle = 128;
    p.onchipEnergyPjPerBit = 0.5;
    p.offchipBandwidthGbps = 1;
    p.offchipEnergyPjPerBit = 10;
    p.staticPowerW = 0.1;
    p.energyPj = {OpEnergy{0.05, 0.25}, OpEnergy{0.1, 1.0}, OpEnergy{1.0, 4.0}};
    return p;
}

// A platform with memory so large and fast that every layer is compute bound.
Platform computeBoundPlatform()
{
    Platform p = tinyPlatform();
    p.onchipMemoryKib = 1 << 20;
    p.onchipBandwidthBitsPerCycle = 1e12;
    p.offchipBandwidthGbps = 1e9;
    return p;
}

LayerSpec input(const std::string& name, Shape shape)
{
    LayerSpec l;
    l.name = name;
    l.kind = LayerKind::Input;
    l.inputShape = std::move(shape);
    return l;
}

LayerSpec dense(const std::string& name, const std::string& from, std::int64_t units,
                ActivationKind act = ActivationKind::Relu)
{
    LayerSpec l;
    l.name = name;
    l.kind = LayerKind::Dense;
    l.inputs = {from};
    l.units = units;
    l.activation = act;
    return l;
}

LayerSpec conv(const std::string& name, const std::string& from, std::int64_t filters, std::int64_t kh, std::int64_t kw)
{
    LayerSpec l;
    l.name = name;
    l.kind = LayerKind::Conv2D;
    l.inputs = {from};
    l.units = filters;
    l.kernelH = kh;
    l.kernelW = kw;
    l.activation = ActivationKind::Relu;
    return l;
}

ModelSpec finish(ModelSpec m)
{
    m.inputs = {m.layers.front().name};
    m.outputs = {m.layers.back().name};
    inferShapes(m, false);
    return m;
}

// Input(8) → Dense "d" (4 units, bias, relu).
ModelSpec tinyModel()
{
    ModelSpec m;
    m.name = "tiny";
    m.layers = {input("in", {8}), dense("d", "in", 4)};
    return finish(m);
}

// Input(w) → N × Dense(w, relu).
ModelSpec stack(std::int64_t width, int layers)
{
    ModelSpec m;
    m.name = "stack";
    m.layers.push_back(input("in", {width}));
    std::string previous = "in";
    for (int i = 0; i < layers; ++i) {
        std::string name = "d";
        name.append(std::to_string(i));
        m.layers.push_back(dense(name, previous, width));
        previous = name;
    }
    return finish(m);
}

EstimateOptions withK(std::int64_t k, bool includeOutput = true)
{
    EstimateOptions o;
    o.blocks.defaultBlockSize = k;
    o.blocks.convertOutputLayer = includeOutput;
    return o;
}

void compareDesigns(const DesignEstimate& a, const DesignEstimate& b)
{
    QCOMPARE(a.layers.size(), b.layers.size());
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const LayerEstimate& x = a.layers[i];
        const LayerEstimate& y = b.layers[i];
        QCOMPARE(x.blockSize, y.blockSize);
        QCOMPARE(x.ops.mults, y.ops.mults);
        QCOMPARE(x.ops.adds, y.ops.adds);
        QCOMPARE(x.weightBits, y.weightBits);
        QCOMPARE(x.onchipBits, y.onchipBits);
        QCOMPARE(x.offchipBits, y.offchipBits);
        QCOMPARE(x.cycles, y.cycles);
        QCOMPARE(x.energy.totalPj(), y.energy.totalPj());
    }
    QCOMPARE(a.latencyS, b.latencyS);
    QCOMPARE(a.energy.totalPj(), b.energy.totalPj());
    QCOMPARE(a.weightBits, b.weightBits);
}

} // namespace

class TestEstimator : public QObject {
    Q_OBJECT
private slots:
    void fftButterflyCount()
    {
        QCOMPARE(realFftButterflies(1), 0.0);
        QCOMPARE(realFftButterflies(4), 2.0);   // 4/4 · log2 4
        QCOMPARE(realFftButterflies(8), 6.0);   // 8/4 · 3
        QCOMPARE(realFftButterflies(16), 16.0); // 16/4 · 4
        // 10 real operations per butterfly give the textbook 2.5·k·log2 k of a real FFT.
        QCOMPARE(10 * realFftButterflies(64), 2.5 * 64 * 6);
    }

    // Every figure of Input(8) → Dense(4, relu) on the tiny platform, dense, by hand.
    void handComputedDenseLayer()
    {
        const Estimate e = estimateModel(tinyModel(), tinyPlatform(), EstimateOptions{});
        const LayerEstimate& d = e.dense.layers.at(1);
        // MACs 8·4 = 32 → 32 mul + 32 add; + 4 bias adds + 4 relu compares = 40 adds.
        QCOMPARE(d.ops.mults, 32.0);
        QCOMPARE(d.ops.adds, 40.0);
        QCOMPARE(d.ops.denseEquivalentMacs, 32.0);
        // Weights 32 + 4 bias = 36 numbers × 16 bit = 576 bits; activations (8 + 4) × 16 = 192 bits.
        QCOMPARE(d.weightBits, 576.0);
        QCOMPARE(d.activationBits, 192.0);
        QVERIFY(d.weightsOnChip);      // 192 (activation buffer) + 576 ≤ 8192 bits
        QCOMPARE(d.onchipBits, 768.0); // 576 weight reads + 192 activation traffic
        QCOMPARE(d.offchipBits, 0.0);
        // Cycles: compute max(32, 40) / 4 = 10; on chip 768 / 128 = 6; DRAM 0 → compute bound.
        QCOMPARE(d.computeCycles, 10.0);
        QCOMPARE(d.onchipCycles, 6.0);
        QCOMPARE(d.cycles, 10.0);
        QVERIFY(d.bound == Bound::Compute);
        CHECK_CLOSE(d.latencyS, 1e-7); // 10 cycles / 100 MHz
        // Energy: compute 32·1 + 40·0.1 = 36 pJ; on chip 768·0.5 = 384 pJ; static 0.1 W · 1e-7 s = 1e4 pJ.
        CHECK_CLOSE(d.energy.computePj, 36.0);
        CHECK_CLOSE(d.energy.onchipPj, 384.0);
        QCOMPARE(d.energy.offchipPj, 0.0);
        CHECK_CLOSE(d.energy.staticPj, 10000.0);
        // Totals: 1e7 frames/s; 2·32·1e7 = 0.64 GOP/s effective; 72·1e7 = 0.72 GOP/s actual;
        // power 10420 pJ · 1e7 /s = 0.1042 W; peak 2·4·1e8 = 0.8 GOP/s.
        CHECK_CLOSE(e.dense.framesPerSecond, 1e7);
        CHECK_CLOSE(e.dense.effectiveGops, 0.64);
        CHECK_CLOSE(e.dense.actualGops, 0.72);
        CHECK_CLOSE(e.dense.energy.totalPj(), 10420.0);
        CHECK_CLOSE(e.dense.powerW, 0.1042);
        CHECK_CLOSE(e.dense.peakGops, 0.8);
        QCOMPARE(e.dense.multipliers, 4.0);
        CHECK_CLOSE(e.dense.computeUtilisation, 1.0);
        CHECK_CLOSE(e.dense.onchipMemoryUtilisation, 768.0 / 8192.0);
        // The input layer costs nothing.
        QCOMPARE(e.dense.layers.at(0).ops.total(), 0.0);
        QCOMPARE(e.dense.layers.at(0).cycles, 0.0);
    }

    // The same layer block-circulant with k = 4, by hand.
    void handComputedBlockCirculantLayer()
    {
        const Estimate e = estimateModel(tinyModel(), tinyPlatform(), withK(4));
        const LayerEstimate& c = e.circulant.layers.at(1);
        QCOMPARE(c.blockSize, std::int64_t(4));
        // m = 4, n = 8: p = 1, q = 2. Real FFT of 4 points: (4/4)·2 = 2 butterflies.
        // q + p = 3 transforms → 6 butterflies; complex MACs p·q·(4/2+1) = 6.
        QCOMPARE(c.ops.fftButterflies, 6.0);
        QCOMPARE(c.ops.complexMacs, 6.0);
        // mults 4·6 + 4·6 = 48; adds 6·6 + 4·6 + 4 bias + 4 relu = 68.
        QCOMPARE(c.ops.mults, 48.0);
        QCOMPARE(c.ops.adds, 68.0);
        QCOMPARE(c.ops.denseEquivalentMacs, 32.0);
        // Weights p·q·k + bias = 8 + 4 = 12 numbers = 192 bits.
        QCOMPARE(c.weightBits, 192.0);
        // On chip: 192 weights + 192 activations + spectra 2·(q + p)·(k/2+1)·2 reals·16 bit = 576 → 960.
        QCOMPARE(c.onchipBits, 960.0);
        // Compute 68 / 4 = 17 cycles; on chip 960 / 128 = 7.5 → compute bound, 1.7e-7 s.
        QCOMPARE(c.computeCycles, 17.0);
        QCOMPARE(c.onchipCycles, 7.5);
        QVERIFY(c.bound == Bound::Compute);
        CHECK_CLOSE(c.latencyS, 1.7e-7);
        // Energy: 48·1 + 68·0.1 = 54.8; 960·0.5 = 480; static 0.1 · 1.7e-7 = 1.7e4 pJ.
        CHECK_CLOSE(c.energy.computePj, 54.8);
        CHECK_CLOSE(c.energy.onchipPj, 480.0);
        CHECK_CLOSE(c.energy.staticPj, 17000.0);
        // Ratios: this layer is too small to gain: speedup 10/17, energy 10420 / 17534.8, storage 576/192.
        CHECK_CLOSE(e.speedup, 10.0 / 17.0);
        CHECK_CLOSE(e.energyEfficiencyGain, 10420.0 / 17534.8);
        CHECK_CLOSE(e.storageReduction, 3.0);
    }

    // With 512 bits on chip the weights no longer fit: by hand.
    void handComputedOffchipLayer()
    {
        Platform p = tinyPlatform();
        p.onchipMemoryKib = 512.0 / 8192.0; // 512 bits
        const Estimate e = estimateModel(tinyModel(), p, EstimateOptions{});
        const LayerEstimate& d = e.dense.layers.at(1);
        // Activation buffer 192 bits first; 320 bits of the 576 weight bits fit; 256 stream from DRAM.
        QVERIFY(e.dense.activationsOnChip);
        QVERIFY(!d.weightsOnChip);
        QCOMPARE(d.weightBitsOnChip, 320.0);
        QCOMPARE(d.offchipBits, 256.0);
        QCOMPARE(d.onchipBits, 512.0); // 320 + 192
        // DRAM: 256 bit / 1e9 bit/s = 256 ns = 25.6 cycles > 10 compute cycles → off-chip bound.
        CHECK_CLOSE(d.offchipCycles, 25.6);
        QVERIFY(d.bound == Bound::OffchipBandwidth);
        QVERIFY(e.dense.bound == Bound::OffchipBandwidth);
        CHECK_CLOSE(d.energy.offchipPj, 2560.0); // 256 · 10 pJ
        CHECK_CLOSE(d.energy.onchipPj, 256.0);   // 512 · 0.5 pJ
        CHECK_CLOSE(d.energy.staticPj, 25600.0); // 0.1 W · 256 ns
        QVERIFY(!e.warnings.empty());
    }

    // Batch 2: weights read once per batch, by hand.
    void handComputedBatch()
    {
        EstimateOptions o;
        o.batch = 2;
        const Estimate e = estimateModel(tinyModel(), tinyPlatform(), o);
        const LayerEstimate& d = e.dense.layers.at(1);
        QCOMPARE(d.onchipBits, 480.0);   // 576/2 + 192 per frame
        QCOMPARE(d.computeCycles, 20.0); // 2 · 40 / 4
        QCOMPARE(d.onchipCycles, 7.5);   // 2 · 480 / 128
        CHECK_CLOSE(e.dense.latencyS, 2e-7);
        CHECK_CLOSE(e.dense.framesPerSecond, 1e7);
        CHECK_CLOSE(d.energy.onchipPj, 240.0);
        CHECK_CLOSE(d.energy.staticPj, 10000.0); // 0.1 W · 2e-7 s / 2 frames
        QCOMPARE(e.dense.activationBufferBits, 384.0);
        QVERIFY_THROWS_EXCEPTION(ShapeError, [] {
            EstimateOptions bad;
            bad.batch = 0;
            estimateModel(tinyModel(), tinyPlatform(), bad);
        }());
    }

    // The tiny dense layer at 8-bit fixed point, by hand: 2 blocks × 4 = 8 multipliers.
    void handComputedEightBit()
    {
        EstimateOptions o;
        o.precision = Precision::Fixed8;
        const Estimate e = estimateModel(tinyModel(), tinyPlatform(), o);
        const LayerEstimate& d = e.dense.layers.at(1);
        QCOMPARE(e.dense.multipliers, 8.0);
        QCOMPARE(d.weightBits, 288.0);          // 36 numbers × 8 bit
        QCOMPARE(d.onchipBits, 384.0);          // 288 + (8 + 4) × 8
        QCOMPARE(d.computeCycles, 5.0);         // max(32, 40) / 8
        QCOMPARE(d.onchipCycles, 3.0);          // 384 / 128
        CHECK_CLOSE(d.energy.computePj, 10.0);  // 32 · 0.25 + 40 · 0.05
        CHECK_CLOSE(d.energy.onchipPj, 192.0);  // 384 · 0.5
        CHECK_CLOSE(d.energy.staticPj, 5000.0); // 0.1 W · 5 cycles / 100 MHz
    }

    // Input(4,4,8) → Conv2D(16, 3×3, valid) → (2,2,16), by hand.
    void handComputedConvLayer()
    {
        ModelSpec m;
        m.name = "conv";
        m.layers = {input("in", {4, 4, 8}), conv("c", "in", 16, 3, 3)};
        m = finish(m);
        const LayerSpec& c = m.layers[1];
        const OpCounts dense = layerOps(m, c, 1);
        QCOMPARE(dense.realMacs, 4.0 * 9 * 8 * 16);             // 4608
        QCOMPARE(dense.adds, 4608.0 + 64 + 64);                 // + bias + relu on 2·2·16 outputs
        QCOMPARE(layerWeightCount(m, c, 1), 9.0 * 8 * 16 + 16); // 1168
        // k = 8: p = 2, q = 1; 16 input positions × q FFTs + 4 output positions × p IFFTs = 24
        // transforms × 6 butterflies = 144; complex MACs 4 positions · 9 taps · 2 · 1 · 5 bins = 360.
        const OpCounts bc = layerOps(m, c, 8);
        QCOMPARE(bc.fftButterflies, 144.0);
        QCOMPARE(bc.complexMacs, 360.0);
        QCOMPARE(bc.mults, 4 * 144.0 + 4 * 360.0);
        QCOMPARE(bc.denseEquivalentMacs, 4608.0);
        QCOMPARE(layerWeightCount(m, c, 8), 9.0 * 2 * 1 * 8 + 16); // 160
    }

    void poolingActivationAndBatchNormOps()
    {
        ModelSpec m;
        m.name = "misc";
        LayerSpec pool;
        pool.name = "pool";
        pool.kind = LayerKind::MaxPooling2D;
        pool.inputs = {"in"};
        pool.kernelH = pool.kernelW = pool.strideH = pool.strideW = 2;
        LayerSpec avg = pool;
        avg.name = "avg";
        avg.kind = LayerKind::AveragePooling2D;
        avg.inputs = {"pool"};
        LayerSpec bn;
        bn.name = "bn";
        bn.kind = LayerKind::BatchNormalization;
        bn.inputs = {"avg"};
        LayerSpec sm;
        sm.name = "sm";
        sm.kind = LayerKind::Activation;
        sm.activation = ActivationKind::Softmax;
        sm.inputs = {"bn"};
        m.layers = {input("in", {8, 8, 3}), pool, avg, bn, sm};
        m = finish(m);
        // Max pool 2×2 → (4,4,3) = 48 outputs × 3 compares.
        QCOMPARE(layerOps(m, m.layers[1], 1).adds, 144.0);
        // Average 2×2 → (2,2,3) = 12 outputs × (3 adds + 1 mul).
        QCOMPARE(layerOps(m, m.layers[2], 1).adds, 36.0);
        QCOMPARE(layerOps(m, m.layers[2], 1).mults, 12.0);
        // Batch norm folded: 1 mul + 1 add per element; stores 2 numbers per channel.
        QCOMPARE(layerOps(m, m.layers[3], 1).mults, 12.0);
        QCOMPARE(layerWeightCount(m, m.layers[3], 1), 6.0);
        // Softmax: 2 mul + 2 add per element.
        QCOMPARE(layerOps(m, m.layers[4], 1).total(), 48.0);
    }

    // Compute energy is exactly Σ mults·E_mul + adds·E_add: linear in the operation counts.
    void energyLinearInOperationCounts()
    {
        const Platform p = computeBoundPlatform();
        for (Precision pr : kAllPrecisions) {
            EstimateOptions o;
            o.precision = pr;
            const double one = estimateModel(stack(64, 1), p, o).dense.energy.computePj;
            for (int n : {2, 3, 5}) {
                const Estimate e = estimateModel(stack(64, n), p, o);
                // n identical layers: n times the operations, n times the compute energy.
                CHECK_CLOSE(e.dense.ops.mults, n * 64.0 * 64.0);
                CHECK_CLOSE(e.dense.energy.computePj, n * one);
                CHECK_CLOSE(e.dense.energy.computePj,
                            e.dense.ops.mults * p.energy(pr).mulPj + e.dense.ops.adds * p.energy(pr).addPj);
            }
        }
        // Doubling the per-operation energies doubles the compute energy and nothing else.
        Platform twice = p;
        for (OpEnergy& e : twice.energyPj) {
            e.addPj *= 2;
            e.mulPj *= 2;
        }
        const Estimate a = estimateModel(stack(96, 2), p, withK(8));
        const Estimate b = estimateModel(stack(96, 2), twice, withK(8));
        CHECK_CLOSE(b.circulant.energy.computePj, 2 * a.circulant.energy.computePj);
        CHECK_CLOSE(b.circulant.energy.onchipPj, a.circulant.energy.onchipPj);
        CHECK_CLOSE(b.circulant.latencyS, a.circulant.latencyS);
    }

    void computeBoundLatencyHalvesWhenClockDoubles()
    {
        const Platform p = computeBoundPlatform();
        Platform fast = p;
        fast.clockMhz *= 2;
        for (std::int64_t k : {1, 4, 16}) {
            const Estimate a = estimateModel(stack(128, 3), p, withK(k));
            const Estimate b = estimateModel(stack(128, 3), fast, withK(k));
            QVERIFY(a.circulant.bound == Bound::Compute);
            CHECK_CLOSE(b.circulant.latencyS, a.circulant.latencyS / 2);
            CHECK_CLOSE(b.circulant.framesPerSecond, 2 * a.circulant.framesPerSecond);
            CHECK_CLOSE(b.circulant.energy.staticPj, a.circulant.energy.staticPj / 2);
            CHECK_CLOSE(b.circulant.energy.computePj, a.circulant.energy.computePj);
        }
    }

    void layerThatStopsFittingPaysOffchipEnergy()
    {
        // 1 KiB = 8192 bits on chip. Input(w) → Dense(w): w² + w weights of 16 bit and 2w activations.
        const Platform p = tinyPlatform();
        double previous = -1;
        bool sawOffchip = false;
        for (std::int64_t w : {8, 12, 16, 20, 24, 32}) {
            const Estimate e = estimateModel(stack(w, 1), p, EstimateOptions{});
            const LayerEstimate& l = e.dense.layers.at(1);
            const double need = (double(w) * w + w) * 16 + 2.0 * w * 16;
            if (need <= 8192) {
                QVERIFY(l.weightsOnChip);
                QCOMPARE(l.energy.offchipPj, 0.0);
            } else {
                sawOffchip = true;
                QVERIFY(!l.weightsOnChip);
                // Exactly the bits beyond the capacity stream from DRAM at 10 pJ/bit.
                CHECK_CLOSE(l.offchipBits, need - 8192);
                CHECK_CLOSE(l.energy.offchipPj, (need - 8192) * 10);
                QVERIFY(l.energy.offchipPj > previous);
                previous = l.energy.offchipPj;
            }
        }
        QVERIFY(sawOffchip);
    }

    void kOneReproducesDense()
    {
        const Platform p = builtinPlatforms().front();
        ModelSpec m = stack(100, 3);
        const Estimate a = estimateModel(m, p, withK(1));
        QVERIFY(a.circulant.blockSizes.empty());
        compareDesigns(a.circulant, a.dense);
        QCOMPARE(a.speedup, 1.0);
        QCOMPARE(a.energyEfficiencyGain, 1.0);
        EstimateOptions perLayer;
        perLayer.blocks.perLayer = {{"d0", 1}, {"d1", 1}, {"d2", 1}};
        const Estimate b = estimateModel(m, p, perLayer);
        compareDesigns(b.circulant, a.dense);
        // And the ops of every layer at k = 1 are those of a dense layer.
        for (const LayerSpec& l : m.layers) {
            const OpCounts o = layerOps(m, l, 1);
            QCOMPARE(o.fftButterflies, 0.0);
            QCOMPARE(o.complexMacs, 0.0);
        }
    }

    // Over powers of two that every layer admits, storage never grows with k; random shapes,
    // including dimensions k does not divide.
    void largerKNeverIncreasesStorage()
    {
        std::mt19937 rng(1234);
        std::uniform_int_distribution<std::int64_t> dim(64, 300);
        for (int trial = 0; trial < 20; ++trial) {
            ModelSpec m;
            m.name = "random";
            const std::int64_t c = dim(rng) / 2;
            m.layers = {input("in", {6, 6, c}), conv("c1", "in", dim(rng), 3, 3)};
            LayerSpec flat;
            flat.name = "flat";
            flat.kind = LayerKind::Flatten;
            flat.inputs = {"c1"};
            m.layers.push_back(flat);
            m.layers.push_back(dense("d1", "flat", dim(rng)));
            m.layers.push_back(dense("d2", "d1", dim(rng)));
            m = finish(m);
            const Platform p = builtinPlatforms().front();
            double previous = INFINITY;
            double previousOff = INFINITY;
            for (std::int64_t k = 1; k <= 32; k *= 2) {
                const Estimate e = estimateModel(m, p, withK(k));
                QCOMPARE(e.circulant.blockSizes.size(), k == 1 ? std::size_t(0) : std::size_t(3));
                QVERIFY2(e.circulant.weightBits <= previous, ("storage grew at k = " + std::to_string(k)).c_str());
                QVERIFY(e.circulant.offchipBits <= previousOff + 1e-6);
                previous = e.circulant.weightBits;
                previousOff = e.circulant.offchipBits;
            }
        }
    }

    void blockSizeRules()
    {
        // 32-16-5: with k = 8 the output layer stays dense unless asked; with k = 32 the second
        // layer (16 units) is too small.
        const ModelSpec m = parseSpecString("32-16-5");
        std::vector<std::string> warnings;
        std::map<std::string, std::string> notes;
        ConversionPlan c;
        c.defaultBlockSize = 8;
        auto ks = resolveBlockSizes(m, c, warnings, notes);
        QCOMPARE(ks.size(), std::size_t(1));
        QCOMPARE(ks.at("fc1"), std::int64_t(8));
        QVERIFY(notes.count("fc2"));
        c.perLayer = {{"fc2", 4}};
        ks = resolveBlockSizes(m, c, warnings, notes);
        QCOMPARE(ks.at("fc2"), std::int64_t(4));
        c = {};
        c.defaultBlockSize = 32;
        c.convertOutputLayer = true;
        warnings.clear();
        ks = resolveBlockSizes(m, c, warnings, notes);
        QVERIFY(ks.empty());
        QVERIFY(!warnings.empty());
        c = {};
        c.perLayer = {{"nope", 4}};
        QVERIFY_THROWS_EXCEPTION(ShapeError, resolveBlockSizes(m, c, warnings, notes));
        c.perLayer = {{"input", 4}};
        QVERIFY_THROWS_EXCEPTION(ShapeError, resolveBlockSizes(m, c, warnings, notes));
        c.perLayer = {{"fc1", 0}};
        QVERIFY_THROWS_EXCEPTION(ShapeError, resolveBlockSizes(m, c, warnings, notes));
    }

    void conversionPlanAsChoice()
    {
        const ModelSpec m = parseSpecString("64-32-32-10");
        ConversionPlan plan;
        plan.perLayer = {{"fc1", 8}, {"fc3", 2}};
        EstimateOptions o;
        o.blocks = plan;
        const Estimate e = estimateModel(m, builtinPlatforms().front(), o);
        QCOMPARE(e.circulant.layers[1].blockSize, std::int64_t(8));
        QCOMPARE(e.circulant.layers[2].blockSize, std::int64_t(1));
        QCOMPARE(e.circulant.layers[3].blockSize, std::int64_t(2)); // named: the output layer too
    }

    void layersAlreadyBlockCirculantKeepTheirK()
    {
        ModelSpec m = stack(64, 2);
        CirculantWeights cw;
        cw.k = 16;
        cw.rows = cw.cols = 64;
        m.layers[1].circulant = cw; // architecture only: no vectors needed
        const Estimate e = estimateModel(m, builtinPlatforms().front(), withK(4));
        QCOMPARE(e.circulant.layers[1].blockSize, std::int64_t(16));
        QCOMPARE(e.circulant.layers[2].blockSize, std::int64_t(4));
        QCOMPARE(e.dense.layers[1].blockSize, std::int64_t(1));
        bool warned = false;
        for (const std::string& w : e.warnings)
            warned = warned || w.find("already block-circulant") != std::string::npos;
        QVERIFY(warned);
        // Without any request the spec's own k is compared with dense.
        const Estimate own = estimateModel(m, builtinPlatforms().front(), EstimateOptions{});
        QCOMPARE(own.circulant.blockSizes.size(), std::size_t(1));
        QVERIFY(own.storageReduction > 1);
    }

    void widthListEstimate()
    {
        // The parser itself is tested in tests/core/model (TestArchitectureParser).
        const ModelSpec m = parseSpecString("9216-4096-4096-1000");
        // AlexNet's FC layers: 9216·4096 + 4096·4096 + 4096·1000 = 58,621,952 MACs.
        const Estimate e = estimateModel(m, builtinPlatforms().front(), EstimateOptions{});
        QCOMPARE(e.dense.ops.denseEquivalentMacs, 58621952.0);
    }

    void resultCarriesAssumptionsAndJson()
    {
        const Platform p = findPlatform("xcku060");
        const Estimate e = estimateModel(parseSpecString("1024-512-10"), p, withK(8, false));
        QVERIFY(e.assumptions.size() >= 5);
        const nlohmann::ordered_json j = estimateToJson(e);
        QCOMPARE(j.at("kind").get<std::string>(), std::string("estimate"));
        QCOMPARE(j.at("platform").get<std::string>(), std::string("xcku060"));
        QCOMPARE(j.at("block_circulant").at("latency_s").get<double>(), e.circulant.latencyS);
        QCOMPARE(j.at("dense").at("energy_pj_per_frame").at("total").get<double>(), e.dense.energy.totalPj());
        QCOMPARE(j.at("block_circulant").at("layers").size(), e.circulant.layers.size());
        QCOMPARE(j.at("block_circulant").at("layers").at(1).at("k").get<std::int64_t>(), std::int64_t(8));
        QCOMPARE(j.at("assumptions").size(), e.assumptions.size());
        QCOMPARE(j.at("speedup").get<double>(), e.speedup);
    }

    void userPlatformWithoutSourcesWarns()
    {
        const Estimate e = estimateModel(tinyModel(), tinyPlatform(), EstimateOptions{});
        bool warned = false;
        for (const std::string& w : e.warnings)
            warned = warned || w.find("\"clock_mhz\" states no source") != std::string::npos;
        QVERIFY(warned);
    }
};

QTEST_APPLESS_MAIN(TestEstimator)
#include "TestEstimator.moc"
