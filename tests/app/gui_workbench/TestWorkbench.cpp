// circnn-studio's workbench views, offscreen, with the bundled sample model and evaluation set:
// - inference: an evaluation whose shown figures match core's evaluateModel on the same data (model
//   and its block-circulant projection), a confusion-cell click listing the core's samples and
//   browsing to one (its top-5 as core's classProbabilities);
// - training: one fine-tuning epoch on a small subset puts points on the live charts and becomes
//   the document's block-circulant model; a second run cancelled midway leaves the document's
//   model (weights compared) and the first result as they were;
// - save → re-open round trips (native block-circulant projection, Keras .h5 of a dense model
//   trained from an architecture), and plan files written by the plan editor read back.

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QLineSeries>
#include <QListWidget>
#include <QMessageBox>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "Document.h"
#include "JobRunner.h"
#include "MainWindow.h"
#include "TestSupport.h"
#include "analysis/EvaluateWorkflow.h"
#include "analysis/SamplePrediction.h"
#include "charts/TrainingCharts.h"
#include "common/Error.h"
#include "io/ConversionPlanFile.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"
#include "views/InferenceView.h"
#include "views/PlanEditor.h"
#include "views/SampleBrowser.h"
#include "views/TrainingOptionsForm.h"
#include "views/TrainingView.h"
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

// Every weight tensor of two models equal, element for element.
void compareWeights(const ModelSpec& a, const ModelSpec& b)
{
    QCOMPARE(a.layers.size(), b.layers.size());
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const LayerSpec& x = a.layers[i];
        const LayerSpec& y = b.layers[i];
        QCOMPARE(x.name, y.name);
        auto same = [](const Tensor& p, const Tensor& q) {
            return p.shape() == q.shape() && std::equal(p.data(), p.data() + p.size(), q.data());
        };
        QVERIFY2(same(x.kernel, y.kernel), x.name.c_str());
        QVERIFY2(same(x.bias, y.bias), x.name.c_str());
        QCOMPARE(x.circulant.has_value(), y.circulant.has_value());
        if (x.circulant) {
            QCOMPARE(x.circulant->k, y.circulant->k);
            QVERIFY2(same(x.circulant->vectors, y.circulant->vectors), x.name.c_str());
        }
    }
}

std::filesystem::path scratch(const char* name)
{
    const auto dir = test::tempDir() / "workbench";
    std::filesystem::create_directories(dir);
    return dir / name;
}

