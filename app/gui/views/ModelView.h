#pragma once

#include <QWidget>

#include <memory>
#include <vector>

#include "analysis/InspectWorkflow.h"

class QChartView;
class QLabel;
class QTableWidget;
class QSplitter;

namespace circnn::gui {

class Document;

// The model view: the layer table (name, class, output shape, parameters stored and
// dense-equivalent, compression, MACs — and for block-circulant layers the FFT butterflies and
// complex MACs actually performed — and the representation), sortable, with a totals row kept
// below it; selecting a layer selects it in the document. Below: the selected layer's weight
// statistics and histogram (computed on the job runner). The table needs only the architecture:
// it appears before the weights are read; the statistics follow Document::weightsLoaded.
class ModelView : public QWidget {
    Q_OBJECT
public:
    explicit ModelView(Document* document, QWidget* parent = nullptr);

    QTableWidget* layerTable() const { return m_table; }
    QTableWidget* totalsTable() const { return m_totals; }
    QLabel* statisticsLabel() const { return m_stats; }
    QSplitter* splitter() const { return m_splitter; }

private:
    void rebuild();
    void fillTable(const InspectResult& result, const std::shared_ptr<const ModelSpec>& model);
    void showSelection(int layer);
    void computeStatistics(int layer);
    void computeWeightStatistics(); // of every tensor, once the document's weights are in

    Document* m_doc;
    QLabel* m_summary;
    QTableWidget* m_table;
    QTableWidget* m_totals;
    QLabel* m_stats;
    QChartView* m_histogram;
    QSplitter* m_splitter;
    std::vector<TensorStatistics> m_weights;     // of the open model, from inspectModel
    std::shared_ptr<const ModelSpec> m_tableFor; // the model whose table was last requested
};

} // namespace circnn::gui
