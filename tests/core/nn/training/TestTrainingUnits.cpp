// Optimizer steps against hand-computed values, learning-rate schedules, the loss, index
// shuffling / splitting and architecture descriptions (parsing, errors, initialisation).

#include <QTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "TestSupport.h"
#include "common/Error.h"
#include "common/Parallel.h"
#include "nn/training/Architecture.h"
#include "nn/training/LearningRateSchedule.h"
#include "nn/training/Optimizer.h"
#include "nn/training/OptimizerKernels.h"
#include "nn/training/SoftmaxCrossEntropy.h"
#include "nn/training/Trainer.h"

using namespace circnn;

class TestTrainingUnits : public QObject {
    Q_OBJECT

private slots:
    void sgdMomentumSteps()
    {
        OptimizerOptions o;
        o.kind = OptimizerKind::Sgd;
        o.learningRate = 0.1;
        o.momentum = 0.9;
        Optimizer opt(o);
        std::vector<float> w{1.0f};
        std::vector<ParameterRef> params{{"dense", "kernel", std::span<float>(w)}};
        std::vector<Tensor> g{Tensor({1}, {0.5f})};
        opt.step(params, g, 0.1);
        QVERIFY(std::abs(w[0] - 0.95f) < 1e-6f); // v = 0.5
        opt.step(params, g, 0.1);
        QVERIFY(std::abs(w[0] - 0.855f) < 1e-6f); // v = 0.9·0.5 + 0.5 = 0.95
        QCOMPARE(opt.stepCount(), std::int64_t(2));
    }

    void weightDecayOnlyOnWeights()
    {
        OptimizerOptions o;
        o.kind = OptimizerKind::Sgd;
        o.momentum = 0;
        o.learningRate = 0.1;
        o.weightDecay = 0.1;
        Optimizer opt(o);
        std::vector<float> k{1.0f}, v{1.0f}, b{1.0f};
        std::vector<ParameterRef> params{{"d", "kernel", std::span<float>(k)},
                                         {"c", "vectors", std::span<float>(v)},
                                         {"d", "bias", std::span<float>(b)}};
        std::vector<Tensor> g{Tensor({1}, {0.5f}), Tensor({1}, {0.5f}), Tensor({1}, {0.5f})};
        opt.step(params, g, 0.1);
        QVERIFY(std::abs(k[0] - 0.94f) < 1e-6f); // g + λw = 0.6
        QVERIFY(std::abs(v[0] - 0.94f) < 1e-6f);
        QVERIFY(std::abs(b[0] - 0.95f) < 1e-6f); // bias not decayed
    }

    void adamSteps()
    {
        OptimizerOptions o;
        o.kind = OptimizerKind::Adam;
        o.learningRate = 0.01;
        Optimizer opt(o);
        std::vector<float> w{1.0f, -2.0f};
        std::vector<ParameterRef> params{{"d", "kernel", std::span<float>(w)}};
        std::vector<Tensor> g{Tensor({2}, {0.5f, 0.0f})};
        opt.step(params, g, 0.01);
        // First step: bias-corrected m̂ = g, ŝ = g², so the step is η·g/(|g|+ε) ≈ η.
        QVERIFY(std::abs(w[0] - 0.99f) < 1e-6f);
        QCOMPARE(w[1], -2.0f); // zero gradient: no move
        g[0] = Tensor({2}, {-0.25f, 0.0f});
        opt.step(params, g, 0.01);
        // m = 0.9·0.05 − 0.025 = 0.02; s = 0.999·2.5e-4 + 0.001·0.0625 = 3.1225e-4;
        // m̂ = 0.02/0.19 = 0.1052632; ŝ = 3.1225e-4/0.001999 = 0.1562031; step = 0.01·0.1052632/0.3952254
        QVERIFY2(std::abs(w[0] - 0.9873366f) < 2e-6f, std::to_string(w[0]).c_str());
    }

