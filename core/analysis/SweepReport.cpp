#include "analysis/SweepReport.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "analysis/SaveWorkflow.h"
#include "analysis/SweepPoint.h"
#include "common/Error.h"
#include "hw/Estimator.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"

namespace circnn {

std::vector<std::string> SweepReport::platformNames() const
{
    std::vector<std::string> names;
    for (const SweepPointResult& p : points)
        for (const SweepPlatformResult& h : p.platforms)
            if (std::find(names.begin(), names.end(), h.platform) == names.end())
                names.push_back(h.platform);
    return names;
}

std::vector<std::string> SweepReport::modes() const
{
    std::vector<std::string> out;
    for (AccuracyMode m : config.modes)
        out.push_back(accuracyModeName(m));
    return out;
}

SweepMetric SweepReport::metric() const
{
    return sweepMetric(points.empty() ? std::string("classify") : points.front().task);
}

std::vector<bool> paretoFront(const std::vector<double>& a, const std::vector<double>& b)
{
    const std::size_t n = a.size();
    std::vector<bool> front(n, false);
    for (std::size_t i = 0; i < n; ++i) {
        if (std::isnan(a[i]) || std::isnan(b[i]))
            continue;
        bool dominated = false;
        for (std::size_t j = 0; j < n && !dominated; ++j)
            dominated = j != i && a[j] <= a[i] && b[j] <= b[i] && (a[j] < a[i] || b[j] < b[i]);
        front[i] = !dominated;
    }
    return front;
}

std::string formatPercent(double fraction, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, 100.0 * fraction);
    return buf;
}

std::string formatNumber(double value, int significant)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", significant, value);
    return buf;
}

SweepReport buildSweepReport(const SweepResultsContents& results, const std::string& title,
                             const std::optional<AutoPlanResult>& plan)
{
    SweepReport r;
    r.title = title;
    r.generatedAt = currentTimeIso();
    r.sessions = results.headers;
    r.config = results.headers.front().config;
    r.configHash = results.headers.front().configHash;
    r.points = results.points;
    std::sort(r.points.begin(), r.points.end(),
              [](const SweepPointResult& a, const SweepPointResult& b) { return a.index < b.index; });
    r.plan = plan;

    std::vector<ModelSpec> specs;
    bool allRead = true;
    for (const std::string& file : r.config.models) {
        try {
            specs.push_back(readModel(file));
        } catch (const Error& e) {
            allRead = false;
            r.warnings.push_back("model summary left out: " + std::string(e.what()));
            specs.emplace_back();
            continue;
        }
        const ModelSpec& spec = specs.back();
        ReportModelSummary s;
        s.file = file;
        s.name = spec.name;
        for (const LayerSpec& l : spec.layers) {
            const LayerStats st = layerStats(spec, l);
            s.parameters += st.parameters;
            s.macs += st.macs;
            s.layers.push_back({l.name, l.className.empty() ? layerKindName(l.kind) : l.className,
                                shapeToString(l.outputShape), st.parameters, st.macs,
                                l.circulant ? "block-circulant k=" + std::to_string(l.circulant->k) : "dense"});
        }
        r.models.push_back(std::move(s));
    }
    r.expectedPoints = r.points.size();
    if (allRead) {
        try {
            r.expectedPoints = enumerateSweepPoints(r.config, specs).size();
        } catch (const Error& e) {
            r.warnings.push_back(std::string("cannot enumerate the sweep's points: ") + e.what());
        }
    }
    if (r.points.size() < r.expectedPoints)
        r.warnings.push_back("the results hold " + std::to_string(r.points.size()) + " of the sweep's " +
                             std::to_string(r.expectedPoints) + " points (an unfinished run or missing shards)");

    // Pareto fronts per model.
    const std::vector<std::string> platformNames = r.platformNames();
    for (std::size_t m = 0; m < r.config.models.size(); ++m) {
        std::vector<const SweepPointResult*> pts;
        for (const SweepPointResult& p : r.points)
            if (p.modelIndex == m)
                pts.push_back(&p);
        std::vector<double> acc, comp, lat;
        for (const SweepPointResult* p : pts) {
            acc.push_back(p->cost()); // −top-1, or the MSE (lower is better) of reconstruction / regression
            comp.push_back(-p->compression);
            lat.push_back(p->timing.samples > 0 ? p->timing.latencyMs : NAN);
        }
        const std::vector<bool> fc = paretoFront(acc, comp), fl = paretoFront(acc, lat);
        for (std::size_t i = 0; i < pts.size(); ++i) {
            if (fc[i])
                r.paretoCompression.insert(pts[i]->id);
            if (fl[i])
                r.paretoLatency.insert(pts[i]->id);
        }
        for (const std::string& name : platformNames) {
            std::vector<double> energy;
            for (const SweepPointResult* p : pts) {
                const SweepPlatformResult* h = p->platform(name);
                energy.push_back(h ? h->energyPjPerFrame : NAN);
            }
            const std::vector<bool> fe = paretoFront(acc, energy);
            for (std::size_t i = 0; i < pts.size(); ++i)
                if (fe[i])
                    r.paretoEnergy[name].insert(pts[i]->id);
        }
    }

    // Platforms and the cost model's assumptions.
    try {
        const std::vector<hw::Platform> platforms = resolveSweepPlatforms(r.config);
        const hw::Precision precision = hw::parsePrecision(r.config.precision);
        for (const hw::Platform& p : platforms)
            r.platforms.push_back({p.name, hw::platformKindName(p.kind), p.description, p.clockMhz,
                                   p.multipliers(precision), p.onchipMemoryKib, p.offchipBandwidthGbps});
        if (!platforms.empty() && !specs.empty() && !specs.front().layers.empty()) {
            hw::EstimateOptions o;
            o.precision = precision;
            o.batch = r.config.batch;
            r.hardwareAssumptions = hw::estimateModel(specs.front(), platforms.front(), o).assumptions;
            r.hardwareAssumptions.insert(r.hardwareAssumptions.begin(), "Precision " + r.config.precision + ", batch " +
                                                                            std::to_string(r.config.batch) +
                                                                            " frame(s) per estimate.");
        }
    } catch (const Error& e) {
        r.warnings.push_back(std::string("platforms: ") + e.what());
    }
    return r;
}

} // namespace circnn
