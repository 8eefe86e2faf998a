// Shape and parameter/MAC rules of MultiHeadAttention; declared in model/LayerShapeRules.h and
// listed in the traits table.

#include "common/Error.h"
#include "model/AttentionMembers.h"
#include "model/LayerShapeRules.h"
#include "model/LayerTraits.h"

namespace circnn {

namespace {

std::int64_t blocks(std::int64_t n, std::int64_t k)
{
    return (n + k - 1) / k;
}

} // namespace

namespace shape_rules {

std::int64_t attentionOutputWidth(const LayerSpec& l, std::int64_t dq)
{
    return l.units > 0 ? l.units : dq;
}

std::array<AttentionProjection, 4> attentionProjections(const LayerSpec& l, std::int64_t dq, std::int64_t dv,
                                                        std::int64_t dk)
{
    const std::int64_t qk = l.numHeads * l.keyDim, hv = l.numHeads * l.valueDim;
    return {{{qk, dq}, {qk, dk}, {hv, dv}, {attentionOutputWidth(l, dq), hv}}};
}

Shape multiHeadAttention(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    if (q.inputs.size() < 2 || q.inputs.size() > 3)
        q.fail("takes query, value and optionally key, got " + std::to_string(q.inputs.size()) + " inputs");
    const Shape& query = *q.inputs[0];
    const Shape& value = *q.inputs[1];
    const Shape& key = q.inputs.size() == 3 ? *q.inputs[2] : value;
    const auto rank2 = [&](const Shape& s, const char* what) {
        if (s.size() != 2)
            q.fail(std::string(what) + " has shape " + shapeToString(s) +
                   ", expected (steps, features) (attention over other axes is not supported)");
    };
    rank2(query, "query");
    rank2(value, "value");
    rank2(key, "key");
    if (key[0] != value[0])
        q.fail("key has " + std::to_string(key[0]) + " steps, value " + std::to_string(value[0]));
    if (l.numHeads <= 0 || l.keyDim <= 0 || l.valueDim <= 0)
        q.fail("num_heads, key_dim and value_dim must be positive");
    if (l.units < 0)
        q.fail("output_shape must be positive");
    const auto proj = attentionProjections(l, query[1], value[1], key[1]);
    if (q.checkWeights) {
        const char* names[] = {"query", "key", "value", "attention_output"};
        const Shape kernelShapes[] = {{query[1], l.numHeads, l.keyDim},
                                      {key[1], l.numHeads, l.keyDim},
                                      {value[1], l.numHeads, l.valueDim},
                                      {l.numHeads, l.valueDim, proj[3].rows}};
        const Shape biasShapes[] = {
            {l.numHeads, l.keyDim}, {l.numHeads, l.keyDim}, {l.numHeads, l.valueDim}, {proj[3].rows}};
        for (std::size_t i = 0; i < 4; ++i) {
            const std::string kernelRole = std::string(names[i]) + "/kernel";
            if (const auto& c = l.attentionCirculant[i]) {
                const std::string role = std::string(names[i]) + "/vectors";
                if (c->k < 1)
                    q.fail(role + ": block size k = " + std::to_string(c->k) + " must be at least 1");
                if (c->rows != proj[i].rows || c->cols != proj[i].cols)
                    q.fail(role + ": block-circulant matrix is " + std::to_string(c->rows) + "x" +
                           std::to_string(c->cols) + ", layer needs " + std::to_string(proj[i].rows) + "x" +
                           std::to_string(proj[i].cols));
                q.expectShape(role.c_str(), c->vectors, {blocks(proj[i].rows, c->k), blocks(proj[i].cols, c->k), c->k});
            } else {
                q.expectShape(kernelRole.c_str(), l.*kAttentionKernels[i], kernelShapes[i]);
            }
            if (l.useBias)
                q.expectShape((std::string(names[i]) + "/bias").c_str(), l.*kAttentionBiases[i], biasShapes[i]);
        }
    }
    return {query[0], proj[3].rows};
}

void multiHeadAttentionStats(const LayerSpec& l, const Shape* in, LayerStats& s)
{
    // Inputs query (T, d_q), value (S, d_v)[, key (S, d_k)] (LayerTraits::stats passes them all).
    // A value or key whose shape is unknown is taken as self-attention: the query's steps, the
    // features the stored kernels say.
    const auto input = [&](std::size_t i) -> Shape {
        return in && i < l.inputs.size() && in[i].size() == 2 ? in[i] : Shape{};
    };
    const Shape query = input(0);
    const std::int64_t t = query.empty() ? 0 : query[0];
    const std::int64_t dq = query.empty() ? 0 : query[1];
    const Shape value = input(1);
    const Shape key = l.inputs.size() > 2 ? input(2) : value;
    const std::int64_t steps = value.empty() ? t : value[0]; // S
    const auto features = [&](const Shape& given, const Tensor& kernel, std::size_t i) {
        if (!given.empty())
            return given[1];
        const Shape shape = storedWeightShape(l, kernel);
        if (!shape.empty())
            return shape[0];
        return l.attentionCirculant[i] ? l.attentionCirculant[i]->cols : dq;
    };
    const auto proj = attentionProjections(l, dq, features(value, l.valueKernel, 2), features(key, l.keyKernel, 1));
    s.denseParameters = s.parameters = 0;
    std::int64_t projectionMacs = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const std::int64_t dense = proj[i].rows * proj[i].cols;
        const std::int64_t bias = l.useBias ? proj[i].rows : 0;
        s.denseParameters += dense + bias;
        s.parameters +=
            (l.attentionCirculant[i] ? storedWeightCount(l, l.attentionCirculant[i]->vectors) : dense) + bias;
        // The query and output projections run on the T query steps, key and value on the S steps.
        projectionMacs += (i == 0 || i == 3 ? t : steps) * dense;
    }
    // Scores (T · S · heads · key_dim) and the weighted sum (T · S · heads · value_dim).
    s.macs = projectionMacs + t * steps * l.numHeads * (l.keyDim + l.valueDim);
}

} // namespace shape_rules
} // namespace circnn
