#pragma once
// Rendering a Qt Charts chart without a window: into SVG text, a QImage, or any QPainter (a
// QPdfWriter's painter keeps the chart as vectors). Needs a QApplication (Qt Charts are graphics
// widgets): ensureGuiApplication() makes one, offscreen when there is no display.

#include <QByteArray>
#include <QImage>
#include <QRectF>
#include <QSize>

class QChart;
class QPainter;

namespace circnn::charts {

// Creates a QApplication for this process if there is none (QT_QPA_PLATFORM defaults to
// "offscreen" when no DISPLAY / WAYLAND_DISPLAY is set). Safe to call repeatedly.
void ensureGuiApplication();

// Paints `chart` into `target` (device units of the painter), laid out at `target`'s size.
void paintChart(QChart& chart, QPainter& painter, const QRectF& target);
// SVG document text (width/height in pixels, viewBox set): for inline use in HTML.
QByteArray chartToSvg(QChart& chart, QSize size, const QString& title);
// Raster image (white background).
QImage chartToImage(QChart& chart, QSize size);

} // namespace circnn::charts
