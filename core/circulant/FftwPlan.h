#pragma once
// FftwPlan: owning RAII wrapper around one single-precision FFTW plan (fftwf_plan).
//
// FFTW's planner (plan creation AND destruction) is not thread-safe; executing a plan is. Every
// planner call in the project goes through fftwPlannerMutex(). Plans are executed only through the
// new-array functions below, on buffers whose alignment matches the planning buffers (this project
// always plans on and executes on 64-byte aligned buffers, with identical strides and distances).

#include <fftw3.h>

#include <mutex>

namespace circnn {

// The one lock around FFTW's planner (fftwf_plan_*, fftwf_destroy_plan, wisdom import/export).
std::mutex& fftwPlannerMutex();

class FftwPlan {
public:
    FftwPlan() = default;
    // Takes ownership of `plan` (may be null: an empty wrapper).
    explicit FftwPlan(fftwf_plan plan) noexcept : m_plan(plan) {}
    FftwPlan(const FftwPlan&) = delete;
    FftwPlan& operator=(const FftwPlan&) = delete;
    FftwPlan(FftwPlan&& other) noexcept : m_plan(other.m_plan) { other.m_plan = nullptr; }
    FftwPlan& operator=(FftwPlan&& other) noexcept;
    ~FftwPlan();

    explicit operator bool() const { return m_plan != nullptr; }
    fftwf_plan get() const { return m_plan; }

    // Real-to-complex plan on new arrays (thread-safe). `in` is left unchanged for r2c plans.
    void executeR2c(float* in, fftwf_complex* out) const { fftwf_execute_dft_r2c(m_plan, in, out); }
    // Complex-to-real plan on new arrays (thread-safe). DESTROYS `in` (FFTW's c2r contract).
    void executeC2r(fftwf_complex* in, float* out) const { fftwf_execute_dft_c2r(m_plan, in, out); }

private:
    void reset() noexcept;
    fftwf_plan m_plan = nullptr;
};

} // namespace circnn
