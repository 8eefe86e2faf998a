#pragma once
// The PDF report (Qt's PDF writer, A4 landscape): the front pages (summary, models, sweep table,
// hardware estimates), then the charts two per page drawn as vectors, then the plan, hardware
// assumptions and reproducibility block. Written atomically.

#include <QString>

#include <functional>
#include <string>
#include <vector>

#include "ReportCharts.h"
#include "analysis/SweepReport.h"
#include "common/Progress.h"

namespace circnn::report {

struct PdfReportInfo {
    int pages = 0;
    std::vector<int> chartPages;   // 1-based page of each chart (in chart order)
    std::vector<QString> chartIds; // ReportChart::id of each chart
};

PdfReportInfo writeSweepReportPdf(const SweepReport& report, const std::string& path);
// The same from charts recorded for PDF (recordChartForPdf), callable on any thread. `progress`
// (optional) is called as pages are drawn; when it asks to stop, Cancelled is thrown and no file
// is left behind (the destination keeps its previous content).
PdfReportInfo writeSweepReportPdf(const SweepReport& report, const std::vector<RecordedChart>& charts,
                                  const std::string& path, const ProgressFn& progress = {});

} // namespace circnn::report
