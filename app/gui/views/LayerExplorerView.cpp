#include "LayerExplorerView.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QSlider>
#include <QVBoxLayout>

#include <algorithm>

#include "Document.h"
#include "JobRunner.h"
#include "analysis/WeightHistogram.h"
#include "model/LayerTraits.h"
#include "widgets/HeatmapWidget.h"

namespace circnn::gui {

namespace {
float maxMagnitude(const std::vector<float>& values)
{
    const ValueHistogram h = valueHistogram(values, 1);
    const float m = static_cast<float>(std::max(std::abs(h.min), std::abs(h.max)));
    return m > 0 ? m : 1.0f;
}
} // namespace

LayerExplorerView::LayerExplorerView(Document* document, QWidget* parent) : QWidget(parent), m_doc(document)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    // Two rows of controls, so that the view's minimum width stays well below the window's (a
    // minimum that grows with content resizes the whole window, and repaints all of it).
    auto* controls = new QHBoxLayout;
    m_tapBox = new QComboBox(this);
    m_tapBox->setToolTip(tr("Conv2D: one spatial tap (C_out × C_in), or all taps side by side (C_out × taps·C_in)"));
    m_tapBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_tapBox->setMinimumContentsLength(12);
    m_tapLabel = new QLabel(tr("Tap:"), this);
    m_tapLabel->setMinimumWidth(m_tapLabel->fontMetrics().horizontalAdvance(tr("Channel:")));
    controls->addWidget(m_tapLabel);
    controls->addWidget(m_tapBox);
    controls->addSpacing(8);
    controls->addWidget(new QLabel(tr("Block size k:"), this));
    m_kSlider = new QSlider(Qt::Horizontal, this);
    m_kSlider->setObjectName("kSlider");
    m_kSlider->setMinimumWidth(120);
    m_kSlider->setPageStep(1);
    m_kSlider->setTickPosition(QSlider::TicksBelow);
    m_kLabel = new QLabel(this);
    m_kLabel->setMinimumWidth(m_kLabel->fontMetrics().horizontalAdvance(QStringLiteral("k = 00000")));
    controls->addWidget(m_kSlider, 1);
    controls->addWidget(m_kLabel);
    layout->addLayout(controls);
    auto* display = new QHBoxLayout;
    m_showGroup = new QButtonGroup(this);
    const QStringList names = {tr("Original"), tr("Projection"), tr("Residual")};
    for (int i = 0; i < names.size(); ++i) {
        auto* b = new QRadioButton(names[i], this);
        m_showGroup->addButton(b, i);
        display->addWidget(b);
    }
    m_showGroup->button(0)->setChecked(true);
    display->addSpacing(8);
    m_downsample = new QComboBox(this);
    m_downsample->addItems({tr("area mean"), tr("max |w|")});
    m_downsample->setToolTip(tr("How entries are combined when several fall on one screen pixel"));
    display->addWidget(m_downsample);
    auto* fit = new QPushButton(tr("Fit"), this);
    auto* one = new QPushButton(tr("1:1"), this);
    display->addWidget(fit);
    display->addWidget(one);
    display->addStretch(1);
    layout->addLayout(display);
    m_info = new QLabel(this);
    m_info->setWordWrap(true);
    m_residual = new QLabel(this);
    m_residual->setObjectName("residualLabel");
    m_residual->setWordWrap(true);
    m_residual->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_info);
    layout->addWidget(m_residual);
    m_heatmap = new HeatmapWidget(this);
    layout->addWidget(m_heatmap, 1);

    connect(m_kSlider, &QSlider::valueChanged, this, [this](int index) {
        if (index >= 0 && index < static_cast<int>(m_ks.size()))
            setBlockSize(m_ks[static_cast<std::size_t>(index)]);
    });
    connect(m_tapBox, &QComboBox::activated, this,
            [this](int index) { setTap(m_tapBox->itemData(index).toLongLong()); });
    connect(m_showGroup, &QButtonGroup::idClicked, this, [this](int id) { setShow(static_cast<Show>(id)); });
    connect(m_downsample, &QComboBox::currentIndexChanged, this,
            [this](int i) { m_heatmap->setMode(i == 0 ? DownsampleMode::Mean : DownsampleMode::MaxMagnitude); });
    connect(fit, &QPushButton::clicked, m_heatmap, &HeatmapWidget::zoomToFit);
    connect(one, &QPushButton::clicked, m_heatmap, &HeatmapWidget::zoomOneToOne);
    connect(m_heatmap, &HeatmapWidget::cellClicked, this, [this](qint64 row, qint64 col) {
        const auto& p = m_doc->projection();
        if (!p || p->projection.k <= 1)
            return;
        const MatrixProjection& mp = p->projection;
        const std::int64_t qs = mp.blocksPerSegment();
        m_doc->selectBlock(row / mp.k, (col / mp.segmentCols) * qs + (col % mp.segmentCols) / mp.k);
    });
    connect(m_heatmap, &HeatmapWidget::blockStep, this, [this](int di, int dj) {
        if (m_doc->blockRow() >= 0)
            m_doc->selectBlock(m_doc->blockRow() + di, m_doc->blockCol() + dj);
    });
    connect(m_doc, &Document::layerSelected, this, &LayerExplorerView::onLayerSelected);
    connect(m_doc, &Document::weightsLoaded, this, [this] { onLayerSelected(m_doc->selectedLayer()); });
    connect(m_doc, &Document::projectionChanged, this, &LayerExplorerView::onProjection);
    connect(m_doc, &Document::blockSelected, this, [this](qint64 i, qint64 j) {
        const auto& p = m_doc->projection();
        if (!p || i < 0)
            m_heatmap->setHighlight(0, 0, 0);
        else
            m_heatmap->setHighlight(p->projection.blockRow0(i), p->projection.blockCol0(j), p->projection.k);
    });
}

