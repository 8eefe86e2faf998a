#include "SweepFeed.h"

#include <utility>

namespace circnn::gui {

void SweepFeed::push(const SweepPointResult& point)
{
    std::lock_guard lock(m_mutex);
    m_points.push_back(point);
}

void SweepFeed::setProgress(const SweepProgress& progress)
{
    std::lock_guard lock(m_mutex);
    m_progress = progress;
}

std::vector<SweepPointResult> SweepFeed::takePoints()
{
    std::lock_guard lock(m_mutex);
    return std::exchange(m_points, {});
}

std::optional<SweepProgress> SweepFeed::takeProgress()
{
    std::lock_guard lock(m_mutex);
    return std::exchange(m_progress, std::nullopt);
}

} // namespace circnn::gui
