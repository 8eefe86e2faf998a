// Training runs on small synthetic problems: reaching high accuracy dense and block-circulant,
// determinism, cancellation, the best-epoch checkpoint and the recorded history; ADMM structured
// training toward block-circulant form.

#include <QTest>

#include <random>

#include "TestSupport.h"
#include "common/Error.h"
#include "common/Parallel.h"
#include "nn/Evaluation.h"
#include "nn/Model.h"
#include "nn/training/Architecture.h"
#include "nn/training/KernelProjection.h"
#include "nn/training/Trainer.h"

using namespace circnn;

namespace {

// `classes` Gaussian clusters in `dim` dimensions: prototype (uniform ±1) + noise σ.
Dataset clusters(std::int64_t n, std::int64_t dim, int classes, float sigma, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1, 1);
    std::normal_distribution<float> noise(0, sigma);
    std::mt19937 protoRng(12345);
    std::vector<float> protos(static_cast<std::size_t>(classes * dim));
    for (float& p : protos)
        p = u(protoRng);
    Dataset d;
    d.name = "clusters";
    d.images = Tensor({n, dim});
    d.classCount = classes;
    for (std::int64_t i = 0; i < n; ++i) {
        const int c = static_cast<int>(rng() % static_cast<unsigned>(classes));
        d.labels.push_back(c);
        for (std::int64_t j = 0; j < dim; ++j)
            d.images[i * dim + j] = protos[static_cast<std::size_t>(c * dim + j)] + noise(rng);
    }
    return d;
}

ModelSpec mlp(const std::string& arch, std::int64_t k, std::uint32_t seed = 1)
{
    ArchitectureOptions o;
    o.blockSize = k;
    o.seed = seed;
    return buildArchitecture(arch, o).model;
}

TrainOptions quick(int epochs)
{
    TrainOptions o;
    o.epochs = epochs;
    o.batchSize = 32;
    o.optimizer.learningRate = 0.01;
    o.validationSplit = 0.2;
    o.seed = 5;
    return o;
}

bool sameWeights(const ModelSpec& a, const ModelSpec& b)
{
    if (a.layers.size() != b.layers.size())
        return false;
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const LayerSpec &x = a.layers[i], &y = b.layers[i];
        if (!(x.kernel == y.kernel) || !(x.bias == y.bias) || x.circulant.has_value() != y.circulant.has_value())
            return false;
        if (x.circulant && !(x.circulant->vectors == y.circulant->vectors))
            return false;
    }
    return true;
}

} // namespace

class TestTrainer : public QObject {
    Q_OBJECT

private slots:
    void cleanup() { setWorkerCount(0); }

    void learnsDenseAndCirculant_data()
    {
        QTest::addColumn<int>("k");
        QTest::newRow("dense") << 1;
        QTest::newRow("k=4") << 4;
        QTest::newRow("k=5 (pads 24 and 30)") << 5;
    }
    void learnsDenseAndCirculant()
    {
        QFETCH(int, k);
        const Dataset data = clusters(600, 24, 4, 0.5f, 1);
        const ModelSpec initial = mlp("24-30-4", k);
        QCOMPARE(initial.layers[1].circulant.has_value(), k > 1);
        const Dataset test = clusters(400, 24, 4, 0.5f, 2);
        const double before = evaluate(Model(initial), test).top1;
        const TrainResult r = trainModel(initial, data, quick(8));
        QCOMPARE(r.history.size(), std::size_t(8));
        QCOMPARE(r.trainCount, std::int64_t(480));
        QCOMPARE(r.validationCount, std::int64_t(120));
        QVERIFY(r.model.layers[1].circulant.has_value() == (k > 1));
        const double after = evaluate(Model(r.model), test).top1;
        qInfo("k=%d: test accuracy %.3f before, %.3f after training", k, before, after);
        QVERIFY2(after > 0.9, (std::to_string(before) + " -> " + std::to_string(after)).c_str());
        QVERIFY(r.history.back().trainLoss < r.history.front().trainLoss);
    }

