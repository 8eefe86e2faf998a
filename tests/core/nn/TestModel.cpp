// Model-level behaviour: graphs with branches, concurrent inference and training passes from
// several threads, chunked/parallel inference equal to one sequential pass, per-layer timing,
// parameters / currentSpec round trip, and errors for invalid specs.

#include <QTest>

#include <thread>

#include "NnTestUtil.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "common/Parallel.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

namespace {

// A small residual CNN with a Concatenate branch and a block-circulant layer.
ModelSpec branchyNet()
{
    SpecBuilder b({8, 8, 3}, "branchy");
    LayerSpec& c1 = b.conv(3, 8, 3, 3, ActivationKind::Relu);
    c1.padding = Padding::Same;
    c1.name = "c1";
    LayerSpec& c2 = b.conv(8, 8, 3, 3, ActivationKind::Linear);
    c2.padding = Padding::Same;
    c2.name = "c2";
    test::makeCirculant(c2, 8, 4, 3);
    b.simple(LayerKind::Add, {"c1", "c2"}).name = "res";
    LayerSpec& p = b.simple(LayerKind::MaxPooling2D);
    p.kernelH = p.kernelW = p.strideH = p.strideW = 2;
    p.name = "pool";
    b.conv(8, 4, 1, 1, ActivationKind::Tanh, {"pool"}).name = "side";
    b.simple(LayerKind::Concatenate, {"pool", "side"}).name = "cat";
    b.simple(LayerKind::GlobalAveragePooling2D);
    b.dense(12, 5, ActivationKind::Softmax).name = "out";
    return b.done();
}

bool bitEqual(const Tensor& a, const Tensor& b)
{
    return a.shape() == b.shape() && std::equal(a.data(), a.data() + a.size(), b.data());
}

} // namespace

class TestModel : public QObject {
    Q_OBJECT
private slots:
    void branchesAndChunking()
    {
        const Model m(branchyNet());
        QCOMPARE(m.inputShape(), (Shape{8, 8, 3}));
        QCOMPARE(m.outputShape(), (Shape{5}));
        const Tensor x = randomTensor({77, 8, 8, 3}, 5);
        const Tensor all = m.forward(x);
        // Each sample alone must give the same values as inside the (parallel, chunked) batch.
        for (std::int64_t s : {0, 31, 32, 76}) {
            Tensor one({1, 8, 8, 3});
            std::copy_n(x.data() + s * 192, 192, one.data());
            const Tensor y = m.forward(one);
            CIRCNN_COMPARE_VECTORS(y.data(), all.data() + s * 5, 5, 1e-6, "sample " << s);
        }
        // Probabilities sum to one.
        for (std::int64_t s = 0; s < 77; ++s) {
            double sum = 0;
            for (int i = 0; i < 5; ++i)
                sum += all[s * 5 + i];
            QVERIFY(std::abs(sum - 1) < 1e-5);
        }
    }

    void threadCountDoesNotChangeResults()
    {
        const Model m(branchyNet());
        const Tensor x = randomTensor({100, 8, 8, 3}, 6);
        setWorkerCount(1);
        const Tensor serial = m.forward(x);
        setWorkerCount(4);
        const Tensor parallel = m.forward(x);
        setWorkerCount(0);
        QVERIFY(bitEqual(serial, parallel));
    }

