#include <QApplication>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>

#include <cstdlib>
#include <fstream>

#include "HeatmapWidget.h"
#include "MainWindow.h"
#include "TestSupport.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"

using namespace circnn;

namespace {
// A two-layer MLP 12-6-3 with recognisable weights, saved in the native format.
std::filesystem::path writeSmallModel()
{
    ModelSpec m;
    m.name = "small";
    LayerSpec in;
    in.name = "input";
    in.kind = LayerKind::Input;
    in.inputShape = {12};
    LayerSpec d1;
    d1.name = "hidden";
    d1.kind = LayerKind::Dense;
    d1.inputs = {"input"};
    d1.units = 6;
    d1.activation = ActivationKind::Relu;
    d1.kernel = Tensor({12, 6});
    for (std::int64_t i = 0; i < d1.kernel.size(); ++i)
        d1.kernel[i] = float(i % 7) - 3.0f;
    d1.bias = Tensor({6}, 0.5f);
    LayerSpec d2;
    d2.name = "out";
    d2.kind = LayerKind::Dense;
    d2.inputs = {"hidden"};
    d2.units = 3;
    d2.activation = ActivationKind::Softmax;
    d2.kernel = Tensor({6, 3}, 0.25f);
    d2.bias = Tensor({3});
    m.layers = {in, d1, d2};
    m.inputs = {"input"};
    m.outputs = {"out"};
    inferShapes(m);
    const auto path = test::tempDir() / "gui_small.circnn.h5";
    writeNativeModel(m, path);
    return path;
}
} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName("CirCNN-test");
        QCoreApplication::setApplicationName("gui-test");
    }

    void opensModelAndShowsLayers()
    {
        const auto path = writeSmallModel();
        gui::MainWindow w;
        w.show();
        QSignalSpy loaded(&w, &gui::MainWindow::modelLoaded);
        QSignalSpy shown(&w, &gui::MainWindow::layerShown);
        w.openModel(QString::fromStdString(path.string()));
        QVERIFY(loaded.wait(10000));
        // The heatmap is prepared on a worker thread.
        QVERIFY(shown.count() > 0 || shown.wait(10000));
        QCOMPARE(shown.last().at(0).toString(), QString("hidden"));
        QVERIFY(w.model());
        QCOMPARE(w.layerTable()->rowCount(), 3);
        QCOMPARE(w.layerTable()->item(1, 0)->text(), QString("hidden"));
        QCOMPARE(w.layerTable()->item(1, 3)->text().remove(QRegularExpression("[^0-9]")), QString("78"));
        // The first layer with weights is selected and shown as W = kernelᵀ (6 × 12).
        QCOMPARE(w.heatmap()->matrixRows(), 6);
        QCOMPARE(w.heatmap()->matrixCols(), 12);
        // Selecting a layer without weights clears the heatmap; selecting "out" shows W (3 × 6).
        w.selectLayer("input");
        QCOMPARE(w.heatmap()->matrixRows(), 0);
        shown.clear();
        w.selectLayer("out");
        QVERIFY(shown.wait(10000));
        QCOMPARE(shown.last().at(0).toString(), QString("out"));
        QCOMPARE(w.heatmap()->matrixRows(), 3);
        QCOMPARE(w.heatmap()->matrixCols(), 6);
        // Screenshot for the docs when asked (CIRCNN_SCREENSHOT_DIR).
        if (const char* dir = std::getenv("CIRCNN_SCREENSHOT_DIR"))
            w.grab().save(QString(dir) + "/main-window-test.png");
    }

    void badFileShowsError()
    {
        const auto path = test::tempDir() / "not_a_model.h5";
        {
            std::ofstream out(path);
            out << "this is not HDF5";
        }
        gui::MainWindow w;
        QSignalSpy failed(&w, &gui::MainWindow::modelLoadFailed);
        w.openModel(QString::fromStdString(path.string()));
        QVERIFY(failed.wait(10000));
        QVERIFY2(w.lastError().contains("not_a_model.h5"), qPrintable(w.lastError()));
        QVERIFY(!w.model());
    }
};

QTEST_MAIN(TestMainWindow)
#include "TestMainWindow.moc"
