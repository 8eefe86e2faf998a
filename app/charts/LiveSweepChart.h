#pragma once
// A sweep chart that grows point by point. addPoint() appends the point to its series (created
// on first use; a line keeps its points in k order by inserting at the right place) and widens
// the axes; the Pareto front line is replaced in one bulk QXYSeries::replace. Nothing is ever
// rebuilt, so the sweep view feeds it as points finish, and the report builders (SweepCharts.h)
// feed it every point of a finished sweep: the view and the report draw with the same code.

#include <QChart>
#include <QString>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analysis/SweepConfig.h"
#include "analysis/SweepResult.h"

class QAbstractAxis;
class QValueAxis;
class QLogValueAxis;
class QXYSeries;

namespace circnn::charts {

enum class SweepChartKind {
    ParetoCompression,          // top-1 vs compression, a scatter per (model, mode), the Pareto front dashed
    ParetoLatency,              // top-1 vs measured single-thread latency, with its Pareto front
    EnergyVsBlockSize,          // estimated energy per frame vs k, a line per (model, platform), first mode
    FramesPerSecondVsBlockSize, // estimated frames/s vs k, a line per (model, platform), first mode
    Sensitivity,                // top-1 vs k with one layer converted, a line per (model, layer, mode)
};
// "top-1" above is the points' SweepMetric: for reconstruction / regression models the charts show
// the MSE (lower is better; the Pareto front minimises it) and say so in the title and axis, set by
// the first point added.

class LiveSweepChart {
public:
    // `config` gives the models and modes (series names and colours).
    LiveSweepChart(SweepChartKind kind, const SweepConfig& config);
    ~LiveSweepChart();
    LiveSweepChart(const LiveSweepChart&) = delete;
    LiveSweepChart& operator=(const LiveSweepChart&) = delete;

    SweepChartKind kind() const { return m_kind; }
    // The chart; owned here until takeChart() hands it over (a QChartView, a report). After that
    // the chart must outlive further addPoint() calls.
    QChart* chart() const { return m_chart; }
    std::unique_ptr<QChart> takeChart();

    // Adds one finished point; false when the point has nothing to show in this kind of chart.
    bool addPoint(const SweepPointResult& point);
    bool isEmpty() const { return m_series.empty(); }
    std::size_t pointCount() const { return m_count; }

private:
    QXYSeries* seriesFor(const std::string& key, const QString& name, const QColor& colour, bool scatter);
    static void insertByX(QXYSeries* series, double x, double y);
    void updateFront(std::size_t modelIndex);
    void useMetric(const SweepMetric& metric); // titles and axis of the points' metric
    void fitMetricAxis();

    SweepChartKind m_kind;
    SweepConfig m_config;
    std::unique_ptr<QChart> m_owned;
    QChart* m_chart = nullptr;
    QAbstractAxis* m_x = nullptr;
    QAbstractAxis* m_y = nullptr;
    std::map<std::string, QXYSeries*> m_series;
    std::size_t m_count = 0;
    double m_xlo = 0, m_xhi = 0, m_ylo = 0, m_yhi = 0; // data ranges (valid once m_count > 0)
    std::int64_t m_maxK = 1;
    SweepMetric m_metric; // of the first point (classify until then)
    bool m_metricSet = false;
    struct FrontPoint {
        double x = 0, y = 0; // y as shown (scale × score)
        double cost = 0;     // SweepPointResult::cost(): minimised
    };
    std::map<std::size_t, std::vector<FrontPoint>> m_frontPoints; // per model (Pareto kinds)
    std::map<std::size_t, QXYSeries*> m_front;
};

} // namespace circnn::charts
