#include "common/Parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "common/Environment.h"
#include "common/Error.h"

namespace circnn {

namespace {
std::atomic<std::size_t> g_override{0};
thread_local bool t_insideParallel = false;

std::size_t defaultWorkers()
{
    // Malformed values are reported by validateEnvironment() at start-up; here they fall back to
    // the default rather than throwing from inside a worker pool.
    try {
        if (const auto v = threadsFromEnvironment())
            return static_cast<std::size_t>(*v);
    } catch (const Error&) {
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

// One parallelFor call: chunk t of `chunks` covers [n·t/chunks, n·(t+1)/chunks).
struct Job {
    const std::function<void(std::size_t, std::size_t)>* body = nullptr;
    std::size_t n = 0, chunks = 0;
    std::atomic<std::size_t> next{0}; // next chunk to claim
    std::size_t finished = 0;         // chunks done (under the pool mutex)
    std::exception_ptr error;         // the first exception (under the pool mutex)
};

// Persistent worker threads, so that a parallelFor costs a wake-up instead of thread creation
// (training calls it once per mini-batch). One job at a time: a second caller that finds the pool
// busy (parallelFor from two application threads at once) runs its job on threads of its own.
// The pool is never destroyed (its threads sleep on a condition variable until the process exits),
// which avoids any shutdown-order problem with static objects.
class Pool {
public:
    static Pool& instance()
    {
        static Pool* pool = new Pool;
        return *pool;
    }

    // Runs `job` with the calling thread as one of its workers; false if the pool is busy.
    bool tryRun(Job& job)
    {
        std::unique_lock busy(m_busy, std::try_to_lock);
        if (!busy.owns_lock())
            return false;
        {
            std::lock_guard lock(m_mutex);
            while (m_threads.size() + 1 < job.chunks)
                m_threads.emplace_back([this] { workerLoop(); });
            m_job = &job;
            ++m_generation;
        }
        m_wake.notify_all();
        work(job);
        // Wait until every chunk is done AND no worker still holds the job (a worker that woke
        // late may be about to find no chunk left); only then may the job leave the caller's stack.
        std::unique_lock lock(m_mutex);
        m_done.wait(lock, [&] { return job.finished == job.chunks && m_active == 0; });
        m_job = nullptr;
        return true;
    }

    static void work(Job& job)
    {
        Pool& pool = instance();
        const bool wasInside = t_insideParallel;
        t_insideParallel = true;
        for (;;) {
            const std::size_t t = job.next.fetch_add(1);
            if (t >= job.chunks)
                break;
            std::exception_ptr error;
            try {
                const std::size_t begin = job.n * t / job.chunks, end = job.n * (t + 1) / job.chunks;
                if (begin < end)
                    (*job.body)(begin, end);
            } catch (...) {
                error = std::current_exception();
            }
            std::lock_guard lock(pool.m_mutex);
            if (error && !job.error)
                job.error = error;
            if (++job.finished == job.chunks)
                pool.m_done.notify_all();
        }
        t_insideParallel = wasInside;
    }

private:
    void workerLoop()
    {
        std::uint64_t seen = 0;
        for (;;) {
            Job* job = nullptr;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [&] { return m_generation != seen && m_job != nullptr; });
                seen = m_generation;
                job = m_job;
                ++m_active;
            }
            work(*job);
            std::lock_guard lock(m_mutex);
            --m_active;
            m_done.notify_all();
        }
    }

    std::mutex m_busy;  // held by the caller of the job in flight
    std::mutex m_mutex; // guards everything below and Job::finished / error
    std::condition_variable m_wake, m_done;
    std::vector<std::thread> m_threads;
    Job* m_job = nullptr;
    std::uint64_t m_generation = 0;
    std::size_t m_active = 0; // workers inside work() for the current job
};

// Fallback when the pool is busy: the job's chunks on threads created for this call.
void runOnOwnThreads(Job& job)
{
    std::vector<std::thread> threads;
    threads.reserve(job.chunks - 1);
    for (std::size_t t = 1; t < job.chunks; ++t)
        threads.emplace_back([&job] { Pool::work(job); });
    Pool::work(job);
    for (auto& th : threads)
        th.join();
}
} // namespace

std::size_t workerCount()
{
    const std::size_t o = g_override.load();
    if (o)
        return o;
    static const std::size_t d = defaultWorkers();
    return d;
}

void setWorkerCount(std::size_t n)
{
    g_override.store(n);
}

bool insideParallelFor()
{
    return t_insideParallel;
}

void parallelFor(std::size_t n, const std::function<void(std::size_t, std::size_t)>& body, std::size_t minChunk)
{
    if (n == 0)
        return;
    minChunk = std::max<std::size_t>(1, minChunk);
    const std::size_t maxThreads = std::min(workerCount(), (n + minChunk - 1) / minChunk);
    if (maxThreads <= 1 || t_insideParallel) {
        body(0, n);
        return;
    }
    Job job;
    job.body = &body;
    job.n = n;
    job.chunks = maxThreads;
    if (!Pool::instance().tryRun(job))
        runOnOwnThreads(job);
    if (job.error)
        std::rethrow_exception(job.error);
}

} // namespace circnn
