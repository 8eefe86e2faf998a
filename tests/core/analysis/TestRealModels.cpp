// End to end on the real Keras models in ../shared/models: read (core/io) → Model → evaluate on
// MNIST t10k; top-1 must match the independent numpy reference in ../shared/models/README.md
// within ±0.0005. Also: a k = 1 conversion of a real model is bit-identical, and a projected
// block-circulant conversion still runs and equals its expanded dense twin. Skips without ../shared.

#include <QTest>

#include "TestSupport.h"
#include "analysis/Conversion.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "nn/Evaluation.h"

using namespace circnn;

class TestRealModels : public QObject {
    Q_OBJECT
private slots:
    void accuracy_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<double>("top1");
        QTest::newRow("mlp keras 2.0.8") << "mlp_keras2.0.8_jacegem.h5" << 0.9079;
        QTest::newRow("mlp keras 3.3.3") << "mlp_keras3.3.3_4bumuhammad.h5" << 0.9714;
        QTest::newRow("cnn keras 2.3.1") << "cnn_keras2.3.1_ikukang.h5" << 0.9908;
        QTest::newRow("cnn keras 3.1.1 h5") << "cnn_keras3.1.1_moonflower2022.h5" << 0.9928;
        QTest::newRow("cnn keras 3.1.1 .keras") << "cnn_keras3.1.1_moonflower2022.keras" << 0.9918;
    }
    void accuracy()
    {
        CIRCNN_REQUIRE_SHARED();
        QFETCH(QString, file);
        QFETCH(double, top1);
        const Model model(readModel(test::sharedDir() / "models" / file.toStdString()));
        Dataset data = readDataset(test::sharedDir() / "data" / "mnist" / "t10k-images-idx3-ubyte.gz");
        fitDatasetToInput(data, model.inputShape());
        const Evaluation ev = evaluate(model, data);
        QCOMPARE(ev.count, std::int64_t(10000));
        qInfo("%s: top-1 %.4f (reference %.4f), top-5 %.4f, CE %.4f, %.0f images/s", qPrintable(file), ev.top1, top1,
              ev.top5, ev.meanCrossEntropy, ev.imagesPerSecond);
        QVERIFY2(std::abs(ev.top1 - top1) <= 0.0005,
                 (file.toStdString() + ": top-1 " + std::to_string(ev.top1) + " vs reference " + std::to_string(top1))
                     .c_str());
        QVERIFY(ev.top5 >= ev.top1);
        QVERIFY(ev.meanCrossEntropy > 0 && ev.meanCrossEntropy < 1);
    }

    void conversionOfRealCnn()
    {
        CIRCNN_REQUIRE_SHARED();
        const ModelSpec spec = readModel(test::sharedDir() / "models" / "cnn_keras2.3.1_ikukang.h5");
        DatasetOptions options;
        options.limit = 300;
        Dataset data = readDataset(test::sharedDir() / "data" / "mnist" / "t10k-images-idx3-ubyte.gz", options);
        fitDatasetToInput(data, spec.layers.front().inputShape);
        const Model original(spec);
        const ConversionResult same = convertModel(spec, ConversionRequest{{1, {}, true}});
        const Agreement a = compareModels(original, Model(same.model), data);
        QCOMPARE(a.maxAbsDifference, 0.0);
        QCOMPARE(a.top1Match, 1.0);
        const ConversionResult r = convertModel(spec, ConversionRequest{{4, {}, false}});
        int converted = 0;
        for (const auto& l : r.layers)
            converted += l.converted;
        QVERIFY(converted >= 3); // conv 32→64, conv 64→64, dense 576→64 (conv1 has C_in = 1, output stays dense)
        ModelSpec dense = r.model;
        for (LayerSpec& l : dense.layers)
            if (l.circulant) {
                l.kernel = expandedKernel(l);
                l.circulant.reset();
            }
        const Agreement twin = compareModels(Model(r.model), Model(dense), data);
        QVERIFY2(twin.maxAbsDifference < 1e-4, std::to_string(twin.maxAbsDifference).c_str());
    }
};

QTEST_APPLESS_MAIN(TestRealModels)
#include "TestRealModels.moc"
