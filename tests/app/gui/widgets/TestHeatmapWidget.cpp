// HeatmapWidget, offscreen: a count matrix shown with the sequential colour map (white at 0, darker
// with the count, saturating above the scale; legend 0 … "≥ scale" titled "count"), class labels
// on both axes (the plot moves right and up to make room; labels thinned when rows are narrower
// than text), each cell's count written in it, and a title line whose size and zoom part is never
// elided. The diverging map (weights) stays symmetric about white.

#include <QApplication>
#include <QImage>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <vector>

#include "widgets/ColourMap.h"
#include "widgets/HeatmapWidget.h"

using namespace circnn;
using gui::ColourMap;
using gui::ColourMapKind;
using gui::HeatmapWidget;

namespace {
QRgb pixel(HeatmapWidget& h, QPointF at)
{
    const QImage shot = h.grab().toImage();
    return shot.pixel((at * shot.devicePixelRatio()).toPoint());
}

// A 4×4 "confusion matrix": the diagonal 50, off-diagonal 0…6.
std::shared_ptr<const std::vector<float>> counts()
{
    return std::make_shared<const std::vector<float>>(
        std::vector<float>{50, 2, 0, 1, 3, 50, 6, 0, 0, 4, 50, 5, 1, 0, 2, 50});
}
} // namespace

class TestHeatmapWidget : public QObject {
    Q_OBJECT
private slots:
    void colourMaps()
    {
        const ColourMap seq(ColourMapKind::Sequential), div(ColourMapKind::Diverging);
        // Sequential: 0 is the lightest (near white), the scale the darkest; monotone in between;
        // above the scale saturates; negatives clamp to 0.
        QCOMPARE(seq.index(0, 10), static_cast<unsigned char>(0));
        QCOMPARE(seq.index(10, 10), static_cast<unsigned char>(255));
        QCOMPARE(seq.index(25, 10), static_cast<unsigned char>(255));
        QCOMPARE(seq.index(-3, 10), static_cast<unsigned char>(0));
        int previous = 256;
        for (int i = 0; i <= 10; ++i) {
            const int lightness = QColor(seq.colour(float(i), 10)).lightness();
            QVERIFY2(lightness < previous, qPrintable(QString::number(i)));
            previous = lightness;
        }
        QVERIFY(QColor(seq.colour(0, 10)).lightness() > 240);
        QVERIFY(!seq.isDark(0) && seq.isDark(255));
        // Diverging: white at 0, blue below, red above, symmetric.
        QVERIFY(QColor(div.colour(0, 1)).lightness() > 240);
        QVERIFY(QColor(div.colour(-1, 1)).blue() > QColor(div.colour(-1, 1)).red());
        QVERIFY(QColor(div.colour(1, 1)).red() > QColor(div.colour(1, 1)).blue());
        QCOMPARE(int(div.index(0.5f, 1)) + int(div.index(-0.5f, 1)), 255);
        QCOMPARE(HeatmapWidget::colourFor(0.5f, 1), div.colour(0.5f, 1));
        QCOMPARE(HeatmapWidget::colourFor(3, 6, ColourMapKind::Sequential), seq.colour(3, 6));
        // Legend ticks: counts as integers from the scale down to 0; weights ±scale around 0.
        QCOMPARE(seq.tickLabels(8, false), QStringList({"8", "6", "4", "2", "0"}));
        QCOMPARE(seq.tickLabels(8, true).front(), QString("≥ 8"));
        QCOMPARE(div.tickLabels(0.5, false), QStringList({"0.5", "0.25", "0", "-0.25", "-0.5"}));
    }

