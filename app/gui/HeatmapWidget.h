#pragma once

#include <QImage>
#include <QString>
#include <QWidget>

#include <vector>

namespace circnn::gui {

// Shows a rows×cols matrix as a heatmap: an 8-bit indexed QImage with a 256-colour diverging
// table (blue < 0 < red, symmetric about zero), scaled to the widget with a colour bar. Hovering
// shows the row, column and value. Optional grid lines mark k×k blocks.
class HeatmapWidget : public QWidget {
    Q_OBJECT
public:
    explicit HeatmapWidget(QWidget* parent = nullptr);

    // A matrix rendered for display: safe to build on a worker thread (QImage is not a widget).
    struct Rendered {
        std::vector<float> values;  // row-major rows×cols (kept for hover read-out)
        int rows = 0, cols = 0;
        float scale = 1.0f;         // colour scale ±scale (max |finite value|)
        QImage image;               // rows×cols, 8-bit indexed, diverging colour table
    };
    // values: row-major rows×cols. Colour scale ±max|value|.
    static Rendered render(std::vector<float> values, int rows, int cols);

    void setMatrix(std::vector<float> values, int rows, int cols, const QString& title);
    void setRendered(Rendered rendered, const QString& title);
    void setBlockGrid(int k);  // 0 = no grid
    void clear(const QString& message);

    int matrixRows() const { return m_rows; }
    int matrixCols() const { return m_cols; }
    const QImage& image() const { return m_image; }

    QSize sizeHint() const override { return {480, 360}; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    QRect plotRect() const;

    std::vector<float> m_values;
    int m_rows = 0, m_cols = 0, m_blockK = 0;
    float m_scale = 1.0f;
    QImage m_image;
    QString m_title, m_message;
};

} // namespace circnn::gui
