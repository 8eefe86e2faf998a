#include "HeatmapWidget.h"

#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace circnn::gui {

namespace {
// Diverging blue–white–red colour table (256 entries; index 128 ≈ zero).
QList<QRgb> divergingTable()
{
    QList<QRgb> table;
    table.reserve(256);
    for (int i = 0; i < 256; ++i) {
        const double t = (i - 127.5) / 127.5;  // −1 .. 1
        const double a = std::min(1.0, std::abs(t));
        const int fade = static_cast<int>(255 * (1 - a));
        if (t < 0)
            table.push_back(qRgb(fade, static_cast<int>(90 + 165 * (1 - a)), 255 - static_cast<int>(70 * a)));
        else
            table.push_back(qRgb(255 - static_cast<int>(70 * a), static_cast<int>(60 + 195 * (1 - a)), fade));
    }
    return table;
}
} // namespace

HeatmapWidget::HeatmapWidget(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setMinimumSize(200, 160);
    m_message = tr("Select a layer with weights");
}

HeatmapWidget::Rendered HeatmapWidget::render(std::vector<float> values, int rows, int cols)
{
    Rendered r;
    r.values = std::move(values);
    r.rows = rows;
    r.cols = cols;
    float maxAbs = 0;
    for (float v : r.values)
        if (std::isfinite(v))
            maxAbs = std::max(maxAbs, std::abs(v));
    r.scale = maxAbs > 0 ? maxAbs : 1.0f;
    r.image = QImage(cols, rows, QImage::Format_Indexed8);
    r.image.setColorTable(divergingTable());
    for (int row = 0; row < rows; ++row) {
        uchar* line = r.image.scanLine(row);
        for (int c = 0; c < cols; ++c) {
            const float v = r.values[static_cast<std::size_t>(row) * cols + c];
            const float t = std::isfinite(v) ? v / r.scale : 0.0f;
            line[c] = static_cast<uchar>(std::clamp(std::lround(127.5f + 127.5f * t), 0L, 255L));
        }
    }
    return r;
}

void HeatmapWidget::setMatrix(std::vector<float> values, int rows, int cols, const QString& title)
{
    setRendered(render(std::move(values), rows, cols), title);
}

void HeatmapWidget::setRendered(Rendered rendered, const QString& title)
{
    m_values = std::move(rendered.values);
    m_rows = rendered.rows;
    m_cols = rendered.cols;
    m_scale = rendered.scale;
    m_image = std::move(rendered.image);
    m_title = title;
    m_message.clear();
    update();
}

void HeatmapWidget::setBlockGrid(int k)
{
    m_blockK = k;
    update();
}

void HeatmapWidget::clear(const QString& message)
{
    m_values.clear();
    m_rows = m_cols = 0;
    m_image = QImage();
    m_message = message;
    update();
}

QRect HeatmapWidget::plotRect() const
{
    const QRect area = rect().adjusted(8, 28, -70, -8);
    if (m_image.isNull() || area.width() <= 0 || area.height() <= 0)
        return area;
    // Keep cells square when the matrix is small enough; otherwise fill the area.
    const double sx = double(area.width()) / m_cols, sy = double(area.height()) / m_rows;
    const double s = std::min(sx, sy);
    if (s >= 1.0 || std::max(sx, sy) / std::max(s, 1e-9) < 4) {
        const int w = static_cast<int>(m_cols * s), h = static_cast<int>(m_rows * s);
        return {area.left(), area.top(), std::max(w, 1), std::max(h, 1)};
    }
    return area;
}

void HeatmapWidget::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    if (m_image.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, m_message);
        return;
    }
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(QRect(8, 4, width() - 16, 20), Qt::AlignLeft | Qt::AlignVCenter,
               tr("%1 — %2 × %3").arg(m_title).arg(m_rows).arg(m_cols));
    const QRect r = plotRect();
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.drawImage(r, m_image);
    if (m_blockK > 1) {
        const double cw = double(r.width()) / m_cols, ch = double(r.height()) / m_rows;
        if (cw * m_blockK >= 12 && ch * m_blockK >= 12) {  // only where blocks are visible
            p.setPen(QPen(QColor(0, 0, 0, 90), 0));
            for (int c = m_blockK; c < m_cols; c += m_blockK)
                p.drawLine(QPointF(r.left() + c * cw, r.top()), QPointF(r.left() + c * cw, r.bottom()));
            for (int row = m_blockK; row < m_rows; row += m_blockK)
                p.drawLine(QPointF(r.left(), r.top() + row * ch), QPointF(r.right(), r.top() + row * ch));
        }
    }
    // Colour bar.
    const QRect bar(width() - 56, r.top(), 14, std::max(r.height(), 40));
    const QList<QRgb> table = divergingTable();
    for (int y = 0; y < bar.height(); ++y) {
        const int idx = 255 - y * 255 / std::max(1, bar.height() - 1);
        p.setPen(QColor::fromRgb(table[idx]));
        p.drawLine(bar.left(), bar.top() + y, bar.right(), bar.top() + y);
    }
    p.setPen(palette().color(QPalette::WindowText));
    p.drawRect(bar.adjusted(0, 0, -1, -1));
    const QFontMetrics fm(font());
    p.drawText(bar.right() + 3, bar.top() + fm.ascent(), QString::number(m_scale, 'g', 3));
    p.drawText(bar.right() + 3, bar.center().y() + fm.ascent() / 2, QStringLiteral("0"));
    p.drawText(bar.right() + 3, bar.bottom(), QString::number(-m_scale, 'g', 3));
}

void HeatmapWidget::mouseMoveEvent(QMouseEvent* event)
{
    if (m_image.isNull())
        return;
    const QRect r = plotRect();
    const QPointF pos = event->position();
    if (!r.contains(pos.toPoint())) {
        QToolTip::hideText();
        return;
    }
    const int c = std::clamp(static_cast<int>((pos.x() - r.left()) * m_cols / r.width()), 0, m_cols - 1);
    const int row = std::clamp(static_cast<int>((pos.y() - r.top()) * m_rows / r.height()), 0, m_rows - 1);
    const float v = m_values[static_cast<std::size_t>(row) * m_cols + c];
    QString text = tr("row %1, column %2: %3").arg(row).arg(c).arg(v, 0, 'g', 5);
    if (m_blockK > 1)
        text += tr("\nblock (%1, %2)").arg(row / m_blockK).arg(c / m_blockK);
    QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

} // namespace circnn::gui
