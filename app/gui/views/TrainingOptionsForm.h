#pragma once

#include <QWidget>

#include "analysis/FinetuneWorkflow.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QSpinBox;

namespace circnn::gui {

// Every option `circnn train` / `circnn finetune` take, as a form: the common ones (epochs, batch,
// optimizer, learning rate, schedule, warm-up, validation split, seed) and, in a collapsible
// "Advanced" group, the rarely used ones (momentum, weight decay, step schedule, augmentation,
// distillation, data-aware calibration, ADMM, the fine-tuning task). Defaults are the CLI's: the fine-tuning recipe
// (finetuneTrainingDefaults) or, after useTrainDefaults(), `circnn train`'s (Adam, lr 0.001, batch 64,
// constant). The form only collects values; the workflows check them and name a bad field.
class TrainingOptionsForm : public QWidget {
    Q_OBJECT
public:
    explicit TrainingOptionsForm(QWidget* parent = nullptr);

    TrainOptions trainOptions() const;
    // The fine-tuning fields of `config` (training, projection, calibration, distillation, ADMM).
    void fillFinetune(FinetuneConfig& config) const;
    void setTrainOptions(const TrainOptions& options);
    void useFinetuneDefaults();
    void useTrainDefaults();
    void setEpochs(int epochs);
    void setAdvancedVisible(bool visible);

    QComboBox* projectionBox() const { return m_projection; }

private:
    QSpinBox *m_epochs, *m_batch, *m_seed, *m_stepEpochs, *m_augment, *m_calibration, *m_admmEpochs, *m_admmEvery;
    QComboBox *m_optimizer, *m_schedule, *m_projection, *m_task;
    QDoubleSpinBox *m_lr, *m_warmup, *m_valSplit, *m_momentum, *m_weightDecay, *m_gamma, *m_distill, *m_temperature,
        *m_ridge, *m_rho, *m_rhoGrowth;
    QGroupBox* m_advanced;
    QWidget* m_advancedBody;
};

} // namespace circnn::gui