void LayerExplorerView::onLayerSelected(int layer)
{
    m_layer = layer;
    const LayerSpec* l = m_doc->selectedLayerSpec();
    const bool depthwise = l && hasDepthwiseKernel(*l);
    const bool attention = l && hasAttentionProjections(*l);
    if (!l || (!hasWeightMatrix(*l) && !depthwise && !attention) || m_doc->weightsPending()) {
        m_doc->jobs()->cancel(QStringLiteral("projection"));
        m_heatmap->clear(l && m_doc->weightsPending() ? tr("Loading weights…")
                         : l                          ? tr("Layer '%1' (%2) has no weight matrix")
                                   .arg(QString::fromStdString(l->name), layerKindName(l->kind))
                             : tr("Select a Dense or Conv2D layer"));
        m_info->clear();
        m_residual->clear();
        m_shownMatrix.reset();
        m_doc->setProjection(nullptr);
        return;
    }
    const QSignalBlocker block(m_tapBox);
    m_tapBox->clear();
    m_tap = -1;
    m_kSlider->setEnabled(!depthwise);
    if (depthwise) { // one kh × kw filter per channel, no block sizes: it stays dense
        m_tapLabel->setText(tr("Channel:"));
        m_tapBox->setToolTip(tr("DepthwiseConv2D: one channel's kh × kw filter, or all filters tiled"));
        const std::int64_t channels = depthwiseChannels(*l);
        m_tapBox->addItem(tr("all %1 channels").arg(channels), qlonglong(-1));
        for (std::int64_t c = 0; c < channels; ++c)
            m_tapBox->addItem(tr("channel %1").arg(c), qlonglong(c));
        m_tapBox->setEnabled(true);
        m_ks = {1};
        m_k = 1;
        const QSignalBlocker blockSlider(m_kSlider);
        m_kSlider->setRange(0, 0);
        m_kLabel->setText(tr("k = 1"));
        m_heatmap->clear(tr("Preparing '%1'…").arg(QString::fromStdString(l->name)));
        requestProjection(false);
        return;
    }
    if (attention) { // four projection matrices, no matrix of them all
        m_tapLabel->setText(tr("Projection:"));
        m_tapBox->setToolTip(tr("MultiHeadAttention: the query, key, value or output projection (W = kernelᵀ)"));
        for (std::int64_t p = 0; p < 4; ++p)
            m_tapBox->addItem(QString::fromUtf8(attentionProjectionName(p)), qlonglong(p));
        m_tap = 0;
        m_tapBox->setEnabled(true);
    } else {
        m_tapLabel->setText(tr("Tap:"));
        m_tapBox->setToolTip(
            tr("Conv2D: one spatial tap (C_out × C_in), or all taps side by side (C_out × taps·C_in)"));
        const std::int64_t taps = tapCount(*l);
        m_tapBox->addItem(taps > 1 ? tr("all %1 taps").arg(taps) : tr("matrix"), qlonglong(-1));
        for (std::int64_t t = 0; t < taps && taps > 1; ++t)
            m_tapBox->addItem(tr("tap (%1, %2)").arg(t / l->kernelW).arg(t % l->kernelW), qlonglong(t));
        m_tapBox->setEnabled(taps > 1);
    }
    // Default k: the layer's own, else 8 when offered, else the largest offered below it.
    const std::int64_t own = storedBlockSize(*l, m_tap);
    m_ks = validBlockSizes(matrixRows(*l, m_tap), segmentColumns(*l, m_tap), own);
    m_k = own > 1 ? own : 1;
    if (own <= 1)
        for (std::int64_t k : m_ks)
            if (k <= 8)
                m_k = k;
    const QSignalBlocker blockSlider(m_kSlider);
    m_kSlider->setRange(0, static_cast<int>(m_ks.size()) - 1);
    m_kSlider->setValue(static_cast<int>(std::find(m_ks.begin(), m_ks.end(), m_k) - m_ks.begin()));
    m_kLabel->setText(tr("k = %1").arg(m_k));
    m_heatmap->clear(tr("Preparing '%1'…").arg(QString::fromStdString(l->name)));
    requestProjection(false);
}

