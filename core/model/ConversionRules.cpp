#include "model/ConversionRules.h"

#include <algorithm>
#include <cstdint>

#include "common/Error.h"
#include "model/LayerShapeRules.h"
#include "model/LayerTraits.h"
#include "model/RecurrentKinds.h"

namespace circnn {

namespace {

std::string describeK(std::int64_t k)
{
    return "k = " + std::to_string(k);
}

// MultiHeadAttention: the smallest output and input widths of its four 2-D projections (query,
// key, value, output), so that a k above either leaves the layer dense.
void smallestProjection(const ModelSpec& m, const LayerSpec& l, std::int64_t& rows, std::int64_t& cols)
{
    const auto width = [&](std::size_t i) -> std::int64_t {
        const LayerSpec* src = i < l.inputs.size() ? m.find(l.inputs[i]) : nullptr;
        return src && !src->outputShape.empty() ? src->outputShape.back() : 0;
    };
    const std::int64_t dv = width(1);
    const auto proj = shape_rules::attentionProjections(l, width(0), dv, l.inputs.size() > 2 ? width(2) : dv);
    rows = cols = INT64_MAX;
    for (const auto& p : proj) {
        rows = std::min(rows, p.rows);
        cols = std::min(cols, p.cols);
    }
}

} // namespace

std::string outputWeightLayer(const ModelSpec& m)
{
    if (m.layers.empty())
        return {};
    const LayerSpec* l = m.outputs.empty() ? &m.layers.back() : m.find(m.outputs.front());
    // Bounded walk: a malformed spec with a cycle cannot loop forever.
    for (std::size_t steps = 0; l && steps <= m.layers.size() && l->inputs.size() == 1; ++steps) {
        if (!layerTraits(l->kind).passesUnits)
            break;
        l = m.find(l->inputs.front());
    }
    return l ? l->name : std::string();
}

void checkPlanLayers(const ModelSpec& m, const std::map<std::string, std::int64_t>& perLayer)
{
    for (const auto& [name, k] : perLayer) {
        const LayerSpec* l = m.find(name);
        if (!l)
            throw ShapeError("model '" + m.name + "': the plan names layer '" + name +
                             "', which the model does not have");
        if (!layerTraits(l->kind).convertible)
            throw ShapeError("model '" + m.name + "': the plan names layer '" + name + "' (" + layerKindName(l->kind) +
                             "); only " + convertibleLayerClasses() + " layers can be block-circulant");
        if (k < 1)
            throw ShapeError("model '" + m.name + "', layer '" + name + "': block size k = " + std::to_string(k) +
                             " must be at least 1");
    }
}

std::vector<BlockSizeDecision> decideBlockSizes(const ModelSpec& m, const ConversionPlan& plan)
{
    if (plan.defaultBlockSize < 0)
        throw ShapeError("model '" + m.name + "': default block size " + std::to_string(plan.defaultBlockSize) +
                         " must be at least 1 (0 = none)");
    checkPlanLayers(m, plan.perLayer);
    const std::string outputLayer = outputWeightLayer(m);
    std::vector<BlockSizeDecision> result;
    for (const LayerSpec& l : m.layers) {
        if (!layerTraits(l.kind).convertible)
            continue;
        BlockSizeDecision d;
        d.layer = l.name;
        d.kind = l.kind;
        const auto named = plan.perLayer.find(l.name);
        d.explicitK = named != plan.perLayer.end();
        d.requestedK = d.explicitK ? named->second : plan.defaultBlockSize;
        const bool attention = l.kind == LayerKind::MultiHeadAttention;
        const bool circulant = l.circulant.has_value() || (attention && l.attentionCirculant[0].has_value());
        d.currentK = l.circulant ? l.circulant->k : circulant ? l.attentionCirculant[0]->k : 1;
        d.blockSize = d.currentK;
        // Recurrent layers: the stacked gate matrices W (G·units × in) and U (G·units × units).
        d.rows = isRecurrent(l.kind) ? recurrentGateCount(l.kind) * l.units : l.units;
        const LayerSpec* src = l.inputs.empty() ? nullptr : m.find(l.inputs.front());
        d.cols = src && !src->outputShape.empty() ? src->outputShape.back() : 0;
        if (attention) // the smallest rows and columns of the four projections (one k for all)
            smallestProjection(m, l, d.rows, d.cols);
        const std::int64_t k = d.requestedK;
        auto decide = [&](BlockSizeOutcome outcome, std::string reason) {
            d.outcome = outcome;
            d.reason = std::move(reason);
            result.push_back(d);
        };
        if (k == 0) {
            decide(BlockSizeOutcome::NotRequested,
                   circulant ? "already block-circulant (" + describeK(d.currentK) + "); no block size requested"
                             : "no block size requested");
        } else if (circulant) {
            if (k == d.currentK)
                decide(BlockSizeOutcome::AlreadyCirculant, "already block-circulant with " + describeK(k));
            else
                decide(BlockSizeOutcome::Conflict, "already block-circulant with " + describeK(d.currentK) +
                                                       ", cannot convert it to " + describeK(k) +
                                                       " (re-project from the dense model instead)");
        } else if (k == 1) {
            decide(BlockSizeOutcome::DenseRequested, "k = 1 (dense): original weights kept");
        } else if (l.name == outputLayer && !d.explicitK && !plan.convertOutputLayer) {
            decide(BlockSizeOutcome::OutputLayer, "output layer (kept dense unless requested)");
        } else if (l.kind != LayerKind::Dense && !isRecurrent(l.kind) && !attention &&
                   d.cols < k) { // convolutions: C_in per tap
            decide(BlockSizeOutcome::ChannelsBelowK, "C_in = " + std::to_string(d.cols) + " is smaller than " +
                                                         describeK(k) + ": the blocks would be mostly zero padding");
        } else if (d.rows < k || d.cols < k || (isRecurrent(l.kind) && l.units < k)) {
            decide(BlockSizeOutcome::DimensionBelowK,
                   "a dimension of the " + std::to_string(d.rows) + "x" + std::to_string(d.cols) +
                       (isRecurrent(l.kind)
                            ? " input or " + std::to_string(d.rows) + "x" + std::to_string(l.units) + " recurrent"
                            : std::string()) +
                       " weight matrix is smaller than " + describeK(k));
        } else {
            d.blockSize = k;
            decide(BlockSizeOutcome::Converts, {});
        }
    }
    return result;
}

} // namespace circnn
