#pragma once

#include <QColor>
#include <QRect>
#include <QString>
#include <QStringList>

#include <functional>

class QFontMetrics;
class QPainter;

namespace circnn::gui {

// Labels along a heatmap's axes: one per row (left of the plot, right-aligned) and one per column
// (below the plot; written upwards when any label is longer than three characters), with an axis
// title each (the row title written upwards at the far left, the column title under the labels).
// When rows or columns are narrower than their text, only every n-th label is drawn.
class HeatmapAxisLabels {
public:
    void set(QStringList rowLabels, QStringList colLabels, QString rowTitle, QString colTitle);
    void clear() { set({}, {}, {}, {}); }
    bool isEmpty() const { return m_rows.isEmpty() && m_cols.isEmpty(); }
    const QStringList& rowLabels() const { return m_rows; }
    const QStringList& colLabels() const { return m_cols; }

    // The room the labels and titles need outside the plot, in pixels.
    int leftMargin(const QFontMetrics& fm) const;
    int bottomMargin(const QFontMetrics& fm) const;

    // Draws the labels of the rows and columns whose centre lies inside `plotted` (the matrix's
    // visible extent on screen): rowY(r) / colX(c) give a centre, rowPitch / colPitch the pixels
    // per row / column. The titles are centred on `plotted`.
    void draw(QPainter& p, const QRect& plotted, double rowPitch, double colPitch,
              const std::function<double(int)>& rowY, const std::function<double(int)>& colX,
              const QColor& colour) const;

private:
    bool colsUpright() const; // column labels written upwards
    static int widest(const QFontMetrics& fm, const QStringList& labels);

    QStringList m_rows, m_cols;
    QString m_rowTitle, m_colTitle;
    static constexpr int kGap = 4;
};

} // namespace circnn::gui
