// The shared chart library (app/charts): LiveSweepChart grows point by point — points fed out of
// order end up in k order, the Pareto front is the one worked out by hand below, and feeding the
// points one at a time gives the same series as the report builder fed all of them; the model
// charts of the views render without a window; charts and chart views save as SVG (parsed back,
// with paths) and PNG (more than one colour), atomically into a temporary folder.

#include <QApplication>
#include <QChartView>
#include <QFile>
#include <QImage>
#include <QLineSeries>
#include <QScatterSeries>
#include <QSet>
#include <QSignalSpy>
#include <QXmlStreamReader>
#include <QtTest>

#include <cmath>
#include <filesystem>

#include "ImageFileChecks.h"
#include "TestSupport.h"
#include "analysis/SweepReport.h"
#include "charts/ChartBuilders.h"
#include "charts/ChartExport.h"
#include "charts/ChartRenderer.h"
#include "charts/LiveSweepChart.h"
#include "charts/SweepCharts.h"
#include "charts/TrainingCharts.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

SweepPointResult point(std::size_t index, std::int64_t k, double compression, double top1, double energyPj)
{
    SweepPointResult p;
    p.index = index;
    p.id = "m0/project/k=" + std::to_string(k) + "/" + std::to_string(index);
    p.mode = "project";
    p.k = k;
    p.compression = compression;
    p.top1 = top1;
    p.denseTop1 = 0.9;
    SweepPlatformResult h;
    h.platform = "xcku060";
    h.energyPjPerFrame = energyPj;
    h.framesPerSecond = 1e9 / energyPj;
    p.platforms.push_back(h);
    return p;
}

// (compression, top1): the front keeps (1, .90) (2, .89) (4, .85) (8, .70); (4, .80) is beaten
// by (4, .85) and (2, .70) by (2, .89).
std::vector<SweepPointResult> points()
{
    return {point(0, 8, 8, 0.70, 100), point(1, 2, 2, 0.89, 400), point(2, 4, 4, 0.85, 200),
            point(3, 1, 1, 0.90, 800), point(4, 4, 4, 0.80, 210), point(5, 2, 2, 0.70, 390)};
}

SweepConfig config()
{
    SweepConfig c;
    c.models = {"model.h5"};
    c.modes = {AccuracyMode::Project};
    return c;
}

QLineSeries* lineNamed(QChart& chart, const QString& name)
{
    for (QAbstractSeries* s : chart.series())
        if (s->name() == name)
            return qobject_cast<QLineSeries*>(s);
    return nullptr;
}

using circnn::test::distinctColours;
using circnn::test::svgShapes;

fs::path freshDir(const std::string& name)
{
    const fs::path d = test::tempDir() / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

} // namespace

class TestCharts : public QObject {
    Q_OBJECT
private slots:
    void paretoFrontGrowsWithThePoints()
    {
        charts::LiveSweepChart live(charts::SweepChartKind::ParetoCompression, config());
        const auto pts = points();
        QVERIFY(live.addPoint(pts[0]));
        QLineSeries* front = lineNamed(*live.chart(), "Pareto front");
        QVERIFY(front);
        QCOMPARE(front->count(), 1);
        for (std::size_t i = 1; i < pts.size(); ++i)
            QVERIFY(live.addPoint(pts[i]));
        QCOMPARE(live.pointCount(), pts.size());
        QCOMPARE(lineNamed(*live.chart(), "Pareto front"), front); // the same series, replaced in bulk
        const QList<QPointF> expected{{1, 90}, {2, 89}, {4, 85}, {8, 70}};
        QCOMPARE(front->count(), expected.size());
        for (int i = 0; i < expected.size(); ++i) {
            QCOMPARE(front->at(i).x(), expected[i].x());
            QCOMPARE(front->at(i).y(), expected[i].y());
        }
        auto* scatter = qobject_cast<QScatterSeries*>(live.chart()->series().front());
        QVERIFY(scatter);
        QCOMPARE(scatter->name(), QString("project"));
        QCOMPARE(scatter->count(), 6);
    }

