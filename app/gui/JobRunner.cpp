#include "JobRunner.h"

#include <QFutureWatcher>
#include <QThread>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include "ThreadPriority.h"

#include <algorithm>
#include <exception>

namespace circnn::gui {

struct JobRunner::Job {
    QString channel, label;
    std::atomic<bool> cancelled{false};
    std::atomic<std::size_t> done{0}, total{0};
    ErrorFn onError;
};

namespace {
// Jobs run on a pool of their own, not on QThreadPool::globalInstance(): Qt's raster paint engine
// splits large fills across the global pool, so long jobs there would stall every repaint.
// Function-local static: it outlives every window (its threads are joined at process exit, after
// cancelled jobs have stopped), so no destructor of ours blocks on a running job.
QThreadPool& jobPool()
{
    static QThreadPool pool;
    static const bool configured = [] {
        pool.setMaxThreadCount(std::max(4, QThread::idealThreadCount()));
        return true;
    }();
    (void)configured;
    return pool;
}

struct Outcome {
    std::function<void()> deliver;
    QString error;
    bool cancelled = false;
};
} // namespace

struct JobRunner::Finished {
    std::shared_ptr<Job> job;
    Outcome outcome;
};

JobRunner::JobRunner(QObject* parent) : QObject(parent)
{
    m_poll.setInterval(100);
    connect(&m_poll, &QTimer::timeout, this, &JobRunner::pollProgress);
}

JobRunner::~JobRunner()
{
    cancelAll();
}

void JobRunner::startJob(const QString& channel, const QString& label, std::function<Deliver(const ProgressFn&)> work,
                         ErrorFn onError)
{
    const bool wasBusy = isBusy();
    if (auto previous = m_running.value(channel))
        previous->cancelled = true;
    auto job = std::make_shared<Job>();
    job->channel = channel;
    job->label = label;
    job->onError = std::move(onError);
    m_running.insert(channel, job);

    auto* watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcher<Outcome>::finished, this, [this, watcher, job] {
        m_finished.push_back({job, watcher->result()});
        watcher->deleteLater();
        if (m_finished.size() == 1) // queued: handled in the next pass of the event loop
            QMetaObject::invokeMethod(this, &JobRunner::handleNextFinished, Qt::QueuedConnection);
    });
    // The worker holds the job's state by shared pointer: it may finish after the runner is gone.
    watcher->setFuture(QtConcurrent::run(&jobPool(), [job, work = std::move(work)]() -> Outcome {
        lowerThisThreadPriority(); // jobs yield to the GUI thread (and so does the reader child)
        Outcome o;
        const ProgressFn progress = [job](std::size_t done, std::size_t total) {
            job->done = done;
            job->total = total;
            return !job->cancelled.load();
        };
        try {
            if (job->cancelled)
                throw Cancelled();
            o.deliver = work(progress);
        } catch (const Cancelled&) {
            o.cancelled = true;
        } catch (const std::exception& e) {
            o.error = QString::fromStdString(e.what());
        } catch (...) {
            o.error = QStringLiteral("unknown error");
        }
        return o;
    }));
    if (!wasBusy) {
        m_poll.start();
        emit busyChanged(true);
    }
    pollProgress();
}

void JobRunner::handleNextFinished()
{
    if (m_finished.empty())
        return;
    const Finished f = std::move(m_finished.front());
    m_finished.erase(m_finished.begin());
    if (!m_finished.empty()) // the next one in a later pass (timers and paints run in between)
        QMetaObject::invokeMethod(this, &JobRunner::handleNextFinished, Qt::QueuedConnection);
    const std::shared_ptr<Job>& job = f.job;
    const Outcome& outcome = f.outcome;
    const bool latest = m_running.value(job->channel) == job;
    if (latest)
        m_running.remove(job->channel);
    if (outcome.cancelled || job->cancelled)
        emit jobCancelled(job->channel);
    else if (!outcome.error.isEmpty()) {
        if (latest && job->onError)
            job->onError(outcome.error);
        emit jobFailed(job->label, outcome.error);
    } else if (latest && outcome.deliver)
        outcome.deliver();
    emit jobFinished(job->channel);
    if (!isBusy()) {
        m_poll.stop();
        emit busyChanged(false);
    }
}

void JobRunner::cancel(const QString& channel)
{
    if (auto job = m_running.value(channel))
        job->cancelled = true;
}

void JobRunner::cancelAll()
{
    for (const auto& job : std::as_const(m_running))
        job->cancelled = true;
}

void JobRunner::pollProgress()
{
    if (m_running.isEmpty())
        return;
    // Show the job that has made the least progress (the one the user waits for longest).
    std::shared_ptr<Job> shown;
    double fraction = 2;
    for (const auto& job : std::as_const(m_running)) {
        const std::size_t total = job->total;
        const double f = total ? double(job->done) / double(total) : -1.0;
        if (!shown || f < fraction) {
            shown = job;
            fraction = f;
        }
    }
    emit progressChanged(shown->label, fraction);
}

} // namespace circnn::gui
