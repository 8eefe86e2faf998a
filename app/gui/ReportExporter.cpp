#include "ReportExporter.h"

#include <QApplication>
#include <QFileInfo>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "JobRunner.h"
#include "PdfReport.h"
#include "ReportCharts.h"
#include "ReportHtml.h"
#include "common/AtomicFile.h"
#include "common/Error.h"

namespace circnn::gui {

namespace {
const QString kChannel = QStringLiteral("report");

// Progress units of an export: building the report, drawing the charts, writing the file.
constexpr std::size_t kBuilt = 10, kDrawn = 70, kTotal = 100;
} // namespace

// The charts the worker asks the GUI thread to draw, and the drawings handed back.
struct ReportExporter::HandOver {
    bool pdf = false;
    std::shared_ptr<const SweepReport> report;
    std::mutex mutex;
    std::condition_variable changed;
    bool done = false;                         // every chart drawn, or an error (guarded by mutex)
    QString error;                             // guarded by mutex
    std::vector<report::RecordedChart> charts; // guarded by mutex
    std::atomic<bool> abandoned{false};        // the worker stopped waiting (cancelled)
    std::atomic<std::size_t> drawn{0}, total{0};
};

ReportExporter::ReportExporter(JobRunner* jobs, QObject* parent) : QObject(parent), m_jobs(jobs)
{
    connect(m_jobs, &JobRunner::jobCancelled, this, [this](const QString& channel) {
        if (channel == kChannel)
            emit cancelled(m_path);
    });
}

bool ReportExporter::isRunning() const
{
    return m_jobs->isBusy(kChannel);
}

void ReportExporter::cancel()
{
    m_jobs->cancel(kChannel);
}

void ReportExporter::exportReport(const QString& path, std::function<SweepReport()> build)
{
    m_path = path;
    const QString suffix = QFileInfo(path).suffix().toLower();
    QPointer<ReportExporter> self(this);
    m_jobs->run(
        kChannel, tr("Writing the report %1").arg(QFileInfo(path).fileName()),
        [self, build = std::move(build), file = path.toStdString(), suffix](const ProgressFn& progress) {
            const bool html = suffix == "html" || suffix == "htm", pdf = suffix == "pdf";
            if (!html && !pdf && suffix != "csv" && suffix != "json")
                throw Error("report '" + file + "': the name must end in .html, .pdf, .csv or .json");
            reportProgress(progress, 0, kTotal);
            auto report = std::make_shared<const SweepReport>(build());
            reportProgress(progress, kBuilt, kTotal);
            if (suffix == "csv") {
                writeSweepReportCsv(*report, file);
                return QString::fromStdString(file);
            }
            if (suffix == "json") {
                writeSweepReportJson(*report, file);
                return QString::fromStdString(file);
            }
            // The charts are drawn on the GUI thread; wait for them here, cancellable.
            auto handOver = std::make_shared<HandOver>();
            handOver->pdf = pdf;
            handOver->report = report;
            QMetaObject::invokeMethod(
                qApp,
                [self, handOver] {
                    if (self) {
                        self->recordCharts(handOver);
                        return;
                    }
                    const std::lock_guard lock(handOver->mutex);
                    handOver->error = QStringLiteral("the window was closed");
                    handOver->done = true;
                    handOver->changed.notify_all();
                },
                Qt::QueuedConnection);
            std::vector<report::RecordedChart> charts;
            {
                std::unique_lock lock(handOver->mutex);
                while (!handOver->done) {
                    handOver->changed.wait_for(lock, std::chrono::milliseconds(50));
                    const std::size_t total = std::max<std::size_t>(1, handOver->total);
                    if (!progress(kBuilt + (kDrawn - kBuilt) * handOver->drawn / total, kTotal)) {
                        handOver->abandoned = true;
                        throw Cancelled();
                    }
                }
                if (!handOver->error.isEmpty())
                    throw Error("report '" + file + "': " + handOver->error.toStdString());
                charts = std::move(handOver->charts);
            }
            if (html) {
                const QByteArray bytes = report::sweepReportHtml(*report, charts).toUtf8();
                reportProgress(progress, 90, kTotal);
                writeBytesAtomically(file, bytes.constData(), std::size_t(bytes.size()));
            } else {
                report::writeSweepReportPdf(*report, charts, file, [&progress](std::size_t done, std::size_t total) {
                    return progress(kDrawn + (kTotal - kDrawn) * done / std::max<std::size_t>(1, total), kTotal);
                });
            }
            return QString::fromStdString(file);
        },
        this, [this](const QString& written) { emit exported(written); },
        [this, path](const QString& message) { emit failed(path, message); });
}

void ReportExporter::recordCharts(const std::shared_ptr<HandOver>& handOver)
{
    // All charts are built at once (cheap: series and axes), then drawn one per event-loop turn,
    // so that the window stays responsive while a large report is drawn.
    std::shared_ptr<std::vector<report::ReportChart>> charts;
    try {
        charts = std::make_shared<std::vector<report::ReportChart>>(report::buildReportCharts(*handOver->report));
    } catch (const std::exception& e) {
        const std::lock_guard lock(handOver->mutex);
        handOver->error = QString::fromStdString(e.what());
        handOver->done = true;
        handOver->changed.notify_all();
        return;
    }
    handOver->total = charts->size();
    auto drawNext = std::make_shared<std::function<void(std::size_t)>>();
    // The function holds itself only through the weak pointer: the chain ends with its last turn.
    *drawNext = [this, handOver, charts, weak = std::weak_ptr(drawNext)](std::size_t i) {
        if (handOver->abandoned)
            return; // cancelled: the charts go with the last reference
        bool finished = i == charts->size();
        if (!finished) {
            try {
                report::ReportChart& chart = (*charts)[i];
                report::RecordedChart drawn =
                    handOver->pdf ? report::recordChartForPdf(chart) : report::recordChartForHtml(chart);
                const std::lock_guard lock(handOver->mutex);
                handOver->charts.push_back(std::move(drawn));
            } catch (const std::exception& e) {
                const std::lock_guard lock(handOver->mutex);
                handOver->error = QString::fromStdString(e.what());
                finished = true;
            }
            ++handOver->drawn;
            emit chartRecorded(int(i), int(charts->size()));
        }
        if (finished) {
            const std::lock_guard lock(handOver->mutex);
            handOver->done = true;
            handOver->changed.notify_all();
            return;
        }
        if (auto next = weak.lock())
            QTimer::singleShot(0, this, [next, i] { (*next)(i + 1); });
    };
    QTimer::singleShot(0, this, [drawNext] { (*drawNext)(0); });
}

} // namespace circnn::gui
