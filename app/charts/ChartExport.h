#pragma once
// Saving a chart (or any rendered picture) to a file, atomically (core AtomicFile): a failed or
// interrupted save never leaves a half-written file in place of a good one.

#include <QImage>
#include <QSize>
#include <QString>

class QChart;
class QChartView;

namespace circnn::charts {

// Writes `chart` at `size` pixels as SVG (".svg") or PNG (any other suffix; ".png" expected).
// Throws circnn::Error naming the file when it cannot be written.
void saveChart(QChart& chart, const QString& path, QSize size);
// Writes the chart a view shows, as drawn there (its size), as SVG or PNG by suffix. Use this for a
// chart in a view: saveChart() lays the chart out in a scene of its own, which takes it off the view.
void saveChartView(QChartView& view, const QString& path);
// Writes a raster picture as PNG. Throws circnn::Error naming the file when it cannot be written.
void saveImagePng(const QImage& image, const QString& path);

} // namespace circnn::charts