    void sgdAndCosineLearnToo()
    {
        const Dataset data = clusters(600, 16, 3, 0.4f, 3);
        TrainOptions o = quick(6);
        o.optimizer.kind = OptimizerKind::Sgd;
        o.optimizer.learningRate = 0.1;
        o.schedule.kind = ScheduleKind::Cosine;
        o.optimizer.weightDecay = 1e-4;
        const TrainResult r = trainModel(mlp("16-16-3", 4), data, o);
        QVERIFY2(r.bestValidationAccuracy > 0.9, std::to_string(r.bestValidationAccuracy).c_str());
    }

    void deterministic()
    {
        const Dataset data = clusters(300, 16, 3, 0.8f, 4);
        for (std::size_t threads : {std::size_t(1), std::size_t(2)}) {
            setWorkerCount(threads);
            const TrainResult a = trainModel(mlp("16-16-3", 4), data, quick(3));
            const TrainResult b = trainModel(mlp("16-16-3", 4), data, quick(3));
            QVERIFY(sameWeights(a.model, b.model));
            QCOMPARE(a.bestEpoch, b.bestEpoch);
            QCOMPARE(a.history.back().trainLoss, b.history.back().trainLoss);
            TrainOptions other = quick(3);
            other.seed = 6;
            const TrainResult c = trainModel(mlp("16-16-3", 4), data, other);
            QVERIFY(!sameWeights(a.model, c.model));
        }
    }

    void fusedKernelGradientsTrainLikeStoredOnes()
    {
        // A network whose first kernel is large enough for the fused path (96×4096 = 393 K elements
        // ≥ 256 K: its gradient is formed inside the optimizer step) trains to the same
        // weights as with stored per-thread gradients, up to BLAS rounding, on 1 and 2 threads;
        // each path is deterministic, and the fused one is what really changed (a model below the
        // threshold is not affected at all: bit-identical).
        const Dataset data = clusters(160, 96, 3, 0.8f, 7);
        for (std::size_t threads : {std::size_t(1), std::size_t(2)}) {
            setWorkerCount(threads);
            TrainOptions fused = quick(2);
            fused.oneShardForDenseModels = false; // one shard per thread: 2 parts per kernel on 2 threads
            TrainOptions stored = fused;
            stored.fuseKernelGradients = false;
            const TrainResult a = trainModel(mlp("96-4096-3", 1), data, fused);
            const TrainResult b = trainModel(mlp("96-4096-3", 1), data, stored);
            const TrainResult again = trainModel(mlp("96-4096-3", 1), data, fused);
            QVERIFY(sameWeights(a.model, again.model));
            double worst = 0, moved = 0;
            const ModelSpec start = mlp("96-4096-3", 1);
            for (std::size_t i = 0; i < a.model.layers.size(); ++i) {
                const Tensor &x = a.model.layers[i].kernel, &y = b.model.layers[i].kernel;
                QCOMPARE(x.size(), y.size());
                for (std::int64_t e = 0; e < x.size(); ++e) {
                    worst = std::max(worst, double(std::abs(x[e] - y[e])));
                    moved = std::max(moved, double(std::abs(x[e] - start.layers[i].kernel[e])));
                }
            }
            QVERIFY2(moved > 1e-3, std::to_string(moved).c_str());
            QVERIFY2(worst < 1e-4, std::to_string(worst).c_str());
            QVERIFY(std::abs(a.history.back().trainLoss - b.history.back().trainLoss) < 1e-4);
            // Below the threshold nothing changes: 16-16-3 trains bit-identically either way.
            const Dataset small = clusters(120, 16, 3, 0.8f, 4);
            TrainOptions smallStored = quick(2);
            smallStored.fuseKernelGradients = false;
            smallStored.oneShardForDenseModels = false;
            QVERIFY(sameWeights(trainModel(mlp("16-16-3", 1), small, quick(2)).model,
                                trainModel(mlp("16-16-3", 1), small, smallStored).model));
        }
        setWorkerCount(0);
    }

