#pragma once

#include <QWidget>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "analysis/ConvertWorkflow.h"
#include "analysis/FinetuneWorkflow.h"
#include "analysis/TrainWorkflow.h"

class QChartView;
class QCheckBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTimer;

namespace circnn::charts {
class TrainingCurves;
}

namespace circnn::gui {

class Document;
class PlanEditor;
class TrainingOptionsForm;

// The conversion and training view: the conversion plan (PlanEditor), the training data, every
// option of `circnn finetune` / `circnn train` (TrainingOptionsForm), and the actions
//   Project   — core's convertModel (Frobenius or data-aware, reordering as planned),
//   Fine-tune — core's finetuneModel from the document's model with the plan,
//   Train     — core's trainModel from an architecture description (dense or k > 1),
// on the job runner (channel "training") with live loss / accuracy charts fed by the workflow's
// callbacks (collected on the worker, appended in bulk every 100 ms), progress with ETA, and
// Cancel: the document's model is never modified (runs work on copies), so a cancelled run leaves
// it as it was. The result is compared with the starting model (parameters, compression,
// accuracy) and can be saved (core's saveModel: native, or Keras .h5 for dense models; atomic).
// A projection or fine-tuning result becomes the document's block-circulant model.
class TrainingView : public QWidget {
    Q_OBJECT
public:
    explicit TrainingView(Document* document, QWidget* parent = nullptr);
    ~TrainingView() override;

    enum class Action { Project, Finetune, Train };
    void start(Action action); // asynchronous: finished() or failed() follows (nothing on cancel)
    void cancel();
    bool isRunning() const;
    // The training data file (IDX, HDF5, .npz); empty = the document's dataset file.
    void setTrainingData(const QString& path);
    void setTrainingLimit(std::int64_t samples); // first N samples (0 = all)
    void setArchitecture(const QString& description, std::int64_t blockSize);
    // Writes the last result through core's saveModel on the job runner (format from the name:
    // Keras .h5 for a dense model named *.h5, else native; atomic): saved() or failed() follows.
    // Throws Error when there is no result yet.
    void saveResult(const QString& path);

    // The last result (null before the first finished run).
    const std::shared_ptr<const ModelSpec>& resultModel() const { return m_result; }
    PlanEditor* planEditor() const { return m_plan; }
    TrainingOptionsForm* options() const { return m_options; }
    charts::TrainingCurves* curves() const { return m_curves.get(); }
    QTableWidget* comparisonTable() const { return m_compare; }
    QLabel* progressLabel() const { return m_progressText; }

signals:
    void started();
    void finished();
    void failed(const QString& message);
    void curvesUpdated(); // points were appended
    void saved(const QString& path);

private:
    // What the workflow callbacks report from the worker thread; drained on the GUI thread.
    struct Feed {
        std::mutex mutex;
        std::string phase;
        std::vector<TrainStatus> statuses;
        std::vector<EpochRecord> epochs;
        std::optional<TrainStatus> last;
    };
    struct Outcome;
    TrainingCallbacks callbacksFor(const std::shared_ptr<Feed>& feed) const;
    DataSource trainingSource() const;
    DataSource testSource() const;
    void drainFeed();
    void finish(const Outcome& outcome);
    void setRunning(bool running);
    void updateDataLabel();

    Document* m_doc;
    PlanEditor* m_plan;
    TrainingOptionsForm* m_options;
    QString m_trainPath;
    QLabel *m_dataLabel, *m_progressText;
    QSpinBox *m_limit, *m_archK;
    QCheckBox *m_test, *m_archOutput;
    QLineEdit *m_arch, *m_archName;
    QPushButton *m_project, *m_finetune, *m_train, *m_cancel, *m_save;
    QProgressBar* m_progress;
    QChartView *m_lossView, *m_accView;
    std::unique_ptr<charts::TrainingCurves> m_curves;
    QTableWidget* m_compare;
    QTimer* m_drain;
    std::shared_ptr<Feed> m_feed;
    std::shared_ptr<const ModelSpec> m_result;
    int m_stepStride = 1; // step points kept: every stride-th batch of an epoch (and its last)
};

} // namespace circnn::gui
