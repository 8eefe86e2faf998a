#pragma once

#include <QObject>
#include <QString>
#include <QTemporaryDir>
#include <QTimer>

namespace circnn::gui {

class MainWindow;

// Drives `circnn-studio MODEL --screenshot OUT.png [--view NAME] [--select-layer NAME]
// [--block-size K] [--show original|projection|residual]`: waits for the model, selects the layer,
// waits until no job runs, lays the window out for the view (the view alone, large), saves the
// picture and quits. Every failure (model not opened, unknown layer, picture not written) prints
// the reason on stderr and quits with a non-zero code.
class ScreenshotRunner : public QObject {
    Q_OBJECT
public:
    struct Request {
        QString output, view, layer, show;
        qint64 blockSize = 0;
        // --view sweep: run this sweep config (JSON) first (results in a temporary folder);
        // --tab: the view's tab to show (its title), or a collapsible group to open and scroll to
        // ("Advanced" of the training options); "Automatic plan" also runs the plan.
        QString sweepConfig, tab;
    };
    ScreenshotRunner(MainWindow* window, Request request);
    // Also used without --screenshot: applies --select-layer after the first model opened.
    static bool applySelection(MainWindow* window, const Request& request, QString& error);

private:
    void onModelChanged();
    void waitIdle(int quietPolls, void (ScreenshotRunner::*next)());
    void runSweep();
    void layOut();
    void shoot();
    void fail(const QString& message, int code);

    MainWindow* m_window;
    Request m_request;
    bool m_started = false;
    QTemporaryDir m_scratch; // sweep results of a screenshot run
};

} // namespace circnn::gui
