#pragma once
// Qt Charts charts of a sweep report, built from core values only (SweepReport). The same
// builders serve the HTML and PDF reports and the desktop application's sweep view. Every series
// names its accuracy mode (and its model when the sweep has several).

#include <QChart>
#include <QString>

#include <memory>
#include <vector>

#include "analysis/SweepReport.h"

namespace circnn::report {

struct ReportChart {
    QString id; // "accuracy-k", "pareto-compression", ... (stable, for file names and tests)
    QString title;
    QString caption; // one sentence under the chart: what it shows and how it was obtained
    std::unique_ptr<QChart> chart;
};

// Top-1 accuracy vs block size, one line per model and mode (global-k points), dense as reference.
std::unique_ptr<QChart> accuracyVsBlockSizeChart(const SweepReport& report);
// Top-1 vs compression (all points, one scatter per mode) with the Pareto front as a line.
std::unique_ptr<QChart> accuracyVsCompressionChart(const SweepReport& report);
// Top-1 vs measured single-thread CPU latency, with the Pareto front.
std::unique_ptr<QChart> accuracyVsLatencyChart(const SweepReport& report);
// Estimated energy per frame (log scale) vs k, one line per platform (first mode's points).
std::unique_ptr<QChart> energyVsBlockSizeChart(const SweepReport& report);
// Estimated frames per second (log scale) vs k, one line per platform.
std::unique_ptr<QChart> framesPerSecondVsBlockSizeChart(const SweepReport& report);
// Relative Frobenius residual per layer vs k.
std::unique_ptr<QChart> residualVsBlockSizeChart(const SweepReport& report);
// Sensitivity: top-1 vs k with one layer converted at a time, one line per layer.
std::unique_ptr<QChart> sensitivityChart(const SweepReport& report);

// The charts that have data in this report, in report order (empty charts are left out).
std::vector<ReportChart> buildReportCharts(const SweepReport& report);

} // namespace circnn::report
