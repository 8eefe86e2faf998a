#pragma once

#include <QByteArray>
#include <QMainWindow>
#include <QString>
#include <QStringList>

#include <functional>

class QDockWidget;
class QMenu;

namespace circnn::gui {

class BlockInspectorView;
class Document;
class HardwareView;
class InferenceView;
class TrainingView;
class JobRunner;
class LayerExplorerView;
class ModelView;
class ReportExporter;
class SweepView;

// The main window only assembles: the job runner, the document, one dock per view, the menus and
// actions (File: Open, Open Recent, Reload, Close; View: docks, Reset layout; Help), drag and drop,
// and the persisted layout (QSettings: geometry, dock state, splitters, table columns).
// A failed open shows a dialog naming the file and the reason; the current model stays.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openModel(const QString& path);
    Document* document() const { return m_doc; }
    JobRunner* jobs() const { return m_jobs; }
    ModelView* modelView() const { return m_modelView; }
    LayerExplorerView* explorerView() const { return m_explorer; }
    BlockInspectorView* inspectorView() const { return m_inspector; }
    HardwareView* hardwareView() const { return m_hardware; }
    InferenceView* inferenceView() const { return m_inference; }
    TrainingView* trainingView() const { return m_training; }
    SweepView* sweepView() const { return m_sweep; }
    ReportExporter* reportExporter() const { return m_reports; }

    // View names for --view: "model", "explorer", "inspector", "hardware", "inference", "training",
    // "sweep".
    static QStringList viewNames();
    // The view's widget, its dock raised (nullptr for an unknown name).
    QWidget* showView(const QString& name);
    void resetLayout();
    QStringList recentFiles() const;
    void clearRecentFiles();
    // File ▸ Export ▸ Report: the comparison report (`circnn report`'s code; .html, .pdf, .csv,
    // .json by suffix) of the current sweep, written by a job (reportExporter(): progress, cancel,
    // its exported / failed / cancelled signals); without sweep results, a sweep of the current
    // model with the sweep view's settings runs first. Errors are dialogs.
    void exportReport(const QString& path);
    // Closing with a running job asks first; tests answer here (empty: a dialog asks).
    void setCloseQuestion(std::function<bool(const QString& jobs)> ask) { m_askClose = std::move(ask); }

signals:
    void openFailed(const QString& path, const QString& reason);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    QSize defaultWindowSize() const;
    QDockWidget* addView(QWidget* view, const QString& title, const QString& objectName, Qt::DockWidgetArea area);
    void buildMenus();
    void addRecentFile(const QString& path);
    void rebuildRecentMenu();
    void onOpenFailed(const QString& path, const QString& reason);
    void saveLayout();
    void restoreLayout();

    JobRunner* m_jobs;
    Document* m_doc;
    ModelView* m_modelView;
    LayerExplorerView* m_explorer;
    BlockInspectorView* m_inspector;
    HardwareView* m_hardware;
    InferenceView* m_inference;
    TrainingView* m_training;
    SweepView* m_sweep;
    ReportExporter* m_reports;
    std::function<bool(const QString&)> m_askClose;
    QList<QDockWidget*> m_docks;
    QMenu* m_viewMenu = nullptr;
    QMenu* m_recentMenu = nullptr;
    QByteArray m_defaultState;
};

} // namespace circnn::gui
