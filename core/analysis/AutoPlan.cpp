#include "analysis/AutoPlan.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analysis/Sensitivity.h"
#include "analysis/SweepPoint.h"
#include "common/Error.h"
#include "hw/Estimator.h"
#include "hw/PlatformRegistry.h"
#include "io/ModelFile.h"
#include "model/JsonIntegers.h"
#include "model/ShapeInference.h"

namespace circnn {

using nlohmann::json;
using nlohmann::ordered_json;

const char* planObjectiveName(PlanObjective o)
{
    switch (o) {
    case PlanObjective::Parameters:
        return "params";
    case PlanObjective::Energy:
        return "energy";
    case PlanObjective::Latency:
        return "latency";
    }
    return "?";
}

PlanObjective parsePlanObjective(const std::string& text)
{
    for (PlanObjective o : {PlanObjective::Parameters, PlanObjective::Energy, PlanObjective::Latency})
        if (text == planObjectiveName(o))
            return o;
    throw Error("unknown objective '" + text + "' (expected params, energy or latency)");
}

namespace {

// One choice of one layer: its k and what it changes (from the layer's sensitivity point).
struct Choice {
    std::int64_t k = 1;
    double drop = 0;           // clamped at 0
    double paramsDelta = 0;    // stored weights saved (≥ 0)
    double latencyDeltaMs = 0; // measured change of the latency (negative = faster)
};

// The objective of a combination (parameters, pJ/frame or ms).
struct Scorer {
    PlanObjective objective;
    const ModelSpec* shaped = nullptr; // inferShapes'd, for energy
    const hw::Platform* platform = nullptr;
    hw::Precision precision = hw::Precision::Fixed16;
    std::int64_t batch = 1;
    double denseParams = 0, denseLatencyMs = 0;

