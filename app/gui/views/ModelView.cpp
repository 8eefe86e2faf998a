#include "ModelView.h"

#include <QChart>
#include <QChartView>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QScrollArea>
#include <QScrollBar>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include "Document.h"
#include "JobRunner.h"
#include "analysis/InspectWorkflow.h"
#include "analysis/WeightHistogram.h"
#include "charts/ChartBuilders.h"
#include "hw/Estimator.h"
#include "model/ShapeInference.h"

namespace circnn::gui {

namespace {
enum Column { Name, Class, Shape, Params, DenseParams, Compression, Macs, FreqOps, Representation, ColumnCount };
constexpr int kSortRole = Qt::UserRole + 1;
constexpr int kLayerRole = Qt::UserRole + 2;

// A cell that sorts by a number (kSortRole) rather than by its text.
class SortItem : public QTableWidgetItem {
public:
    SortItem(const QString& text, double key) : QTableWidgetItem(text) { setData(kSortRole, key); }
    bool operator<(const QTableWidgetItem& other) const override
    {
        const QVariant a = data(kSortRole), b = other.data(kSortRole);
        if (a.isValid() && b.isValid())
            return a.toDouble() < b.toDouble();
        return QTableWidgetItem::operator<(other);
    }
};

QString number(double v)
{
    return v == 0 ? QString() : QLocale().toString(static_cast<qlonglong>(std::llround(v)));
}

struct LayerStatistics {
    int layer = -1;
    ValueHistogram histogram;
    QString title;
};
} // namespace

ModelView::ModelView(Document* document, QWidget* parent) : QWidget(parent), m_doc(document)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_summary = new QLabel(tr("Open a model (File ▸ Open…, or drop a file on the window)."), this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_summary);

