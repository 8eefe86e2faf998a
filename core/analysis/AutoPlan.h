#pragma once
// Automatic conversion plans: given an accuracy budget ("at most B points below dense", in the
// chosen accuracy mode) and an objective (stored parameters, energy per frame on a platform, or
// measured CPU latency), choose a block size per layer.
//
// Method (docs/file-formats.md "Automatic plans" describes the output):
// 1. Sensitivity: a sensitivity sweep (Sensitivity.h) converts one layer at a time at every k of
//    the list, the others dense, and measures the accuracy drop d_l(k) = dense top-1 − top-1.
// 2. Search: every combination of per-layer block sizes (k = 1 included) is scored by its
//    objective and its predicted drop Σ_l max(0, d_l(k_l)) (additive model). When the
//    combinations are too many (> kAutoPlanExhaustiveLimit), a greedy search takes the steps with
//    the best objective gain per predicted drop instead. Candidates whose predicted drop fits the
//    budget are ranked by objective.
// 3. Verify: the best candidates are computed as real sweep points (the full conversion in the
//    chosen mode, evaluated on the evaluation set), in rank order, until one meets the budget or
//    maxVerifications were tried; all-dense is the fallback (it meets any budget ≥ 0).
// The result says how many combinations were scored, whether the search was exhaustive, and
// every verification with its measured accuracy.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "analysis/SweepConfig.h"
#include "analysis/SweepResult.h"
#include "analysis/SweepRunner.h"

namespace circnn {

enum class PlanObjective { Parameters, Energy, Latency };
const char* planObjectiveName(PlanObjective o); // "params", "energy", "latency"
PlanObjective parsePlanObjective(const std::string& text);

inline constexpr std::size_t kAutoPlanExhaustiveLimit = 200000;

struct AutoPlanConfig {
    SweepConfig sweep;         // one model, one mode, the k list, data, platforms, seed
    double budgetPoints = 1.0; // allowed top-1 drop below dense, in percentage points
    PlanObjective objective = PlanObjective::Parameters;
    std::string platform; // for the energy objective (name or file)
    int maxVerifications = 4;
};

struct AutoPlanCandidate {
    std::map<std::string, std::int64_t> blocks; // layer → k (1 = dense)
    double predictedDrop = 0;                   // fraction (0.01 = 1 point)
    double objective = 0;                       // parameters, pJ/frame or ms
};

struct AutoPlanVerification {
    AutoPlanCandidate candidate;
    double top1 = 0; // measured
    double drop = 0; // dense top-1 − top1 (fraction)
    bool meetsBudget = false;
};

struct AutoPlanResult {
    std::string model;
    std::string mode;
    std::string objective;     // planObjectiveName
    std::string objectiveUnit; // "parameters", "pJ/frame", "ms"
    std::string platform;
    double budgetPoints = 0;
    double denseTop1 = 0;
    double denseObjective = 0;
    std::vector<std::string> layers;      // the layers planned, model order
    std::vector<std::int64_t> blockSizes; // the k list searched
    std::size_t sensitivityPoints = 0;    // points of the sensitivity sweep
    std::size_t combinationsScored = 0;
    std::size_t combinationsTotal = 0; // product of the per-layer choices
    bool exhaustive = true;
    std::size_t candidatesWithinBudget = 0; // by the predicted drop
    std::vector<AutoPlanVerification> verifications;
    std::map<std::string, std::int64_t> plan; // the chosen plan (k = 1: dense)
    bool verified = false;                    // a verification met the budget
    double planTop1 = 0, planObjective = 0;
    std::optional<SweepPointResult> planPoint; // the verification point of the chosen plan
    std::vector<std::string> warnings;
    std::string summary;        // how far it searched and what it verified, in words
    SweepRunResult sensitivity; // the sensitivity sweep behind the plan (not in the JSON form)
};

// Runs the sensitivity sweep (with `options`: results file, resume, progress, cancel), the
// search and the verifications. Throws Error for a config with several models or modes, an
// unknown platform, a negative budget.
AutoPlanResult runAutoPlan(const AutoPlanConfig& config, const SweepRunOptions& options);

// The plan file `circnn convert --plan` / `finetune --plan` / `estimate --plan` read:
// {"default_k": 0, "layers": {...}, "convert_output_layer": ...}.
nlohmann::ordered_json autoPlanFileJson(const AutoPlanResult& result, bool convertOutputLayer);
// Everything (schema "circnn.autoplan/1").
nlohmann::ordered_json autoPlanToJson(const AutoPlanResult& result);
AutoPlanResult autoPlanFromJson(const nlohmann::json& json, const std::string& origin);

} // namespace circnn