    void optimizerStepsDoNotDependOnThreads()
    {
        // Large parameters are updated in element ranges on several threads: bit-identical to one
        // thread, for both optimizers (several steps, so the moment buffers take part too).
        for (const OptimizerKind kind : {OptimizerKind::Sgd, OptimizerKind::Adam}) {
            std::vector<std::vector<float>> results;
            for (const std::size_t threads : {std::size_t(1), std::size_t(2), std::size_t(3)}) {
                setWorkerCount(threads);
                OptimizerOptions o;
                o.kind = kind;
                o.momentum = 0.9;
                o.weightDecay = 1e-3;
                Optimizer opt(o);
                std::vector<float> w(300001);
                for (std::size_t i = 0; i < w.size(); ++i)
                    w[i] = std::sin(0.001f * static_cast<float>(i));
                std::vector<ParameterRef> params{{"d", "kernel", std::span<float>(w)}};
                for (int step = 0; step < 3; ++step) {
                    std::vector<Tensor> g{Tensor({static_cast<std::int64_t>(w.size())})};
                    for (std::int64_t i = 0; i < g[0].size(); ++i)
                        g[0][i] = std::cos(0.002f * static_cast<float>(i + step));
                    opt.step(params, g, 0.01);
                }
                results.push_back(w);
            }
            setWorkerCount(0);
            QVERIFY(results[1] == results[0]);
            QVERIFY(results[2] == results[0]);
        }
    }

    void optimizerKernelsMatchReference()
    {
        // The vectorised update loops against the plain scalar loops, to the last bit: random values
        // over many magnitudes plus zeros of both signs, subnormals and large values; lengths that are
        // not multiples of any vector width and arrays starting off alignment; with and without weight
        // decay; several steps (the moment buffers feed back).
        std::mt19937 rng(7);
        std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
        std::uniform_int_distribution<int> exponent(-30, 10);
        const auto value = [&] {
            const float v = std::ldexp(unit(rng), exponent(rng));
            const int pick = int(rng() % 16);
            return pick == 0   ? 0.0f
                   : pick == 1 ? -0.0f
                   : pick == 2 ? std::numeric_limits<float>::denorm_min() * float(rng() % 100)
                   : pick == 3 ? 1e30f * unit(rng)
                               : v;
        };
        const auto sameBits = [](const std::vector<float>& a, const std::vector<float>& b) {
            return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
        };
        for (const std::size_t n :
             {std::size_t(1), std::size_t(7), std::size_t(31), std::size_t(1000), std::size_t(4099)})
            for (const std::size_t offset : {std::size_t(0), std::size_t(3)})
                for (const double decay : {0.0, 1e-2}) {
                    std::vector<float> w(n + offset), g(n + offset), m(n + offset), s(n + offset);
                    for (std::size_t i = 0; i < w.size(); ++i) {
                        w[i] = value();
                        m[i] = value();
                        s[i] = std::abs(value()); // a second moment is never negative
                    }
                    std::vector<float> w2 = w, m2 = m, s2 = s, wa = w, ma = m, sa = s, wb = w, mb = m;
                    for (int step = 1; step <= 4; ++step) {
                        for (float& x : g)
                            x = value();
                        optimizer::AdamCoefficients a;
                        a.learningRate = 1e-3 * step;
                        a.beta1 = 0.9;
                        a.beta2 = 0.999;
                        a.epsilon = 1e-7;
                        a.weightDecay = decay;
                        a.correction1 = 1 - std::pow(0.9, step);
                        a.correction2 = 1 - std::pow(0.999, step);
                        optimizer::adamUpdate(a, wa.data() + offset, ma.data() + offset, sa.data() + offset,
                                              g.data() + offset, n);
                        optimizer::adamUpdateReference(a, w2.data() + offset, m2.data() + offset, s2.data() + offset,
                                                       g.data() + offset, n);
                        optimizer::SgdCoefficients c;
                        c.learningRate = 1e-2;
                        c.momentum = 0.9;
                        c.weightDecay = decay;
                        optimizer::sgdUpdate(c, wb.data() + offset, mb.data() + offset, g.data() + offset, n);
                        optimizer::sgdUpdateReference(c, w.data() + offset, m.data() + offset, g.data() + offset, n);
                    }
                    const QByteArray where = QByteArray("n = ") + QByteArray::number(qulonglong(n)) + ", offset " +
                                             QByteArray::number(qulonglong(offset)) + ", decay " +
                                             QByteArray::number(decay);
                    QVERIFY2(sameBits(wa, w2) && sameBits(ma, m2) && sameBits(sa, s2), "Adam: " + where);
                    QVERIFY2(sameBits(wb, w) && sameBits(mb, m), "SGD: " + where);
                    QVERIFY2(!sameBits(wa, s), "the updates changed nothing");
                }
    }

