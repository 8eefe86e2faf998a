#include "TrainingView.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

#include "Document.h"
#include "DurationText.h"
#include "JobRunner.h"
#include "PlanEditor.h"
#include "TrainingOptionsForm.h"
#include "analysis/SaveWorkflow.h"
#include "charts/TrainingCharts.h"
#include "common/Error.h"
#include "model/ShapeInference.h"

namespace circnn::gui {

namespace {
const QString kChannel = QStringLiteral("training");
constexpr int kMaxStepPointsPerEpoch = 250;

using Rows = QList<QStringList>; // figure, starting model, result

QString pct(double f)
{
    return std::isnan(f) || f < 0 ? QStringLiteral("–") : QStringLiteral("%1 %").arg(100 * f, 0, 'f', 2);
}

QString count(std::int64_t n)
{
    return QLocale().toString(qlonglong(n));
}

QString ratio(std::int64_t before, std::int64_t after)
{
    return after > 0 ? QStringLiteral("%1×").arg(double(before) / double(after), 0, 'f', 2) : QStringLiteral("–");
}

QString planText(const ConversionRequest& r)
{
    return r.perLayer.empty() ? QObject::tr("k=%1").arg(r.defaultBlockSize) : QObject::tr("per-layer plan");
}

// The accuracy-like figure of an evaluation: top-1 for classifiers, the MSE otherwise.
QString evalFigure(const std::optional<Evaluation>& e)
{
    if (!e)
        return QStringLiteral("–");
    return e->task == Task::Classify ? pct(e->top1) : QString::number(e->errors.meanSquaredError, 'g', 5);
}

// A warning the user acts on, shown without blocking (the dialog deletes itself when closed).
void showWarning(QWidget* parent, const QString& title, const QString& message)
{
    auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

QStringList warningsOf(const std::vector<std::string>& warnings)
{
    QStringList out;
    for (const auto& w : warnings)
        out << QString::fromStdString(w);
    return out;
}
} // namespace

struct TrainingView::Outcome {
    Action action = Action::Project;
    std::shared_ptr<const ModelSpec> start; // the document's model the run started from
    std::shared_ptr<const ModelSpec> model;
    QString label; // the document's name for a block-circulant result
    Rows rows;
    QStringList warnings;
};

TrainingView::TrainingView(Document* document, QWidget* parent)
    : QWidget(parent), m_doc(document), m_feed(std::make_shared<Feed>())
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName("trainingSplitter");
    layout->addWidget(splitter);

    // Left: what to do (plan, data, options, actions), scrollable.
    auto* scroll = new QScrollArea(splitter);
    scroll->setWidgetResizable(true);
    auto* left = new QWidget(scroll);
    auto* ll = new QVBoxLayout(left);
    auto* planBox = new QGroupBox(tr("Conversion plan"), left);
    auto* pl = new QVBoxLayout(planBox);
    m_plan = new PlanEditor(m_doc, planBox);
    m_plan->setMinimumHeight(170);
    pl->addWidget(m_plan);
    ll->addWidget(planBox);
    auto* dataBox = new QGroupBox(tr("Training data"), left);
    auto* dl = new QFormLayout(dataBox);
    auto* dataRow = new QHBoxLayout;
    m_dataLabel = new QLabel(dataBox);
    auto* chooseData = new QPushButton(tr("Choose…"), dataBox);
    dataRow->addWidget(m_dataLabel, 1);
    dataRow->addWidget(chooseData);
    dl->addRow(tr("File"), dataRow);
    m_limit = new QSpinBox(dataBox);
    m_limit->setRange(0, 100000000);
    m_limit->setSpecialValueText(tr("all"));
    m_limit->setToolTip(tr("--limit: use only the first N training samples"));
    dl->addRow(tr("First samples"), m_limit);
    m_test = new QCheckBox(tr("evaluate on the inference view's dataset (--test)"), dataBox);
    dl->addRow(QString(), m_test);
    ll->addWidget(dataBox);
    auto* optBox = new QGroupBox(tr("Training options"), left);
    auto* ol = new QVBoxLayout(optBox);
    m_options = new TrainingOptionsForm(optBox);
    ol->addWidget(m_options);
    ll->addWidget(optBox);
    auto* archBox = new QGroupBox(tr("Train from an architecture"), left);
    auto* al = new QFormLayout(archBox);
    m_arch = new QLineEdit(QStringLiteral("784-128-10"), archBox);
    m_arch->setToolTip(tr("Shorthand (784-256-10, 28x28x1-c8-p2-64-10), JSON text or a .json file; or a model file "
                          "to train further as it is"));
    m_archK = new QSpinBox(archBox);
    m_archK->setRange(1, 65536);
    m_archK->setValue(8);
    m_archK->setToolTip(tr("-k: block size of the Dense / Conv2D layers (1 = dense); the output layer stays dense"));
    m_archOutput = new QCheckBox(tr("output layer block-circulant too (--convert-output)"), archBox);
    m_archName = new QLineEdit(archBox);
    m_archName->setPlaceholderText(tr("from the description"));
    m_archName->setToolTip(tr("--name: the model name"));
    al->addRow(tr("Architecture"), m_arch);
    al->addRow(tr("Block size k"), m_archK);
    al->addRow(QString(), m_archOutput);
    al->addRow(tr("Name"), m_archName);
    ll->addWidget(archBox);
    ll->addStretch();
    scroll->setWidget(left);

