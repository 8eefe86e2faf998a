#pragma once
// The text parts of a report as HTML fragments, shared by the HTML writer (a browser renders
// them with the inline style sheet) and the PDF writer (QTextDocument renders them), so both
// formats say the same thing.

#include <QString>

#include <string>
#include <vector>

#include "ReportCharts.h"
#include "analysis/SweepReport.h"

namespace circnn::report {

// Title, summary, model summaries with their per-layer tables, the sweep table and the hardware
// estimates table.
QString reportFrontHtml(const SweepReport& report);
// The chosen / automatic plan, the platforms and hardware assumptions, the reproducibility
// block and the warnings.
QString reportBackHtml(const SweepReport& report);

// The complete self-contained HTML document: inline CSS, charts as inline SVG, no external
// resource of any kind (readable offline, printable).
QString sweepReportHtml(const SweepReport& report, std::vector<ReportChart>& charts);
// The same from charts recorded for HTML (recordChartForHtml): callable on any thread.
QString sweepReportHtml(const SweepReport& report, const std::vector<RecordedChart>& charts);
// Builds the charts and writes the HTML document atomically.
void writeSweepReportHtml(const SweepReport& report, const std::string& path);

} // namespace circnn::report
