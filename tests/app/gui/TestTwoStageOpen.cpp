// Opening in two stages (Document: the architecture, then the weights in the background), offscreen:
// the layer table is filled while the weights are still being read and the weight views say so;
// the explorer shows the matrix after weightsLoaded; a file whose weights fail to load leaves the
// previous model (and its selection) in place; opening another file while one's weights load
// cancels them and kills their reader child; Cancel does the same and restores the previous model;
// the sweeps view does not start while weights load; reload goes the same way.
//
// The weights stage is held deterministically: the isolated reader is replaced (CIRCNN_READER) by a
// script that waits for a gate file before reading a model whose name contains "gated" (the
// architecture request passes at once). No timing is measured.

#include <QAbstractButton>
#include <QApplication>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTableWidget>
#include <QTest>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <limits>

#include <signal.h>

#include "Document.h"
#include "JobRunner.h"
#include "MainWindow.h"
#include "TestSupport.h"
#include "io/IsolatedReader.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"
#include "sweep/AutoPlanPanel.h"
#include "sweep/SweepView.h"
#include "views/BlockInspectorView.h"
#include "views/LayerExplorerView.h"
#include "views/ModelView.h"
#include "widgets/HeatmapWidget.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

// Input(in) → Dense "hidden" (units) → Dense "out" (3).
ModelSpec mlp(std::int64_t in, std::int64_t units, float value)
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
    h.kernel = Tensor({in, units}, value);
    h.bias = Tensor({units}, 0.1f);
    LayerSpec o;
    o.name = "out";
    o.kind = LayerKind::Dense;
    o.inputs = {"hidden"};
    o.units = 3;
    o.kernel = Tensor({units, 3}, 0.25f);
    o.bias = Tensor({3});
    m.layers = {input, h, o};
    m.inputs = {"input"};
    m.outputs = {"out"};
    inferShapes(m);
    return m;
}

QString write(const ModelSpec& m, const std::string& name)
{
    const fs::path p = test::tempDir() / "two-stage" / name;
    fs::create_directories(p.parent_path());
    writeNativeModel(m, p, {true});
    return QString::fromStdString(p.string());
}

// Opens `path` and waits until its weights are in and every job is idle; false if that did not happen.
bool openCompletely(gui::MainWindow& w, const QString& path)
{
    QSignalSpy loaded(w.document(), &gui::Document::weightsLoaded);
    w.openModel(path);
    return loaded.wait(20000) && QTest::qWaitFor([&] { return !w.jobs()->isBusy(); }, 20000);
}

int tableRows(gui::MainWindow& w)
{
    return w.modelView()->layerTable()->rowCount();
}

} // namespace

