#include "HeatmapWidget.h"

#include "BackgroundRelease.h"

#include <QFutureWatcher>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QThreadPool>
#include <QWheelEvent>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

namespace circnn::gui {

namespace {
constexpr int kTitleHeight = 22, kReadoutHeight = 20, kLegendWidth = 86, kMargin = 6;

// Heatmap renders run on a small pool of their own (not behind long jobs, not on the global pool
// that Qt's painting uses).
QThreadPool& renderPool()
{
    static QThreadPool pool;
    static const bool configured = [] {
        pool.setMaxThreadCount(2);
        return true;
    }();
    (void)configured;
    return pool;
}

} // namespace

HeatmapWidget::HeatmapWidget(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setMinimumSize(240, 180);
    m_message = tr("Select a layer with weights");
}

QRgb HeatmapWidget::colourFor(float v, float scale, ColourMapKind kind)
{
    return ColourMap(kind).colour(v, scale);
}

void HeatmapWidget::setMatrix(std::shared_ptr<const std::vector<float>> values, std::int64_t rows, std::int64_t cols,
                              float scale, const QString& title, bool keepView)
{
    // The source shares the vector: it stays alive while a worker render reads it.
    const float largest = values->empty() ? 0.0f : *std::max_element(values->begin(), values->end());
    auto source = std::make_shared<const MatrixRowSource>(
        [values = std::move(values), cols](std::int64_t row, std::int64_t col0, std::int64_t, float*) {
            return values->data() + row * cols + col0;
        });
    setSource(std::move(source), rows, cols, scale, title, keepView);
    m_largest = std::isfinite(largest) ? largest : 0.0f;
}

void HeatmapWidget::setTitle(const QString& title)
{
    m_title = title;
    update();
}

void HeatmapWidget::setSource(std::shared_ptr<const MatrixRowSource> values, std::int64_t rows, std::int64_t cols,
                              float scale, const QString& title, bool keepView)
{
    const bool sameShape = rows == m_rows && cols == m_cols;
    std::shared_ptr<const void> previous = std::move(m_values);
    m_values = std::move(values);
    releaseInBackground(std::move(previous));
    m_rows = rows;
    m_cols = cols;
    m_scale = scale > 0 && std::isfinite(scale) ? scale : 1.0f;
    m_largest = 0;
    m_title = title;
    m_message.clear();
    ++m_generation;
    if (!(keepView && sameShape))
        zoomToFit();
    update();
}

void HeatmapWidget::setBlockGrid(std::int64_t k, std::int64_t segmentCols)
{
    m_gridK = k > 1 ? k : 0;
    m_gridSegment = segmentCols;
    update();
}

void HeatmapWidget::setHighlight(std::int64_t row0, std::int64_t col0, std::int64_t k)
{
    m_hiRow = row0;
    m_hiCol = col0;
    m_hiK = k;
    update();
}

void HeatmapWidget::setMode(DownsampleMode mode)
{
    m_mode = mode;
    ++m_generation;
    update();
}

void HeatmapWidget::setColourMap(ColourMapKind kind, const QString& legendTitle)
{
    m_map = ColourMap(kind);
    m_legendTitle = legendTitle;
    ++m_generation; // the image's colours change
    update();
}

void HeatmapWidget::setAxisLabels(QStringList rowLabels, QStringList colLabels, QString rowTitle, QString colTitle)
{
    m_axes.set(std::move(rowLabels), std::move(colLabels), std::move(rowTitle), std::move(colTitle));
    if (m_fit)
        zoomToFit(); // the plot's size changed
    else
        clampOrigin();
    update();
}

void HeatmapWidget::setCellValuesShown(bool shown)
{
    m_cellValues = shown;
    update();
}

void HeatmapWidget::clear(const QString& message)
{
    releaseInBackground(std::move(m_values));
    m_values.reset();
    m_rows = m_cols = 0;
    m_message = message;
    m_hover.clear();
    m_image = QImage();
    m_imageKey.clear();
    m_pendingKey.clear();
    ++m_generation;
    update();
}

QRect HeatmapWidget::plotRect() const
{
    const QFontMetrics fm(font());
    return rect().adjusted(kMargin + m_axes.leftMargin(fm), kTitleHeight, -kLegendWidth,
                           -kReadoutHeight - m_axes.bottomMargin(fm));
}

void HeatmapWidget::zoomToFit()
{
    m_fit = true;
    if (m_rows == 0)
        return;
    const QRect r = plotRect();
    const double sx = double(std::max(1, r.width())) / double(m_cols);
    const double sy = double(std::max(1, r.height())) / double(m_rows);
    // Square cells unless the matrix is elongated (aspect beyond 2:1, e.g. 128 × 784): then fill
    // the plot (cells become rectangles; 1:1 gives square cells again).
    const double s = std::min(sx, sy);
    if (double(std::max(m_rows, m_cols)) / double(std::min(m_rows, m_cols)) > 2 && std::max(sx, sy) / s > 1.5) {
        m_zoomX = sx;
        m_zoomY = sy;
    } else {
        m_zoomX = m_zoomY = s;
    }
    m_origin = {0, 0};
    update();
}

void HeatmapWidget::zoomOneToOne()
{
    setZoom(1.0);
    centreOn(m_rows / 2.0, m_cols / 2.0);
}

void HeatmapWidget::setZoom(double pixelsPerCell)
{
    m_fit = false;
    m_zoomX = m_zoomY = std::clamp(pixelsPerCell, 1e-4, 256.0);
    clampOrigin();
    update();
}

void HeatmapWidget::centreOn(double row, double col)
{
    const QRect r = plotRect();
    m_origin = {col - r.width() / (2 * m_zoomX), row - r.height() / (2 * m_zoomY)};
    clampOrigin();
    update();
}

void HeatmapWidget::zoomBy(double factor, QPointF anchor)
{
    if (m_rows == 0)
        return;
    const QRect r = plotRect();
    const QPointF cell(m_origin.x() + (anchor.x() - r.left()) / m_zoomX,
                       m_origin.y() + (anchor.y() - r.top()) / m_zoomY);
    m_fit = false;
    m_zoomX = std::clamp(m_zoomX * factor, 1e-4, 256.0);
    m_zoomY = std::clamp(m_zoomY * factor, 1e-4, 256.0);
    m_origin = {cell.x() - (anchor.x() - r.left()) / m_zoomX, cell.y() - (anchor.y() - r.top()) / m_zoomY};
    clampOrigin();
    update();
}

void HeatmapWidget::clampOrigin()
{
    const QRect r = plotRect();
    const double visW = r.width() / m_zoomX, visH = r.height() / m_zoomY;
    // Keep the matrix on screen: centred when it is smaller than the view, else within its edges.
    m_origin.setX(visW >= m_cols ? 0.0 : std::clamp(m_origin.x(), 0.0, double(m_cols) - visW));
    m_origin.setY(visH >= m_rows ? 0.0 : std::clamp(m_origin.y(), 0.0, double(m_rows) - visH));
}

QPointF HeatmapWidget::cellCentre(double row, double col) const
{
    const QRect r = plotRect();
    return {r.left() + (col + 0.5 - m_origin.x()) * m_zoomX, r.top() + (row + 0.5 - m_origin.y()) * m_zoomY};
}

bool HeatmapWidget::cellAt(QPointF pos, std::int64_t& row, std::int64_t& col) const
{
    const QRect r = plotRect();
    if (m_rows == 0 || !r.contains(pos.toPoint()))
        return false;
    const double c = m_origin.x() + (pos.x() - r.left()) / m_zoomX, rr = m_origin.y() + (pos.y() - r.top()) / m_zoomY;
    if (c < 0 || rr < 0 || c >= double(m_cols) || rr >= double(m_rows))
        return false;
    row = static_cast<std::int64_t>(rr);
    col = static_cast<std::int64_t>(c);
    return true;
}

HeatmapWidget::View HeatmapWidget::visibleView() const
{
    const QRect r = plotRect();
    const double visW = r.width() / m_zoomX, visH = r.height() / m_zoomY;
    View v;
    v.c0 = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(m_origin.x())), 0, m_cols - 1);
    v.r0 = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(m_origin.y())), 0, m_rows - 1);
    v.c1 = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(m_origin.x() + visW)), v.c0 + 1, m_cols);
    v.r1 = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(m_origin.y() + visH)), v.r0 + 1, m_rows);
    // At most one image pixel per screen pixel (and per entry).
    v.outCols = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil((v.c1 - v.c0) * m_zoomX)), 1, v.c1 - v.c0);
    v.outRows = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil((v.r1 - v.r0) * m_zoomY)), 1, v.r1 - v.r0);
    v.key = QStringLiteral("%1/%2,%3,%4,%5/%6x%7/%8")
                .arg(m_generation)
                .arg(v.r0)
                .arg(v.c0)
                .arg(v.r1)
                .arg(v.c1)
                .arg(v.outRows)
                .arg(v.outCols)
                .arg(static_cast<int>(m_mode));
    return v;
}

