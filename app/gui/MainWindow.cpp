#include "MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QKeySequence>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTableWidget>

#include "Document.h"
#include "ExportActions.h"
#include "HelpDialogs.h"
#include "JobRunner.h"
#include "JobStatusWidget.h"
#include "ReportExporter.h"
#include "sweep/SweepView.h"
#include "views/BlockInspectorView.h"
#include "views/HardwareView.h"
#include "views/InferenceView.h"
#include "views/LayerExplorerView.h"
#include "views/ModelView.h"
#include "views/TrainingView.h"

namespace circnn::gui {

namespace {
constexpr int kMaxRecent = 8;
constexpr int kLayoutVersion = 4; // bump when docks change, so an old saved state is not applied
} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(tr("CirCNN Studio"));
    setAcceptDrops(true);
    setDockNestingEnabled(true);
    m_jobs = new JobRunner(this);
    m_doc = new Document(m_jobs, this);
    m_modelView = new ModelView(m_doc);
    m_explorer = new LayerExplorerView(m_doc);
    m_inspector = new BlockInspectorView(m_doc);
    m_hardware = new HardwareView(m_doc);
    m_inference = new InferenceView(m_doc);
    m_training = new TrainingView(m_doc);
    m_sweep = new SweepView(m_doc);
    m_reports = new ReportExporter(m_jobs, this);
    connect(m_reports, &ReportExporter::exported, this,
            [this](const QString& path) { statusBar()->showMessage(tr("Wrote %1").arg(path), 8000); });
    connect(m_reports, &ReportExporter::failed, this, [this](const QString& path, const QString& message) {
        auto* box = new QMessageBox(QMessageBox::Warning, tr("Could not export the report"),
                                    tr("Could not write %1:\n\n%2").arg(path, message), QMessageBox::Ok, this);
        box->setObjectName("exportFailedBox");
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    connect(m_reports, &ReportExporter::cancelled, this, [this](const QString& path) {
        statusBar()->showMessage(tr("The report %1 was not written: cancelled").arg(path), 8000);
    });

    // The explorer is the central widget; the other views are docks around it.
    setCentralWidget(m_explorer);
    QDockWidget* model = addView(m_modelView, tr("Model"), "modelDock", Qt::LeftDockWidgetArea);
    QDockWidget* inspector = addView(m_inspector, tr("Block inspector"), "inspectorDock", Qt::RightDockWidgetArea);
    QDockWidget* hardware = addView(m_hardware, tr("Hardware"), "hardwareDock", Qt::BottomDockWidgetArea);
    tabifyDockWidget(hardware, addView(m_inference, tr("Inference"), "inferenceDock", Qt::BottomDockWidgetArea));
    tabifyDockWidget(hardware,
                     addView(m_training, tr("Conversion and training"), "trainingDock", Qt::BottomDockWidgetArea));
    QDockWidget* sweep = addView(m_sweep, tr("Sweeps"), "sweepDock", Qt::BottomDockWidgetArea);
    tabifyDockWidget(hardware, sweep);
    hardware->raise();
    resizeDocks({model, inspector}, {520, 440}, Qt::Horizontal);
    resizeDocks({hardware}, {390}, Qt::Vertical);

    buildMenus();
    statusBar()->addPermanentWidget(new JobStatusWidget(m_jobs, this));
    statusBar()->showMessage(tr("Ready"));

    connect(m_doc, &Document::openFailed, this, &MainWindow::onOpenFailed);
    connect(m_doc, &Document::modelChanged, this, [this] {
        if (!m_doc->model()) {
            setWindowTitle(tr("CirCNN Studio"));
            return;
        }
        setWindowTitle(tr("%1 — CirCNN Studio").arg(QFileInfo(m_doc->path()).fileName()));
        if (m_doc->weightsPending())
            statusBar()->showMessage(tr("Opened %1; loading its weights…").arg(m_doc->path()));
    });
    // A file joins the recent list once it opened completely (its weights too).
    connect(m_doc, &Document::weightsLoaded, this, [this] {
        statusBar()->showMessage(tr("Opened %1").arg(m_doc->path()), 5000);
        addRecentFile(m_doc->path());
    });
    connect(m_doc, &Document::openCancelled, this, [this](const QString& path) {
        statusBar()->showMessage(path.isEmpty() ? tr("Opening cancelled")
                                                : tr("Opening %1 cancelled; the previous model stays").arg(path),
                                 8000);
    });
    connect(m_jobs, &JobRunner::jobFailed, this, [this](const QString& label, const QString& message) {
        statusBar()->showMessage(tr("%1 failed: %2").arg(label, message), 8000);
    });
    connect(m_doc, &Document::planFailed, this, [this](const QString& what, const QString& reason) {
        auto* box = new QMessageBox(QMessageBox::Warning, tr("Could not apply the configuration"),
                                    tr("Could not apply %1:\n\n%2\n\nThe current model stays.").arg(what, reason),
                                    QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    installExportActions(this); // context menus: save charts, heatmaps and tables; copy tables
    m_defaultState = saveState(kLayoutVersion);
    restoreLayout();
}

MainWindow::~MainWindow()
{
    m_jobs->cancelAll();
}

QDockWidget* MainWindow::addView(QWidget* view, const QString& title, const QString& objectName,
                                 Qt::DockWidgetArea area)
{
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(objectName);
    dock->setWidget(view);
    addDockWidget(area, dock);
    m_docks << dock;
    return dock;
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(QIcon::fromTheme("document-open"), tr("&Open…"));
    open->setShortcut(QKeySequence::Open);
    connect(open, &QAction::triggered, this, [this] {
        const QString path =
            QFileDialog::getOpenFileName(this, tr("Open model"), QSettings().value("lastDirectory").toString(),
                                         tr("Models (*.h5 *.hdf5 *.keras);;All files (*)"));
        if (!path.isEmpty())
            openModel(path);
    });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    QMenu* exportMenu = file->addMenu(tr("&Export"));
    connect(exportMenu->addAction(tr("&Report (HTML, PDF, CSV, JSON)…")), &QAction::triggered, this, [this] {
        const QString path = chooseExportFile(this, tr("Export report"), "report.html",
                                              tr("HTML report (*.html);;PDF report (*.pdf);;CSV table (*.csv);;"
                                                 "JSON (*.json)"));
        if (!path.isEmpty())
            exportReport(path);
    });
    exportMenu->addSeparator();
    exportMenu->addAction(tr("Charts, heatmaps and tables: right-click them"))->setEnabled(false);
    QAction* reload = file->addAction(tr("&Reload"));
    reload->setShortcut(QKeySequence(Qt::Key_F5));
    connect(reload, &QAction::triggered, m_doc, &Document::reload);
    QAction* close = file->addAction(tr("&Close"));
    close->setShortcut(QKeySequence::Close);
    connect(close, &QAction::triggered, m_doc, &Document::close);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* dock : std::as_const(m_docks))
        m_viewMenu->addAction(dock->toggleViewAction());
    m_viewMenu->addSeparator();
    connect(m_viewMenu->addAction(tr("&Reset layout")), &QAction::triggered, this, &MainWindow::resetLayout);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    connect(help->addAction(tr("&Quick start")), &QAction::triggered, this, [this] { showQuickStart(this); });
    connect(help->addAction(tr("&About CirCNN Studio")), &QAction::triggered, this, [this] { showAbout(this); });
    rebuildRecentMenu();
}

QStringList MainWindow::viewNames()
{
    return {"model", "explorer", "inspector", "hardware", "inference", "training", "sweep"};
}

QWidget* MainWindow::showView(const QString& name)
{
    QWidget* view = name == "model"       ? static_cast<QWidget*>(m_modelView)
                    : name == "explorer"  ? static_cast<QWidget*>(m_explorer)
                    : name == "inspector" ? static_cast<QWidget*>(m_inspector)
                    : name == "hardware"  ? static_cast<QWidget*>(m_hardware)
                    : name == "inference" ? static_cast<QWidget*>(m_inference)
                    : name == "training"  ? static_cast<QWidget*>(m_training)
                    : name == "sweep"     ? static_cast<QWidget*>(m_sweep)
                                          : nullptr;
    if (view)
        for (QDockWidget* dock : std::as_const(m_docks))
            if (dock->widget() == view) {
                dock->show();
                dock->raise();
            }
    return view;
}

void MainWindow::openModel(const QString& path)
{
    statusBar()->showMessage(tr("Opening %1…").arg(QFileInfo(path).fileName()));
    m_doc->open(path);
}

void MainWindow::onOpenFailed(const QString& path, const QString& reason)
{
    statusBar()->showMessage(tr("Could not open %1").arg(QFileInfo(path).fileName()), 8000);
    emit openFailed(path, reason);
    auto* box = new QMessageBox(
        QMessageBox::Warning, tr("Could not open model"),
        tr("Could not open %1:\n\n%2\n\nThe current model stays open.").arg(QFileInfo(path).absoluteFilePath(), reason),
        QMessageBox::Ok, this);
    box->setObjectName("openFailedBox");
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open(); // not modal to the whole application: no nested event loop
}

QStringList MainWindow::recentFiles() const
{
    return QSettings().value("recentFiles").toStringList();
}

void MainWindow::clearRecentFiles()
{
    QSettings().remove("recentFiles");
    rebuildRecentMenu();
}

void MainWindow::addRecentFile(const QString& path)
{
    QSettings settings;
    QStringList files = settings.value("recentFiles").toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    files.removeAll(abs);
    files.prepend(abs);
    while (files.size() > kMaxRecent)
        files.removeLast();
    settings.setValue("recentFiles", files);
    settings.setValue("lastDirectory", QFileInfo(abs).absolutePath());
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    QStringList files = recentFiles();
    // Entries whose file is gone are dropped from the list.
    const qsizetype before = files.size();
    files.erase(std::remove_if(files.begin(), files.end(), [](const QString& f) { return !QFileInfo::exists(f); }),
                files.end());
    if (files.size() != before)
        QSettings().setValue("recentFiles", files);
    for (int i = 0; i < files.size(); ++i) {
        QAction* a = m_recentMenu->addAction(tr("&%1 %2").arg(i + 1).arg(QFileInfo(files[i]).fileName()));
        a->setToolTip(files[i]);
        const QString path = files[i];
        connect(a, &QAction::triggered, this, [this, path] { openModel(path); });
    }
    if (!files.isEmpty())
        m_recentMenu->addSeparator();
    QAction* clear = m_recentMenu->addAction(tr("&Clear list"));
    clear->setEnabled(!files.isEmpty());
    connect(clear, &QAction::triggered, this, &MainWindow::clearRecentFiles);
}

void MainWindow::resetLayout()
{
    restoreState(m_defaultState, kLayoutVersion);
    for (QDockWidget* dock : std::as_const(m_docks))
        dock->show();
    resize(defaultWindowSize());
}

QSize MainWindow::defaultWindowSize() const
{
    // Room for the three top views and the hardware dock at their minimum sizes with some slack
    // (a window smaller than its layout's minimum is enlarged by Qt at each content change, and
    // repainted whole). Bounded by a real screen; the offscreen platform's 800 × 600 is ignored.
    QSize size(1700, 1040);
    if (const QScreen* s = screen(); s && s->availableSize().width() >= 1024)
        size = size.boundedTo(s->availableSize() * 0.95);
    return size;
}

void MainWindow::saveLayout()
{
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState(kLayoutVersion));
    for (QSplitter* s : findChildren<QSplitter*>())
        if (!s->objectName().isEmpty())
            settings.setValue("splitters/" + s->objectName(), s->saveState());
    for (QTableWidget* t : findChildren<QTableWidget*>())
        if (!t->objectName().isEmpty())
            settings.setValue("columns/" + t->objectName(), t->horizontalHeader()->saveState());
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray()))
        resize(defaultWindowSize());
    restoreState(settings.value("window/state").toByteArray(), kLayoutVersion);
    for (QSplitter* s : findChildren<QSplitter*>())
        if (!s->objectName().isEmpty())
            s->restoreState(settings.value("splitters/" + s->objectName()).toByteArray());
    for (QTableWidget* t : findChildren<QTableWidget*>())
        if (!t->objectName().isEmpty())
            t->horizontalHeader()->restoreState(settings.value("columns/" + t->objectName()).toByteArray());
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.front().isLocalFile())
        openModel(urls.front().toLocalFile());
}

