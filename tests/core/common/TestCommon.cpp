#include <QTest>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "TestSupport.h"
#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/Parallel.h"
#include "common/Tensor.h"
#include "model/ModelSpec.h"
#include "model/ShapeInference.h"

using namespace circnn;

class TestCommon : public QObject {
    Q_OBJECT
private slots:
    void tensorShapeAndReshape()
    {
        Tensor t({2, 3}, 1.5f);
        QCOMPARE(t.size(), 6);
        QCOMPARE(t[5], 1.5f);
        t.reshape({3, 2});
        QCOMPARE(t.dim(0), 3);
        QVERIFY_THROWS_EXCEPTION(ShapeError, t.reshape({4, 2}));
        QVERIFY_THROWS_EXCEPTION(ShapeError, Tensor({-1, 2}));
        QVERIFY_THROWS_EXCEPTION(ShapeError, Tensor({2, 2}, {1.0f, 2.0f}));
        QCOMPARE(shapeToString({28, 28, 1}), std::string("(28, 28, 1)"));
        QCOMPARE(shapeToString({10}), std::string("(10,)"));
        QVERIFY(reinterpret_cast<std::uintptr_t>(t.data()) % kSimdAlignment == 0);
    }

    void atomicWriteReplacesOnlyOnSuccess()
    {
        const auto path = test::tempDir() / "atomic.txt";
        writeTextFileAtomically(path, "good");
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, writeFileAtomically(path, [](const std::filesystem::path& tmp) {
                                     std::ofstream(tmp) << "half";
                                     throw std::runtime_error("disk full");
                                 }));
        std::ifstream in(path);
        std::string s;
        in >> s;
        QCOMPARE(s, std::string("good"));
        // No temporary file left behind.
        int siblings = 0;
        for (const auto& e : std::filesystem::directory_iterator(test::tempDir()))
            siblings += e.path().filename().string().rfind("atomic.txt", 0) == 0;
        QCOMPARE(siblings, 1);
        QVERIFY_THROWS_EXCEPTION(Error, writeTextFileAtomically(test::tempDir() / "no/such/dir/x", "x"));
    }

    void parallelForCoversRangeOnce()
    {
        std::vector<std::atomic<int>> hits(1000);
        parallelFor(hits.size(), [&](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i)
                hits[i]++;
        });
        for (auto& h : hits)
            QCOMPARE(h.load(), 1);
        QVERIFY_THROWS_EXCEPTION(Error, parallelFor(10, [](std::size_t, std::size_t) { throw Error("boom"); }));
    }

    // The worker threads persist between calls: many short calls in a row, calls from several
    // application threads at once (the second finds the pool busy and uses threads of its own),
    // more chunks than cores, an exception in one call not disturbing the next, nested calls run
    // serially, and the chunk -> range split stays the documented one.
    void parallelForPoolReuseAndConcurrency()
    {
        setWorkerCount(4);
        for (int round = 0; round < 2000; ++round) {
            std::atomic<std::size_t> sum{0};
            parallelFor(97, [&](std::size_t b, std::size_t e) {
                for (std::size_t i = b; i < e; ++i)
                    sum += i;
            });
            QCOMPARE(sum.load(), std::size_t(97 * 96 / 2));
        }
        std::mutex rangesMutex;
        std::set<std::pair<std::size_t, std::size_t>> ranges;
        parallelFor(10, [&](std::size_t b, std::size_t e) {
            std::lock_guard lock(rangesMutex);
            ranges.insert({b, e});
        });
        const std::set<std::pair<std::size_t, std::size_t>> expected{{0, 2}, {2, 5}, {5, 7}, {7, 10}};
        QVERIFY(ranges == expected);

        std::atomic<int> failures{0};
        std::vector<std::thread> callers;
        for (int c = 0; c < 4; ++c)
            callers.emplace_back([&, c] {
                for (int round = 0; round < 300; ++round) {
                    std::vector<int> out(64 + c, 0);
                    parallelFor(out.size(), [&](std::size_t b, std::size_t e) {
                        for (std::size_t i = b; i < e; ++i) {
                            // nested: runs on the calling worker, serially
                            parallelFor(3, [&](std::size_t nb, std::size_t ne) { out[i] += int(ne - nb); });
                        }
                    });
                    for (int v : out)
                        failures += v != 3;
                }
            });
        for (auto& t : callers)
            t.join();
        QCOMPARE(failures.load(), 0);

        QVERIFY_THROWS_EXCEPTION(Error, parallelFor(8, [](std::size_t b, std::size_t) {
                                     if (b == 0)
                                         throw Error("first chunk fails");
                                 }));
        std::atomic<int> after{0};
        parallelFor(8, [&](std::size_t b, std::size_t e) { after += int(e - b); });
        QCOMPARE(after.load(), 8);
        setWorkerCount(0);
    }

    void shapeInferenceOnSmallCnn()
    {
        ModelSpec m;
        m.name = "cnn";
        LayerSpec in;
        in.name = "in";
        in.kind = LayerKind::Input;
        in.inputShape = {28, 28, 1};
        LayerSpec conv;
        conv.name = "conv";
        conv.kind = LayerKind::Conv2D;
        conv.inputs = {"in"};
        conv.units = 8;
        conv.kernelH = conv.kernelW = 3;
        conv.kernel = Tensor({3, 3, 1, 8});
        conv.bias = Tensor({8});
        LayerSpec pool;
        pool.name = "pool";
        pool.kind = LayerKind::MaxPooling2D;
        pool.inputs = {"conv"};
        pool.kernelH = pool.kernelW = pool.strideH = pool.strideW = 2;
        LayerSpec flat;
        flat.name = "flat";
        flat.kind = LayerKind::Flatten;
        flat.inputs = {"pool"};
        LayerSpec dense;
        dense.name = "dense";
        dense.kind = LayerKind::Dense;
        dense.inputs = {"flat"};
        dense.units = 10;
        dense.kernel = Tensor({13 * 13 * 8, 10});
        dense.bias = Tensor({10});
        m.layers = {in, conv, pool, flat, dense};
        inferShapes(m);
        QCOMPARE(m.layers[1].outputShape, (Shape{26, 26, 8}));
        QCOMPARE(m.layers[2].outputShape, (Shape{13, 13, 8}));
        QCOMPARE(m.layers[4].outputShape, (Shape{10}));
        QCOMPARE(layerStats(m, m.layers[1]).macs, std::int64_t(26 * 26 * 9 * 8));
        QCOMPARE(layerStats(m, m.layers[4]).parameters, std::int64_t(1352 * 10 + 10));

        m.layers[4].kernel = Tensor({100, 10});
        try {
            inferShapes(m);
            QFAIL("mis-shaped kernel accepted");
        } catch (const ShapeError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("'dense'") != std::string::npos && msg.find("(1352, 10)") != std::string::npos,
                     msg.c_str());
        }
    }

    void convOutputSizes()
    {
        QCOMPARE(convOutputSize(28, 3, 1, 1, Padding::Valid), 26);
        QCOMPARE(convOutputSize(28, 3, 2, 1, Padding::Same), 14);
        QCOMPARE(convOutputSize(28, 3, 1, 2, Padding::Valid), 24);
        QCOMPARE(convOutputSize(2, 3, 1, 1, Padding::Valid), 0);
    }

    void namesRoundTrip()
    {
        QCOMPARE(layerKindFromName("Conv2D").value(), LayerKind::Conv2D);
        QCOMPARE(layerKindFromName("ReLU").value(), LayerKind::Activation);
        QVERIFY(!layerKindFromName("ConvLSTM2D").has_value());
        QCOMPARE(activationFromName("silu").value(), ActivationKind::Swish);
        QCOMPARE(std::string(activationName(ActivationKind::HardSigmoid)), std::string("hard_sigmoid"));
        QVERIFY(supportedLayerClasses().find("BatchNormalization") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestCommon)
#include "TestCommon.moc"
