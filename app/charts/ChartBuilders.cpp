#include "ChartBuilders.h"

#include <QAbstractBarSeries>
#include <QAreaSeries>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QGraphicsLayout>
#include <QLineSeries>
#include <QStackedBarSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace circnn::charts {

namespace {
QChart* newPlainChart(const QString& title)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->setBackgroundRoundness(0);
    chart->legend()->setVisible(false);
    return chart;
}

void setValueRange(QValueAxis* axis, double lo, double hi)
{
    if (!(hi > lo))
        hi = lo + 1;
    axis->setRange(lo, hi);
    axis->applyNiceNumbers();
}

QValueAxis* valueAxis(const QString& title, double lo, double hi)
{
    auto* axis = new QValueAxis;
    axis->setTitleText(title);
    setValueRange(axis, lo, hi);
    axis->setLabelFormat(QStringLiteral("%.3g"));
    return axis;
}

// Points (index, value) and the range of the values together with 0.
QList<QPointF> indexedPoints(std::span<const float> values, double& lo, double& hi)
{
    QList<QPointF> points;
    points.reserve(static_cast<qsizetype>(values.size()));
    lo = hi = 0;
    for (std::size_t t = 0; t < values.size(); ++t) {
        points << QPointF(double(t), values[t]);
        lo = std::min(lo, double(values[t]));
        hi = std::max(hi, double(values[t]));
    }
    return points;
}

// The line series `name` of `chart` if it has `count` points, else null.
QLineSeries* lineSeries(QChart* chart, const QString& name, std::size_t count)
{
    if (!chart)
        return nullptr;
    for (QAbstractSeries* s : chart->series())
        if (auto* line = qobject_cast<QLineSeries*>(s); line && s->name() == name)
            return line->count() == static_cast<int>(count) ? line : nullptr;
    return nullptr;
}

// The value axis of `series` on the left.
QValueAxis* leftAxis(QLineSeries* series)
{
    for (QAbstractAxis* a : series->attachedAxes())
        if (a->alignment() == Qt::AlignLeft)
            return qobject_cast<QValueAxis*>(a);
    return nullptr;
}
// Adds a bar series with its category axis (bottom) and value axis 0..hi (left).
void addBars(QChart* chart, QAbstractBarSeries* series, const QStringList& categories, const QString& yTitle, double hi)
{
    chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    auto* y = valueAxis(yTitle, 0, hi * 1.05);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
}

// A chart with its legend below the plot.
QChart* newLegendChart(const QString& title)
{
    QChart* chart = newPlainChart(title);
    chart->legend()->setVisible(true);
    chart->legend()->setAlignment(Qt::AlignBottom);
    return chart;
}
} // namespace

void showChart(QChartView* view, QChart* chart)
{
    QChart* old = view->chart();
    view->setChart(chart);
    if (old != chart)
        delete old;
}

void showEmptyChart(QChartView* view, const QString& message)
{
    if (QChart* shown = view->chart(); shown && shown->series().isEmpty() && shown->axes().isEmpty()) {
        if (shown->title() != message)
            shown->setTitle(message);
        return;
    }
    auto* chart = new QChart;
    chart->setTitle(message);
    showChart(view, chart);
}

