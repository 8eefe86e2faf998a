// The training options form (app/gui/views/TrainingOptionsForm), offscreen: every field of a
// FinetuneConfig set into the widgets comes back unchanged; widgets set by hand reach the config
// fields the CLI flags fill (--task, --targets-key, --integers, --labels, --test-labels); the targets
// key is editable for regress only; regress without a key is refused (form and training view,
// with a message naming the field); the distillation loss is named; the values persist across
// windows (QSettings).

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

#include "Document.h"
#include "JobRunner.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "views/TrainingOptionsForm.h"
#include "views/TrainingView.h"

using namespace circnn;

namespace {

// A fine-tuning config with every field the form shows away from its default.
FinetuneConfig everyFieldSet()
{
    FinetuneConfig c;
    TrainOptions& t = c.training;
    t.epochs = 7;
    t.batchSize = 16;
    t.optimizer.kind = OptimizerKind::Adam;
    t.optimizer.learningRate = 0.0025;
    t.optimizer.momentum = 0.8;
    t.optimizer.weightDecay = 0.0001;
    t.schedule.kind = ScheduleKind::Step;
    t.schedule.stepEpochs = 2;
    t.schedule.gamma = 0.5;
    t.schedule.warmupEpochs = 0.5;
    t.validationSplit = 0.2;
    t.seed = 42;
    t.augmentShift = 2;
    t.task = Task::Regress;
    c.task = Task::Regress;
    c.projection = ProjectionChoice::Frobenius;
    c.calibrationSamples = 500;
    c.relativeRidge = 0.01;
    c.distillation = 0.5;
    c.temperature = 2;
    c.admmEpochs = 1;
    c.rho = 0.1;
    c.rhoGrowth = 1.5;
    c.admmEveryBatches = 10;
    c.trainData.options.labelsPath = "train-labels-idx1-ubyte";
    c.trainData.options.targetsKey = "y_reg";
    c.trainData.options.integerValues = IntegerValues::TokenIds;
    c.testData.options.labelsPath = "anomaly-labels-idx1-ubyte";
    c.testData.options.targetsKey = "y_reg";
    c.testData.options.integerValues = IntegerValues::TokenIds;
    return c;
}

void compareFinetune(const FinetuneConfig& a, const FinetuneConfig& b)
{
    const TrainOptions &x = a.training, &y = b.training;
    QCOMPARE(x.epochs, y.epochs);
    QCOMPARE(x.batchSize, y.batchSize);
    QCOMPARE(x.optimizer.kind, y.optimizer.kind);
    QCOMPARE(x.optimizer.learningRate, y.optimizer.learningRate);
    QCOMPARE(x.optimizer.momentum, y.optimizer.momentum);
    QCOMPARE(x.optimizer.weightDecay, y.optimizer.weightDecay);
    QCOMPARE(x.schedule.kind, y.schedule.kind);
    QCOMPARE(x.schedule.stepEpochs, y.schedule.stepEpochs);
    QCOMPARE(x.schedule.gamma, y.schedule.gamma);
    QCOMPARE(x.schedule.warmupEpochs, y.schedule.warmupEpochs);
    QCOMPARE(x.validationSplit, y.validationSplit);
    QCOMPARE(x.seed, y.seed);
    QCOMPARE(x.augmentShift, y.augmentShift);
    QCOMPARE(x.task, y.task);
    QCOMPARE(a.task, b.task);
    QCOMPARE(a.projection, b.projection);
    QCOMPARE(a.calibrationSamples, b.calibrationSamples);
    QCOMPARE(a.relativeRidge, b.relativeRidge);
    QCOMPARE(a.distillation, b.distillation);
    QCOMPARE(a.temperature, b.temperature);
    QCOMPARE(a.admmEpochs, b.admmEpochs);
    QCOMPARE(a.rho, b.rho);
    QCOMPARE(a.rhoGrowth, b.rhoGrowth);
    QCOMPARE(a.admmEveryBatches, b.admmEveryBatches);
    for (auto [p, q] :
         {std::pair{&a.trainData.options, &b.trainData.options}, std::pair{&a.testData.options, &b.testData.options}}) {
        QCOMPARE(p->labelsPath, q->labelsPath);
        QCOMPARE(p->targetsKey, q->targetsKey);
        QCOMPARE(p->integerValues, q->integerValues);
    }
}

template <class W> W* child(const QWidget& parent, const char* name)
{
    W* w = parent.findChild<W*>(name);
    if (!w)
        throw Error(std::string("no field ") + name);
    return w;
}

} // namespace

