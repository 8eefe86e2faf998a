#include "circulant/CirculantBenchmark.h"

#include <cblas.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <random>
#include <span>
#include <thread>
#include <utility>

#include "circulant/BlockCirculantMatrix.h"
#include "circulant/CirculantPhases.h"
#include "circulant/PerBinGemmReference.h"
#include "common/AlignedAllocator.h"
#include "common/Error.h"

namespace circnn {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b)
{
    return std::chrono::duration<double>(b - a).count();
}

// The clock figures are taken with: wall time, or CPU time of the calling thread (robust when
// other processes share the cores: time-slices given to them are not counted).
bool g_threadCpuClock = true;

double now()
{
    if (g_threadCpuClock) {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
    }
    return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Warm times per call (s) of several functions measured side by side: each round times one sample
// of every function in turn (each sample `iters` back-to-back calls, calibrated per function), so
// that load from other processes, which drifts over seconds, affects all of them alike. Returns the
// per-round times, samples[f][round].
std::vector<std::vector<double>> timeRounds(const std::vector<std::function<void()>>& fns, int repeat, double minSample)
{
    std::vector<int> iters;
    for (const auto& f : fns) {
        f(); // warm-up (first touch, lazy initialisation)
        const double t0 = now();
        f();
        const double once = std::max(now() - t0, 1e-7);
        iters.push_back(std::max(1, static_cast<int>(std::ceil(minSample / once))));
    }
    std::vector<std::vector<double>> samples(fns.size());
    for (int r = 0; r < repeat; ++r)
        for (std::size_t i = 0; i < fns.size(); ++i) {
            const double t0 = now();
            for (int it = 0; it < iters[i]; ++it)
                fns[i]();
            samples[i].push_back((now() - t0) / iters[i]);
        }
    return samples;
}

// Median over rounds of numerator / denominator (both per-round sums of the given rows).
double medianRatio(const std::vector<std::vector<double>>& samples, std::initializer_list<std::size_t> numerator,
                   std::initializer_list<std::size_t> denominator)
{
    std::vector<double> ratios;
    for (std::size_t r = 0; r < samples.front().size(); ++r) {
        double a = 0, b = 0;
        for (auto i : numerator)
            a += samples[i][r];
        for (auto i : denominator)
            b += samples[i][r];
        ratios.push_back(a / b);
    }
    return median(ratios);
}

class CacheFlusher {
public:
    explicit CacheFlusher(std::int64_t bytes) : m_buffer(static_cast<std::size_t>(bytes / sizeof(float)), 1.0f) {}
    void flush()
    {
        // Write every cache line: evicts everything else from all cache levels.
        m_value += 1.0f;
        for (std::size_t i = 0; i < m_buffer.size(); i += 16)
            m_buffer[i] = m_value;
    }

private:
    AlignedVector<float> m_buffer;
    float m_value = 0.0f;
};

double timeCold(const std::function<void()>& f, int repeat, CacheFlusher& flusher)
{
    f();
    std::vector<double> samples;
    for (int r = 0; r < repeat; ++r) {
        flusher.flush();
        const double t0 = now();
        f();
        samples.push_back(now() - t0);
    }
    return median(samples);
}

template <typename Vector = std::vector<float>> Vector randomVector(std::size_t n, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    Vector v(n);
    for (float& x : v)
        x = dist(rng);
    return v;
}

double maxRelativeDifference(std::span<const float> reference, std::span<const float> value)
{
    double scale = 1e-30, diff = 0;
    for (std::size_t t = 0; t < reference.size(); ++t) {
        scale = std::max(scale, static_cast<double>(std::abs(reference[t])));
        diff = std::max(diff, static_cast<double>(std::abs(reference[t] - value[t])));
    }
    return diff / scale;
}

// Rank of an OpenBLAS x86-64 kernel family (0: generic or unknown).
int blasCoreRank(std::string name)
{
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    const std::pair<const char*, int> ranks[] = {
        {"sapphirerapids", 4}, {"cooperlake", 4}, {"skylakex", 4},   {"haswell", 3},     {"zen", 3},
        {"sandybridge", 2},    {"nehalem", 1},    {"penryn", 1},     {"core2", 1},       {"prescott", 1},
        {"barcelona", 1},      {"bulldozer", 2},  {"piledriver", 2}, {"steamroller", 2}, {"excavator", 3}};
    for (const auto& [family, rank] : ranks)
        if (name.find(family) != std::string::npos)
            return rank;
    return 0;
}

std::string strongestBlasCoreForCpu()
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
    if (__builtin_cpu_supports("avx"))
        return "SandyBridge";
    return "Nehalem";
#else
    return "";
#endif
}

} // namespace

BenchMachine benchMachine()
{
    BenchMachine m;
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line))
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            m.cpuModel = colon == std::string::npos ? line : line.substr(colon + 2);
            break;
        }
    m.logicalCpus = static_cast<int>(std::thread::hardware_concurrency());
    m.blasCore = openblas_get_corename();
    m.strongestBlasCore = strongestBlasCoreForCpu();
    m.blasCoreIsWeaker = !m.strongestBlasCore.empty() && blasCoreRank(m.blasCore) < blasCoreRank(m.strongestBlasCore);
    long l3 = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
    l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
    m.lastLevelCacheBytes = l3 > 0 ? l3 : 32ll << 20;
    return m;
}

