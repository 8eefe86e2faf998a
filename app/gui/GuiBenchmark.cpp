#include "GuiBenchmark.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QLabel>
#include <QMap>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

#include "BuildInfo.h"
#include "Document.h"
#include "JobRunner.h"
#include "MainWindow.h"
#include "PdfReport.h"
#include "ReportExporter.h"
#include "ReportHtml.h"
#include "analysis/SweepRunner.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"
#include "nn/training/Architecture.h"
#include "sweep/SweepConfigForm.h"
#include "sweep/SweepView.h"
#include "views/LayerExplorerView.h"
#include "views/ModelView.h"
#include "views/TrainingOptionsForm.h"
#include "views/TrainingView.h"
#include "widgets/HeatmapWidget.h"

namespace circnn::gui {

namespace {

double threadCpuNowMs()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

// Optional attribution (CIRCNN_BENCH_TRACE set): the events the GUI thread delivered, with the
// thread CPU from one delivery to the next (receiver class / event type), so that a long gap of
// the probe can be printed with what filled it.
class EventTrace : public QObject {
public:
    void start()
    {
        m_events.clear();
        qApp->installEventFilter(this);
    }
    void stop() { qApp->removeEventFilter(this); }
    // Prints the deliveries since the last call that took more than 1 ms, then forgets them.
    void flush(double gapCpuMs, double now)
    {
        if (!m_events.isEmpty() && m_events.back().cpu < 0)
            m_events.back().cpu = now - m_events.back().start;
        std::fprintf(stderr, "[bench] probe gap with %.1f ms GUI CPU:", gapCpuMs);
        QMap<QString, double> byOwner; // all deliveries, summed by the view that owns the receiver
        for (const Delivered& e : std::as_const(m_events)) {
            if (e.cpu > 1)
                std::fprintf(stderr, " %s %.1f;", qPrintable(e.what), e.cpu);
            byOwner[e.owner] += e.cpu;
        }
        std::fprintf(stderr, "\n[bench]   by view:");
        for (auto it = byOwner.cbegin(); it != byOwner.cend(); ++it)
            if (it.value() > 0.5)
                std::fprintf(stderr, " %s %.1f;", qPrintable(it.key()), it.value());
        std::fprintf(stderr, "\n");
        m_events.clear();
    }
    void forget() { m_events.clear(); }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        const double now = threadCpuNowMs();
        if (!m_events.isEmpty() && m_events.back().cpu < 0)
            m_events.back().cpu = now - m_events.back().start;
        // Receiver class / event type, and the nearest of our classes owning the receiver (a Qt
        // object inside one of our views says which view).
        QString what = QString::fromLatin1(watched->metaObject()->className()) + QLatin1Char('/') +
                       QString::number(int(event->type()));
        QString owner = QStringLiteral("(other)");
        for (const QObject* o = watched; o; o = o->parent())
            if (QByteArray(o->metaObject()->className()).startsWith("circnn::")) {
                const QString name = QString::fromLatin1(o->metaObject()->className());
                owner = name.mid(name.lastIndexOf(QStringLiteral("::")) + 2);
                if (o != watched)
                    what += QStringLiteral(" in ") + owner;
                break;
            }
        m_events.push_back({what, owner, now, -1});
        return false;
    }

private:
    struct Delivered {
        QString what, owner;
        double start, cpu;
    };
    QList<Delivered> m_events;
};

// Largest gap between ticks of a 5 ms timer: how long the event loop was blocked.
// Beside the wall-clock gap, the GUI-thread CPU time between two ticks: the part of a gap that
// our code spent (robust on a loaded machine, where waiting for a core lengthens every gap).
class StallProbe {
public:
    StallProbe() : m_trace(qEnvironmentVariableIsSet("CIRCNN_BENCH_TRACE"))
    {
        m_timer.setInterval(5);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            const double cpu = threadCpuNowMs();
            m_max = std::max(m_max, now - m_last);
            m_maxCpu = std::max(m_maxCpu, cpu - m_lastCpu);
            if (m_trace) {
                if (cpu - m_lastCpu > 15)
                    m_events.flush(cpu - m_lastCpu, cpu);
                else
                    m_events.forget();
            }
            m_last = now;
            m_lastCpu = cpu;
        });
    }
    void start()
    {
        if (m_trace)
            m_events.start();
        m_maxCpu = 0;
        m_lastCpu = threadCpuNowMs();
        m_cpu0 = std::clock();
        m_gui0 = threadCpuMs();
        m_max = 0;
        m_clock.start();
        m_last = 0;
        m_timer.start();
    }
    // CPU time since start(): the whole process (all threads) and the GUI thread alone. On a loaded
    // machine these tell work from waiting for a core: a stall with little GUI-thread CPU was the
    // scheduler, not our code.
    QString cpuColumns() const
    {
        return QStringLiteral("%1 | %2")
            .arg(double(std::clock() - m_cpu0) * 1000.0 / CLOCKS_PER_SEC, 0, 'f', 0)
            .arg(threadCpuMs() - m_gui0, 0, 'f', 0);
    }
    static double threadCpuMs() { return threadCpuNowMs(); }
    double stopMs()
    {
        m_timer.stop();
        if (m_trace)
            m_events.stop();
        m_maxCpu = std::max(m_maxCpu, threadCpuNowMs() - m_lastCpu);
        return double(std::max(m_max, m_clock.nsecsElapsed() - m_last)) / 1e6;
    }
    // After stopMs(): "CPU all | CPU GUI | stall | longest iteration" (the table's last four columns).
    QString columns(double stall) const
    {
        return QStringLiteral("%1 | %2 | %3").arg(cpuColumns()).arg(stall, 0, 'f', 1).arg(longestGapCpuMs(), 0, 'f', 1);
    }
    // The most GUI-thread CPU time between two ticks.
    double longestGapCpuMs() const { return m_maxCpu; }

