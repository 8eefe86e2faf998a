#include "ReportCharts.h"

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

#include "analysis/Sensitivity.h"

namespace circnn::report {

namespace {

// A palette that stays distinguishable in print.
const QColor kPalette[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28), QColor(0x2c, 0xa0, 0x2c),
                           QColor(0xff, 0x7f, 0x0e), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                           QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0x17, 0xbe, 0xcf)};
QColor colour(std::size_t i)
{
    return kPalette[i % (sizeof kPalette / sizeof kPalette[0])];
}

// The same colour for a (model, mode) in every chart.
QColor modeColour(const SweepReport& r, std::size_t modelIndex, const std::string& mode)
{
    const std::vector<std::string> modes = r.modes();
    const auto at = std::find(modes.begin(), modes.end(), mode) - modes.begin();
    return colour(static_cast<std::size_t>(at) + modelIndex * modes.size());
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

template <typename Axis> Axis* addAxis(QChart& chart, Qt::Alignment where, const QString& title)
{
    auto* axis = new Axis;
    axis->setTitleText(title);
    QFont f = axis->labelsFont();
    f.setPointSizeF(8);
    axis->setLabelsFont(f);
    QFont t = axis->titleFont();
    t.setPointSizeF(9);
    axis->setTitleFont(t);
    chart.addAxis(axis, where);
    return axis;
}

QLogValueAxis* blockSizeAxis(QChart& chart, std::int64_t maxK)
{
    auto* x = addAxis<QLogValueAxis>(chart, Qt::AlignBottom, "block size k");
    x->setBase(2);
    x->setLabelFormat("%g");
    x->setRange(0.8, std::max<double>(2, double(maxK) * 1.25));
    x->setMinorTickCount(0);
    return x;
}

void attach(QChart& chart, QAbstractSeries* series, QAbstractAxis* x, QAbstractAxis* y)
{
    chart.addSeries(series);
    series->attachAxis(x);
    series->attachAxis(y);
}

QString modelTag(const SweepReport& r, std::size_t modelIndex)
{
    if (r.config.models.size() < 2)
        return {};
    return QString::fromStdString(std::filesystem::path(r.config.models.at(modelIndex)).stem().string()) + " ";
}

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

// Scatter per mode + Pareto front line for x(p) vs accuracy.
std::unique_ptr<QChart> paretoChart(const SweepReport& r, const QString& title, const QString& xTitle, bool logX,
                                    const std::set<std::string>& front, double (*x)(const SweepPointResult&))
{
    auto chart = newChart(title);
    QAbstractAxis* xa = nullptr;
    if (logX) {
        auto* a = addAxis<QLogValueAxis>(*chart, Qt::AlignBottom, xTitle);
        a->setLabelFormat("%g");
        a->setMinorTickCount(-1);
        xa = a;
    } else {
        xa = addAxis<QValueAxis>(*chart, Qt::AlignBottom, xTitle);
    }
    auto* ya = addAxis<QValueAxis>(*chart, Qt::AlignLeft, "top-1 accuracy (%)");
    double lo = 100, hi = 0, xlo = INFINITY, xhi = 0;
    bool any = false;
    for (const std::string& mode : r.modes()) {
        for (std::size_t m = 0; m < r.config.models.size(); ++m) {
            auto* s = new QScatterSeries;
            s->setName(modelTag(r, m) + QString::fromStdString(mode));
            s->setMarkerSize(9);
            s->setColor(modeColour(r, m, mode));
            s->setBorderColor(Qt::transparent);
            for (const SweepPointResult& p : r.points)
                if (p.mode == mode && p.modelIndex == m && x(p) > 0) {
                    s->append(x(p), 100 * p.top1);
                    lo = std::min(lo, 100 * p.top1), hi = std::max(hi, 100 * p.top1);
                    xlo = std::min(xlo, x(p)), xhi = std::max(xhi, x(p));
                }
            if (s->count() == 0) {
                delete s;
                continue;
            }
            any = true;
            attach(*chart, s, xa, ya);
        }
    }
    if (!any)
        return nullptr;
    for (std::size_t m = 0; m < r.config.models.size(); ++m) {
        std::vector<std::pair<double, double>> f;
        for (const SweepPointResult& p : r.points)
            if (p.modelIndex == m && front.count(p.id) && x(p) > 0)
                f.push_back({x(p), 100 * p.top1});
        std::sort(f.begin(), f.end());
        if (f.empty())
            continue;
        auto* line = new QLineSeries;
        line->setName(modelTag(r, m) + "Pareto front");
        QPen pen(QColor(0x22, 0x22, 0x22));
        pen.setWidthF(1.5);
        pen.setStyle(Qt::DashLine);
        line->setPen(pen);
        for (const auto& [a, b] : f)
            line->append(a, b);
        attach(*chart, line, xa, ya);
    }
    fitAccuracyAxis(ya, lo, hi);
    if (logX)
        static_cast<QLogValueAxis*>(xa)->setRange(xlo / 1.3, xhi * 1.3);
    else
        static_cast<QValueAxis*>(xa)->setRange(0, xhi * 1.08);
    return chart;
}

// One line per platform of a per-platform figure vs k (the first mode; estimates do not depend on it).
std::unique_ptr<QChart> platformChart(const SweepReport& r, const QString& title, const QString& yTitle,
                                      double (*y)(const SweepPlatformResult&))
{
    const auto groups = byModelMode(r);
    if (groups.empty() || r.platformNames().empty())
        return nullptr;
    auto chart = newChart(title);
    auto* xa = blockSizeAxis(*chart, maxK(r));
    auto* ya = addAxis<QLogValueAxis>(*chart, Qt::AlignLeft, yTitle);
    ya->setLabelFormat("%.3g");
    ya->setMinorTickCount(-1);
    double lo = INFINITY, hi = 0;
    std::size_t c = 0;
    const std::string firstMode = r.modes().front();
    for (const auto& [key, pts] : groups) {
        if (key.second != firstMode)
            continue;
        for (const std::string& name : r.platformNames()) {
            auto* s = new QLineSeries;
            s->setName(modelTag(r, key.first) + QString::fromStdString(name));
            s->setPointsVisible(true);
            QPen pen(colour(c++));
            pen.setWidthF(2);
            s->setPen(pen);
            for (const SweepPointResult* p : pts)
                if (const SweepPlatformResult* h = p->platform(name); h && y(*h) > 0) {
                    s->append(double(p->k), y(*h));
                    lo = std::min(lo, y(*h)), hi = std::max(hi, y(*h));
                }
            attach(*chart, s, xa, ya);
        }
    }
    if (!(hi > 0))
        return nullptr;
    ya->setRange(lo / 2, hi * 2);
    return chart;
}

} // namespace

