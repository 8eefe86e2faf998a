#pragma once
// The charts of a sweep report in report order, each with an id and a caption. The charts
// themselves come from the shared chart library (app/charts/SweepCharts.h), the same builders the
// desktop application's sweep view draws with.

#include <QChart>
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

} // namespace circnn::report
