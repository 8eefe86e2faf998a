#pragma once
// The look shared by every chart (views and reports alike): the palette, chart and axis styles,
// the block-size axis and the accuracy axis. Only placement and styling here, no computation.

#include <QChart>
#include <QColor>
#include <QFont>
#include <QLogValueAxis>
#include <QString>
#include <QValueAxis>

#include <cstdint>
#include <memory>
#include <string>

#include "analysis/SweepConfig.h"

namespace circnn::charts {

// A palette that stays distinguishable in print; colour(i) cycles through it.
QColor colour(std::size_t i);

// A chart titled `title`, bold title, legend below the plot (small font), square corners.
std::unique_ptr<QChart> newChart(const QString& title);

// An axis of type Axis added to `chart` at `where` with the shared label and title fonts.
template <typename Axis> Axis* addAxis(QChart& chart, Qt::Alignment where, const QString& title)
{
    auto* axis = new Axis;
    axis->setTitleText(title);
    QFont f = axis->labelsFont();
    f.setPointSizeF(8);
    axis->setLabelsFont(f);
    QFont t = axis->titleFont();
    t.setPointSizeF(9);
    axis->setTitleFont(t);
    chart.addAxis(axis, where);
    return axis;
}

// Block size on a base-2 log axis from 0.8 to 1.25·maxK (bottom).
QLogValueAxis* blockSizeAxis(QChart& chart, std::int64_t maxK);
void setBlockSizeRange(QLogValueAxis* axis, std::int64_t maxK);
// Top-1 accuracy in percent: [lo, hi] widened to multiples of 5 within 0..100, at least 5 wide.
void fitAccuracyAxis(QValueAxis* axis, double lo, double hi);
// An axis for error figures (MSE, lower is better): the data range [lo, hi] with a 10% margin,
// never below zero.
void fitErrorAxis(QValueAxis* axis, double lo, double hi);
// Adds `series` to `chart` and attaches it to both axes.
void attach(QChart& chart, QAbstractSeries* series, QAbstractAxis* x, QAbstractAxis* y);

// "stem " of model `modelIndex` when the sweep has several models, else "" (series name prefix).
QString modelTag(const SweepConfig& config, std::size_t modelIndex);
// The same colour for a (model, mode) in every chart of a sweep.
QColor modeColour(const SweepConfig& config, std::size_t modelIndex, const std::string& mode);

} // namespace circnn::charts
