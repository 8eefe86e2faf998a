#include "ChartStyle.h"

#include <QLegend>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace circnn::charts {

namespace {
const QColor kPalette[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28), QColor(0x2c, 0xa0, 0x2c),
                           QColor(0xff, 0x7f, 0x0e), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                           QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0x17, 0xbe, 0xcf)};
} // namespace

QColor colour(std::size_t i)
{
    return kPalette[i % (sizeof kPalette / sizeof kPalette[0])];
}

std::unique_ptr<QChart> newChart(const QString& title)
{
    auto chart = std::make_unique<QChart>();
    chart->setTitle(title);
    QFont f = chart->titleFont();
    f.setPointSizeF(11);
    f.setBold(true);
    chart->setTitleFont(f);
    chart->legend()->setAlignment(Qt::AlignBottom);
    QFont lf = chart->legend()->font();
    lf.setPointSizeF(8.5);
    chart->legend()->setFont(lf);
    chart->setBackgroundRoundness(0);
    chart->setMargins(QMargins(4, 4, 4, 4));
    return chart;
}

QLogValueAxis* blockSizeAxis(QChart& chart, std::int64_t maxK)
{
    auto* x = addAxis<QLogValueAxis>(chart, Qt::AlignBottom, "block size k");
    x->setBase(2);
    x->setLabelFormat("%g");
    x->setMinorTickCount(0);
    setBlockSizeRange(x, maxK);
    return x;
}

void setBlockSizeRange(QLogValueAxis* axis, std::int64_t maxK)
{
    axis->setRange(0.8, std::max<double>(2, double(maxK) * 1.25));
}

void fitAccuracyAxis(QValueAxis* y, double lo, double hi)
{
    lo = std::max(0.0, std::floor(lo / 5.0) * 5.0);
    hi = std::min(100.0, std::ceil(hi / 5.0) * 5.0);
    if (hi - lo < 5)
        hi = std::min(100.0, lo + 5), lo = hi - 5;
    y->setRange(lo, hi);
    const double step = hi - lo <= 40 ? 5 : 10;
    y->setTickCount(static_cast<int>(std::lround((hi - lo) / step)) + 1);
    y->setLabelFormat("%.0f");
}

void fitErrorAxis(QValueAxis* y, double lo, double hi)
{
    const double span = std::max(hi - lo, 1e-12 + 1e-6 * std::abs(hi));
    y->setRange(std::max(0.0, lo - 0.1 * span), hi + 0.1 * span);
    y->setTickCount(6);
    y->setLabelFormat("%.4g");
}

void attach(QChart& chart, QAbstractSeries* series, QAbstractAxis* x, QAbstractAxis* y)
{
    chart.addSeries(series);
    series->attachAxis(x);
    series->attachAxis(y);
}

QString modelTag(const SweepConfig& config, std::size_t modelIndex)
{
    if (config.models.size() < 2 || modelIndex >= config.models.size())
        return {};
    return QString::fromStdString(std::filesystem::path(config.models[modelIndex]).stem().string()) + " ";
}

QColor modeColour(const SweepConfig& config, std::size_t modelIndex, const std::string& mode)
{
    std::size_t at = 0;
    while (at < config.modes.size() && accuracyModeName(config.modes[at]) != mode)
        ++at;
    return colour(at + modelIndex * config.modes.size());
}

} // namespace circnn::charts
