// Memory-bandwidth scaling of this machine, 1 thread against all threads: a STREAM-style triad
// a[i] = b[i] + s·c[i] over arrays far larger than the caches, and an Adam-like update (reads
// weights, gradient and both moments; writes weights and moments) over the weights of the
// benchmark's training model (784-4096-4096-10, 20.0 M floats). It tells how much of a 2-thread
// training speed-up memory can give (docs/benchmarks.md, §4). Build and run:
//   g++ -O2 -march=x86-64-v3 -pthread scripts/memory-bandwidth.cpp -o /tmp/membw && /tmp/membw
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

template <class Kernel> double bestSeconds(int threads, std::size_t n, Kernel kernel)
{
    double best = 1e30;
    for (int rep = 0; rep < 7; ++rep) {
        const auto t0 = Clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] { kernel(n * t / threads, n * (t + 1) / threads); });
        for (std::thread& th : pool)
            th.join();
        best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
    }
    return best;
}

} // namespace

int main()
{
    const int all = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const std::size_t n = 20'037'642; // weights of 784-4096-4096-10 with biases
    std::vector<float> a(n, 1.0f), b(n, 2.0f), c(n, 0.5f), d(n, 0.25f);
    const auto triad = [&](std::size_t lo, std::size_t hi) {
        for (std::size_t i = lo; i < hi; ++i)
            a[i] = b[i] + 0.5f * c[i];
    };
    // Adam step (Keras form): m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², w −= lr·m/(√v + ε).
    const auto adam = [&](std::size_t lo, std::size_t hi) {
        for (std::size_t i = lo; i < hi; ++i) {
            const float g = b[i];
            c[i] = 0.9f * c[i] + 0.1f * g;
            d[i] = 0.999f * d[i] + 0.001f * g * g;
            a[i] -= 1e-3f * c[i] / (std::sqrt(d[i]) + 1e-7f);
        }
    };
    std::printf("%zu floats per array, %d hardware threads\n", n, all);
    for (int threads : {1, all}) {
        const double tt = bestSeconds(threads, n, triad);
        const double ta = bestSeconds(threads, n, adam);
        // Bytes the kernels name (no write-allocate traffic counted): triad 3 arrays, Adam 4 read + 3 written.
        std::printf("threads %d: triad %.2f ms (%.1f GB/s), Adam update %.2f ms (%.1f GB/s)\n", threads, tt * 1e3,
                    3.0 * 4 * n / tt / 1e9, ta * 1e3, 7.0 * 4 * n / ta / 1e9);
    }
    return a[n / 2] > 0 ? 0 : 1;
}