class TestTrainingOptionsForm : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName("CirCNN-test");
        QCoreApplication::setApplicationName("gui-training-form-test");
        const QString settings = QString::fromStdString((test::tempDir() / "settings-training-form").string());
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settings);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settings);
        QSettings().clear();
    }

    void init() { QSettings().clear(); } // every test starts from the CLI defaults

    void defaultsAreTheCli()
    {
        gui::TrainingOptionsForm form;
        FinetuneConfig filled;
        form.fillFinetune(filled);
        FinetuneConfig defaults;
        defaults.training.task = defaults.task; // one task field (finetuneModel uses FinetuneConfig::task)
        compareFinetune(filled, defaults);
        QCOMPARE(form.task(), Task::Auto);
        QVERIFY(!form.targetsKeyEdit()->isEnabled());
        QVERIFY(!form.testDataNeedsOptions());
        form.useTrainDefaults(); // `circnn train`: Adam 0.001, batch 64, constant, 10 epochs, task auto
        const TrainOptions t = form.trainOptions();
        QCOMPARE(t.optimizer.kind, OptimizerKind::Adam);
        QCOMPARE(t.optimizer.learningRate, 1e-3);
        QCOMPARE(t.batchSize, std::int64_t(64));
        QCOMPARE(t.epochs, 10);
        QCOMPARE(t.schedule.kind, ScheduleKind::Constant);
        QCOMPARE(t.task, Task::Auto);
    }

    void configToWidgetsAndBack()
    {
        gui::TrainingOptionsForm form;
        const FinetuneConfig c = everyFieldSet();
        form.setFinetune(c);
        // The widgets show the config.
        QCOMPARE(form.taskBox()->currentData().toInt(), int(Task::Regress));
        QCOMPARE(form.targetsKeyEdit()->text(), QString("y_reg"));
        QVERIFY(form.targetsKeyEdit()->isEnabled());
        QCOMPARE(form.integersBox()->currentData().toInt(), int(IntegerValues::TokenIds));
        QCOMPARE(child<QLineEdit>(form, "labels")->text(), QString("train-labels-idx1-ubyte"));
        QCOMPARE(child<QLineEdit>(form, "testLabels")->text(), QString("anomaly-labels-idx1-ubyte"));
        QCOMPARE(child<QSpinBox>(form, "epochs")->value(), 7);
        QCOMPARE(child<QComboBox>(form, "optimizer")->currentText(), QString("adam"));
        QCOMPARE(child<QDoubleSpinBox>(form, "lr")->value(), 0.0025);
        QCOMPARE(child<QSpinBox>(form, "admmEvery")->value(), 10);
        // ... and give it back field for field.
        FinetuneConfig back;
        form.fillFinetune(back);
        compareFinetune(back, c);
        QVERIFY(form.testDataNeedsOptions());
        form.check(); // regress with a key is accepted
    }

    void widgetsToConfig()
    {
        gui::TrainingOptionsForm form;
        // Set by hand, as a user would.
        form.taskBox()->setCurrentIndex(form.taskBox()->findText("reconstruct"));
        QVERIFY(!form.targetsKeyEdit()->isEnabled());
        form.taskBox()->setCurrentIndex(form.taskBox()->findText("regress"));
        QVERIFY(form.targetsKeyEdit()->isEnabled());
        form.targetsKeyEdit()->setText(" targets ");
        form.integersBox()->setCurrentIndex(form.integersBox()->findData(int(IntegerValues::Pixels)));
        child<QLineEdit>(form, "labels")->setText("train-labels");
        child<QLineEdit>(form, "testLabels")->setText("test-labels");
        child<QComboBox>(form, "schedule")->setCurrentText("step");
        child<QSpinBox>(form, "stepEpochs")->setValue(3);
        child<QDoubleSpinBox>(form, "distill")->setValue(0.25);
        child<QComboBox>(form, "projection")->setCurrentIndex(2); // Frobenius
        FinetuneConfig c;
        form.fillFinetune(c);
        QCOMPARE(c.task, Task::Regress);
        QCOMPARE(c.training.task, Task::Regress);
        QCOMPARE(c.trainData.options.targetsKey, std::string("targets"));
        QCOMPARE(c.testData.options.targetsKey, std::string("targets"));
        QCOMPARE(c.trainData.options.integerValues, IntegerValues::Pixels);
        QCOMPARE(c.testData.options.integerValues, IntegerValues::Pixels);
        QCOMPARE(c.trainData.options.labelsPath.string(), std::string("train-labels"));
        QCOMPARE(c.testData.options.labelsPath.string(), std::string("test-labels"));
        QCOMPARE(c.training.schedule.kind, ScheduleKind::Step);
        QCOMPARE(c.training.schedule.stepEpochs, 3);
        QCOMPARE(c.distillation, 0.25);
        QCOMPARE(c.projection, ProjectionChoice::Frobenius);
        // The same data options through the view's entry points.
        DatasetOptions train, test;
        form.applyTrainingDataOptions(train);
        form.applyTestDataOptions(test);
        QCOMPARE(train.labelsPath.string(), std::string("train-labels"));
        QCOMPARE(test.labelsPath.string(), std::string("test-labels"));
        QCOMPARE(train.integerValues, IntegerValues::Pixels);
        QCOMPARE(form.trainOptions().task, Task::Regress);
    }

    void regressWithoutKeyIsRefused()
    {
        gui::TrainingOptionsForm form;
        form.setTask(Task::Regress);
        try {
            form.check();
            QFAIL("regress without a targets key was accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("Targets key"), e.what());
        }
        form.setTask(Task::Reconstruct); // needs no key
        form.check();

        // The training view refuses to start, with a message, and runs nothing.
        gui::JobRunner jobs;
        gui::Document doc(&jobs);
        gui::TrainingView view(&doc);
        view.options()->setTask(Task::Regress);
        QSignalSpy failed(&view, &gui::TrainingView::failed);
        QSignalSpy started(&view, &gui::TrainingView::started);
        view.start(gui::TrainingView::Action::Train);
        QCOMPARE(failed.size(), 1);
        QVERIFY2(failed.front().front().toString().contains("Targets key"),
                 qPrintable(failed.front().front().toString()));
        QCOMPARE(started.size(), 0);
        QVERIFY(!view.isRunning());
        QVERIFY(view.progressLabel()->text().contains("Targets key"));
        const auto boxes = view.findChildren<QMessageBox*>();
        QCOMPARE(boxes.size(), qsizetype(1));
        QVERIFY(boxes.front()->text().contains("targets"));
        boxes.front()->close();
    }

    void lossIsNamed()
    {
        // A fine-tune distils by default (α = 0.9, T = 4): its training loss is the distillation loss.
        gui::TrainingOptionsForm form;
        QCOMPARE(form.lossTitleNote(true), QString("train loss with distillation (α = 0.9, T = 4)"));
        QVERIFY(form.lossToolTip(true).contains("(1−α)·CE + α·T²·CE_soft"));
        QVERIFY(form.lossTitleNote(false).isEmpty()); // training from an architecture: the plain loss
        QVERIFY(!form.lossToolTip(false).contains("distillation"));
        child<QDoubleSpinBox>(form, "distill")->setValue(0);
        QVERIFY(form.lossTitleNote(true).isEmpty());
    }

    void valuesPersist()
    {
        {
            gui::TrainingOptionsForm form;
            form.setEpochs(9);
            form.setTask(Task::Regress);
            form.targetsKeyEdit()->setText("y_reg");
            form.integersBox()->setCurrentIndex(form.integersBox()->findData(int(IntegerValues::TokenIds)));
            child<QComboBox>(form, "optimizer")->setCurrentText("adam");
            child<QDoubleSpinBox>(form, "lr")->setValue(0.004); // after the optimizer's default
            child<QLineEdit>(form, "testLabels")->setText("anomalies.idx");
            form.setAdvancedVisible(true);
        }
        gui::TrainingOptionsForm again;
        const TrainOptions t = again.trainOptions();
        QCOMPARE(t.epochs, 9);
        QCOMPARE(t.optimizer.kind, OptimizerKind::Adam);
        QCOMPARE(t.optimizer.learningRate, 0.004);
        QCOMPARE(again.task(), Task::Regress);
        QCOMPARE(again.targetsKeyEdit()->text(), QString("y_reg"));
        QVERIFY(again.targetsKeyEdit()->isEnabled());
        QCOMPARE(again.integersBox()->currentData().toInt(), int(IntegerValues::TokenIds));
        QCOMPARE(child<QLineEdit>(again, "testLabels")->text(), QString("anomalies.idx"));
        QVERIFY(child<QGroupBox>(again, "advanced")->isChecked());
    }
};

QTEST_MAIN(TestTrainingOptionsForm)
#include "TestTrainingOptionsForm.moc"