    void denseModelsTrainAsOneShardOnAnyThreadCount()
    {
        // A model made of large dense kernels (96×4096 holds 96 % of the parameters) trains each
        // mini-batch as one shard whose dense products are split over the cores in fixed column
        // blocks: the weights are bit-identical on 1, 2 and 3 threads. With one shard per thread
        // (oneShardForDenseModels = false) the gradient sums round differently on 2 threads.
        const Dataset data = clusters(160, 96, 3, 0.8f, 7);
        std::vector<ModelSpec> trained;
        for (std::size_t threads : {std::size_t(1), std::size_t(2), std::size_t(3)}) {
            setWorkerCount(threads);
            trained.push_back(trainModel(mlp("96-4096-3", 1), data, quick(2)).model);
        }
        QVERIFY(sameWeights(trained[0], trained[1]));
        QVERIFY(sameWeights(trained[0], trained[2]));
        TrainOptions sharded = quick(2);
        sharded.oneShardForDenseModels = false;
        setWorkerCount(2);
        const ModelSpec perThread = trainModel(mlp("96-4096-3", 1), data, sharded).model;
        setWorkerCount(0);
        QVERIFY(!sameWeights(trained[1], perThread));
    }

    void cancelViaCallbacks()
    {
        const Dataset data = clusters(300, 16, 3, 0.8f, 4);
        TrainOptions o = quick(50);
        int calls = 0;
        o.onStatus = [&](const TrainStatus& s) {
            ++calls;
            return s.batch < 3;
        };
        QVERIFY_THROWS_EXCEPTION(Cancelled, trainModel(mlp("16-16-3", 4), data, o));
        QCOMPARE(calls, 3);
        TrainOptions p = quick(50);
        std::size_t last = 0, total = 0;
        p.progress = [&](std::size_t done, std::size_t all) {
            last = done;
            total = all;
            return done < 10;
        };
        QVERIFY_THROWS_EXCEPTION(Cancelled, trainModel(mlp("16-16-3", 4), data, p));
        QCOMPARE(last, std::size_t(10));
        QCOMPARE(total, std::size_t(50 * 8)); // 240 training samples / 32 = 8 batches per epoch
    }

    void checkpointIsBestEpoch()
    {
        // A high SGD rate makes validation accuracy go up and down between epochs.
        const Dataset data = clusters(400, 16, 4, 1.2f, 7);
        TrainOptions o = quick(8);
        o.optimizer.kind = OptimizerKind::Sgd;
        o.optimizer.learningRate = 0.5;
        o.optimizer.momentum = 0.9;
        std::vector<EpochRecord> seen;
        o.onEpoch = [&](const EpochRecord& r) { seen.push_back(r); };
        const TrainResult r = trainModel(mlp("16-32-4", 4), data, o);
        QCOMPARE(seen.size(), r.history.size());
        int best = 1;
        for (const EpochRecord& e : r.history)
            if (e.valAccuracy > r.history[static_cast<std::size_t>(best - 1)].valAccuracy)
                best = e.epoch;
        QCOMPARE(r.bestEpoch, best);
        QCOMPARE(r.bestValidationAccuracy, r.history[static_cast<std::size_t>(best - 1)].valAccuracy);
        // The returned model really is that epoch's: re-evaluating it on the same split agrees.
        std::vector<std::int64_t> trainIdx, valIdx;
        splitIndices(data.count(), o.validationSplit, o.seed, trainIdx, valIdx);
        Dataset val;
        val.images = Tensor({static_cast<std::int64_t>(valIdx.size()), 16});
        for (std::size_t i = 0; i < valIdx.size(); ++i) {
            std::copy_n(data.images.data() + valIdx[i] * 16, 16, val.images.data() + i * 16);
            val.labels.push_back(data.labels[static_cast<std::size_t>(valIdx[i])]);
        }
        val.classCount = 4;
        QCOMPARE(evaluate(Model(r.model), val).top1, r.bestValidationAccuracy);
        QCOMPARE(r.model.provenance.history.size(), r.history.size());
        QCOMPARE(r.model.provenance.history[2].trainLoss, r.history[2].trainLoss);
    }

