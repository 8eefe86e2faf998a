#include "InferenceView.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

#include "Document.h"
#include "JobRunner.h"
#include "SampleBrowser.h"
#include "analysis/SamplePrediction.h"
#include "charts/InferenceCharts.h"
#include "model/ShapeInference.h"
#include "widgets/HeatmapWidget.h"

namespace circnn::gui {

namespace {
const QString kChannel = QStringLiteral("evaluate");

bool plansConversion(const ConversionRequest& r)
{
    return r.defaultBlockSize > 1 || !r.perLayer.empty();
}

QString planLabel(const ConversionRequest& r)
{
    if (r.perLayer.empty())
        return QObject::tr("projection k=%1").arg(r.defaultBlockSize);
    return QObject::tr("projection (per-layer plan)");
}

QString percent(double f)
{
    return std::isnan(f) ? QStringLiteral("–") : QStringLiteral("%1 %").arg(100 * f, 0, 'f', 2);
}

QTableWidgetItem* item(const QString& text, bool number = true)
{
    auto* i = new QTableWidgetItem(text);
    i->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    if (number)
        i->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return i;
}

struct Outcome {
    std::shared_ptr<const InferenceView::Result> result;
    std::shared_ptr<const Model> model, circulant; // prepared, handed to the sample browser
    bool projectedHere = false;
};
} // namespace

InferenceView::InferenceView(Document* document, QWidget* parent) : QWidget(parent), m_doc(document)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* bar = new QHBoxLayout;
    m_dataLabel = new QLabel(this);
    m_dataLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* openData = new QPushButton(tr("Dataset…"), this);
    openData->setToolTip(tr("Open a labelled dataset: IDX (.gz), HDF5 (x / y) or .npz"));
    m_circLabel = new QLabel(this);
    m_limit = new QSpinBox(this);
    m_limit->setRange(0, 100000000);
    m_limit->setSpecialValueText(tr("all samples"));
    m_limit->setPrefix(tr("first "));
    m_limit->setToolTip(tr("Evaluate only the first N samples (0 = all)"));
    m_evaluate = new QPushButton(tr("Evaluate"), this);
    m_evaluate->setObjectName("evaluateButton");
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    m_status = new QLabel(this);
    bar->addWidget(m_dataLabel);
    bar->addWidget(openData);
    bar->addSpacing(12);
    bar->addWidget(m_circLabel, 1);
    bar->addWidget(m_limit);
    bar->addWidget(m_evaluate);
    bar->addWidget(m_cancel);
    layout->addLayout(bar);
    layout->addWidget(m_status);

    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName("inferenceSplitter");
    m_browser = new SampleBrowser(m_doc, m_splitter);
    auto* tables = new QSplitter(Qt::Vertical, m_splitter);
    tables->setObjectName("inferenceTablesSplitter");
    m_summary = new QTableWidget(tables);
    m_summary->setObjectName("inferenceSummary");
    m_perClass = new QTableWidget(tables);
    m_perClass->setObjectName("inferencePerClass");
    for (QTableWidget* t : {m_summary, m_perClass}) {
        t->verticalHeader()->setVisible(false);
        t->horizontalHeader()->setStretchLastSection(true);
        t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    }
    auto* confusion = new QWidget(m_splitter);
    auto* cl = new QVBoxLayout(confusion);
    cl->setContentsMargins(0, 0, 0, 0);
    m_confusionOf = new QComboBox(confusion);
    m_confusionOf->addItems({tr("Confusion matrix of the model"), tr("Confusion matrix of the block-circulant model")});
    cl->addWidget(m_confusionOf);
    auto* cs = new QSplitter(Qt::Vertical, confusion);
    cs->setObjectName("inferenceConfusionSplitter");
    m_confusion = new HeatmapWidget(cs);
    m_confusion->setObjectName("confusionHeatmap");
    m_confusion->setMinimumSize(200, 150);
    // Counts: a sequential colour map, class labels on both axes, each cell's count written in it.
    m_confusion->setColourMap(ColourMapKind::Sequential, tr("count"));
    m_confusion->setCellValuesShown(true);
    m_confusion->clear(tr("Evaluate to see the confusion matrix."));
    auto* cellBox = new QWidget(cs);
    auto* cb = new QVBoxLayout(cellBox);
    cb->setContentsMargins(0, 0, 0, 0);
    m_cellTitle = new QLabel(tr("Click a cell to list its samples."), cellBox);
    m_cellTitle->setWordWrap(true);
    m_cellSamples = new QListWidget(cellBox);
    cb->addWidget(m_cellTitle);
    cb->addWidget(m_cellSamples);
    cl->addWidget(cs, 1);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setStretchFactor(2, 3);
    m_splitter->setSizes({620, 360, 520});
    layout->addWidget(m_splitter, 1);

