// Shape and parameter/MAC rules of the sequence layers (Embedding, SimpleRNN, LSTM, GRU); declared
// in model/LayerShapeRules.h and listed in the traits table.

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

} // namespace shape_rules
} // namespace circnn
