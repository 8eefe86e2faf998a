// Shape and parameter/MAC rules of the sequence layers (Embedding, SimpleRNN, LSTM, GRU,
// LayerNormalization); declared in model/LayerShapeRules.h and listed in the traits table.

#include <algorithm>

#include "common/Error.h"
#include "model/LayerShapeRules.h"
#include "model/LayerTraits.h"
#include "model/RecurrentKinds.h"

namespace circnn {

namespace {

// A block-circulant weight matrix of a recurrent layer (W or U) against the shape it must have.
void checkRecurrentCirculant(const ShapeQuery& q, const char* role, const CirculantWeights& c, std::int64_t rows,
                             std::int64_t cols)
{
    if (c.k < 1)
        q.fail(std::string(role) + ": block size k = " + std::to_string(c.k) + " must be at least 1");
    if (c.rows != rows || c.cols != cols)
        q.fail(std::string(role) + ": block-circulant matrix is " + std::to_string(c.rows) + "x" +
               std::to_string(c.cols) + ", layer needs " + std::to_string(rows) + "x" + std::to_string(cols));
    q.expectShape(role, c.vectors, {(rows + c.k - 1) / c.k, (cols + c.k - 1) / c.k, c.k});
}

std::int64_t recurrentBiasSize(const LayerSpec& l)
{
    if (!l.useBias)
        return 0;
    const std::int64_t g = recurrentGateCount(l.kind) * l.units;
    return l.kind == LayerKind::GRU && l.resetAfter ? 2 * g : g;
}

// The normalised axes of a LayerNormalization (0-based over the sample, sorted); `why` says what
// is wrong with them (empty when nothing is).
std::vector<std::int64_t> resolveAxes(const LayerSpec& l, std::size_t sampleRank, std::string& why)
{
    const auto rank = static_cast<std::int64_t>(sampleRank) + 1; // Keras counts the batch axis
    std::vector<std::int64_t> out;
    if (l.axes.empty())
        why = "no axis to normalise over";
    for (std::int64_t a : l.axes) {
        const std::int64_t own = a < 0 ? a + rank : a;
        if (own < 0 || own >= rank)
            why = "axis " + std::to_string(a) + " is outside an input of rank " + std::to_string(rank) +
                  " (batch included)";
        else if (own == 0)
            why = "normalisation over the batch axis (axis " + std::to_string(a) + ") is not supported";
        else if (std::find(out.begin(), out.end(), own - 1) != out.end())
            why = "axis " + std::to_string(a) + " is listed twice";
        if (!why.empty())
            return {};
        out.push_back(own - 1);
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

namespace shape_rules {

Shape embedding(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    if (l.inputDim <= 0)
        q.fail("input_dim (vocabulary size) must be positive");
    if (l.units <= 0)
        q.fail("output_dim must be positive");
    Shape out = q.x();
    out.push_back(l.units);
    if (q.checkWeights)
        q.expectShape("embeddings", l.embeddings, {l.inputDim, l.units});
    return out;
}

Shape recurrent(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    q.needRank(2);
    if (l.units <= 0)
        q.fail("units must be positive");
    const Shape& x = q.x();
    const std::int64_t g = recurrentGateCount(l.kind) * l.units;
    if (q.checkWeights) {
        if (l.circulant)
            checkRecurrentCirculant(q, "kernel", *l.circulant, g, x[1]);
        else
            q.expectShape("kernel", l.kernel, {x[1], g});
        if (l.recurrentCirculant)
            checkRecurrentCirculant(q, "recurrent_kernel", *l.recurrentCirculant, g, l.units);
        else
            q.expectShape("recurrent_kernel", l.recurrentKernel, {l.units, g});
        if (l.useBias) {
            if (l.kind == LayerKind::GRU && l.resetAfter)
                q.expectShape("bias", l.bias, {2, g});
            else
                q.expectShape("bias", l.bias, {g});
        }
    }
    if (l.returnSequences)
        return {x[0], l.units};
    return {l.units};
}

void embeddingStats(const LayerSpec& l, const Shape*, LayerStats& s)
{
    s.denseParameters = s.parameters = l.inputDim * l.units;
    s.macs = 0; // a table lookup
}

void recurrentStats(const LayerSpec& l, const Shape* in, LayerStats& s)
{
    const std::int64_t steps = in && in->size() == 2 ? (*in)[0] : 0;
    const std::int64_t n = in && in->size() == 2 ? (*in)[1] : 0;
    const std::int64_t g = recurrentGateCount(l.kind) * l.units;
    const std::int64_t biasN = recurrentBiasSize(l);
    s.denseParameters = g * (n + l.units) + biasN;
    s.parameters = (l.circulant ? storedWeightCount(l, l.circulant->vectors) : g * n) +
                   (l.recurrentCirculant ? storedWeightCount(l, l.recurrentCirculant->vectors) : g * l.units) + biasN;
    s.macs = steps * g * (n + l.units);
}

std::vector<std::int64_t> normalisedAxes(const LayerSpec& l, std::size_t sampleRank)
{
    std::string why;
    auto axes = resolveAxes(l, sampleRank, why);
    if (!why.empty())
        throw ShapeError("layer '" + l.name + "' (LayerNormalization): " + why);
    return axes;
}

Shape layerNormalization(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    const Shape& x = q.x();
    if (x.empty())
        q.fail("input has rank 0");
    std::string why;
    const auto axes = resolveAxes(l, x.size(), why);
    if (!why.empty())
        q.fail(why);
    std::int64_t params = 1;
    for (std::int64_t a : axes)
        params *= x[static_cast<std::size_t>(a)];
    // Keras keeps gamma / beta in the shape of the normalised axes (as listed) and reshapes them to
    // broadcast: only their element count matters (row-major over the axes in increasing order).
    // Architecture-only models (no values, LayerSpec::weightShapes) are checked by the recorded
    // shapes, as ShapeQuery::expectShape does for the other layers.
    const auto checkParam = [&](const char* role, const Tensor& t) {
        Shape have = t.shape();
        std::int64_t count = t.size();
        if (t.empty() && (q.record || !l.weightShapes.empty())) {
            const std::string key = weightShapeKey(l, t);
            if (const auto it = l.weightShapes.find(key); it != l.weightShapes.end()) {
                have = it->second;
                count = shapeSize(have);
            } else if (q.record && !key.empty()) {
                Shape want;
                for (std::int64_t a : axes)
                    want.push_back(x[static_cast<std::size_t>(a)]);
                (*q.record)[key] = want;
                return;
            }
        }
        if (count != params)
            q.fail(std::string(role) + " has " + std::to_string(count) + " values (shape " + shapeToString(have) +
                   "), the normalised axes need " + std::to_string(params));
    };
    if (q.checkWeights) {
        if (l.scale)
            checkParam("gamma", l.gamma);
        if (l.center)
            checkParam("beta", l.beta);
    }
    if (!(l.epsilon >= 0))
        q.fail("epsilon must not be negative");
    return x;
}

void layerNormalizationStats(const LayerSpec& l, const Shape*, LayerStats& s)
{
    s.parameters = s.denseParameters = l.gamma.size() + l.beta.size();
}

} // namespace shape_rules
} // namespace circnn