void LayerExplorerView::setTap(std::int64_t tap)
{
    if (tap == m_tap)
        return;
    m_tap = tap;
    const int index = m_tapBox->findData(qlonglong(tap));
    if (index >= 0)
        m_tapBox->setCurrentIndex(index);
    if (const LayerSpec* l = m_doc->selectedLayerSpec(); l && !hasDepthwiseKernel(*l)) {
        const std::int64_t own = storedBlockSize(*l, tap);
        m_ks = validBlockSizes(matrixRows(*l, tap), segmentColumns(*l, tap), own);
        if (std::find(m_ks.begin(), m_ks.end(), m_k) == m_ks.end())
            m_k = m_ks.back();
        const QSignalBlocker block(m_kSlider);
        m_kSlider->setRange(0, static_cast<int>(m_ks.size()) - 1);
        m_kSlider->setValue(static_cast<int>(std::find(m_ks.begin(), m_ks.end(), m_k) - m_ks.begin()));
        m_kLabel->setText(tr("k = %1").arg(m_k));
    }
    requestProjection(false);
}

void LayerExplorerView::setBlockSize(std::int64_t k)
{
    const auto it = std::find(m_ks.begin(), m_ks.end(), k);
    if (it == m_ks.end() || (k == m_k && m_doc->projection() && m_doc->projection()->projection.k == k))
        return;
    m_k = k;
    {
        const QSignalBlocker block(m_kSlider);
        m_kSlider->setValue(static_cast<int>(it - m_ks.begin()));
    }
    m_kLabel->setText(tr("k = %1").arg(k));
    m_residual->setText(tr("Projecting at k = %1…").arg(k));
    requestProjection(true);
}

void LayerExplorerView::setShow(Show show)
{
    m_show = show;
    if (auto* b = m_showGroup->button(static_cast<int>(show)))
        b->setChecked(true);
    updateHeatmap(true);
}

void LayerExplorerView::requestProjection(bool reuseMatrix)
{
    const auto model = m_doc->model();
    if (!model || m_layer < 0 || m_doc->weightsPending()) // weightsLoaded calls onLayerSelected again
        return;
    std::shared_ptr<const WeightMatrixView> matrix;
    const auto& current = m_doc->projection();
    if (reuseMatrix && current && current->layer == m_layer && current->tap == m_tap)
        matrix = current->matrix;
    const int layer = m_layer;
    const std::int64_t tap = m_tap, k = m_k;
    const float scale = matrix ? current->scale : 0.0f;
    m_doc->jobs()->run(
        QStringLiteral("projection"), tr("Projecting at k = %1").arg(k),
        [model, layer, tap, k, matrix, scale](const ProgressFn& progress) {
            auto p = std::make_shared<LayerProjection>();
            p->layer = layer;
            p->tap = tap;
            const LayerSpec& l = model->layers[static_cast<std::size_t>(layer)];
            p->matrix = matrix ? matrix : std::make_shared<const WeightMatrixView>(layerMatrix(l, tap));
            p->scale = matrix ? scale : maxMagnitude(p->matrix->values);
            p->projection =
                projectMatrix(p->matrix->values, p->matrix->rows, p->matrix->cols, k, segmentColumns(l, tap), progress);
            p->residualScale = k > 1 && p->projection.maxResidual > 0 ? p->projection.maxResidual : 1.0f;
            return std::shared_ptr<const LayerProjection>(std::move(p));
        },
        this, [this](const std::shared_ptr<const LayerProjection>& p) { m_doc->setProjection(p); },
        [this](const QString& message) { m_residual->setText(tr("Projection failed: %1").arg(message)); });
}

