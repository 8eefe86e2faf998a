#pragma once

#include <QWidget>

#include <memory>
#include <optional>

#include "analysis/EvaluateWorkflow.h"

class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;
class QSpinBox;
class QSplitter;
class QTableWidget;

namespace circnn::gui {

class Document;
class HeatmapWidget;
class SampleBrowser;

// The inference view: the document's dataset (the bundled sample set by default; IDX, HDF5, .npz)
// browsed sample by sample (SampleBrowser), and "Evaluate": core's evaluateModel on the document's
// model and on its block-circulant model (the document's current one, or the projection with the
// document's plan, made here), plus compareModels for their agreement — on the job runner
// (channel "evaluate") with progress and cancel. Shows top-1 / top-5, cross-entropy, images/s,
// per-class accuracy and the confusion matrix as a heatmap; a click on a cell lists its samples,
// a click on a listed sample browses to it.
class InferenceView : public QWidget {
    Q_OBJECT
public:
    explicit InferenceView(Document* document, QWidget* parent = nullptr);

    struct Result {
        std::shared_ptr<const ModelSpec> modelSpec, circulantSpec;
        std::shared_ptr<const Dataset> data; // as read
        QString circulantLabel;
        EvaluateResult model;
        std::optional<EvaluateResult> circulant;
        std::optional<Agreement> agreement;
    };
    void evaluate(); // asynchronous: evaluated() or evaluationFailed() follows
    void cancel();
    void setLimit(std::int64_t samples); // evaluate only the first N samples (0 = all)
    const std::shared_ptr<const Result>& result() const { return m_result; }

    // Confusion matrix shown: 0 = the model, 1 = the block-circulant model.
    void showConfusionOf(int which);
    // Lists the samples of confusion cell (true, predicted) of the shown matrix.
    void selectConfusionCell(int trueClass, int predictedClass);

    SampleBrowser* browser() const { return m_browser; }
    QTableWidget* summaryTable() const { return m_summary; }
    QTableWidget* perClassTable() const { return m_perClass; }
    HeatmapWidget* confusionHeatmap() const { return m_confusion; }
    QListWidget* cellSamples() const { return m_cellSamples; }

signals:
    void evaluated();
    void evaluationFailed(const QString& message);

private:
    void showResult();
    void updateHeader();
    const Evaluation* shownEvaluation() const;

    Document* m_doc;
    std::shared_ptr<const Result> m_result;
    QLabel *m_dataLabel, *m_circLabel, *m_status, *m_cellTitle;
    QPushButton *m_evaluate, *m_cancel;
    QSpinBox* m_limit;
    QSplitter* m_splitter;
    SampleBrowser* m_browser;
    QTableWidget *m_summary, *m_perClass;
    QComboBox* m_confusionOf;
    HeatmapWidget* m_confusion;
    QListWidget* m_cellSamples;
};

} // namespace circnn::gui