// A main window with the bundled dense MLP and evaluation set open.
bool openSample(gui::MainWindow& w)
{
    w.show();
    w.openModel(sample("fashion_mlp_dense.h5"));
    return QTest::qWaitFor(
               [&] { return w.document()->model() && w.document()->dataset() && !w.document()->weightsPending(); },
               30000) &&
           waitIdle(w);
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
        // Counts: the sequential colour map from 0, titled "count"; the class names on both axes
        // (true class rows, predicted class columns).
        QCOMPARE(heat->colourMap().kind(), gui::ColourMapKind::Sequential);
        QCOMPARE(heat->legendLabels().back(), QString("0"));
        QCOMPARE(heat->axisLabels().rowLabels().size(), 10);
        QCOMPARE(heat->axisLabels().rowLabels(), heat->axisLabels().colLabels());
        QVERIFY(heat->axisLabels().rowLabels().front().contains("T-shirt"));
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

    void fineTuneChartsThenCancelKeepsModel()
    {
        gui::MainWindow w;
        QVERIFY(openSample(w));
        gui::TrainingView* view = w.trainingView();
        const auto original = w.document()->model();
        const ModelSpec before = *original; // a copy of every weight
        view->setTrainingLimit(200);
        view->options()->setEpochs(1);
        QSignalSpy finished(view, &gui::TrainingView::finished);
        view->start(gui::TrainingView::Action::Finetune);
        QVERIFY(view->isRunning());
        QVERIFY(finished.wait(120000));
        QLineSeries* running = view->curves()->series("running loss");
        QLineSeries* train = view->curves()->series("train loss");
        QLineSeries* validation = view->curves()->series("validation accuracy");
        QVERIFY(running && train && validation);
        QVERIFY(running->count() > 0);
        QCOMPARE(train->count(), 1);
        QCOMPARE(validation->count(), 1);
        // The epoch point is the workflow's epoch record (kept in the result's provenance).
        const auto result = view->resultModel();
        QVERIFY(result);
        QVERIFY(!result->provenance.history.empty());
        QCOMPARE(train->at(0).x(), double(result->provenance.history.back().epoch));
        QVERIFY(std::abs(train->at(0).y() - result->provenance.history.back().trainLoss) < 1e-9);
        QCOMPARE(w.document()->circulantModel(), result);
        QVERIFY(view->comparisonTable()->rowCount() > 0);
        QCOMPARE(view->comparisonTable()->item(0, 1)->text().remove(QRegularExpression("[^0-9]")),
                 QString::number(modelStats(before).parameters));
        // A run of a few seconds: its training time in seconds (formatDuration), never "0:00".
        const QString took = cell(view->comparisonTable(), "training time", 2);
        QVERIFY2(QRegularExpression("^(\\d\\.\\d s|\\d+ s|\\d+ min \\d\\d s)$").match(took).hasMatch(),
                 qPrintable(took));

        // A second, long run: cancelled once its first points arrive.
        view->setTrainingLimit(0);
        view->options()->setEpochs(50);
        QSignalSpy points(view, &gui::TrainingView::curvesUpdated);
        QSignalSpy cancelled(w.jobs(), &gui::JobRunner::jobCancelled);
        const qsizetype finishedBefore = finished.size();
        view->start(gui::TrainingView::Action::Finetune);
        QVERIFY(points.wait(120000));
        QCOMPARE(running->count() > 0, true);
        view->cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!view->isRunning(), 60000);
        QTRY_VERIFY(std::any_of(cancelled.begin(), cancelled.end(),
                                [](const QList<QVariant>& args) { return args.at(0).toString() == "training"; }));
        QCOMPARE(finished.size(), finishedBefore); // no result delivered
        QCOMPARE(w.document()->model(), original);
        compareWeights(*w.document()->model(), before);
        compareWeights(*w.document()->model(), readModel(sample("fashion_mlp_dense.h5").toStdString()));
        QCOMPARE(w.document()->circulantModel(), result); // the first run's result stays
        QCOMPARE(view->resultModel(), result);
    }

    void projectSaveReopen()
    {
        gui::MainWindow w;
        QVERIFY(openSample(w));
        gui::TrainingView* view = w.trainingView();
        view->planEditor()->setDefaultBlockSize(16);
        QCOMPARE(w.document()->conversion().defaultBlockSize, std::int64_t(16));
        QSignalSpy finished(view, &gui::TrainingView::finished);
        view->start(gui::TrainingView::Action::Project);
        QVERIFY(finished.wait(60000));
        const auto result = view->resultModel();
        QVERIFY(result && result->find("dense_1")->circulant);
        QCOMPARE(result->find("dense_1")->circulant->k, std::int64_t(16));
        QCOMPARE(w.document()->circulantModel(), result);

        const auto file = scratch("projected_k16.circnn.h5");
        std::filesystem::remove(file);
        QSignalSpy saved(view, &gui::TrainingView::saved);
        view->saveResult(QString::fromStdString(file.string()));
        QVERIFY(saved.wait(30000));
        compareWeights(readModel(file), *result);
        // Re-open it in the window: the document now holds the saved model.
        w.openModel(QString::fromStdString(file.string()));
        QTRY_VERIFY_WITH_TIMEOUT(w.document()->path().endsWith("projected_k16.circnn.h5"), 30000);
        // The model opens in two stages: the weights arrive after the layer table.
        QTRY_VERIFY_WITH_TIMEOUT(!w.document()->weightsPending(), 30000);
        compareWeights(*w.document()->model(), *result);
    }

    void trainArchitectureSaveKerasReopen()
    {
        gui::MainWindow w;
        QVERIFY(openSample(w));
        gui::TrainingView* view = w.trainingView();
        view->setArchitecture("784-16-10", 1);
        view->setTrainingLimit(300);
        view->options()->useTrainDefaults();
        view->options()->setEpochs(2);
        QSignalSpy finished(view, &gui::TrainingView::finished);
        view->start(gui::TrainingView::Action::Train);
        QVERIFY(finished.wait(120000));
        QCOMPARE(view->curves()->series("train accuracy")->count(), 2);
        const auto result = view->resultModel();
        QVERIFY(result && !result->find(result->outputs.front())->circulant);
        // A trained architecture is not a version of the open model: the document keeps its own.
        QVERIFY(w.document()->circulantModel() != result);
        const auto file = scratch("trained_dense.h5");
        std::filesystem::remove(file);
        QSignalSpy saved(view, &gui::TrainingView::saved);
        view->saveResult(QString::fromStdString(file.string()));
        QVERIFY(saved.wait(30000));
        QCOMPARE(detectModelFormat(file), ModelFormat::KerasH5);
        compareWeights(readModel(file), *result);
    }

    // A dataset file that cannot be read: datasetFailed names the reason, the current dataset stays,
    // and an evaluation still runs on it.
    void badDatasetKeepsCurrent()
    {
        gui::MainWindow w;
        QVERIFY(openSample(w));
        const auto current = w.document()->dataset();
        const auto bad = scratch("not_a_dataset.h5");
        {
            std::ofstream(bad) << "this is not HDF5";
        }
        QSignalSpy failed(w.document(), &gui::Document::datasetFailed);
        w.document()->openDataset(QString::fromStdString(bad.string()));
        QVERIFY(failed.wait(30000));
        QVERIFY(failed.front().at(0).toString().endsWith("not_a_dataset.h5"));
        QVERIFY(!failed.front().at(1).toString().isEmpty());
        QCOMPARE(w.document()->dataset(), current);
        QVERIFY(w.document()->datasetPath().endsWith("fashion_test_1k.h5"));
        QTRY_VERIFY(w.findChild<QMessageBox*>() != nullptr); // the dialog names file and reason
        QVERIFY(w.findChild<QMessageBox*>()->text().contains("not_a_dataset.h5"));
    }

    void planEditorFiles()
    {
        gui::MainWindow w;
        QVERIFY(openSample(w));
        gui::PlanEditor* editor = w.trainingView()->planEditor();
        QCOMPARE(editor->table()->rowCount(), 2); // dense_1, dense_2
        auto* combo = qobject_cast<QComboBox*>(editor->table()->cellWidget(0, 3));
        QVERIFY(combo);
        combo->setCurrentIndex(combo->findData(qlonglong(4)));
        QCOMPARE(w.document()->conversion().perLayer.at("dense_1"), std::int64_t(4));
        QVERIFY(editor->table()->item(0, 4)->text().contains("k = 4"));
        editor->setLayerBlockSize("dense_2", 2);
        QVERIFY(editor->table()->item(1, 4)->text().contains("k = 2"));
        const auto file = scratch("plan.json");
        editor->savePlan(QString::fromStdString(file.string()));
        const ConversionPlan read = readConversionPlan(file);
        QVERIFY(read == static_cast<const ConversionPlan&>(w.document()->conversion()));
        // Load a different plan back.
        writeConversionPlan(ConversionPlan{32, {}, false}, file);
        editor->loadPlan(QString::fromStdString(file.string()));
        QCOMPARE(w.document()->conversion().defaultBlockSize, std::int64_t(32));
        QVERIFY(w.document()->conversion().perLayer.empty());
        QCOMPARE(combo->currentData().toLongLong(), qlonglong(0));
        // A plan naming a layer the model does not have is refused with the file's name.
        writeConversionPlan(ConversionPlan{8, {{"no_such_layer", 4}}, false}, file);
        try {
            editor->loadPlan(QString::fromStdString(file.string()));
            QFAIL("accepted a plan for another model");
        } catch (const Error& e) {
            QVERIFY(std::string(e.what()).find("plan.json") != std::string::npos);
        }
        QCOMPARE(w.document()->conversion().defaultBlockSize, std::int64_t(32));
    }
};

QTEST_MAIN(TestWorkbench)
#include "TestWorkbench.moc"
