#include "ChartExport.h"

#include <QBuffer>
#include <QChart>
#include <QChartView>
#include <QFileInfo>
#include <QPainter>
#include <QSvgGenerator>

#include <string>

#include "ChartRenderer.h"
#include "common/AtomicFile.h"
#include "common/Error.h"

namespace circnn::charts {

void saveImagePng(const QImage& image, const QString& path)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (image.isNull() || !image.save(&buffer, "PNG"))
        throw Error("cannot encode the picture for '" + path.toStdString() + "' as PNG");
    writeTextFileAtomically(path.toStdString(), std::string(bytes.constData(), std::size_t(bytes.size())));
}

void saveChart(QChart& chart, const QString& path, QSize size)
{
    if (QFileInfo(path).suffix().compare("svg", Qt::CaseInsensitive) == 0) {
        const QByteArray svg = chartToSvg(chart, size, chart.title());
        writeTextFileAtomically(path.toStdString(), std::string(svg.constData(), std::size_t(svg.size())));
        return;
    }
    saveImagePng(chartToImage(chart, size), path);
}

void saveChartView(QChartView& view, const QString& path)
{
    const QSize size = view.viewport()->size().isEmpty() ? QSize(800, 500) : view.viewport()->size();
    if (QFileInfo(path).suffix().compare("svg", Qt::CaseInsensitive) == 0) {
        QBuffer buffer;
        buffer.open(QIODevice::WriteOnly);
        QSvgGenerator svg;
        svg.setOutputDevice(&buffer);
        svg.setSize(size);
        svg.setViewBox(QRect(QPoint(0, 0), size));
        if (view.chart())
            svg.setTitle(view.chart()->title());
        {
            QPainter painter(&svg);
            painter.fillRect(QRect(QPoint(0, 0), size), Qt::white);
            view.render(&painter, QRectF(QPointF(0, 0), size), view.viewport()->rect());
        }
        const QByteArray bytes = buffer.data();
        writeTextFileAtomically(path.toStdString(), std::string(bytes.constData(), std::size_t(bytes.size())));
        return;
    }
    QImage image(size, QImage::Format_ARGB32);
    image.fill(Qt::white);
    {
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        view.render(&painter, QRectF(QPointF(0, 0), size), view.viewport()->rect());
    }
    saveImagePng(image, path);
}

} // namespace circnn::charts
