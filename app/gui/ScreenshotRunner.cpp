#include "ScreenshotRunner.h"

#include <QApplication>
#include <QDockWidget>
#include <QFileInfo>
#include <QGroupBox>
#include <QLabel>
#include <QScrollArea>
#include <QTabWidget>

#include <cstdio>

#include "Document.h"
#include "JobRunner.h"
#include "MainWindow.h"
#include "analysis/SweepConfig.h"
#include "sweep/AutoPlanPanel.h"
#include "sweep/SweepConfigForm.h"
#include "sweep/SweepView.h"
#include "views/InferenceView.h"
#include "views/LayerExplorerView.h"
#include "views/TrainingOptionsForm.h"
#include "views/TrainingView.h"
#include "widgets/HeatmapWidget.h"

namespace circnn::gui {

ScreenshotRunner::ScreenshotRunner(MainWindow* window, Request request)
    : QObject(window), m_window(window), m_request(std::move(request))
{
    // The picture shows weights: it starts once they are in (the layer table alone is not enough).
    connect(m_window->document(), &Document::weightsLoaded, this, &ScreenshotRunner::onModelChanged);
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
    waitIdle(3, m_request.sweepConfig.isEmpty() ? &ScreenshotRunner::layOut : &ScreenshotRunner::runSweep);
}

void ScreenshotRunner::runSweep()
{
    SweepView* sweep = m_window->sweepView();
    try {
        sweep->form()->setConfig(readSweepConfig(m_request.sweepConfig.toStdString()));
    } catch (const std::exception& e) {
        fail(QString::fromStdString(e.what()), 2);
        return;
    }
    sweep->form()->setResultsFile(m_scratch.filePath("sweep.jsonl"));
    connect(sweep, &SweepView::sweepFinished, this, [this, sweep](bool completed) {
        if (!completed) {
            fail(tr("the sweep did not finish: %1").arg(sweep->statusLabel()->text()), 1);
            return;
        }
        if (m_request.tab == tr("Automatic plan")) {
            connect(sweep->autoPlanPanel(), &AutoPlanPanel::planned, this,
                    [this] { waitIdle(3, &ScreenshotRunner::layOut); });
            if (!sweep->autoPlanPanel()->plan())
                fail(tr("the automatic plan did not start"), 1);
            return;
        }
        waitIdle(3, &ScreenshotRunner::layOut);
    });
    if (!sweep->run())
        fail(tr("the sweep did not start: %1").arg(sweep->statusLabel()->text()), 1);
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
    if (!m_request.tab.isEmpty()) {
        bool found = false;
        for (QTabWidget* tabs : view ? view->findChildren<QTabWidget*>() : QList<QTabWidget*>())
            for (int i = 0; i < tabs->count(); ++i)
                if (tabs->tabText(i) == m_request.tab) {
                    tabs->setCurrentIndex(i);
                    found = true;
                }
        // Or a collapsible group of a form ("Advanced" of the training options): opened.
        for (QGroupBox* group : view ? view->findChildren<QGroupBox*>() : QList<QGroupBox*>())
            if (!found && group->isCheckable() && group->title() == m_request.tab) {
                group->setChecked(true);
                found = true;
            }
        if (!found) {
            fail(tr("the view has no tab or collapsible group '%1'").arg(m_request.tab), 2);
            return;
        }
    }
    if (view && view != m_window->explorerView()) {
        // A dock view alone, floating at a size where its labels and charts are legible.
        auto* dock = qobject_cast<QDockWidget*>(view->parentWidget());
        if (dock) {
            dock->setFloating(true);
            const bool wide = m_request.view == "hardware" || m_request.view == "inference" ||
                              m_request.view == "training" || m_request.view == "sweep";
            dock->resize(wide ? QSize(1500, 900) : QSize(1200, 860));
        }
    } else if (view) {
        for (QDockWidget* dock : m_window->findChildren<QDockWidget*>())
            dock->hide();
        m_window->resize(1300, 860);
    }
    // Views that show results of a run: start it (the picture waits until the runner is idle).
    if (m_request.view == "inference")
        m_window->inferenceView()->evaluate();
    if (m_request.view == "training") { // a short fine-tuning run on the bundled set
        m_window->trainingView()->options()->setEpochs(3);
        m_window->trainingView()->start(TrainingView::Action::Finetune);
    }
    waitIdle(4, &ScreenshotRunner::shoot);
}

void ScreenshotRunner::shoot()
{
    QWidget* target = m_request.view.isEmpty() ? m_window : m_window->showView(m_request.view);
    if (target != m_window && target->parentWidget() && qobject_cast<QDockWidget*>(target->parentWidget()) &&
        qobject_cast<QDockWidget*>(target->parentWidget())->isFloating())
        target = target->parentWidget();
    // An opened group (--tab naming one) scrolled into view.
    for (QGroupBox* group : m_request.tab.isEmpty() ? QList<QGroupBox*>() : target->findChildren<QGroupBox*>())
        for (QWidget* w = group->parentWidget(); group->isCheckable() && group->title() == m_request.tab && w;
             w = w->parentWidget())
            if (auto* scroll = qobject_cast<QScrollArea*>(w)) {
                scroll->ensureWidgetVisible(group, 0, 0);
                break;
            }
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
