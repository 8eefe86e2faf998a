#include "ReportCharts.h"

namespace circnn::report {

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
    add("accuracy-k", charts::accuracyVsBlockSizeChart(r),
        "Measured on the evaluation set; the dotted line is the dense model. Each line is one accuracy mode.");
    add("pareto-compression", charts::accuracyVsCompressionChart(r),
        "Every point of the sweep; points on the dashed line are not beaten in both accuracy and compression.");
    add("energy-k", charts::energyVsBlockSizeChart(r),
        "Hardware cost model estimates (docs/hardware-model.md), not measurements.");
    add("fps-k", charts::framesPerSecondVsBlockSizeChart(r),
        "Hardware cost model estimates at the report's precision and batch.");
    add("residual-k", charts::residualVsBlockSizeChart(r),
        "How much of each layer's weight matrix the block-circulant projection loses (0 = nothing).");
    add("sensitivity", charts::sensitivityChart(r),
        "One layer converted at a time over the k list, the other layers dense.");
    add("pareto-latency", charts::accuracyVsLatencyChart(r),
        "Measured by the engine on this machine, one sample at a time on one thread.");
    return out;
}

} // namespace circnn::report
