#pragma once
// Learning-rate schedules, evaluated once per epoch (epoch counted from 0):
//   constant: η_e = η
//   step:     η_e = η · γ^⌊e / stepEpochs⌋
//   cosine:   η_e = η · ½ (1 + cos(π e / E))        (E = total epochs; η_0 = η, never reaches 0)

#include <optional>
#include <string>

namespace circnn {

enum class ScheduleKind { Constant, Step, Cosine };

std::optional<ScheduleKind> scheduleFromName(const std::string& name);  // "constant", "step", "cosine"
const char* scheduleName(ScheduleKind kind);

struct ScheduleOptions {
    ScheduleKind kind = ScheduleKind::Constant;
    int stepEpochs = 0;     // step: epochs between decays (0 = max(1, E/3))
    double gamma = 0.1;     // step: factor per decay
};

// Throws Error for epochs < 1, epoch outside [0, epochs), gamma <= 0.
double learningRateAt(const ScheduleOptions& schedule, double baseRate, int epoch, int epochs);

} // namespace circnn
