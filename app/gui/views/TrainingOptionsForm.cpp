#include "TrainingOptionsForm.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QSpinBox>
#include <QVBoxLayout>

namespace circnn::gui {

namespace {
QSpinBox* intBox(int lo, int hi, const QString& tip, QWidget* parent)
{
    auto* b = new QSpinBox(parent);
    b->setRange(lo, hi);
    b->setToolTip(tip);
    return b;
}

QDoubleSpinBox* realBox(double lo, double hi, int decimals, double step, const QString& tip, QWidget* parent)
{
    auto* b = new QDoubleSpinBox(parent);
    b->setRange(lo, hi);
    b->setDecimals(decimals);
    b->setSingleStep(step);
    b->setToolTip(tip);
    return b;
}
} // namespace

TrainingOptionsForm::TrainingOptionsForm(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    m_epochs = intBox(1, 100000, tr("--epochs: number of epochs (fine-tuning: ADMM epochs included)"), this);
    m_batch = intBox(1, 1000000, tr("--batch: mini-batch size"), this);
    m_optimizer = new QComboBox(this);
    m_optimizer->addItems({"sgd", "adam"});
    m_optimizer->setToolTip(tr("--optimizer"));
    m_lr = realBox(1e-7, 10, 6, 0.001, tr("--lr: base learning rate"), this);
    m_schedule = new QComboBox(this);
    m_schedule->addItems({"constant", "step", "cosine"});
    m_schedule->setToolTip(tr("--schedule: learning-rate schedule per epoch"));
    m_warmup =
        realBox(0, 1000, 2, 0.1, tr("--warmup: linear warm-up over the first E epochs (fractions allowed)"), this);
    m_valSplit =
        realBox(0, 0.99, 3, 0.05, tr("--val-split: fraction held out for validation; the best epoch is kept"), this);
    m_seed = intBox(0, 2147483647, tr("--seed: initialisation, shuffling, split, dropout"), this);
    m_projection = new QComboBox(this);
    m_projection->addItem(tr("auto (data-aware for Dense-only plans)"), int(ProjectionChoice::Auto));
    m_projection->addItem(tr("data-aware"), int(ProjectionChoice::DataAware));
    m_projection->addItem(tr("Frobenius"), int(ProjectionChoice::Frobenius));
    m_projection->setToolTip(tr("--projection: the starting point of fine-tuning (and of Project)"));
    form->addRow(tr("Epochs"), m_epochs);
    form->addRow(tr("Batch"), m_batch);
    form->addRow(tr("Optimizer"), m_optimizer);
    form->addRow(tr("Learning rate"), m_lr);
    form->addRow(tr("Schedule"), m_schedule);
    form->addRow(tr("Warm-up (epochs)"), m_warmup);
    form->addRow(tr("Validation split"), m_valSplit);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Projection"), m_projection);
    layout->addLayout(form);

    m_advanced = new QGroupBox(tr("Advanced"), this);
    m_advanced->setCheckable(true);
    m_advanced->setChecked(false);
    auto* al = new QVBoxLayout(m_advanced);
    al->setContentsMargins(4, 4, 4, 4);
    m_advancedBody = new QWidget(m_advanced);
    auto* adv = new QFormLayout(m_advancedBody);
    adv->setContentsMargins(0, 0, 0, 0);
    m_momentum = realBox(0, 0.9999, 4, 0.01, tr("--momentum (SGD)"), this);
    m_weightDecay = realBox(0, 1, 6, 0.0001, tr("--weight-decay: L2 on kernels / circulant vectors"), this);
    m_stepEpochs = intBox(0, 100000, tr("--step-epochs: step schedule, epochs between decays (0 = epochs/3)"), this);
    m_gamma = realBox(0, 1, 4, 0.05, tr("--gamma: step schedule, factor per decay"), this);
    m_augment = intBox(0, 1000, tr("--augment-shift: random shifts of up to P pixels (0 = off)"), this);
    m_distill = realBox(0, 1, 3, 0.05, tr("--distill: weight of the original model's probabilities"), this);
    m_temperature = realBox(0.01, 100, 2, 0.5, tr("--temperature: distillation temperature"), this);
    m_calibration = intBox(1, 100000000, tr("--calibration: training samples for the data-aware projection"), this);
    m_ridge = realBox(0, 10, 6, 0.0001, tr("--ridge: data-aware projection ridge, relative"), this);
    m_admmEpochs =
        intBox(0, 100000, tr("--admm-epochs: first N epochs train the dense model toward the structure"), this);
    m_rho = realBox(1e-6, 1000, 6, 0.001, tr("--rho: ADMM penalty"), this);
    m_rhoGrowth = realBox(1, 100, 3, 0.1, tr("--rho-growth: ADMM, rho multiplied after every Z/U update"), this);
    m_admmEvery = intBox(0, 100000000, tr("--admm-every: ADMM Z/U update every N batches (0 = once per epoch)"), this);
    m_task = new QComboBox(this);
    m_task->addItem(tr("auto"), int(Task::Auto));
    m_task->addItem(tr("classify"), int(Task::Classify));
    m_task->addItem(tr("reconstruct"), int(Task::Reconstruct));
    m_task->setToolTip(tr("--task (fine-tuning): classify (cross-entropy), reconstruct (MSE against the input) or "
                          "auto (reconstruct when output shape = input shape and the output is linear)"));
    adv->addRow(tr("Task (fine-tuning)"), m_task);
    adv->addRow(tr("Momentum"), m_momentum);
    adv->addRow(tr("Weight decay"), m_weightDecay);
    adv->addRow(tr("Step epochs"), m_stepEpochs);
    adv->addRow(tr("Step gamma"), m_gamma);
    adv->addRow(tr("Augment shift (px)"), m_augment);
    adv->addRow(tr("Distillation"), m_distill);
    adv->addRow(tr("Temperature"), m_temperature);
    adv->addRow(tr("Calibration samples"), m_calibration);
    adv->addRow(tr("Ridge (relative)"), m_ridge);
    adv->addRow(tr("ADMM epochs"), m_admmEpochs);
    adv->addRow(tr("ADMM rho"), m_rho);
    adv->addRow(tr("ADMM rho growth"), m_rhoGrowth);
    adv->addRow(tr("ADMM update every (batches)"), m_admmEvery);
    al->addWidget(m_advancedBody);
    m_advancedBody->setVisible(false);
    connect(m_advanced, &QGroupBox::toggled, m_advancedBody, &QWidget::setVisible);
    layout->addWidget(m_advanced);

    // Changing the optimizer resets the learning rate to that optimizer's CLI default.
    connect(m_optimizer, &QComboBox::currentTextChanged, this,
            [this](const QString& name) { m_lr->setValue(name == "adam" ? 1e-3 : 1e-2); });
    useFinetuneDefaults();
}

void TrainingOptionsForm::setTrainOptions(const TrainOptions& o)
{
    m_optimizer->setCurrentText(optimizerName(o.optimizer.kind));
    m_epochs->setValue(o.epochs);
    m_batch->setValue(int(o.batchSize));
    m_lr->setValue(o.optimizer.learningRate);
    m_momentum->setValue(o.optimizer.momentum);
    m_weightDecay->setValue(o.optimizer.weightDecay);
    m_schedule->setCurrentText(scheduleName(o.schedule.kind));
    m_stepEpochs->setValue(o.schedule.stepEpochs);
    m_gamma->setValue(o.schedule.gamma);
    m_warmup->setValue(o.schedule.warmupEpochs);
    m_valSplit->setValue(o.validationSplit);
    m_seed->setValue(int(o.seed));
    m_augment->setValue(o.augmentShift);
}

void TrainingOptionsForm::useFinetuneDefaults()
{
    setTrainOptions(finetuneTrainingDefaults());
    const FinetuneConfig defaults;
    m_projection->setCurrentIndex(m_projection->findData(int(defaults.projection)));
    m_distill->setValue(defaults.distillation);
    m_temperature->setValue(defaults.temperature);
    m_calibration->setValue(int(defaults.calibrationSamples));
    m_ridge->setValue(defaults.relativeRidge);
    m_admmEpochs->setValue(defaults.admmEpochs);
    m_rho->setValue(defaults.rho);
    m_rhoGrowth->setValue(defaults.rhoGrowth);
    m_admmEvery->setValue(int(defaults.admmEveryBatches));
    m_task->setCurrentIndex(m_task->findData(int(defaults.task)));
}

void TrainingOptionsForm::useTrainDefaults()
{
    // `circnn train`: Adam, lr 0.001, batch 64, constant schedule, 10 epochs.
    TrainOptions o;
    o.optimizer.kind = OptimizerKind::Adam;
    o.optimizer.learningRate = 1e-3;
    setTrainOptions(o);
}

void TrainingOptionsForm::setEpochs(int epochs)
{
    m_epochs->setValue(epochs);
}

void TrainingOptionsForm::setAdvancedVisible(bool visible)
{
    m_advanced->setChecked(visible);
}

TrainOptions TrainingOptionsForm::trainOptions() const
{
    TrainOptions o;
    o.epochs = m_epochs->value();
    o.batchSize = m_batch->value();
    o.optimizer.kind = optimizerFromName(m_optimizer->currentText().toStdString()).value_or(OptimizerKind::Sgd);
    o.optimizer.learningRate = m_lr->value();
    o.optimizer.momentum = m_momentum->value();
    o.optimizer.weightDecay = m_weightDecay->value();
    o.schedule.kind = scheduleFromName(m_schedule->currentText().toStdString()).value_or(ScheduleKind::Constant);
    o.schedule.stepEpochs = m_stepEpochs->value();
    o.schedule.gamma = m_gamma->value();
    o.schedule.warmupEpochs = m_warmup->value();
    o.validationSplit = m_valSplit->value();
    o.seed = static_cast<std::uint32_t>(m_seed->value());
    o.augmentShift = m_augment->value();
    return o;
}

void TrainingOptionsForm::fillFinetune(FinetuneConfig& c) const
{
    c.training = trainOptions();
    c.projection = static_cast<ProjectionChoice>(m_projection->currentData().toInt());
    c.calibrationSamples = m_calibration->value();
    c.relativeRidge = m_ridge->value();
    c.distillation = m_distill->value();
    c.temperature = m_temperature->value();
    c.admmEpochs = m_admmEpochs->value();
    c.rho = m_rho->value();
    c.rhoGrowth = m_rhoGrowth->value();
    c.admmEveryBatches = m_admmEvery->value();
    c.task = static_cast<Task>(m_task->currentData().toInt());
}

} // namespace circnn::gui
