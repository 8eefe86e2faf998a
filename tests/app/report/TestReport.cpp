// The report library on a small synthetic sweep over the bundled MLP (values made up, so the test
// needs no model run): which charts are built and what they hold, the self-contained HTML, and
// the PDF — its page count checked with pdfinfo and its chart pages rendered with pdftoppm and
// checked for the series' colours (a blank or white chart fails).

#include <QApplication>
#include <QImage>
#include <QLineSeries>
#include <QProcess>
#include <QStandardPaths>
#include <QtTest>

#include <fstream>

#include "PdfReport.h"
#include "ReportCharts.h"
#include "ReportHtml.h"
#include "TestSupport.h"
#include "charts/ChartRenderer.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

SweepReport syntheticReport(bool withSensitivity)
{
    SweepConfig c;
    c.models = {(test::sourceDir() / "sample_models/fashion_mlp_dense.h5").string()};
    c.blockSizes = {1, 2, 4, 8};
    c.modes = {AccuracyMode::Project, AccuracyMode::DataAware};
    c.data = "eval.h5";
    c.trainData = "train.h5";
    c.platforms = {"xcku060", "asic-45nm"};
    SweepResultsHeader h;
    h.config = c;
    h.configHash = sweepConfigHash(c);
    h.provenance.tool = "circnn test";
    h.provenance.commandLine = "circnn sweep ...";
    h.provenance.files.push_back({"data", "eval.h5", 123, std::string(64, 'a')});
    SweepResultsContents results;
    results.headers.push_back(h);
    std::size_t index = 0;
    for (AccuracyMode mode : c.modes)
        for (std::int64_t k : c.blockSizes) {
            SweepPointResult p;
            p.index = index++;
            p.mode = accuracyModeName(mode);
            p.k = k;
            p.id = "m0/" + p.mode + "/k=" + std::to_string(k);
            p.configHash = h.configHash;
            p.model = c.models[0];
            p.denseTop1 = 0.87;
            p.top1 = 0.87 - (mode == AccuracyMode::Project ? 0.08 : 0.02) * std::log2(double(k));
            p.parameters = 100000 / k + 1300;
            p.denseParameters = 101770;
            p.compression = double(p.denseParameters) / double(p.parameters);
            p.layers.push_back(
                {"dense_1", "Dense", k, k > 1, "", 100480, 100480 / k, double(k), 0.1 * std::log2(double(k))});
            for (const char* platform : {"xcku060", "asic-45nm"}) {
                const double scale = std::string(platform) == "xcku060" ? 10.0 : 1.0;
                p.platforms.push_back({platform, 1e-4 * scale / double(k), 1e-4 * scale, 1e4 * double(k) / scale,
                                       1e4 / scale, 1e6 * scale / double(k), 1e6 * scale, 1e5, 64, 0.2, 0.5, true,
                                       "compute"});
            }
            p.timing.samples = 8;
            p.timing.latencyMs = 0.02 / double(k) + 0.003;
            p.timing.denseLatencyMs = 0.02;
            results.points.push_back(p);
        }
    if (withSensitivity)
        for (std::int64_t k : {2, 4, 8}) {
            SweepPointResult p = results.points[std::size_t(k == 2 ? 1 : k == 4 ? 2 : 3)];
            p.index = index++;
            p.k = 0;
            p.requestedBlocks = {{"dense_1", k}};
            p.sensitivityLayer = "dense_1";
            p.id = "m0/project/dense_1=" + std::to_string(k);
            results.points.push_back(p);
        }
    return buildSweepReport(results, "Test report");
}

// Fraction of pixels in `rect` that are not near-white, and whether a pixel close to `colour` occurs.
double inkFraction(const QImage& image, const QRect& rect)
{
    std::int64_t ink = 0, total = 0;
    for (int y = rect.top(); y <= rect.bottom(); ++y)
        for (int x = rect.left(); x <= rect.right(); ++x, ++total)
            ink += qGray(image.pixel(x, y)) < 235 ? 1 : 0;
    return total ? double(ink) / double(total) : 0;
}
bool hasColour(const QImage& image, const QRect& rect, QColor colour)
{
    for (int y = rect.top(); y <= rect.bottom(); ++y)
        for (int x = rect.left(); x <= rect.right(); ++x) {
            const QColor c = image.pixelColor(x, y);
            if (std::abs(c.red() - colour.red()) < 40 && std::abs(c.green() - colour.green()) < 40 &&
                std::abs(c.blue() - colour.blue()) < 40)
                return true;
        }
    return false;
}

fs::path freshDir(const std::string& name)
{
    const fs::path d = test::tempDir() / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

} // namespace

