#include "circulant/FftPlanCache.h"

#include <cstdlib>
#include <limits>
#include <string>

#include "common/AtomicFile.h"
#include "common/Error.h"

namespace circnn {

namespace {

struct FftwFree {
    void operator()(void* p) const { fftwf_free(p); }
};

int toInt(std::int64_t v, const char* what)
{
    if (v < 1 || v > std::numeric_limits<int>::max())
        throw ShapeError("FFT plan: " + std::string(what) + " = " + std::to_string(v) + " is out of range");
    return static_cast<int>(v);
}

} // namespace

FftPlanCache& FftPlanCache::instance()
{
    static FftPlanCache cache;
    return cache;
}

std::filesystem::path FftPlanCache::wisdomPath()
{
    if (const char* f = std::getenv("CIRCNN_WISDOM_FILE"); f && *f)
        return f;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
        return std::filesystem::path(x) / "circnn" / "wisdom.fftwf";
    if (const char* h = std::getenv("HOME"); h && *h)
        return std::filesystem::path(h) / ".cache" / "circnn" / "wisdom.fftwf";
    return {};
}

void FftPlanCache::setPlannerFlags(unsigned flags)
{
    std::lock_guard lock(m_mutex);
    m_flags = flags;
}

unsigned FftPlanCache::plannerFlags() const
{
    std::lock_guard lock(m_mutex);
    return m_flags;
}

std::int64_t FftPlanCache::plansCreated() const
{
    std::lock_guard lock(m_mutex);
    return m_plansCreated;
}

std::shared_ptr<const FftwPlan> FftPlanCache::realForward(std::int64_t k, std::int64_t howmany, std::int64_t inDist,
                                                          std::int64_t outDist)
{
    return get(FFTW_FORWARD, k, howmany, inDist, outDist);
}

std::shared_ptr<const FftwPlan> FftPlanCache::realInverse(std::int64_t k, std::int64_t howmany, std::int64_t inDist,
                                                          std::int64_t outDist)
{
    return get(FFTW_BACKWARD, k, howmany, inDist, outDist);
}

void FftPlanCache::importWisdomLocked()
{
    m_wisdomImported = true;
    const auto path = wisdomPath();
    std::error_code ec;
    if (path.empty() || !std::filesystem::is_regular_file(path, ec))
        return;
    std::lock_guard planner(fftwPlannerMutex());
    // Returns 0 for unreadable or corrupt files: ignored on purpose (wisdom is only a cache).
    (void)fftwf_import_wisdom_from_filename(path.c_str());
}

void FftPlanCache::exportWisdomLocked()
{
    const auto path = wisdomPath();
    if (path.empty())
        return;
    std::string text;
    {
        std::lock_guard planner(fftwPlannerMutex());
        char* s = fftwf_export_wisdom_to_string();
        if (!s)
            return;
        text = s;
        std::free(s);
    }
    try {
        std::error_code ec;
        std::filesystem::create_directories(path.parent_path(), ec);
        writeTextFileAtomically(path, text);
    } catch (...) {
        // Wisdom is a cache: a read-only or full disk must not fail a product.
    }
}

std::shared_ptr<const FftwPlan> FftPlanCache::get(int direction, std::int64_t k, std::int64_t howmany,
                                                  std::int64_t inDist, std::int64_t outDist)
{
    const int n = toInt(k, "transform length");
    const int many = toInt(howmany, "transform count");
    const int idist = toInt(inDist, "input distance");
    const int odist = toInt(outDist, "output distance");
    const std::int64_t bins = k / 2 + 1;
    if (direction == FFTW_FORWARD ? (inDist < k || outDist < bins) : (inDist < bins || outDist < k))
        throw ShapeError("FFT plan: distances " + std::to_string(inDist) + ", " + std::to_string(outDist) +
                         " are too small for transforms of length " + std::to_string(k));

    std::lock_guard lock(m_mutex);
    const Key key{direction, k, howmany, inDist, outDist, m_flags};
    if (auto it = m_plans.find(key); it != m_plans.end())
        return it->second;
    if (!m_wisdomImported)
        importWisdomLocked();

    // Scratch arrays for the planner (FFTW_MEASURE overwrites them). fftwf_malloc aligns for SIMD.
    const std::int64_t realFloats = (direction == FFTW_FORWARD ? inDist : outDist) * howmany;
    const std::int64_t complexCount = (direction == FFTW_FORWARD ? outDist : inDist) * howmany;
    std::unique_ptr<float, FftwFree> real(static_cast<float*>(fftwf_malloc(sizeof(float) * realFloats)));
    std::unique_ptr<fftwf_complex, FftwFree> spec(
        static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * complexCount)));
    if (!real || !spec)
        throw std::bad_alloc();

    fftwf_plan plan = nullptr;
    {
        std::lock_guard planner(fftwPlannerMutex());
        if (direction == FFTW_FORWARD)
            plan = fftwf_plan_many_dft_r2c(1, &n, many, real.get(), nullptr, 1, idist, spec.get(), nullptr, 1, odist,
                                           m_flags);
        else
            plan = fftwf_plan_many_dft_c2r(1, &n, many, spec.get(), nullptr, 1, idist, real.get(), nullptr, 1, odist,
                                           m_flags | FFTW_DESTROY_INPUT);
    }
    if (!plan)
        throw Error("FFTW could not plan " + std::to_string(howmany) + " real transforms of length " +
                    std::to_string(k));
    auto owned = std::make_shared<const FftwPlan>(plan);
    m_plans.emplace(key, owned);
    ++m_plansCreated;
    if (m_flags != FFTW_ESTIMATE)
        exportWisdomLocked();
    return owned;
}

} // namespace circnn
