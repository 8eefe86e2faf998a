#include "hw/AttentionCost.h"

#include "hw/Estimator.h"
#include "model/LayerShapeRules.h"

namespace circnn::hw {

namespace {

struct AttentionShapes {
    std::int64_t t = 0, s = 0;                              // query steps, value (key) steps
    std::array<shape_rules::AttentionProjection, 4> proj{}; // query, key, value, output
    std::array<double, 4> vectors{};                        // rows each projection runs on per frame (T or S)
};

Shape shapeOf(const ModelSpec& spec, const LayerSpec& l, std::size_t input)
{
    if (input >= l.inputs.size())
        return {};
    const LayerSpec* src = spec.find(l.inputs[input]);
    return src ? src->outputShape : Shape{};
}

AttentionShapes shapes(const ModelSpec& spec, const LayerSpec& l)
{
    AttentionShapes a;
    const Shape q = shapeOf(spec, l, 0), v = shapeOf(spec, l, 1);
    const Shape k = l.inputs.size() > 2 ? shapeOf(spec, l, 2) : v;
    if (q.size() != 2 || v.size() != 2 || k.size() != 2)
        return a;
    a.t = q[0];
    a.s = v[0];
    a.proj = shape_rules::attentionProjections(l, q[1], v[1], k[1]);
    a.vectors = {double(a.t), double(a.s), double(a.s), double(a.t)};
    return a;
}

double blocks(std::int64_t n, std::int64_t k)
{
    return static_cast<double>((n + k - 1) / k);
}

} // namespace

OpCounts attentionOps(const ModelSpec& spec, const LayerSpec& l, std::int64_t k)
{
    OpCounts c;
    const AttentionShapes a = shapes(spec, l);
    if (a.t == 0)
        return c;
    for (std::size_t i = 0; i < 4; ++i) {
        const auto rows = a.proj[i].rows, cols = a.proj[i].cols;
        const double vecs = a.vectors[i];
        const double dense = vecs * static_cast<double>(rows) * static_cast<double>(cols);
        c.denseEquivalentMacs += dense;
        if (k <= 1) {
            c.realMacs += dense;
        } else {
            const double p = blocks(rows, k), q = blocks(cols, k), bins = static_cast<double>(k / 2 + 1);
            c.fftButterflies += vecs * (p + q) * realFftButterflies(k);
            c.complexMacs += vecs * p * q * bins;
        }
        if (l.useBias)
            c.biasAdds += vecs * static_cast<double>(rows);
    }
    const double heads = static_cast<double>(l.numHeads), t = static_cast<double>(a.t), s = static_cast<double>(a.s);
    const double core = t * s * heads * static_cast<double>(l.keyDim + l.valueDim); // scores + weighted sum
    c.realMacs += core;
    c.denseEquivalentMacs += core;
    const double scores = t * s * heads;
    const double scaleMults = t * heads * static_cast<double>(l.keyDim);
    c.activationOps = 5 * scores + scaleMults; // softmax: compare, subtract, exp, sum, multiply
    c.mults += c.realMacs + 4 * c.fftButterflies + 4 * c.complexMacs + scores + scaleMults;
    c.adds += c.realMacs + 6 * c.fftButterflies + 4 * c.complexMacs + c.biasAdds + 3 * scores;
    c.otherOps = scores; // the exp evaluations (not counted as adds or multiplies)
    return c;
}

double attentionWeightCount(const ModelSpec& spec, const LayerSpec& l, std::int64_t k)
{
    const AttentionShapes a = shapes(spec, l);
    double n = 0;
    for (const auto& p : a.proj) {
        n += k <= 1 ? static_cast<double>(p.rows) * static_cast<double>(p.cols)
                    : blocks(p.rows, k) * blocks(p.cols, k) * static_cast<double>(k);
        if (l.useBias)
            n += static_cast<double>(p.rows);
    }
    return n;
}

double attentionSpectraValues(const ModelSpec& spec, const LayerSpec& l, std::int64_t k)
{
    if (k <= 1)
        return 0.0;
    const AttentionShapes a = shapes(spec, l);
    double n = 0;
    for (std::size_t i = 0; i < 4; ++i)
        n += a.vectors[i] * (blocks(a.proj[i].rows, k) + blocks(a.proj[i].cols, k)) * static_cast<double>(k / 2 + 1);
    return n;
}

} // namespace circnn::hw
