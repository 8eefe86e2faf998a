#include "SweepCharts.h"

#include <QFont>
#include <QLegend>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPen>
#include <QScatterSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "ChartStyle.h"

namespace circnn::charts {

namespace {

// Global-k points (k > 0) grouped by (model, mode) — models in order, modes in the config's order —
// each group sorted by k.
using ModelMode = std::pair<std::size_t, std::string>;
std::vector<std::pair<ModelMode, std::vector<const SweepPointResult*>>> byModelMode(const SweepReport& r)
{
    std::vector<std::pair<ModelMode, std::vector<const SweepPointResult*>>> out;
    for (std::size_t m = 0; m < r.config.models.size(); ++m)
        for (const std::string& mode : r.modes()) {
            std::vector<const SweepPointResult*> v;
            for (const SweepPointResult& p : r.points)
                if (p.k > 0 && p.modelIndex == m && p.mode == mode)
                    v.push_back(&p);
            std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->k < b->k; });
            if (!v.empty())
                out.push_back({{m, mode}, std::move(v)});
        }
    return out;
}

std::int64_t maxK(const SweepReport& r)
{
    std::int64_t k = 1;
    for (const SweepPointResult& p : r.points)
        k = std::max(k, p.k);
    return k;
}

} // namespace

std::unique_ptr<QChart> accuracyVsBlockSizeChart(const SweepReport& r)
{
    const auto groups = byModelMode(r);
    if (groups.empty())
        return nullptr;
    const SweepMetric metric = r.metric(); // top-1 %, or the MSE (lower is better)
    auto chart =
        newChart(metric.higherIsBetter ? QString("Top-1 accuracy vs block size, per accuracy mode")
                                       : QString::fromStdString(metric.label) + " vs block size, per accuracy mode");
    auto* x = blockSizeAxis(*chart, maxK(r));
    auto* y = addAxis<QValueAxis>(*chart, Qt::AlignLeft, QString::fromStdString(metric.label));
    double lo = INFINITY, hi = -INFINITY;
    std::map<std::size_t, double> dense;
    for (const auto& [key, pts] : groups) {
        auto* s = new QLineSeries;
        s->setName(modelTag(r.config, key.first) + QString::fromStdString(key.second));
        s->setPointsVisible(true);
        QPen pen(modeColour(r.config, key.first, key.second));
        pen.setWidthF(2);
        s->setPen(pen);
        for (const SweepPointResult* p : pts) {
            const double v = metric.scale * p->score();
            s->append(double(p->k), v);
            lo = std::min(lo, v), hi = std::max(hi, v);
            dense[key.first] = metric.scale * p->denseScore();
        }
        attach(*chart, s, x, y);
    }
    for (const auto& [m, acc] : dense) {
        auto* s = new QLineSeries;
        s->setName(modelTag(r.config, m) + "dense model");
        QPen pen(QColor(0x55, 0x55, 0x55));
        pen.setStyle(Qt::DotLine);
        pen.setWidthF(1.5);
        s->setPen(pen);
        s->append(0.8, acc);
        s->append(double(maxK(r)) * 1.25, acc);
        lo = std::min(lo, acc), hi = std::max(hi, acc);
        attach(*chart, s, x, y);
    }
    if (metric.higherIsBetter) {
        fitAccuracyAxis(y, lo, hi);
    } else {
        fitErrorAxis(y, lo, hi);
    }
    return chart;
}

std::unique_ptr<QChart> accuracyVsCompressionChart(const SweepReport& r)
{
    return liveSweepChart(SweepChartKind::ParetoCompression, r);
}

std::unique_ptr<QChart> accuracyVsLatencyChart(const SweepReport& r)
{
    return liveSweepChart(SweepChartKind::ParetoLatency, r);
}

std::unique_ptr<QChart> energyVsBlockSizeChart(const SweepReport& r)
{
    return liveSweepChart(SweepChartKind::EnergyVsBlockSize, r);
}

std::unique_ptr<QChart> framesPerSecondVsBlockSizeChart(const SweepReport& r)
{
    return liveSweepChart(SweepChartKind::FramesPerSecondVsBlockSize, r);
}

std::unique_ptr<QChart> residualVsBlockSizeChart(const SweepReport& r)
{
    const auto groups = byModelMode(r);
    if (groups.empty())
        return nullptr;
    auto chart = newChart("Relative Frobenius residual per layer vs block size");
    auto* x = blockSizeAxis(*chart, maxK(r));
    auto* y = addAxis<QValueAxis>(*chart, Qt::AlignLeft, "||W - P(W)||_F / ||W||_F");
    double hi = 0;
    std::size_t c = 0;
    const std::string firstMode = r.modes().front();
    for (const auto& [key, pts] : groups) {
        if (key.second != firstMode)
            continue;
        std::map<std::string, QLineSeries*> series;
        for (const SweepPointResult* p : pts)
            for (const SweepLayerResult& l : p->layers) {
                QLineSeries*& s = series[l.layer];
                if (!s) {
                    s = new QLineSeries;
                    s->setName(modelTag(r.config, key.first) + QString::fromStdString(l.layer));
                    s->setPointsVisible(true);
                    QPen pen(colour(c++));
                    pen.setWidthF(2);
                    s->setPen(pen);
                }
                s->append(double(p->k), l.relativeResidual);
                hi = std::max(hi, l.relativeResidual);
            }
        for (auto& [name, s] : series)
            attach(*chart, s, x, y);
    }
    y->setRange(0, hi > 0 ? std::min(1.5, hi * 1.1) : 1.0);
    y->setLabelFormat("%.2f");
    return chart;
}

std::unique_ptr<QChart> sensitivityChart(const SweepReport& r)
{
    return liveSweepChart(SweepChartKind::Sensitivity, r);
}

std::unique_ptr<QChart> liveSweepChart(SweepChartKind kind, const SweepReport& r)
{
    LiveSweepChart live(kind, r.config);
    for (const SweepPointResult& p : r.points)
        live.addPoint(p);
    if (live.isEmpty())
        return nullptr;
    return live.takeChart();
}

} // namespace circnn::charts