    void countsWithLabelsAndValues()
    {
        HeatmapWidget h;
        h.resize(640, 520);
        h.show();
        QVERIFY(QTest::qWaitForWindowExposed(&h));
        h.setMatrix(counts(), 4, 4, 6, "counts");
        const QPointF before = h.cellCentre(0, 0);
        const QStringList names{"0 cat", "1 dog", "2 bird", "3 fish"};
        h.setColourMap(ColourMapKind::Sequential, "count");
        h.setAxisLabels(names, names, "true class", "predicted class");
        h.setCellValuesShown(true);
        QCOMPARE(h.axisLabels().rowLabels(), names);
        // Room for the row labels on the left and the upright column labels below.
        const QPointF after = h.cellCentre(0, 0);
        QVERIFY(after.x() > before.x() + QFontMetrics(h.font()).horizontalAdvance("2 bird"));
        QVERIFY(h.cellCentre(3, 3).y() + h.zoomY() / 2 <
                h.height() - QFontMetrics(h.font()).horizontalAdvance("2 bird"));
        // The largest count (50) is above the scale (6): the legend's top reads "≥ 6", its title "count".
        QCOMPARE(h.legendLabels(), QStringList({"≥ 6", "4.5", "3", "1.5", "0"}));
        // Colours away from the written value (a corner of the cell): the sequential map's.
        const auto matrix = counts();
        const float* m = matrix->data();
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 4; ++c) {
                const QPointF corner = h.cellCentre(r - 0.35, c - 0.35);
                QCOMPARE(QColor(pixel(h, corner)).name(),
                         QColor(HeatmapWidget::colourFor(m[r * 4 + c], 6, ColourMapKind::Sequential)).name());
            }
        // The counts are written in the cells: a dark (saturated) diagonal cell has white text, so
        // its centre region holds light pixels; a zero cell stays uniform except for its "0".
        const QImage shot = h.grab().toImage();
        const qreal dpr = shot.devicePixelRatio();
        auto lightPixelsIn = [&](int r, int c) {
            int n = 0;
            const QPointF centre = h.cellCentre(r, c);
            for (int dy = -6; dy <= 6; ++dy)
                for (int dx = -10; dx <= 10; ++dx)
                    n += QColor(shot.pixel(((centre + QPointF(dx, dy)) * dpr).toPoint())).lightness() > 200;
            return n;
        };
        QVERIFY(lightPixelsIn(1, 1) > 3);
        // A click still reports the cell (the confusion view lists its samples).
        QSignalSpy clicked(&h, &HeatmapWidget::cellClicked);
        QTest::mouseClick(&h, Qt::LeftButton, {}, h.cellCentre(2, 3).toPoint());
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.front().at(0).toLongLong(), 2LL);
        QCOMPARE(clicked.front().at(1).toLongLong(), 3LL);
        // The title line keeps "4 × 4 — … px/entry" whole however long the title is.
        h.setTitle(QString("a very long caption ").repeated(10));
        const QString title = h.titleText();
        QVERIFY2(title.contains(QString::fromUtf8("4 × 4")) && title.endsWith("px/entry"), qPrintable(title));
        QVERIFY(QFontMetrics(h.font()).horizontalAdvance(title) <= h.width());
    }

    void labelsThinnedWhenRowsAreNarrow()
    {
        HeatmapWidget h;
        h.resize(400, 300);
        h.show();
        QVERIFY(QTest::qWaitForWindowExposed(&h));
        const int n = 100;
        auto values = std::make_shared<std::vector<float>>(std::size_t(n * n), 1.0f);
        h.setMatrix(values, n, n, 1, "100 classes");
        QStringList labels;
        for (int i = 0; i < n; ++i)
            labels << QString::number(i);
        h.setColourMap(ColourMapKind::Sequential, "count");
        h.setAxisLabels(labels, labels, "true", "predicted");
        h.setCellValuesShown(true); // cells of ~2 px: no values written, nothing breaks
        QVERIFY(h.zoomY() < QFontMetrics(h.font()).height());
        const QImage shot = h.grab().toImage();
        QVERIFY(!shot.isNull());
    }
};

QTEST_MAIN(TestHeatmapWidget)
#include "TestHeatmapWidget.moc"
