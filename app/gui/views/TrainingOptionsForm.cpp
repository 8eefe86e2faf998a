#include "TrainingOptionsForm.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

#include "common/Error.h"

namespace circnn::gui {

namespace {
const QString kSettingsGroup = QStringLiteral("trainingOptions");

QSpinBox* intBox(const char* name, int lo, int hi, const QString& tip, QWidget* parent)
{
    auto* b = new QSpinBox(parent);
    b->setObjectName(name);
    b->setRange(lo, hi);
    b->setToolTip(tip);
    return b;
}

QDoubleSpinBox* realBox(const char* name, double lo, double hi, int decimals, double step, const QString& tip,
                        QWidget* parent)
{
    auto* b = new QDoubleSpinBox(parent);
    b->setObjectName(name);
    b->setRange(lo, hi);
    b->setDecimals(decimals);
    b->setSingleStep(step);
    b->setToolTip(tip);
    return b;
}

QComboBox* comboBox(const char* name, const QString& tip, QWidget* parent)
{
    auto* b = new QComboBox(parent);
    b->setObjectName(name);
    b->setToolTip(tip);
    return b;
}

QLineEdit* lineEdit(const char* name, const QString& placeholder, const QString& tip, QWidget* parent)
{
    auto* e = new QLineEdit(parent);
    e->setObjectName(name);
    e->setPlaceholderText(placeholder);
    e->setToolTip(tip);
    return e;
}

// A file name field with a "…" button that opens a file dialog.
QWidget* fileRow(QLineEdit* edit, const QString& title, QWidget* parent)
{
    auto* row = new QWidget(parent);
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(edit, 1);
    auto* browse = new QPushButton(QObject::tr("…"), row);
    browse->setToolTip(QObject::tr("Choose a file"));
    browse->setMaximumWidth(32);
    h->addWidget(browse);
    QObject::connect(browse, &QPushButton::clicked, row, [row, edit, title] {
        const QString path = QFileDialog::getOpenFileName(row, title, edit->text());
        if (!path.isEmpty())
            edit->setText(path);
    });
    return row;
}

void selectData(QComboBox* box, int value)
{
    const int i = box->findData(value);
    if (i >= 0)
        box->setCurrentIndex(i);
}
} // namespace

TrainingOptionsForm::TrainingOptionsForm(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    m_epochs = intBox("epochs", 1, 100000,
                      tr("--epochs: passes over the training data (fine-tuning: the ADMM epochs included)"), this);
    m_batch = intBox("batch", 1, 1000000, tr("--batch: samples per mini-batch (one optimizer step each)"), this);
    m_optimizer = comboBox("optimizer",
                           tr("--optimizer: sgd (with momentum) or adam; choosing one sets the learning rate to its "
                              "default (sgd 0.01, adam 0.001)"),
                           this);
    m_optimizer->addItems({"sgd", "adam"});
    m_lr = realBox("lr", 1e-7, 10, 6, 0.001, tr("--lr: base learning rate (the schedule scales it per epoch)"), this);
    m_schedule =
        comboBox("schedule",
                 tr("--schedule: learning-rate schedule per epoch: constant, step (× gamma every step epochs) or "
                    "cosine (decays to 0 over the run)"),
                 this);
    m_schedule->addItems({"constant", "step", "cosine"});
    m_warmup = realBox("warmup", 0, 1000, 2, 0.1,
                       tr("--warmup: the learning rate rises linearly over the first E epochs' mini-batches "
                          "(0 = none; fractions allowed)"),
                       this);
    m_valSplit = realBox("valSplit", 0, 0.99, 3, 0.05,
                         tr("--val-split: fraction of the training data held out (seeded) for validation; the best "
                            "epoch by validation is kept"),
                         this);
    m_seed = intBox("seed", 0, 2147483647, tr("--seed: initialisation, shuffling, validation split, dropout"), this);
    m_projection = comboBox("projection",
                            tr("--projection: the starting point of fine-tuning (and of Project): data-aware "
                               "(least-squares fit of each Dense layer's outputs on calibration samples), "
                               "Frobenius (nearest block-circulant matrix), or auto (data-aware when only Dense "
                               "layers convert)"),
                            this);
    m_projection->addItem(tr("auto (data-aware for Dense-only plans)"), int(ProjectionChoice::Auto));
    m_projection->addItem(tr("data-aware"), int(ProjectionChoice::DataAware));
    m_projection->addItem(tr("Frobenius"), int(ProjectionChoice::Frobenius));
    m_task = comboBox("task",
                      tr("--task: what the model's output means. classify: cross-entropy against labels; "
                         "reconstruct: mean squared error against the input (autoencoders); regress: mean squared "
                         "error against the targets named by the targets key; auto: reconstruct when output shape "
                         "= input shape and the output is linear, else classify (an architecture: classify)"),
                      this);
    m_task->addItem(tr("auto"), int(Task::Auto));
    m_task->addItem(tr("classify"), int(Task::Classify));
    m_task->addItem(tr("reconstruct"), int(Task::Reconstruct));
    m_task->addItem(tr("regress"), int(Task::Regress));
    m_targetsKey = lineEdit("targetsKey", tr("needed for regress, e.g. y_reg"),
                            tr("--targets-key: with task regress, the HDF5 dataset / npz member holding the targets "
                               "(of the training and the test data)"),
                            this);
    m_integers = comboBox("integers",
                          tr("--integers: what integer sample values are. pixels: scaled by 1/255; token ids: ids "
                             "for an Embedding layer, kept as they are (no scaling); auto: ids when the file marks "
                             "them (HDF5 attribute token_ids=1 on the images, npz member token_ids.npy), else pixels"),
                          this);
    m_integers->addItem(tr("auto (ids when the file marks them)"), int(IntegerValues::Auto));
    m_integers->addItem(tr("pixels (× 1/255)"), int(IntegerValues::Pixels));
    m_integers->addItem(tr("token ids (as they are)"), int(IntegerValues::TokenIds));
    form->addRow(tr("Epochs"), m_epochs);
    form->addRow(tr("Batch"), m_batch);
    form->addRow(tr("Optimizer"), m_optimizer);
    form->addRow(tr("Learning rate"), m_lr);
    form->addRow(tr("Schedule"), m_schedule);
    form->addRow(tr("Warm-up (epochs)"), m_warmup);
    form->addRow(tr("Validation split"), m_valSplit);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Projection"), m_projection);
    form->addRow(tr("Task"), m_task);
    form->addRow(tr("Targets key"), m_targetsKey);
    form->addRow(tr("Integer values"), m_integers);
    layout->addLayout(form);

    m_advanced = new QGroupBox(tr("Advanced"), this);
    m_advanced->setObjectName("advanced");
    m_advanced->setCheckable(true);
    m_advanced->setChecked(false);
    auto* al = new QVBoxLayout(m_advanced);
    al->setContentsMargins(4, 4, 4, 4);
    m_advancedBody = new QWidget(m_advanced);
    auto* adv = new QFormLayout(m_advancedBody);
    adv->setContentsMargins(0, 0, 0, 0);
    m_momentum = realBox("momentum", 0, 0.9999, 4, 0.01, tr("--momentum: SGD momentum (adam ignores it)"), this);
    m_weightDecay = realBox("weightDecay", 0, 1, 6, 0.0001,
                            tr("--weight-decay: L2 penalty on kernels / circulant vectors (not biases)"), this);
    m_stepEpochs = intBox("stepEpochs", 0, 100000,
                          tr("--step-epochs: step schedule, epochs between decays (0 = a third of the epochs)"), this);
    m_gamma = realBox("gamma", 0, 1, 4, 0.05, tr("--gamma: step schedule, factor applied at every decay"), this);
    m_augment = intBox("augmentShift", 0, 1000,
                       tr("--augment-shift: shift every training image by up to P pixels at random (0 = off)"), this);
    m_distill = realBox("distill", 0, 1, 3, 0.05,
                        tr("--distill: knowledge distillation (fine-tuning): the targets are (1 − A)·label + A·the "
                           "original model's probabilities (0 = labels only); the training loss is then "
                           "(1 − A)·CE + A·T²·CE_soft"),
                        this);
    m_temperature = realBox("temperature", 0.01, 100, 2, 0.5,
                            tr("--temperature: distillation temperature T (soft targets softmax(logits / T))"), this);
    m_calibration = intBox("calibration", 1, 100000000,
                           tr("--calibration: training samples the data-aware projection fits on (drawn from the "
                              "training split, never from the validation split)"),
                           this);
    m_ridge = realBox("ridge", 0, 10, 6, 0.0001,
                      tr("--ridge: data-aware projection, ridge toward the Frobenius projection relative to "
                         "trace(G)/dim of the normal equations"),
                      this);
    m_admmEpochs = intBox("admmEpochs", 0, 100000,
                          tr("--admm-epochs: the first N of the epochs train the dense model toward block-circulant "
                             "form (ADMM), then it is projected and fine-tuned (0 = no ADMM)"),
                          this);
    m_rho = realBox("rho", 1e-6, 1000, 6, 0.001, tr("--rho: ADMM penalty rho (relative to the mean mini-batch loss)"),
                    this);
    m_rhoGrowth = realBox("rhoGrowth", 1, 100, 3, 0.1,
                          tr("--rho-growth: ADMM, rho is multiplied by G after every Z/U update"), this);
    m_admmEvery = intBox("admmEvery", 0, 100000000,
                         tr("--admm-every: ADMM, update Z and U every N batches (0 = once per epoch)"), this);
    m_labels = lineEdit("labels", tr("derived from the data file"),
                        tr("--labels: IDX labels file of the training data (default: derived from the images file "
                           "name; HDF5 and .npz files hold their labels)"),
                        this);
    m_testLabels = lineEdit("testLabels", tr("the test data's own"),
                            tr("--test-labels: labels of the test data; with task reconstruct / regress, 0 (normal) / "
                               "1 (anomalous) labels for the ROC AUC"),
                            this);
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
    adv->addRow(tr("Training labels"), fileRow(m_labels, tr("Training labels"), m_advancedBody));
    adv->addRow(tr("Test labels"), fileRow(m_testLabels, tr("Test labels"), m_advancedBody));
    al->addWidget(m_advancedBody);
    m_advancedBody->setVisible(false);
    connect(m_advanced, &QGroupBox::toggled, m_advancedBody, &QWidget::setVisible);
    layout->addWidget(m_advanced);

    // Changing the optimizer resets the learning rate to that optimizer's CLI default.
    connect(m_optimizer, &QComboBox::currentTextChanged, this,
            [this](const QString& name) { m_lr->setValue(name == "adam" ? 1e-3 : 1e-2); });
    // The targets key means something for regress only.
    connect(m_task, &QComboBox::currentIndexChanged, this,
            [this] { m_targetsKey->setEnabled(task() == Task::Regress); });
    useFinetuneDefaults();
    m_targetsKey->setEnabled(task() == Task::Regress);
    restoreSettings();
    persistChanges();
}

void TrainingOptionsForm::restoreSettings()
{
    QSettings settings;
    settings.beginGroup(kSettingsGroup);
    // Combo boxes first: the optimizer sets the learning rate, which is restored after it.
    for (QComboBox* b : findChildren<QComboBox*>()) {
        const QVariant v = settings.value(b->objectName());
        if (!v.isValid())
            continue;
        const int i = b->itemData(0).isValid() ? b->findData(v.toInt()) : b->findText(v.toString());
        if (i >= 0)
            b->setCurrentIndex(i);
    }
    for (QSpinBox* b : findChildren<QSpinBox*>())
        b->setValue(settings.value(b->objectName(), b->value()).toInt());
    for (QDoubleSpinBox* b : findChildren<QDoubleSpinBox*>())
        b->setValue(settings.value(b->objectName(), b->value()).toDouble());
    for (QLineEdit* e : {m_targetsKey, m_labels, m_testLabels})
        e->setText(settings.value(e->objectName(), e->text()).toString());
    m_advanced->setChecked(settings.value(m_advanced->objectName(), m_advanced->isChecked()).toBool());
}

void TrainingOptionsForm::persistChanges()
{
    auto store = [](const QString& key, const QVariant& value) {
        QSettings settings;
        settings.setValue(kSettingsGroup + "/" + key, value);
    };
    for (QComboBox* b : findChildren<QComboBox*>())
        connect(b, &QComboBox::currentIndexChanged, this, [b, store] {
            store(b->objectName(), b->currentData().isValid() ? b->currentData() : QVariant(b->currentText()));
        });
    for (QSpinBox* b : findChildren<QSpinBox*>())
        connect(b, &QSpinBox::valueChanged, this, [b, store](int v) { store(b->objectName(), v); });
    for (QDoubleSpinBox* b : findChildren<QDoubleSpinBox*>())
        connect(b, &QDoubleSpinBox::valueChanged, this, [b, store](double v) { store(b->objectName(), v); });
    for (QLineEdit* e : {m_targetsKey, m_labels, m_testLabels})
        connect(e, &QLineEdit::textChanged, this, [e, store](const QString& t) { store(e->objectName(), t); });
    connect(m_advanced, &QGroupBox::toggled, this, [this, store](bool on) { store(m_advanced->objectName(), on); });
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
    setTask(o.task);
}

void TrainingOptionsForm::useFinetuneDefaults()
{
    const FinetuneConfig defaults;
    setFinetune(defaults);
}

void TrainingOptionsForm::useTrainDefaults()
{
    // `circnn train`: Adam, lr 0.001, batch 64, constant schedule, 10 epochs, task auto.
    TrainOptions o;
    o.optimizer.kind = OptimizerKind::Adam;
    o.optimizer.learningRate = 1e-3;
    o.task = Task::Auto;
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

Task TrainingOptionsForm::task() const
{
    return static_cast<Task>(m_task->currentData().toInt());
}

void TrainingOptionsForm::setTask(Task task)
{
    selectData(m_task, int(task));
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
    o.task = task();
    return o;
}

void TrainingOptionsForm::applyTrainingDataOptions(DatasetOptions& options) const
{
    options.labelsPath = m_labels->text().trimmed().toStdString();
    options.targetsKey = m_targetsKey->text().trimmed().toStdString();
    options.integerValues = static_cast<IntegerValues>(m_integers->currentData().toInt());
}

void TrainingOptionsForm::applyTestDataOptions(DatasetOptions& options) const
{
    options.labelsPath = m_testLabels->text().trimmed().toStdString();
    options.targetsKey = m_targetsKey->text().trimmed().toStdString();
    options.integerValues = static_cast<IntegerValues>(m_integers->currentData().toInt());
}

bool TrainingOptionsForm::testDataNeedsOptions() const
{
    return !m_targetsKey->text().trimmed().isEmpty() || !m_testLabels->text().trimmed().isEmpty() ||
           static_cast<IntegerValues>(m_integers->currentData().toInt()) != IntegerValues::Auto;
}

void TrainingOptionsForm::check() const
{
    if (task() == Task::Regress && m_targetsKey->text().trimmed().isEmpty())
        throw Error("Targets key: task 'regress' needs the name of the HDF5 dataset / npz member holding the "
                    "targets (--targets-key)");
}

QString TrainingOptionsForm::lossTitleNote(bool finetune) const
{
    if (!finetune || m_distill->value() <= 0)
        return {};
    return tr("train loss with distillation (α = %1, T = %2)").arg(m_distill->value()).arg(m_temperature->value());
}

QString TrainingOptionsForm::lossToolTip(bool finetune) const
{
    if (lossTitleNote(finetune).isEmpty())
        return tr("Training loss (left axis) and validation loss (right axis): the cross-entropy, or the MSE for "
                  "reconstruct / regress.");
    return tr(
        "The training loss of a fine-tune is the distillation loss (left axis): classify (1−α)·CE + α·T²·CE_soft, "
        "CE against the labels and CE_soft against the original model's probabilities at temperature T; "
        "reconstruct / regress: the MSE against (1−α)·target + α·the original model's output. The validation "
        "loss (right axis) is the plain loss.");
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
    c.task = task();
    applyTrainingDataOptions(c.trainData.options);
    applyTestDataOptions(c.testData.options);
}

void TrainingOptionsForm::setFinetune(const FinetuneConfig& c)
{
    setTrainOptions(c.training);
    selectData(m_projection, int(c.projection));
    m_calibration->setValue(int(c.calibrationSamples));
    m_ridge->setValue(c.relativeRidge);
    m_distill->setValue(c.distillation);
    m_temperature->setValue(c.temperature);
    m_admmEpochs->setValue(c.admmEpochs);
    m_rho->setValue(c.rho);
    m_rhoGrowth->setValue(c.rhoGrowth);
    m_admmEvery->setValue(int(c.admmEveryBatches));
    setTask(c.task);
    m_labels->setText(QString::fromStdString(c.trainData.options.labelsPath.string()));
    m_testLabels->setText(QString::fromStdString(c.testData.options.labelsPath.string()));
    m_targetsKey->setText(QString::fromStdString(c.trainData.options.targetsKey));
    selectData(m_integers, int(c.trainData.options.integerValues));
}

} // namespace circnn::gui
