#pragma once
// The PDF report (Qt's PDF writer, A4 landscape): the front pages (summary, models, sweep table,
// hardware estimates), then the charts two per page drawn as vectors, then the plan, hardware
// assumptions and reproducibility block. Written atomically.

#include <QString>

#include <string>
#include <vector>

#include "analysis/SweepReport.h"

namespace circnn::report {

struct PdfReportInfo {
    int pages = 0;
    std::vector<int> chartPages;   // 1-based page of each chart (in chart order)
    std::vector<QString> chartIds; // ReportChart::id of each chart
};

PdfReportInfo writeSweepReportPdf(const SweepReport& report, const std::string& path);

} // namespace circnn::report
