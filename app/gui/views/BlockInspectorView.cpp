#include "BlockInspectorView.h"

#include <QChart>
#include <QChartView>
#include <QGridLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineSeries>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "Document.h"
#include "charts/ChartBuilders.h"
#include "widgets/HeatmapWidget.h"

namespace circnn::gui {

namespace {
QLineSeries* seriesNamed(QChartView* view, const QString& name)
{
    if (!view->chart())
        return nullptr;
    for (QAbstractSeries* s : view->chart()->series())
        if (s->name() == name)
            return qobject_cast<QLineSeries*>(s);
    return nullptr;
}
} // namespace

BlockInspectorView::BlockInspectorView(Document* document, QWidget* parent) : QWidget(parent), m_doc(document)
{
    setFocusPolicy(Qt::StrongFocus);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_header = new QLabel(tr("Click a block in the layer explorer (k > 1) to inspect it."), this);
    m_header->setWordWrap(true);
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Room for three lines from the start: a minimum that grows when a block is shown would
    // resize (and repaint) the whole window.
    m_header->setMinimumHeight(3 * m_header->fontMetrics().lineSpacing() + 4);
    m_header->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    layout->addWidget(m_header);
    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->setObjectName("inspectorSplitter");
    m_vector = new QChartView(splitter);
    m_spectrum = new QChartView(splitter);
    for (QChartView* v : {m_vector, m_spectrum}) {
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumHeight(150);
        v->setFocusPolicy(Qt::NoFocus);
    }
    auto* blocks = new QWidget(splitter);
    auto* grid = new QGridLayout(blocks);
    grid->setContentsMargins(0, 0, 0, 0);
    m_original = new HeatmapWidget(blocks);
    m_circulant = new HeatmapWidget(blocks);
    for (HeatmapWidget* h : {m_original, m_circulant}) {
        h->setMinimumSize(160, 130);
        h->setFocusPolicy(Qt::NoFocus);
        h->clear(QString());
    }
    grid->addWidget(m_original, 0, 0);
    grid->addWidget(m_circulant, 0, 1);
    splitter->addWidget(m_vector);
    splitter->addWidget(m_spectrum);
    splitter->addWidget(blocks);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    splitter->setStretchFactor(2, 2);
    splitter->setSizes({300, 400, 240}); // proportions at first show: the spectrum has two axes
    layout->addWidget(splitter, 1);
    charts::showEmptyChart(m_vector);
    charts::showEmptyChart(m_spectrum);

    connect(m_doc, &Document::blockSelected, this, &BlockInspectorView::showBlock);
}

QLineSeries* BlockInspectorView::vectorSeries() const
{
    return seriesNamed(m_vector, QStringLiteral("vector"));
}
QLineSeries* BlockInspectorView::magnitudeSeries() const
{
    return seriesNamed(m_spectrum, QStringLiteral("magnitude"));
}
QLineSeries* BlockInspectorView::phaseSeries() const
{
    return seriesNamed(m_spectrum, QStringLiteral("phase"));
}
QString BlockInspectorView::headerText() const
{
    return m_header->text();
}

void BlockInspectorView::showBlock(qint64 i, qint64 j)
{
    const auto& p = m_doc->projection();
    if (!p || i < 0 || p->projection.k <= 1) {
        m_header->setText(m_doc->weightsPending() ? tr("Loading weights…")
                                                  : tr("Click a block in the layer explorer (k > 1) to inspect it."));
        charts::showEmptyChart(m_vector);
        charts::showEmptyChart(m_spectrum);
        m_original->clear(QString());
        m_circulant->clear(QString());
        return;
    }
    const MatrixProjection& mp = p->projection;
    // O(k²) work: done here, on the GUI thread.
    const BlockDetail d = blockDetail(mp, p->matrix->values, i, j);
    const LayerSpec* l = m_doc->selectedLayerSpec();
    const bool stored = l && storedBlockSize(*l, p->tap) == mp.k;
    m_header->setText(tr("<b>Block (%1, %2)</b> of %3 × %4 · rows %5–%6, columns %7–%8 · k = %9 · %10")
                          .arg(i)
                          .arg(j)
                          .arg(mp.blockRows)
                          .arg(mp.blockCols)
                          .arg(d.row0)
                          .arg(d.row0 + d.k - 1)
                          .arg(d.col0)
                          .arg(d.col0 + d.k - 1)
                          .arg(d.k)
                          .arg(stored ? tr("the stored defining vector") : tr("defining vector of the projection")) +
                      tr("<br>Arrow keys: neighbouring blocks"));
    // Same k as the block shown before (stepping through blocks): update the charts in place.
    if (!charts::updateVectorChart(m_vector->chart(), d.vector))
        charts::showChart(m_vector, charts::vectorChart(d.vector, tr("Defining vector w (first column)")));
    if (!charts::updateSpectrumChart(m_spectrum->chart(), d.magnitude, d.phase))
        charts::showChart(m_spectrum, charts::spectrumChart(d.magnitude, d.phase, tr("Spectrum FFT(w)")));
    const float scale = p->scale;
    const auto k = d.k;
    m_original->setMatrix(std::make_shared<const std::vector<float>>(d.original), k, k, scale, tr("original block"));
    m_circulant->setMatrix(std::make_shared<const std::vector<float>>(d.circulant), k, k, scale, tr("circulant block"));
}

void BlockInspectorView::keyPressEvent(QKeyEvent* event)
{
    const qint64 i = m_doc->blockRow(), j = m_doc->blockCol();
    if (i < 0) {
        QWidget::keyPressEvent(event);
        return;
    }
    switch (event->key()) {
    case Qt::Key_Left:
        m_doc->selectBlock(i, std::max<qint64>(0, j - 1));
        break;
    case Qt::Key_Right:
        m_doc->selectBlock(i, j + 1);
        break;
    case Qt::Key_Up:
        m_doc->selectBlock(std::max<qint64>(0, i - 1), j);
        break;
    case Qt::Key_Down:
        m_doc->selectBlock(i + 1, j);
        break;
    case Qt::Key_Home:
        m_doc->selectBlock(0, 0);
        break;
    default:
        QWidget::keyPressEvent(event);
        return;
    }
    event->accept();
}

} // namespace circnn::gui