void MainWindow::exportReport(const QString& path)
{
    // Written by a job (ReportExporter): exported(), failed() or cancelled() follows.
    auto write = [this, path] { m_reports->exportReport(path, m_sweep->reportBuilder()); };
    if (m_sweep->hasResults() && !m_sweep->isRunning()) {
        write();
        return;
    }
    // No sweep yet: sweep the current model with the sweep view's settings, then write the report.
    showView("sweep");
    if (!m_sweep->isRunning() && !m_sweep->run())
        return;
    auto once = std::make_shared<QMetaObject::Connection>();
    *once = connect(m_sweep, &SweepView::sweepFinished, this, [this, once, write](bool completed) {
        disconnect(*once);
        if (completed)
            write();
        else
            statusBar()->showMessage(tr("The report was not written: the sweep did not finish"), 8000);
    });
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_jobs->isBusy()) {
        const QString question =
            tr("A job is still running. Cancel it and close? (Sweeps keep their finished points.)");
        const bool close = m_askClose
                               ? m_askClose(question)
                               : QMessageBox::question(this, tr("Close CirCNN Studio"), question) == QMessageBox::Yes;
        if (!close) {
            event->ignore();
            return;
        }
    }
    m_jobs->cancelAll(); // workers stop at their next progress report; nothing waits for them here
    saveLayout();
    QMainWindow::closeEvent(event);
}

} // namespace circnn::gui