    // Right: actions, progress, charts, comparison.
    auto* right = new QWidget(splitter);
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    auto* actions = new QHBoxLayout;
    m_project = new QPushButton(tr("Project"), right);
    m_project->setToolTip(tr("Convert the model with the plan (no training): convertModel"));
    m_finetune = new QPushButton(tr("Fine-tune"), right);
    m_finetune->setToolTip(tr("Project and fine-tune with distillation: finetuneModel"));
    m_train = new QPushButton(tr("Train architecture"), right);
    m_train->setToolTip(tr("Train a new model from the architecture: trainModel"));
    m_cancel = new QPushButton(tr("Cancel"), right);
    m_save = new QPushButton(tr("Save result…"), right);
    for (QPushButton* b : {m_project, m_finetune, m_train, m_cancel, m_save})
        actions->addWidget(b);
    actions->addStretch();
    rl->addLayout(actions);
    m_progress = new QProgressBar(right);
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_progressText = new QLabel(tr("Choose a plan, then Project or Fine-tune."), right);
    m_progressText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    rl->addWidget(m_progressText);
    rl->addWidget(m_progress);
    auto* rs = new QSplitter(Qt::Vertical, right);
    rs->setObjectName("trainingChartsSplitter");
    m_lossView = new QChartView(rs);
    m_accView = new QChartView(rs);
    for (QChartView* v : {m_lossView, m_accView}) {
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumHeight(100);
    }
    m_curves = std::make_unique<charts::TrainingCurves>(m_lossView, m_accView);
    m_compare = new QTableWidget(0, 3, rs);
    m_compare->setObjectName("trainingComparison");
    m_compare->setHorizontalHeaderLabels({tr("figure"), tr("starting model"), tr("result")});
    m_compare->verticalHeader()->setVisible(false);
    m_compare->horizontalHeader()->setStretchLastSection(true);
    m_compare->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_compare->setMinimumHeight(60);
    rs->setStretchFactor(0, 3); // the charts get most of the height, the comparison table less
    rs->setStretchFactor(1, 3);
    rs->setStretchFactor(2, 2);
    rl->addWidget(rs, 1);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    splitter->setSizes({560, 840});