    void optimizerStepMatchesReferenceLoop()
    {
        // Optimizer::step over several parameters (decayed weights, undecayed biases; one range split
        // over the threads across parameter boundaries) equals the reference loop applied per
        // parameter, for 1 and 3 threads.
        for (const std::size_t threads : {std::size_t(1), std::size_t(3)}) {
            setWorkerCount(threads);
            OptimizerOptions o;
            o.kind = OptimizerKind::Adam;
            o.weightDecay = 1e-3;
            Optimizer opt(o);
            std::vector<float> k(70001), b(33), v(50000);
            for (std::size_t i = 0; i < k.size(); ++i)
                k[i] = std::sin(0.01f * static_cast<float>(i));
            for (std::size_t i = 0; i < v.size(); ++i)
                v[i] = std::cos(0.003f * static_cast<float>(i));
            std::vector<float> kr = k, br = b, vr = v;
            std::vector<std::vector<float>> mr{std::vector<float>(k.size()), std::vector<float>(b.size()),
                                               std::vector<float>(v.size())};
            std::vector<std::vector<float>> sr = mr;
            std::vector<ParameterRef> params{{"d", "kernel", std::span<float>(k)},
                                             {"d", "bias", std::span<float>(b)},
                                             {"c", "vectors", std::span<float>(v)}};
            std::vector<float*> ref{kr.data(), br.data(), vr.data()};
            for (int step = 1; step <= 3; ++step) {
                std::vector<Tensor> g;
                for (const ParameterRef& p : params) {
                    g.emplace_back(Shape{static_cast<std::int64_t>(p.values.size())});
                    for (std::int64_t i = 0; i < g.back().size(); ++i)
                        g.back()[i] = std::sin(0.7f * static_cast<float>(i * step) + 0.1f);
                }
                opt.step(params, g, 0.002);
                for (std::size_t t = 0; t < params.size(); ++t) {
                    optimizer::AdamCoefficients a;
                    a.learningRate = 0.002;
                    a.beta1 = o.beta1;
                    a.beta2 = o.beta2;
                    a.epsilon = o.epsilon;
                    a.weightDecay = params[t].role == "bias" ? 0.0 : o.weightDecay;
                    a.correction1 = 1 - std::pow(o.beta1, double(step));
                    a.correction2 = 1 - std::pow(o.beta2, double(step));
                    optimizer::adamUpdateReference(a, ref[t], mr[t].data(), sr[t].data(), g[t].data(),
                                                   params[t].values.size());
                }
            }
            QVERIFY(k == kr);
            QVERIFY(b == br);
            QVERIFY(v == vr);
        }
        setWorkerCount(0);
    }

    void optimizerSumsGradientPartsLikeTheTrainer()
    {
        // stepSummed (the trainer's per-thread shards summed block by block inside the step) equals
        // step() on gradients summed beforehand in the same order, to the last bit; SGD and Adam,
        // 1, 2 and 3 parts, 1 and 2 threads, a parameter longer than the summing block.
        for (const OptimizerKind kind : {OptimizerKind::Sgd, OptimizerKind::Adam})
            for (const std::size_t count : {std::size_t(1), std::size_t(2), std::size_t(3)})
                for (const std::size_t threads : {std::size_t(1), std::size_t(2)}) {
                    setWorkerCount(threads);
                    OptimizerOptions o;
                    o.kind = kind;
                    o.weightDecay = 1e-2;
                    Optimizer summed(o), plain(o);
                    std::vector<float> k(40000), b(17);
                    for (std::size_t i = 0; i < k.size(); ++i)
                        k[i] = std::sin(0.37f * static_cast<float>(i));
                    const std::vector<float> k0 = k;
                    std::vector<float> k2 = k, b2 = b;
                    std::vector<ParameterRef> params{{"d", "kernel", std::span<float>(k)},
                                                     {"d", "bias", std::span<float>(b)}};
                    std::vector<ParameterRef> params2{{"d", "kernel", std::span<float>(k2)},
                                                      {"d", "bias", std::span<float>(b2)}};
                    for (int step = 0; step < 3; ++step) {
                        std::vector<std::vector<Tensor>> parts(count);
                        std::vector<Tensor> sum;
                        for (const ParameterRef& p : params)
                            sum.emplace_back(Shape{static_cast<std::int64_t>(p.values.size())});
                        for (std::size_t c = 0; c < count; ++c)
                            for (std::size_t t = 0; t < params.size(); ++t) {
                                Tensor g(Shape{static_cast<std::int64_t>(params[t].values.size())});
                                for (std::int64_t i = 0; i < g.size(); ++i) {
                                    g[i] = std::cos(0.11f * static_cast<float>(i + 7 * c + 13 * step)) / 3.0f;
                                    sum[t][i] = c == 0 ? g[i] : sum[t][i] + g[i];
                                }
                                parts[c].push_back(std::move(g));
                            }
                        std::vector<const std::vector<Tensor>*> pointers;
                        for (const auto& part : parts)
                            pointers.push_back(&part);
                        summed.stepSummed(params, pointers, 0.01);
                        plain.step(params2, sum, 0.01);
                    }
                    QVERIFY(k == k2);
                    QVERIFY(b == b2);
                    QVERIFY(k != k0); // the steps moved the weights
                }
        setWorkerCount(0);
    }

