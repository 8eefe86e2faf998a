#pragma once

#include <QColor>
#include <QList>
#include <QRect>
#include <QRgb>
#include <QString>
#include <QStringList>

class QPainter;

namespace circnn::gui {

// How a heatmap turns values into colours (a 256-entry table for 8-bit indexed images).
enum class ColourMapKind {
    // Signed values (weights, residuals): blue < 0 < red, white at zero, symmetric ±scale.
    Diverging,
    // Non-negative magnitudes (counts): white at 0 to dark blue at scale; values above scale
    // saturate. Negative values are clamped to 0.
    Sequential,
};

// A colour map: the table, the index a value gets at a scale, and the legend's tick values.
class ColourMap {
public:
    explicit ColourMap(ColourMapKind kind = ColourMapKind::Diverging) : m_kind(kind) {}

    ColourMapKind kind() const { return m_kind; }
    const QList<QRgb>& table() const;
    // Table index of `v` at `scale` (> 0). Non-finite values get the colour of zero.
    unsigned char index(float v, float scale) const;
    QRgb colour(float v, float scale) const { return table()[index(v, scale)]; }
    // The value at the top and the bottom of the legend bar: scale and −scale (diverging) or
    // scale and 0 (sequential).
    double legendTop(double scale) const { return scale; }
    double legendBottom(double scale) const { return m_kind == ColourMapKind::Diverging ? -scale : 0.0; }
    // Whether a table index is dark enough that text on it should be white.
    bool isDark(unsigned char index) const;

    // The legend's five tick labels, top to bottom. A sequential map at an integral scale ≥ 4
    // (counts) prints integers; `saturated` (values exceed the scale) writes "≥ scale" at the top.
    QStringList tickLabels(double scale, bool saturated) const;
    // Draws the legend into `area`: the title (if any) on top, then the colour bar with its ticks.
    void paintLegend(QPainter& p, const QRect& area, double scale, bool saturated, const QString& title,
                     const QColor& text) const;

private:
    ColourMapKind m_kind;
};

} // namespace circnn::gui