std::vector<BenchRow> runCirculantBenchmark(const BenchConfig& config,
                                            const std::function<void(const BenchRow&)>& onRow)
{
    if (config.repeat < 1)
        throw ShapeError("circulant benchmark: --repeat must be at least 1, got " + std::to_string(config.repeat));
    for (auto b : config.batches)
        if (b < 1)
            throw ShapeError("circulant benchmark: batch sizes must be at least 1, got " + std::to_string(b));
    openblas_set_num_threads(1);
    g_threadCpuClock = config.threadCpuClock;

    std::unique_ptr<CacheFlusher> flusher;
    if (config.cold) {
        // Twice the last-level cache (capped at 1 GiB) so nothing of the previous call survives.
        const auto llc = benchMachine().lastLevelCacheBytes;
        const std::int64_t bytes =
            config.coldFlushBytes > 0 ? config.coldFlushBytes : std::min<std::int64_t>(2 * llc, 1ll << 30);
        flusher = std::make_unique<CacheFlusher>(bytes);
    }

    std::vector<BenchRow> rows;
    std::uint32_t seed = config.seed;
    for (const BenchShape& shape : config.shapes) {
        const std::int64_t m = shape.rows, n = shape.cols;
        if (m < 1 || n < 1)
            throw ShapeError("circulant benchmark: empty shape " + std::to_string(m) + "x" + std::to_string(n));
        for (std::int64_t batch : config.batches) {
            // 64-byte aligned, as the reference's FFT plans execute on the inputs directly.
            const auto x = randomVector<AlignedVector<float>>(static_cast<std::size_t>(batch * n), seed++);
            for (std::int64_t k : config.blockSizes) {
                if (k < 1 || k > std::max(m, n))
                    continue;
                const std::int64_t p = (m + k - 1) / k, q = (n + k - 1) / k;
                const auto v = randomVector(static_cast<std::size_t>(p * q * k), seed++);
                const auto t0 = Clock::now();
                BlockCirculantMatrix w(m, n, k, v);
                if (config.kernel != CirculantKernel::Auto)
                    w.setKernel(config.kernel);
                const double prepareMs = seconds(t0, Clock::now()) * 1e3;
                const auto dense = w.toDense();
                AlignedVector<float> yDense(static_cast<std::size_t>(batch * m)), yCirc(yDense.size());

                auto runDense = [&] {
                    if (batch == 1)
                        cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(m), static_cast<int>(n), 1.0f,
                                    dense.data(), static_cast<int>(n), x.data(), 1, 0.0f, yDense.data(), 1);
                    else
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(batch),
                                    static_cast<int>(m), static_cast<int>(n), 1.0f, x.data(), static_cast<int>(n),
                                    dense.data(), static_cast<int>(n), 0.0f, yDense.data(), static_cast<int>(m));
                };
                auto runCirc = [&] { w.multiply(x.data(), yCirc.data(), batch); };

                BenchRow row;
                row.rows = m;
                row.cols = n;
                row.blockSize = k;
                row.batch = batch;
                row.kernel = kernelName(w.kernel());
                row.compression = w.compression();
                row.prepareMs = prepareMs;
                // Everything timed warm is measured side by side, round by round (timeRounds); the
                // ratios are medians of per-round ratios, so machine load affects both sides alike.
                std::unique_ptr<CirculantPhases> phases;
                if (config.breakdown && w.kernel() == CirculantKernel::Fft)
                    phases = std::make_unique<CirculantPhases>(w, x.data(), batch);
                std::unique_ptr<PerBinGemmReference> reference;
                AlignedVector<float> yRef(config.reference ? yDense.size() : 0);
                if (config.reference)
                    reference = std::make_unique<PerBinGemmReference>(m, n, k, v, batch);
                std::vector<std::function<void()>> fns{runDense, runCirc};
                const std::size_t kDense = 0, kCirc = 1, kFwd = 2, kMac = 3, kInv = 4, kSeq = 5;
                if (phases) {
                    fns.push_back([&] { phases->forwardTransforms(); });
                    fns.push_back([&] { phases->multiplyAccumulate(); });
                    fns.push_back([&] { phases->inverseTransforms(); });
                    fns.push_back([&] {
                        phases->forwardTransforms();
                        phases->multiplyAccumulate();
                        phases->inverseTransforms();
                    });
                }
                const std::size_t kRef = fns.size();
                if (reference)
                    fns.push_back([&] { reference->multiply(x.data(), yRef.data()); });
                const auto samples = timeRounds(fns, config.repeat, config.minSampleSeconds);
                row.denseUs = median(samples[kDense]) * 1e6;
                row.circulantUs = median(samples[kCirc]) * 1e6;
                row.speedup = medianRatio(samples, {kDense}, {kCirc});
                if (flusher) {
                    row.denseColdUs = timeCold(runDense, config.repeat, *flusher) * 1e6;
                    row.circulantColdUs = timeCold(runCirc, config.repeat, *flusher) * 1e6;
                    row.coldSpeedup = row.denseColdUs / row.circulantColdUs;
                }
                row.maxRelDiff = maxRelativeDifference(yDense, yCirc);
                if (phases) {
                    row.forwardFftUs = median(samples[kFwd]) * 1e6;
                    row.macUs = median(samples[kMac]) * 1e6;
                    row.inverseFftUs = median(samples[kInv]) * 1e6;
                    row.phaseSumUs = row.forwardFftUs + row.macUs + row.inverseFftUs;
                    row.fullOverPhases = medianRatio(samples, {kCirc}, {kFwd, kMac, kInv});
                    row.sequenceUs = median(samples[kSeq]) * 1e6;
                    row.fullOverSequence = medianRatio(samples, {kCirc}, {kSeq});
                }
                if (reference) {
                    row.referenceUs = median(samples[kRef]) * 1e6;
                    row.referenceSpeedup = medianRatio(samples, {kRef}, {kCirc});
                    row.referenceMaxRelDiff = maxRelativeDifference(yDense, yRef);
                }
                rows.push_back(row);
                if (onRow)
                    onRow(row);
            }
        }
    }
    return rows;
}

} // namespace circnn
