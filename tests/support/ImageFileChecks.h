#pragma once
// Checks of rendered output shared by the chart and GUI suites: a picture is not blank, an SVG
// file parses and draws shapes.

#include <QFile>
#include <QImage>
#include <QSet>
#include <QStringList>
#include <QXmlStreamReader>

namespace circnn::test {

// Distinct colours of an image, sampling every `step`-th pixel in both directions.
inline int distinctColours(const QImage& image, int step = 2)
{
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += step)
        for (int x = 0; x < image.width(); x += step)
            colours.insert(image.pixel(x, y));
    return static_cast<int>(colours.size());
}

// Drawn shapes of an SVG file (Qt writes lines as <polyline>, curves as <path>, markers as
// <circle>); −1 when the file cannot be read or does not parse.
inline int svgShapes(const QString& file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    QXmlStreamReader xml(&f);
    int shapes = 0;
    while (!xml.atEnd())
        if (xml.readNext() == QXmlStreamReader::StartElement &&
            QStringList{"path", "polyline", "polygon", "circle", "ellipse", "line"}.contains(xml.name().toString()))
            ++shapes;
    return xml.hasError() ? -1 : shapes;
}

} // namespace circnn::test
