#pragma once
// Learning-rate schedules, evaluated once per epoch (epoch counted from 0):
//   constant: η_e = η
//   step:     η_e = η · γ^⌊e / stepEpochs⌋
//   cosine:   η_e = η · ½ (1 + cos(π e / E))        (E = total epochs; η_0 = η, never reaches 0)
// plus an optional linear warm-up per mini-batch step: over the first W epochs' worth of steps the
// rate is scaled by (s + 1) / (W · S) (s = step counted from 0 over the whole run, S = steps per
// epoch), so a fine-tuned model's first, largest gradients cannot throw it far from its start.

#include <cstdint>
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
    double warmupEpochs = 0;  // W: linear warm-up over the first W epochs' steps (0 = none; may be fractional)
};

// Throws Error for epochs < 1, epoch outside [0, epochs), gamma <= 0.
double learningRateAt(const ScheduleOptions& schedule, double baseRate, int epoch, int epochs);

// The warm-up factor in (0, 1] for step `step` (from 0) with `stepsPerEpoch` steps per epoch.
// Throws Error for a negative or non-finite warmupEpochs or stepsPerEpoch < 1.
double warmupFactor(const ScheduleOptions& schedule, std::int64_t step, std::int64_t stepsPerEpoch);

} // namespace circnn
