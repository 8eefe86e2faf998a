#include "common/Parallel.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace circnn {

namespace {
std::atomic<std::size_t> g_override{0};
thread_local bool t_insideParallel = false;

std::size_t defaultWorkers()
{
    if (const char* env = std::getenv("CIRCNN_THREADS")) {
        const long v = std::strtol(env, nullptr, 10);
        if (v > 0)
            return static_cast<std::size_t>(v);
    }
    return std::max(1u, std::thread::hardware_concurrency());
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

void setWorkerCount(std::size_t n) { g_override.store(n); }

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
    std::exception_ptr firstError;
    std::mutex errorMutex;
    auto run = [&](std::size_t t) {
        const std::size_t begin = n * t / maxThreads;
        const std::size_t end = n * (t + 1) / maxThreads;
        const bool wasInside = t_insideParallel;
        t_insideParallel = true;
        try {
            if (begin < end)
                body(begin, end);
        } catch (...) {
            std::lock_guard lock(errorMutex);
            if (!firstError)
                firstError = std::current_exception();
        }
        t_insideParallel = wasInside;
    };
    std::vector<std::thread> threads;
    threads.reserve(maxThreads - 1);
    for (std::size_t t = 1; t < maxThreads; ++t)
        threads.emplace_back(run, t);
    run(0);
    for (auto& th : threads)
        th.join();
    if (firstError)
        std::rethrow_exception(firstError);
}

} // namespace circnn