void LayerExplorerView::onProjection()
{
    const auto& p = m_doc->projection();
    if (!p) {
        m_residual->clear();
        return;
    }
    const LayerSpec* l = m_doc->selectedLayerSpec();
    const MatrixProjection& mp = p->projection;
    QString info = QString::fromStdString(p->matrix->description);
    if (const std::int64_t stored = l ? storedBlockSize(*l, p->tap) : 1; stored > 1)
        info += tr(" · stored block-circulant at k = %1 (each k×k block defined by one k-vector)").arg(stored);
    m_info->setText(info);
    const char* staysDense = l ? layerTraits(l->kind).staysDenseReason : nullptr;
    if (l && hasDepthwiseKernel(*l))
        m_residual->setText(tr("Stays dense (no block-circulant form): %1")
                                .arg(QString::fromUtf8(staysDense ? staysDense : "no channel mixing")));
    else
        m_residual->setText(mp.k > 1 ? tr("k = %1: %2 × %3 blocks · relative Frobenius residual ‖W − P(W)‖/‖W‖ = %4")
                                           .arg(mp.k)
                                           .arg(mp.blockRows)
                                           .arg(mp.blockCols)
                                           .arg(mp.relativeResidual, 0, 'f', 4)
                                     : tr("k = 1: the original matrix (no blocks)"));
    updateHeatmap(true);
}

QString LayerExplorerView::residualText() const
{
    return m_residual->text();
}

void LayerExplorerView::updateHeatmap(bool keepView)
{
    const auto& p = m_doc->projection();
    if (!p)
        return;
    const MatrixProjection& mp = p->projection;
    const LayerSpec* l = m_doc->selectedLayerSpec();
    const QString name = l ? QString::fromStdString(l->name) : QString();
    m_heatmap->setBlockGrid(mp.k, mp.segmentCols);
    // Depthwise filters tiled: the grid outlines the square kh × kh tiles.
    if (l && hasDepthwiseKernel(*l) && p->tap < 0 && l->kernelH == l->kernelW && l->kernelH > 1)
        m_heatmap->setBlockGrid(l->kernelH, mp.segmentCols);
    if (m_show == Show::Original) {
        const QString title = tr("%1 — %2").arg(name, tr("original"));
        // The same matrix as shown (only k changed): keep the rendered image, no re-render.
        if (m_shownMatrix == p->matrix && m_heatmap->matrixRows() == mp.rows) {
            m_heatmap->setTitle(title);
            return;
        }
        m_shownMatrix = p->matrix;
        // setSource rather than setMatrix: setMatrix scans every entry for the legend's largest
        // value on the GUI thread (16.8 M for 4096 × 4096: the 68–90 ms stall of an open); the
        // scale here is max |W| already, so no entry lies above it.
        const std::int64_t cols = mp.cols;
        m_heatmap->setSource(std::make_shared<const MatrixRowSource>(
                                 [p, cols](std::int64_t row, std::int64_t col0, std::int64_t, float*) {
                                     return static_cast<const float*>(p->matrix->values.data() + row * cols + col0);
                                 }),
                             mp.rows, mp.cols, p->scale, title, keepView);
        return;
    }
    m_shownMatrix.reset();
    // Projection and residual are generated row by row from the defining vectors: only what the
    // view shows is computed, on the heatmap's render thread.
    std::shared_ptr<const MatrixRowSource> source;
    if (m_show == Show::Projection)
        source = std::make_shared<const MatrixRowSource>(
            [p](std::int64_t row, std::int64_t col0, std::int64_t col1, float* scratch) {
                p->projection.projectionRow(row, col0, col1, scratch);
                return static_cast<const float*>(scratch);
            });
    else
        source = std::make_shared<const MatrixRowSource>(
            [p](std::int64_t row, std::int64_t col0, std::int64_t col1, float* scratch) {
                p->projection.residualRow(p->matrix->values, row, col0, col1, scratch);
                return static_cast<const float*>(scratch);
            });
    const QString what =
        m_show == Show::Projection ? tr("projection (k = %1)").arg(mp.k) : tr("residual W − P(W) (k = %1)").arg(mp.k);
    m_heatmap->setSource(std::move(source), mp.rows, mp.cols, m_show == Show::Projection ? p->scale : p->residualScale,
                         tr("%1 — %2").arg(name, what), keepView);
}

} // namespace circnn::gui
