#include "ColourMap.h"

#include <QColor>
#include <QFontMetrics>
#include <QPainter>

#include <algorithm>
#include <array>
#include <cmath>

namespace circnn::gui {

namespace {

// Diverging blue–white–red table (256 entries; 127/128 ≈ zero).
QList<QRgb> divergingTable()
{
    QList<QRgb> t;
    for (int i = 0; i < 256; ++i) {
        const double x = (i - 127.5) / 127.5; // −1 .. 1
        const double a = std::min(1.0, std::abs(x));
        const int fade = static_cast<int>(255 * (1 - a));
        if (x < 0)
            t.push_back(qRgb(fade, static_cast<int>(90 + 165 * (1 - a)), 255 - static_cast<int>(70 * a)));
        else
            t.push_back(qRgb(255 - static_cast<int>(70 * a), static_cast<int>(60 + 195 * (1 - a)), fade));
    }
    return t;
}

// Sequential white → dark blue table, linear between five anchors (a "Blues"-like ramp: even steps
// in lightness, so that a count reads from the shade).
QList<QRgb> sequentialTable()
{
    static constexpr std::array<std::array<int, 3>, 5> kAnchors{
        {{247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}}};
    QList<QRgb> t;
    for (int i = 0; i < 256; ++i) {
        const double x = i / 255.0 * (kAnchors.size() - 1);
        const auto a = std::min<std::size_t>(static_cast<std::size_t>(x), kAnchors.size() - 2);
        const double f = x - double(a);
        int c[3];
        for (int j = 0; j < 3; ++j)
            c[j] = static_cast<int>(
                std::lround(kAnchors[a][std::size_t(j)] * (1 - f) + kAnchors[a + 1][std::size_t(j)] * f));
        t.push_back(qRgb(c[0], c[1], c[2]));
    }
    return t;
}

} // namespace

const QList<QRgb>& ColourMap::table() const
{
    static const QList<QRgb> diverging = divergingTable();
    static const QList<QRgb> sequential = sequentialTable();
    return m_kind == ColourMapKind::Diverging ? diverging : sequential;
}

unsigned char ColourMap::index(float v, float scale) const
{
    if (m_kind == ColourMapKind::Diverging) {
        if (!std::isfinite(v))
            return 128; // shown as (almost) zero: white
        const float t = std::clamp(v / scale, -1.0f, 1.0f);
        return static_cast<unsigned char>(std::clamp(std::lround(127.5f + 127.5f * t), 0L, 255L));
    }
    if (!std::isfinite(v))
        return 0;
    const float t = std::clamp(v / scale, 0.0f, 1.0f);
    return static_cast<unsigned char>(std::clamp(std::lround(255.0f * t), 0L, 255L));
}

bool ColourMap::isDark(unsigned char index) const
{
    return QColor::fromRgb(table()[index]).lightness() < 128;
}

QStringList ColourMap::tickLabels(double scale, bool saturated) const
{
    const double top = legendTop(scale), bottom = legendBottom(scale);
    const bool integral = m_kind == ColourMapKind::Sequential && scale >= 4 && scale == std::round(scale);
    QStringList labels;
    for (int t = 0; t <= 4; ++t) {
        const double v = top + (bottom - top) * t / 4.0;
        QString text = std::abs(v) < 1e-12 * scale      ? QStringLiteral("0")
                       : integral && v == std::round(v) ? QString::number(v, 'f', 0)
                                                        : QString::number(v, 'g', integral ? 3 : 2);
        if (t == 0 && saturated && m_kind == ColourMapKind::Sequential)
            text = QStringLiteral("≥ ") + text;
        labels << text;
    }
    return labels;
}

void ColourMap::paintLegend(QPainter& p, const QRect& area, double scale, bool saturated, const QString& title,
                            const QColor& text) const
{
    const QFontMetrics fm = p.fontMetrics();
    const int titleH = title.isEmpty() ? 0 : fm.height() + 2;
    p.setPen(text);
    if (titleH > 0)
        p.drawText(QRect(area.left(), area.top(), area.width(), fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                   fm.elidedText(title, Qt::ElideRight, area.width()));
    const QRect bar(area.left() + 6, area.top() + titleH + fm.height() / 2, 14,
                    std::max(60, area.height() - fm.height() - titleH));
    for (int y = 0; y < bar.height(); ++y) {
        const int idx = 255 - y * 255 / std::max(1, bar.height() - 1);
        p.setPen(QColor::fromRgb(table()[idx]));
        p.drawLine(bar.left(), bar.top() + y, bar.right(), bar.top() + y);
    }
    p.setPen(text);
    p.drawRect(bar.adjusted(0, 0, -1, -1));
    const QStringList labels = tickLabels(scale, saturated);
    for (int t = 0; t < labels.size(); ++t) {
        const int y = bar.top() + t * (bar.height() - 1) / (int(labels.size()) - 1);
        p.drawLine(bar.right(), y, bar.right() + 3, y);
        p.drawText(QRect(bar.right() + 5, y - fm.height() / 2, area.right() - bar.right() - 4, fm.height()),
                   Qt::AlignLeft | Qt::AlignVCenter, labels[t]);
    }
}

} // namespace circnn::gui
