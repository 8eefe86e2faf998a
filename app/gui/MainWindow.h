#pragma once

#include <QFutureWatcher>
#include <QMainWindow>
#include <QString>
#include <QStringList>

#include <memory>

#include "HeatmapWidget.h"

#include "model/ModelSpec.h"

class QLabel;
class QMenu;
class QTableWidget;
class QProgressBar;

namespace circnn::gui {

class HeatmapWidget;

// Result of loading a model off the GUI thread: the spec, or the error message.
struct ModelLoadResult {
    QString path;
    std::shared_ptr<const ModelSpec> model;
    QString format;  // "Keras .h5", "Keras .keras", "CirCNN native"
    QString error;
};

// The main window: a model explorer (layer table, totals) with a weight heatmap of the selected
// layer. Models load on a worker thread; recent files, drag and drop and the window state persist.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Starts loading a model file in the background; errors go to a dialog and the status bar.
    void openModel(const QString& path);

    // Selects the layer with this name in the table (no-op if absent).
    void selectLayer(const QString& name);

    // For tests and automation.
    bool isLoading() const { return m_loader.isRunning(); }
    const ModelSpec* model() const { return m_model.get(); }
    QTableWidget* layerTable() const { return m_layers; }
    HeatmapWidget* heatmap() const { return m_heatmap; }
    QString lastError() const { return m_lastError; }

    // True while a layer's weight view is being prepared on a worker thread.
    bool isRenderingLayer() const { return m_layerJob.isRunning(); }

signals:
    // Emitted when the heatmap shows the selected layer (after the background rendering).
    void layerShown(const QString& layerName);

    void modelLoaded(const QString& path);
    void modelLoadFailed(const QString& message);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    void onLoadFinished();
    void onLayerRendered();
    void showModel(const QString& path, const QString& format);
    void showLayer(int row);
    void addRecentFile(const QString& path);
    void rebuildRecentMenu();
    void showAbout();

    std::shared_ptr<const ModelSpec> m_model;
    QFutureWatcher<ModelLoadResult> m_loader;
    // Weight views are prepared off the GUI thread; only the latest request is shown.
    struct LayerView;
    // Runs on a worker thread: expands and renders layer `row` of `model`.
    static std::shared_ptr<LayerView> prepareLayerView(std::shared_ptr<const ModelSpec> model, int row, int request);
    QFutureWatcher<std::shared_ptr<LayerView>> m_layerJob;
    int m_layerRequest = 0;  // generation of the latest showLayer() request
    int m_pendingRow = -1;   // a request made while a job was running
    QLabel* m_summary = nullptr;
    QTableWidget* m_layers = nullptr;
    HeatmapWidget* m_heatmap = nullptr;
    QLabel* m_layerInfo = nullptr;
    QProgressBar* m_busy = nullptr;
    QMenu* m_recentMenu = nullptr;
    QString m_lastError;
};

} // namespace circnn::gui
