// The bundled sample models (sample_models/README.md) open, run, and keep the accuracy the
// README states on the bundled 1k evaluation set — the GUI and the demo depend on them.

#include <QTest>

#include "TestSupport.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"
#include "nn/Evaluation.h"
#include "nn/Model.h"

using namespace circnn;

class TestSampleModels : public QObject {
    Q_OBJECT
private slots:
    void accuracyAsDocumented_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<double>("top1");      // sample_models/README.md, 1k eval set
        QTest::addColumn<int>("circulantK");   // k of the first hidden layer (1 = dense)
        QTest::newRow("mlp dense") << "fashion_mlp_dense.h5" << 0.872 << 1;
        QTest::newRow("mlp k=8") << "fashion_mlp_k8.circnn.h5" << 0.864 << 8;
        QTest::newRow("cnn dense") << "fashion_cnn_dense.h5" << 0.851 << 1;
    }
    void accuracyAsDocumented()
    {
        QFETCH(QString, file);
        QFETCH(double, top1);
        QFETCH(int, circulantK);
        const auto dir = test::sourceDir() / "sample_models";
        const ModelSpec spec = readModel(dir / file.toStdString());
        const LayerSpec* hidden = nullptr;
        for (const LayerSpec& l : spec.layers)
            if ((l.kind == LayerKind::Dense || l.kind == LayerKind::Conv2D) && !hidden)
                hidden = &l;
        QVERIFY(hidden);
        QCOMPARE(hidden->circulant ? int(hidden->circulant->k) : 1, circulantK);
        const Model model(spec);
        Dataset data = readDataset(dir / "fashion_test_1k.h5");
        QCOMPARE(data.count(), std::int64_t(1000));
        fitDatasetToInput(data, model.inputShape());
        const Evaluation e = evaluate(model, data);
        QVERIFY2(std::abs(e.top1 - top1) < 0.0005,
                 qPrintable(QString("%1: top-1 %2, README says %3").arg(file).arg(e.top1).arg(top1)));
    }
};

QTEST_APPLESS_MAIN(TestSampleModels)
#include "TestSampleModels.moc"
