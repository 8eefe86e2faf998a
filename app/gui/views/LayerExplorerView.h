#pragma once

#include <QWidget>

#include <cstdint>
#include <memory>
#include <vector>

class QButtonGroup;
class QComboBox;
class QLabel;
class QSlider;

namespace circnn {
struct WeightMatrixView;
}

namespace circnn::gui {

class Document;
class HeatmapWidget;

// The layer explorer: the selected layer's weight matrix as a heatmap (zoom, pan, legend, hover
// read-out, block grid), a block-size control over the valid sizes, and a switch between the
// original, its block-circulant projection and the residual (with the relative Frobenius
// residual). Changing the layer, the Conv2D tap or k recomputes the projection on the job runner
// (channel "projection", the latest request wins); the result goes to the document, where the block
// inspector picks it up. A click selects a block. A DepthwiseConv2D layer (no matrix: it stays
// dense) shows its kh × kw filters instead, one channel chosen in the tap box or all tiled, with the
// stays-dense reason under the heatmap and the block size fixed at 1.
class LayerExplorerView : public QWidget {
    Q_OBJECT
public:
    enum class Show { Original, Projection, Residual };

    explicit LayerExplorerView(Document* document, QWidget* parent = nullptr);

    void setBlockSize(std::int64_t k); // one of blockSizes(); recomputes
    void setShow(Show show);
    // −1 = all taps tiled (Conv2D); DepthwiseConv2D: the channel (−1 = all); MultiHeadAttention: the
    // projection 0..3 (query, key, value, output).
    void setTap(std::int64_t tap);
    std::int64_t blockSize() const { return m_k; }
    Show show() const { return m_show; }
    const std::vector<std::int64_t>& blockSizes() const { return m_ks; }

    HeatmapWidget* heatmap() const { return m_heatmap; }
    QString residualText() const;

private:
    void onLayerSelected(int layer);
    void requestProjection(bool reuseMatrix);
    void onProjection();
    void updateHeatmap(bool keepView);

    Document* m_doc;
    HeatmapWidget* m_heatmap;
    QComboBox* m_tapBox;
    QLabel* m_tapLabel;
    QSlider* m_kSlider;
    QLabel* m_kLabel;
    QButtonGroup* m_showGroup;
    QComboBox* m_downsample;
    QLabel* m_info;
    QLabel* m_residual;
    std::vector<std::int64_t> m_ks{1};
    std::int64_t m_k = 1, m_tap = -1;
    Show m_show = Show::Original;
    int m_layer = -1;
    // The original matrix the heatmap shows (null when it shows a projection or residual).
    std::shared_ptr<const WeightMatrixView> m_shownMatrix;
};

} // namespace circnn::gui