HeatmapWidget::Rendered HeatmapWidget::render(const MatrixRowSource& source, std::int64_t rows, std::int64_t cols,
                                              const View& v, DownsampleMode mode, float scale, const ColourMap& map)
{
    const std::vector<float> cells =
        downsampleRows(source, rows, cols, {v.r0, v.c0, v.r1 - v.r0, v.c1 - v.c0}, v.outRows, v.outCols, mode);
    Rendered r;
    r.image = QImage(static_cast<int>(v.outCols), static_cast<int>(v.outRows), QImage::Format_Indexed8);
    r.image.setColorTable(map.table());
    for (int y = 0; y < r.image.height(); ++y) {
        uchar* line = r.image.scanLine(y);
        const float* src = cells.data() + static_cast<std::int64_t>(y) * v.outCols;
        for (int x = 0; x < r.image.width(); ++x)
            line[x] = map.index(src[x], scale);
    }
    r.key = v.key;
    r.region = QRectF(double(v.c0), double(v.r0), double(v.c1 - v.c0), double(v.r1 - v.r0));
    return r;
}

void HeatmapWidget::adopt(Rendered r)
{
    m_image = std::move(r.image);
    m_imageKey = r.key;
    m_imageRegion = r.region;
}

QRectF HeatmapWidget::targetOf(const QRectF& region) const
{
    const QRect r = plotRect();
    return QRectF(r.left() + (region.x() - m_origin.x()) * m_zoomX, r.top() + (region.y() - m_origin.y()) * m_zoomY,
                  region.width() * m_zoomX, region.height() * m_zoomY);
}