    m_drain = new QTimer(this);
    m_drain->setInterval(100);
    connect(m_drain, &QTimer::timeout, this, &TrainingView::drainFeed);
    connect(m_project, &QPushButton::clicked, this, [this] { start(Action::Project); });
    connect(m_finetune, &QPushButton::clicked, this, [this] { start(Action::Finetune); });
    connect(m_train, &QPushButton::clicked, this, [this] { start(Action::Train); });
    connect(m_cancel, &QPushButton::clicked, this, &TrainingView::cancel);
    connect(chooseData, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Training data"), QSettings().value("lastDatasetDirectory").toString(),
            tr("Datasets (*.h5 *.hdf5 *.npz *idx3-ubyte *idx3-ubyte.gz);;All files (*)"));
        if (!path.isEmpty())
            setTrainingData(path);
    });
    connect(m_save, &QPushButton::clicked, this, [this] {
        const QString path =
            QFileDialog::getSaveFileName(this, tr("Save result"), QSettings().value("lastSaveDirectory").toString(),
                                         tr("CirCNN native (*.circnn.h5);;Keras .h5, dense models only (*.h5)"));
        if (path.isEmpty())
            return;
        try {
            saveResult(path);
        } catch (const std::exception& e) {
            QMessageBox::warning(this, tr("Could not save"), QString::fromStdString(e.what()));
        }
    });
    connect(m_doc, &Document::datasetChanged, this, &TrainingView::updateDataLabel);
    connect(m_doc, &Document::modelChanged, this, [this] { setRunning(isRunning()); });
    connect(m_doc, &Document::weightsLoaded, this, [this] { setRunning(isRunning()); });
    connect(m_doc->jobs(), &JobRunner::jobFinished, this, [this](const QString& channel) {
        if (channel == kChannel && !isRunning())
            setRunning(false);
    });
    connect(m_doc->jobs(), &JobRunner::jobCancelled, this, [this](const QString& channel) {
        if (channel == kChannel)
            m_progressText->setText(tr("Cancelled; the document's model is unchanged."));
    });
    setRunning(false);
    updateDataLabel();
}

TrainingView::~TrainingView() = default;

bool TrainingView::isRunning() const
{
    return m_doc->jobs()->isBusy(kChannel);
}

void TrainingView::setRunning(bool running)
{
    const bool model = m_doc->model() != nullptr && !m_doc->weightsPending(); // Project / Fine-tune need weights
    m_project->setEnabled(!running && model);
    m_finetune->setEnabled(!running && model);
    m_train->setEnabled(!running);
    m_cancel->setEnabled(running);
    m_save->setEnabled(!running && m_result);
    if (!running && m_doc->weightsPending())
        m_progressText->setText(tr("Loading weights…"));
    else if (m_progressText->text() == tr("Loading weights…"))
        m_progressText->clear();
    if (running)
        m_drain->start();
    else
        m_drain->stop();
}

void TrainingView::setTrainingData(const QString& path)
{
    m_trainPath = path;
    updateDataLabel();
}

void TrainingView::setTrainingLimit(std::int64_t samples)
{
    m_limit->setValue(int(samples));
}

void TrainingView::setArchitecture(const QString& description, std::int64_t blockSize)
{
    m_arch->setText(description);
    m_archK->setValue(int(blockSize));
}

void TrainingView::updateDataLabel()
{
    const QString path = m_trainPath.isEmpty() ? m_doc->datasetPath() : m_trainPath;
    m_dataLabel->setText(path.isEmpty() ? tr("(none)") : QFileInfo(path).fileName());
    m_dataLabel->setToolTip(path);
}

DataSource TrainingView::trainingSource() const
{
    DataSource d;
    d.path = (m_trainPath.isEmpty() ? m_doc->datasetPath() : m_trainPath).toStdString();
    m_options->applyTrainingDataOptions(d.options);
    d.options.limit = m_limit->value();
    return d;
}

DataSource TrainingView::testSource() const
{
    DataSource d;
    if (!m_test->isChecked())
        return d;
    if (m_options->testDataNeedsOptions() && !m_doc->datasetPath().isEmpty()) {
        // Targets, test labels or integer values the inference view did not read: read the file again.
        d.path = m_doc->datasetPath().toStdString();
        m_options->applyTestDataOptions(d.options);
    } else if (m_doc->dataset()) {
        d.data = m_doc->dataset();
    }
    return d;
}

