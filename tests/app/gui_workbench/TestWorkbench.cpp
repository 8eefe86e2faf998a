// circnn-studio's workbench views, offscreen, with the bundled sample model and evaluation set:
// an evaluation whose shown figures match core's evaluateModel on the same data (model and its
// block-circulant projection), a confusion-cell click listing the core's samples and browsing to
// one (its top-5 as core's classProbabilities).

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QListWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>

#include "Document.h"
#include "JobRunner.h"
#include "MainWindow.h"
#include "TestSupport.h"
#include "analysis/EvaluateWorkflow.h"
#include "analysis/SamplePrediction.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "views/InferenceView.h"
#include "views/SampleBrowser.h"
#include "widgets/HeatmapWidget.h"

using namespace circnn;

namespace {
QString sample(const char* file)
{
    return QString::fromStdString((test::sourceDir() / "sample_models" / file).string());
}

bool waitIdle(gui::MainWindow& w, int ms = 60000)
{
    return QTest::qWaitFor([&] { return !w.jobs()->isBusy() && !w.document()->isLoading(); }, ms);
}

// The text a table cell shows for a fraction (the view's format).
QString percentText(double f)
{
    return QStringLiteral("%1 %").arg(100 * f, 0, 'f', 2);
}

QString cell(QTableWidget* t, const QString& rowName, int column)
{
    for (int r = 0; r < t->rowCount(); ++r)
        if (t->item(r, 0) && t->item(r, 0)->text() == rowName)
            return t->item(r, column) ? t->item(r, column)->text() : QString();
    return QStringLiteral("(no row %1)").arg(rowName);
}
} // namespace

class TestWorkbench : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName("CirCNN-test");
        QCoreApplication::setApplicationName("gui-workbench-test");
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope,
                           QString::fromStdString((test::tempDir() / "settings-workbench").string()));
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                           QString::fromStdString((test::tempDir() / "settings-workbench").string()));
        QSettings().clear();
    }

    void evaluationMatchesCore()
    {
        gui::MainWindow w;
        w.show();
        w.openModel(sample("fashion_mlp_dense.h5"));
        // The bundled evaluation set is opened by default.
        QTRY_VERIFY_WITH_TIMEOUT(w.document()->dataset() != nullptr, 30000);
        QVERIFY(waitIdle(w));
        QCOMPARE(w.document()->dataset()->count(), std::int64_t(1000));
        gui::InferenceView* view = w.inferenceView();
        constexpr std::int64_t kLimit = 300;
        view->setLimit(kLimit);
        QSignalSpy done(view, &gui::InferenceView::evaluated);
        view->evaluate();
        QVERIFY(done.wait(120000));
        QVERIFY(view->result());

        // Core, independently: the model and its projection with the document's plan.
        const auto spec = std::make_shared<const ModelSpec>(readModel(sample("fashion_mlp_dense.h5").toStdString()));
        EvaluateConfig config;
        config.model = ModelSource{{}, spec};
        config.data.path = sample("fashion_test_1k.h5").toStdString();
        config.limit = kLimit;
        const EvaluateResult dense = evaluateModel(config);
        QCOMPARE(dense.evaluation.count, kLimit);
        const EvaluateResult circulant = compareDenseVsConverted(config, w.document()->conversion());
        QVERIFY(circulant.circulant.has_value());

        QTableWidget* t = view->summaryTable();
        QCOMPARE(cell(t, "samples", 1), QString::number(kLimit));
        QCOMPARE(cell(t, "top-1 accuracy", 1), percentText(dense.evaluation.top1));
        QCOMPARE(cell(t, "top-5 accuracy", 1), percentText(dense.evaluation.top5));
        QCOMPARE(cell(t, "cross-entropy (mean)", 1), QString::number(dense.evaluation.meanCrossEntropy, 'f', 4));
        QCOMPARE(cell(t, "top-1 accuracy", 2), percentText(circulant.circulant->evaluation.top1));
        QCOMPARE(cell(t, "top-1 agreement", 2), percentText(circulant.circulant->agreement.top1Match));
        // The projection is poorer than the model (a sanity check that the two columns differ).
        QVERIFY(circulant.circulant->evaluation.top1 < dense.evaluation.top1);
        // The evaluation made the document's block-circulant model.
        QVERIFY(w.document()->circulantModel() != nullptr);
        QCOMPARE(view->result()->circulantSpec, w.document()->circulantModel());

        // Per-class accuracy of the model, class 0.
        QCOMPARE(view->perClassTable()->rowCount(), 10);
        QCOMPARE(view->perClassTable()->item(0, 2)->text(), percentText(dense.evaluation.perClassAccuracy[0]));

        // Confusion of the model: an off-diagonal cell with samples lists exactly them.
        view->showConfusionOf(0);
        const auto& confusion = dense.evaluation.confusion;
        int ti = -1, pi = -1;
        for (int a = 0; a < 10 && ti < 0; ++a)
            for (int b = 0; b < 10; ++b)
                if (a != b && confusion[std::size_t(a)][std::size_t(b)] > 0) {
                    ti = a;
                    pi = b;
                    break;
                }
        QVERIFY(ti >= 0);
        gui::HeatmapWidget* heat = view->confusionHeatmap();
        QCOMPARE(heat->matrixRows(), std::int64_t(10));
        heat->zoomToFit();
        const QPointF at = heat->cellCentre(ti, pi);
        QTest::mouseClick(heat, Qt::LeftButton, {}, at.toPoint());
        QListWidget* list = view->cellSamples();
        QCOMPARE(std::int64_t(list->count()), confusion[std::size_t(ti)][std::size_t(pi)]);
        const Dataset data = readDataset(sample("fashion_test_1k.h5").toStdString());
        const std::int64_t first = list->item(0)->data(Qt::UserRole).toLongLong();
        QCOMPARE(data.labels[std::size_t(first)], ti);
        QCOMPARE(dense.evaluation.predictions[std::size_t(first)], pi);

        // Clicking a listed sample browses to it: the shown top-5 are core's.
        gui::SampleBrowser* browser = view->browser();
        QSignalSpy shown(browser, &gui::SampleBrowser::sampleShown);
        list->setCurrentRow(0);
        emit list->itemClicked(list->item(0));
        QTRY_COMPARE_WITH_TIMEOUT(browser->shown().index, first, 30000);
        Dataset fitted = data;
        fitDatasetToInput(fitted, Model(*spec).inputShape());
        const auto expected = topClasses(classProbabilities(Model(*spec), fitted, first), 5);
        QCOMPARE(browser->shown().model.size(), std::size_t(5));
        for (std::size_t i = 0; i < 5; ++i) {
            QCOMPARE(browser->shown().model[i].classIndex, expected[i].classIndex);
            QVERIFY(std::abs(browser->shown().model[i].probability - expected[i].probability) < 1e-5f);
        }
        QCOMPARE(browser->shown().model.front().classIndex, pi); // the misclassification it was listed for
        QCOMPARE(browser->shown().label, ti);
        QCOMPARE(browser->shown().circulant.size(), std::size_t(5));
        QVERIFY(browser->modelChart()->chart() && !browser->modelChart()->chart()->series().isEmpty());
    }
};

QTEST_MAIN(TestWorkbench)
#include "TestWorkbench.moc"
