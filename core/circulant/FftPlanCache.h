#pragma once
// FftPlanCache: process-wide cache of batched ("many") real FFT plans, keyed by
// (direction, length, howmany, distances). Planning is serialised by fftwPlannerMutex(); the
// returned plans are immutable and may be executed concurrently from any number of threads.
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
#include <map>
#include <memory>
#include <mutex>
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

private:
    FftPlanCache() = default;
    using Key = std::tuple<int, std::int64_t, std::int64_t, std::int64_t, std::int64_t, unsigned>;
    std::shared_ptr<const FftwPlan> get(int direction, std::int64_t k, std::int64_t howmany, std::int64_t inDist,
                                        std::int64_t outDist);
    void importWisdomLocked();
    void exportWisdomLocked();

    mutable std::mutex m_mutex; // guards the map and flags; always taken before fftwPlannerMutex()
    std::map<Key, std::shared_ptr<const FftwPlan>> m_plans;
    unsigned m_flags = FFTW_MEASURE;
    bool m_wisdomImported = false;
    std::int64_t m_plansCreated = 0;
};

} // namespace circnn