TrainingCallbacks TrainingView::callbacksFor(const std::shared_ptr<Feed>& feed) const
{
    TrainingCallbacks c;
    c.onPhase = [feed](const std::string& phase) {
        const std::lock_guard lock(feed->mutex);
        feed->phase = phase;
    };
    c.onStatus = [feed](const TrainStatus& s) {
        const std::lock_guard lock(feed->mutex);
        feed->statuses.push_back(s);
        feed->last = s;
        return true;
    };
    c.onEpoch = [feed](const EpochRecord& r) {
        const std::lock_guard lock(feed->mutex);
        feed->epochs.push_back(r);
    };
    return c;
}

void TrainingView::start(Action action)
{
    if (isRunning())
        return;
    if (action != Action::Train && !m_doc->model()) {
        emit failed(tr("open a model first"));
        return;
    }
    try {
        m_options->check();
    } catch (const Error& e) {
        const QString message = QString::fromStdString(e.what());
        m_progressText->setText(tr("Not started: %1").arg(message));
        showWarning(this, tr("Check the training options"), message);
        emit failed(message);
        return;
    }
    const SavePolicy policy{SaveFormat::Auto, "circnn-studio " CIRCNN_VERSION, true};
    auto feed = std::make_shared<Feed>();
    m_feed = feed;
    m_stepStride = 0;
    const ConversionRequest plan = m_doc->conversion();
    const std::shared_ptr<const ModelSpec> model = m_doc->model();
    FinetuneConfig fine;
    m_options->fillFinetune(fine);
    std::function<Outcome(const ProgressFn&)> work;
    QString title;
    if (action == Action::Project) {
        ConvertConfig c;
        c.model = ModelSource{{}, model};
        c.conversion = plan;
        if (fine.projection == ProjectionChoice::DataAware) {
            c.calibration = trainingSource();
            c.calibrationSamples = fine.calibrationSamples;
            c.relativeRidge = fine.relativeRidge;
        }
        title = tr("projection %1").arg(planText(plan));
        const QString kind = c.calibration.empty() ? tr("Frobenius") : tr("data-aware");
        work = [c, feed, title, kind](const ProgressFn& progress) mutable {
            c.progress = progress;
            c.conversion.reorderProgress = progress;
            c.onPhase = [feed](const std::string& phase) {
                const std::lock_guard lock(feed->mutex);
                feed->phase = phase;
            };
            const ConvertResult r = convertModel(c);
            Outcome o;
            o.model = std::make_shared<const ModelSpec>(r.conversion.model);
            o.label = QObject::tr("%1 (%2)").arg(title, kind);
            o.rows << QStringList{QObject::tr("stored parameters"), count(r.parametersBefore),
                                  count(r.parametersAfter)};
            o.rows << QStringList{QObject::tr("compression"), QStringLiteral("1×"),
                                  QStringLiteral("%1×").arg(r.compression, 0, 'f', 2)};
            for (const LayerConversion& l : r.conversion.layers)
                if (l.converted)
                    o.rows << QStringList{QObject::tr("relative residual %1 (k=%2)")
                                              .arg(QString::fromStdString(l.layer))
                                              .arg(l.blockSize),
                                          QString(), QString::number(l.relativeResidual, 'f', 4)};
            o.warnings = warningsOf(r.conversion.warnings);
            return o;
        };
    } else if (action == Action::Finetune) {
        FinetuneConfig c = fine;
        c.model = ModelSource{{}, model};
        c.conversion = plan;
        c.trainData = trainingSource();
        c.testData = testSource();
        c.save = policy;
        c.callbacks = callbacksFor(feed);
        title = tr("fine-tuned %1").arg(planText(plan));
        work = [c, title](const ProgressFn& progress) mutable {
            c.callbacks.progress = progress;
            c.conversion.reorderProgress = progress;
            const FinetuneResult r = finetuneModel(c);
            const bool classify = r.task == Task::Classify;
            Outcome o;
            o.model = std::make_shared<const ModelSpec>(r.model);
            o.label = title;
            o.rows << QStringList{QObject::tr("stored parameters"), count(r.parametersBefore), count(r.parameters)};
            o.rows << QStringList{QObject::tr("compression"), QStringLiteral("1×"),
                                  ratio(r.parametersBefore, r.parameters)};
            o.rows << QStringList{QObject::tr("projection"), QString(),
                                  QString::fromUtf8(projectionName(r.projection))};
            auto val = [&](double v) { return classify ? pct(v) : QString::number(v, 'g', 5); };
            o.rows << QStringList{classify ? QObject::tr("validation accuracy (projected start → best)")
                                           : QObject::tr("validation MSE (projected start → best)"),
                                  r.startValidationAccuracy < 0 ? QStringLiteral("–") : val(r.startValidationAccuracy),
                                  val(r.training.bestValidationAccuracy)};
            if (r.testOriginal) {
                o.rows << QStringList{QObject::tr("test (original → fine-tuned)"), evalFigure(r.testOriginal),
                                      evalFigure(r.testFinetuned)};
                o.rows << QStringList{QObject::tr("test, projection alone"), QString(), evalFigure(r.testProjected)};
            }
            o.rows << QStringList{QObject::tr("best epoch"), QString(),
                                  r.startingPointKept ? QObject::tr("0 (starting point kept)")
                                                      : QString::number(r.training.bestEpoch)};
            o.rows << QStringList{QObject::tr("training time"), QString(), formatDuration(r.training.seconds)};
            o.warnings = warningsOf(r.warnings);
            return o;
        };
    } else {
        TrainConfig c;
        c.source = m_arch->text().trimmed().toStdString();
        c.blockSize = m_archK->value();
        c.convertOutputLayer = m_archOutput->isChecked();
        c.name = m_archName->text().trimmed().toStdString();
        c.trainData = trainingSource();
        c.testData = testSource();
        c.training = m_options->trainOptions();
        c.save = policy;
        c.callbacks = callbacksFor(feed);
        title = tr("%1, k=%2").arg(m_arch->text().trimmed()).arg(m_archK->value());
        work = [c](const ProgressFn& progress) mutable {
            c.callbacks.progress = progress;
            const TrainModelResult r = trainModel(c);
            Outcome o;
            o.action = Action::Train;
            o.model = std::make_shared<const ModelSpec>(r.model);
            o.rows << QStringList{QObject::tr("stored parameters"), QString(), count(r.parameters)};
            o.rows << QStringList{QObject::tr("best epoch"), QString(), QString::number(r.training.bestEpoch)};
            o.rows << QStringList{QObject::tr("best validation figure"), QString(),
                                  pct(r.training.bestValidationAccuracy)};
            o.rows << QStringList{QObject::tr("test"), QString(), evalFigure(r.test)};
            o.rows << QStringList{QObject::tr("training time"), QString(), formatDuration(r.training.seconds)};
            o.warnings = warningsOf(r.warnings);
            return o;
        };
    }
    const int epochs = action == Action::Project ? 1 : fine.training.epochs;
    m_curves->reset(epochs, title);
    // A fine-tune's training loss is the distillation loss: the chart says so.
    const QString lossNote = m_options->lossTitleNote(action == Action::Finetune);
    if (!lossNote.isEmpty())
        m_curves->lossChart()->setTitle(tr("Loss — %1 · %2").arg(title, lossNote));
    m_lossView->setToolTip(m_options->lossToolTip(action == Action::Finetune));
    m_progress->setValue(0);
    m_progressText->setText(tr("Starting %1…").arg(title));
    m_doc->jobs()->run(
        kChannel, tr("Training: %1").arg(title),
        [work, action, model](const ProgressFn& progress) {
            Outcome o = work(progress);
            o.action = action;
            o.start = model;
            return o;
        },
        this, [this](const Outcome& o) { finish(o); },
        [this](const QString& message) {
            drainFeed();
            m_progressText->setText(tr("Failed: %1").arg(message));
            showWarning(this, tr("Training failed"), message);
            emit failed(message);
        });
    setRunning(true);
    emit started();
}

