#pragma once
// Shared helpers for the QtTest suites: tolerant comparison (absolute + relative, since QCOMPARE's
// fuzzy compare fails near zero), seeded random data, and locating ../shared test material.

#include <QString>
#include <QTest>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace circnn::test {

// Root of the project sources and of ../shared (which may be absent: tests then QSKIP), and a
// scratch folder inside the build tree (created on first use). Defined in the generated
// TestPaths.cpp.
std::filesystem::path sourceDir();
std::filesystem::path sharedDir();
std::filesystem::path tempDir();
inline bool haveShared()
{
    return std::filesystem::exists(sharedDir() / "models");
}

// Skips the current test when ../shared is not beside the project.
#define CIRCNN_REQUIRE_SHARED()                                                                                        \
    do {                                                                                                               \
        if (!circnn::test::haveShared())                                                                               \
            QSKIP("../shared (real models and MNIST) is not beside the project; skipping");                            \
    } while (0)

inline std::vector<float> randomVector(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (float& x : v)
        x = dist(rng);
    return v;
}

// Relative error ‖a − b‖∞ / max(‖b‖∞, tiny). Reports the first index where |a−b| > tol·scale.
struct Mismatch {
    double relError = 0;
    std::ptrdiff_t firstBad = -1;
};
inline Mismatch compareVectors(const float* a, const float* b, std::size_t n, double relTol)
{
    double scale = 1e-30, maxDiff = 0;
    for (std::size_t i = 0; i < n; ++i)
        scale = std::max(scale, std::abs(double(b[i])));
    Mismatch m;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = std::abs(double(a[i]) - double(b[i]));
        if (!(d <= relTol * scale) && m.firstBad < 0)
            m.firstBad = static_cast<std::ptrdiff_t>(i);
        maxDiff = std::max(maxDiff, std::isnan(d) ? INFINITY : d);
    }
    m.relError = maxDiff / scale;
    return m;
}

// QVERIFY-style check that prints the first mismatching index and values plus a context string.
#define CIRCNN_COMPARE_VECTORS(a, b, n, tol, context)                                                                  \
    do {                                                                                                               \
        const auto mm_ = circnn::test::compareVectors((a), (b), (n), (tol));                                           \
        if (mm_.firstBad >= 0) {                                                                                       \
            std::ostringstream os_;                                                                                    \
            os_ << context << ": rel error " << mm_.relError << " > " << (tol) << " first at index " << mm_.firstBad   \
                << " (" << (a)[mm_.firstBad] << " vs " << (b)[mm_.firstBad] << ")";                                    \
            QFAIL(os_.str().c_str());                                                                                  \
        }                                                                                                              \
    } while (0)

} // namespace circnn::test