private:
    bool m_trace;
    EventTrace m_events;
    double m_maxCpu = 0, m_lastCpu = 0;
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0, m_max = 0;
    std::clock_t m_cpu0 = 0;
    double m_gui0 = 0;
};

// Input 4096 → Dense 4096 → Dense 2048 → Dense 10 (Glorot-initialised by core, as `circnn train`
// starts): 25.2 M weights, about 100 MB as float32.
ModelSpec benchmarkModel()
{
    ArchitectureOptions options;
    options.name = "bench_mlp";
    return buildArchitecture("4096-4096-2048-10", options).model;
}

// Runs the event loop until `done` returns true. Sleeps between events (no busy polling, which
// would take a core from the jobs being measured); a 10 ms timer guarantees a wake-up.
template <class Pred> void waitFor(Pred done)
{
    QTimer tick;
    tick.start(10);
    while (!done())
        QApplication::processEvents(QEventLoop::WaitForMoreEvents);
}

// Runs a block-size sweep of the bundled MLP (k = 1…32, projection, 2 platforms, the 1,000
// bundled images) in the sweep view (Run: the workflow on the job runner, points appended to the
// live charts and the table as they finish) and prints one table row.
void runSweep(MainWindow& window, StallProbe& probe, const QString& sample, const QString& dir)
{
    SweepView* view = window.sweepView();
    SweepConfig c;
    c.models = {(sample + "fashion_mlp_dense.h5").toStdString()};
    c.blockSizes = {1, 2, 4, 8, 16, 32};
    c.data = (sample + "fashion_test_1k.h5").toStdString();
    c.platforms = {"xcku060", "asic-45nm"};
    view->form()->setConfig(c);
    view->form()->setResultsFile(dir + "/bench_sweep.jsonl");
    int points = 0;
    bool done = false, completed = false;
    const auto c1 = QObject::connect(view, &SweepView::pointAdded, [&] { ++points; });
    const auto c2 = QObject::connect(view, &SweepView::sweepFinished, [&](bool ok) {
        completed = ok;
        done = true;
    });
    QElapsedTimer t;
    probe.start();
    t.start();
    const bool started = view->run();
    if (started)
        waitFor([&] { return done; });
    const double ms = double(t.nsecsElapsed()) / 1e6;
    const QString cols = probe.columns(probe.stopMs());
    QObject::disconnect(c1);
    QObject::disconnect(c2);
    const char* what = "sweep view: the bundled MLP, k = 1…32, projection, 2 platforms, live charts and table";
    if (!started || !completed)
        std::printf("| %s: FAILED (%s) | | | | | |\n", what, qPrintable(view->statusLabel()->text()));
    else
        std::printf("| %s (%d points) | %.0f | %s |\n", what, points, ms, qPrintable(cols));
}

