#include "analysis/UnitReordering.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <random>

#include "common/Error.h"
#include "model/ConversionRules.h"
#include "model/LayerTraits.h"
#include "model/ShapeInference.h"

namespace circnn {

namespace {

// A weight kernel viewed as `taps` row-major matrices of rows × cols: W_t[r][c] (Dense: W = Kᵀ;
// Conv2D: one C_out × C_in matrix per spatial tap).
struct MatrixStack {
    std::int64_t taps = 1, rows = 0, cols = 0;
    std::vector<float> w;
    const float* row(std::int64_t t, std::int64_t r) const
    {
        return w.data() + static_cast<std::size_t>((t * rows + r) * cols);
    }
    double norm2() const
    {
        double s = 0;
        for (float x : w)
            s += double(x) * double(x);
        return s;
    }
};

MatrixStack weightMatrices(const LayerSpec& l)
{
    const Shape& s = l.kernel.shape();
    MatrixStack m;
    const bool dense = l.kind == LayerKind::Dense;
    m.taps = dense ? 1 : s[0] * s[1];
    m.cols = dense ? s[0] : s[2];
    m.rows = dense ? s[1] : s[3];
    m.w.resize(static_cast<std::size_t>(m.taps * m.rows * m.cols));
    const float* k = l.kernel.data();
    for (std::int64_t t = 0; t < m.taps; ++t)
        for (std::int64_t c = 0; c < m.cols; ++c)
            for (std::int64_t o = 0; o < m.rows; ++o)
                m.w[static_cast<std::size_t>((t * m.rows + o) * m.cols + c)] = k[(t * m.cols + c) * m.rows + o];
    return m;
}

MatrixStack transposed(const MatrixStack& m)
{
    MatrixStack t;
    t.taps = m.taps;
    t.rows = m.cols;
    t.cols = m.rows;
    t.w.resize(m.w.size());
    for (std::int64_t tap = 0; tap < m.taps; ++tap)
        for (std::int64_t r = 0; r < m.rows; ++r)
            for (std::int64_t c = 0; c < m.cols; ++c)
                t.w[static_cast<std::size_t>((tap * t.rows + c) * t.cols + r)] = m.row(tap, r)[c];
    return t;
}

// One side of the objective: the rows of a matrix stack (one row per unit, in every tap) grouped k
// at a time into block rows. For block row g, cost[g] = Σ over taps, block columns and wrapped
// diagonals of Σ(x − mean)² over the real entries, i.e. ‖W − P_k(W)‖² restricted to that block
// row. With S1 the sum and n the count of the real values on a (block column, diagonal) slot,
//     cost[g] = Σ_slots (S2 − S1²/n) = ‖rows of g‖² − Σ_slots S1²/n,
// since the squares of a block row's entries sum to its rows' norms whatever slots they fall on;
// summed over the block rows, Σ cost = ‖W‖² − Σ_g Σ_slots S1²/n. So only S1 is kept, per block
// row, tap and slot. A swap moves two rows of at most two block rows; with d the change of S1 on a
// slot, Σ cost changes by −Σ_slots (2·S1 + d)·d/n over the block rows involved: one read-only pass
// over their slots (O(taps · n) per proposal, no division in the inner loop). commit() then adds
// d to S1. (reorderUnits' tests hold the reported residual to the one the projection computes.)
class BlockRowSide {
public:
    // share: the side's weight in the objective, relative to its ‖W‖² (see reorderUnits).
    BlockRowSide(const MatrixStack& m, std::int64_t k, double share)
        : m_k(k), m_units(m.rows), m_taps(m.taps), m_q((m.cols + k - 1) / k)
    {
        m_norm2 = m.norm2();
        m_weight = m_norm2 > 0 ? share / m_norm2 : 0.0;
        const std::int64_t width = slotCount();
        // Rows padded with zeros to q·k columns (padding adds nothing to S1 or to a norm).
        m_padded.assign(static_cast<std::size_t>(m_taps * m_units * width), 0.0f);
        for (std::int64_t t = 0; t < m_taps; ++t)
            for (std::int64_t u = 0; u < m_units; ++u)
                std::copy_n(m.row(t, u), m.cols, m_padded.data() + (t * m_units + u) * width);
        // A row at offset r of its block row puts column b·k + ((r − d) mod k) on slot b·k + d.
        m_rotation.resize(static_cast<std::size_t>(k * width));
        for (std::int64_t r = 0; r < k; ++r)
            for (std::int64_t j = 0; j < width; ++j) {
                const std::int64_t b = j / k, d = j % k;
                m_rotation[static_cast<std::size_t>(r * width + j)] =
                    static_cast<std::int32_t>(b * k + ((r - d) % k + k) % k);
            }
        // Real entries per slot: a full block row, and the last one when k does not divide the rows.
        const std::int64_t lastRows = m_units - (groups() - 1) * k;
        m_inverseCount.assign(static_cast<std::size_t>(2 * width), 0.0);
        for (int variant = 0; variant < 2; ++variant)
            for (std::int64_t j = 0; j < width; ++j) {
                int n = 0;
                for (std::int64_t r = 0; r < (variant == 0 ? k : lastRows); ++r)
                    n += m_rotation[static_cast<std::size_t>(r * width + j)] < m.cols ? 1 : 0;
                m_inverseCount[static_cast<std::size_t>(variant * width + j)] = n > 0 ? 1.0 / n : 0.0;
            }
        m_s1.assign(static_cast<std::size_t>(groups() * m_taps * width), 0.0);
    }