    void distillationFromTeacher()
    {
        const Dataset data = clusters(400, 16, 4, 0.6f, 8);
        const TrainResult teacher = trainModel(mlp("16-32-4", 1), data, quick(6));
        // Pure distillation (α = 1, no labels used): the student learns the teacher's decisions.
        TrainOptions o = quick(6);
        o.teacher = &teacher.model;
        o.distillation = 1.0;
        o.temperature = 2.0;
        const TrainResult student = trainModel(mlp("16-16-4", 4), data, o);
        const Dataset test = clusters(300, 16, 4, 0.6f, 9);
        const Agreement a = compareModels(Model(teacher.model), Model(student.model), test);
        QVERIFY2(a.top1Match > 0.9, std::to_string(a.top1Match).c_str());
        const ModelSpec wrongTeacher = mlp("16-8-3", 1);
        o.teacher = &wrongTeacher;
        QVERIFY_THROWS_EXCEPTION(ShapeError, trainModel(mlp("16-16-4", 4), data, o)); // 3 vs 4 classes
    }

    void shiftAugmentation()
    {
        const Dataset data = clusters(300, 16, 3, 0.5f, 10);
        TrainOptions o = quick(4);
        o.augmentShift = 1;
        o.imageShape = {4, 4, 1};
        const TrainResult a = trainModel(mlp("16-16-3", 1), data, o);
        const TrainResult b = trainModel(mlp("16-16-3", 1), data, o);
        QVERIFY(sameWeights(a.model, b.model)); // augmentation is seeded
        const TrainResult plain = trainModel(mlp("16-16-3", 1), data, quick(4));
        QVERIFY(!sameWeights(a.model, plain.model)); // and it changes what is trained on
        o.imageShape = {3, 3, 1};
        QVERIFY_THROWS_EXCEPTION(ShapeError, trainModel(mlp("16-16-3", 1), data, o));
        o.imageShape = {};
        QVERIFY_THROWS_EXCEPTION(ShapeError, trainModel(mlp("16-16-3", 1), data, o)); // flat samples
    }

    void kernelProjectionIsBlockCirculant()
    {
        // Dense (in 12, out 8) and Conv2D (2, 1, 8, 12) kernels, k = 4: every k×k block of the
        // out×in matrix (per tap) is circulant, W[o][i] depending only on (o − i) mod k, and
        // projecting twice changes nothing.
        for (const Shape& shape : {Shape{12, 8}, Shape{2, 1, 8, 12}}) {
            Tensor w(shape);
            std::mt19937 rng(4);
            std::normal_distribution<float> n(0, 1);
            for (std::int64_t i = 0; i < w.size(); ++i)
                w[i] = n(rng);
            std::vector<float> p(static_cast<std::size_t>(w.size())), pp(p.size());
            projectKernelBlockCirculant(shape, {w.data(), p.size()}, 4, p);
            projectKernelBlockCirculant(shape, p, 4, pp);
            for (std::size_t i = 0; i < p.size(); ++i)
                QVERIFY(std::abs(p[i] - pp[i]) < 1e-5f);
            const std::int64_t rows = shape.back(), cols = shape[shape.size() - 2];
            for (std::int64_t t = 0; t < w.size() / (rows * cols); ++t)
                for (std::int64_t i = 0; i < cols; ++i)
                    for (std::int64_t o = 0; o < rows; ++o) {
                        const std::int64_t i0 = i / 4 * 4, o0 = o / 4 * 4;
                        const std::int64_t d = ((o - o0) - (i - i0) + 4) % 4; // same diagonal in row o0 + d, column i0
                        const float ref = p[static_cast<std::size_t>((t * cols + i0) * rows + o0 + d)];
                        QVERIFY(std::abs(p[static_cast<std::size_t>((t * cols + i) * rows + o)] - ref) < 1e-5f);
                    }
        }
        std::vector<float> x(6), y(6);
        QVERIFY_THROWS_EXCEPTION(ShapeError, projectKernelBlockCirculant({6}, x, 2, y));
        QVERIFY_THROWS_EXCEPTION(ShapeError, projectKernelBlockCirculant({2, 3}, x, 4, y)); // k > max(2, 3)
    }

