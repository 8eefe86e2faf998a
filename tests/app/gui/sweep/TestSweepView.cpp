// The sweeps view and export, offscreen, on the bundled dense MLP (784-128-10) and the first
// evaluation samples of the bundled Fashion-MNIST subset: every expected value comes from the
// core (the results file the sweep wrote, readSweepResults) or from the files written.

#include <QAction>
#include <QApplication>
#include <QChartView>
#include <QClipboard>
#include <QFile>
#include <QImage>
#include <QLineEdit>
#include <QMessageBox>
#include <QScatterSeries>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTableView>
#include <QTest>
#include <QXmlStreamReader>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "Document.h"
#include "ExportActions.h"
#include "ImageFileChecks.h"
#include "JobRunner.h"
#include "MainWindow.h"
#include "ReportExporter.h"
#include "TestSupport.h"
#include "analysis/SweepResultsFile.h"
#include "sweep/SweepConfigForm.h"
#include "sweep/SweepTableModel.h"
#include "sweep/SweepView.h"
#include "views/LayerExplorerView.h"
#include "widgets/HeatmapWidget.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

QString sample(const char* name)
{
    return QString::fromStdString((test::sourceDir() / "sample_models" / name).string());
}

fs::path freshDir(const std::string& name)
{
    const fs::path d = test::tempDir() / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

QString qpath(const fs::path& p)
{
    return QString::fromStdString(p.string());
}

// Opens the dense sample MLP and sets up a small sweep writing into `results`.
void setUp(gui::MainWindow& w, const fs::path& results, const QString& ks, int evalLimit)
{
    QSignalSpy opened(w.document(), &gui::Document::modelChanged);
    w.openModel(sample("fashion_mlp_dense.h5"));
    QVERIFY(opened.wait(30000));
    // Sweeps wait for the weights (the model opens in two stages).
    QTRY_VERIFY_WITH_TIMEOUT(!w.document()->weightsPending(), 30000);
    gui::SweepConfigForm* form = w.sweepView()->form();
    // The open model is the model to sweep by default.
    QCOMPARE(form->field("models")->text(), w.document()->path());
    form->field("k")->setText(ks);
    form->spin("evalLimit")->setValue(evalLimit);
    form->spin("timingSamples")->setValue(0);
    form->field("platforms")->setText("xcku060,asic-45nm");
    form->setResultsFile(qpath(results));
}

bool waitFinished(gui::SweepView* v, bool& completed, int ms = 240000)
{
    QSignalSpy finished(v, &gui::SweepView::sweepFinished);
    if (!finished.wait(ms))
        return false;
    completed = finished.front().front().toBool();
    return true;
}

// File ▸ Export ▸ Report as the menu does it, then waits for the job: true when it was written.
bool exportReport(gui::MainWindow& w, const fs::path& file)
{
    QSignalSpy done(w.reportExporter(), &gui::ReportExporter::exported);
    QSignalSpy failed(w.reportExporter(), &gui::ReportExporter::failed);
    w.exportReport(qpath(file));
    if (!w.jobs()->isBusy("report")) // the export runs as a job
        return false;
    if (!QTest::qWaitFor([&] { return !done.isEmpty() || !failed.isEmpty(); }, 120000))
        return false;
    if (!failed.isEmpty())
        qWarning("export failed: %s", qPrintable(failed.front().at(1).toString()));
    return done.size() == 1 && done.front().front().toString() == qpath(file);
}

QByteArray readAll(const fs::path& file)
{
    QFile f(qpath(file));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Temporary files of the atomic writer left in `dir`.
int temporaries(const fs::path& dir)
{
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        n += e.path().filename().string().find("circnn-tmp") != std::string::npos;
    return n;
}

QAction* action(QWidget* w, const QString& text)
{
    for (QAction* a : w->actions())
        if (a->text() == text)
            return a;
    return nullptr;
}

using circnn::test::distinctColours;
using circnn::test::svgShapes;

std::vector<std::vector<std::string>> readCsv(const fs::path& file)
{
    std::ifstream in(file);
    std::vector<std::vector<std::string>> rows;
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> fields;
        std::string field;
        bool quoted = false;
        for (char c : line) {
            if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted)
                fields.push_back(field), field.clear();
            else
                field += c;
        }
        fields.push_back(field);
        rows.push_back(fields);
    }
    return rows;
}

} // namespace