    std::int64_t k() const { return m_k; }
    std::int64_t groups() const { return (m_units + m_k - 1) / m_k; }
    double weight() const { return m_weight; }
    // The unit in which the annealing budget (UnitReorderingOptions::maxWorkPerLayer) is counted,
    // per proposal. Kept at its original definition (two block rows of S1 and S2 updates) so that a
    // layer's step count, and with it the search's result, does not depend on how fast a proposal is.
    double work() const { return 2.0 * 6.0 * double(m_taps * slotCount()); }

    // Statistics and costs of every block row for `perm` (position → unit); returns Σ cost.
    double reset(const std::vector<std::int64_t>& perm)
    {
        std::fill(m_s1.begin(), m_s1.end(), 0.0);
        double total = m_norm2;
        for (std::int64_t g = 0; g < groups(); ++g) {
            for (std::int64_t r = 0; r < m_k && g * m_k + r < m_units; ++r)
                addRow(groupS1(g), perm[static_cast<std::size_t>(g * m_k + r)], r, 1.0);
            total -= meanSquares(g);
        }
        return std::max(0.0, total);
    }

    // Positions a and b (units ua, ub before the swap) exchange their units: returns the change of
    // Σ cost; commit() then applies the swap.
    double propose(std::int64_t a, std::int64_t b, std::int64_t ua, std::int64_t ub)
    {
        m_pending = {a, b, ua, ub};
        const std::int64_t ga = a / m_k, gb = b / m_k, ra = a % m_k, rb = b % m_k;
        // Σ‖rows‖² over all block rows does not change; only the S1²/n terms do.
        if (ga == gb) // ub takes offset ra, ua takes offset rb
            return -changeTerm<2>(ga, {{{ub, ua, ra}, {ua, ub, rb}}});
        return -changeTerm<1>(ga, {{{ub, ua, ra}}}) - changeTerm<1>(gb, {{{ua, ub, rb}}});
    }

    void commit()
    {
        const auto [a, b, ua, ub] = m_pending;
        const std::int64_t ga = a / m_k, gb = b / m_k, ra = a % m_k, rb = b % m_k;
        addRow(groupS1(ga), ua, ra, -1.0);
        addRow(groupS1(ga), ub, ra, 1.0);
        addRow(groupS1(gb), ub, rb, -1.0);
        addRow(groupS1(gb), ua, rb, 1.0);
    }

private:
    struct Swap {
        std::int64_t a = 0, b = 0, ua = 0, ub = 0;
    };