    connect(openData, &QPushButton::clicked, this, [this] {
        const QString dir =
            QSettings().value("lastDatasetDirectory", QFileInfo(m_doc->datasetPath()).path()).toString();
        const QString path =
            QFileDialog::getOpenFileName(this, tr("Open dataset"), dir,
                                         tr("Datasets (*.h5 *.hdf5 *.npz *idx3-ubyte *idx3-ubyte.gz);;All files (*)"));
        if (path.isEmpty())
            return;
        QSettings().setValue("lastDatasetDirectory", QFileInfo(path).path());
        m_doc->openDataset(path);
    });
    connect(m_evaluate, &QPushButton::clicked, this, &InferenceView::evaluate);
    connect(m_cancel, &QPushButton::clicked, this, &InferenceView::cancel);
    connect(m_limit, &QSpinBox::valueChanged, this, [this](int) { updateHeader(); });
    connect(m_confusionOf, &QComboBox::currentIndexChanged, this, [this](int i) { showConfusionOf(i); });
    connect(m_confusion, &HeatmapWidget::cellClicked, this,
            [this](qint64 row, qint64 col) { selectConfusionCell(int(row), int(col)); });
    connect(m_cellSamples, &QListWidget::itemActivated, this,
            [this](QListWidgetItem* i) { m_browser->showSample(i->data(Qt::UserRole).toLongLong()); });
    connect(m_cellSamples, &QListWidget::itemClicked, this,
            [this](QListWidgetItem* i) { m_browser->showSample(i->data(Qt::UserRole).toLongLong()); });
    connect(m_doc, &Document::datasetFailed, this, [this](const QString& path, const QString& reason) {
        auto* box = new QMessageBox(QMessageBox::Warning, tr("Could not read dataset"),
                                    tr("Could not read %1:\n\n%2\n\nThe current dataset stays.")
                                        .arg(QFileInfo(path).absoluteFilePath(), reason),
                                    QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    for (auto signal : {&Document::modelChanged, &Document::datasetChanged, &Document::circulantModelChanged,
                        &Document::conversionChanged, &Document::weightsLoaded})
        connect(m_doc, signal, this, &InferenceView::updateHeader);
    // The bundled sample set is the default dataset once a model is open. Results of the previous
    // model go (a running evaluation of it is cancelled).
    connect(m_doc, &Document::modelChanged, this, [this] {
        cancel();
        m_result.reset();
        m_summary->setRowCount(0);
        m_perClass->setRowCount(0);
        m_cellSamples->clear();
        m_confusion->clear(tr("Evaluate to see the confusion matrix."));
        m_status->clear();
        updateHeader(); // "Loading weights…" while the document reads them
        if (m_doc->model() && !m_doc->dataset() && !m_doc->jobs()->isBusy(QStringLiteral("dataset")))
            m_doc->openDataset(Document::defaultDatasetPath());
    });
    connect(m_doc->jobs(), &JobRunner::jobFinished, this, [this](const QString& channel) {
        if (channel == kChannel) {
            m_cancel->setEnabled(false);
            updateHeader();
        }
    });
    connect(m_doc->jobs(), &JobRunner::jobCancelled, this, [this](const QString& channel) {
        if (channel == kChannel)
            m_status->setText(tr("Evaluation cancelled."));
    });
    updateHeader();
}

void InferenceView::updateHeader()
{
    m_dataLabel->setText(m_doc->dataset() ? tr("Dataset: <b>%1</b> (%2 samples)")
                                                .arg(QFileInfo(m_doc->datasetPath()).fileName().toHtmlEscaped())
                                                .arg(m_doc->dataset()->count())
                                          : tr("Dataset: none"));
    m_dataLabel->setToolTip(m_doc->datasetPath());
    const QString circ = m_doc->circulantModel() ? m_doc->circulantLabel()
                         : plansConversion(m_doc->conversion())
                             ? tr("%1 (made on Evaluate)").arg(planLabel(m_doc->conversion()))
                             : tr("none (the plan converts no layer)");
    m_circLabel->setText(tr("Block-circulant model: %1").arg(circ.toHtmlEscaped()));
    m_evaluate->setEnabled(m_doc->model() && !m_doc->weightsPending() && m_doc->dataset() &&
                           !m_doc->jobs()->isBusy(kChannel));
    if (m_doc->weightsPending())
        m_status->setText(tr("Loading weights…"));
    else if (m_status->text() == tr("Loading weights…"))
        m_status->clear();
}

void InferenceView::setLimit(std::int64_t samples)
{
    m_limit->setValue(int(samples));
}

void InferenceView::cancel()
{
    m_doc->jobs()->cancel(kChannel);
}

void InferenceView::evaluate()
{
    if (!m_doc->model() || !m_doc->dataset()) {
        emit evaluationFailed(tr("open a model and a dataset first"));
        return;
    }
    auto spec = m_doc->model();
    auto circulant = m_doc->circulantModel();
    QString label = m_doc->circulantLabel();
    const ConversionRequest plan = m_doc->conversion();
    if (!circulant && plansConversion(plan))
        label = planLabel(plan);
    const auto data = m_doc->dataset();
    const std::int64_t limit = m_limit->value();
    m_evaluate->setEnabled(false);
    m_cancel->setEnabled(true);
    m_status->setText(tr("Evaluating…"));
    m_doc->jobs()->run(
        kChannel, tr("Evaluating on %1").arg(QFileInfo(m_doc->datasetPath()).fileName()),
        [spec, circulant, plan, data, limit, label](const ProgressFn& progress) mutable {
            Outcome o;
            auto r = std::make_shared<Result>();
            r->modelSpec = spec;
            r->data = data;
            r->circulantLabel = label;
            if (!circulant && plansConversion(plan)) {
                ConversionRequest request = plan;
                request.reorderProgress = progress;
                circulant = std::make_shared<const ModelSpec>(convertModel(*spec, request).model);
                o.projectedHere = true;
            }
            r->circulantSpec = circulant;
            EvaluateConfig config;
            config.model = ModelSource{{}, spec};
            config.data = DataSource{{}, {}, data};
            config.limit = limit;
            config.progress = progress;
            r->model = evaluateModel(config);
            o.model = std::make_shared<const Model>(*spec);
            if (circulant) {
                config.model = ModelSource{{}, circulant};
                r->circulant = evaluateModel(config);
                o.circulant = std::make_shared<const Model>(*circulant);
                EvalOptions options;
                options.limit = limit;
                options.progress = progress;
                const auto fitted = loadDataSource(config.data, o.model->inputShape());
                r->agreement = compareModels(*o.model, *o.circulant, *fitted, options);
            }
            o.result = std::move(r);
            return o;
        },
        this,
        [this](const Outcome& o) {
            if (o.projectedHere && o.result->modelSpec == m_doc->model())
                m_doc->setCirculantModel(o.result->circulantSpec, o.result->circulantLabel);
            m_result = o.result;
            m_browser->adoptPrepared(o.result->modelSpec, o.model);
            m_browser->adoptPrepared(o.result->circulantSpec, o.circulant);
            showResult();
            emit evaluated();
        },
        [this](const QString& message) {
            m_status->setText(tr("Evaluation failed: %1").arg(message));
            emit evaluationFailed(message);
        });
}

const Evaluation* InferenceView::shownEvaluation() const
{
    if (!m_result)
        return nullptr;
    if (m_confusionOf->currentIndex() == 1 && m_result->circulant)
        return &m_result->circulant->evaluation;
    return &m_result->model.evaluation;
}

void InferenceView::showResult()
{
    const Result& r = *m_result;
    const Evaluation& a = r.model.evaluation;
    const Evaluation* b = r.circulant ? &r.circulant->evaluation : nullptr;
    m_status->setText(tr("Evaluated %1 samples of %2.").arg(a.count).arg(QFileInfo(m_doc->datasetPath()).fileName()));
    const QStringList columns{tr("figure"), tr("model"), b ? r.circulantLabel : tr("block-circulant")};
    m_summary->clear();
    m_summary->setColumnCount(3);
    m_summary->setHorizontalHeaderLabels(columns);
    QList<QStringList> rows;
    auto both = [&](const QString& name, auto f) { rows << QStringList{name, f(a), b ? f(*b) : QStringLiteral("–")}; };
    both(tr("samples"), [](const Evaluation& e) { return QString::number(e.count); });
    if (a.task == Task::Classify) {
        both(tr("top-1 accuracy"), [](const Evaluation& e) { return percent(e.top1); });
        both(tr("top-5 accuracy"), [](const Evaluation& e) { return percent(e.top5); });
        both(tr("cross-entropy (mean)"),
             [](const Evaluation& e) { return QString::number(e.meanCrossEntropy, 'f', 4); });
    } else {
        both(tr("mean squared error"),
             [](const Evaluation& e) { return QString::number(e.errors.meanSquaredError, 'g', 5); });
    }
    both(tr("images/s"), [](const Evaluation& e) { return QString::number(e.imagesPerSecond, 'f', 0); });
    if (r.circulantSpec)
        rows << QStringList{tr("stored parameters"), QLocale().toString(qlonglong(modelStats(*r.modelSpec).parameters)),
                            QLocale().toString(qlonglong(modelStats(*r.circulantSpec).parameters))};
    if (r.agreement) {
        rows << QStringList{tr("top-1 agreement"), QString(), percent(r.agreement->top1Match)};
        rows << QStringList{tr("max |output difference|"), QString(),
                            QString::number(r.agreement->maxAbsDifference, 'g', 4)};
    }
    m_summary->setRowCount(int(rows.size()));
    for (int i = 0; i < rows.size(); ++i)
        for (int c = 0; c < 3; ++c)
            m_summary->setItem(i, c, item(rows[i][c], c > 0));
    m_summary->resizeColumnsToContents();

    m_perClass->clear();
    const int classes = int(a.perClassAccuracy.size());
    const QStringList names = charts::classNamesFor(QFileInfo(m_doc->datasetPath()).fileName(), classes);
    m_perClass->setColumnCount(4);
    m_perClass->setHorizontalHeaderLabels({tr("class"), tr("samples"), tr("model"), b ? r.circulantLabel : QString()});
    m_perClass->setRowCount(classes);
    const std::vector<std::int64_t> counts = classSampleCounts(a);
    for (int c = 0; c < classes; ++c) {
        m_perClass->setItem(c, 0, item(names[c], false));
        m_perClass->setItem(c, 1, item(QString::number(counts[std::size_t(c)])));
        m_perClass->setItem(c, 2, item(percent(a.perClassAccuracy[std::size_t(c)])));
        m_perClass->setItem(c, 3,
                            item(b && std::size_t(c) < b->perClassAccuracy.size()
                                     ? percent(b->perClassAccuracy[std::size_t(c)])
                                     : QString()));
    }
    m_perClass->resizeColumnsToContents();
    m_confusionOf->setItemText(
        1, tr("Confusion matrix of the %1").arg(b ? r.circulantLabel : tr("block-circulant model")));
    if (b && m_confusionOf->currentIndex() != 1)
        m_confusionOf->setCurrentIndex(1); // shows it
    else
        showConfusionOf(m_confusionOf->currentIndex());
}

void InferenceView::showConfusionOf(int which)
{
    if (m_confusionOf->currentIndex() != which) {
        m_confusionOf->setCurrentIndex(which); // re-enters through currentIndexChanged
        return;
    }
    m_cellSamples->clear();
    m_cellTitle->setText(tr("Click a cell to list its samples."));
    const Evaluation* e = shownEvaluation();
    if (!e || e->confusion.empty()) {
        m_confusion->clear(e ? tr("No confusion matrix (not a classifier).")
                             : tr("Evaluate to see the confusion matrix."));
        return;
    }
    const auto n = std::int64_t(e->confusion.size());
    auto values = std::make_shared<std::vector<float>>();
    values->reserve(std::size_t(n * n));
    // Colour scale 0 … the most frequent confusion, so that the errors are visible; the diagonal
    // (correct predictions) saturates, the legend's top reads "≥ N" and each cell shows its count.
    const float scale = float(std::max<std::int64_t>(1, largestConfusion(*e)));
    for (const auto& row : e->confusion)
        for (std::int64_t v : row)
            values->push_back(float(v));
    const QStringList names = charts::classNamesFor(QFileInfo(m_doc->datasetPath()).fileName(), int(n));
    m_confusion->setAxisLabels(names, names, tr("true class"), tr("predicted class"));
    m_confusion->setMatrix(values, n, n, scale, tr("Samples per (true, predicted) class, %1 evaluated").arg(e->count));
}

void InferenceView::selectConfusionCell(int trueClass, int predictedClass)
{
    const Evaluation* e = shownEvaluation();
    if (!e || !m_result || m_result->data->labels.empty())
        return;
    const auto samples = confusionCellSamples(m_result->data->labels, e->predictions, trueClass, predictedClass);
    const QStringList names =
        charts::classNamesFor(QFileInfo(m_doc->datasetPath()).fileName(), int(e->confusion.size()));
    m_cellTitle->setText(tr("%1 samples of class %2 predicted as %3 (click one to browse to it):")
                             .arg(samples.size())
                             .arg(names.value(trueClass), names.value(predictedClass)));
    m_cellSamples->clear();
    for (std::int64_t i : samples) {
        auto* it = new QListWidgetItem(tr("sample %1").arg(i), m_cellSamples);
        it->setData(Qt::UserRole, qlonglong(i));
    }
}

} // namespace circnn::gui