std::unique_ptr<QChart> accuracyVsBlockSizeChart(const SweepReport& r)
{
    const auto groups = byModelMode(r);
    if (groups.empty())
        return nullptr;
    auto chart = newChart("Top-1 accuracy vs block size, per accuracy mode");
    auto* x = blockSizeAxis(*chart, maxK(r));
    auto* y = addAxis<QValueAxis>(*chart, Qt::AlignLeft, "top-1 accuracy (%)");
    double lo = 100, hi = 0;
    std::map<std::size_t, double> dense;
    for (const auto& [key, pts] : groups) {
        auto* s = new QLineSeries;
        s->setName(modelTag(r, key.first) + QString::fromStdString(key.second));
        s->setPointsVisible(true);
        QPen pen(modeColour(r, key.first, key.second));
        pen.setWidthF(2);
        s->setPen(pen);
        for (const SweepPointResult* p : pts) {
            s->append(double(p->k), 100 * p->top1);
            lo = std::min(lo, 100 * p->top1), hi = std::max(hi, 100 * p->top1);
            dense[key.first] = 100 * p->denseTop1;
        }
        attach(*chart, s, x, y);
    }
    for (const auto& [m, acc] : dense) {
        auto* s = new QLineSeries;
        s->setName(modelTag(r, m) + "dense model");
        QPen pen(QColor(0x55, 0x55, 0x55));
        pen.setStyle(Qt::DotLine);
        pen.setWidthF(1.5);
        s->setPen(pen);
        s->append(0.8, acc);
        s->append(double(maxK(r)) * 1.25, acc);
        lo = std::min(lo, acc), hi = std::max(hi, acc);
        attach(*chart, s, x, y);
    }
    fitAccuracyAxis(y, lo, hi);
    return chart;
}

