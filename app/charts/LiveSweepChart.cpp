#include "LiveSweepChart.h"

#include <QLineSeries>
#include <QLogValueAxis>
#include <QPen>
#include <QScatterSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

#include "ChartStyle.h"
#include "analysis/SweepReport.h"

namespace circnn::charts {

namespace {
bool isPareto(SweepChartKind k)
{
    return k == SweepChartKind::ParetoCompression || k == SweepChartKind::ParetoLatency;
}
bool isPlatform(SweepChartKind k)
{
    return k == SweepChartKind::EnergyVsBlockSize || k == SweepChartKind::FramesPerSecondVsBlockSize;
}

QString chartTitle(SweepChartKind kind, const SweepMetric& metric)
{
    const QString what =
        metric.higherIsBetter
            ? QString("Top-1 accuracy")
            : QString::fromStdString(metric.task == "reconstruct" ? "Reconstruction MSE" : "Regression MSE");
    switch (kind) {
    case SweepChartKind::ParetoCompression:
        return what + " vs compression (Pareto front dashed" + (metric.higherIsBetter ? ")" : "; lower is better)");
    case SweepChartKind::ParetoLatency:
        return what + " vs measured CPU latency (this machine, one thread)";
    case SweepChartKind::EnergyVsBlockSize:
        return "Estimated energy per frame vs block size, per platform";
    case SweepChartKind::FramesPerSecondVsBlockSize:
        return "Estimated frames per second vs block size, per platform";
    case SweepChartKind::Sensitivity:
        return "Per-layer sensitivity: " + (metric.higherIsBetter ? QString("top-1") : what) +
               " with one layer converted, the others dense";
    }
    return {};
}
} // namespace

LiveSweepChart::LiveSweepChart(SweepChartKind kind, const SweepConfig& config)
    : m_kind(kind), m_config(config), m_owned(nullptr), m_metric(sweepMetric("classify"))
{
    m_owned = newChart(chartTitle(kind, m_metric));
    m_chart = m_owned.get();
    if (kind == SweepChartKind::ParetoCompression) {
        auto* x = addAxis<QLogValueAxis>(*m_chart, Qt::AlignBottom, "compression (dense / stored parameters)");
        x->setLabelFormat("%g");
        x->setMinorTickCount(-1);
        m_x = x;
    } else if (kind == SweepChartKind::ParetoLatency) {
        m_x = addAxis<QValueAxis>(*m_chart, Qt::AlignBottom, "latency per sample (ms)");
    } else {
        m_x = blockSizeAxis(*m_chart, 1);
    }
    if (isPlatform(kind)) {
        auto* y = addAxis<QLogValueAxis>(*m_chart, Qt::AlignLeft,
                                         kind == SweepChartKind::EnergyVsBlockSize ? "energy per frame (pJ)"
                                                                                   : "frames per second");
        y->setLabelFormat("%.3g");
        y->setMinorTickCount(-1);
        m_y = y;
    } else {
        auto* y = addAxis<QValueAxis>(*m_chart, Qt::AlignLeft, QString::fromStdString(m_metric.label));
        fitAccuracyAxis(y, 0, 100);
        m_y = y;
    }
}

void LiveSweepChart::useMetric(const SweepMetric& metric)
{
    m_metricSet = true;
    if (metric.task == m_metric.task)
        return;
    m_metric = metric;
    m_chart->setTitle(chartTitle(m_kind, metric));
    if (!isPlatform(m_kind))
        m_y->setTitleText(QString::fromStdString(metric.label));
}

void LiveSweepChart::fitMetricAxis()
{
    auto* y = static_cast<QValueAxis*>(m_y);
    if (m_metric.higherIsBetter)
        fitAccuracyAxis(y, m_ylo, m_yhi);
    else
        fitErrorAxis(y, m_ylo, m_yhi);
}

LiveSweepChart::~LiveSweepChart() = default;

std::unique_ptr<QChart> LiveSweepChart::takeChart()
{
    return std::move(m_owned);
}

QXYSeries* LiveSweepChart::seriesFor(const std::string& key, const QString& name, const QColor& c, bool scatter)
{
    QXYSeries*& s = m_series[key];
    if (s)
        return s;
    if (scatter) {
        auto* sc = new QScatterSeries;
        sc->setMarkerSize(9);
        sc->setColor(c);
        sc->setBorderColor(Qt::transparent);
        s = sc;
    } else {
        auto* line = new QLineSeries;
        line->setPointsVisible(true);
        QPen pen(c);
        pen.setWidthF(2);
        line->setPen(pen);
        s = line;
    }
    s->setName(name);
    attach(*m_chart, s, m_x, m_y);
    return s;
}

void LiveSweepChart::insertByX(QXYSeries* series, double x, double y)
{
    int at = static_cast<int>(series->count());
    while (at > 0 && series->at(at - 1).x() > x)
        --at;
    if (at == series->count())
        series->append(x, y);
    else
        series->insert(at, QPointF(x, y));
}

void LiveSweepChart::updateFront(std::size_t modelIndex)
{
    const std::vector<FrontPoint>& pts = m_frontPoints[modelIndex];
    std::vector<double> a, b; // both minimised: the cost (−top-1 or MSE) and −compression / +latency
    for (const FrontPoint& p : pts) {
        a.push_back(p.cost);
        b.push_back(m_kind == SweepChartKind::ParetoCompression ? -p.x : p.x);
    }
    const std::vector<bool> on = paretoFront(a, b);
    QList<QPointF> line;
    for (std::size_t i = 0; i < pts.size(); ++i)
        if (on[i])
            line << QPointF(pts[i].x, pts[i].y);
    std::sort(line.begin(), line.end(),
              [](const QPointF& l, const QPointF& r) { return l.x() < r.x() || (l.x() == r.x() && l.y() < r.y()); });
    QXYSeries*& front = m_front[modelIndex];
    if (!front) {
        auto* s = new QLineSeries;
        s->setName(modelTag(m_config, modelIndex) + "Pareto front");
        QPen pen(QColor(0x22, 0x22, 0x22));
        pen.setWidthF(1.5);
        pen.setStyle(Qt::DashLine);
        s->setPen(pen);
        attach(*m_chart, s, m_x, m_y);
        front = s;
    }
    front->replace(line); // one bulk update, not a rebuild of the chart
}

bool LiveSweepChart::addPoint(const SweepPointResult& p)
{
    const QString tag = modelTag(m_config, p.modelIndex);
    const std::string modelKey = std::to_string(p.modelIndex) + "/";
    if (!m_metricSet && !isPlatform(m_kind))
        useMetric(p.metric());
    const double shown = m_metric.scale * p.score(); // the y value of the metric charts
    bool added = false;
    auto widen = [&](double x, double y) {
        if (m_count == 0 && !added)
            m_xlo = m_xhi = x, m_ylo = m_yhi = y;
        m_xlo = std::min(m_xlo, x), m_xhi = std::max(m_xhi, x);
        m_ylo = std::min(m_ylo, y), m_yhi = std::max(m_yhi, y);
        added = true;
    };
    switch (m_kind) {
    case SweepChartKind::ParetoCompression:
    case SweepChartKind::ParetoLatency: {
        const double x = m_kind == SweepChartKind::ParetoCompression
                             ? p.compression
                             : (p.timing.samples > 0 ? p.timing.latencyMs : 0.0);
        if (!(x > 0))
            return false;
        seriesFor(modelKey + p.mode, tag + QString::fromStdString(p.mode), modeColour(m_config, p.modelIndex, p.mode),
                  true)
            ->append(x, shown);
        widen(x, shown);
        m_frontPoints[p.modelIndex].push_back({x, shown, p.cost()});
        updateFront(p.modelIndex);
        break;
    }
    case SweepChartKind::EnergyVsBlockSize:
    case SweepChartKind::FramesPerSecondVsBlockSize: {
        // Estimates do not depend on the accuracy mode: the first mode's points only.
        if (p.k <= 0 || m_config.modes.empty() || p.mode != accuracyModeName(m_config.modes.front()))
            return false;
        for (const SweepPlatformResult& h : p.platforms) {
            const double y = m_kind == SweepChartKind::EnergyVsBlockSize ? h.energyPjPerFrame : h.framesPerSecond;
            if (!(y > 0))
                continue;
            const std::string key = modelKey + h.platform;
            const QColor c = colour(m_series.count(key) ? 0 : m_series.size());
            insertByX(seriesFor(key, tag + QString::fromStdString(h.platform), c, false), double(p.k), y);
            widen(double(p.k), y);
        }
        if (added)
            m_maxK = std::max(m_maxK, p.k);
        break;
    }
    case SweepChartKind::Sensitivity: {
        if (p.sensitivityLayer.empty())
            return false;
        const auto it = p.requestedBlocks.find(p.sensitivityLayer);
        const std::int64_t k = it == p.requestedBlocks.end() ? 1 : it->second;
        const std::string key = modelKey + p.mode + "/" + p.sensitivityLayer;
        const QColor c = colour(m_series.count(key) ? 0 : m_series.size());
        insertByX(seriesFor(key, tag + QString::fromStdString(p.sensitivityLayer + " (" + p.mode + ")"), c, false),
                  double(k), shown);
        widen(double(k), shown);
        widen(double(k), m_metric.scale * p.denseScore()); // the dense model's figure stays in view
        m_maxK = std::max(m_maxK, k);
        break;
    }
    }
    if (!added)
        return false;
    ++m_count;
    // Axes follow the data.
    if (isPareto(m_kind)) {
        fitMetricAxis();
        if (m_kind == SweepChartKind::ParetoCompression)
            static_cast<QLogValueAxis*>(m_x)->setRange(m_xlo / 1.3, m_xhi * 1.3);
        else
            static_cast<QValueAxis*>(m_x)->setRange(0, m_xhi * 1.08);
    } else {
        setBlockSizeRange(static_cast<QLogValueAxis*>(m_x), m_maxK);
        if (isPlatform(m_kind))
            static_cast<QLogValueAxis*>(m_y)->setRange(m_ylo / 2, m_yhi * 2);
        else
            fitMetricAxis();
    }
    return true;
}

} // namespace circnn::charts