QChart* histogramChart(const ValueHistogram& h, const QString& title)
{
    QChart* chart = newPlainChart(title);
    auto* upper = new QLineSeries;
    QList<QPointF> points;
    const int bins = static_cast<int>(h.bins.size());
    const double width = bins ? (h.hi - h.lo) / bins : 1;
    std::int64_t top = 1;
    for (int b = 0; b < bins; ++b) {
        const double count = double(h.bins[static_cast<std::size_t>(b)]);
        points << QPointF(h.lo + b * width, count) << QPointF(h.lo + (b + 1) * width, count);
        top = std::max(top, h.bins[static_cast<std::size_t>(b)]);
    }
    upper->replace(points);
    auto* area = new QAreaSeries(upper);
    area->setName(QStringLiteral("count"));
    area->setColor(QColor(70, 120, 190));
    area->setBorderColor(QColor(40, 70, 130));
    chart->addSeries(area);
    auto* x = valueAxis(QObject::tr("weight value"), h.lo, h.hi);
    auto* y = valueAxis(QObject::tr("count"), 0, double(top) * 1.05);
    x->setLabelFormat(QStringLiteral("%.2f"));
    y->setLabelFormat(QStringLiteral("%.0f"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    area->attachAxis(x);
    area->attachAxis(y);
    return chart;
}

QChart* vectorChart(std::span<const float> vector, const QString& title)
{
    QChart* chart = newPlainChart(title);
    auto* series = new QLineSeries;
    series->setName(QStringLiteral("vector"));
    series->setPointsVisible(vector.size() <= 64);
    double lo = 0, hi = 0;
    series->replace(indexedPoints(vector, lo, hi));
    chart->addSeries(series);
    auto* x = valueAxis(QObject::tr("index"), 0, std::max<double>(1, double(vector.size()) - 1));
    x->setLabelFormat(QStringLiteral("%.0f"));
    auto* y = valueAxis(QObject::tr("value"), lo, hi);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    return chart;
}

QChart* spectrumChart(std::span<const float> magnitude, std::span<const float> phase, const QString& title)
{
    QChart* chart = newLegendChart(title);
    auto* mag = new QLineSeries;
    mag->setName(QStringLiteral("magnitude"));
    mag->setPointsVisible(magnitude.size() <= 64);
    auto* ph = new QLineSeries;
    ph->setName(QStringLiteral("phase"));
    ph->setPointsVisible(true);
    QPen dashed(QColor(200, 90, 30));
    dashed.setStyle(Qt::DashLine);
    ph->setPen(dashed);
    double lo = 0, hi = 0, plo = 0, phi = 0;
    mag->replace(indexedPoints(magnitude, lo, hi));
    ph->replace(indexedPoints(phase, plo, phi));
    chart->addSeries(mag);
    chart->addSeries(ph);
    auto* x = valueAxis(QObject::tr("frequency bin"), 0, std::max<double>(1, double(magnitude.size()) - 1));
    x->setLabelFormat(QStringLiteral("%.0f"));
    auto* y = valueAxis(QObject::tr("|FFT|"), 0, hi);
    auto* yp = new QValueAxis;
    yp->setTitleText(QObject::tr("phase (rad)"));
    yp->setLabelsVisible(true);
    yp->setRange(-std::numbers::pi, std::numbers::pi);
    yp->setTickCount(5);
    yp->setLabelFormat(QStringLiteral("%.1f"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    chart->addAxis(yp, Qt::AlignRight);
    mag->attachAxis(x);
    mag->attachAxis(y);
    ph->attachAxis(x);
    ph->attachAxis(yp);
    return chart;
}

bool updateVectorChart(QChart* chart, std::span<const float> vector)
{
    QLineSeries* series = lineSeries(chart, QStringLiteral("vector"), vector.size());
    QValueAxis* y = series ? leftAxis(series) : nullptr;
    if (!y)
        return false;
    double lo = 0, hi = 0;
    series->replace(indexedPoints(vector, lo, hi));
    setValueRange(y, lo, hi);
    return true;
}

bool updateSpectrumChart(QChart* chart, std::span<const float> magnitude, std::span<const float> phase)
{
    QLineSeries* mag = lineSeries(chart, QStringLiteral("magnitude"), magnitude.size());
    QLineSeries* ph = lineSeries(chart, QStringLiteral("phase"), phase.size());
    QValueAxis* y = mag && ph ? leftAxis(mag) : nullptr;
    if (!y)
        return false;
    double lo = 0, hi = 0, plo = 0, phi = 0;
    mag->replace(indexedPoints(magnitude, lo, hi));
    ph->replace(indexedPoints(phase, plo, phi));
    setValueRange(y, 0, hi);
    return true;
}

QChart* throughputChart(const std::vector<EstimatePoint>& points, const QString& title)
{
    QChart* chart = newLegendChart(title);
    QStringList configs, platforms;
    for (const auto& p : points) {
        if (!configs.contains(p.config))
            configs << p.config;
        if (!platforms.contains(p.platform))
            platforms << p.platform;
    }
    auto* series = new QBarSeries;
    double hi = 1;
    for (const QString& platform : platforms) {
        auto* set = new QBarSet(platform);
        for (const QString& config : configs) {
            double fps = 0;
            for (const auto& p : points)
                if (p.platform == platform && p.config == config)
                    fps = p.design.framesPerSecond;
            *set << fps;
            hi = std::max(hi, fps);
        }
        series->append(set);
    }
    addBars(chart, series, configs, QObject::tr("frames / s"), hi);
    return chart;
}

QChart* energyChart(const std::vector<EstimatePoint>& points, const QString& title)
{
    QChart* chart = newLegendChart(title);
    auto* compute = new QBarSet(QObject::tr("compute"));
    auto* onchip = new QBarSet(QObject::tr("on-chip"));
    auto* offchip = new QBarSet(QObject::tr("off-chip"));
    auto* leakage = new QBarSet(QObject::tr("static"));
    QStringList configs;
    double hi = 0;
    for (const auto& p : points) {
        const auto& e = p.design.energy;
        configs << p.config;
        *compute << e.computePj * 1e-6;
        *onchip << e.onchipPj * 1e-6;
        *offchip << e.offchipPj * 1e-6;
        *leakage << e.staticPj * 1e-6;
        hi = std::max(hi, e.totalPj() * 1e-6);
    }
    auto* series = new QStackedBarSeries;
    series->append({compute, onchip, offchip, leakage});
    addBars(chart, series, configs, QObject::tr("µJ / frame"), hi); // short: the chart may be low
    return chart;
}

} // namespace circnn::charts
