#pragma once

#include <QImage>
#include <QPointF>
#include <QString>
#include <QWidget>

#include <cstdint>
#include <memory>
#include <vector>

#include "ColourMap.h"
#include "HeatmapAxisLabels.h"
#include "analysis/MatrixDownsample.h"

class QFutureWatcherBase;

namespace circnn::gui {

// A rows×cols matrix as a heatmap with zoom (wheel, fit, 1:1) and pan (drag).
//
// Display: only the visible region is drawn, reduced to screen resolution by core's
// downsampleMatrix (area mean, or the largest-magnitude entry) — never nearest-entry decimation —
// into an 8-bit indexed image with a 256-colour table (ColourMap: diverging blue < 0 < red for
// signed values at ±scale, the default; or sequential white → blue for counts at 0 … scale), then
// scaled up without smoothing when zoomed in. A legend shows the scale (with a title, e.g. "count").
// Optional: labels along the axes (class names of a confusion matrix) and each cell's value written
// in it where cells are large enough. The block grid is drawn where blocks are at least 3 px, as a
// faint overlay otherwise. Hovering shows row, column, block and value; a click selects a cell
// (cellClicked), arrow keys step the selected block (blockStep).
class HeatmapWidget : public QWidget {
    Q_OBJECT
public:
    explicit HeatmapWidget(QWidget* parent = nullptr);

    // The values (row-major rows×cols, shared, never copied) and the colour scale ±scale.
    void setMatrix(std::shared_ptr<const std::vector<float>> values, std::int64_t rows, std::int64_t cols, float scale,
                   const QString& title, bool keepView = false);
    // A matrix read row by row (e.g. a projection generated from its defining vectors): only the
    // rows of the visible region are read, on a worker thread for large regions. The source must
    // own (or share) what it reads: it may outlive the call and run on any thread.
    void setSource(std::shared_ptr<const MatrixRowSource> source, std::int64_t rows, std::int64_t cols, float scale,
                   const QString& title, bool keepView = false);
    // Changes the title only (no re-render).
    void setTitle(const QString& title);
    // Block grid: k×k blocks, columns restarting every segmentCols (0 = whole width); k ≤ 1 = none.
    void setBlockGrid(std::int64_t k, std::int64_t segmentCols = 0);
    // Outlines one block (k×k at row0, col0); k = 0 clears.
    void setHighlight(std::int64_t row0, std::int64_t col0, std::int64_t k);
    void setMode(DownsampleMode mode);
    // The colour map, and the legend's title (empty: none). Diverging by default.
    void setColourMap(ColourMapKind kind, const QString& legendTitle = {});
    const ColourMap& colourMap() const { return m_map; }
    // Labels along the rows (left) and columns (below), with axis titles; empty lists: none.
    void setAxisLabels(QStringList rowLabels, QStringList colLabels, QString rowTitle, QString colTitle);
    const HeatmapAxisLabels& axisLabels() const { return m_axes; }
    // Writes each cell's value into it where a cell is large enough for the text.
    void setCellValuesShown(bool shown);
    void clear(const QString& message);

    void zoomToFit();
    void zoomOneToOne();
    void zoomBy(double factor, QPointF anchor); // anchor in widget coordinates
    // Pixels per matrix entry (x, y), and centring a cell (for tests and automation).
    void setZoom(double pixelsPerCell);
    void centreOn(double row, double col);
    double zoomX() const { return m_zoomX; }
    double zoomY() const { return m_zoomY; }

    // Widget position of the centre of cell (row, col) and the cell under a position (−1 outside).
    QPointF cellCentre(double row, double col) const;
    bool cellAt(QPointF pos, std::int64_t& row, std::int64_t& col) const;
    // The colour an entry of value v gets at scale s.
    static QRgb colourFor(float v, float scale, ColourMapKind kind = ColourMapKind::Diverging);
    // The title line as drawn (elided to the width; the size and zoom part is kept whole).
    QString titleText() const;
    // The legend's tick labels, top to bottom.
    QStringList legendLabels() const;

    std::int64_t matrixRows() const { return m_rows; }
    std::int64_t matrixCols() const { return m_cols; }
    QString hoverText() const { return m_hover; }
    // Renders the visible region now, on the calling thread; returns the image (benchmarks, tests).
    // paintEvent does the same for small regions and, for large ones (more than kSyncEntries
    // entries), renders on a worker thread while the previous image is drawn scaled to the new view.
    const QImage& renderVisible();
    bool isRendering() const { return !m_pendingKey.isEmpty(); }
    static constexpr std::int64_t kSyncEntries = std::int64_t(1) << 20;

    QSize sizeHint() const override { return {640, 480}; }

signals:
    void cellClicked(qint64 row, qint64 col);
    void blockStep(int dRow, int dCol);
    void hovered(const QString& text);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    struct View {
        std::int64_t r0 = 0, c0 = 0, r1 = 0, c1 = 0, outRows = 0, outCols = 0;
        QString key;
    };
    struct Rendered {
        QImage image;
        QString key;
        QRectF region; // matrix coordinates: x = first column, y = first row, extent in entries
    };
    View visibleView() const;
    // Only values and plain arguments: safe on a worker thread.
    static Rendered render(const MatrixRowSource& source, std::int64_t rows, std::int64_t cols, const View& v,
                           DownsampleMode mode, float scale, const ColourMap& map);
    void adopt(Rendered r);
    QRectF targetOf(const QRectF& region) const;
    QRect plotRect() const;
    void clampOrigin();
    void drawGrid(class QPainter& p, const QRectF& target, std::int64_t r0, std::int64_t r1, std::int64_t c0,
                  std::int64_t c1) const;
    void drawLegend(QPainter& p) const;
    void drawCellValues(QPainter& p, const QRect& plotted) const;

    std::shared_ptr<const MatrixRowSource> m_values;
    std::int64_t m_rows = 0, m_cols = 0;
    float m_scale = 1;
    float m_largest = 0; // the largest value of a matrix set by setMatrix (0: unknown)
    ColourMap m_map;
    QString m_legendTitle;
    HeatmapAxisLabels m_axes;
    bool m_cellValues = false;
    QString m_title, m_message, m_hover;
    std::int64_t m_gridK = 0, m_gridSegment = 0;
    std::int64_t m_hiRow = 0, m_hiCol = 0, m_hiK = 0;
    DownsampleMode m_mode = DownsampleMode::Mean;
    double m_zoomX = 1, m_zoomY = 1; // pixels per entry
    QPointF m_origin;                // matrix coordinate (col, row) at the plot's top-left
    bool m_fit = true;               // refit on resize until the user zooms
    QPointF m_dragStart, m_dragOrigin;
    bool m_dragging = false, m_dragged = false;
    // The last rendered region, and the key of a render running on a worker thread.
    QImage m_image;
    QRectF m_imageRegion;
    QString m_imageKey, m_pendingKey;
    QFutureWatcherBase* m_watcher = nullptr; // the running worker render (owned; deleting drops it)
    std::uint64_t m_generation = 0;
};

} // namespace circnn::gui