    // Reconstruction points are ranked by MSE (lower is better): with MSE = 1.6 − the accuracies
    // above the front is the same four points (maximising the MSE would keep only (8, .90)), and
    // the title and axis say MSE.
    void errorPointsFlipTheFront()
    {
        charts::LiveSweepChart live(charts::SweepChartKind::ParetoCompression, config());
        for (SweepPointResult p : points()) {
            p.task = "reconstruct";
            p.errors.mse = 1.6 - p.top1;
            p.errors.denseMse = 0.9;
            p.top1 = 0;
            QVERIFY(live.addPoint(p));
        }
        QVERIFY(live.chart()->title().contains("Reconstruction MSE"));
        QVERIFY(live.chart()->title().contains("lower is better"));
        bool axisNamed = false;
        for (QAbstractAxis* a : live.chart()->axes(Qt::Vertical))
            axisNamed = axisNamed || a->titleText() == "reconstruction MSE (lower is better)";
        QVERIFY(axisNamed);
        // The y values are the MSEs as they are (no percent scaling).
        QLineSeries* front = lineNamed(*live.chart(), "Pareto front");
        QVERIFY(front);
        const QList<QPointF> expected{{1, 0.70}, {2, 0.71}, {4, 0.75}, {8, 0.90}};
        QCOMPARE(front->count(), expected.size());
        for (int i = 0; i < expected.size(); ++i) {
            QCOMPARE(front->at(i).x(), expected[i].x());
            QVERIFY(std::abs(front->at(i).y() - expected[i].y()) < 1e-12);
        }
    }

    void linesKeepBlockSizeOrderAndMatchTheReportBuilder()
    {
        charts::LiveSweepChart live(charts::SweepChartKind::EnergyVsBlockSize, config());
        for (const SweepPointResult& p : points())
            live.addPoint(p);
        QLineSeries* line = lineNamed(*live.chart(), "xcku060");
        QVERIFY(line);
        QCOMPARE(line->count(), 6);
        for (int i = 1; i < line->count(); ++i)
            QVERIFY(line->at(i - 1).x() <= line->at(i).x());
        QCOMPARE(line->at(0), QPointF(1, 800));
        QCOMPARE(line->at(5), QPointF(8, 100));
        // The report builder draws the same series (it feeds the same class).
        SweepReport r;
        r.config = config();
        r.points = points();
        std::unique_ptr<QChart> built = charts::energyVsBlockSizeChart(r);
        QVERIFY(built);
        QLineSeries* same = lineNamed(*built, "xcku060");
        QVERIFY(same);
        QCOMPARE(same->points(), line->points());
        // A point of another mode is not an energy point (estimates use the first mode only).
        SweepPointResult other = points()[0];
        other.mode = "data";
        QVERIFY(!live.addPoint(other));
        // No sensitivity points: no sensitivity chart.
        QVERIFY(!charts::sensitivityChart(r));
    }

