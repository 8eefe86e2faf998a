#include "PdfReport.h"

#include <QAbstractTextDocumentLayout>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QTextDocument>

#include "ReportCharts.h"
#include "ReportHtml.h"
#include "charts/ChartRenderer.h"
#include "common/AtomicFile.h"
#include "common/Error.h"

namespace circnn::report {

namespace {

// QTextDocument understands a subset of CSS: borders come from the table attributes.
const char* kDocumentStyle = "h1{font-size:16pt}h2{font-size:12pt;margin-top:10px}h3{font-size:10pt}"
                             "th{background-color:#eef1f5;text-align:left}td.r{text-align:right}"
                             ".note{color:#555555;font-size:7pt}.sub{color:#666666}.sha{color:#555555;font-size:6.5pt}";

QString forTextDocument(QString html)
{
    // Cell borders and padding as table attributes (QTextDocument ignores CSS borders).
    html.replace("<table>", "<table border=\"1\" cellspacing=\"0\" cellpadding=\"2\" style=\"border-color:#bbbbbb\">");
    html.replace("<table class=\"kv\">", "<table border=\"0\" cellspacing=\"0\" cellpadding=\"2\">");
    return html;
}

// Draws `html` from the top of a fresh page, as many pages as it needs; returns the pages used.
int paintDocument(QPdfWriter& pdf, QPainter& painter, const QString& html, const QSizeF& page, bool& firstPage)
{
    QTextDocument doc;
    doc.setDefaultStyleSheet(kDocumentStyle);
    QFont font("DejaVu Sans");
    font.setPointSizeF(7.5);
    doc.setDefaultFont(font);
    doc.setDocumentMargin(0);
    doc.setHtml(forTextDocument(html));
    doc.setPageSize(page);
    const int pages = doc.pageCount();
    for (int i = 0; i < pages; ++i) {
        if (!firstPage)
            pdf.newPage();
        firstPage = false;
        painter.save();
        painter.translate(0, -i * page.height());
        QAbstractTextDocumentLayout::PaintContext ctx;
        ctx.clip = QRectF(0, i * page.height(), page.width(), page.height());
        doc.documentLayout()->draw(&painter, ctx);
        painter.restore();
    }
    return pages;
}

// Writes the PDF; drawChart(i, painter, target) draws chart i of `charts` (ids and captions).
template <class Charts, class Draw>
PdfReportInfo writePdf(const SweepReport& report, const Charts& charts, const std::string& path, Draw drawChart,
                       const ProgressFn& progress)
{
    PdfReportInfo info;
    const std::size_t steps = charts.size() + 2;
    writeFileAtomically(path, [&](const std::filesystem::path& tmp) {
        QPdfWriter pdf(QString::fromStdString(tmp.string()));
        pdf.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Landscape, QMarginsF(12, 12, 12, 12),
                                      QPageLayout::Millimeter));
        pdf.setResolution(96);
        pdf.setTitle(QString::fromStdString(report.title));
        pdf.setCreator(QString::fromStdString(report.tool));
        QPainter painter;
        if (!painter.begin(&pdf))
            throw Error("cannot write the PDF '" + path + "'");
        const QRectF area = pdf.pageLayout().paintRectPixels(pdf.resolution());
        const QSizeF page = area.size();
        bool first = true;
        reportProgress(progress, 0, steps);
        info.pages += paintDocument(pdf, painter, reportFrontHtml(report), page, first);
        reportProgress(progress, 1, steps);
        // Charts: two per page, side by side, each with its caption below.
        QFont captionFont("DejaVu Sans");
        captionFont.setPointSizeF(7.5);
        const double gap = 16, captionH = 40;
        const QSizeF size = pdfChartSize();
        const double w = size.width(), h = size.height();
        for (std::size_t i = 0; i < charts.size(); ++i) {
            if (i % 2 == 0) {
                pdf.newPage();
                ++info.pages;
            }
            const QRectF target((i % 2) * (w + gap), 0, w, h);
            drawChart(i, painter, target);
            painter.setFont(captionFont);
            painter.setPen(QColor(0x44, 0x44, 0x44));
            painter.drawText(QRectF(target.left(), h + 4, w, captionH), Qt::TextWordWrap, charts[i].caption);
            info.chartPages.push_back(info.pages);
            info.chartIds.push_back(charts[i].id);
            reportProgress(progress, i + 2, steps);
        }
        first = false; // the back pages start on a page of their own
        info.pages += paintDocument(pdf, painter, reportBackHtml(report), page, first);
        painter.end();
        reportProgress(progress, steps, steps);
    });
    return info;
}

} // namespace

PdfReportInfo writeSweepReportPdf(const SweepReport& report, const std::string& path)
{
    charts::ensureGuiApplication();
    std::vector<ReportChart> charts = buildReportCharts(report);
    return writePdf(report, charts, path,
                    [&charts](std::size_t i, QPainter& painter, const QRectF& target) {
                        charts::paintChart(*charts[i].chart, painter, target);
                    },
                    {});
}

PdfReportInfo writeSweepReportPdf(const SweepReport& report, const std::vector<RecordedChart>& charts,
                                  const std::string& path, const ProgressFn& progress)
{
    return writePdf(
        report, charts, path,
        [&charts](std::size_t i, QPainter& painter, const QRectF& target) {
            painter.drawPicture(target.topLeft(), charts[i].picture);
        },
        progress);
}

} // namespace circnn::report
