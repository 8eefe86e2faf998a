#pragma once
// FftPlanCache: process-wide cache of batched ("many") real FFT plans, keyed by
// (direction, length, howmany, distances). The returned plans are immutable and may be executed
// concurrently from any number of threads.
//
// Locking: a lookup takes only the cache lock (m_mutex), briefly. A miss plans under FFTW's global
// planner lock (fftwPlannerMutex(); FFTW's planner is not thread-safe) WITHOUT the cache lock, so
// lookups of existing plans never wait for a MEASURE planning; the wisdom file is written after both
// locks are released (under a lock of its own). Lock order: planner, then cache; never the reverse.
//
// Plans are made with FFTW_MEASURE on scratch arrays from fftwf_malloc (MEASURE overwrites them)
// and are always executed on 64-byte aligned buffers with the same layout.
//
// Wisdom: imported once, at the first plan request, from wisdomPath(); after a request that had to
// plan something new, all wisdom is exported back (written atomically), so MEASURE-quality plans
// cost nothing on the next start. A missing, unreadable or corrupt wisdom file is ignored silently,
// and so is a failure to write it.
//   wisdomPath() = $CIRCNN_WISDOM_FILE if set and non-empty,
//                  else $XDG_CACHE_HOME/circnn/wisdom.fftwf,
//                  else ~/.cache/circnn/wisdom.fftwf (empty if HOME is unset too: no wisdom).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "circulant/FftwPlan.h"

namespace circnn {

class FftPlanCache {
public:
    static FftPlanCache& instance();

    // `howmany` real-to-complex transforms of length k. Transform t reads k floats at in + t·inDist
    // and writes k/2+1 complex bins at out + t·outDist (outDist in complex elements).
    std::shared_ptr<const FftwPlan> realForward(std::int64_t k, std::int64_t howmany, std::int64_t inDist,
                                                std::int64_t outDist);
    // `howmany` complex-to-real transforms of length k (unnormalised: the result is k times the
    // inverse DFT). Transform t reads k/2+1 bins at in + t·inDist (complex elements; the input is
    // destroyed) and writes k floats at out + t·outDist.
    std::shared_ptr<const FftwPlan> realInverse(std::int64_t k, std::int64_t howmany, std::int64_t inDist,
                                                std::int64_t outDist);

    // FFTW planner rigour for plans made from now on (FFTW_ESTIMATE, FFTW_MEASURE (default),
    // FFTW_PATIENT). Plans already cached are kept.
    void setPlannerFlags(unsigned flags);
    unsigned plannerFlags() const;

    static std::filesystem::path wisdomPath();
    // Number of plans created by this process (cache misses); for tests and diagnostics.
    std::int64_t plansCreated() const;

    // Test hook: called with Stage::Planning while a new plan is being made (planner lock held,
    // cache lock not held) and with Stage::WritingWisdom just before the wisdom file is written
    // (neither lock held). An empty function removes the hook.
    enum class Stage { Planning, WritingWisdom };
    void setHookForTesting(std::function<void(Stage)> hook);

private:
    FftPlanCache() = default;
    using Key = std::tuple<int, std::int64_t, std::int64_t, std::int64_t, std::int64_t, unsigned>;
    std::shared_ptr<const FftwPlan> get(int direction, std::int64_t k, std::int64_t howmany, std::int64_t inDist,
                                        std::int64_t outDist);
    std::shared_ptr<const FftwPlan> find(const Key& key) const;
    std::shared_ptr<const FftwPlan> plan(const Key& key, std::string& wisdom, std::uint64_t& wisdomSerial);
    void importWisdom();
    void writeWisdom(const std::string& text, std::uint64_t serial);
    void callHook(Stage stage);

    mutable std::mutex m_mutex; // the cache lock: guards m_plans, m_flags, m_plansCreated
    std::map<Key, std::shared_ptr<const FftwPlan>> m_plans;
    unsigned m_flags = FFTW_MEASURE;
    std::int64_t m_plansCreated = 0;
    // Under fftwPlannerMutex():
    bool m_wisdomImported = false;
    std::uint64_t m_wisdomSerial = 0; // wisdom exports so far
    // Under m_wisdomFileMutex: the serial of the newest wisdom written (an older export that lost the
    // race to the file is dropped, never written over a newer one).
    std::mutex m_wisdomFileMutex;
    std::uint64_t m_wisdomWritten = 0;
    std::mutex m_hookMutex;
    std::function<void(Stage)> m_hook;
};

} // namespace circnn
