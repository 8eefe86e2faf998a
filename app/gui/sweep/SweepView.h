#pragma once

#include <QString>
#include <QWidget>

#include <functional>
#include <memory>
#include <optional>

#include "analysis/AutoPlan.h"
#include "analysis/SweepReport.h"
#include "analysis/SweepResultsFile.h"
#include "analysis/SweepRunner.h"
#include "charts/LiveSweepChart.h"

class QChartView;
class QLabel;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTabWidget;
class QTimer;

namespace circnn::gui {

class AutoPlanPanel;
class Document;
class SweepConfigForm;
class SweepFeed;
class SweepTableModel;

// The sweeps view: configure a sweep (SweepConfigForm, the `circnn sweep` options), run it on the
// job runner (channel "sweep") with progress, ETA and cancel, or resume a stopped one from its
// results file. As points finish (core runSweep's onPoint, handed over through a SweepFeed polled
// on a timer) they are appended to the charts (LiveSweepChart: accuracy vs compression with the
// Pareto front, energy per frame and frames/s vs k per platform, per-layer sensitivity) and to a
// sortable table. Clicking a row or a chart point applies that point's configuration to the
// document (Document::applyPlan), so the explorer and hardware views show it. The automatic plan
// panel (AutoPlanPanel) plans under an accuracy budget and applies the plan.
class SweepView : public QWidget {
    Q_OBJECT
public:
    explicit SweepView(Document* document, QWidget* parent = nullptr);
    ~SweepView() override;

    SweepConfigForm* form() const { return m_form; }
    SweepTableModel* tableModel() const { return m_model; }
    QSortFilterProxyModel* proxy() const { return m_proxy; }
    QTableView* table() const { return m_table; }
    QTabWidget* tabs() const { return m_tabs; }
    AutoPlanPanel* autoPlanPanel() const { return m_plan; }
    // The chart views in tab order (accuracy vs compression, energy, frames/s, sensitivity).
    QList<QChartView*> chartViews() const;
    QLabel* statusLabel() const { return m_status; }

    // Starts a sweep with the form's config (a new results file; the form names it, or a new
    // file under the application's data folder). false (and a dialog) when the config is invalid;
    // false (no dialog) while the document's weights load (Run shows "Loading weights…").
    bool run();
    // Reads `resultsFile`, shows its config and points, and continues it (not while weights load).
    bool resume(const QString& resultsFile);
    void cancel();
    bool isRunning() const;

    // The results shown (the last run or resumed file): the contents of its results file.
    bool hasResults() const;
    SweepResultsContents results() const;
    // What the comparison report of the current sweep is made of, taken now and built later on any
    // thread (a job): the call reads the results file (or takes the last run's points), adds the
    // automatic plan shown and returns core's SweepReport. Throws circnn::Error when there are no
    // results.
    std::function<SweepReport()> reportBuilder() const;
    // Applies the configuration of the point with this id to the document.
    bool loadPoint(const QString& id);

signals:
    void sweepStarted();
    void pointAdded(const QString& id);
    void sweepFinished(bool completed); // false: cancelled or failed (finished points are kept)

private:
    void start(const SweepConfig& config, bool resume, const SweepResultsContents* existing);
    void resetResults(const SweepConfig& config);
    void addPoint(const SweepPointResult& point);
    void poll();
    void finish(bool completed, const QString& message);
    void loadRow(const QModelIndex& proxyIndex);
    void connectChartClicks();
    void showError(const QString& title, const QString& message);
    void updateGate(); // Run / Resume off while Document::weightsPending()

    Document* m_doc;
    SweepConfigForm* m_form;
    AutoPlanPanel* m_plan;
    QTabWidget* m_tabs;
    QTableView* m_table;
    SweepTableModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QPushButton* m_run;
    QPushButton* m_resume;
    QPushButton* m_cancel;
    QProgressBar* m_progress;
    QLabel* m_status;
    QTimer* m_poll;
    std::vector<std::unique_ptr<charts::LiveSweepChart>> m_charts;
    std::vector<QChartView*> m_chartViews;
    std::shared_ptr<SweepFeed> m_feed;
    SweepConfig m_config;
    QString m_resultsPath;
    bool m_running = false;
    std::optional<SweepRunResult> m_lastRun;
};

} // namespace circnn::gui