class TestReport : public QObject {
    Q_OBJECT
private slots:
    void chartsHoldTheReportValues()
    {
        const SweepReport r = syntheticReport(true);
        std::vector<report::ReportChart> charts = report::buildReportCharts(r);
        QStringList ids;
        for (const auto& c : charts)
            ids << c.id;
        QCOMPARE(ids, (QStringList{"accuracy-k", "pareto-compression", "energy-k", "fps-k", "residual-k", "sensitivity",
                                   "pareto-latency"}));
        // Accuracy vs k: one line per mode (its points in k order) plus the dense reference line.
        QChart& acc = *charts[0].chart;
        QCOMPARE(acc.series().size(), 3);
        auto* project = qobject_cast<QLineSeries*>(acc.series()[0]);
        QVERIFY(project);
        QCOMPARE(project->name(), QString("project"));
        QCOMPARE(project->count(), 4);
        QCOMPARE(project->at(2), QPointF(4, 100 * (0.87 - 0.16)));
        // A report without sensitivity points has no sensitivity chart.
        std::vector<report::ReportChart> plain = report::buildReportCharts(syntheticReport(false));
        QVERIFY(std::none_of(plain.begin(), plain.end(), [](const auto& c) { return c.id == "sensitivity"; }));
        // Rendered to an image, a chart is not blank.
        const QImage image = charts::chartToImage(*charts[0].chart, QSize(600, 400));
        QVERIFY(inkFraction(image, image.rect()) > 0.01);
        QVERIFY(hasColour(image, image.rect(), QColor(0x1f, 0x77, 0xb4)));
    }

    void htmlIsSelfContained()
    {
        const SweepReport r = syntheticReport(true);
        const fs::path f = freshDir("report_html") / "r.html";
        report::writeSweepReportHtml(r, f.string());
        std::ifstream in(f);
        const std::string html((std::istreambuf_iterator<char>(in)), {});
        std::size_t svgs = 0;
        for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1))
            ++svgs;
        QCOMPARE(svgs, std::size_t(7));
        for (const char* external : {"<script", "<link", "@import", "src=\"http", "href=\"http", "url(http"})
            QVERIFY2(html.find(external) == std::string::npos, external);
        for (const char* text : {"Reproducibility", "Sweep table", "Hardware estimates", "m0/data/k=8",
                                 "sha256 aaaaaaaa", "xcku060", "project", "Per-layer sensitivity"})
            QVERIFY2(html.find(text) != std::string::npos, text);
    }

    void pdfHasItsPagesAndNonBlankCharts()
    {
        const SweepReport r = syntheticReport(true);
        const fs::path dir = freshDir("report_pdf");
        const fs::path f = dir / "r.pdf";
        const report::PdfReportInfo info = report::writeSweepReportPdf(r, f.string());
        QCOMPARE(info.chartIds.size(), std::size_t(7));
        QCOMPARE(info.chartPages.size(), std::size_t(7));
        QVERIFY(info.chartPages.front() >= 2);                             // front pages first
        QCOMPARE(info.chartPages.back() - info.chartPages.front() + 1, 4); // 2 charts per page
        QVERIFY(info.pages > info.chartPages.back());                      // the back pages
        if (QStandardPaths::findExecutable("pdftoppm").isEmpty() || QStandardPaths::findExecutable("pdfinfo").isEmpty())
            QSKIP("pdftoppm / pdfinfo (poppler-utils) are not installed");
        QProcess pdfinfo;
        pdfinfo.start("pdfinfo", {QString::fromStdString(f.string())});
        QVERIFY(pdfinfo.waitForFinished());
        const QString meta = QString::fromUtf8(pdfinfo.readAllStandardOutput());
        QVERIFY2(meta.contains(QRegularExpression("Pages:\\s+" + QString::number(info.pages) + "\\b")),
                 qPrintable(meta));
        for (std::size_t i = 0; i < info.chartPages.size(); i += 2) {
            const QString page = QString::number(info.chartPages[i]);
            const QString prefix = QString::fromStdString((dir / ("page" + page.toStdString())).string());
            QProcess render;
            render.start("pdftoppm", {"-r", "40", "-png", "-singlefile", "-f", page, "-l", page,
                                      QString::fromStdString(f.string()), prefix});
            QVERIFY(render.waitForFinished());
            QCOMPARE(render.exitCode(), 0);
            const QImage image(prefix + ".png");
            QVERIFY(!image.isNull());
            // Both halves of the page hold a chart: ink, and the first series' colour.
            const QRect left(0, 0, image.width() / 2, image.height() * 3 / 4);
            const QRect right(image.width() / 2, 0, image.width() / 2, image.height() * 3 / 4);
            for (const QRect& half : {left, right}) {
                if (half == right && i + 1 >= info.chartPages.size())
                    break;
                QVERIFY2(inkFraction(image, half) > 0.01, qPrintable("blank chart on page " + page));
                QVERIFY2(hasColour(image, half, QColor(0x1f, 0x77, 0xb4)), qPrintable("no series on page " + page));
            }
        }
        // The front page is not blank either.
        QProcess front;
        front.start("pdftoppm", {"-r", "40", "-png", "-singlefile", "-f", "1", "-l", "1",
                                 QString::fromStdString(f.string()), QString::fromStdString((dir / "front").string())});
        QVERIFY(front.waitForFinished());
        const QImage first(QString::fromStdString((dir / "front.png").string()));
        QVERIFY(inkFraction(first, first.rect()) > 0.01);
    }
};

QTEST_MAIN(TestReport)
#include "TestReport.moc"