    void concurrentForwardAndTraining()
    {
        const Model m(branchyNet());
        const Tensor x = randomTensor({20, 8, 8, 3}, 7);
        const Tensor expected = m.forward(x);
        ForwardCache refCache;
        std::mt19937 refRng(3);
        const Tensor refOut = m.forwardTrain(x, refCache, refRng, true);
        const Tensor g = randomTensor(refOut.shape(), 8);
        std::vector<Tensor> refGrads;
        m.backward(refCache, g, refGrads);

        constexpr int kThreads = 4;
        std::vector<Tensor> outs(kThreads), trainOuts(kThreads);
        std::vector<std::vector<Tensor>> grads(kThreads);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&, t] {
                for (int rep = 0; rep < 3; ++rep) {
                    outs[t] = m.forward(x);
                    ForwardCache cache;
                    std::mt19937 rng(3);
                    trainOuts[t] = m.forwardTrain(x, cache, rng, true);
                    m.backward(cache, g, grads[t]);
                }
            });
        for (auto& th : threads)
            th.join();
        for (int t = 0; t < kThreads; ++t) {
            QVERIFY(bitEqual(outs[t], expected));
            QVERIFY(bitEqual(trainOuts[t], refOut));
            QCOMPARE(grads[t].size(), refGrads.size());
            for (std::size_t p = 0; p < refGrads.size(); ++p)
                QVERIFY(bitEqual(grads[t][p], refGrads[p]));
        }
    }

    void deferredKernelGradientsAreTheirFactors()
    {
        // With ForwardCache::deferKernelGradients(min), backward() leaves every dense kernel of at
        // least `min` elements as its output gradient g (rows × out) and deferredKernelGradients()
        // names it with its input x: xᵀ·g (naive loop) equals the kernel gradient backward()
        // computes otherwise, to float rounding; every other gradient is bit-identical. Covered: a
        // Dense over a 3-D input (rows = batch × steps), a tanh Dense, a kernel under the threshold
        // and a block-circulant Dense (neither deferred), and a layer off the output path.
        SpecBuilder b({4, 12}, "deferred");
        b.dense(12, 20, ActivationKind::Tanh).name = "seq"; // over (batch, 4, 12): 240 elements
        b.simple(LayerKind::Flatten).name = "flat";
        b.dense(80, 16, ActivationKind::Relu).name = "wide"; // 1,280 elements
        LayerSpec& circ = b.dense(16, 8, ActivationKind::Linear);
        circ.name = "circ";
        test::makeCirculant(circ, 16, 4, 23);
        b.dense(8, 3, ActivationKind::Softmax).name = "small"; // 24 elements: under the threshold
        b.dense(80, 30, ActivationKind::Linear, {"flat"}).name = "unused";
        ModelSpec spec = b.done();
        spec.outputs = {"small"};
        Model m(spec);
        const Tensor x = randomTensor({5, 4, 12}, 21);
        std::mt19937 rng(1), rng2(1);
        ForwardCache plain, deferred;
        deferred.deferKernelGradients(200);
        const Tensor out = m.forwardTrain(x, plain, rng, true);
        QVERIFY(bitEqual(m.forwardTrain(x, deferred, rng2, true), out));
        const Tensor g = randomTensor(out.shape(), 22);
        std::vector<Tensor> want, got;
        m.backward(plain, g, want);
        m.backward(deferred, g, got);
        QVERIFY(m.deferredKernelGradients(plain).empty());
        const std::vector<Model::DeferredKernelGradient> kernels = m.deferredKernelGradients(deferred);
        std::vector<std::string> names;
        for (const Model::DeferredKernelGradient& k : kernels)
            names.push_back(m.parameters()[k.parameter].layer);
        QCOMPARE(names, (std::vector<std::string>{"seq", "wide"}));
        QCOMPARE(kernels[0].rows, std::int64_t(20)); // 5 samples × 4 steps
        QCOMPARE(kernels[0].in, std::int64_t(12));
        QCOMPARE(kernels[0].out, std::int64_t(20));
        QCOMPARE(kernels[1].rows, std::int64_t(5));
        std::vector<bool> isDeferred(want.size(), false);
        for (const Model::DeferredKernelGradient& k : kernels) {
            isDeferred[k.parameter] = true;
            const Tensor& factor = got[k.parameter];
            QCOMPARE(factor.size(), k.rows * k.out);
            QCOMPARE(k.input->size(), k.rows * k.in);
            const Tensor& dk = want[k.parameter];
            QCOMPARE(dk.size(), k.in * k.out);
            for (std::int64_t i = 0; i < k.in; ++i)
                for (std::int64_t o = 0; o < k.out; ++o) {
                    double sum = 0;
                    for (std::int64_t r = 0; r < k.rows; ++r)
                        sum += double((*k.input)[r * k.in + i]) * double(factor[r * k.out + o]);
                    QVERIFY2(std::abs(sum - dk[i * k.out + o]) < 1e-5,
                             (std::to_string(sum) + " vs " + std::to_string(dk[i * k.out + o])).c_str());
                }
        }
        for (std::size_t p = 0; p < want.size(); ++p)
            if (!isDeferred[p])
                QVERIFY(bitEqual(got[p], want[p]));
    }

    void batchGradientIsSumOfSampleGradients()
    {
        // 64x64 positions: Conv2D splits a batch of 5 into several im2col groups (and keeps input
        // spectra per group); the batch gradient must equal the sum of single-sample gradients.
        SpecBuilder b({64, 64, 4}, "big-conv");
        LayerSpec& c = b.conv(4, 6, 3, 3, ActivationKind::Tanh);
        c.padding = Padding::Same;
        test::makeCirculant(c, 4, 3, 4);
        b.conv(6, 5, 3, 3, ActivationKind::Relu).padding = Padding::Same;
        b.simple(LayerKind::GlobalAveragePooling2D);
        b.dense(5, 3, ActivationKind::Softmax);
        const Model m(b.done());
        const Tensor x = randomTensor({5, 64, 64, 4}, 12);
        const Tensor g = randomTensor({5, 3}, 13);
        ForwardCache cache;
        std::mt19937 rng(1);
        m.forwardTrain(x, cache, rng, true);
        std::vector<Tensor> batchGrads;
        m.backward(cache, g, batchGrads);
        std::vector<Tensor> sum;
        for (std::int64_t s = 0; s < 5; ++s) {
            Tensor xs({1, 64, 64, 4}), gs({1, 3});
            std::copy_n(x.data() + s * xs.size(), xs.size(), xs.data());
            std::copy_n(g.data() + s * 3, 3, gs.data());
            ForwardCache c1;
            m.forwardTrain(xs, c1, rng, true);
            std::vector<Tensor> one;
            m.backward(c1, gs, one);
            if (sum.empty())
                sum = one;
            else
                for (std::size_t p = 0; p < one.size(); ++p)
                    for (std::int64_t i = 0; i < one[p].size(); ++i)
                        sum[p][i] += one[p][i];
        }
        QCOMPARE(sum.size(), batchGrads.size());
        for (std::size_t p = 0; p < sum.size(); ++p)
            CIRCNN_COMPARE_VECTORS(batchGrads[p].data(), sum[p].data(), static_cast<std::size_t>(sum[p].size()), 1e-4,
                                   "parameter " << p);
    }

    void timings()
    {
        const Model m(branchyNet());
        std::vector<LayerTiming> t;
        m.forward(randomTensor({40, 8, 8, 3}, 9), t);
        QCOMPARE(t.size(), m.spec().layers.size());
        QCOMPARE(t[1].name, std::string("c1"));
        double total = 0;
        for (const auto& l : t) {
            QVERIFY(l.seconds >= 0);
            total += l.seconds;
        }
        QVERIFY(total > 0);
    }

    void parametersAndCurrentSpec()
    {
        Model m(branchyNet());
        std::vector<ParameterRef> params = m.parameters();
        // c1 kernel+bias, c2 vectors+bias, side kernel+bias, out kernel+bias.
        QCOMPARE(params.size(), std::size_t(8));
        QCOMPARE(params[0].layer, std::string("c1"));
        QCOMPARE(params[0].role, std::string("kernel"));
        QCOMPARE(params[2].role, std::string("vectors"));
        QCOMPARE(params[2].values.size(), std::size_t(3 * 3 * 2 * 2 * 4));
        const Tensor x = randomTensor({4, 8, 8, 3}, 10);
        const Tensor before = m.forward(x);
        for (float& v : params[2].values)
            v *= 0.5f;
        m.parametersChanged();
        const Tensor after = m.forward(x);
        QVERIFY(!bitEqual(before, after));
        // currentSpec carries the changed vectors and rebuilds an identical model.
        const ModelSpec cur = m.currentSpec();
        QCOMPARE(cur.find("c2")->circulant->vectors[0], m.spec().find("c2")->circulant->vectors[0] * 0.5f);
        QVERIFY(bitEqual(Model(cur).forward(x), after));
    }

    void invalidSpecs()
    {
        {
            ModelSpec s = branchyNet();
            s.layers[1].kernel = Tensor({3, 3, 2, 8}); // wrong C_in
            QVERIFY_THROWS_EXCEPTION(ShapeError, Model{s});
        }
        {
            ModelSpec s = branchyNet();
            s.layers.back().inputs = {"nonexistent"};
            QVERIFY_THROWS_EXCEPTION(Error, Model{s});
        }
        {
            ModelSpec s = branchyNet();
            s.find("c2")->circulant->vectors[3] = NAN;
            try {
                Model m(s);
                QFAIL("expected an Error");
            } catch (const Error& e) {
                QVERIFY2(std::string(e.what()).find("c2") != std::string::npos, e.what());
            }
        }
        {
            ModelSpec s;
            s.name = "empty";
            QVERIFY_THROWS_EXCEPTION(Error, Model{s});
        }
    }
};

QTEST_APPLESS_MAIN(TestModel)
#include "TestModel.moc"
