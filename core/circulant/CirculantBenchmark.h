#pragma once
// CirculantBenchmark: times BlockCirculantMatrix::multiply against OpenBLAS on the expanded dense
// matrix (cblas_sgemv for batch 1, cblas_sgemm otherwise), side by side in one process, both on one
// thread (OpenBLAS is set to one thread; the engine is single-threaded). Used by `circnn bench`.
//
// Times are per call, in microseconds, by default of the calling thread's CPU clock (the machine
// may be shared; time-slices given to other processes are then not counted), else wall clock: the median over `repeat`
// samples, each sample averaging enough back-to-back calls to last >= ~2 ms (warm: data stays in cache between calls).
// All warm figures of a row (dense, block-circulant, the phases, the reference) are measured side by side in rounds,
// one sample of each per round, and every ratio is the median of the per-round ratios: load from other processes,
// which drifts over seconds, then affects both sides of a ratio alike.
// Cold samples are single calls preceded by writing a buffer larger than the last-level cache, so weights and inputs
// come from memory.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "circulant/CirculantKernel.h"

namespace circnn {

struct BenchShape {
    std::int64_t rows = 0;
    std::int64_t cols = 0;
};

struct BenchConfig {
    std::vector<BenchShape> shapes{{1024, 1024}, {4096, 4096}, {4096, 9216}};
    std::vector<std::int64_t> blockSizes{4, 8, 16, 32, 64, 128, 256, 512, 1024};
    std::vector<std::int64_t> batches{1, 64};
    int repeat = 7;                  // samples per figure (median reported)
    bool cold = false;               // also measure cold-cache figures
    std::int64_t coldFlushBytes = 0; // buffer written before each cold call; 0 = 2 × last-level cache (≤ 1 GiB)
    double minSampleSeconds = 2e-3;
    CirculantKernel kernel = CirculantKernel::Auto;
    bool threadCpuClock = true; // time with the thread's CPU clock (default) or the wall clock
    bool breakdown = false;     // also time the three phases of the product alone (CirculantPhases)
    bool reference = false;     // also time the per-bin cgemm reference (PerBinGemmReference)
    std::uint32_t seed = 1;
};

struct BenchRow {
    std::int64_t rows = 0, cols = 0, blockSize = 0, batch = 0;
    std::string kernel;     // "fft" or "direct"
    double denseUs = 0;     // warm, per call
    double circulantUs = 0; // warm, per call
    double speedup = 0;     // dense / circulant (median of per-round ratios)
    double denseColdUs = 0; // cold (0 when not measured)
    double circulantColdUs = 0;
    double coldSpeedup = 0;
    double maxRelDiff = 0;  // max |y_circ − y_dense| / max |y_dense|
    double compression = 0; // m·n / stored parameters
    double prepareMs = 0;   // constructing the matrix (spectra + FFT plans)
    // --breakdown (FFT kernel only; 0 otherwise): each phase alone, warm, per call.
    double forwardFftUs = 0, macUs = 0, inverseFftUs = 0;
    double phaseSumUs = 0; // forwardFftUs + macUs + inverseFftUs
    double fullOverPhases =
        0; // full call / phase sum (median of per-round ratios) (issue 14 target: <= 1.25 for k >= 64)
    // The three phases run one after the other per call (a straight-line product of the phases'
    // own code, same data), and full call / that (median of per-round ratios). Each phase alone keeps
    // its own code and tables hot; in sequence the forward and inverse FFTW plans alternate as they
    // do in the full call, so this separates per-call overhead from the cost of alternation.
    double sequenceUs = 0, fullOverSequence = 0;
    // --reference: FFTW many-plans + cblas_cgemm per frequency bin, warm, per call.
    double referenceUs = 0;
    double referenceSpeedup = 0; // reference / engine (median of per-round ratios) (> 1: the engine is faster)
    double referenceMaxRelDiff = 0;
};

struct BenchMachine {
    std::string cpuModel;
    int logicalCpus = 0;
    std::string blasCore; // OpenBLAS kernel family in use (e.g. Haswell, SkylakeX, Prescott)
    std::int64_t lastLevelCacheBytes = 0;
    // The strongest OpenBLAS kernel family this CPU can run (OPENBLAS_CORETYPE value: SkylakeX for
    // AVX-512 F/CD/BW/DQ/VL, Haswell for AVX2 + FMA, SandyBridge for AVX, else Nehalem), and whether
    // blasCore is weaker than it (OpenBLAS fell back to an older family, e.g. on a CPU newer than
    // the library): then the dense baseline is worth measuring again with the strongest one.
    std::string strongestBlasCore;
    bool blasCoreIsWeaker = false;
};

BenchMachine benchMachine();

// Runs every (shape, batch, k) with k <= max(rows, cols); calls onRow after each row.
std::vector<BenchRow> runCirculantBenchmark(const BenchConfig& config,
                                            const std::function<void(const BenchRow&)>& onRow = {});

} // namespace circnn
