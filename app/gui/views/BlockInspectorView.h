#pragma once

#include <QWidget>

class QChartView;
class QLabel;
class QLineSeries;

namespace circnn::gui {

class Document;
class HeatmapWidget;

// The block inspector: for the block selected in the explorer (Document::blockSelected), its
// defining vector (the block of the projection: for a dense layer that is the block-circulant
// approximation of the original block), the vector's spectrum (magnitude and phase), and the block
// as k×k heatmaps, original beside circulant. Arrow keys step between blocks, Home returns to (0, 0).
class BlockInspectorView : public QWidget {
    Q_OBJECT
public:
    explicit BlockInspectorView(Document* document, QWidget* parent = nullptr);

    // The series on display (tests compare them with core values); null when nothing is shown.
    QLineSeries* vectorSeries() const;
    QLineSeries* magnitudeSeries() const;
    QLineSeries* phaseSeries() const;
    QString headerText() const;

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    void showBlock(qint64 i, qint64 j);

    Document* m_doc;
    QLabel* m_header;
    QChartView* m_vector;
    QChartView* m_spectrum;
    HeatmapWidget* m_original;
    HeatmapWidget* m_circulant;
};

} // namespace circnn::gui