    void optimizerFormsKernelGradientsFromSources()
    {
        // A kernel whose gradient comes from a KernelGradientSource (dK = Σ_s x_sᵀ·g_s, formed block
        // by block inside the step) is updated exactly as by stepSummed on the shards' gradients
        // x_sᵀ·g_s computed whole by the naive triple loop in float… up to the product's rounding
        // (BLAS sums in another order): to 1e-6 after three steps that move weights by ~1e-2. Shapes: a kernel of
        // several row blocks with a partial last one (700 × 1500 against blocks of 1 MB), and a small odd one (37 ×
        // 19); 1–3 shards, one of them empty; SGD and Adam; 1 and 2 threads. The results of the fused path are also
        // bit-identical for 1 and 2 threads.
        struct Shape2 {
            std::int64_t in, out;
        };
        for (const Shape2 shape : {Shape2{700, 1500}, Shape2{37, 19}})
            for (const OptimizerKind kind : {OptimizerKind::Sgd, OptimizerKind::Adam})
                for (const std::size_t shards : {std::size_t(1), std::size_t(2), std::size_t(3)}) {
                    std::vector<float> firstThreadCount;
                    for (const std::size_t threads : {std::size_t(1), std::size_t(2)}) {
                        setWorkerCount(threads);
                        OptimizerOptions o;
                        o.kind = kind;
                        o.weightDecay = 1e-2;
                        Optimizer fusedOpt(o), plainOpt(o);
                        std::vector<float> k(static_cast<std::size_t>(shape.in * shape.out)), b(5);
                        for (std::size_t i = 0; i < k.size(); ++i)
                            k[i] = 0.1f * std::sin(0.37f * static_cast<float>(i));
                        const std::vector<float> k0 = k;
                        std::vector<float> k2 = k, b2 = b;
                        std::vector<ParameterRef> fusedParams{{"d", "bias", std::span<float>(b)},
                                                              {"d", "kernel", std::span<float>(k)}};
                        std::vector<ParameterRef> plainParams{{"d", "bias", std::span<float>(b2)},
                                                              {"d", "kernel", std::span<float>(k2)}};
                        for (int step = 0; step < 3; ++step) {
                            std::vector<std::vector<float>> xs(shards), gs(shards);
                            std::vector<std::vector<Tensor>> plainParts(shards), fusedParts(shards);
                            KernelGradientSource source;
                            source.parameter = 1;
                            source.in = shape.in;
                            source.out = shape.out;
                            for (std::size_t s = 0; s < shards; ++s) {
                                const std::int64_t rows = s == 1 ? 0 : 3 + static_cast<std::int64_t>(s);
                                xs[s].resize(static_cast<std::size_t>(rows * shape.in));
                                gs[s].resize(static_cast<std::size_t>(rows * shape.out));
                                for (std::size_t i = 0; i < xs[s].size(); ++i)
                                    xs[s][i] = std::cos(0.013f * static_cast<float>(i + 5 * s + 11 * step));
                                for (std::size_t i = 0; i < gs[s].size(); ++i)
                                    gs[s][i] = std::sin(0.029f * static_cast<float>(i + 3 * s + 7 * step)) / 4.0f;
                                source.parts.push_back({xs[s].data(), gs[s].data(), rows});
                                Tensor dk(Shape{shape.in * shape.out});
                                for (std::int64_t r = 0; r < rows; ++r)
                                    for (std::int64_t i = 0; i < shape.in; ++i)
                                        for (std::int64_t j = 0; j < shape.out; ++j)
                                            dk[i * shape.out + j] += xs[s][static_cast<std::size_t>(r * shape.in + i)] *
                                                                     gs[s][static_cast<std::size_t>(r * shape.out + j)];
                                Tensor bias(Shape{5}, 0.01f * static_cast<float>(s + 1));
                                plainParts[s].push_back(bias);
                                plainParts[s].push_back(std::move(dk));
                                fusedParts[s].push_back(bias);
                                fusedParts[s].push_back(Tensor(Shape{1})); // ignored: the source replaces it
                            }
                            std::vector<const std::vector<Tensor>*> plainPointers, fusedPointers;
                            for (std::size_t s = 0; s < shards; ++s) {
                                plainPointers.push_back(&plainParts[s]);
                                fusedPointers.push_back(&fusedParts[s]);
                            }
                            fusedOpt.stepSummed(fusedParams, fusedPointers, 0.01, {source});
                            plainOpt.stepSummed(plainParams, plainPointers, 0.01);
                        }
                        QVERIFY(b == b2);
                        double worst = 0, moved = 0;
                        for (std::size_t i = 0; i < k.size(); ++i) {
                            worst = std::max(worst, double(std::abs(k[i] - k2[i])));
                            moved = std::max(moved, double(std::abs(k[i] - k0[i])));
                        }
                        QVERIFY2(moved > 1e-3, std::to_string(moved).c_str());
                        QVERIFY2(worst <= 1e-6,
                                 (std::to_string(worst) + " after moving " + std::to_string(moved)).c_str());
                        if (threads == 1)
                            firstThreadCount = k;
                        else
                            QVERIFY(k == firstThreadCount);
                    }
                }
        setWorkerCount(0);
        // Bad sources are refused before anything is updated.
        Optimizer opt(OptimizerOptions{});
        std::vector<float> w(6, 1.0f);
        const std::vector<float> w0 = w;
        std::vector<ParameterRef> params{{"d", "kernel", std::span<float>(w)}};
        std::vector<Tensor> g{Tensor({1})};
        KernelGradientSource wrongShape;
        wrongShape.in = 4;
        wrongShape.out = 2;
        QVERIFY_THROWS_EXCEPTION(ShapeError, opt.stepSummed(params, {&g}, 0.1, {wrongShape}));
        KernelGradientSource outOfRange;
        outOfRange.parameter = 1;
        outOfRange.in = 3;
        outOfRange.out = 2;
        QVERIFY_THROWS_EXCEPTION(ShapeError, opt.stepSummed(params, {&g}, 0.1, {outOfRange}));
        KernelGradientSource missingData;
        missingData.in = 3;
        missingData.out = 2;
        missingData.parts.push_back({nullptr, nullptr, 2});
        QVERIFY_THROWS_EXCEPTION(ShapeError, opt.stepSummed(params, {&g}, 0.1, {missingData}));
        QVERIFY(w == w0);
        QCOMPARE(opt.stepCount(), std::int64_t(0));
    }

