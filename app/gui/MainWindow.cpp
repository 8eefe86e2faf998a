#include "MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTableWidget>
#include <QToolBar>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>
#include <filesystem>

#include "analysis/WeightView.h"
#include "common/Error.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"

namespace circnn::gui {

namespace {
constexpr int kMaxRecent = 8;

QString representation(const LayerSpec& l)
{
    if (l.circulant)
        return QObject::tr("circulant k=%1").arg(l.circulant->k);
    if (l.kind == LayerKind::Dense || l.kind == LayerKind::Conv2D)
        return QObject::tr("dense");
    return QString();
}

QString shapeText(const Shape& s) { return QString::fromStdString(shapeToString(s)); }

ModelLoadResult loadModel(const QString& path)
{
    ModelLoadResult r;
    r.path = path;
    try {
        const std::filesystem::path file = path.toStdString();
        r.model = std::make_shared<const ModelSpec>(readModel(file));
        switch (detectModelFormat(file)) {
        case ModelFormat::KerasH5: r.format = QObject::tr("Keras .h5"); break;
        case ModelFormat::KerasZip: r.format = QObject::tr("Keras .keras"); break;
        case ModelFormat::Native: r.format = QObject::tr("CirCNN native"); break;
        }
    } catch (const std::exception& e) {
        r.error = QString::fromStdString(e.what());
    }
    return r;
}
} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(tr("CirCNN Studio"));
    setAcceptDrops(true);

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    m_summary = new QLabel(tr("Open a model (File ▸ Open…, or drop a file here) to explore its layers."), central);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_summary);

    auto* splitter = new QSplitter(Qt::Horizontal, central);
    m_layers = new QTableWidget(0, 6, splitter);
    m_layers->setHorizontalHeaderLabels(
        {tr("Layer"), tr("Class"), tr("Output shape"), tr("Parameters"), tr("MACs"), tr("Representation")});
    m_layers->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_layers->setSelectionMode(QAbstractItemView::SingleSelection);
    m_layers->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_layers->verticalHeader()->hide();
    m_layers->horizontalHeader()->setStretchLastSection(true);
    m_layers->setAlternatingRowColors(true);
    connect(m_layers, &QTableWidget::currentCellChanged, this, [this](int row) { showLayer(row); });

    auto* detail = new QWidget(splitter);
    auto* detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    m_heatmap = new HeatmapWidget(detail);
    m_layerInfo = new QLabel(detail);
    m_layerInfo->setWordWrap(true);
    detailLayout->addWidget(m_heatmap, 1);
    detailLayout->addWidget(m_layerInfo);
    splitter->addWidget(m_layers);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);
    setCentralWidget(central);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(QIcon::fromTheme("document-open"), tr("&Open…"));
    open->setShortcut(QKeySequence::Open);
    connect(open, &QAction::triggered, this, [this] {
        QSettings settings;
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Open model"), settings.value("lastDirectory").toString(),
            tr("Models (*.h5 *.hdf5 *.keras);;All files (*)"));
        if (!path.isEmpty())
            openModel(path);
    });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QToolBar* tools = addToolBar(tr("Main"));
    tools->setObjectName("mainToolBar");
    tools->addAction(open);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    connect(help->addAction(tr("&About CirCNN Studio")), &QAction::triggered, this, &MainWindow::showAbout);

    m_busy = new QProgressBar(this);
    m_busy->setRange(0, 0);
    m_busy->setMaximumWidth(160);
    m_busy->hide();
    statusBar()->addPermanentWidget(m_busy);
    statusBar()->showMessage(tr("Ready"));

    connect(&m_loader, &QFutureWatcher<ModelLoadResult>::finished, this, &MainWindow::onLoadFinished);
    connect(&m_layerJob, &QFutureWatcher<std::shared_ptr<LayerView>>::finished, this, &MainWindow::onLayerRendered);

    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray()))
        resize(1200, 760);
    restoreState(settings.value("window/state").toByteArray());
    rebuildRecentMenu();
}

MainWindow::~MainWindow()
{
    m_loader.waitForFinished();
    m_layerJob.waitForFinished();
}

