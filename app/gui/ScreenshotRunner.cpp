#include "ScreenshotRunner.h"

#include <QApplication>
#include <QDockWidget>
#include <QFileInfo>

#include <cstdio>

#include "Document.h"
#include "JobRunner.h"
#include "MainWindow.h"
#include "views/LayerExplorerView.h"
#include "widgets/HeatmapWidget.h"

namespace circnn::gui {

ScreenshotRunner::ScreenshotRunner(MainWindow* window, Request request)
    : QObject(window), m_window(window), m_request(std::move(request))
{
    connect(m_window->document(), &Document::modelChanged, this, &ScreenshotRunner::onModelChanged);
    connect(m_window->document(), &Document::openFailed, this, [this](const QString& path, const QString& reason) {
        fail(tr("could not open %1: %2").arg(path, reason), 1);
    });
}

bool ScreenshotRunner::applySelection(MainWindow* window, const Request& request, QString& error)
{
    Document* doc = window->document();
    if (!request.layer.isEmpty() && !doc->selectLayer(request.layer)) {
        QStringList names;
        for (const auto& l : doc->model()->layers)
            names << QString::fromStdString(l.name);
        error = tr("unknown layer '%1' in %2 (layers: %3)").arg(request.layer, doc->path(), names.join(", "));
        return false;
    }
    LayerExplorerView* explorer = window->explorerView();
    if (request.blockSize > 0) {
        const auto& ks = explorer->blockSizes();
        if (std::find(ks.begin(), ks.end(), request.blockSize) == ks.end()) {
            error = tr("block size %1 is not offered for this layer").arg(request.blockSize);
            return false;
        }
        explorer->setBlockSize(request.blockSize);
    }
    if (request.show == "projection")
        explorer->setShow(LayerExplorerView::Show::Projection);
    else if (request.show == "residual")
        explorer->setShow(LayerExplorerView::Show::Residual);
    else if (!request.show.isEmpty() && request.show != "original") {
        error = tr("--show must be original, projection or residual, not '%1'").arg(request.show);
        return false;
    }
    return true;
}

void ScreenshotRunner::onModelChanged()
{
    if (m_started || !m_window->document()->model())
        return;
    m_started = true;
    QString error;
    if (!applySelection(m_window, m_request, error)) {
        fail(error, 2);
        return;
    }
    waitIdle(3, &ScreenshotRunner::layOut);
}

void ScreenshotRunner::waitIdle(int quietPolls, void (ScreenshotRunner::*next)())
{
    // Poll until the runner has been idle for `quietPolls` consecutive polls.
    auto* timer = new QTimer(this);
    auto quiet = std::make_shared<int>(0);
    connect(timer, &QTimer::timeout, this, [this, timer, quiet, quietPolls, next] {
        bool busy = m_window->jobs()->isBusy() || m_window->document()->isLoading();
        for (const HeatmapWidget* h : m_window->findChildren<HeatmapWidget*>())
            busy = busy || h->isRendering();
        *quiet = busy ? 0 : *quiet + 1;
        if (*quiet >= quietPolls) {
            timer->deleteLater();
            (this->*next)();
        }
    });
    timer->start(100);
}

void ScreenshotRunner::layOut()
{
    QWidget* view = m_window->showView(m_request.view);
    if (view && view != m_window->explorerView()) {
        // A dock view alone, floating at a size where its labels and charts are legible.
        auto* dock = qobject_cast<QDockWidget*>(view->parentWidget());
        if (dock) {
            dock->setFloating(true);
            dock->resize(m_request.view == "hardware" ? QSize(1500, 900) : QSize(1200, 860));
        }
    } else if (view) {
        for (QDockWidget* dock : m_window->findChildren<QDockWidget*>())
            dock->hide();
        m_window->resize(1300, 860);
    }
    waitIdle(4, &ScreenshotRunner::shoot);
}

void ScreenshotRunner::shoot()
{
    QWidget* target = m_request.view.isEmpty() ? m_window : m_window->showView(m_request.view);
    if (target != m_window && target->parentWidget() && qobject_cast<QDockWidget*>(target->parentWidget()) &&
        qobject_cast<QDockWidget*>(target->parentWidget())->isFloating())
        target = target->parentWidget();
    if (!target->grab().save(m_request.output)) {
        fail(tr("could not write the screenshot %1").arg(QFileInfo(m_request.output).absoluteFilePath()), 1);
        return;
    }
    std::fprintf(stdout, "%s\n", qPrintable(tr("wrote %1").arg(m_request.output)));
    QApplication::exit(0);
}

void ScreenshotRunner::fail(const QString& message, int code)
{
    std::fprintf(stderr, "circnn-studio: %s\n", qPrintable(message));
    QApplication::exit(code);
}

} // namespace circnn::gui
