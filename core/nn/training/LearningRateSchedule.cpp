#include "nn/training/LearningRateSchedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "common/Error.h"

namespace circnn {

std::optional<ScheduleKind> scheduleFromName(const std::string& name)
{
    if (name == "constant")
        return ScheduleKind::Constant;
    if (name == "step")
        return ScheduleKind::Step;
    if (name == "cosine")
        return ScheduleKind::Cosine;
    return std::nullopt;
}

const char* scheduleName(ScheduleKind kind)
{
    switch (kind) {
    case ScheduleKind::Constant: return "constant";
    case ScheduleKind::Step: return "step";
    case ScheduleKind::Cosine: return "cosine";
    }
    return "constant";
}

double learningRateAt(const ScheduleOptions& schedule, double baseRate, int epoch, int epochs)
{
    if (epochs < 1)
        throw Error("learning-rate schedule: the number of epochs must be >= 1, found " + std::to_string(epochs));
    if (epoch < 0 || epoch >= epochs)
        throw Error("learning-rate schedule: epoch " + std::to_string(epoch) + " outside [0, " +
                    std::to_string(epochs) + ")");
    switch (schedule.kind) {
    case ScheduleKind::Constant:
        return baseRate;
    case ScheduleKind::Step: {
        if (!(schedule.gamma > 0))
            throw Error("learning-rate schedule: step factor gamma must be > 0");
        const int every = schedule.stepEpochs > 0 ? schedule.stepEpochs : std::max(1, epochs / 3);
        return baseRate * std::pow(schedule.gamma, double(epoch / every));
    }
    case ScheduleKind::Cosine:
        return baseRate * 0.5 * (1.0 + std::cos(std::numbers::pi * double(epoch) / double(epochs)));
    }
    return baseRate;
}

double warmupFactor(const ScheduleOptions& schedule, std::int64_t step, std::int64_t stepsPerEpoch)
{
    if (!(schedule.warmupEpochs >= 0) || !std::isfinite(schedule.warmupEpochs))
        throw Error("learning-rate schedule: warm-up epochs must be >= 0, found " + std::to_string(schedule.warmupEpochs));
    if (stepsPerEpoch < 1)
        throw Error("learning-rate schedule: steps per epoch must be >= 1, found " + std::to_string(stepsPerEpoch));
    const double steps = schedule.warmupEpochs * double(stepsPerEpoch);
    if (steps <= 0)
        return 1.0;
    return std::min(1.0, double(step + 1) / steps);
}

} // namespace circnn