    void optimizerRejectsBadInput()
    {
        OptimizerOptions o;
        o.learningRate = -1;
        QVERIFY_THROWS_EXCEPTION(Error, Optimizer{o});
        o.learningRate = 0.1;
        o.momentum = 1.5;
        QVERIFY_THROWS_EXCEPTION(Error, Optimizer{o});
        Optimizer opt(OptimizerOptions{});
        std::vector<float> w{1.0f, 2.0f};
        std::vector<ParameterRef> params{{"d", "kernel", std::span<float>(w)}};
        std::vector<Tensor> g{Tensor({3})};
        QVERIFY_THROWS_EXCEPTION(ShapeError, opt.step(params, g, 0.1));
        QVERIFY(optimizerFromName("adam") == OptimizerKind::Adam);
        QVERIFY(!optimizerFromName("rmsprop"));
    }

    void schedules()
    {
        ScheduleOptions c;
        c.kind = ScheduleKind::Cosine;
        const double expected[] = {1.0, 0.8535534, 0.5, 0.1464466};
        for (int e = 0; e < 4; ++e)
            QVERIFY(std::abs(learningRateAt(c, 2.0, e, 4) - 2.0 * expected[e]) < 1e-6);
        ScheduleOptions s;
        s.kind = ScheduleKind::Step;
        s.stepEpochs = 2;
        s.gamma = 0.5;
        const double steps[] = {1, 1, 0.5, 0.5, 0.25, 0.25};
        for (int e = 0; e < 6; ++e)
            QCOMPARE(learningRateAt(s, 1.0, e, 6), steps[e]);
        s.stepEpochs = 0; // default: every max(1, E/3) epochs
        QCOMPARE(learningRateAt(s, 1.0, 2, 6), 0.5);
        QCOMPARE(learningRateAt(ScheduleOptions{}, 0.3, 5, 6), 0.3);
        QVERIFY_THROWS_EXCEPTION(Error, learningRateAt(c, 1.0, 4, 4));
        // Linear warm-up over the first W epochs' steps (W = 1.5, 4 steps per epoch: 6 steps).
        ScheduleOptions w;
        w.warmupEpochs = 1.5;
        for (int step = 0; step < 6; ++step)
            QVERIFY(std::abs(warmupFactor(w, step, 4) - (step + 1) / 6.0) < 1e-12);
        QCOMPARE(warmupFactor(w, 6, 4), 1.0);
        QCOMPARE(warmupFactor(w, 1000, 4), 1.0);
        QCOMPARE(warmupFactor(ScheduleOptions{}, 0, 4), 1.0);
        w.warmupEpochs = -1;
        QVERIFY_THROWS_EXCEPTION(Error, warmupFactor(w, 0, 4));
        w.warmupEpochs = 1;
        QVERIFY_THROWS_EXCEPTION(Error, warmupFactor(w, 0, 0));
        QVERIFY(scheduleFromName("cosine") == ScheduleKind::Cosine);
        QVERIFY(!scheduleFromName("linear"));
    }