const QImage& HeatmapWidget::renderVisible()
{
    if (!m_values || m_rows == 0) {
        m_image = QImage();
        return m_image;
    }
    const View v = visibleView();
    if (v.key != m_imageKey)
        adopt(render(*m_values, m_rows, m_cols, v, m_mode, m_scale, m_map));
    return m_image;
}

void HeatmapWidget::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    if (!m_values || m_rows == 0) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, m_message);
        return;
    }
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRect(kMargin, 0, width() - 2 * kMargin, kTitleHeight), Qt::AlignLeft | Qt::AlignVCenter, titleText());
    const QRect r = plotRect();
    const View v = visibleView();
    if (v.key != m_imageKey) {
        if ((v.r1 - v.r0) * (v.c1 - v.c0) <= kSyncEntries) {
            adopt(render(*m_values, m_rows, m_cols, v, m_mode, m_scale, m_map));
        } else if (v.key != m_pendingKey) {
            // Large region: render on a worker; meanwhile the previous image is drawn in its place
            // under the new view. Only the latest request is adopted.
            m_pendingKey = v.key;
            auto* watcher = new QFutureWatcher<Rendered>(this);
            delete m_watcher;
            m_watcher = watcher;
            connect(watcher, &QFutureWatcher<Rendered>::finished, this, [this, watcher] {
                Rendered result = watcher->result();
                if (result.key == m_pendingKey) {
                    adopt(std::move(result));
                    m_pendingKey.clear();
                    update();
                }
            });
            // The task holds the values by shared pointer and copies of the rest: the widget may
            // go away while it runs.
            watcher->setFuture(QtConcurrent::run(
                &renderPool(), [v, values = m_values, rows = m_rows, cols = m_cols, mode = m_mode, scale = m_scale,
                                map = m_map] { return render(*values, rows, cols, v, mode, scale, map); }));
        }
    }
    p.save();
    p.setClipRect(r);
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    const QRectF imageTarget = targetOf(m_imageRegion);
    p.drawImage(imageTarget, m_image);
    const QRect plotted = targetOf(QRectF(0, 0, double(m_cols), double(m_rows))).toAlignedRect().intersected(r);
    const std::int64_t c0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(m_origin.x()));
    const std::int64_t r0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(m_origin.y()));
    drawGrid(p, plotted, r0, std::min<std::int64_t>(m_rows, r0 + static_cast<std::int64_t>(r.height() / m_zoomY) + 2),
             c0, std::min<std::int64_t>(m_cols, c0 + static_cast<std::int64_t>(r.width() / m_zoomX) + 2));
    if (m_hiK > 0) {
        const QPointF a = cellCentre(double(m_hiRow) - 0.5, double(m_hiCol) - 0.5);
        const QRectF box(a, QSizeF(std::max(3.0, m_hiK * m_zoomX), std::max(3.0, m_hiK * m_zoomY)));
        p.setPen(QPen(QColor(20, 20, 20), 2));
        p.setBrush(Qt::NoBrush);
        p.drawRect(box);
        p.setPen(QPen(QColor(255, 230, 0), 1));
        p.drawRect(box.adjusted(-2, -2, 2, 2));
    }
    if (m_cellValues)
        drawCellValues(p, plotted);
    p.restore();
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(plotted.adjusted(0, 0, -1, -1));
    if (!m_axes.isEmpty())
        m_axes.draw(
            p, plotted, m_zoomY, m_zoomX, [this](int row) { return cellCentre(row, 0).y(); },
            [this](int col) { return cellCentre(0, col).x(); }, palette().color(QPalette::Text));
    drawLegend(p);
    p.setPen(palette().color(QPalette::Text));
    const QString hint = m_gridK > 1 ? tr("Wheel: zoom · drag: pan · click: select block")
                                     : tr("Wheel: zoom · drag: pan · click: select cell");
    p.drawText(QRect(kMargin, height() - kReadoutHeight, width() - 2 * kMargin, kReadoutHeight),
               Qt::AlignLeft | Qt::AlignVCenter,
               fontMetrics().elidedText(m_hover.isEmpty() && width() >= 420 ? hint : m_hover, Qt::ElideRight,
                                        width() - 2 * kMargin));
}