void TrainingView::cancel()
{
    m_doc->jobs()->cancel(kChannel);
}

void TrainingView::drainFeed()
{
    std::vector<TrainStatus> statuses;
    std::vector<EpochRecord> epochs;
    std::optional<TrainStatus> last;
    std::string phase;
    {
        const std::lock_guard lock(m_feed->mutex);
        statuses.swap(m_feed->statuses);
        epochs.swap(m_feed->epochs);
        last = m_feed->last;
        phase = m_feed->phase;
    }
    if (!statuses.empty() && m_stepStride == 0)
        m_stepStride = int(std::max<std::int64_t>(1, statuses.front().batches / kMaxStepPointsPerEpoch));
    // Display decimation: every stride-th batch of an epoch, and its last.
    std::erase_if(statuses, [this](const TrainStatus& s) {
        return s.batch % std::max(1, m_stepStride) != 0 && s.batch != s.batches;
    });
    if (!statuses.empty())
        m_curves->appendSteps(statuses);
    if (!epochs.empty())
        m_curves->appendEpochs(epochs);
    if (last) {
        const double done = double(last->epoch - 1) + (last->batches ? double(last->batch) / double(last->batches) : 0);
        m_progress->setValue(int(1000 * done / std::max(1, last->epochs)));
        m_progressText->setText(
            tr("%1 · epoch %2/%3 · batch %4/%5 · loss %6 · accuracy %7 · elapsed %8 · ETA %9")
                .arg(QString::fromStdString(phase))
                .arg(last->epoch)
                .arg(last->epochs)
                .arg(last->batch)
                .arg(last->batches)
                .arg(last->loss, 0, 'f', 4)
                .arg(pct(last->accuracy), formatDuration(last->elapsedSeconds), formatDuration(last->etaSeconds)));
    } else if (!phase.empty()) {
        m_progressText->setText(QString::fromStdString(phase) + QStringLiteral("…"));
    }
    if (!statuses.empty() || !epochs.empty())
        emit curvesUpdated();
}