    void admmPullsTowardBlockCirculant()
    {
        const Dataset data = clusters(600, 24, 4, 0.5f, 11);
        const TrainResult dense = trainModel(mlp("24-32-4", 1), data, quick(4));
        const std::string layer = dense.model.layers[1].name;
        QVERIFY(!dense.model.layers[1].circulant.has_value());
        const auto residual = [&](const ModelSpec& m) {
            const LayerSpec& l = *m.find(layer);
            std::vector<float> p(static_cast<std::size_t>(l.kernel.size()));
            projectKernelBlockCirculant(l.kernel.shape(), {l.kernel.data(), p.size()}, 4, p);
            double r2 = 0, n2 = 0;
            for (std::size_t i = 0; i < p.size(); ++i) {
                r2 += double(l.kernel[static_cast<std::int64_t>(i)] - p[i]) *
                      (l.kernel[static_cast<std::int64_t>(i)] - p[i]);
                n2 += double(l.kernel[static_cast<std::int64_t>(i)]) * l.kernel[static_cast<std::int64_t>(i)];
            }
            return std::sqrt(r2 / n2);
        };

        TrainOptions o = quick(4);
        o.admm.targets = {{layer, 4}};
        o.admm.rho = 0.5;
        o.keepBestEpoch = false;
        const TrainResult admm = trainModel(dense.model, data, o);
        QCOMPARE(admm.structureResidual.size(), std::size_t(5));
        QVERIFY(std::abs(admm.structureResidual.front() - residual(dense.model)) < 1e-6);
        QVERIFY(std::abs(admm.structureResidual.back() - residual(admm.model)) < 1e-6); // the last epoch's model
        QCOMPARE(admm.bestEpoch, 4);
        qInfo("relative residual |W - P(W)|/|W|: %.3f before, %.3f after 4 ADMM epochs", admm.structureResidual.front(),
              admm.structureResidual.back());
        QVERIFY(admm.structureResidual.back() < 0.7 * admm.structureResidual.front());
        // Without the proximal term the same training keeps the weights unstructured.
        o.admm.targets.clear();
        const TrainResult plain = trainModel(dense.model, data, o);
        QVERIFY(plain.structureResidual.empty());
        qInfo("without ADMM: %.3f", residual(plain.model));
        QVERIFY(residual(plain.model) > 1.5 * residual(admm.model));

        // Z/U every 3 batches with a growing ρ: also moves toward the structure; deterministic per thread count.
        o.admm.targets = {{layer, 4}};
        o.admm.updateEveryBatches = 3;
        o.admm.rhoGrowth = 1.05;
        for (std::size_t threads : {std::size_t(1), std::size_t(2)}) {
            setWorkerCount(threads);
            const TrainResult a = trainModel(dense.model, data, o);
            const TrainResult b = trainModel(dense.model, data, o);
            QVERIFY(sameWeights(a.model, b.model));
            QCOMPARE(a.structureResidual, b.structureResidual);
            QVERIFY(a.structureResidual.back() < a.structureResidual.front());
        }

        o.admm.targets = {{"nope", 4}};
        QVERIFY_THROWS_EXCEPTION(Error, trainModel(dense.model, data, o));
        o.admm.targets = {{layer, 4}};
        o.admm.rho = 0;
        QVERIFY_THROWS_EXCEPTION(Error, trainModel(dense.model, data, o));
        o.admm.rho = 0.5;
        QVERIFY_THROWS_EXCEPTION(Error, trainModel(mlp("24-32-4", 4), data, o)); // already block-circulant
    }

    void badInput()
    {
        const Dataset data = clusters(100, 16, 3, 0.8f, 4);
        TrainOptions o = quick(1);
        QVERIFY_THROWS_EXCEPTION(ShapeError, trainModel(mlp("12-8-3", 1), data, o)); // 16 features vs 12
        QVERIFY_THROWS_EXCEPTION(ShapeError, trainModel(mlp("16-8-2", 1), data, o)); // label 2 of 2 classes
        o.batchSize = 0;
        QVERIFY_THROWS_EXCEPTION(Error, trainModel(mlp("16-8-3", 1), data, o));
        o = quick(0);
        QVERIFY_THROWS_EXCEPTION(Error, trainModel(mlp("16-8-3", 1), data, o));
        o = quick(1);
        o.validationSplit = 1.0;
        QVERIFY_THROWS_EXCEPTION(Error, trainModel(mlp("16-8-3", 1), data, o));
    }
};

QTEST_APPLESS_MAIN(TestTrainer)
#include "TestTrainer.moc"