QString HeatmapWidget::titleText() const
{
    // "TITLE — ROWS × COLS — ZOOM": the title is elided first, so that the size and zoom stay whole;
    // on a narrow widget only the title is shown.
    const QFontMetrics fm(font());
    const int room = width() - 2 * kMargin;
    QString tail;
    if (m_rows > 0 && width() >= 420) {
        const QString zoom = m_zoomX >= 1 ? tr("%1 px/entry").arg(m_zoomX, 0, 'f', m_zoomX < 10 ? 1 : 0)
                                          : tr("1 px = %1 entries").arg(1 / m_zoomX, 0, 'f', 1);
        tail = tr(" — %1 × %2 — %3").arg(m_rows).arg(m_cols).arg(zoom);
    }
    if (isRendering())
        tail += tr(" — rendering…");
    if (fm.horizontalAdvance(tail) > room / 2)
        tail.clear();
    return fm.elidedText(m_title, Qt::ElideRight, room - fm.horizontalAdvance(tail)) + tail;
}

QStringList HeatmapWidget::legendLabels() const
{
    return m_map.tickLabels(m_scale, m_largest > m_scale);
}

void HeatmapWidget::drawCellValues(QPainter& p, const QRect& plotted) const
{
    const QFontMetrics fm(font());
    if (m_zoomY < fm.height() || m_zoomX < fm.horizontalAdvance(QStringLiteral("00")) + 4)
        return;
    const std::int64_t c0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(m_origin.x()));
    const std::int64_t r0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(m_origin.y()));
    const std::int64_t c1 =
        std::min<std::int64_t>(m_cols, c0 + static_cast<std::int64_t>(plotted.width() / m_zoomX) + 2);
    const std::int64_t r1 =
        std::min<std::int64_t>(m_rows, r0 + static_cast<std::int64_t>(plotted.height() / m_zoomY) + 2);
    std::vector<float> scratch(static_cast<std::size_t>(std::max<std::int64_t>(1, c1 - c0)));
    for (std::int64_t r = r0; r < r1; ++r) {
        const float* row = (*m_values)(r, c0, c1, scratch.data());
        for (std::int64_t c = c0; c < c1; ++c) {
            const float v = row[c - c0];
            const QString text = v == std::round(v) ? QString::number(double(v), 'f', 0) : QString::number(v, 'g', 3);
            if (fm.horizontalAdvance(text) + 4 > m_zoomX)
                continue;
            const QPointF centre = cellCentre(double(r), double(c));
            p.setPen(m_map.isDark(m_map.index(v, m_scale)) ? Qt::white : Qt::black);
            p.drawText(QRectF(centre.x() - m_zoomX / 2, centre.y() - m_zoomY / 2, m_zoomX, m_zoomY), Qt::AlignCenter,
                       text);
        }
    }
}

