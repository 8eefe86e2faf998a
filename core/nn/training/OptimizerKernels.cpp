#include "nn/training/OptimizerKernels.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace circnn::optimizer {

namespace {

// The per-element formulas, shared by the fast loops and the reference loop. This file is compiled
// without FMA contraction (core/CMakeLists.txt), so both perform exactly these IEEE operations. `Decay` selects the
// gradient g + λ·w or g + 0.0 (the latter keeps the sign of a zero gradient exactly as g + 0·w did).
template <bool Decay> inline __attribute__((always_inline)) double decayedGradient(float g, float w, double lambda)
{
    return Decay ? double(g) + lambda * double(w) : double(g) + 0.0;
}

template <bool Decay>
inline __attribute__((always_inline)) void sgdElement(const SgdCoefficients& c, float& w, float& v, float g)
{
    const double gi = decayedGradient<Decay>(g, w, c.weightDecay);
    const double vi = c.momentum * double(v) + gi;
    v = static_cast<float>(vi);
    w = static_cast<float>(double(w) - c.learningRate * vi);
}

template <bool Decay>
inline __attribute__((always_inline)) void adamElement(const AdamCoefficients& c, float& w, float& m, float& s, float g)
{
    const double gi = decayedGradient<Decay>(g, w, c.weightDecay);
    const double mi = c.beta1 * double(m) + (1 - c.beta1) * gi;
    const double si = c.beta2 * double(s) + (1 - c.beta2) * gi * gi;
    m = static_cast<float>(mi);
    s = static_cast<float>(si);
    w = static_cast<float>(double(w) -
                           c.learningRate * (mi / c.correction1) / (std::sqrt(si / c.correction2) + c.epsilon));
}

// Fast loops: coefficients copied to locals (no reloads through a pointer that might alias the
// arrays), restrict-qualified arrays, no branch in the body. GCC and Clang vectorise these at -O2/-O3.
// Always inlined, so that the AVX-512 caller below compiles its own copy for its own target.
#define CIRCNN_ALWAYS_INLINE inline __attribute__((always_inline))
template <bool Decay>
CIRCNN_ALWAYS_INLINE void sgdLoop(SgdCoefficients c, float* __restrict w, float* __restrict v,
                                  const float* __restrict g, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i)
        sgdElement<Decay>(c, w[i], v[i], g[i]);
}

template <bool Decay>
CIRCNN_ALWAYS_INLINE void adamLoop(AdamCoefficients c, float* __restrict w, float* __restrict m, float* __restrict s,
                                   const float* __restrict g, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i)
        adamElement<Decay>(c, w[i], m[i], s[i], g[i]);
}

void adamPortable(const AdamCoefficients& c, float* w, float* m, float* s, const float* g, std::size_t n)
{
    if (c.weightDecay > 0)
        adamLoop<true>(c, w, m, s, g, n);
    else
        adamLoop<false>(c, w, m, s, g, n);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define CIRCNN_OPTIMIZER_AVX512 1
// The same loop built for AVX-512 (8 doubles per register); chosen at run time.
__attribute__((target("avx512f"))) void adamAvx512(const AdamCoefficients& c, float* w, float* m, float* s,
                                                   const float* g, std::size_t n)
{
    if (c.weightDecay > 0)
        adamLoop<true>(c, w, m, s, g, n);
    else
        adamLoop<false>(c, w, m, s, g, n);
}

// AVX-512F usable (CPUID and OS state); CIRCNN_NO_AVX512=1 disables it as for the circulant kernels.
bool useAvx512()
{
    static const bool use = [] {
        const char* off = std::getenv("CIRCNN_NO_AVX512");
        if (off && *off && std::string(off) != "0")
            return false;
        __builtin_cpu_init();
        return bool(__builtin_cpu_supports("avx512f"));
    }();
    return use;
}
#endif

} // namespace

void sgdUpdate(const SgdCoefficients& c, float* w, float* velocity, const float* g, std::size_t n)
{
    if (c.weightDecay > 0)
        sgdLoop<true>(c, w, velocity, g, n);
    else
        sgdLoop<false>(c, w, velocity, g, n);
}

void sgdUpdateReference(const SgdCoefficients& c, float* w, float* velocity, const float* g, std::size_t n)
{
    const bool decay = c.weightDecay > 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (decay)
            sgdElement<true>(c, w[i], velocity[i], g[i]);
        else
            sgdElement<false>(c, w[i], velocity[i], g[i]);
    }
}

void adamUpdate(const AdamCoefficients& c, float* w, float* m, float* s, const float* g, std::size_t n)
{
#ifdef CIRCNN_OPTIMIZER_AVX512
    if (useAvx512()) {
        adamAvx512(c, w, m, s, g, n);
        return;
    }
#endif
    adamPortable(c, w, m, s, g, n);
}

void adamUpdateReference(const AdamCoefficients& c, float* w, float* m, float* s, const float* g, std::size_t n)
{
    const bool decay = c.weightDecay > 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (decay)
            adamElement<true>(c, w[i], m[i], s[i], g[i]);
        else
            adamElement<false>(c, w[i], m[i], s[i], g[i]);
    }
}

} // namespace circnn::optimizer