    void softmaxCrossEntropyValues()
    {
        Tensor z({2, 2}, {0.0f, std::log(3.0f), 1000.0f, 0.0f});
        const std::int32_t labels[] = {1, 1};
        Tensor g;
        const LossSums s = softmaxCrossEntropy(z, labels, &g, 0.5);
        // Sample 0: p = (1/4, 3/4), loss −ln 0.75; sample 1: loss 1000 (stable, no overflow).
        QVERIFY(std::abs(s.lossSum - (-std::log(0.75) + 1000.0)) < 1e-3);
        QCOMPARE(s.correct, std::int64_t(1));
        QVERIFY(std::abs(g[0] - 0.125f) < 1e-6f && std::abs(g[1] + 0.125f) < 1e-6f);
        QVERIFY(std::abs(g[2] - 0.5f) < 1e-6f && std::abs(g[3] + 0.5f) < 1e-6f);
        const std::int32_t bad[] = {0, 2};
        QVERIFY_THROWS_EXCEPTION(ShapeError, softmaxCrossEntropy(z, bad));
    }

    void distillationTargets()
    {
        // T = 1, α = 0.5: q = 0.5·onehot(1) + 0.5·(0.5, 0.5) = (0.25, 0.75) = p, so the gradient vanishes.
        Tensor z({1, 2}, {0.0f, std::log(3.0f)});
        Tensor soft({1, 2}, {0.5f, 0.5f});
        const std::int32_t label[] = {1};
        Tensor g;
        const LossSums s = softmaxCrossEntropy(z, label, &g, 1.0, &soft, 0.5, 1.0);
        QVERIFY(std::abs(g[0]) < 1e-6f && std::abs(g[1]) < 1e-6f);
        QVERIFY(std::abs(s.lossSum - 0.5 * (-std::log(0.75)) - 0.5 * (-(0.5 * std::log(0.25) + 0.5 * std::log(0.75)))) <
                1e-6);

        // Softening: (0.2, 0.8) at T = 2 → (√0.2, √0.8)/(√0.2 + √0.8) = (1/3, 2/3).
        Tensor p({1, 2}, {0.2f, 0.8f});
        softenRows(p, 2.0);
        QVERIFY(std::abs(p[0] - 1.0f / 3) < 1e-6f && std::abs(p[1] - 2.0f / 3) < 1e-6f);
        QVERIFY_THROWS_EXCEPTION(Error, softenRows(p, 0.0));
        Tensor l({1, 3}, {1.0f, 2.0f, 3.0f});
        softmaxRows(l);
        QVERIFY(std::abs(l[0] + l[1] + l[2] - 1.0f) < 1e-6f && l[2] > l[1] && l[1] > l[0]);

        // The gradient at T = 3, α = 0.7 agrees with central finite differences of the loss.
        const auto zv = test::randomVector(8, 11, -2, 2);
        Tensor zz({2, 4});
        std::copy(zv.begin(), zv.end(), zz.data());
        Tensor q({2, 4}, {0.1f, 0.2f, 0.3f, 0.4f, 0.7f, 0.1f, 0.1f, 0.1f});
        const std::int32_t labels[] = {3, 1};
        Tensor grad;
        softmaxCrossEntropy(zz, labels, &grad, 1.0, &q, 0.7, 3.0);
        for (std::int64_t i = 0; i < 8; ++i) {
            const float h = 1e-2f;
            Tensor a = zz, b = zz;
            a[i] += h;
            b[i] -= h;
            const double num = (softmaxCrossEntropy(a, labels, nullptr, 1.0, &q, 0.7, 3.0).lossSum -
                                softmaxCrossEntropy(b, labels, nullptr, 1.0, &q, 0.7, 3.0).lossSum) /
                               (2 * h);
            QVERIFY2(std::abs(num - grad[i]) < 2e-3, (std::to_string(num) + " vs " + std::to_string(grad[i])).c_str());
        }
        Tensor wrong({2, 3});
        QVERIFY_THROWS_EXCEPTION(ShapeError, softmaxCrossEntropy(zz, labels, nullptr, 1.0, &wrong, 0.5));
    }

