#include "ReportCharts.h"

#include <QPageLayout>
#include <QPageSize>
#include <QPainter>

#include <algorithm>

#include "charts/ChartRenderer.h"

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

QSizeF pdfChartSize()
{
    // The PDF writer's page (PdfReport.cpp): A4 landscape, 12 mm margins, 96 dpi; two charts side
    // by side with a 16 px gap and a 40 px caption under each.
    const QPageLayout layout(QPageSize(QPageSize::A4), QPageLayout::Landscape, QMarginsF(12, 12, 12, 12),
                             QPageLayout::Millimeter);
    const QSizeF page = layout.paintRectPixels(96).size();
    const double gap = 16, captionH = 40;
    const double w = (page.width() - gap) / 2;
    return {w, std::min(page.height() - captionH, w)};
}

namespace {
RecordedChart recordedHeader(const ReportChart& chart)
{
    RecordedChart r;
    r.id = chart.id;
    r.title = chart.title;
    r.caption = chart.caption;
    return r;
}
} // namespace

RecordedChart recordChartForHtml(ReportChart& chart)
{
    RecordedChart r = recordedHeader(chart);
    r.svg = charts::chartToSvg(*chart.chart, kHtmlChartSize, chart.title);
    return r;
}

RecordedChart recordChartForPdf(ReportChart& chart)
{
    RecordedChart r = recordedHeader(chart);
    QPainter painter(&r.picture);
    charts::paintChart(*chart.chart, painter, QRectF(QPointF(0, 0), pdfChartSize()));
    painter.end();
    return r;
}

} // namespace circnn::report
