#include "HeatmapAxisLabels.h"

#include <QFontMetrics>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace circnn::gui {

namespace {
// Every n-th label, so that labels `extent` pixels wide at `pitch` pixels apart do not overlap.
int stride(double extent, double pitch)
{
    return pitch <= 0 ? 1 : std::max(1, static_cast<int>(std::ceil(extent / pitch)));
}
} // namespace

void HeatmapAxisLabels::set(QStringList rowLabels, QStringList colLabels, QString rowTitle, QString colTitle)
{
    m_rows = std::move(rowLabels);
    m_cols = std::move(colLabels);
    m_rowTitle = std::move(rowTitle);
    m_colTitle = std::move(colTitle);
}

bool HeatmapAxisLabels::colsUpright() const
{
    return std::any_of(m_cols.begin(), m_cols.end(), [](const QString& s) { return s.size() > 3; });
}

int HeatmapAxisLabels::widest(const QFontMetrics& fm, const QStringList& labels)
{
    int w = 0;
    for (const QString& s : labels)
        w = std::max(w, fm.horizontalAdvance(s));
    return w;
}

int HeatmapAxisLabels::leftMargin(const QFontMetrics& fm) const
{
    if (m_rows.isEmpty())
        return 0;
    return widest(fm, m_rows) + kGap + (m_rowTitle.isEmpty() ? 0 : fm.height() + kGap);
}

int HeatmapAxisLabels::bottomMargin(const QFontMetrics& fm) const
{
    if (m_cols.isEmpty())
        return 0;
    const int labels = colsUpright() ? widest(fm, m_cols) : fm.height();
    return labels + kGap + (m_colTitle.isEmpty() ? 0 : fm.height() + kGap);
}

void HeatmapAxisLabels::draw(QPainter& p, const QRect& plotted, double rowPitch, double colPitch,
                             const std::function<double(int)>& rowY, const std::function<double(int)>& colX,
                             const QColor& colour) const
{
    const QFontMetrics fm = p.fontMetrics();
    const int h = fm.height();
    p.save();
    p.setPen(colour);
    if (!m_rows.isEmpty()) {
        const int w = widest(fm, m_rows);
        const int step = stride(h, rowPitch);
        for (int r = 0; r < m_rows.size(); r += step) {
            const double y = rowY(r);
            if (y < plotted.top() || y > plotted.bottom())
                continue;
            p.drawText(QRectF(plotted.left() - kGap - w, y - h / 2.0, w, h), Qt::AlignRight | Qt::AlignVCenter,
                       m_rows[r]);
        }
        if (!m_rowTitle.isEmpty()) {
            const int x = plotted.left() - kGap - w - kGap - h;
            p.save();
            p.translate(x, plotted.center().y());
            p.rotate(-90);
            p.drawText(QRectF(-plotted.height() / 2.0, 0, plotted.height(), h), Qt::AlignCenter,
                       fm.elidedText(m_rowTitle, Qt::ElideRight, std::max(plotted.height(), 2 * h)));
            p.restore();
        }
    }
    if (!m_cols.isEmpty()) {
        const bool upright = colsUpright();
        const int w = widest(fm, m_cols);
        const int step = stride(upright ? h : w + kGap, colPitch);
        const int top = plotted.bottom() + kGap;
        for (int c = 0; c < m_cols.size(); c += step) {
            const double x = colX(c);
            if (x < plotted.left() || x > plotted.right())
                continue;
            if (upright) {
                p.save();
                p.translate(x, top);
                p.rotate(-90);
                p.drawText(QRectF(-w, -h / 2.0, w, h), Qt::AlignRight | Qt::AlignVCenter, m_cols[c]);
                p.restore();
            } else {
                p.drawText(QRectF(x - w / 2.0 - kGap, top, w + 2 * kGap, h), Qt::AlignHCenter | Qt::AlignTop,
                           m_cols[c]);
            }
        }
        if (!m_colTitle.isEmpty()) {
            const int y = top + (upright ? w : h) + kGap;
            p.drawText(QRect(plotted.left(), y, plotted.width(), h), Qt::AlignHCenter | Qt::AlignTop,
                       fm.elidedText(m_colTitle, Qt::ElideRight, std::max(plotted.width(), 2 * h)));
        }
    }
    p.restore();
}

} // namespace circnn::gui