    void shuffleAndSplit()
    {
        std::vector<std::int64_t> a(100);
        std::iota(a.begin(), a.end(), 0);
        auto b = a;
        shuffleIndices(a, 7);
        shuffleIndices(b, 7);
        QCOMPARE(a, b);
        auto sorted = a;
        std::sort(sorted.begin(), sorted.end());
        for (std::int64_t i = 0; i < 100; ++i)
            QCOMPARE(sorted[static_cast<std::size_t>(i)], i);
        auto c = sorted;
        shuffleIndices(c, 8);
        QVERIFY(c != a);
        QVERIFY(c != sorted);

        std::vector<std::int64_t> train, val, train2, val2;
        splitIndices(1000, 0.1, 3, train, val);
        QCOMPARE(val.size(), std::size_t(100));
        QCOMPARE(train.size(), std::size_t(900));
        std::set<std::int64_t> all(train.begin(), train.end());
        all.insert(val.begin(), val.end());
        QCOMPARE(all.size(), std::size_t(1000));
        splitIndices(1000, 0.1, 3, train2, val2);
        QCOMPARE(val, val2);
        splitIndices(1000, 0.1, 4, train2, val2);
        QVERIFY(val != val2);
        QVERIFY_THROWS_EXCEPTION(Error, splitIndices(10, 1.0, 1, train, val));
    }

    void mlpShorthand()
    {
        ArchitectureOptions o;
        o.blockSize = 8;
        const BuiltArchitecture b = buildArchitecture("784-250-10", o);
        const ModelSpec& m = b.model;
        QCOMPARE(m.layers.size(), std::size_t(3));
        const LayerSpec& h = m.layers[1];
        QVERIFY(h.circulant.has_value());
        QCOMPARE(h.circulant->vectors.shape(), (Shape{32, 98, 8})); // ⌈250/8⌉, ⌈784/8⌉
        QCOMPARE(h.activation, ActivationKind::Relu);
        const LayerSpec& out = m.layers[2];
        QVERIFY(!out.circulant.has_value()); // output stays dense
        QCOMPARE(out.kernel.shape(), (Shape{250, 10}));
        QCOMPARE(out.activation, ActivationKind::Softmax);
        QCOMPARE(m.layers.back().outputShape, (Shape{10}));
        QCOMPARE(m.plan.perLayer.at(h.name), std::int64_t(8));

        // Glorot uniform bound, same for the dense kernel and the circulant vectors.
        const float limH = std::sqrt(6.0f / (784 + 250)), limO = std::sqrt(6.0f / (250 + 10));
        double sumSq = 0;
        for (std::int64_t i = 0; i < h.circulant->vectors.size(); ++i) {
            QVERIFY(std::abs(h.circulant->vectors[i]) <= limH);
            sumSq += double(h.circulant->vectors[i]) * h.circulant->vectors[i];
        }
        const double var = sumSq / double(h.circulant->vectors.size());
        QVERIFY(std::abs(var - limH * limH / 3.0) < 0.1 * limH * limH / 3.0);
        for (std::int64_t i = 0; i < out.kernel.size(); ++i)
            QVERIFY(std::abs(out.kernel[i]) <= limO);

        // Seeded: same seed, same weights; another seed, other weights.
        QVERIFY(buildArchitecture("784-250-10", o).model.layers[1].circulant->vectors == h.circulant->vectors);
        o.seed = 2;
        QVERIFY(!(buildArchitecture("784-250-10", o).model.layers[1].circulant->vectors == h.circulant->vectors));

        o.blockSize = 1;
        const ModelSpec dense = buildArchitecture("784-250-10", o).model;
        QVERIFY(!dense.layers[1].circulant && dense.layers[1].kernel.shape() == (Shape{784, 250}));
    }

