#include "SweepView.h"

#include <QChartView>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScatterSeries>
#include <QScrollArea>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "AutoPlanPanel.h"
#include "BuildInfo.h"
#include "Document.h"
#include "DurationText.h"
#include "JobRunner.h"
#include "SweepConfigForm.h"
#include "SweepFeed.h"
#include "SweepTableModel.h"
#include "charts/ChartBuilders.h"
#include "common/Error.h"

namespace circnn::gui {

namespace {
const QString kChannel = QStringLiteral("sweep");
constexpr charts::SweepChartKind kKinds[] = {
    charts::SweepChartKind::ParetoCompression, charts::SweepChartKind::EnergyVsBlockSize,
    charts::SweepChartKind::FramesPerSecondVsBlockSize, charts::SweepChartKind::Sensitivity};
} // namespace

SweepView::SweepView(Document* document, QWidget* parent) : QWidget(parent), m_doc(document)
{
    m_form = new SweepConfigForm;
    auto* scroll = new QScrollArea;
    scroll->setWidget(m_form);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);

    m_run = new QPushButton(tr("Run sweep"));
    m_resume = new QPushButton(tr("Resume…"));
    m_resume->setToolTip(tr("Continue a stopped sweep from its results file"));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setEnabled(false);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_run);
    buttons->addWidget(m_resume);
    buttons->addWidget(m_cancel);
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status = new QLabel(tr("Set up a sweep and press Run."));
    m_status->setWordWrap(true);
    m_status->setObjectName("sweepStatus");

    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(scroll, 1);
    leftLayout->addLayout(buttons);
    leftLayout->addWidget(m_progress);
    leftLayout->addWidget(m_status);

    m_tabs = new QTabWidget;
    const QString names[] = {tr("Accuracy vs compression"), tr("Energy / frame"), tr("Frames / s"), tr("Sensitivity")};
    for (int i = 0; i < 4; ++i) {
        auto* view = new QChartView;
        view->setRenderHint(QPainter::Antialiasing);
        view->setObjectName(QString("sweepChart%1").arg(i));
        m_chartViews.push_back(view);
        m_tabs->addTab(view, names[i]);
    }
    m_model = new SweepTableModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(Qt::UserRole);
    m_table = new QTableView;
    m_table->setObjectName("sweepTable");
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(SweepTableModel::Id, Qt::AscendingOrder); // the sweep's point order
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setToolTip(tr("Click a row to show that configuration in the explorer and hardware views"));
    m_tabs->addTab(m_table, tr("Table"));
    m_plan = new AutoPlanPanel(document, m_form);
    m_tabs->addTab(m_plan, tr("Automatic plan"));

    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->setObjectName("sweepSplitter");
    splitter->addWidget(left);
    splitter->addWidget(m_tabs);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({440, 900});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(splitter);

    m_poll = new QTimer(this);
    m_poll->setInterval(200);
    connect(m_poll, &QTimer::timeout, this, &SweepView::poll);
    connect(m_run, &QPushButton::clicked, this, &SweepView::run);
    connect(m_cancel, &QPushButton::clicked, this, &SweepView::cancel);
    connect(m_resume, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Resume sweep"), m_form->resultsFile(),
                                                          tr("Sweep results (*.jsonl);;All files (*)"));
        if (!path.isEmpty())
            resume(path);
    });
    connect(m_table, &QTableView::clicked, this, &SweepView::loadRow);
    connect(m_doc, &Document::modelChanged, this, [this] {
        if (m_doc->model() && m_doc->derivation().isEmpty())
            m_form->setCurrentModel(m_doc->path());
        updateGate();
    });
    connect(m_doc, &Document::weightsLoaded, this, &SweepView::updateGate);
    connect(m_doc->jobs(), &JobRunner::jobCancelled, this, [this](const QString& channel) {
        if (channel == kChannel && m_running)
            finish(false,
                   tr("Cancelled; the finished points are kept in %1 (Resume continues it).").arg(m_resultsPath));
    });
    resetResults(SweepConfig{});
}

SweepView::~SweepView() = default;

QList<QChartView*> SweepView::chartViews() const
{
    return QList<QChartView*>(m_chartViews.begin(), m_chartViews.end());
}

bool SweepView::isRunning() const
{
    return m_running;
}

