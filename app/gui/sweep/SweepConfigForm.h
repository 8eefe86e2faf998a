#pragma once

#include <QWidget>

#include "analysis/SweepConfig.h"
#include "analysis/SweepRunner.h"

class QCheckBox;
class QFormLayout;
class QComboBox;
class QLineEdit;
class QSpinBox;

namespace circnn::gui {

// The settings of a sweep, mirroring `circnn sweep`'s options: models (the document's model by
// default), kind (grid / sensitivity), the k list or a per-layer grid ("dense:4,8;dense_1:8,16",
// the --grid syntax), layers, accuracy modes, epochs, the learning rate of finetune / scratch, the
// task (with its targets key and anomaly labels), what integer sample values are, evaluation and
// training data with limits, platforms, precision, batch, timing samples, the results file and
// the parallelism.
class SweepConfigForm : public QWidget {
    Q_OBJECT
public:
    explicit SweepConfigForm(QWidget* parent = nullptr);

    // The config the fields describe, validated (validateSweepConfig). Throws circnn::Error naming
    // the field and what is wrong.
    SweepConfig config() const;
    void setConfig(const SweepConfig& config); // fills the fields (e.g. from a results file)
    // The document's model: shown as the model to sweep unless the user typed other models.
    void setCurrentModel(const QString& path);

    QString resultsFile() const;
    void setResultsFile(const QString& path);
    SweepParallelism parallelism() const;

    // Field access for tests and the screenshot runner (object names match the fields).
    QLineEdit* field(const char* objectName) const;
    QCheckBox* modeBox(AccuracyMode mode) const;
    QSpinBox* spin(const char* objectName) const;

private:
    QLineEdit* addLine(QFormLayout* form, const QString& label, const char* name, const QString& tip, bool browse,
                       bool save = false);
    QSpinBox* addSpin(QFormLayout* form, const QString& label, const char* name, int lo, int hi, int value,
                      const QString& tip);

    QString m_currentModel;
    QComboBox* m_kind;
    QComboBox* m_precision;
    QComboBox* m_parallel;
    QCheckBox* m_modes[4];
    QCheckBox* m_reorder;
    QCheckBox* m_outputLayer;
    QComboBox* m_task;
    QCheckBox* m_anomalyLabels;
    QComboBox* m_integers;
};

} // namespace circnn::gui
