#pragma once

#include <QWidget>

#include "analysis/FinetuneWorkflow.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLineEdit;
class QSpinBox;

namespace circnn::gui {

// Every option `circnn train` / `circnn finetune` take, as a form: the common ones (epochs, batch,
// optimizer, learning rate, schedule, warm-up, validation split, seed, projection, the task with
// its targets key, what integer sample values are) and, in a collapsible "Advanced" group, the
// rarely used ones (momentum, weight decay, step schedule, augmentation, distillation, data-aware
// calibration, ADMM, separate labels files). Defaults are the CLI's: the fine-tuning recipe
// (finetuneTrainingDefaults) or, after useTrainDefaults(), `circnn train`'s (Adam, lr 0.001, batch
// 64, constant). The form only collects values into the core configs the CLI fills; the workflows
// check them and name a bad field (check() refuses what the CLI refuses before running).
// The values persist (QSettings group "trainingOptions", one key per field's object name): a new
// window starts with the last values used.
class TrainingOptionsForm : public QWidget {
    Q_OBJECT
public:
    explicit TrainingOptionsForm(QWidget* parent = nullptr);

    // Training options, the task included (Auto is allowed: trainModel / finetuneModel resolve it).
    TrainOptions trainOptions() const;
    // The fine-tuning fields of `config` (training, projection, calibration, distillation, ADMM,
    // task) and the form's data options applied to config.trainData / config.testData options.
    void fillFinetune(FinetuneConfig& config) const;
    // The fields of a fine-tuning config into the widgets (data options from config.trainData's
    // and config.testData's options); fillFinetune gives the same values back.
    void setFinetune(const FinetuneConfig& config);
    void setTrainOptions(const TrainOptions& options); // the task included
    void useFinetuneDefaults();
    void useTrainDefaults();
    void setEpochs(int epochs);
    void setAdvancedVisible(bool visible);

    Task task() const;
    void setTask(Task task);
    // --labels / --targets-key / --integers onto the training data's options, and
    // --test-labels / --targets-key / --integers onto the test data's.
    void applyTrainingDataOptions(DatasetOptions& options) const;
    void applyTestDataOptions(DatasetOptions& options) const;
    // True when test data must be read with the form's options (a targets key, a test labels file
    // or integer values other than auto), not taken as the inference view has read it.
    bool testDataNeedsOptions() const;
    // What `circnn train / finetune` refuse before running: task regress without a targets key.
    // Throws Error naming the field.
    void check() const;
    // What the training chart's loss is, for a fine-tune (`finetune`) or a training run: a title
    // note ("train loss with distillation (α = 0.9, T = 4)" when a fine-tune distils, else empty)
    // and a tooltip naming the loss of each axis.
    QString lossTitleNote(bool finetune) const;
    QString lossToolTip(bool finetune) const;

    QComboBox* projectionBox() const { return m_projection; }
    QComboBox* taskBox() const { return m_task; }
    QLineEdit* targetsKeyEdit() const { return m_targetsKey; }
    QComboBox* integersBox() const { return m_integers; }

private:
    void restoreSettings(); // the persisted values (fields without one keep their default)
    void persistChanges();  // every later edit is written to QSettings

    QSpinBox *m_epochs, *m_batch, *m_seed, *m_stepEpochs, *m_augment, *m_calibration, *m_admmEpochs, *m_admmEvery;
    QComboBox *m_optimizer, *m_schedule, *m_projection, *m_task, *m_integers;
    QDoubleSpinBox *m_lr, *m_warmup, *m_valSplit, *m_momentum, *m_weightDecay, *m_gamma, *m_distill, *m_temperature,
        *m_ridge, *m_rho, *m_rhoGrowth;
    QLineEdit *m_targetsKey, *m_labels, *m_testLabels;
    QGroupBox* m_advanced;
    QWidget* m_advancedBody;
};

} // namespace circnn::gui