    void trainingCurvesTakeEachBatchInOneBulkUpdate()
    {
        QChartView lossView, accuracyView;
        charts::TrainingCurves curves(&lossView, &accuracyView);
        curves.reset(2, "run");
        QLineSeries* running = curves.series("running loss");
        QVERIFY(running);
        QSignalSpy single(running, &QXYSeries::pointAdded);
        QSignalSpy bulk(running, &QXYSeries::pointsReplaced);
        // Two batches of 40 steps each (one epoch of 80 batches): one bulk update per batch, no
        // per-point signal (each of which re-lays out the whole line in Qt Charts).
        std::vector<TrainStatus> steps(80);
        for (int i = 0; i < 80; ++i) {
            steps[std::size_t(i)].epoch = 1;
            steps[std::size_t(i)].epochs = 2;
            steps[std::size_t(i)].batch = i + 1;
            steps[std::size_t(i)].batches = 80;
            steps[std::size_t(i)].loss = 2.0 - i / 80.0;
            steps[std::size_t(i)].accuracy = i / 100.0;
        }
        curves.appendSteps({steps.begin(), steps.begin() + 40});
        curves.appendSteps({steps.begin() + 40, steps.end()});
        QCOMPARE(single.count(), 0);
        QCOMPARE(bulk.count(), 2);
        QCOMPARE(running->count(), 80);
        for (int i = 0; i < 80; ++i) { // in order, x = epoch − 1 + batch / batches
            QCOMPARE(running->at(i).x(), (i + 1) / 80.0);
            QCOMPARE(running->at(i).y(), 2.0 - i / 80.0);
        }
        QCOMPARE(curves.series("running accuracy")->at(79).y(), 100 * 0.79);
        // End-of-epoch records: one point per series, validation loss on its own axis.
        EpochRecord r;
        r.epoch = 1;
        r.trainLoss = 1.5;
        r.valLoss = 0.7;
        r.trainAccuracy = 0.5;
        r.valAccuracy = 0.6;
        curves.appendEpochs({r});
        QCOMPARE(curves.series("validation loss")->count(), 1);
        QCOMPARE(curves.series("validation accuracy")->at(0), QPointF(1, 60));
        curves.reset(1, "again");
        QCOMPARE(running->count(), 0);
    }

    void modelChartsRenderHeadlessly()
    {
        ValueHistogram h;
        h.lo = -1;
        h.hi = 1;
        h.bins = {1, 4, 9, 4, 1};
        std::unique_ptr<QChart> hist(charts::histogramChart(h, "weights"));
        const std::vector<float> v{0.5f, -0.25f, 1.0f, 0.0f};
        std::unique_ptr<QChart> vec(charts::vectorChart(v, "vector"));
        for (QChart* c : {hist.get(), vec.get()}) {
            const QImage image = charts::chartToImage(*c, QSize(400, 300));
            QVERIFY(distinctColours(image) > 1);
            const QByteArray svg = charts::chartToSvg(*c, QSize(400, 300), c->title());
            QVERIFY(svg.contains("<polyline") || svg.contains("<path"));
        }
    }

    void chartsSaveAsSvgAndPng()
    {
        const fs::path dir = freshDir("charts_save");
        SweepReport r;
        r.config = config();
        r.points = points();
        std::unique_ptr<QChart> chart = charts::accuracyVsCompressionChart(r);
        QVERIFY(chart);
        const QString svg = QString::fromStdString((dir / "pareto.svg").string());
        const QString png = QString::fromStdString((dir / "pareto.png").string());
        charts::saveChart(*chart, svg, QSize(640, 420));
        charts::saveChart(*chart, png, QSize(640, 420));
        QVERIFY(svgShapes(svg) > 5);
        QImage image(png);
        QCOMPARE(image.size(), QSize(640, 420));
        QVERIFY(distinctColours(image) > 1);
        // A chart shown in a view saves as drawn there, and stays in the view.
        QChartView view;
        view.resize(500, 350);
        view.setChart(chart.release());
        const QString viewSvg = QString::fromStdString((dir / "view.svg").string());
        const QString viewPng = QString::fromStdString((dir / "view.png").string());
        charts::saveChartView(view, viewSvg);
        charts::saveChartView(view, viewPng);
        QVERIFY(svgShapes(viewSvg) > 5);
        QVERIFY(distinctColours(QImage(viewPng)) > 1);
        QVERIFY(view.chart()->scene() == view.scene());
        // A folder that does not exist: an error naming the file, nothing written.
        const QString bad = QString::fromStdString((dir / "missing" / "x.png").string());
        QVERIFY_THROWS_EXCEPTION(std::exception, charts::saveChartView(view, bad));
        QVERIFY(!QFile::exists(bad));
    }
};

QTEST_MAIN(TestCharts)
#include "TestCharts.moc"