void SweepView::showError(const QString& title, const QString& message)
{
    m_status->setText(title + ": " + message);
    auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box->setObjectName("sweepErrorBox");
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void SweepView::updateGate()
{
    // While the open model's weights are read, no sweep starts (its model may be that file, and
    // the views it drives have no weights yet); weightsLoaded lifts the gate.
    const bool pending = m_doc->weightsPending();
    m_run->setEnabled(!m_running && !pending);
    m_resume->setEnabled(!m_running && !pending);
    if (pending && !m_running)
        m_status->setText(tr("Loading weights…"));
    else if (!pending && m_status->text() == tr("Loading weights…"))
        m_status->setText(tr("Set up a sweep and press Run."));
}

bool SweepView::run()
{
    if (m_running || m_doc->weightsPending())
        return false;
    SweepConfig config;
    try {
        config = m_form->config();
    } catch (const std::exception& e) {
        showError(tr("Sweep settings"), QString::fromStdString(e.what()));
        return false;
    }
    if (m_form->resultsFile().isEmpty()) {
        const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + "/sweeps";
        QDir().mkpath(dir);
        m_form->setResultsFile(dir + "/sweep-" + QDateTime::currentDateTimeUtc().toString("yyyyMMdd-HHmmss") +
                               ".jsonl");
    }
    if (QFileInfo(m_form->resultsFile()).size() > 0) {
        showError(
            tr("Sweep results file"),
            tr("%1 already holds results. Choose another file, or Resume to continue it.").arg(m_form->resultsFile()));
        return false;
    }
    start(config, false, nullptr);
    return true;
}

bool SweepView::resume(const QString& resultsFile)
{
    if (m_running || m_doc->weightsPending())
        return false;
    SweepResultsContents existing;
    try {
        existing = readSweepResults(resultsFile.toStdString());
    } catch (const std::exception& e) {
        showError(tr("Cannot resume"), QString::fromStdString(e.what()));
        return false;
    }
    m_form->setConfig(existing.headers.front().config);
    m_form->setResultsFile(resultsFile);
    start(existing.headers.front().config, true, &existing);
    return true;
}

void SweepView::resetResults(const SweepConfig& config)
{
    m_config = config;
    m_model->clear();
    m_charts.clear();
    for (std::size_t i = 0; i < m_chartViews.size(); ++i) {
        auto live = std::make_unique<charts::LiveSweepChart>(kKinds[i], config);
        charts::showChart(m_chartViews[i], live->takeChart().release());
        m_charts.push_back(std::move(live));
    }
}

void SweepView::start(const SweepConfig& config, bool resume, const SweepResultsContents* existing)
{
    resetResults(config);
    m_lastRun.reset();
    m_resultsPath = m_form->resultsFile();
    if (existing)
        for (const SweepPointResult& p : existing->points)
            addPoint(p);
    m_feed = std::make_shared<SweepFeed>();
    SweepRunOptions options;
    options.resultsFile = m_resultsPath.toStdString();
    options.resume = resume;
    options.parallelism = m_form->parallelism();
    options.provenance.tool = std::string("circnn-studio ") + CIRCNN_VERSION;
    options.provenance.gitCommit = build::commit();
    options.provenance.commandLine = "circnn-studio, sweep view: " + sweepConfigToJson(config).dump();
    m_running = true;
    m_run->setEnabled(false);
    m_resume->setEnabled(false);
    m_cancel->setEnabled(true);
    m_progress->setRange(0, 0);
    m_status->setText(tr("Starting (reading the models and data)…"));
    std::shared_ptr<SweepFeed> feed = m_feed;
    m_doc->jobs()->run(
        kChannel, tr("Sweep"),
        [config, options, feed](const ProgressFn& progress) mutable {
            options.progress = [feed, progress](const SweepProgress& s) {
                feed->setProgress(s);
                return progress(s.done, s.total);
            };
            options.onPoint = [feed](const SweepPointResult& p) { feed->push(p); };
            return runSweep(config, options);
        },
        this,
        [this](const SweepRunResult& r) {
            m_lastRun = r;
            finish(true, tr("Finished: %1 points (%2 computed, %3 resumed) in %4; results in %5.")
                             .arg(r.points.size())
                             .arg(r.computed)
                             .arg(r.resumed)
                             .arg(formatDuration(r.seconds), m_resultsPath));
        },
        [this](const QString& message) {
            finish(false, tr("Failed: %1").arg(message));
            showError(tr("Sweep failed"), message + tr("\n\nThe finished points are kept in %1.").arg(m_resultsPath));
        });
    m_poll->start();
    emit sweepStarted();
}

void SweepView::cancel()
{
    if (m_running)
        m_doc->jobs()->cancel(kChannel);
}

void SweepView::addPoint(const SweepPointResult& point)
{
    m_model->append(point);
    for (auto& chart : m_charts)
        chart->addPoint(point);
    connectChartClicks();
    emit pointAdded(QString::fromStdString(point.id));
}

void SweepView::connectChartClicks()
{
    // Points of the accuracy vs compression chart load their configuration when clicked.
    QChart* chart = m_charts.front()->chart();
    for (QAbstractSeries* s : chart->series()) {
        auto* scatter = qobject_cast<QScatterSeries*>(s);
        if (!scatter || scatter->property("circnnConnected").toBool())
            continue;
        scatter->setProperty("circnnConnected", true);
        connect(scatter, &QScatterSeries::clicked, this, [this](const QPointF& at) {
            const SweepPointResult* best = nullptr;
            double bestDistance = 0;
            for (const SweepPointResult& p : m_model->points()) {
                // y as plotted (top-1 %, or the MSE): accuracy in units of 10 points, errors relative.
                const SweepMetric m = p.metric();
                const double dy = (m.scale * p.score() - at.y()) /
                                  (m.higherIsBetter ? 10.0 : std::max(0.1 * std::abs(at.y()), 1e-12));
                const double d = std::hypot(std::log(p.compression / at.x()), dy);
                if (!best || d < bestDistance)
                    best = &p, bestDistance = d;
            }
            if (best)
                loadPoint(QString::fromStdString(best->id));
        });
    }
}

void SweepView::poll()
{
    if (!m_feed)
        return;
    bool added = false;
    for (const SweepPointResult& p : m_feed->takePoints())
        if (m_model->rowOfId(p.id) < 0)
            addPoint(p), added = true;
    if (added) // keep the rows in the order the header shows (points arrive in any order)
        m_table->sortByColumn(m_table->horizontalHeader()->sortIndicatorSection(),
                              m_table->horizontalHeader()->sortIndicatorOrder());
    if (const auto s = m_feed->takeProgress(); s && m_running) {
        m_progress->setRange(0, static_cast<int>(s->total));
        m_progress->setValue(static_cast<int>(s->done));
        m_status->setText(
            tr("%1 of %2 points, %3 running · elapsed %4 · ETA %5\n%6")
                .arg(s->done)
                .arg(s->total)
                .arg(s->running)
                .arg(formatDuration(s->elapsedS), formatDuration(s->etaS), QString::fromStdString(s->step)));
    }
}

void SweepView::finish(bool completed, const QString& message)
{
    poll(); // the points that finished last
    m_running = false;
    m_poll->stop();
    m_cancel->setEnabled(false);
    m_progress->setRange(0, 1);
    m_progress->setValue(completed ? 1 : 0);
    m_status->setText(message);
    updateGate();
    emit sweepFinished(completed);
}

bool SweepView::hasResults() const
{
    return m_model->rowCount() > 0;
}

SweepResultsContents SweepView::results() const
{
    if (!m_resultsPath.isEmpty() && QFileInfo::exists(m_resultsPath))
        return readSweepResults(m_resultsPath.toStdString());
    if (!m_lastRun)
        throw Error("no sweep results yet: run a sweep first");
    SweepResultsContents c;
    c.headers = m_lastRun->headers;
    c.points = m_lastRun->points;
    return c;
}

std::function<SweepReport()> SweepView::reportBuilder() const
{
    std::optional<SweepResultsContents> last;
    if (m_lastRun) {
        last.emplace();
        last->headers = m_lastRun->headers;
        last->points = m_lastRun->points;
    }
    return [path = m_resultsPath.toStdString(), last = std::move(last), plan = m_plan->result()] {
        SweepResultsContents contents;
        if (!path.empty() && std::filesystem::exists(path))
            contents = readSweepResults(path);
        else if (last)
            contents = *last;
        else
            throw Error("no sweep results yet: run a sweep first");
        SweepReport report = buildSweepReport(contents, "Block-size sweep", plan);
        report.tool = std::string("circnn-studio ") + CIRCNN_VERSION;
        return report;
    };
}

void SweepView::loadRow(const QModelIndex& proxyIndex)
{
    const SweepPointResult* p = m_model->pointAt(m_proxy->mapToSource(proxyIndex).row());
    if (p)
        loadPoint(QString::fromStdString(p->id));
}

bool SweepView::loadPoint(const QString& id)
{
    const int row = m_model->rowOfId(id.toStdString());
    const SweepPointResult* p = m_model->pointAt(row);
    if (!p)
        return false;
    ConversionRequest request;
    if (p->k > 0)
        request.defaultBlockSize = p->k;
    else
        request.perLayer = p->requestedBlocks;
    request.convertOutputLayer = m_config.convertOutputLayer;
    request.reorderUnits = m_config.reorderUnits;
    request.reorderSeed = m_config.seed;
    QString what = tr("sweep point %1 (%2)").arg(id, QString::fromStdString(p->blockLabel()));
    if (p->mode != "project")
        what += tr(", projected; its '%1' accuracy needs the sweep's training").arg(QString::fromStdString(p->mode));
    m_status->setText(tr("Showing %1 in the explorer and hardware views.").arg(what));
    m_doc->applyPlan(QString::fromStdString(p->model), request, what);
    return true;
}

} // namespace circnn::gui
