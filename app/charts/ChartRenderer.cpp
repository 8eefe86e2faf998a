#include "ChartRenderer.h"

#include <QApplication>
#include <QBuffer>
#include <QChart>
#include <QGraphicsScene>
#include <QPainter>
#include <QSvgGenerator>

#include <cstdlib>

namespace circnn::charts {

void ensureGuiApplication()
{
    if (QCoreApplication::instance())
        return;
    if (!std::getenv("QT_QPA_PLATFORM") && !std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY"))
        ::setenv("QT_QPA_PLATFORM", "offscreen", 0);
    static int argc = 1;
    static char name[] = "circnn";
    static char* argv[] = {name, nullptr};
    static QApplication* app = new QApplication(argc, argv); // lives until the process ends
    (void)app;
}

void paintChart(QChart& chart, QPainter& painter, const QRectF& target)
{
    // A scene of its own for the duration of the call; the chart is handed back afterwards.
    QGraphicsScene scene;
    scene.addItem(&chart);
    chart.setAnimationOptions(QChart::NoAnimation);
    chart.resize(target.size());
    chart.setPos(0, 0);
    scene.setSceneRect(QRectF(QPointF(0, 0), target.size()));
    scene.render(&painter, target, QRectF(QPointF(0, 0), target.size()));
    scene.removeItem(&chart);
}

QByteArray chartToSvg(QChart& chart, QSize size, const QString& title)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator svg;
    svg.setOutputDevice(&buffer);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setTitle(title);
    {
        QPainter painter(&svg);
        painter.fillRect(QRect(QPoint(0, 0), size), Qt::white);
        paintChart(chart, painter, QRectF(QPointF(0, 0), size));
    }
    return buffer.data();
}

QImage chartToImage(QChart& chart, QSize size)
{
    QImage image(size, QImage::Format_ARGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    paintChart(chart, painter, QRectF(QPointF(0, 0), size));
    return image;
}

} // namespace circnn::charts
