// circnn-studio, offscreen: open a model, select a layer, a heatmap pixel (zoomed in) against the
// core's weight, k changes (projection and residual against the core, latest request wins), a click
// on a block (spectrum series against a DFT of the core's defining vector), a platform field edit
// (estimate table against core's estimateModel), a malformed file (current model kept, no HDF5
// handle left open), cancelling a long recomputation, recent files, reset layout and the command line.

#include <QApplication>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineSeries>
#include <QMessageBox>
#include <QMouseEvent>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>
#include <QThread>

#include <H5Fpublic.h>

#include <cmath>
#include <complex>
#include <fstream>
#include <numbers>

#include "../../core/nn/NnTestUtil.h"
#include "Document.h"
#include "HelpDialogs.h"
#include "JobRunner.h"
#include "MainWindow.h"
#include "TestSupport.h"
#include "analysis/BlockInspect.h"
#include "circulant/BlockCirculantMatrix.h"
#include "common/Error.h"
#include "hw/Estimator.h"
#include "hw/PlatformRegistry.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"
#include "nn/training/Architecture.h"
#include "views/BlockInspectorView.h"
#include "views/HardwareView.h"
#include "views/LayerExplorerView.h"
#include "views/ModelView.h"
#include "views/PlatformForm.h"
#include "widgets/HeatmapWidget.h"

using namespace circnn;

namespace {
// Input(in) → Dense "hidden" (units, random weights) → Dense "out" (3, softmax).
ModelSpec mlp(std::int64_t in, std::int64_t units, std::uint32_t seed)
{
    ModelSpec m;
    m.name = "mlp";
    LayerSpec input;
    input.name = "input";
    input.kind = LayerKind::Input;
    input.inputShape = {in};
    LayerSpec h;
    h.name = "hidden";
    h.kind = LayerKind::Dense;
    h.inputs = {"input"};
    h.units = units;
    h.activation = ActivationKind::Relu;
    h.kernel = Tensor({in, units});
    const auto w = test::randomVector(std::size_t(in * units), seed);
    std::copy(w.begin(), w.end(), h.kernel.data());
    h.bias = Tensor({units}, 0.1f);
    LayerSpec o;
    o.name = "out";
    o.kind = LayerKind::Dense;
    o.inputs = {"hidden"};
    o.units = 3;
    o.activation = ActivationKind::Softmax;
    o.kernel = Tensor({units, 3}, 0.25f);
    o.bias = Tensor({3});
    m.layers = {input, h, o};
    m.inputs = {"input"};
    m.outputs = {"out"};
    inferShapes(m);
    return m;
}

QString writeModel(const ModelSpec& m, const std::string& file)
{
    const auto path = test::tempDir() / file;
    writeNativeModel(m, path);
    return QString::fromStdString(path.string());
}

// W = kernelᵀ, row-major units × in (the explorer's orientation), straight from the spec.
std::vector<float> weightRows(const LayerSpec& l)
{
    const std::int64_t in = l.kernel.dim(0), units = l.kernel.dim(1);
    std::vector<float> w(std::size_t(in * units));
    for (std::int64_t r = 0; r < units; ++r)
        for (std::int64_t c = 0; c < in; ++c)
            w[std::size_t(r * in + c)] = l.kernel[c * units + r];
    return w;
}

float maxAbs(const std::vector<float>& v)
{
    float m = 0;
    for (float x : v)
        m = std::max(m, std::abs(x));
    return m;
}

bool waitProjection(gui::MainWindow& w, std::int64_t k)
{
    return QTest::qWaitFor(
        [&] {
            return !w.jobs()->isBusy() && w.document()->projection() && w.document()->projection()->projection.k == k;
        },
        20000);
}

QRgb pixelAt(gui::HeatmapWidget* h, double row, double col)
{
    const QImage shot = h->grab().toImage();
    const QPointF p = h->cellCentre(row, col) * shot.devicePixelRatio();
    return shot.pixel(p.toPoint());
}
} // namespace

