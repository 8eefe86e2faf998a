#pragma once

#include <mutex>
#include <optional>
#include <vector>

#include "analysis/SweepResult.h"
#include "analysis/SweepRunner.h"

namespace circnn::gui {

// Hand-over from a running sweep (worker threads) to the sweep view (GUI thread): workers push
// finished points and the latest progress; the view takes them on a timer. Shared by pointer, so
// a sweep that outlives the view writes into a feed nobody reads any more.
class SweepFeed {
public:
    void push(const SweepPointResult& point);
    void setProgress(const SweepProgress& progress);
    std::vector<SweepPointResult> takePoints();
    std::optional<SweepProgress> takeProgress();

private:
    std::mutex m_mutex;
    std::vector<SweepPointResult> m_points;
    std::optional<SweepProgress> m_progress;
};

} // namespace circnn::gui
