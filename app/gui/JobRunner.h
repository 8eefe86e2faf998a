#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "common/Progress.h"

namespace circnn::gui {

// Runs long work on worker threads (QtConcurrent) and hands the results back to the GUI thread.
//
// - Work is a function of a core ProgressFn; the runner's ProgressFn records (done, total) in
//   atomics (polled by a timer for the status bar, so workers never flood the event loop) and
//   returns false once the job is cancelled: core then throws Cancelled at its next safe point.
// - Jobs run in named channels. Starting a job in a channel cancels the one running there and
//   drops its result: the latest request wins (a k slider that moves quickly starts many jobs,
//   only the last one is shown).
// - Results are delivered on the GUI thread only if the receiver still exists and the job is the
//   channel's latest and was not cancelled. Errors (other than Cancelled) go to onError and to
//   the jobFailed signal.
// - Finished jobs are handled one per event-loop pass, in the order they finished: jobs that end
//   together (an open's statistics, estimates and projection) would otherwise have all their
//   deliveries — each rebuilding a view — run in one pass with the paint that follows, one long
//   stall. A job stays "busy" until its result was handled.
// - Nothing blocks: cancelAll() (on close) sets the flags and returns; a work function must only
//   capture values and shared pointers, never widgets, since it may outlive the window.
class JobRunner : public QObject {
    Q_OBJECT
public:
    explicit JobRunner(QObject* parent = nullptr);
    ~JobRunner() override;

    using ErrorFn = std::function<void(const QString& message)>;

    // Starts `work` in `channel`; `onDone(result)` runs on the GUI thread (when `receiver` lives).
    template <class Work, class Done>
    void run(const QString& channel, const QString& label, Work work, QObject* receiver, Done onDone,
             ErrorFn onError = {})
    {
        QPointer<QObject> guard(receiver);
        startJob(
            channel, label,
            [work = std::move(work), guard,
             onDone = std::move(onDone)](const ProgressFn& progress) mutable -> std::function<void()> {
                auto result = std::make_shared<decltype(work(progress))>(work(progress));
                return [guard, onDone, result] {
                    if (guard)
                        onDone(*result);
                };
            },
            [guard, onError](const QString& message) {
                if (guard && onError)
                    onError(message);
            });
    }

    void cancel(const QString& channel); // the channel's running job, if any
    void cancelAll();                    // every running job (used on close)
    bool isBusy() const { return !m_running.isEmpty(); }
    bool isBusy(const QString& channel) const { return m_running.contains(channel); }

signals:
    void busyChanged(bool busy);
    // The most recent running job: fraction in [0, 1], or −1 when its total is unknown yet.
    void progressChanged(const QString& label, double fraction);
    void jobFinished(const QString& channel);  // delivered, failed or dropped alike
    void jobCancelled(const QString& channel); // the job stopped because it was cancelled
    void jobFailed(const QString& label, const QString& message);

private:
    struct Job;
    struct Finished;
    using Deliver = std::function<void()>;
    void startJob(const QString& channel, const QString& label, std::function<Deliver(const ProgressFn&)> work,
                  ErrorFn onError);
    void pollProgress();
    void handleNextFinished(); // the oldest of m_finished; re-posts itself while more wait

    QHash<QString, std::shared_ptr<Job>> m_running; // channel → latest job
    std::vector<Finished> m_finished;               // finished on a worker, not yet handled here (FIFO)
    QTimer m_poll;
};

} // namespace circnn::gui