class TestStudio : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName("CirCNN-test");
        QCoreApplication::setApplicationName("gui-test");
        // Settings (recent files, layout) go to the test's scratch folder, not the user's.
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope,
                           QString::fromStdString((test::tempDir() / "settings").string()));
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                           QString::fromStdString((test::tempDir() / "settings").string()));
        QSettings().clear();
    }

    void opensModelAndSelectsLayer()
    {
        const QString path = writeModel(mlp(40, 24, 1), "gui_mlp.circnn.h5");
        gui::MainWindow w;
        w.show();
        w.openModel(path);
        QVERIFY(waitProjection(w, 8));
        QTableWidget* table = w.modelView()->layerTable();
        QCOMPARE(table->rowCount(), 3);
        QCOMPARE(table->item(1, 0)->text(), QString("hidden"));
        QCOMPARE(table->item(1, 3)->text().remove(QRegularExpression("[^0-9]")), QString::number(40 * 24 + 24));
        QVERIFY(w.modelView()->totalsTable()->item(0, 3)->text().remove(QRegularExpression("[^0-9]")) ==
                QString::number(40 * 24 + 24 + 24 * 3 + 3));
        // The first layer with weights is selected and shown as W = kernelᵀ (24 × 40).
        QCOMPARE(w.document()->selectedLayer(), 1);
        QCOMPARE(w.explorerView()->heatmap()->matrixRows(), std::int64_t(24));
        QCOMPARE(w.explorerView()->heatmap()->matrixCols(), std::int64_t(40));
        // Selecting a row of the table selects the layer everywhere.
        table->selectRow(2);
        QVERIFY(waitProjection(w, 2) || waitProjection(w, 1) || w.document()->selectedLayer() == 2);
        QCOMPARE(w.document()->selectedLayer(), 2);
        QTRY_COMPARE(w.explorerView()->heatmap()->matrixRows(), std::int64_t(3));
        QTRY_VERIFY(w.modelView()->statisticsLabel()->text().contains("kernel"));
    }

    void heatmapPixelMatchesCoreWeight()
    {
        const ModelSpec spec = mlp(40, 24, 2);
        gui::MainWindow w;
        w.show();
        w.openModel(writeModel(spec, "gui_pixel.circnn.h5"));
        QVERIFY(waitProjection(w, 8));
        const std::vector<float> W = weightRows(*spec.find("hidden"));
        gui::HeatmapWidget* h = w.explorerView()->heatmap();
        h->setZoom(16);
        for (const auto& [r, c] : {std::pair{5, 7}, std::pair{23, 39}, std::pair{0, 0}, std::pair{12, 31}}) {
            h->centreOn(r, c);
            const float v = W[std::size_t(r * 40 + c)];
            QCOMPARE(QColor(pixelAt(h, r, c)).name(), QColor(gui::HeatmapWidget::colourFor(v, maxAbs(W))).name());
        }
        // Hovering reads the value out.
        h->centreOn(5, 7);
        const QPointF at = h->cellCentre(5, 7);
        QMouseEvent move(QEvent::MouseMove, at, h->mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(h, &move);
        QVERIFY2(h->hoverText().contains("row 5, column 7"), qPrintable(h->hoverText()));
        QVERIFY(h->hoverText().contains(QString::number(W[5 * 40 + 7], 'g', 6)));
        QVERIFY(h->hoverText().contains("block (0, 0)"));
    }

    void blockSizeChangeUpdatesProjectionAndResidual()
    {
        const ModelSpec spec = mlp(40, 24, 3);
        gui::MainWindow w;
        w.show();
        w.openModel(writeModel(spec, "gui_k.circnn.h5"));
        QVERIFY(waitProjection(w, 8));
        const std::vector<float> W = weightRows(*spec.find("hidden"));
        gui::LayerExplorerView* ex = w.explorerView();
        QCOMPARE(ex->blockSizes(), (std::vector<std::int64_t>{1, 2, 4, 8, 16}));
        ex->setBlockSize(4);
        QVERIFY(waitProjection(w, 4));
        const std::vector<float> P = BlockCirculantMatrix::project(W, 24, 40, 4).toDense();
        double e2 = 0, n2 = 0;
        for (std::size_t t = 0; t < W.size(); ++t) {
            e2 += double(W[t] - P[t]) * (W[t] - P[t]);
            n2 += double(W[t]) * W[t];
        }
        const double rel = std::sqrt(e2 / n2);
        QVERIFY2(ex->residualText().contains(QString::number(rel, 'f', 4)), qPrintable(ex->residualText()));
        QVERIFY(std::abs(w.document()->projection()->projection.relativeResidual - rel) < 1e-6);
        // The projection on screen, zoomed in, is the core's projection.
        ex->setShow(gui::LayerExplorerView::Show::Projection);
        gui::HeatmapWidget* h = ex->heatmap();
        h->setZoom(16);
        h->centreOn(9, 13);
        QCOMPARE(QColor(pixelAt(h, 9, 13)).name(),
                 QColor(gui::HeatmapWidget::colourFor(P[9 * 40 + 13], maxAbs(W))).name());
        // The residual, on its own scale.
        ex->setShow(gui::LayerExplorerView::Show::Residual);
        std::vector<float> R(W.size());
        for (std::size_t t = 0; t < W.size(); ++t)
            R[t] = W[t] - P[t];
        QCOMPARE(QColor(pixelAt(h, 9, 13)).name(),
                 QColor(gui::HeatmapWidget::colourFor(R[9 * 40 + 13], maxAbs(R))).name());
    }

    void convolutionTapsAndTiling()
    {
        // Conv2D 3×3, C_in 8 → C_out 16: all taps side by side (16 × 72, segments of 8 columns), or one tap.
        test::SpecBuilder b({6, 6, 8}, "cnn");
        b.conv(8, 16, 3, 3, ActivationKind::Relu).name = "conv";
        b.simple(LayerKind::Flatten);
        b.dense(4 * 4 * 16, 3, ActivationKind::Softmax).name = "out";
        const ModelSpec spec = b.done();
        gui::MainWindow w;
        w.show();
        w.openModel(writeModel(spec, "gui_cnn.circnn.h5"));
        QVERIFY(waitProjection(w, 8));
        QCOMPARE(w.explorerView()->heatmap()->matrixCols(), std::int64_t(72));
        QCOMPARE(w.document()->projection()->projection.segmentCols, std::int64_t(8));
        w.explorerView()->setTap(4);
        QVERIFY(QTest::qWaitFor([&] { return !w.jobs()->isBusy() && w.document()->projection()->tap == 4; }, 20000));
        QCOMPARE(w.explorerView()->heatmap()->matrixCols(), std::int64_t(8));
        const WeightMatrixView tap = layerMatrix(*spec.find("conv"), 4);
        const std::vector<float> P = BlockCirculantMatrix::project(tap.values, 16, 8, 8).toDense();
        const std::vector<float> shown = projectedMatrix(w.document()->projection()->projection);
        CIRCNN_COMPARE_VECTORS(shown.data(), P.data(), P.size(), 1e-6, "tap 4 projection");
    }

    void depthwiseKernelPerChannel()
    {
        // Conv2D 1×1 (4 → 8), DepthwiseConv2D 3×3 over 8 channels: tiled 3 per row (9 × 9), or one
        // channel's 3 × 3 filter; the stays-dense reason is shown, no block size is offered.
        test::SpecBuilder b({6, 6, 4}, "mobile");
        b.conv(4, 8, 1, 1, ActivationKind::Relu).name = "pointwise";
        b.depthwise(8, 3, 3, 1, ActivationKind::Relu).name = "depthwise";
        b.simple(LayerKind::Flatten);
        b.dense(4 * 4 * 8, 3, ActivationKind::Softmax).name = "out";
        const ModelSpec spec = b.done();
        gui::MainWindow w;
        w.show();
        w.openModel(writeModel(spec, "gui_depthwise.circnn.h5"));
        QVERIFY(QTest::qWaitFor([&] { return !w.jobs()->isBusy() && w.document()->projection(); }, 20000));
        w.document()->selectLayer(static_cast<int>(spec.indexOf("depthwise")));
        gui::LayerExplorerView* ex = w.explorerView();
        QVERIFY(QTest::qWaitFor(
            [&] {
                return !w.jobs()->isBusy() && w.document()->projection() &&
                       w.document()->projection()->layer == static_cast<int>(spec.indexOf("depthwise"));
            },
            20000));
        QCOMPARE(ex->blockSizes(), (std::vector<std::int64_t>{1}));
        QCOMPARE(ex->heatmap()->matrixRows(), std::int64_t(9));
        QCOMPARE(ex->heatmap()->matrixCols(), std::int64_t(9));
        QVERIFY2(ex->residualText().contains("no channel mixing"), qPrintable(ex->residualText()));
        const LayerSpec& dw = *spec.find("depthwise");
        QCOMPARE(w.document()->projection()->matrix->values, layerMatrix(dw, -1).values);
        ex->setTap(5);
        QVERIFY(QTest::qWaitFor([&] { return !w.jobs()->isBusy() && w.document()->projection()->tap == 5; }, 20000));
        QCOMPARE(ex->heatmap()->matrixRows(), std::int64_t(3));
        QCOMPARE(ex->heatmap()->matrixCols(), std::int64_t(3));
        // Channel 5's filter, straight from the kernel (kh, kw, C, 1).
        std::vector<float> want(9);
        for (std::int64_t r = 0; r < 3; ++r)
            for (std::int64_t c = 0; c < 3; ++c)
                want[std::size_t(r * 3 + c)] = dw.depthwiseKernel[(r * 3 + c) * 8 + 5];
        QCOMPARE(w.document()->projection()->matrix->values, want);
        QVERIFY(ex->residualText().contains("Stays dense"));
    }

    void attentionProjectionPerChoice()
    {
        // MultiHeadAttention has four matrices: the explorer's projection box picks the query,
        // key, value or output projection (W = kernelᵀ), each projected at its own block sizes.
        ArchitectureOptions o;
        o.seed = 2;
        const ModelSpec spec = buildArchitecture(R"({"input": [8], "layers": [{"embedding": 8, "vocab": 10},
            {"attention": {"heads": 2, "key_dim": 4, "output_dim": 6}}, "global_average_pooling", {"dense": 2}]})",
                                                 o)
                                   .model;
        const int index = static_cast<int>(spec.indexOf("multi_head_attention_1"));
        const LayerSpec& mha = spec.layers[std::size_t(index)];
        gui::MainWindow w;
        w.show();
        w.openModel(writeModel(spec, "gui_attention.circnn.h5"));
        QVERIFY(QTest::qWaitFor([&] { return !w.jobs()->isBusy() && w.document()->projection(); }, 20000));
        w.document()->selectLayer(index);
        gui::LayerExplorerView* ex = w.explorerView();
        QVERIFY(QTest::qWaitFor(
            [&] {
                return !w.jobs()->isBusy() && w.document()->projection() && w.document()->projection()->layer == index;
            },
            20000));
        QCOMPARE(w.document()->projection()->tap, std::int64_t(0)); // the query projection first
        QCOMPARE(w.document()->projection()->matrix->values, layerMatrix(mha, 0).values);
        QCOMPARE(ex->heatmap()->matrixRows(), std::int64_t(8)); // heads·key_dim × d
        ex->setTap(3);
        QVERIFY(QTest::qWaitFor([&] { return !w.jobs()->isBusy() && w.document()->projection()->tap == 3; }, 20000));
        QCOMPARE(ex->heatmap()->matrixRows(), std::int64_t(6)); // out × heads·value_dim
        QCOMPARE(ex->heatmap()->matrixCols(), std::int64_t(8));
        const WeightMatrixView output = layerMatrix(mha, 3);
        QCOMPARE(w.document()->projection()->matrix->values, output.values);
        QVERIFY2(QString::fromStdString(output.description).startsWith("output projection"),
                 output.description.c_str());
        ex->setBlockSize(2);
        QVERIFY(waitProjection(w, 2));
        const std::vector<float> P = BlockCirculantMatrix::project(output.values, 6, 8, 2).toDense();
        const std::vector<float> shown = projectedMatrix(w.document()->projection()->projection);
        CIRCNN_COMPARE_VECTORS(shown.data(), P.data(), P.size(), 1e-6, "output projection at k = 2");
    }

    void latestRequestWins()
    {
        gui::MainWindow w;
        w.show();
        w.openModel(writeModel(mlp(40, 24, 4), "gui_latest.circnn.h5"));
        QVERIFY(waitProjection(w, 8));
        QSignalSpy changed(w.document(), &gui::Document::projectionChanged);
        w.explorerView()->setBlockSize(2);
        w.explorerView()->setBlockSize(4);
        w.explorerView()->setBlockSize(16);
        QVERIFY(waitProjection(w, 16));
        QTest::qWait(50);
        QCOMPARE(changed.count(), 1); // the first two results were dropped
    }

    void clickOnBlockShowsItsSpectrum()
    {
        const ModelSpec spec = mlp(40, 24, 5);
        gui::MainWindow w;
        w.show();
        w.openModel(writeModel(spec, "gui_block.circnn.h5"));
        QVERIFY(waitProjection(w, 8));
        gui::HeatmapWidget* h = w.explorerView()->heatmap();
        h->setZoom(10);
        h->centreOn(12, 20);
        // Row 12 → block row 1; column 20 → block column 2.
        QTest::mouseClick(h, Qt::LeftButton, {}, h->cellCentre(12, 20).toPoint());
        QCOMPARE(w.document()->blockRow(), std::int64_t(1));
        QCOMPARE(w.document()->blockCol(), std::int64_t(2));
        const std::vector<float> W = weightRows(*spec.find("hidden"));
        const BlockCirculantMatrix core = BlockCirculantMatrix::project(W, 24, 40, 8);
        auto check = [&](std::int64_t i, std::int64_t j) {
            const float* v = core.vectors().data() + (i * core.blockCols() + j) * 8;
            QLineSeries* vec = w.inspectorView()->vectorSeries();
            QLineSeries* mag = w.inspectorView()->magnitudeSeries();
            QLineSeries* ph = w.inspectorView()->phaseSeries();
            QVERIFY(vec && mag && ph);
            QCOMPARE(vec->count(), 8);
            QCOMPARE(mag->count(), 5);
            for (int t = 0; t < 8; ++t)
                QVERIFY(std::abs(vec->at(t).y() - v[t]) < 1e-6);
            for (int f = 0; f <= 4; ++f) {
                std::complex<double> s = 0;
                for (int t = 0; t < 8; ++t)
                    s += double(v[t]) * std::polar(1.0, -2 * std::numbers::pi * f * t / 8);
                QVERIFY2(std::abs(mag->at(f).y() - std::abs(s)) < 1e-5,
                         qPrintable(QString("bin %1: %2 vs %3").arg(f).arg(mag->at(f).y()).arg(std::abs(s))));
                if (std::abs(s) > 1e-4)
                    QVERIFY(std::abs(std::remainder(ph->at(f).y() - std::arg(s), 2 * std::numbers::pi)) < 1e-4);
            }
        };
        check(1, 2);
        // Keyboard: Right and Down step to the neighbouring blocks.
        QTest::keyClick(w.inspectorView(), Qt::Key_Right);
        QCOMPARE(w.document()->blockCol(), std::int64_t(3));
        QTest::keyClick(w.inspectorView(), Qt::Key_Down);
        QCOMPARE(w.document()->blockRow(), std::int64_t(2));
        check(2, 3);
        QVERIFY(w.inspectorView()->headerText().contains("Block (2, 3)"));
    }

    void platformFieldChangesEstimate()
    {
        const ModelSpec spec = mlp(40, 24, 6);
        gui::MainWindow w;
        w.show();
        QSignalSpy updated(w.hardwareView(), &gui::HardwareView::estimatesUpdated);
        w.openModel(writeModel(spec, "gui_hw.circnn.h5"));
        QVERIFY(updated.wait(20000));
        gui::HardwareView* hv = w.hardwareView();
        int index = -1;
        for (std::size_t i = 0; i < hv->platforms().size(); ++i)
            if (hv->platforms()[i].name == "xcku060")
                index = int(i);
        QVERIFY(index >= 0);
        hv->selectPlatform(index);
        QCOMPARE(hv->platformForm()->platform().name, std::string("xcku060"));
        auto shownXcku = [&](std::int64_t k) {
            for (std::size_t i = 0; i < hv->results().size(); ++i)
                if (hv->results()[i].platform == "xcku060" && hv->results()[i].k == k)
                    hv->showResult(int(i));
            return hv->results()[std::size_t(hv->shownResult())];
        };
        QTableWidget* table = hv->table();
        const int total = 3; // input, hidden, out, then the total row
        const double before = table->item(total, 4)->data(Qt::UserRole).toDouble();
        QCOMPARE(shownXcku(8).platform, QString("xcku060"));
        // Halve the clock in the form: the table follows the core's prediction for the edited platform.
        updated.clear();
        hv->platformForm()->field("clock_mhz")->setValue(100);
        QVERIFY(updated.wait(20000));
        QCOMPARE(shownXcku(8).k, std::int64_t(8));
        hw::Platform edited = hw::findPlatform("xcku060");
        edited.clockMhz = 100;
        hw::EstimateOptions o;
        o.precision = hw::Precision::Fixed16;
        o.batch = 1;
        o.blocks.defaultBlockSize = 8;
        const hw::Estimate expected = hw::estimateModel(spec, edited, o);
        const double latency = table->item(total, 4)->data(Qt::UserRole).toDouble();
        QVERIFY2(std::abs(latency - expected.circulant.latencyS) <= 1e-12 * expected.circulant.latencyS,
                 qPrintable(QString("%1 vs %2").arg(latency).arg(expected.circulant.latencyS)));
        QVERIFY(latency != before || before == 0);
        QCOMPARE(table->item(1, 4)->data(Qt::UserRole).toDouble(), expected.circulant.layers[1].latencyS);
        QCOMPARE(table->item(total, 6)->data(Qt::UserRole).toDouble(), expected.circulant.energy.totalPj());
        QCOMPARE(table->item(total, 3)->data(Qt::UserRole).toDouble(), expected.dense.latencyS);

        // A plan file is one more configuration, estimated as the core estimates that plan.
        const auto planPath = test::tempDir() / "gui_plan.json";
        {
            std::ofstream out(planPath);
            out << R"({"default_k": 0, "layers": {"hidden": 4}})";
        }
        updated.clear();
        hv->setPlanFile(QString::fromStdString(planPath.string()));
        QVERIFY(updated.wait(20000));
        o.blocks = ConversionPlan{};
        o.blocks.perLayer["hidden"] = 4;
        const hw::Estimate planned = hw::estimateModel(spec, edited, o);
        const auto& shown = shownXcku(0);
        QCOMPARE(shown.k, std::int64_t(0));
        QCOMPARE(shown.estimate.circulant.layers[1].blockSize, std::int64_t(4));
        QCOMPARE(table->item(total, 4)->data(Qt::UserRole).toDouble(), planned.circulant.latencyS);
        {
            std::ofstream out(planPath);
            out << R"({"default_k": "eight"})";
        }
        QVERIFY_THROWS_EXCEPTION(Error, hv->setPlanFile(QString::fromStdString(planPath.string())));
    }

    void malformedFileKeepsCurrentModel()
    {
        const QString good = writeModel(mlp(40, 24, 7), "gui_good.circnn.h5");
        gui::MainWindow w;
        w.show();
        w.openModel(good);
        QVERIFY(waitProjection(w, 8));
        const auto model = w.document()->model();
        const auto garbage = test::tempDir() / "gui_not_a_model.h5";
        {
            std::ofstream out(garbage);
            out << "this is not HDF5";
        }
        QSignalSpy failed(&w, &gui::MainWindow::openFailed);
        w.openModel(QString::fromStdString(garbage.string()));
        QVERIFY(failed.wait(10000));
        QVERIFY(failed.last().at(0).toString().contains("gui_not_a_model.h5"));
        QVERIFY(!failed.last().at(1).toString().isEmpty());
        QCOMPARE(w.document()->model(), model);
        QCOMPARE(w.document()->path(), QFileInfo(good).absoluteFilePath());
        auto* box = w.findChild<QMessageBox*>("openFailedBox");
        QVERIFY(box);
        QVERIFY(box->text().contains("gui_not_a_model.h5"));
        box->close();
        // A truncated native file: the open fails and no HDF5 object stays open.
        const auto truncated = test::tempDir() / "gui_truncated.circnn.h5";
        {
            std::ifstream in(good.toStdString(), std::ios::binary);
            std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            std::ofstream out(truncated, std::ios::binary);
            out.write(bytes.data(), std::streamsize(bytes.size() / 2));
        }
        failed.clear();
        w.openModel(QString::fromStdString(truncated.string()));
        QVERIFY(failed.wait(10000));
        QCOMPARE(w.document()->model(), model);
        QCOMPARE(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), ssize_t(0));
    }

    void cancelLongRecomputation()
    {
        gui::MainWindow w;
        w.show();
        w.openModel(writeModel(mlp(2048, 1024, 8), "gui_large.circnn.h5"));
        QVERIFY(waitProjection(w, 8));
        const auto before = w.document()->projection();
        QSignalSpy cancelled(w.jobs(), &gui::JobRunner::jobCancelled);
        QSignalSpy changed(w.document(), &gui::Document::projectionChanged);
        w.explorerView()->setBlockSize(2);
        QVERIFY(w.jobs()->isBusy("projection"));
        w.jobs()->cancel("projection");
        QVERIFY(cancelled.wait(20000));
        QCOMPARE(cancelled.last().at(0).toString(), QString("projection"));
        QVERIFY(QTest::qWaitFor([&] { return !w.jobs()->isBusy(); }, 20000));
        QCOMPARE(changed.count(), 0);
        QCOMPARE(w.document()->projection(), before); // still the k = 8 result
        // A job that would never end stops when cancelled, and its result is not delivered.
        bool delivered = false;
        w.jobs()->run(
            "endless", "endless",
            [](const ProgressFn& progress) {
                while (progress(0, 1))
                    QThread::msleep(1);
                return 0;
            },
            &w, [&](int) { delivered = true; });
        cancelled.clear();
        w.jobs()->cancelAll();
        QVERIFY(cancelled.wait(20000));
        QVERIFY(!delivered);
    }

    void recentFilesAndLayout()
    {
        const QString good = writeModel(mlp(16, 8, 9), "gui_recent.circnn.h5");
        QSettings().setValue("recentFiles", QStringList{"/nonexistent/gone.h5", good});
        gui::MainWindow w;
        QCOMPARE(w.recentFiles(), QStringList{good}); // the missing file was dropped
        w.clearRecentFiles();
        QVERIFY(w.recentFiles().isEmpty());
        w.show();
        auto* dock = w.findChild<QDockWidget*>("modelDock");
        QVERIFY(dock);
        dock->hide();
        w.resetLayout();
        QVERIFY(dock->isVisible());
    }

    void aboutNamesLibraryVersions()
    {
        const QString about = gui::aboutText();
        QVERIFY2(about.contains(QString::fromLatin1(qVersion())), qPrintable(about));
        QVERIFY(about.contains("fftw-3"));
        QVERIFY(about.contains(QRegularExpression("HDF5</td><td>\\d+\\.\\d+\\.\\d+")));
        QVERIFY(about.contains("Build commit"));
        QVERIFY(gui::quickStartText().contains("Layer explorer"));
    }

    void commandLine()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove("DISPLAY");
        env.remove("WAYLAND_DISPLAY");
        env.remove("QT_QPA_PLATFORM");
        env.insert("XDG_CONFIG_HOME", QString::fromStdString((test::tempDir() / "settings").string()));
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(CIRCNN_STUDIO_EXE, {"--help"});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        QVERIFY(p.readAllStandardOutput().contains("--screenshot"));
        p.start(CIRCNN_STUDIO_EXE, {"--version"});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        const QString model = writeModel(mlp(40, 24, 10), "gui_cli.circnn.h5");
        const QString shot = QString::fromStdString((test::tempDir() / "gui_cli_shot.png").string());
        QFile::remove(shot);
        p.start(CIRCNN_STUDIO_EXE, {model, "--screenshot", shot, "--view", "explorer", "--select-layer", "hidden"});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        QVERIFY(QImage(shot).width() > 100);
        p.start(CIRCNN_STUDIO_EXE, {model, "--screenshot", shot, "--select-layer", "nosuch"});
        QVERIFY(p.waitForFinished(60000));
        QVERIFY(p.exitCode() != 0);
        QVERIFY(p.readAllStandardError().contains("unknown layer 'nosuch'"));
        p.start(CIRCNN_STUDIO_EXE,
                {QString::fromStdString((test::tempDir() / "missing.h5").string()), "--screenshot", shot});
        QVERIFY(p.waitForFinished(60000));
        QVERIFY(p.exitCode() != 0);
        QVERIFY(p.readAllStandardError().contains("missing.h5"));
        p.start(CIRCNN_STUDIO_EXE, {model, "--screenshot", "/nonexistent-dir/x.png"});
        QVERIFY(p.waitForFinished(60000));
        QVERIFY(p.exitCode() != 0);
    }
};

QTEST_MAIN(TestStudio)
#include "TestStudio.moc"