    std::int64_t slotCount() const { return m_q * m_k; }
    double* groupS1(std::int64_t g) { return m_s1.data() + g * m_taps * slotCount(); }
    const double* groupS1(std::int64_t g) const { return m_s1.data() + g * m_taps * slotCount(); }
    const double* inverseCount(std::int64_t g) const
    {
        const bool partial = g == groups() - 1 && m_units % m_k != 0;
        return m_inverseCount.data() + (partial ? slotCount() : 0);
    }
    const float* unitRow(std::int64_t t, std::int64_t u) const
    {
        return m_padded.data() + (t * m_units + u) * slotCount();
    }

    // S1 += sign·x for unit u's rows placed at offset r of a block row.
    void addRow(double* s1, std::int64_t u, std::int64_t r, double sign) const
    {
        const std::int64_t width = slotCount();
        const std::int32_t* rot = m_rotation.data() + r * width;
        for (std::int64_t t = 0; t < m_taps; ++t) {
            const float* x = unitRow(t, u);
            double* a = s1 + t * width;
            for (std::int64_t j = 0; j < width; ++j)
                a[j] += sign * double(x[rot[j]]);
        }
    }

    // Σ_slots S1²/n of block row g.
    double meanSquares(std::int64_t g) const
    {
        const std::int64_t width = slotCount();
        const double* s1 = groupS1(g);
        const double* inv = inverseCount(g);
        double sum = 0;
        for (std::int64_t t = 0; t < m_taps; ++t)
            for (std::int64_t j = 0; j < width; ++j)
                sum += s1[t * width + j] * s1[t * width + j] * inv[j];
        return sum;
    }

    // Unit `in` takes the place of unit `out` at offset r of a block row.
    struct Move {
        std::int64_t in, out, r;
    };

    // Σ_slots (2·S1 + d)·d/n of block row g after `moves` (d: the change of S1 on a slot, the sum
    // over the moves of x_in − x_out on their rotated slots). One move when a unit enters from
    // another block row, two for a swap inside it.
    template <std::size_t N> double changeTerm(std::int64_t g, const std::array<Move, N>& moves) const
    {
        const std::int64_t width = slotCount();
        const double* inv = inverseCount(g);
        std::array<const std::int32_t*, N> rot;
        for (std::size_t m = 0; m < N; ++m)
            rot[m] = m_rotation.data() + moves[m].r * width;
        double sum = 0;
        for (std::int64_t t = 0; t < m_taps; ++t) {
            std::array<const float*, N> xi, xo;
            for (std::size_t m = 0; m < N; ++m) {
                xi[m] = unitRow(t, moves[m].in);
                xo[m] = unitRow(t, moves[m].out);
            }
            const double* s1 = groupS1(g) + t * width;
            for (std::int64_t j = 0; j < width; ++j) {
                double d = 0;
                for (std::size_t m = 0; m < N; ++m)
                    d += double(xi[m][rot[m][j]]) - double(xo[m][rot[m][j]]);
                sum += (2.0 * s1[j] + d) * d * inv[j];
            }
        }
        return sum;
    }

