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
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTableWidget>

#include "Document.h"
#include "HelpDialogs.h"
#include "JobRunner.h"
#include "JobStatusWidget.h"
#include "views/BlockInspectorView.h"
#include "views/HardwareView.h"
#include "views/LayerExplorerView.h"
#include "views/ModelView.h"

namespace circnn::gui {

namespace {
constexpr int kMaxRecent = 8;
constexpr int kLayoutVersion = 2; // bump when docks change, so an old saved state is not applied
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

    // The explorer is the central widget; the other views are docks around it.
    setCentralWidget(m_explorer);
    QDockWidget* model = addView(m_modelView, tr("Model"), "modelDock", Qt::LeftDockWidgetArea);
    QDockWidget* inspector = addView(m_inspector, tr("Block inspector"), "inspectorDock", Qt::RightDockWidgetArea);
    QDockWidget* hardware = addView(m_hardware, tr("Hardware"), "hardwareDock", Qt::BottomDockWidgetArea);
    resizeDocks({model, inspector}, {520, 440}, Qt::Horizontal);
    resizeDocks({hardware}, {330}, Qt::Vertical);

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
        statusBar()->showMessage(tr("Opened %1").arg(m_doc->path()), 5000);
        addRecentFile(m_doc->path());
    });
    connect(m_jobs, &JobRunner::jobFailed, this, [this](const QString& label, const QString& message) {
        statusBar()->showMessage(tr("%1 failed: %2").arg(label, message), 8000);
    });
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
    return {"model", "explorer", "inspector", "hardware"};
}

QWidget* MainWindow::showView(const QString& name)
{
    QWidget* view = name == "model"       ? static_cast<QWidget*>(m_modelView)
                    : name == "explorer"  ? static_cast<QWidget*>(m_explorer)
                    : name == "inspector" ? static_cast<QWidget*>(m_inspector)
                    : name == "hardware"  ? static_cast<QWidget*>(m_hardware)
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
    resize(1500, 950);
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
        resize(1500, 950);
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

void MainWindow::closeEvent(QCloseEvent* event)
{
    m_jobs->cancelAll(); // workers stop at their next progress report; nothing waits for them here
    saveLayout();
    QMainWindow::closeEvent(event);
}

} // namespace circnn::gui