void HeatmapWidget::drawGrid(QPainter& p, const QRectF& target, std::int64_t r0, std::int64_t r1, std::int64_t c0,
                             std::int64_t c1) const
{
    if (m_gridK <= 1)
        return;
    const double blockPx = std::min(m_gridK * m_zoomX, m_gridK * m_zoomY);
    // Solid lines where blocks are at least 3 px; a faint overlay (every line, low alpha) otherwise,
    // thinned so that lines stay at least 3 px apart.
    std::int64_t step = 1;
    QColor colour(0, 0, 0, 110);
    if (blockPx < 3) {
        colour = QColor(0, 0, 0, 28);
        while (step * blockPx < 3)
            step *= 2;
    }
    p.setPen(QPen(colour, 0));
    const std::int64_t seg = m_gridSegment > 0 ? m_gridSegment : m_cols;
    std::int64_t index = 0;
    for (std::int64_t s0 = 0; s0 < m_cols; s0 += seg) {
        for (std::int64_t c = s0; c < std::min(m_cols, s0 + seg); c += m_gridK, ++index) {
            if (c < c0 || c > c1 || (index % step != 0 && c != s0) || c == 0)
                continue;
            const double x = cellCentre(0, double(c) - 0.5).x();
            if (c == s0 && seg != m_cols)
                p.setPen(QPen(QColor(0, 0, 0, 160), 0));
            p.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()));
            p.setPen(QPen(colour, 0));
        }
    }
    for (std::int64_t r = m_gridK, i = 1; r < m_rows; r += m_gridK, ++i) {
        if (r < r0 || r > r1 || i % step != 0)
            continue;
        const double y = cellCentre(double(r) - 0.5, 0).y();
        p.drawLine(QPointF(target.left(), y), QPointF(target.right(), y));
    }
}

void HeatmapWidget::drawLegend(QPainter& p) const
{
    const QRect r = plotRect();
    m_map.paintLegend(p, QRect(r.right() + 6, r.top(), kLegendWidth - 8, r.height()), m_scale, m_largest > m_scale,
                      m_legendTitle, palette().color(QPalette::Text));
}

void HeatmapWidget::resizeEvent(QResizeEvent*)
{
    if (m_fit)
        zoomToFit();
    else
        clampOrigin();
}

void HeatmapWidget::mouseMoveEvent(QMouseEvent* event)
{
    const QPointF pos = event->position();
    if (m_dragging) {
        const QPointF d = pos - m_dragStart;
        if (d.manhattanLength() > 3)
            m_dragged = true;
        m_fit = false;
        m_origin = {m_dragOrigin.x() - d.x() / m_zoomX, m_dragOrigin.y() - d.y() / m_zoomY};
        clampOrigin();
        update();
    }
    std::int64_t row = 0, col = 0;
    if (cellAt(pos, row, col)) {
        float scratch = 0;
        const float v = *(*m_values)(row, col, col + 1, &scratch);
        m_hover = tr("row %1, column %2").arg(row).arg(col);
        if (m_gridK > 1) {
            const std::int64_t seg = m_gridSegment > 0 ? m_gridSegment : m_cols;
            const std::int64_t qs = (seg + m_gridK - 1) / m_gridK;
            m_hover += tr(", block (%1, %2)").arg(row / m_gridK).arg((col / seg) * qs + (col % seg) / m_gridK);
        }
        m_hover += tr(": %1").arg(double(v), 0, 'g', 6);
    } else {
        m_hover.clear();
    }
    emit hovered(m_hover);
    update(QRect(0, height() - kReadoutHeight, width(), kReadoutHeight));
}

void HeatmapWidget::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return;
    m_dragging = true;
    m_dragged = false;
    m_dragStart = event->position();
    m_dragOrigin = m_origin;
    setCursor(Qt::ClosedHandCursor);
}

void HeatmapWidget::mouseReleaseEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return;
    m_dragging = false;
    unsetCursor();
    std::int64_t row = 0, col = 0;
    if (!m_dragged && cellAt(event->position(), row, col))
        emit cellClicked(row, col);
}

void HeatmapWidget::wheelEvent(QWheelEvent* event)
{
    const double steps = event->angleDelta().y() / 120.0;
    if (steps != 0)
        zoomBy(std::pow(1.25, steps), event->position());
    event->accept();
}

void HeatmapWidget::keyPressEvent(QKeyEvent* event)
{
    switch (event->key()) {
    case Qt::Key_Left:
        emit blockStep(0, -1);
        break;
    case Qt::Key_Right:
        emit blockStep(0, 1);
        break;
    case Qt::Key_Up:
        emit blockStep(-1, 0);
        break;
    case Qt::Key_Down:
        emit blockStep(1, 0);
        break;
    case Qt::Key_Plus:
        zoomBy(1.25, QPointF(plotRect().center()));
        break;
    case Qt::Key_Minus:
        zoomBy(0.8, QPointF(plotRect().center()));
        break;
    default:
        QWidget::keyPressEvent(event);
    }
}

} // namespace circnn::gui
