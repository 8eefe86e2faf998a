#include "MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>

namespace circnn::gui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(tr("CirCNN Studio"));
    resize(1100, 720);

    m_placeholder = new QLabel(tr("Open a model (File ▸ Open…) to explore its layers."), this);
    m_placeholder->setAlignment(Qt::AlignCenter);
    setCentralWidget(m_placeholder);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open…"));
    open->setShortcut(QKeySequence::Open);
    connect(open, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open model"), QString(),
                                                          tr("Models (*.h5 *.keras *.hdf5);;All files (*)"));
        if (!path.isEmpty())
            openModel(path);
    });
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, qApp, &QApplication::quit);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    connect(help->addAction(tr("&About CirCNN Studio")), &QAction::triggered, this, &MainWindow::showAbout);

    statusBar()->showMessage(tr("Ready"));
}

void MainWindow::openModel(const QString& path)
{
    const QFileInfo info(path);
    if (!info.exists()) {
        statusBar()->showMessage(tr("Cannot open %1: no such file").arg(path));
        return;
    }
    m_placeholder->setText(tr("%1\n\nThe model explorer arrives with the model reader.").arg(info.fileName()));
    statusBar()->showMessage(info.absoluteFilePath());
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About CirCNN Studio"),
                       tr("<b>CirCNN Studio</b> %1<br>Block-circulant neural networks (Ding et al., MICRO 2017): "
                          "explore, convert, train and estimate hardware cost.")
                           .arg(QApplication::applicationVersion()));
}

} // namespace circnn::gui