class TestSweepView : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName("CirCNN-test");
        QCoreApplication::setApplicationName("gui-sweep-test");
        const QString settings = qpath(test::tempDir() / "settings-sweep");
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settings);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settings);
    }

    void tinySweepTableMatchesTheResultsFile()
    {
        const fs::path dir = freshDir("gui_sweep_run");
        gui::MainWindow w;
        w.resize(1400, 900);
        w.show();
        setUp(w, dir / "sweep.jsonl", "1,4,16", 200);
        gui::SweepView* v = w.sweepView();
        const QList<QChartView*> views = v->chartViews();
        QSignalSpy added(v, &gui::SweepView::pointAdded);
        QVERIFY(v->run());
        QVERIFY(v->isRunning());
        // The charts in the views are the ones the points are appended to: never replaced.
        QList<QChart*> chartsAtStart;
        for (QChartView* cv : views)
            chartsAtStart << cv->chart();
        bool completed = false;
        QVERIFY(waitFinished(v, completed));
        QVERIFY(completed);
        QCOMPARE(added.size(), 3);
        for (int i = 0; i < views.size(); ++i)
            QCOMPARE(views[i]->chart(), chartsAtStart[i]);

        // The table against the results file the core wrote.
        const SweepResultsContents file = readSweepResults(dir / "sweep.jsonl");
        QCOMPARE(file.points.size(), std::size_t(3));
        const gui::SweepTableModel* model = v->tableModel();
        QCOMPARE(model->rowCount(), 3);
        for (const SweepPointResult& p : file.points) {
            const int row = model->rowOfId(p.id);
            QVERIFY2(row >= 0, p.id.c_str());
            auto text = [&](int col) { return model->data(model->index(row, col), Qt::DisplayRole).toString(); };
            QCOMPARE(text(gui::SweepTableModel::Mode), QString::fromStdString(p.mode));
            QCOMPARE(text(gui::SweepTableModel::Blocks), QString::fromStdString(p.blockLabel()));
            QCOMPARE(text(gui::SweepTableModel::Top1), QString::number(100 * p.top1, 'f', 2));
            QCOMPARE(text(gui::SweepTableModel::Compression), QString::number(p.compression, 'f', 2));
            const int fps = gui::SweepTableModel::FixedColumns; // first platform's frames/s
            QCOMPARE(model->data(model->index(row, fps), Qt::UserRole).toDouble(),
                     p.platform("xcku060")->framesPerSecond);
        }
        // The accuracy vs compression chart holds every point (k = 1, 4, 16 → compression > 0).
        int scattered = 0;
        for (QAbstractSeries* s : views[0]->chart()->series())
            if (auto* sc = qobject_cast<QScatterSeries*>(s))
                scattered += sc->count();
        QCOMPARE(scattered, 3);

        // By default the rows are in the sweep's point order, whatever order the points finished in.
        for (int r = 1; r < v->proxy()->rowCount(); ++r)
            QVERIFY(v->proxy()->index(r - 1, 0).data(Qt::UserRole).toULongLong() <
                    v->proxy()->index(r, 0).data(Qt::UserRole).toULongLong());
        // Sorting by top-1, descending: the proxy's rows are in that order.
        v->table()->sortByColumn(gui::SweepTableModel::Top1, Qt::DescendingOrder);
        for (int r = 1; r < v->proxy()->rowCount(); ++r)
            QVERIFY(v->proxy()->index(r - 1, gui::SweepTableModel::Top1).data(Qt::UserRole).toDouble() >=
                    v->proxy()->index(r, gui::SweepTableModel::Top1).data(Qt::UserRole).toDouble());

        // Clicking the k = 16 row shows that configuration in the document (explorer, hardware).
        const int row16 = model->rowOfId("m0/project/k=16");
        QVERIFY(row16 >= 0);
        const QModelIndex at = v->proxy()->mapFromSource(model->index(row16, 0));
        QSignalSpy changed(w.document(), &gui::Document::modelChanged);
        v->table()->scrollTo(at);
        QTest::mouseClick(v->table()->viewport(), Qt::LeftButton, {}, v->table()->visualRect(at).center());
        QVERIFY(changed.wait(30000));
        QVERIFY(w.document()->derivation().contains("m0/project/k=16"));
        const LayerSpec* hidden = w.document()->model()->find("dense_1");
        QVERIFY(hidden && hidden->circulant);
        QCOMPARE(hidden->circulant->k, std::int64_t(16));
        QVERIFY(!w.document()->model()->find("dense_2")->circulant); // the output layer stays dense

        // File ▸ Export ▸ Report, the same code as `circnn report`, written by a job: CSV and JSON
        // parsed back, HTML with one inline SVG per chart, a complete PDF.
        QVERIFY(exportReport(w, dir / "report.csv"));
        QVERIFY(exportReport(w, dir / "report.json"));
        QVERIFY(exportReport(w, dir / "report.html"));
        QVERIFY(exportReport(w, dir / "report.pdf"));
        const auto csv = readCsv(dir / "report.csv");
        QCOMPARE(csv.size(), std::size_t(4)); // header + 3 points
        const auto idColumn = std::find(csv[0].begin(), csv[0].end(), "point_id") - csv[0].begin();
        QVERIFY(idColumn < std::ptrdiff_t(csv[0].size()));
        QSet<QString> csvIds, fileIds;
        for (std::size_t r = 1; r < csv.size(); ++r)
            csvIds << QString::fromStdString(csv[r][std::size_t(idColumn)]);
        for (const SweepPointResult& p : file.points)
            fileIds << QString::fromStdString(p.id);
        QCOMPARE(csvIds, fileIds);
        std::ifstream jin(dir / "report.json");
        const nlohmann::json j = nlohmann::json::parse(jin);
        QCOMPARE(j.at("points").size(), std::size_t(3));
        for (const auto& p : j.at("points"))
            QVERIFY(fileIds.contains(QString::fromStdString(p.at("id").get<std::string>())));
        const QByteArray html = readAll(dir / "report.html");
        QVERIFY(html.startsWith("<!DOCTYPE html>") && html.trimmed().endsWith("</html>"));
        QVERIFY(html.count("<figure id=") >= 2); // accuracy vs k, Pareto, energy, frames/s, ...
        QCOMPARE(html.count("<svg"), html.count("<figure id="));
        const QByteArray pdf = readAll(dir / "report.pdf");
        QVERIFY(pdf.startsWith("%PDF-") && pdf.trimmed().endsWith("%%EOF"));
        QVERIFY(pdf.count("/Type /Page\n") + pdf.count("/Type /Page\r") + pdf.count("/Type /Page ") >= 3);
        QCOMPARE(temporaries(dir), 0);
        // A name the report cannot have: an error naming the file and the accepted suffixes, shown
        // as a dialog; nothing written.
        {
            QSignalSpy failed(w.reportExporter(), &gui::ReportExporter::failed);
            w.exportReport(qpath(dir / "report.txt"));
            QVERIFY(failed.wait(30000));
            const QString message = failed.front().at(1).toString();
            QVERIFY2(message.contains("report.txt") && message.contains(".html, .pdf, .csv or .json"),
                     qPrintable(message));
            QVERIFY(!fs::exists(dir / "report.txt"));
            auto* box = w.findChild<QMessageBox*>("exportFailedBox");
            QVERIFY(box && box->text().contains("report.txt"));
            box->close();
        }
        // A report export cancelled while its charts are drawn leaves no file and no temporary.
        {
            gui::ReportExporter* exporter = w.reportExporter();
            QSignalSpy cancelled(exporter, &gui::ReportExporter::cancelled);
            QSignalSpy exported(exporter, &gui::ReportExporter::exported);
            const auto c = connect(exporter, &gui::ReportExporter::chartRecorded, exporter,
                                   [exporter](int, int) { exporter->cancel(); });
            w.exportReport(qpath(dir / "cancelled.pdf"));
            QVERIFY(cancelled.wait(60000));
            disconnect(c);
            QTRY_VERIFY_WITH_TIMEOUT(!w.jobs()->isBusy("report"), 30000);
            QVERIFY(exported.isEmpty());
            QVERIFY(!fs::exists(dir / "cancelled.pdf"));
            QCOMPARE(temporaries(dir), 0);
        }

        // Charts saved through their context menu, as SVG and PNG: non-blank.
        QString answer;
        gui::setExportFileChooser([&](QWidget*, const QString&, const QString&, const QString&) { return answer; });
        for (QChartView* cv : views.mid(0, 2)) {
            QAction* save = action(cv, "Save chart as…");
            QVERIFY(save);
            answer = qpath(dir / (cv->objectName().toStdString() + ".svg"));
            save->trigger();
            QVERIFY(svgShapes(answer) > 5);
            answer = qpath(dir / (cv->objectName().toStdString() + ".png"));
            save->trigger();
            const QImage png(answer);
            QVERIFY(!png.isNull());
            QVERIFY(distinctColours(png) > 1);
        }
        // The table as CSV (as shown, sorted) and copied to the clipboard.
        answer = qpath(dir / "table.csv");
        action(v->table(), "Save table as CSV…")->trigger();
        const auto table = readCsv(dir / "table.csv");
        QCOMPARE(table.size(), std::size_t(4));
        QCOMPARE(QString::fromStdString(table[0][0]), QString("point"));
        v->table()->clearSelection();
        action(v->table(), "Copy")->trigger();
        const QString copied = QApplication::clipboard()->text();
        for (const QString& id : fileIds)
            QVERIFY(copied.contains(id));
        // The explorer's heatmap as PNG.
        gui::HeatmapWidget* heatmap = w.explorerView()->heatmap();
        QTRY_VERIFY_WITH_TIMEOUT(!heatmap->isRendering(), 20000);
        answer = qpath(dir / "heatmap.png");
        action(heatmap, "Save heatmap as PNG…")->trigger();
        QVERIFY(distinctColours(QImage(answer)) > 1);
        gui::setExportFileChooser({});
    }

    void cancelledSweepResumes()
    {
        const fs::path dir = freshDir("gui_sweep_resume");
        gui::MainWindow w;
        setUp(w, dir / "sweep.jsonl", "1,2,4,8,16", 300);
        gui::SweepView* v = w.sweepView();
        QSignalSpy added(v, &gui::SweepView::pointAdded);
        QVERIFY(v->run());
        QVERIFY(added.wait(120000));
        v->cancel();
        bool completed = true;
        QVERIFY(waitFinished(v, completed));
        QVERIFY(!completed);
        const SweepResultsContents partial = readSweepResults(dir / "sweep.jsonl");
        QVERIFY(!partial.partialLastLine);
        QVERIFY(!partial.points.empty());
        QCOMPARE(std::size_t(v->tableModel()->rowCount()), partial.points.size());
        if (partial.points.size() == 5)
            QSKIP("every point finished before the cancel arrived (nothing left to resume)");
        // Resume from the results file: the missing points are computed, none twice.
        QVERIFY(v->resume(qpath(dir / "sweep.jsonl")));
        QVERIFY(waitFinished(v, completed));
        QVERIFY(completed);
        const SweepResultsContents all = readSweepResults(dir / "sweep.jsonl");
        QCOMPARE(all.points.size(), std::size_t(5));
        QCOMPARE(all.headers.size(), std::size_t(2)); // the first run and the resumed one
        QCOMPARE(v->tableModel()->rowCount(), 5);
        for (const SweepPointResult& p : all.points)
            QVERIFY(v->tableModel()->rowOfId(p.id) >= 0);
    }

    void closingWithARunningSweepAsksThenCancels()
    {
        const fs::path dir = freshDir("gui_sweep_close");
        auto w = std::make_unique<gui::MainWindow>();
        setUp(*w, dir / "sweep.jsonl", "1,2,4,8,16,32", 1000);
        gui::SweepView* v = w->sweepView();
        QVERIFY(v->run());
        QStringList asked;
        w->setCloseQuestion([&](const QString& q) {
            asked << q;
            return false; // "No": keep running
        });
        QVERIFY(!w->close());
        QCOMPARE(asked.size(), 1);
        QVERIFY(v->isRunning());
        w->setCloseQuestion([&](const QString& q) {
            asked << q;
            return true; // "Yes": cancel and close
        });
        QSignalSpy cancelled(w->jobs(), &gui::JobRunner::jobCancelled);
        QVERIFY(w->close());
        QCOMPARE(asked.size(), 2);
        // The sweep stops at its next safe point; the results file stays whole.
        QTRY_VERIFY_WITH_TIMEOUT(!w->jobs()->isBusy(), 120000);
        QVERIFY(cancelled.size() >= 1);
        QVERIFY(!v->isRunning());
        // (Cancelled before the models were read, the sweep never created its results file.)
        if (fs::exists(dir / "sweep.jsonl")) {
            const SweepResultsContents kept = readSweepResults(dir / "sweep.jsonl");
            QVERIFY(!kept.partialLastLine);
            QVERIFY(kept.points.size() < 6);
        }
        // Closing when idle does not ask.
        auto idle = std::make_unique<gui::MainWindow>();
        idle->setCloseQuestion([&](const QString& q) {
            asked << q;
            return false;
        });
        QVERIFY(idle->close());
        QCOMPARE(asked.size(), 2);
    }

    // Reconstruction points: the figure columns are MSE / Δ MSE / MAE / ROC AUC, headed by the
    // shared SweepMetric label, sorted by the MSE value.
    void tableShowsErrorsOfReconstructionPoints()
    {
        gui::SweepTableModel model;
        QCOMPARE(model.headerData(gui::SweepTableModel::Top1, Qt::Horizontal, Qt::DisplayRole).toString(),
                 QString("top-1 %"));
        SweepPointResult p;
        p.id = "m0/project/k=4";
        p.mode = "project";
        p.k = 4;
        p.task = "reconstruct";
        p.errors.mse = 0.25;
        p.errors.denseMse = 0.2;
        p.errors.mae = 0.4;
        p.errors.rocAuc = 0.75;
        model.append(p);
        QVERIFY(model.showsErrors());
        const auto header = [&](int c) { return model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString(); };
        QCOMPARE(header(gui::SweepTableModel::Top1), QString("reconstruction MSE (lower is better)"));
        QCOMPARE(header(gui::SweepTableModel::Drop), QString("Δ MSE (vs dense)"));
        QCOMPARE(header(gui::SweepTableModel::Top5), QString("MAE"));
        QCOMPARE(header(gui::SweepTableModel::Agreement), QString("ROC AUC"));
        const auto cell = [&](int c, int role) { return model.data(model.index(0, c), role); };
        QCOMPARE(cell(gui::SweepTableModel::Top1, Qt::UserRole).toDouble(), 0.25);
        QVERIFY(std::abs(cell(gui::SweepTableModel::Drop, Qt::UserRole).toDouble() - 0.05) < 1e-12);
        QCOMPARE(cell(gui::SweepTableModel::Top5, Qt::DisplayRole).toString(), QString("0.4"));
        QCOMPARE(cell(gui::SweepTableModel::Agreement, Qt::UserRole).toDouble(), 0.75);
    }
};

QTEST_MAIN(TestSweepView)
#include "TestSweepView.moc"