    m_splitter = new QSplitter(Qt::Vertical, this);
    m_splitter->setObjectName("modelSplitter");
    auto* tables = new QWidget(m_splitter);
    auto* tl = new QVBoxLayout(tables);
    tl->setContentsMargins(0, 0, 0, 0);
    tl->setSpacing(0);
    const QStringList headers = {
        tr("Layer"),         tr("Class"),       tr("Output shape"),     tr("Parameters"),
        tr("Dense params"),  tr("Compression"), tr("MACs (dense eq.)"), tr("FFT butterflies / complex MACs"),
        tr("Representation")};
    m_table = new QTableWidget(0, ColumnCount, tables);
    m_table->setObjectName("layerTable");
    m_table->setHorizontalHeaderLabels(headers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    m_table->setSortingEnabled(true);
    m_totals = new QTableWidget(1, ColumnCount, tables);
    m_totals->setObjectName("totalsTable");
    m_totals->horizontalHeader()->hide();
    m_totals->verticalHeader()->hide();
    m_totals->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_totals->setFocusPolicy(Qt::NoFocus);
    m_totals->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_totals->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_totals->setFixedHeight(m_totals->verticalHeader()->defaultSectionSize() + 4);
    // The totals row stays aligned with the table's columns and scroll position.
    connect(m_table->horizontalHeader(), &QHeaderView::sectionResized, this,
            [this](int col, int, int size) { m_totals->setColumnWidth(col, size); });
    connect(m_table->horizontalScrollBar(), &QScrollBar::valueChanged, m_totals->horizontalScrollBar(),
            &QScrollBar::setValue);
    tl->addWidget(m_table, 1);
    tl->addWidget(m_totals);

    auto* detail = new QWidget(m_splitter);
    auto* dl = new QVBoxLayout(detail);
    dl->setContentsMargins(0, 0, 0, 0);
    m_stats = new QLabel(detail);
    m_stats->setTextFormat(Qt::RichText);
    m_stats->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_histogram = new QChartView(detail);
    m_histogram->setRenderHint(QPainter::Antialiasing);
    m_histogram->setMinimumHeight(160);
    // The statistics table scrolls when the dock is narrow: its width follows the numbers, and a
    // minimum that changes with content would resize (and repaint) the whole window.
    auto* statsScroll = new QScrollArea(detail);
    statsScroll->setWidget(m_stats);
    statsScroll->setWidgetResizable(true);
    statsScroll->setFrameShape(QFrame::NoFrame);
    statsScroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    statsScroll->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    dl->addWidget(statsScroll);
    dl->addWidget(m_histogram, 1);
    m_splitter->addWidget(tables);
    m_splitter->addWidget(detail);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    layout->addWidget(m_splitter, 1);

    connect(m_table, &QTableWidget::itemSelectionChanged, this, [this] {
        const auto rows = m_table->selectionModel()->selectedRows();
        if (!rows.isEmpty())
            m_doc->selectLayer(m_table->item(rows.front().row(), Name)->data(kLayerRole).toInt());
    });
    connect(m_doc, &Document::modelChanged, this, &ModelView::rebuild);
    connect(m_doc, &Document::weightsLoaded, this, &ModelView::computeWeightStatistics);
    connect(m_doc, &Document::layerSelected, this, &ModelView::showSelection);
}

void ModelView::rebuild()
{
    m_table->setSortingEnabled(false);
    m_table->setRowCount(0);
    for (int c = 0; c < ColumnCount; ++c)
        m_totals->setItem(0, c, new QTableWidgetItem());
    m_weights.clear();
    const auto model = m_doc->model();
    if (!model) {
        m_summary->setText(tr("No model open."));
        m_stats->clear();
        charts::showEmptyChart(m_histogram);
        return;
    }
    // The core inspect workflow (what `circnn inspect` prints): first the table (fast; from the
    // architecture, before the weights are read), then, once the weights are in, the weight
    // statistics of every tensor (computeWeightStatistics).
    InspectConfig config;
    config.model.model = model; // shared, not copied
    config.model.path = m_doc->path().toStdString();
    config.weightStatistics = false;
    m_tableFor = model;
    m_doc->jobs()->run(
        QStringLiteral("inspect"), tr("Inspecting the model"),
        [config](const ProgressFn& progress) {
            InspectConfig c = config;
            c.progress = progress;
            return inspectModel(c);
        },
        this, [this, model](const InspectResult& r) { fillTable(r, model); });
    if (m_doc->weightsPending())
        m_stats->setText(tr("Loading weights…"));
}

void ModelView::computeWeightStatistics()
{
    const auto model = m_doc->model();
    if (!model || m_doc->weightsPending())
        return;
    m_weights.clear();
    InspectConfig config;
    config.model.model = model;
    config.model.path = m_doc->path().toStdString();
    config.weightStatistics = true;
    m_doc->jobs()->run(
        QStringLiteral("weight statistics"), tr("Weight statistics"),
        [config](const ProgressFn& progress) {
            InspectConfig c = config;
            c.progress = progress;
            return inspectModel(c).weights;
        },
        this,
        [this](const std::vector<TensorStatistics>& weights) {
            m_weights = weights;
            showSelection(m_doc->selectedLayer());
        });
}

void ModelView::fillTable(const InspectResult& result, const std::shared_ptr<const ModelSpec>& model)
{
    // The table of the architecture stays right when the document swaps in the same layers with
    // their weights (Document::weightsLoaded without modelChanged).
    if (model != m_tableFor || !m_doc->model() || result.layers.size() != m_doc->model()->layers.size())
        return;
    const ModelSpec& m = *model;
    m_table->setSortingEnabled(false);
    m_table->setRowCount(static_cast<int>(m.layers.size()));
    double butterflies = 0, complexMacs = 0;
    for (int row = 0; row < static_cast<int>(m.layers.size()); ++row) {
        const LayerSpec& l = m.layers[static_cast<std::size_t>(row)];
        const LayerSummary& s = result.layers[static_cast<std::size_t>(row)];
        const std::int64_t k = s.blockSize > 1 ? s.blockSize : 1;
        const hw::OpCounts ops = hw::layerOps(m, l, k);
        butterflies += ops.fftButterflies;
        complexMacs += ops.complexMacs;
        const double compression = s.parameters > 0 ? double(s.denseParameters) / double(s.parameters) : 0;
        const QString freq = k > 1 ? tr("%1 / %2").arg(number(ops.fftButterflies), number(ops.complexMacs)) : QString();
        const QString repr = s.representation == "circulant"
                                 ? tr("block-circulant k=%1 (%2 × %3 blocks)").arg(k).arg(s.blockRows).arg(s.blockCols)
                             : s.representation == "dense" ? tr("dense")
                                                           : QString();
        auto* name = new SortItem(QString::fromStdString(l.name), row);
        name->setData(kLayerRole, row);
        name->setToolTip(tr("layer %1 of %2 (sort by this column for model order)").arg(row + 1).arg(m.layers.size()));
        m_table->setItem(row, Name, name);
        m_table->setItem(row, Class, new QTableWidgetItem(QString::fromStdString(s.className)));
        m_table->setItem(row, Shape, new QTableWidgetItem(QString::fromStdString(shapeToString(s.outputShape))));
        m_table->setItem(row, Params, new SortItem(number(double(s.parameters)), double(s.parameters)));
        m_table->setItem(row, DenseParams, new SortItem(number(double(s.denseParameters)), double(s.denseParameters)));
        m_table->setItem(
            row, Compression,
            new SortItem(compression > 0 ? tr("%1×").arg(compression, 0, 'f', 1) : QString(), compression));
        m_table->setItem(row, Macs, new SortItem(number(double(s.macs)), double(s.macs)));
        m_table->setItem(row, FreqOps, new SortItem(freq, ops.fftButterflies + ops.complexMacs));
        m_table->setItem(row, Representation, new QTableWidgetItem(repr));
        for (int c : {Params, DenseParams, Compression, Macs, FreqOps})
            m_table->item(row, c)->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    }
    const double params = double(result.parameters), denseParams = double(result.denseParameters),
                 macs = double(result.macs);
    const QStringList totals = {tr("Total (%1 layers)").arg(m.layers.size()),
                                QString(),
                                QString(),
                                number(params),
                                number(denseParams),
                                params > 0 ? tr("%1×").arg(result.compression, 0, 'f', 1) : QString(),
                                number(macs),
                                butterflies > 0 ? tr("%1 / %2").arg(number(butterflies), number(complexMacs))
                                                : QString(),
                                QString()};
    for (int c = 0; c < ColumnCount; ++c) {
        auto* item = new QTableWidgetItem(totals[c]);
        QFont bold = item->font();
        bold.setBold(true);
        item->setFont(bold);
        if (c >= Params && c <= FreqOps)
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_totals->setItem(0, c, item);
    }
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(Name, Qt::AscendingOrder);
    m_table->resizeColumnsToContents();
    const QLocale locale;
    QString text = tr("<b>%1</b> — %2, %3 layers, %4 parameters")
                       .arg(QFileInfo(m_doc->path()).fileName().toHtmlEscaped(), m_doc->formatName().toHtmlEscaped())
                       .arg(m.layers.size())
                       .arg(number(params));
    if (denseParams != params && params > 0)
        text += tr(" (dense %1, compression %2×)").arg(number(denseParams)).arg(denseParams / params, 0, 'f', 1);
    if (!m.provenance.createdBy.empty())
        text += tr(" · made by %1").arg(QString::fromStdString(m.provenance.createdBy).toHtmlEscaped());
    else if (!m.provenance.kerasVersion.empty())
        text += tr(" · Keras %1").arg(QString::fromStdString(m.provenance.kerasVersion).toHtmlEscaped());
    m_summary->setText(text);
    showSelection(m_doc->selectedLayer());
}

void ModelView::showSelection(int layer)
{
    for (int row = 0; row < m_table->rowCount(); ++row)
        if (m_table->item(row, Name) && m_table->item(row, Name)->data(kLayerRole).toInt() == layer) {
            if (m_table->currentRow() != row) {
                const QSignalBlocker block(m_table);
                m_table->selectRow(row);
            }
            break;
        }
    computeStatistics(layer);
}

void ModelView::computeStatistics(int layer)
{
    const auto model = m_doc->model();
    if (!model || layer < 0 || layer >= static_cast<int>(model->layers.size())) {
        m_stats->clear();
        charts::showEmptyChart(m_histogram);
        return;
    }
    // The statistics come from the inspect workflow (all tensors, computed once per model).
    const std::string name = model->layers[static_cast<std::size_t>(layer)].name;
    QString rows;
    for (const TensorStatistics& t : m_weights) {
        if (t.layer != name)
            continue;
        rows += tr("<tr><td>%1</td><td>%2</td><td align=right>%3</td><td align=right>%4</td>"
                   "<td align=right>%5</td><td align=right>%6</td><td align=right>%7%</td></tr>")
                    .arg(QString::fromStdString(t.role), QString::fromStdString(shapeToString(t.shape)))
                    .arg(t.min, 0, 'g', 4)
                    .arg(t.max, 0, 'g', 4)
                    .arg(t.mean, 0, 'g', 4)
                    .arg(t.std, 0, 'g', 4)
                    .arg(100 * t.sparsity, 0, 'f', 1);
    }
    if (m_doc->weightsPending()) {
        m_stats->setText(tr("Loading weights…"));
        charts::showEmptyChart(m_histogram);
        return;
    }
    if (m_weights.empty())
        m_stats->setText(tr("Computing weight statistics…"));
    else if (rows.isEmpty())
        m_stats->setText(tr("Layer '%1' has no weights.").arg(QString::fromStdString(name)));
    else
        m_stats->setText(tr("<table cellspacing=6><tr><th align=left>tensor</th><th align=left>shape</th>"
                            "<th>min</th><th>max</th><th>mean</th><th>std</th><th>zeros</th></tr>%1</table>")
                             .arg(rows));
    // The histogram of the layer's main weights (defining vectors, or the kernel).
    m_doc->jobs()->run(
        QStringLiteral("histogram"), tr("Weight histogram"),
        [model, layer](const ProgressFn&) {
            const LayerSpec& l = model->layers[static_cast<std::size_t>(layer)];
            LayerStatistics s;
            s.layer = layer;
            const Tensor* t = l.circulant ? &l.circulant->vectors : &l.kernel;
            if (!t->empty()) {
                s.histogram = valueHistogram(std::span<const float>(t->data(), t->size()), 48);
                s.title = QObject::tr("%1 — %2 values")
                              .arg(QString::fromStdString(l.name),
                                   l.circulant ? QObject::tr("defining-vector") : QObject::tr("kernel"));
            }
            return s;
        },
        this,
        [this](const LayerStatistics& s) {
            if (s.title.isEmpty())
                charts::showEmptyChart(m_histogram);
            else
                charts::showChart(m_histogram, charts::histogramChart(s.histogram, s.title));
        });
}

} // namespace circnn::gui