    double operator()(const std::vector<std::string>& layers, const std::vector<const Choice*>& pick) const
    {
        switch (objective) {
        case PlanObjective::Parameters: {
            double v = denseParams;
            for (const Choice* c : pick)
                v -= c->paramsDelta;
            return v;
        }
        case PlanObjective::Latency: {
            double v = denseLatencyMs;
            for (const Choice* c : pick)
                v += c->latencyDeltaMs;
            return v;
        }
        case PlanObjective::Energy: {
            std::map<std::string, std::int64_t> blocks;
            for (std::size_t i = 0; i < layers.size(); ++i)
                if (pick[i]->k > 1)
                    blocks[layers[i]] = pick[i]->k;
            return hw::estimateDesign(*shaped, *platform, precision, batch, blocks).energy.totalPj();
        }
        }
        return 0;
    }
};

std::string percent(double fraction)
{
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(2);
    s << 100.0 * fraction << "%";
    return s.str();
}

} // namespace

AutoPlanResult runAutoPlan(const AutoPlanConfig& config, const SweepRunOptions& options)
{
    if (config.sweep.models.size() != 1)
        throw Error("autoplan: give exactly one model (got " + std::to_string(config.sweep.models.size()) + ")");
    if (config.sweep.modes.size() != 1)
        throw Error("autoplan: give exactly one accuracy mode");
    if (!(config.budgetPoints >= 0))
        throw Error("autoplan: the budget must be >= 0 percentage points");
    if (config.maxVerifications < 1)
        throw Error("autoplan: at least one verification is needed");
    if (config.objective == PlanObjective::Latency && config.sweep.timingSamples < 1)
        throw Error("autoplan: the latency objective needs timing samples (timing_samples >= 1)");
    std::optional<hw::Platform> platform;
    if (config.objective == PlanObjective::Energy) {
        if (config.platform.empty())
            throw Error("autoplan: the energy objective needs a platform (--platform)");
        platform = hw::findPlatform(config.platform);
    }
    SweepConfig sens = config.sweep;
    sens.kind = SweepKind::Sensitivity;
    sens.layerGrid.clear();
    const SweepRunResult run = runSweep(sens, options);
    const std::vector<SensitivityCurve> curves = sensitivityCurves(run.points);

    AutoPlanResult r;
    r.model = sens.models.front();
    r.mode = accuracyModeName(sens.modes.front());
    r.objective = planObjectiveName(config.objective);
    r.objectiveUnit = config.objective == PlanObjective::Parameters ? "parameters"
                      : config.objective == PlanObjective::Energy   ? "pJ/frame"
                                                                    : "ms";
    r.platform = platform ? platform->name : "";
    r.budgetPoints = config.budgetPoints;
    r.blockSizes = sens.blockSizes;
    r.sensitivityPoints = run.points.size();
    const double budget = config.budgetPoints / 100.0 + 1e-12;

    ModelSpec shaped = readModel(r.model);
    inferShapes(shaped, false);
    Scorer score{config.objective,
                 &shaped,
                 platform ? &*platform : nullptr,
                 hw::parsePrecision(sens.precision),
                 sens.batch,
                 static_cast<double>(modelStats(shaped).parameters),
                 0};
    std::vector<std::vector<Choice>> choices;
    double latencySum = 0;
    std::size_t latencyCount = 0;
    for (const SensitivityCurve& c : curves) {
        if (c.task != "classify") // the budget is in top-1 points
            throw Error("autoplan: '" + c.model + "' is evaluated as a " + c.task +
                        " model (ranked by MSE, lower is better); the accuracy budget is in top-1 points of a "
                        "classifier — run a sweep (circnn sweep --task " +
                        c.task + ") and choose from its report");
        r.layers.push_back(c.layer);
        r.denseTop1 = c.denseTop1;
        std::vector<Choice> cs{Choice{}};
        for (std::size_t i = 0; i < c.blockSizes.size(); ++i) {
            const SweepPointResult& p = *c.points[i];
            latencySum += p.timing.denseLatencyMs;
            ++latencyCount;
            bool converted = false;
            std::int64_t before = 0;
            for (const SweepLayerResult& l : p.layers)
                if (l.layer == c.layer) {
                    converted = l.converted;
                    before = l.parametersBefore;
                }
            if (!converted || c.blockSizes[i] <= 1)
                continue;
            cs.push_back({c.blockSizes[i], std::max(0.0, c.denseTop1 - c.top1[i]),
                          static_cast<double>(before - c.parameters[i]), p.timing.latencyMs - p.timing.denseLatencyMs});
        }
        choices.push_back(std::move(cs));
    }
    score.denseLatencyMs = latencyCount ? latencySum / static_cast<double>(latencyCount) : 0;
    std::vector<const Choice*> densePick;
    for (const auto& cs : choices)
        densePick.push_back(&cs.front());
    r.denseObjective = score(r.layers, densePick);

    // Search: every combination when there are few enough, else greedy steps.
    r.combinationsTotal = 1;
    bool overflow = false;
    for (const auto& cs : choices) {
        if (r.combinationsTotal > kAutoPlanExhaustiveLimit / cs.size() + 1)
            overflow = true;
        r.combinationsTotal = overflow ? r.combinationsTotal : r.combinationsTotal * cs.size();
    }
    r.exhaustive = !overflow && r.combinationsTotal <= kAutoPlanExhaustiveLimit;
    std::vector<AutoPlanCandidate> feasible;
    auto consider = [&](const std::vector<const Choice*>& pick) {
        ++r.combinationsScored;
        double drop = 0;
        for (const Choice* c : pick)
            drop += c->drop;
        if (drop > budget)
            return;
        AutoPlanCandidate cand;
        for (std::size_t i = 0; i < pick.size(); ++i)
            cand.blocks[r.layers[i]] = pick[i]->k;
        cand.predictedDrop = drop;
        cand.objective = score(r.layers, pick);
        feasible.push_back(std::move(cand));
    };
    if (r.exhaustive) {
        std::vector<std::size_t> at(choices.size(), 0);
        for (;;) {
            std::vector<const Choice*> pick;
            for (std::size_t i = 0; i < choices.size(); ++i)
                pick.push_back(&choices[i][at[i]]);
            consider(pick);
            std::size_t i = choices.size();
            while (i > 0 && ++at[i - 1] == choices[i - 1].size())
                at[--i] = 0;
            if (i == 0)
                break;
        }
    } else {
        // Greedy: from all dense, repeatedly the single-layer change with the best objective gain
        // per predicted drop that keeps the prediction within the budget.
        std::vector<const Choice*> pick = densePick;
        consider(pick);
        for (;;) {
            const double now = score(r.layers, pick);
            double best = 0;
            std::vector<const Choice*> bestPick;
            for (std::size_t l = 0; l < choices.size(); ++l)
                for (const Choice& c : choices[l]) {
                    std::vector<const Choice*> trial = pick;
                    trial[l] = &c;
                    double drop = 0;
                    for (const Choice* t : trial)
                        drop += t->drop;
                    ++r.combinationsScored;
                    const double gain = now - score(r.layers, trial);
                    if (drop > budget || gain <= 0)
                        continue;
                    const double ratio = gain / (drop + 1e-6);
                    if (ratio > best) {
                        best = ratio;
                        bestPick = trial;
                    }
                }
            if (bestPick.empty())
                break;
            pick = bestPick;
            consider(pick);
        }
    }
    std::stable_sort(feasible.begin(), feasible.end(), [](const AutoPlanCandidate& a, const AutoPlanCandidate& b) {
        return a.objective < b.objective || (a.objective == b.objective && a.predictedDrop < b.predictedDrop);
    });
    r.candidatesWithinBudget = feasible.size();

    // Verify in rank order.
    const SweepModelContext context = prepareSweepModel(sens, 0);
    std::vector<hw::Platform> platforms = resolveSweepPlatforms(sens);
    if (platform && std::none_of(platforms.begin(), platforms.end(),
                                 [&](const hw::Platform& p) { return p.name == platform->name; }))
        platforms.push_back(*platform);
    const std::string hash = sweepConfigHash(sens);
    for (const AutoPlanCandidate& cand : feasible) {
        if (static_cast<int>(r.verifications.size()) >= config.maxVerifications)
            break;
        SweepPointSpec spec;
        spec.mode = sens.modes.front();
        spec.layerBlocks = cand.blocks;
        spec.id = "autoplan/verify-" + std::to_string(r.verifications.size() + 1);
        if (options.progress) {
            SweepProgress s;
            s.step = spec.id;
            if (!options.progress(s))
                throw Cancelled();
        }
        SweepPointResult point = computeSweepPoint(sens, hash, context, platforms, spec);
        AutoPlanVerification v{cand, point.top1, context.denseEval.top1 - point.top1, false};
        v.meetsBudget = v.drop <= budget;
        r.verifications.push_back(v);
        if (v.meetsBudget) {
            r.verified = true;
            r.plan = cand.blocks;
            r.planTop1 = point.top1;
            r.planObjective = config.objective == PlanObjective::Parameters ? static_cast<double>(point.parameters)
                              : config.objective == PlanObjective::Energy
                                  ? point.platform(platform->name)->energyPjPerFrame
                                  : point.timing.latencyMs;
            r.planPoint = std::move(point);
            break;
        }
    }
    r.denseTop1 = context.denseEval.top1;
    if (!r.verified) {
        for (const std::string& l : r.layers)
            r.plan[l] = 1;
        r.planTop1 = r.denseTop1;
        r.planObjective = r.denseObjective;
        r.warnings.push_back("no verified candidate met the budget: the plan keeps every layer dense");
    }
    std::ostringstream s;
    s << "Sensitivity: " << r.sensitivityPoints << " points (" << r.layers.size() << " layers x " << r.blockSizes.size()
      << " block sizes, mode " << r.mode
      << "). Search: " << (r.exhaustive ? "exhaustive, " : "greedy (too many combinations for an exhaustive search), ")
      << r.combinationsScored << " of " << r.combinationsTotal << " combinations scored, " << r.candidatesWithinBudget
      << " predicted within the budget of " << config.budgetPoints << " points. Verified " << r.verifications.size()
      << " candidate(s) by evaluating them on " << context.eval->count() << " samples: ";
    for (std::size_t i = 0; i < r.verifications.size(); ++i)
        s << (i ? "; " : "") << "#" << i + 1 << " top-1 " << percent(r.verifications[i].top1) << " (drop "
          << percent(r.verifications[i].drop) << ", " << (r.verifications[i].meetsBudget ? "meets" : "misses")
          << " the budget)";
    s << (r.verifications.empty() ? "none." : ".") << " Dense top-1 " << percent(r.denseTop1) << ".";
    r.summary = s.str();
    r.sensitivity = run;
    return r;
}

ordered_json autoPlanFileJson(const AutoPlanResult& r, bool convertOutputLayer)
{
    ordered_json j;
    j["default_k"] = 0;
    j["layers"] = ordered_json::object();
    for (const std::string& l : r.layers)
        j["layers"][l] = r.plan.count(l) ? r.plan.at(l) : 1;
    j["convert_output_layer"] = convertOutputLayer;
    return j;
}

ordered_json autoPlanToJson(const AutoPlanResult& r)
{
    auto blocksJson = [](const std::map<std::string, std::int64_t>& b) {
        ordered_json j = ordered_json::object();
        for (const auto& [l, k] : b)
            j[l] = k;
        return j;
    };
    ordered_json j;
    j["schema"] = "circnn.autoplan/1";
    j["model"] = r.model;
    j["mode"] = r.mode;
    j["objective"] = r.objective;
    j["objective_unit"] = r.objectiveUnit;
    j["platform"] = r.platform;
    j["budget_points"] = r.budgetPoints;
    j["dense_top1"] = r.denseTop1;
    j["dense_objective"] = r.denseObjective;
    j["layers"] = r.layers;
    j["block_sizes"] = r.blockSizes;
    j["plan"] = blocksJson(r.plan);
    j["verified"] = r.verified;
    j["plan_top1"] = r.planTop1;
    j["plan_objective"] = r.planObjective;
    j["search"] = {{"sensitivity_points", r.sensitivityPoints},
                   {"combinations_scored", r.combinationsScored},
                   {"combinations_total", r.combinationsTotal},
                   {"exhaustive", r.exhaustive},
                   {"candidates_within_budget", r.candidatesWithinBudget}};
    j["verifications"] = ordered_json::array();
    for (const AutoPlanVerification& v : r.verifications)
        j["verifications"].push_back({{"plan", blocksJson(v.candidate.blocks)},
                                      {"predicted_drop", v.candidate.predictedDrop},
                                      {"predicted_objective", v.candidate.objective},
                                      {"top1", v.top1},
                                      {"drop", v.drop},
                                      {"meets_budget", v.meetsBudget}});
    j["plan_point"] = r.planPoint ? sweepPointToJson(*r.planPoint) : ordered_json(nullptr);
    j["warnings"] = r.warnings;
    j["summary"] = r.summary;
    return j;
}

AutoPlanResult autoPlanFromJson(const json& j, const std::string& origin)
{
    if (!j.is_object() || !j.contains("schema") || j["schema"] != "circnn.autoplan/1")
        throw FormatError(origin + ": not an autoplan result (schema \"circnn.autoplan/1\")");
    AutoPlanResult r;
    try {
        r.model = j.at("model").get<std::string>();
        r.mode = j.at("mode").get<std::string>();
        r.objective = j.at("objective").get<std::string>();
        r.objectiveUnit = j.at("objective_unit").get<std::string>();
        r.platform = j.at("platform").get<std::string>();
        r.budgetPoints = j.at("budget_points").get<double>();
        r.denseTop1 = j.at("dense_top1").get<double>();
        r.denseObjective = j.at("dense_objective").get<double>();
        r.layers = j.at("layers").get<std::vector<std::string>>();
        r.blockSizes = json_integers::get<std::vector<std::int64_t>>(j.at("block_sizes"));
        r.plan = json_integers::get<std::map<std::string, std::int64_t>>(j.at("plan"));
        r.verified = j.at("verified").get<bool>();
        r.planTop1 = j.at("plan_top1").get<double>();
        r.planObjective = j.at("plan_objective").get<double>();
        const json& s = j.at("search");
        r.sensitivityPoints = json_integers::get<std::size_t>(s.at("sensitivity_points"));
        r.combinationsScored = json_integers::get<std::size_t>(s.at("combinations_scored"));
        r.combinationsTotal = json_integers::get<std::size_t>(s.at("combinations_total"));
        r.exhaustive = s.at("exhaustive").get<bool>();
        r.candidatesWithinBudget = json_integers::get<std::size_t>(s.at("candidates_within_budget"));
        for (const json& v : j.at("verifications")) {
            AutoPlanVerification x;
            x.candidate.blocks = json_integers::get<std::map<std::string, std::int64_t>>(v.at("plan"));
            x.candidate.predictedDrop = v.at("predicted_drop").get<double>();
            x.candidate.objective = v.at("predicted_objective").get<double>();
            x.top1 = v.at("top1").get<double>();
            x.drop = v.at("drop").get<double>();
            x.meetsBudget = v.at("meets_budget").get<bool>();
            r.verifications.push_back(x);
        }
        if (!j.at("plan_point").is_null())
            r.planPoint = sweepPointFromJson(j.at("plan_point"), origin + " plan_point");
        r.warnings = j.at("warnings").get<std::vector<std::string>>();
        r.summary = j.at("summary").get<std::string>();
    } catch (const json::exception& e) {
        throw FormatError(origin + ": autoplan result: " + e.what());
    }
    return r;
}

} // namespace circnn