// File ▸ Export ▸ Report of the sweep just run (`suffix`: "html" or "pdf"), as the menu does it:
// a job whose charts are drawn on the GUI thread one per event-loop turn. Then, for comparison,
// the same report written by one call on the GUI thread (how the export ran before it was a job):
// there the stall is the whole write. Prints two table rows.
void runReportExport(MainWindow& window, StallProbe& probe, const QString& dir, const QString& suffix)
{
    ReportExporter* exporter = window.reportExporter();
    bool done = false;
    QString error;
    const auto c1 = QObject::connect(exporter, &ReportExporter::exported, [&] { done = true; });
    const auto c2 = QObject::connect(exporter, &ReportExporter::failed, [&](const QString&, const QString& m) {
        error = m;
        done = true;
    });
    QElapsedTimer t;
    probe.start();
    t.start();
    window.exportReport(dir + "/bench_report." + suffix);
    waitFor([&] { return done; });
    double ms = double(t.nsecsElapsed()) / 1e6;
    QString cols = probe.columns(probe.stopMs());
    QObject::disconnect(c1);
    QObject::disconnect(c2);
    if (!error.isEmpty()) {
        std::printf("| report export (%s): FAILED (%s) | | | | | |\n", qPrintable(suffix), qPrintable(error));
        return;
    }
    std::printf(
        "| File ▸ Export ▸ Report of that sweep, %s: a job, charts drawn one per event-loop turn | %.0f | %s |\n",
        qPrintable(suffix.toUpper()), ms, qPrintable(cols));
    const SweepReport report = window.sweepView()->reportBuilder()();
    const std::string file = (dir + "/bench_report_gui_thread." + suffix).toStdString();
    done = false;
    probe.start();
    t.start();
    QTimer::singleShot(0, [&] {
        if (suffix == "pdf")
            report::writeSweepReportPdf(report, file);
        else
            report::writeSweepReportHtml(report, file);
        done = true;
    });
    waitFor([&] { return done; });
    ms = double(t.nsecsElapsed()) / 1e6;
    cols = probe.columns(probe.stopMs());
    std::printf(
        "| … the same report written in one call on the GUI thread (the export before this round) | %.0f | %s |\n", ms,
        qPrintable(cols));
}

// Trains 784-256-256-10 at k = 8 for 20 epochs on `data` in the training view (Train action: the
// workflow on the job runner, curves appended live) and prints one table row.
void runTraining(MainWindow& window, StallProbe& probe, const QString& data)
{
    TrainingView* view = window.trainingView();
    view->setTrainingData(data);
    view->setArchitecture(QStringLiteral("784-256-256-10"), 8);
    view->options()->setEpochs(20);
    int updates = 0;
    bool done = false;
    QString error;
    const auto c1 = QObject::connect(view, &TrainingView::curvesUpdated, [&] { ++updates; });
    const auto c2 = QObject::connect(view, &TrainingView::finished, [&] { done = true; });
    const auto c3 = QObject::connect(view, &TrainingView::failed, [&](const QString& m) {
        error = m;
        done = true;
    });
    QElapsedTimer t;
    probe.start();
    t.start();
    view->start(TrainingView::Action::Train);
    waitFor([&] { return done; });
    const double ms = double(t.nsecsElapsed()) / 1e6;
    const QString cols = probe.columns(probe.stopMs());
    for (const auto& c : {c1, c2, c3})
        QObject::disconnect(c);
    const char* what = "training view: 784-256-256-10 at k = 8, 1,000 samples, 20 epochs, live curves";
    if (!error.isEmpty())
        std::printf("| %s: FAILED (%s) | | | | | |\n", what, qPrintable(error));
    else
        std::printf("| %s (%d curve updates) | %.0f | %s |\n", what, updates, ms, qPrintable(cols));
}

} // namespace

