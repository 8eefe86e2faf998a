#pragma once
// Qt Charts charts of a sweep, built from core values only (SweepReport). The reports (HTML, PDF)
// and the desktop application's sweep view draw with these builders; the charts that grow while a
// sweep runs are LiveSweepChart (these builders feed it every point at once). Every series names
// its accuracy mode (and its model when the sweep has several). Null when there is nothing to show.

#include <QChart>

#include <memory>

#include "LiveSweepChart.h"
#include "analysis/SweepReport.h"

namespace circnn::charts {

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

// A LiveSweepChart of `kind` fed every point of `report`; null when none of them shows in it.
std::unique_ptr<QChart> liveSweepChart(SweepChartKind kind, const SweepReport& report);

} // namespace circnn::charts