void MainWindow::openModel(const QString& path)
{
    if (m_loader.isRunning()) {
        statusBar()->showMessage(tr("Still loading the previous model…"), 3000);
        return;
    }
    statusBar()->showMessage(tr("Loading %1…").arg(QFileInfo(path).fileName()));
    m_busy->show();
    m_loader.setFuture(QtConcurrent::run(loadModel, path));
}

void MainWindow::onLoadFinished()
{
    m_busy->hide();
    const ModelLoadResult r = m_loader.result();
    if (!r.model) {
        m_lastError = r.error;
        statusBar()->showMessage(tr("Could not open %1").arg(QFileInfo(r.path).fileName()));
        emit modelLoadFailed(r.error);
        if (!QApplication::platformName().startsWith("offscreen"))
            QMessageBox::warning(this, tr("Could not open model"), r.error);
        return;
    }
    m_model = r.model;
    m_lastError.clear();
    showModel(r.path, r.format);
    addRecentFile(r.path);
    emit modelLoaded(r.path);
}

void MainWindow::showModel(const QString& path, const QString& format)
{
    const ModelSpec& m = *m_model;
    const QLocale locale;
    const LayerStats totals = modelStats(m);
    const std::int64_t params = totals.parameters, denseParams = totals.denseParameters, macs = totals.macs;
    m_layers->setRowCount(static_cast<int>(m.layers.size()));
    for (int row = 0; row < static_cast<int>(m.layers.size()); ++row) {
        const LayerSpec& l = m.layers[static_cast<std::size_t>(row)];
        const LayerStats s = layerStats(m, l);
        const QStringList cells = {QString::fromStdString(l.name),
                                   QString::fromStdString(l.className.empty() ? layerKindName(l.kind) : l.className),
                                   shapeText(l.outputShape),
                                   s.parameters ? locale.toString(static_cast<qlonglong>(s.parameters)) : QString(),
                                   s.macs ? locale.toString(static_cast<qlonglong>(s.macs)) : QString(),
                                   representation(l)};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c == 3 || c == 4)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_layers->setItem(row, c, item);
        }
    }
    m_layers->resizeColumnsToContents();
    const QFileInfo info(path);
    QString text = tr("<b>%1</b> — %2, %3 layers, %4 parameters")
                       .arg(info.fileName().toHtmlEscaped(),
                            format.toHtmlEscaped())
                       .arg(m.layers.size())
                       .arg(locale.toString(static_cast<qlonglong>(params)));
    if (denseParams != params && params > 0)
        text += tr(" (dense: %1, compression %2×)")
                    .arg(locale.toString(static_cast<qlonglong>(denseParams)))
                    .arg(double(denseParams) / double(params), 0, 'f', 1);
    text += tr(", %1 MACs per sample").arg(locale.toString(static_cast<qlonglong>(macs)));
    if (!m.provenance.kerasVersion.empty())
        text += tr(" · Keras %1").arg(QString::fromStdString(m.provenance.kerasVersion).toHtmlEscaped());
    m_summary->setText(text);
    setWindowTitle(tr("%1 — CirCNN Studio").arg(info.fileName()));
    statusBar()->showMessage(info.absoluteFilePath());
    // Select the first layer with weights so the heatmap shows something useful.
    for (int row = 0; row < static_cast<int>(m.layers.size()); ++row)
        if (hasWeightMatrix(m.layers[static_cast<std::size_t>(row)])) {
            m_layers->selectRow(row);
            m_layers->setCurrentCell(row, 0);
            showLayer(row);
            return;
        }
    m_heatmap->clear(tr("This model has no Dense or Conv2D weights"));
}

// What the worker prepares for one layer: the rendered heatmap and the texts beside it.
struct MainWindow::LayerView {
    int request = 0;
    QString name, title, info, error;
    int blockGrid = 0;
    HeatmapWidget::Rendered rendered;
};

