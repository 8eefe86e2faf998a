// The sweep settings form (app/gui/sweep/SweepConfigForm), offscreen: the task, targets key,
// anomaly labels, integer values and learning rate fields reach SweepConfig (the fields
// `circnn sweep --task --targets-key --anomaly-labels --integers --lr` fill) and come back from a
// config (a resumed sweep gets the same config hash back); regress without a key and a learning
// rate that is not a positive number are refused naming the field.

#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QTest>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "analysis/SweepConfig.h"
#include "common/Error.h"
#include "sweep/SweepConfigForm.h"

using namespace circnn;

namespace {

QComboBox* combo(const gui::SweepConfigForm& form, const char* name)
{
    auto* b = form.findChild<QComboBox*>(name);
    if (!b)
        throw Error(std::string("no field ") + name);
    return b;
}

QCheckBox* check(const gui::SweepConfigForm& form, const char* name)
{
    auto* b = form.findChild<QCheckBox*>(name);
    if (!b)
        throw Error(std::string("no field ") + name);
    return b;
}

// A form describing a valid finetune + scratch sweep of one model.
void fillValid(gui::SweepConfigForm& form)
{
    form.field("models")->setText("ae.circnn.h5");
    form.field("k")->setText("1,4");
    form.field("data")->setText("eval.h5");
    form.field("trainData")->setText("train.h5");
    form.modeBox(AccuracyMode::Project)->setChecked(false);
    form.modeBox(AccuracyMode::Finetune)->setChecked(true);
    form.modeBox(AccuracyMode::Scratch)->setChecked(true);
}

QString errorOf(const gui::SweepConfigForm& form)
{
    try {
        form.config();
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

} // namespace

class TestSweepConfigForm : public QObject {
    Q_OBJECT
private slots:
    void defaultsLeaveTheNewKeysOut()
    {
        gui::SweepConfigForm form;
        fillValid(form);
        const SweepConfig c = form.config();
        QCOMPARE(c.task, Task::Auto);
        QCOMPARE(c.learningRate, 0.0);
        QCOMPARE(c.integerValues, IntegerValues::Auto);
        QVERIFY(!c.anomalyLabels);
        QVERIFY(c.targetsKey.empty());
        const auto j = sweepConfigToJson(c);
        for (const char* key : {"task", "targets_key", "anomaly_labels", "integers", "learning_rate"})
            QVERIFY2(!j.contains(key), key);
        QVERIFY(!form.field("targetsKey")->isEnabled()); // auto: no targets
        QVERIFY(check(form, "anomalyLabels")->isEnabled());
    }

    void widgetsToConfig()
    {
        gui::SweepConfigForm form;
        fillValid(form);
        QComboBox* task = combo(form, "task");
        task->setCurrentIndex(task->findText("classify"));
        QVERIFY(!check(form, "anomalyLabels")->isEnabled()); // labels are the classes then
        task->setCurrentIndex(task->findText("regress"));
        QVERIFY(form.field("targetsKey")->isEnabled());
        QVERIFY(check(form, "anomalyLabels")->isEnabled());
        form.field("targetsKey")->setText("y_reg");
        check(form, "anomalyLabels")->setChecked(true);
        combo(form, "integers")->setCurrentIndex(combo(form, "integers")->findData(int(IntegerValues::TokenIds)));
        form.field("learningRate")->setText("0.0005");
        const SweepConfig c = form.config();
        QCOMPARE(c.task, Task::Regress);
        QCOMPARE(c.targetsKey, std::string("y_reg"));
        QVERIFY(c.anomalyLabels);
        QCOMPARE(c.integerValues, IntegerValues::TokenIds);
        QCOMPARE(c.learningRate, 0.0005);
    }

    void configToWidgetsKeepsTheHash()
    {
        gui::SweepConfigForm form;
        fillValid(form);
        SweepConfig c = form.config();
        c.task = Task::Reconstruct;
        c.anomalyLabels = true;
        c.integerValues = IntegerValues::Pixels;
        c.learningRate = 1.0 / 3000; // not a short decimal: written with every digit it needs
        c.targetsKey = "kept";       // unused by reconstruct, but part of the config (and of its hash)
        gui::SweepConfigForm other;
        other.setConfig(c);
        QCOMPARE(combo(other, "task")->currentData().toInt(), int(Task::Reconstruct));
        QVERIFY(check(other, "anomalyLabels")->isChecked());
        QCOMPARE(combo(other, "integers")->currentData().toInt(), int(IntegerValues::Pixels));
        QCOMPARE(other.field("targetsKey")->text(), QString("kept"));
        const SweepConfig back = other.config();
        QCOMPARE(back.learningRate, c.learningRate);
        QCOMPARE(back.task, c.task);
        QCOMPARE(back.integerValues, c.integerValues);
        QCOMPARE(sweepConfigHash(back), sweepConfigHash(c));
        // A config at the defaults shows an empty learning rate (= the workflow default).
        c.learningRate = 0;
        other.setConfig(c);
        QVERIFY(other.field("learningRate")->text().isEmpty());
        QCOMPARE(sweepConfigHash(other.config()), sweepConfigHash(c));
    }

    void badValuesAreRefusedNamingTheField()
    {
        gui::SweepConfigForm form;
        fillValid(form);
        combo(form, "task")->setCurrentIndex(combo(form, "task")->findText("regress"));
        QVERIFY2(errorOf(form).startsWith("Targets key"), qPrintable(errorOf(form)));
        form.field("targetsKey")->setText("y");
        QVERIFY(errorOf(form).isEmpty());
        for (const char* lr : {"fast", "0", "-0.01"}) {
            form.field("learningRate")->setText(lr);
            QVERIFY2(errorOf(form).startsWith("Learning rate"), qPrintable(errorOf(form)));
        }
    }
};

QTEST_MAIN(TestSweepConfigForm)
#include "TestSweepConfigForm.moc"