int runGuiBenchmark(const QString& folder)
{
    QTemporaryDir temp;
    const QString dir = folder.isEmpty() ? temp.path() : folder;
    std::printf("## circnn-studio --bench\n\n");
    const QString path = dir + "/bench_mlp_100mb.circnn.h5";
    writeNativeModel(benchmarkModel(), path.toStdString());
    std::printf("Model: %s (Input 4096 → Dense 4096 → Dense 2048 → Dense 10, %.1f MB on disk)\n\n", qPrintable(path),
                double(QFileInfo(path).size()) / 1e6);

    MainWindow window;
    window.resetLayout();
    window.show();
    { // the window's first paint is not part of opening a model
        QElapsedTimer settle;
        settle.start();
        waitFor([&] { return settle.elapsed() > 500; });
    }
    StallProbe probe;
    std::printf("| step | wall time (ms) | CPU, all threads (ms) | CPU, GUI thread (ms) | longest event-loop stall "
                "(ms) | GUI-thread CPU in the longest-CPU gap (ms) |\n|---|---|---|---|---|---|\n");

    // 1. Open → layer table (from the architecture alone), then the weights in the background.
    {
        QElapsedTimer t;
        double weights = -1;
        const auto c = QObject::connect(window.document(), &Document::weightsLoaded,
                                        [&] { weights = double(t.nsecsElapsed()) / 1e6; });
        probe.start();
        t.start();
        window.openModel(path);
        waitFor([&] { return window.modelView()->layerTable()->rowCount() > 0; });
        const double table = double(t.nsecsElapsed()) / 1e6;
        const bool tableBeforeWeights = weights < 0;
        waitFor([&] { return !window.jobs()->isBusy(); });
        QObject::disconnect(c);
        const QString cols = probe.columns(probe.stopMs());
        std::printf("| open ~100 MB model → layer table shown%s | %.0f | %s |\n",
                    tableBeforeWeights ? " (weights still loading)" : "", table, qPrintable(cols));
        std::printf(
            "| … weights loaded in the background (explorer, statistics, inference can start) | %.0f | | | | |\n",
            weights);
        std::printf("| … then statistics, estimates and the first layer's projection (k = 8) shown, all jobs idle | "
                    "%.0f | | | | |\n",
                    double(t.nsecsElapsed()) / 1e6);
    }
    // 2. Projection of the 4096 × 4096 layer at a new k.
    // The 4096 × 4096 layer is the first Dense layer.
    for (std::size_t i = 0; i < window.document()->model()->layers.size(); ++i)
        if (window.document()->model()->layers[i].kind == LayerKind::Dense) {
            window.document()->selectLayer(static_cast<int>(i));
            break;
        }
    waitFor([&] { return !window.jobs()->isBusy(); });
    for (std::int64_t k : {16, 64, 4, 256}) {
        QElapsedTimer t;
        bool shown = false;
        const auto c = QObject::connect(window.document(), &Document::projectionChanged, [&] { shown = true; });
        probe.start();
        t.start();
        window.explorerView()->setBlockSize(k);
        waitFor([&] { return shown; });
        window.explorerView()->heatmap()->repaint();
        const double ms = double(t.nsecsElapsed()) / 1e6;
        waitFor([&] { return !window.jobs()->isBusy(); });
        QObject::disconnect(c);
        const QString cols = probe.columns(probe.stopMs());
        std::printf("| 4096 × 4096 projection at new k = %lld shown | %.0f | %s |\n", static_cast<long long>(k), ms,
                    qPrintable(cols));
    }
    // 3. Heatmap of 4096 × 9216 at several zooms (render of the visible part + paint, GUI thread).
    {
        HeatmapWidget heatmap;
        heatmap.resize(1200, 800);
        heatmap.show();
        std::vector<float> values(static_cast<std::size_t>(4096) * 9216);
        std::mt19937 rng(3);
        std::uniform_real_distribution<float> d(-1, 1);
        for (float& v : values)
            v = d(rng);
        heatmap.setMatrix(std::make_shared<const std::vector<float>>(std::move(values)), 4096, 9216, 1.0f,
                          "4096 × 9216");
        heatmap.setBlockGrid(16);
        QApplication::processEvents();
        const std::pair<const char*, double> zooms[] = {
            {"fit", 0}, {"0.25 px/entry", 0.25}, {"1 px/entry (1:1)", 1}, {"4 px/entry", 4}, {"32 px/entry", 32}};
        for (const auto& [name, zoom] : zooms) {
            if (zoom == 0)
                heatmap.zoomToFit();
            else {
                heatmap.setZoom(zoom);
                heatmap.centreOn(2048, 4608);
            }
            // Render time (what a worker spends for a large view; small views render in paintEvent).
            double worst = 0;
            for (int rep = 0; rep < 3; ++rep) {
                heatmap.setMode(rep % 2 ? DownsampleMode::MaxMagnitude : DownsampleMode::Mean); // invalidates the cache
                QElapsedTimer t;
                t.start();
                heatmap.renderVisible();
                worst = std::max(worst, double(t.nsecsElapsed()) / 1e6);
            }
            // The same change as a user sees it: repaint, the image arrives from the worker.
            heatmap.setMode(DownsampleMode::Mean);
            QElapsedTimer t;
            probe.start();
            t.start();
            heatmap.repaint();
            waitFor([&] { return !heatmap.isRendering(); });
            heatmap.repaint();
            const double shown = double(t.nsecsElapsed()) / 1e6;
            const QString cols = probe.columns(probe.stopMs());
            std::printf("| heatmap 4096 × 9216, %s: render (worst of 3) / until shown | %.1f / %.1f | %s |\n", name,
                        worst, shown, qPrintable(cols));
        }
    }
    // 4–5. Long jobs of part 2 while the window is up: the event loop must stay responsive while
    // they use every core. Training runs in the real training view (live curves), the sweep in the
    // real sweep view (live charts and table).
    const QString sample = QString::fromUtf8(build::sampleDir()) + QLatin1Char('/');
    if (QFileInfo::exists(sample + "fashion_test_1k.h5")) {
        runTraining(window, probe, sample + "fashion_test_1k.h5");
        runSweep(window, probe, sample, dir);
        for (const char* suffix : {"html", "pdf"})
            runReportExport(window, probe, dir, QString::fromLatin1(suffix));
    } else {
        std::printf("| training / sweep steps skipped: %s not found | | | | | |\n", qPrintable(sample));
    }
    std::printf("\nMachine: %d hardware threads; shared with other builds while measured.\n",
                QThread::idealThreadCount());
    window.close();
    return 0;
}

} // namespace circnn::gui