std::shared_ptr<MainWindow::LayerView> MainWindow::prepareLayerView(std::shared_ptr<const ModelSpec> model, int row,
                                                                    int request)
{
    auto view = std::make_shared<MainWindow::LayerView>();
    view->request = request;
    const LayerSpec& l = model->layers[static_cast<std::size_t>(row)];
    view->name = QString::fromStdString(l.name);
    try {
        WeightMatrixView v = weightMatrix(l);
        const int rows = static_cast<int>(v.rows), cols = static_cast<int>(v.cols);
        view->rendered = HeatmapWidget::render(std::move(v.values), rows, cols);
        view->title = view->name;
        // Block grid lines only where blocks line up across the whole matrix (Dense, or Conv2D
        // whose C_in is a multiple of k so no tap is padded).
        const std::int64_t taps = l.kernelH * l.kernelW;
        const bool aligned = l.kind == LayerKind::Dense || (cols % taps == 0 && (cols / taps) % v.blockSize == 0);
        view->blockGrid = aligned ? static_cast<int>(v.blockSize) : 0;
        view->info = QObject::tr("%1. %2").arg(
            QString::fromStdString(v.description),
            l.circulant ? QObject::tr("Block-circulant, k = %1: each k×k block is defined by one k-vector "
                                      "(first column).")
                              .arg(l.circulant->k)
                        : QObject::tr("Dense weights."));
    } catch (const std::exception& e) {
        view->error = QString::fromStdString(e.what());
    }
    return view;
}

void MainWindow::showLayer(int row)
{
    if (!m_model || row < 0 || row >= static_cast<int>(m_model->layers.size()))
        return;
    const LayerSpec& l = m_model->layers[static_cast<std::size_t>(row)];
    ++m_layerRequest;
    if (!hasWeightMatrix(l)) {
        m_pendingRow = -1;
        m_heatmap->clear(tr("Layer '%1' (%2) has no weight matrix")
                             .arg(QString::fromStdString(l.name), layerKindName(l.kind)));
        m_layerInfo->clear();
        emit layerShown(QString::fromStdString(l.name));
        return;
    }
    if (m_layerJob.isRunning()) {  // the running job's result will be dropped; start this one after it
        m_pendingRow = row;
        return;
    }
    m_pendingRow = -1;
    m_heatmap->clear(tr("Preparing '%1'…").arg(QString::fromStdString(l.name)));
    m_layerJob.setFuture(QtConcurrent::run(&MainWindow::prepareLayerView, m_model, row, m_layerRequest));
}

void MainWindow::onLayerRendered()
{
    const std::shared_ptr<LayerView> view = m_layerJob.result();
    if (m_pendingRow >= 0) {  // a newer selection arrived meanwhile
        const int row = m_pendingRow;
        m_pendingRow = -1;
        showLayer(row);
        return;
    }
    if (!view || view->request != m_layerRequest)
        return;
    if (!view->error.isEmpty()) {
        m_heatmap->clear(view->error);
        m_layerInfo->clear();
    } else {
        m_heatmap->setRendered(std::move(view->rendered), view->title);
        m_heatmap->setBlockGrid(view->blockGrid);
        m_layerInfo->setText(view->info);
    }
    emit layerShown(view->name);
}

void MainWindow::selectLayer(const QString& name)
{
    for (int row = 0; row < m_layers->rowCount(); ++row)
        if (m_layers->item(row, 0) && m_layers->item(row, 0)->text() == name) {
            m_layers->selectRow(row);
            m_layers->setCurrentCell(row, 0);
            showLayer(row);
            return;
        }
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
    const QStringList files = QSettings().value("recentFiles").toStringList();
    for (int i = 0; i < files.size(); ++i) {
        QAction* a = m_recentMenu->addAction(tr("&%1 %2").arg(i + 1).arg(QFileInfo(files[i]).fileName()));
        a->setToolTip(files[i]);
        const QString path = files[i];
        connect(a, &QAction::triggered, this, [this, path] { openModel(path); });
    }
    m_recentMenu->setEnabled(!files.isEmpty());
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
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    QMainWindow::closeEvent(event);
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About CirCNN Studio"),
                       tr("<b>CirCNN Studio</b> %1<br>Block-circulant neural networks (Ding et al., MICRO 2017): "
                          "explore, convert, train and estimate hardware cost.")
                           .arg(QApplication::applicationVersion()));
}

} // namespace circnn::gui
