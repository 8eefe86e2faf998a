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

void FftPlanCache::setHookForTesting(std::function<void(Stage)> hook)
{
    std::lock_guard lock(m_hookMutex);
    m_hook = std::move(hook);
}

void FftPlanCache::callHook(Stage stage)
{
    std::function<void(Stage)> hook;
    {
        std::lock_guard lock(m_hookMutex);
        hook = m_hook;
    }
    if (hook)
        hook(stage);
}

// Caller holds fftwPlannerMutex().
void FftPlanCache::importWisdom()
{
    m_wisdomImported = true;
    const auto path = wisdomPath();
    std::error_code ec;
    if (path.empty() || !std::filesystem::is_regular_file(path, ec))
        return;
    // Returns 0 for unreadable or corrupt files: ignored on purpose (wisdom is only a cache).
    (void)fftwf_import_wisdom_from_filename(path.c_str());
}

// Caller holds no lock of this cache: other threads look plans up and plan meanwhile.
void FftPlanCache::writeWisdom(const std::string& text, std::uint64_t serial)
{
    const auto path = wisdomPath();
    if (path.empty())
        return;
    std::lock_guard file(m_wisdomFileMutex);
    if (serial <= m_wisdomWritten)
        return; // a newer export (a superset of this one) is already on disk
    callHook(Stage::WritingWisdom);
    try {
        std::error_code ec;
        std::filesystem::create_directories(path.parent_path(), ec);
        writeTextFileAtomically(path, text);
        m_wisdomWritten = serial;
    } catch (...) {
        // Wisdom is a cache: a read-only or full disk must not fail a product.
    }
}

std::shared_ptr<const FftwPlan> FftPlanCache::find(const Key& key) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_plans.find(key);
    return it == m_plans.end() ? nullptr : it->second;
}

// Makes the plan for `key` under the planner lock (or returns the one another thread made while this
// one waited for that lock). When wisdom should be saved, `wisdom` receives FFTW's export and
// `wisdomSerial` its serial number; the caller writes it once no lock is held.
std::shared_ptr<const FftwPlan> FftPlanCache::plan(const Key& key, std::string& wisdom, std::uint64_t& wisdomSerial)
{
    const auto [direction, k, howmany, inDist, outDist, flags] = key;
    const int n = static_cast<int>(k), many = static_cast<int>(howmany);
    const int idist = static_cast<int>(inDist), odist = static_cast<int>(outDist);

    // Scratch arrays for the planner (FFTW_MEASURE overwrites them). fftwf_malloc aligns for SIMD.
    const std::int64_t realFloats = (direction == FFTW_FORWARD ? inDist : outDist) * howmany;
    const std::int64_t complexCount = (direction == FFTW_FORWARD ? outDist : inDist) * howmany;
    std::unique_ptr<float, FftwFree> real(static_cast<float*>(fftwf_malloc(sizeof(float) * realFloats)));
    std::unique_ptr<fftwf_complex, FftwFree> spec(
        static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * complexCount)));
    if (!real || !spec)
        throw std::bad_alloc();

    std::lock_guard planner(fftwPlannerMutex());
    if (auto made = find(key))
        return made;
    if (!m_wisdomImported)
        importWisdom();
    callHook(Stage::Planning);
    fftwf_plan raw = nullptr;
    if (direction == FFTW_FORWARD)
        raw = fftwf_plan_many_dft_r2c(1, &n, many, real.get(), nullptr, 1, idist, spec.get(), nullptr, 1, odist, flags);
    else
        raw = fftwf_plan_many_dft_c2r(1, &n, many, spec.get(), nullptr, 1, idist, real.get(), nullptr, 1, odist,
                                      flags | FFTW_DESTROY_INPUT);
    if (!raw)
        throw Error("FFTW could not plan " + std::to_string(howmany) + " real transforms of length " +
                    std::to_string(k));
    // FftwPlan's destructor takes the planner lock: never destroy one while holding it.
    auto owned = std::make_shared<const FftwPlan>(raw);
    {
        std::lock_guard lock(m_mutex);
        m_plans.emplace(key, owned);
        ++m_plansCreated;
    }
    if (flags != FFTW_ESTIMATE) {
        if (char* s = fftwf_export_wisdom_to_string()) {
            wisdom = s;
            std::free(s);
            wisdomSerial = ++m_wisdomSerial;
        }
    }
    return owned;
}

std::shared_ptr<const FftwPlan> FftPlanCache::get(int direction, std::int64_t k, std::int64_t howmany,
                                                  std::int64_t inDist, std::int64_t outDist)
{
    (void)toInt(k, "transform length");
    (void)toInt(howmany, "transform count");
    (void)toInt(inDist, "input distance");
    (void)toInt(outDist, "output distance");
    const std::int64_t bins = k / 2 + 1;
    if (direction == FFTW_FORWARD ? (inDist < k || outDist < bins) : (inDist < bins || outDist < k))
        throw ShapeError("FFT plan: distances " + std::to_string(inDist) + ", " + std::to_string(outDist) +
                         " are too small for transforms of length " + std::to_string(k));

    Key key;
    {
        std::lock_guard lock(m_mutex);
        key = Key{direction, k, howmany, inDist, outDist, m_flags};
        if (auto it = m_plans.find(key); it != m_plans.end())
            return it->second;
    }
    std::string wisdom;
    std::uint64_t serial = 0;
    auto owned = plan(key, wisdom, serial);
    if (serial)
        writeWisdom(wisdom, serial);
    return owned;
}

} // namespace circnn
