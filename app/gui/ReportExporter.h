#pragma once

#include <QObject>
#include <QString>

#include <functional>
#include <memory>

#include "analysis/SweepReport.h"

namespace circnn::gui {

class JobRunner;

// File ▸ Export ▸ Report as a job on the job runner (channel "report"): progress in the status
// bar, Cancel, and never a half-written file (every writer goes through core's atomic writer; a
// cancelled or failed export leaves the destination as it was).
//
// The worker builds core's SweepReport (reading the results file) and writes the file. Qt Charts
// are graphics items that live on the GUI thread, so for .html and .pdf the worker hands the
// report to the GUI thread, which draws one chart per event-loop turn (SVG for HTML, a QPicture
// of paint commands for PDF) and hands the drawings back; the worker waits for them (still
// cancellable) and writes the document from them. .csv (with its -layers.csv) and .json need no
// charts. The suffix chooses the format, as for `circnn report`.
class ReportExporter : public QObject {
    Q_OBJECT
public:
    ReportExporter(JobRunner* jobs, QObject* parent = nullptr);

    // Starts writing `path` from what `build` returns (called on the worker; it may throw).
    // Asynchronous: exported(), failed() or cancelled() follows. A new export cancels a running one.
    void exportReport(const QString& path, std::function<SweepReport()> build);
    void cancel();
    bool isRunning() const;

signals:
    void exported(const QString& path);
    void failed(const QString& path, const QString& message);
    void cancelled(const QString& path);
    // A chart was drawn on the GUI thread (index, count): for tests and the status line.
    void chartRecorded(int index, int count);

private:
    struct HandOver;
    void recordCharts(const std::shared_ptr<HandOver>& handOver);

    JobRunner* m_jobs;
    QString m_path; // the running export's destination
};

} // namespace circnn::gui
