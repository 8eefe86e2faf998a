#include "circulant/FftwPlan.h"

namespace circnn {

std::mutex& fftwPlannerMutex()
{
    static std::mutex mutex;
    return mutex;
}

FftwPlan& FftwPlan::operator=(FftwPlan&& other) noexcept
{
    if (this != &other) {
        reset();
        m_plan = other.m_plan;
        other.m_plan = nullptr;
    }
    return *this;
}

FftwPlan::~FftwPlan()
{
    reset();
}

void FftwPlan::reset() noexcept
{
    if (m_plan) {
        std::lock_guard lock(fftwPlannerMutex());
        fftwf_destroy_plan(m_plan);
        m_plan = nullptr;
    }
}

} // namespace circnn