std::unique_ptr<QChart> accuracyVsCompressionChart(const SweepReport& r)
{
    return paretoChart(r, "Top-1 accuracy vs compression (Pareto front dashed)",
                       "compression (dense / stored parameters)", true, r.paretoCompression,
                       [](const SweepPointResult& p) { return p.compression; });
}

std::unique_ptr<QChart> accuracyVsLatencyChart(const SweepReport& r)
{
    return paretoChart(r, "Top-1 accuracy vs measured CPU latency (this machine, one thread)",
                       "latency per sample (ms)", false, r.paretoLatency,
                       [](const SweepPointResult& p) { return p.timing.samples > 0 ? p.timing.latencyMs : 0.0; });
}

std::unique_ptr<QChart> energyVsBlockSizeChart(const SweepReport& r)
{
    return platformChart(r, "Estimated energy per frame vs block size, per platform", "energy per frame (pJ)",
                         [](const SweepPlatformResult& h) { return h.energyPjPerFrame; });
}

std::unique_ptr<QChart> framesPerSecondVsBlockSizeChart(const SweepReport& r)
{
    return platformChart(r, "Estimated frames per second vs block size, per platform", "frames per second",
                         [](const SweepPlatformResult& h) { return h.framesPerSecond; });
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
                    s->setName(modelTag(r, key.first) + QString::fromStdString(l.layer));
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
    const std::vector<SensitivityCurve> curves = sensitivityCurves(r.points);
    if (curves.empty())
        return nullptr;
    auto chart = newChart("Per-layer sensitivity: top-1 with one layer converted, the others dense");
    std::int64_t kmax = 1;
    for (const SensitivityCurve& c : curves)
        kmax = std::max(kmax, c.blockSizes.back());
    auto* x = blockSizeAxis(*chart, kmax);
    auto* y = addAxis<QValueAxis>(*chart, Qt::AlignLeft, "top-1 accuracy (%)");
    double lo = 100, hi = 0;
    std::size_t c = 0;
    for (const SensitivityCurve& curve : curves) {
        auto* s = new QLineSeries;
        s->setName(modelTag(r, curve.modelIndex) + QString::fromStdString(curve.layer + " (" + curve.mode + ")"));
        s->setPointsVisible(true);
        QPen pen(colour(c++));
        pen.setWidthF(2);
        s->setPen(pen);
        for (std::size_t i = 0; i < curve.blockSizes.size(); ++i) {
            s->append(double(curve.blockSizes[i]), 100 * curve.top1[i]);
            lo = std::min(lo, 100 * curve.top1[i]), hi = std::max(hi, 100 * curve.top1[i]);
        }
        hi = std::max(hi, 100 * curve.denseTop1);
        attach(*chart, s, x, y);
    }
    fitAccuracyAxis(y, lo, hi);
    return chart;
}

std::vector<ReportChart> buildReportCharts(const SweepReport& r)
{
    std::vector<ReportChart> out;
    auto add = [&](const char* id, std::unique_ptr<QChart> chart, const char* caption) {
        if (!chart)
            return;
        ReportChart c;
        c.id = id;
        c.title = chart->title();
        c.caption = caption;
        c.chart = std::move(chart);
        out.push_back(std::move(c));
    };
    add("accuracy-k", accuracyVsBlockSizeChart(r),
        "Measured on the evaluation set; the dotted line is the dense model. Each line is one accuracy mode.");
    add("pareto-compression", accuracyVsCompressionChart(r),
        "Every point of the sweep; points on the dashed line are not beaten in both accuracy and compression.");
    add("energy-k", energyVsBlockSizeChart(r),
        "Hardware cost model estimates (docs/hardware-model.md), not measurements.");
    add("fps-k", framesPerSecondVsBlockSizeChart(r),
        "Hardware cost model estimates at the report's precision and batch.");
    add("residual-k", residualVsBlockSizeChart(r),
        "How much of each layer's weight matrix the block-circulant projection loses (0 = nothing).");
    add("sensitivity", sensitivityChart(r), "One layer converted at a time over the k list, the other layers dense.");
    add("pareto-latency", accuracyVsLatencyChart(r),
        "Measured by the engine on this machine, one sample at a time on one thread.");
    return out;
}

} // namespace circnn::report