class TestTwoStageOpen : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName("CirCNN-test");
        QCoreApplication::setApplicationName("gui-two-stage-test");
        const QString settings = QString::fromStdString((test::tempDir() / "two-stage-settings").string());
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settings);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settings);
        QSettings().clear();
        setIsolationEnabled(true);
        // The gating reader: model requests for "*gated*" files wait for the gate file.
        const fs::path dir = test::tempDir() / "two-stage";
        fs::create_directories(dir);
        m_gate = dir / "gate";
        fs::remove(m_gate);
        const fs::path script = dir / "gated-reader.sh";
        {
            std::ofstream out(script, std::ios::trunc);
            out << "#!/bin/sh\n"
                << "case \"$1:$2\" in model:*gated*) echo $$ > \"$2.pid.tmp\"; mv \"$2.pid.tmp\" \"$2.pid\"\n"
                << "  while [ ! -e '" << m_gate.string() << "' ]; do sleep 0.02; done ;; esac\n"
                << "exec '" << readerExecutable().string() << "' \"$@\"\n";
        }
        fs::permissions(script, fs::perms::owner_all);
        qputenv("CIRCNN_READER", QByteArray::fromStdString(script.string()));
    }
    void cleanupTestCase() { qunsetenv("CIRCNN_READER"); }
    void init() { fs::remove(m_gate); }

    void tableBeforeWeightsExplorerAfter()
    {
        const QString path = write(mlp(40, 24, 0.5f), "gated_table.circnn.h5");
        gui::MainWindow w;
        w.show();
        gui::Document* doc = w.document();
        QSignalSpy changed(doc, &gui::Document::modelChanged);
        QSignalSpy loaded(doc, &gui::Document::weightsLoaded);
        w.openModel(path);
        QVERIFY(changed.wait(20000));
        // The architecture is in, the weights are held back by the gate.
        QVERIFY(doc->weightsPending());
        QVERIFY(doc->isLoading());
        QVERIFY(!doc->model()->weightsLoaded);
        QVERIFY(doc->model()->layers[1].kernel.empty());
        QTRY_COMPARE_WITH_TIMEOUT(tableRows(w), 3, 20000);
        QCOMPARE(loaded.count(), 0);
        QTableWidget* table = w.modelView()->layerTable();
        QCOMPARE(table->item(1, 0)->text(), QString("hidden"));
        QCOMPARE(table->item(1, 3)->text().remove(QRegularExpression("[^0-9]")), QString::number(40 * 24 + 24));
        QCOMPARE(doc->selectedLayer(), 1);
        QVERIFY(w.modelView()->statisticsLabel()->text().contains("Loading weights"));
        QVERIFY(w.explorerView()->heatmap()->matrixRows() == 0);
        QVERIFY(w.inspectorView()->headerText().contains("Loading weights"));
        QVERIFY(w.jobs()->isBusy("weights"));
        QVERIFY(!w.recentFiles().contains(QFileInfo(path).absoluteFilePath()));

        // Release the weights: the explorer shows the matrix, the statistics follow.
        std::ofstream(m_gate).put('1');
        QVERIFY(loaded.wait(20000));
        QVERIFY(!doc->weightsPending());
        QVERIFY(doc->model()->weightsLoaded);
        QCOMPARE(doc->model()->layers[1].kernel.size(), std::int64_t(40 * 24));
        QCOMPARE(changed.count(), 1); // same layers: the table was not rebuilt
        QTRY_COMPARE_WITH_TIMEOUT(w.explorerView()->heatmap()->matrixRows(), std::int64_t(24), 20000);
        QCOMPARE(w.explorerView()->heatmap()->matrixCols(), std::int64_t(40));
        QTRY_VERIFY_WITH_TIMEOUT(w.modelView()->statisticsLabel()->text().contains("kernel"), 20000);
        QVERIFY(QTest::qWaitFor([&] { return !w.jobs()->isBusy() && !doc->isLoading(); }, 20000));
        QCOMPARE(tableRows(w), 3);
        QVERIFY(w.recentFiles().contains(QFileInfo(path).absoluteFilePath()));

        // Reload (F5) goes through both stages again.
        fs::remove(m_gate);
        changed.clear();
        loaded.clear();
        doc->reload();
        QVERIFY(changed.wait(20000));
        QVERIFY(doc->weightsPending());
        std::ofstream(m_gate).put('1');
        QVERIFY(loaded.wait(20000));
        QVERIFY(!doc->weightsPending());
    }

    // The architecture reads, the weights do not (a NaN in them): the previous model stays.
    void weightsFailureKeepsPreviousModel()
    {
        const QString good = write(mlp(16, 8, 0.25f), "good.circnn.h5");
        ModelSpec damaged = mlp(40, 24, 0.5f);
        damaged.layers[1].kernel[7] = std::numeric_limits<float>::quiet_NaN();
        const QString bad = write(damaged, "nan-weights.circnn.h5");
        gui::MainWindow w;
        w.show();
        gui::Document* doc = w.document();
        QVERIFY(openCompletely(w, good));
        doc->selectLayer(2);
        const auto before = doc->model();

        QSignalSpy loaded(doc, &gui::Document::weightsLoaded);
        QSignalSpy changed(doc, &gui::Document::modelChanged);
        QSignalSpy failed(doc, &gui::Document::openFailed);
        w.openModel(bad);
        QVERIFY(failed.wait(20000));
        QCOMPARE(failed.last().at(0).toString(), bad);
        QVERIFY2(failed.last().at(1).toString().contains("NaN"), qPrintable(failed.last().at(1).toString()));
        // The architecture stage showed the new file, then the previous model came back whole.
        QCOMPARE(changed.count(), 2);
        QCOMPARE(loaded.count(), 1);
        QCOMPARE(doc->model(), before);
        QVERIFY(!doc->weightsPending());
        QVERIFY(!doc->isLoading());
        QCOMPARE(doc->path(), QFileInfo(good).absoluteFilePath());
        QCOMPARE(doc->selectedLayer(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(tableRows(w), 3, 20000);
        QCOMPARE(w.modelView()->layerTable()->item(1, 3)->text().remove(QRegularExpression("[^0-9]")),
                 QString::number(16 * 8 + 8));
        QTRY_COMPARE_WITH_TIMEOUT(w.explorerView()->heatmap()->matrixRows(), std::int64_t(3), 20000);
        QVERIFY(!w.recentFiles().contains(QFileInfo(bad).absoluteFilePath()));
        bool shown = false;
        for (QMessageBox* box : w.findChildren<QMessageBox*>("openFailedBox"))
            if (box->isVisible() && box->text().contains("nan-weights.circnn.h5")) {
                shown = true;
                box->close();
            }
        QVERIFY(shown);
    }

    // Opening B while A's weights load: A's weights job is cancelled, B is the model.
    void latestOpenWins()
    {
        const QString a = write(mlp(40, 24, 0.5f), "gated_a.circnn.h5");
        const QString b = write(mlp(16, 8, 0.25f), "b.circnn.h5");
        gui::MainWindow w;
        w.show();
        gui::Document* doc = w.document();
        QSignalSpy changed(doc, &gui::Document::modelChanged);
        QSignalSpy loaded(doc, &gui::Document::weightsLoaded);
        QSignalSpy cancelled(w.jobs(), &gui::JobRunner::jobCancelled);
        w.openModel(a);
        QVERIFY(changed.wait(20000));
        QVERIFY(doc->weightsPending());
        QCOMPARE(doc->path(), QFileInfo(a).absoluteFilePath());
        w.openModel(b);
        QVERIFY(loaded.wait(20000));
        QCOMPARE(doc->path(), QFileInfo(b).absoluteFilePath());
        QCOMPARE(doc->model()->layers[1].units, std::int64_t(8));
        QVERIFY(!doc->weightsPending());
        // A's weights job was cancelled: its reader child (still at the gate) is killed, not left
        // to finish.
        const auto weightsCancelled = [&] {
            for (const auto& args : cancelled)
                if (args.at(0).toString() == "weights")
                    return true;
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(weightsCancelled(), 20000);
        QVERIFY(QTest::qWaitFor([&] { return !w.jobs()->isBusy(); }, 20000));
        QVERIFY(readerGone(a));
        QCOMPARE(loaded.count(), 1);
        QCOMPARE(doc->path(), QFileInfo(b).absoluteFilePath());
        QCOMPARE(doc->model()->layers[1].units, std::int64_t(8));
        QVERIFY(!doc->isLoading());
    }

    // Cancel (the status bar's button) while the weights load: the reader child is killed, the
    // previous model comes back whole, and the sweeps view was gated meanwhile.
    void cancelWhileWeightsLoad()
    {
        const QString good = write(mlp(16, 8, 0.25f), "good_for_cancel.circnn.h5");
        const QString gated = write(mlp(40, 24, 0.5f), "gated_cancel.circnn.h5");
        gui::MainWindow w;
        w.show();
        gui::Document* doc = w.document();
        QVERIFY(openCompletely(w, good));
        doc->selectLayer(2);
        const auto before = doc->model();

        QSignalSpy changed(doc, &gui::Document::modelChanged);
        QSignalSpy cancelledOpen(doc, &gui::Document::openCancelled);
        QSignalSpy failed(doc, &gui::Document::openFailed);
        w.openModel(gated);
        QVERIFY(changed.wait(20000));
        QVERIFY(doc->weightsPending());
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(gated + ".pid"), 20000);

        // The sweeps view and its automatic plan do not start on a model without weights.
        gui::SweepView* sweep = w.sweepView();
        QAbstractButton* run = findButton(sweep, QString("Run sweep"));
        QVERIFY(run);
        QVERIFY(!run->isEnabled());
        QVERIFY(!findButton(sweep, QString("Resume…"))->isEnabled());
        QCOMPARE(sweep->statusLabel()->text(), QString("Loading weights…"));
        QVERIFY(!sweep->run());
        QVERIFY(!sweep->isRunning());
        QVERIFY(!findButton(sweep->autoPlanPanel(), QString("Plan"))->isEnabled());
        QVERIFY(!sweep->autoPlanPanel()->plan());
        QVERIFY(!w.jobs()->isBusy("sweep"));
        QVERIFY(!w.jobs()->isBusy("autoplan"));

        // Cancel: the gate is never opened, so only a kill ends the reader.
        findButton(w.statusBar(), QString("Cancel"))->click();
        QVERIFY(cancelledOpen.wait(20000));
        QCOMPARE(cancelledOpen.last().at(0).toString(), QFileInfo(gated).absoluteFilePath());
        QVERIFY(readerGone(gated));
        QCOMPARE(failed.count(), 0);
        QCOMPARE(doc->model(), before);
        QVERIFY(!doc->weightsPending());
        QVERIFY(!doc->isLoading());
        QCOMPARE(doc->path(), QFileInfo(good).absoluteFilePath());
        QCOMPARE(doc->selectedLayer(), 2);
        QVERIFY(QTest::qWaitFor([&] { return !w.jobs()->isBusy(); }, 20000));
        // The gate lifted: the sweeps view can run again.
        QVERIFY(run->isEnabled());
        QVERIFY(findButton(sweep->autoPlanPanel(), QString("Plan"))->isEnabled());
        QVERIFY(sweep->statusLabel()->text() != QString("Loading weights…"));
    }

private:
    static QAbstractButton* findButton(QWidget* in, const QString& text)
    {
        for (QAbstractButton* b : in->findChildren<QAbstractButton*>())
            if (b->text() == text)
                return b;
        return nullptr;
    }
    // The gated reader of `model` (its pid file) no longer exists: killed and reaped.
    static bool readerGone(const QString& model)
    {
        QFile f(model + ".pid");
        if (!f.open(QIODevice::ReadOnly))
            return false;
        const pid_t pid = static_cast<pid_t>(f.readAll().trimmed().toLong());
        return pid > 0 && ::kill(pid, 0) == -1 && errno == ESRCH;
    }

    fs::path m_gate;
};

QTEST_MAIN(TestTwoStageOpen)
#include "TestTwoStageOpen.moc"