    void cnnShorthand()
    {
        ArchitectureOptions o;
        o.blockSize = 8;
        const BuiltArchitecture b = buildArchitecture("28x28x1-c16-p2-c32k5-p2-64-10", o);
        const ModelSpec& m = b.model;
        const LayerSpec* c1 = m.find("conv2d_1");
        const LayerSpec* c2 = m.find("conv2d_2");
        QVERIFY(c1 && c2);
        QVERIFY(!c1->circulant); // C_in = 1 < 8: left dense with a warning
        QCOMPARE(b.warnings.size(), std::size_t(1));
        QVERIFY(b.warnings[0].find("conv2d_1") != std::string::npos);
        QVERIFY(c2->circulant.has_value());
        QCOMPARE(c2->circulant->vectors.shape(), (Shape{5, 5, 4, 2, 8}));
        QCOMPARE(c2->outputShape, (Shape{14, 14, 32}));
        QVERIFY(m.find("flatten_1"));
        QCOMPARE(m.find("dense_1")->circulant->cols, std::int64_t(7 * 7 * 32));
        QCOMPARE(m.layers.back().outputShape, (Shape{10}));
    }

    void jsonDescription()
    {
        const std::string j = R"({"name": "tiny", "input": [8, 8, 3], "k": 4,
            "layers": [{"conv": 8, "kernel": 3, "padding": "valid"}, {"avgpool": 2}, "flatten",
                       {"dropout": 0.25}, {"dense": 12, "activation": "tanh", "k": 2}, {"dense": 5}]})";
        const BuiltArchitecture b = buildArchitecture(j, {});
        const ModelSpec& m = b.model;
        QCOMPARE(m.name, std::string("tiny"));
        QVERIFY(b.warnings.size() == 1); // conv: C_in = 3 < 4
        QCOMPARE(m.find("conv2d_1")->outputShape, (Shape{6, 6, 8}));
        QCOMPARE(m.find("dense_1")->activation, ActivationKind::Tanh);
        QCOMPARE(m.find("dense_1")->circulant->k, std::int64_t(2));
        QCOMPARE(m.find("dropout_1")->rate, 0.25f);
        QCOMPARE(m.find("dense_2")->activation, ActivationKind::Softmax);
        QVERIFY(!m.find("dense_2")->circulant);
    }

    void descriptionErrors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("needle");
        QTest::newRow("not a number") << "784-abc-10"
                                      << "abc";
        QTest::newRow("only input") << "784"
                                    << "at least";
        QTest::newRow("zero width") << "784-0-10"
                                    << "positive";
        QTest::newRow("empty token") << "784--10"
                                     << "empty token";
        QTest::newRow("conv on flat") << "784-c8-10"
                                      << "image-shaped";
        QTest::newRow("pool too big") << "4x4x1-p8-10"
                                      << "no pixels";
        QTest::newRow("bad json") << "{\"input\": [4"
                                  << "not valid JSON";
        QTest::newRow("no input") << "{\"layers\": [{\"dense\": 3}]}"
                                  << "missing \"input\"";
        QTest::newRow("bad activation") << "{\"input\": 4, \"layers\": [{\"dense\": 3, \"activation\": \"nope\"}]}"
                                        << "unknown activation";
        QTest::newRow("unknown layer") << "{\"input\": 4, \"layers\": [{\"frobnicate\": 3}]}"
                                       << "expected one of";
        QTest::newRow("k too big") << "{\"input\": 4, \"layers\": [{\"dense\": 16, \"k\": 8}, {\"dense\": 2}]}"
                                   << "exceeds";
        QTest::newRow("conv last") << "8x8x1-c4"
                                   << "last weighted layer";
        // Attention weights and its heads × steps² attention weights count against the budget
        // before anything is allocated.
        QTest::newRow("attention over budget")
            << R"({"input": [100000], "layers": [{"embedding": 64, "vocab": 10}, {"attention": 1024, "key_dim": 65536},
                  "global_average_pooling", {"dense": 4}]})"
            << "more than the memory limit";
    }
    void descriptionErrors()
    {
        QFETCH(QString, text);
        QFETCH(QString, needle);
        try {
            buildArchitecture(text.toStdString(), {});
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find(needle.toStdString()) != std::string::npos, e.what());
        }
    }

    void shorthandDetection()
    {
        QVERIFY(isArchitectureShorthand("784-256-10"));
        QVERIFY(isArchitectureShorthand("28x28x1-c16-p2-10"));
        QVERIFY(!isArchitectureShorthand("model.h5"));
        QVERIFY(!isArchitectureShorthand("my-model.h5"));
        QVERIFY(!isArchitectureShorthand("784"));
    }
};

QTEST_APPLESS_MAIN(TestTrainingUnits)
#include "TestTrainingUnits.moc"
