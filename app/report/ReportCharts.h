#pragma once
// The charts of a sweep report in report order, each with an id and a caption. The charts
// themselves come from the shared chart library (app/charts/SweepCharts.h), the same builders the
// desktop application's sweep view draws with.

#include <QByteArray>
#include <QChart>
#include <QPicture>
#include <QSizeF>
#include <QString>

#include <memory>
#include <vector>

#include "analysis/SweepReport.h"
#include "charts/SweepCharts.h"

namespace circnn::report {

struct ReportChart {
    QString id; // "accuracy-k", "pareto-compression", ... (stable, for file names and tests)
    QString title;
    QString caption; // one sentence under the chart: what it shows and how it was obtained
    std::unique_ptr<QChart> chart;
};

// The charts that have data in this report, in report order (empty charts are left out).
std::vector<ReportChart> buildReportCharts(const SweepReport& report);

// A chart already drawn, for a writer on any thread: Qt Charts are graphics items that live on
// the GUI thread, so the desktop application draws each chart there (one per event-loop turn) and
// a worker writes the report from these recordings. The command line records and writes in turn.
struct RecordedChart {
    QString id, title, caption;
    QByteArray svg;   // HTML: the SVG document (kHtmlChartSize)
    QPicture picture; // PDF: the paint commands at pdfChartSize(), replayed as vectors
};
inline constexpr QSize kHtmlChartSize{820, 460};
// The size (PDF device units at the report's 96 dpi) a chart takes on a PDF chart page.
QSizeF pdfChartSize();
// Draws `chart` for an HTML report (svg) or a PDF report (picture); the other member stays empty.
RecordedChart recordChartForHtml(ReportChart& chart);
RecordedChart recordChartForPdf(ReportChart& chart);

} // namespace circnn::report
