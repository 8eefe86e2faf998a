#include "analysis/Sensitivity.h"

#include <algorithm>
#include <numeric>

namespace circnn {

std::vector<SensitivityCurve> sensitivityCurves(const std::vector<SweepPointResult>& points)
{
    std::vector<SensitivityCurve> curves;
    for (const SweepPointResult& p : points) {
        if (p.sensitivityLayer.empty())
            continue;
        auto it = std::find_if(curves.begin(), curves.end(), [&](const SensitivityCurve& c) {
            return c.modelIndex == p.modelIndex && c.mode == p.mode && c.layer == p.sensitivityLayer;
        });
        if (it == curves.end()) {
            SensitivityCurve c;
            c.modelIndex = p.modelIndex;
            c.model = p.model;
            c.mode = p.mode;
            c.layer = p.sensitivityLayer;
            c.task = p.task;
            c.denseTop1 = p.denseScore();
            curves.push_back(c);
            it = curves.end() - 1;
        }
        const auto k = p.requestedBlocks.count(p.sensitivityLayer) ? p.requestedBlocks.at(p.sensitivityLayer) : 1;
        double residual = 0;
        std::int64_t params = 0;
        for (const SweepLayerResult& l : p.layers)
            if (l.layer == p.sensitivityLayer) {
                residual = l.relativeResidual;
                params = l.parametersAfter;
            }
        it->blockSizes.push_back(k);
        it->top1.push_back(p.score());
        it->residual.push_back(residual);
        it->parameters.push_back(params);
        it->points.push_back(&p);
    }
    for (SensitivityCurve& c : curves) {
        std::vector<std::size_t> order(c.blockSizes.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](auto a, auto b) { return c.blockSizes[a] < c.blockSizes[b]; });
        SensitivityCurve s = c;
        for (std::size_t i = 0; i < order.size(); ++i) {
            s.blockSizes[i] = c.blockSizes[order[i]];
            s.top1[i] = c.top1[order[i]];
            s.residual[i] = c.residual[order[i]];
            s.parameters[i] = c.parameters[order[i]];
            s.points[i] = c.points[order[i]];
        }
        c = std::move(s);
    }
    return curves;
}

} // namespace circnn