    std::int64_t m_k, m_units, m_taps, m_q;
    double m_weight = 0, m_norm2 = 0;
    std::vector<float> m_padded;
    std::vector<std::int32_t> m_rotation;
    std::vector<double> m_inverseCount; // [full block row | last block row], per slot
    std::vector<double> m_s1;           // per block row, tap and slot
    Swap m_pending;
};

// Simulated annealing over swaps of two positions of `perm` (new position → original unit),
// minimising Σ_sides weight · Σ_groups cost. Returns the best permutation visited and its
// objective per side.
struct AnnealResult {
    std::vector<std::int64_t> perm;
    std::vector<double> before, after; // Σ cost per side (unweighted)
    std::int64_t steps = 0;
};

AnnealResult anneal(std::vector<BlockRowSide>& sides, std::int64_t units, std::int64_t steps, std::uint64_t seed,
                    const std::function<void()>& checkpoint)
{
    AnnealResult r;
    std::vector<std::int64_t> perm(static_cast<std::size_t>(units));
    for (std::int64_t i = 0; i < units; ++i)
        perm[static_cast<std::size_t>(i)] = i;
    double total = 0;
    for (BlockRowSide& side : sides) {
        r.before.push_back(side.reset(perm));
        total += side.weight() * r.before.back();
    }
    std::vector<std::int64_t> best = perm;
    double bestTotal = total;
    std::mt19937_64 rng(seed);
    const double t0 = 0.002 * total;
    for (std::int64_t step = 0; step < steps && units >= 2; ++step) {
        if ((step & 4095) == 4095)
            checkpoint();
        const std::int64_t a = static_cast<std::int64_t>(rng() % std::uint64_t(units));
        std::int64_t b = static_cast<std::int64_t>(rng() % std::uint64_t(units - 1));
        if (b >= a)
            ++b;
        const std::int64_t ua = perm[static_cast<std::size_t>(a)], ub = perm[static_cast<std::size_t>(b)];
        double delta = 0;
        for (BlockRowSide& side : sides)
            delta += side.weight() * side.propose(a, b, ua, ub);
        const double temperature = t0 * (1.0 - double(step) / double(steps));
        const double u = double(rng() >> 11) * 0x1.0p-53;
        if (delta <= 0 || (temperature > 0 && u < std::exp(-delta / temperature))) {
            for (BlockRowSide& side : sides)
                side.commit();
            std::swap(perm[static_cast<std::size_t>(a)], perm[static_cast<std::size_t>(b)]);
            total += delta;
            if (total < bestTotal) {
                bestTotal = total;
                best = perm;
            }
        }
        r.steps = step + 1;
    }
    // Exact costs of the best permutation (the running total accumulates rounding).
    for (BlockRowSide& side : sides)
        r.after.push_back(side.reset(best));
    r.perm = std::move(best);
    return r;
}

// The path from a target layer's output to the weighted layer that consumes its units.
struct UnitPath {
    std::vector<std::size_t> batchNorms; // BatchNormalization layers on the way
    std::size_t consumer = 0;
    std::int64_t spatial = 1; // consumer input index = s·units + u for s < spatial
    std::string reason;       // non-empty: cannot reorder
};

UnitPath findUnitPath(const ModelSpec& m, std::size_t target)
{
    UnitPath p;
    const std::string& name = m.layers[target].name;
    if (name == outputWeightLayer(m)) {
        p.reason = "model output layer: its unit order is the model's output";
        return p;
    }
    std::size_t current = target;
    for (;;) {
        const std::string& cur = m.layers[current].name;
        if (std::find(m.outputs.begin(), m.outputs.end(), cur) != m.outputs.end()) {
            p.reason = "its units reach the model output '" + cur + "'";
            return p;
        }
        std::vector<std::size_t> users;
        for (std::size_t j = 0; j < m.layers.size(); ++j)
            if (std::find(m.layers[j].inputs.begin(), m.layers[j].inputs.end(), cur) != m.layers[j].inputs.end())
                users.push_back(j);
        if (users.size() != 1) {
            p.reason = users.empty() ? "the output of '" + cur + "' is not used by another layer"
                                     : "the output of '" + cur + "' feeds " + std::to_string(users.size()) + " layers";
            return p;
        }
        const LayerSpec& u = m.layers[users.front()];
        if (u.inputs.size() != 1) {
            p.reason = "its units feed the " + std::string(layerKindName(u.kind)) + " layer '" + u.name +
                       "' with several inputs";
            return p;
        }
        const Shape& in = m.layers[current].outputShape;
        if (u.kind == LayerKind::Dense || u.kind == LayerKind::Conv2D) {
            if (u.circulant) {
                p.reason = "its consumer '" + u.name + "' is already block-circulant";
                return p;
            }
            if (u.kernel.empty()) {
                p.reason = "its consumer '" + u.name + "' has no weights";
                return p;
            }
            p.consumer = users.front();
            return p;
        }
        if (u.kind == LayerKind::BatchNormalization) {
            const std::int64_t rank = static_cast<std::int64_t>(in.size());
            if (u.axis != -1 && u.axis != rank - 1) {
                p.reason = "BatchNormalization '" + u.name + "' does not normalise the unit axis";
                return p;
            }
            p.batchNorms.push_back(users.front());
        } else if (u.kind == LayerKind::Flatten) {
            if (in.size() == 3) {
                if (p.spatial != 1) {
                    p.reason = "two Flatten layers on the way to the consumer";
                    return p;
                }
                p.spatial = in[0] * in[1];
            } else if (in.size() != 1) {
                p.reason = "Flatten '" + u.name + "' of a rank-" + std::to_string(in.size()) + " tensor";
                return p;
            }
        } else if (!layerTraits(u.kind).unitWise) {
            p.reason = "its units feed the " + std::string(layerKindName(u.kind)) + " layer '" + u.name + "'";
            return p;
        }
        current = users.front();
    }
}

// t (…, units): new [..., u] = old [..., perm[u]].
void permuteLastAxis(Tensor& t, const std::vector<std::int64_t>& perm)
{
    if (t.empty())
        return;
    const std::int64_t units = static_cast<std::int64_t>(perm.size());
    const std::int64_t outer = t.size() / units;
    std::vector<float> tmp(static_cast<std::size_t>(units));
    for (std::int64_t o = 0; o < outer; ++o) {
        float* x = t.data() + o * units;
        for (std::int64_t u = 0; u < units; ++u)
            tmp[static_cast<std::size_t>(u)] = x[perm[static_cast<std::size_t>(u)]];
        std::copy(tmp.begin(), tmp.end(), x);
    }
}

// Consumer kernel (Dense (in, out) or Conv2D (kh, kw, in, out)): input index s·units + u takes
// the old input index s·units + perm[u].
void permuteConsumerInputs(LayerSpec& c, const std::vector<std::int64_t>& perm, std::int64_t spatial)
{
    const Shape& s = c.kernel.shape();
    const std::int64_t out = s.back();
    const std::int64_t in = s[s.size() - 2];
    const std::int64_t taps = c.kind == LayerKind::Dense ? 1 : s[0] * s[1];
    const std::int64_t units = static_cast<std::int64_t>(perm.size());
    if (in != spatial * units)
        throw Error("unit reordering: layer '" + c.name + "' has " + std::to_string(in) + " inputs, expected " +
                    std::to_string(spatial * units));
    Tensor old = c.kernel;
    for (std::int64_t t = 0; t < taps; ++t)
        for (std::int64_t sp = 0; sp < spatial; ++sp)
            for (std::int64_t u = 0; u < units; ++u) {
                const float* from = old.data() + (t * in + sp * units + perm[static_cast<std::size_t>(u)]) * out;
                std::copy_n(from, out, c.kernel.data() + (t * in + sp * units + u) * out);
            }
}

double relative(double residual2, double norm2)
{
    return norm2 > 0 ? std::sqrt(residual2 / norm2) : 0.0;
}

} // namespace

UnitReorderingResult reorderUnits(const ModelSpec& model, const std::vector<ReorderTarget>& targets,
                                  const UnitReorderingOptions& options)
{
    UnitReorderingResult result;
    result.model = model;
    ModelSpec& m = result.model;
    inferShapes(m, true);
    std::map<std::string, std::int64_t> blockOf;
    for (const ReorderTarget& t : targets) {
        const LayerSpec* l = m.find(t.layer);
        if (!l)
            throw Error("unit reordering of model '" + m.name + "': no layer '" + t.layer + "'");
        if (l->kind != LayerKind::Dense && l->kind != LayerKind::Conv2D)
            throw Error("unit reordering of model '" + m.name + "': layer '" + t.layer + "' is a " +
                        layerKindName(l->kind) + " layer, not Dense or Conv2D");
        if (t.blockSize < 1)
            throw Error("unit reordering of model '" + m.name + "': block size " + std::to_string(t.blockSize) +
                        " for layer '" + t.layer + "' must be at least 1");
        if (!l->circulant && l->kernel.empty())
            throw Error("unit reordering of model '" + m.name + "': layer '" + t.layer + "' has no weights");
        blockOf[t.layer] = t.blockSize;
    }
    const std::size_t total = blockOf.size();
    std::size_t done = 0;
    reportProgress(options.progress, 0, total);
    for (std::size_t i = 0; i < m.layers.size(); ++i) {
        const auto target = blockOf.find(m.layers[i].name);
        if (target == blockOf.end())
            continue;
        LayerSpec& l = m.layers[i];
        LayerReordering rep;
        rep.layer = l.name;
        if (l.circulant) {
            rep.reason = "already block-circulant";
        } else {
            const MatrixStack own = weightMatrices(l);
            const double ownNorm = own.norm2();
            const std::int64_t k = target->second;
            const UnitPath path = findUnitPath(m, i);
            // The consumer's kernel joins the objective when it is converted too and sees the units
            // one to one. Relative residual² of each kernel weighted by its share of the weights: a
            // small consumer does not outweigh a large layer.
            std::vector<BlockRowSide> sides;
            const auto consumerTarget =
                path.reason.empty() ? blockOf.find(m.layers[path.consumer].name) : blockOf.end();
            if (consumerTarget != blockOf.end() && path.spatial == 1) {
                const MatrixStack next = transposed(weightMatrices(m.layers[path.consumer]));
                const double a = double(own.w.size()), b = double(next.w.size());
                sides.emplace_back(own, k, a / (a + b));
                sides.emplace_back(next, consumerTarget->second, b / (a + b));
            } else {
                sides.emplace_back(own, k, 1.0);
            }
            if (!path.reason.empty()) {
                rep.reason = path.reason;
                const AnnealResult a = anneal(sides, own.rows, 0, 0, [] {});
                rep.residualBefore = rep.residualAfter = relative(a.before[0], ownNorm);
            } else {
                LayerSpec& consumer = m.layers[path.consumer];
                rep.consumer = consumer.name;
                double work = 0;
                for (const BlockRowSide& s : sides)
                    work += s.work();
                const std::int64_t steps = std::max<std::int64_t>(
                    0,
                    std::min<std::int64_t>(options.stepsPerUnit * own.rows,
                                           static_cast<std::int64_t>(options.maxWorkPerLayer / std::max(1.0, work))));
                const AnnealResult a = anneal(sides, own.rows, steps, options.seed * 0x9e3779b97f4a7c15ull + i,
                                              [&] { reportProgress(options.progress, done, total); });
                rep.residualBefore = relative(a.before[0], ownNorm);
                rep.residualAfter = relative(a.after[0], ownNorm);
                rep.steps = a.steps;
                rep.reordered = true;
                rep.permutation = a.perm;
                permuteLastAxis(l.kernel, a.perm);
                permuteLastAxis(l.bias, a.perm);
                for (std::size_t bn : path.batchNorms) {
                    LayerSpec& b = m.layers[bn];
                    permuteLastAxis(b.gamma, a.perm);
                    permuteLastAxis(b.beta, a.perm);
                    permuteLastAxis(b.movingMean, a.perm);
                    permuteLastAxis(b.movingVariance, a.perm);
                }
                permuteConsumerInputs(consumer, a.perm, path.spatial);
            }
        }
        result.layers.push_back(std::move(rep));
        reportProgress(options.progress, ++done, total);
    }
    return result;
}

} // namespace circnn