void TrainingView::finish(const Outcome& o)
{
    drainFeed();
    m_result = o.model;
    m_progress->setValue(1000);
    m_progressText->setText(o.warnings.isEmpty() ? tr("Done.") : tr("Done. %1").arg(o.warnings.join(" ")));
    m_compare->setRowCount(int(o.rows.size()));
    for (int r = 0; r < o.rows.size(); ++r)
        for (int c = 0; c < 3; ++c) {
            auto* item = new QTableWidgetItem(o.rows[r].value(c));
            if (c > 0)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_compare->setItem(r, c, item);
        }
    m_compare->resizeColumnsToContents();
    // A version of the open model (not of one opened since) becomes its block-circulant model.
    if (o.action != Action::Train && o.start == m_doc->model())
        m_doc->setCirculantModel(o.model, o.label);
    setRunning(false);
    emit finished();
}

void TrainingView::saveResult(const QString& path)
{
    if (!m_result)
        throw Error("nothing to save yet: Project, Fine-tune or Train first");
    QSettings().setValue("lastSaveDirectory", QFileInfo(path).path());
    m_doc->jobs()->run(
        QStringLiteral("save"), tr("Saving %1").arg(QFileInfo(path).fileName()),
        [model = m_result, file = path.toStdString()](const ProgressFn&) {
            return saveModel(*model, file, SavePolicy{SaveFormat::Auto, "circnn-studio " CIRCNN_VERSION, true});
        },
        this,
        [this](const SaveResult& r) {
            const QString file = QString::fromStdString(r.path.string());
            m_progressText->setText(
                tr("Saved %1 (%2).%3")
                    .arg(file, QString::fromStdString(r.format),
                         r.warnings.empty() ? QString() : QStringLiteral(" ") + warningsOf(r.warnings).join(" ")));
            emit saved(file);
        },
        [this, path](const QString& message) {
            showWarning(this, tr("Could not save"), tr("Could not save %1:\n\n%2").arg(path, message));
            emit failed(message);
        });
}

} // namespace circnn::gui
