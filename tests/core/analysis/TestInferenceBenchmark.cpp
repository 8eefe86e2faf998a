// InferenceBenchmark (the harness of `circnn bench --model` / `--conv`): every requested row is
// produced, dense and block-circulant outputs agree, parameter counts are those of the two forms,
// the thread setting is restored, bad requests throw. No timing assertions.

#include <QTest>

#include "../nn/NnTestUtil.h"
#include "TestSupport.h"
#include "analysis/InferenceBenchmark.h"
#include "common/Error.h"
#include "common/Parallel.h"

using namespace circnn;
using circnn::test::SpecBuilder;

class TestInferenceBenchmark : public QObject {
    Q_OBJECT

private slots:
    void convolutionsAgree()
    {
        InferenceBenchConfig config;
        config.batches = {1, 3};
        config.threads = {1, 2};
        config.repeat = 1;
        config.minSampleSeconds = 1e-4;
        const std::size_t workersBefore = workerCount();
        int seen = 0;
        // 20 -> 12 channels: k = 8 does not divide 20 (zero-padded channels); k = 40 > 20 is skipped.
        const auto rows =
            benchmarkConvolutions({{20, 12, 5, 6}}, {4, 8, 40}, config, [&](const InferenceBenchRow&) { ++seen; });
        QCOMPARE(rows.size(), std::size_t(2 * 2 * 2));
        QCOMPARE(seen, 8);
        QCOMPARE(workerCount(), workersBefore);
        for (const auto& r : rows) {
            QCOMPARE(r.label, std::string("20->12@5x6"));
            QVERIFY(r.denseUs > 0 && r.circulantUs > 0);
            QVERIFY2(r.maxRelDiff < 1e-5, std::to_string(r.maxRelDiff).c_str());
            QCOMPARE(r.denseParameters, 9 * 20 * 12 + 12);
            const std::int64_t p = (12 + r.blockSize - 1) / r.blockSize, q = (20 + r.blockSize - 1) / r.blockSize;
            QCOMPARE(r.circulantParameters, 9 * p * q * r.blockSize + 12);
        }
    }

    void modelAgrees()
    {
        SpecBuilder b({32}, "mlp");
        b.dense(32, 24, ActivationKind::Relu).name = "fc1";
        b.dense(24, 10, ActivationKind::Softmax).name = "fc2";
        const ModelSpec model = b.done();
        InferenceBenchConfig config;
        config.batches = {1, 40};
        config.threads = {1, 0};
        config.repeat = 1;
        config.minSampleSeconds = 1e-4;
        const auto rows = benchmarkModelInference(model, 8, config);
        QCOMPARE(rows.size(), std::size_t(4));
        for (const auto& r : rows) {
            QCOMPARE(r.label, std::string("mlp"));
            QVERIFY2(r.maxRelDiff < 1e-5, std::to_string(r.maxRelDiff).c_str());
            QVERIFY(r.circulantParameters < r.denseParameters); // fc1 converted, fc2 (output) dense
            QVERIFY(r.threads >= 1);
        }
        QCOMPARE(rows[1].threads, workerCount());
        // No layer converts at k = 64 (> both sizes of fc1): a clear error, not a silent dense run.
        QVERIFY_THROWS_EXCEPTION(Error, benchmarkModelInference(model, 64, config));
        config.repeat = 0;
        QVERIFY_THROWS_EXCEPTION(ShapeError, benchmarkModelInference(model, 8, config));
    }
};

QTEST_APPLESS_MAIN(TestInferenceBenchmark)
#include "TestInferenceBenchmark.moc"
