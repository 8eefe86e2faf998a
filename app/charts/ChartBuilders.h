#pragma once
// Chart builders of the model views: plain functions from core result values to a QChart (Qt
// Charts). Part of the shared chart library: the views show them, and ChartRenderer.h draws them
// (and every other chart) headlessly into SVG, PNG or PDF. Each returns a new chart owned by the
// caller (a QChartView takes it over). No computation here beyond placing the values on axes.

#include <QString>

#include <span>
#include <vector>

#include "analysis/WeightHistogram.h"
#include "hw/Estimate.h"

class QChart;
class QChartView;

namespace circnn::charts {

// Shows `chart` in `view` and deletes the chart it showed before (QChartView only releases it).
void showChart(QChartView* view, QChart* chart);

// Shows an empty chart titled `message` (empty: no title). When the view already shows an empty
// chart (no series, no axes) only its title changes: a new QChart costs the GUI thread its legend,
// title document, polish and layout (milliseconds each), and views clear their charts on every
// open and selection.
void showEmptyChart(QChartView* view, const QString& message = QString());

// Histogram of weights: a filled step outline over [lo, hi], count on the y axis.
QChart* histogramChart(const ValueHistogram& histogram, const QString& title);

// A defining vector: value against index 0..k−1 (line with point markers).
QChart* vectorChart(std::span<const float> vector, const QString& title);

// A spectrum: magnitude (left axis) and phase in radians (right axis, −π..π) against the bin
// 0..k/2. Series names: "magnitude", "phase".
QChart* spectrumChart(std::span<const float> magnitude, std::span<const float> phase, const QString& title);

// Update a chart made by vectorChart / spectrumChart in place: new points and value-axis range,
// same title and length. Rebuilding a chart costs the GUI thread tens of milliseconds, so a view
// that steps through blocks updates instead. Return false (chart unchanged) when `chart` is not
// such a chart of that length: build a new one then.
bool updateVectorChart(QChart* chart, std::span<const float> vector);
bool updateSpectrumChart(QChart* chart, std::span<const float> magnitude, std::span<const float> phase);

// One estimate per (platform, block-size) configuration, for charts comparing them.
struct EstimatePoint {
    QString platform;
    QString config; // "dense" or "k=8" ...
    hw::DesignEstimate design;
};
// Frames per second per configuration (categories) and platform (bar sets).
QChart* throughputChart(const std::vector<EstimatePoint>& points, const QString& title);
// Energy per frame split into compute / on-chip / off-chip / static (stacked, µJ) per
// configuration, for the points of one platform.
QChart* energyChart(const std::vector<EstimatePoint>& points, const QString& title);

} // namespace circnn::charts
