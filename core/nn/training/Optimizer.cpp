#include "nn/training/Optimizer.h"

#include <algorithm>
#include <cblas.h>
#include <cmath>

#include "common/Error.h"
#include "common/Parallel.h"
#include "nn/training/OptimizerKernels.h"

namespace circnn {

namespace {
// Smallest share of a parameter's elements worth a thread of its own.
constexpr std::size_t kParallelElements = 1 << 15;
// Elements whose gradient parts are summed at a time (in a buffer that stays in L1).
constexpr std::size_t kSumBlock = 1024;

// out[0, n) = parts[0][param][i, i + n) + parts[1][param][…] + … (float, in part order); returns out.
const float* sumParts(const std::vector<const std::vector<Tensor>*>& parts, std::size_t param, std::size_t i,
                      std::size_t n, float* out)
{
    const float* first = (*parts[0])[param].data() + i;
    std::copy(first, first + n, out);
    for (std::size_t k = 1; k < parts.size(); ++k) {
        const float* g = (*parts[k])[param].data() + i;
        for (std::size_t j = 0; j < n; ++j)
            out[j] += g[j];
    }
    return out;
}

// Elements of a kernel gradient formed at a time (whole rows, 1 MB: a thread's block stays in its
// L2 cache between the product and the update).
constexpr std::int64_t kKernelBlockElements = 1 << 18;

// Rows [row0, row0 + rows) of dK = Σ_s x_sᵀ·g_s into out (rows × k.out): one product per part,
// accumulated in part order.
void kernelGradientRows(const KernelGradientSource& k, std::int64_t row0, std::int64_t rows, float* out)
{
    bool first = true;
    for (const KernelGradientSource::Part& part : k.parts) {
        if (part.rows == 0)
            continue;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(k.out),
                    static_cast<int>(part.rows), 1.0f, part.x + row0, static_cast<int>(k.in), part.g,
                    static_cast<int>(k.out), first ? 0.0f : 1.0f, out, static_cast<int>(k.out));
        first = false;
    }
    if (first) // no rows at all: a zero gradient
        std::fill(out, out + rows * k.out, 0.0f);
}
} // namespace

std::optional<OptimizerKind> optimizerFromName(const std::string& name)
{
    if (name == "sgd")
        return OptimizerKind::Sgd;
    if (name == "adam")
        return OptimizerKind::Adam;
    return std::nullopt;
}

const char* optimizerName(OptimizerKind kind)
{
    return kind == OptimizerKind::Sgd ? "sgd" : "adam";
}

Optimizer::Optimizer(OptimizerOptions options) : m_options(options)
{
    if (!(options.learningRate > 0) || !std::isfinite(options.learningRate))
        throw Error("optimizer: learning rate must be a positive number, found " +
                    std::to_string(options.learningRate));
    if (options.momentum < 0 || options.momentum >= 1)
        throw Error("optimizer: momentum must be in [0, 1), found " + std::to_string(options.momentum));
    if (options.weightDecay < 0)
        throw Error("optimizer: weight decay must be >= 0, found " + std::to_string(options.weightDecay));
    if (options.beta1 < 0 || options.beta1 >= 1 || options.beta2 < 0 || options.beta2 >= 1 || !(options.epsilon > 0))
        throw Error("optimizer: Adam needs beta1, beta2 in [0, 1) and epsilon > 0");
}

void Optimizer::step(const std::vector<ParameterRef>& parameters, const std::vector<Tensor>& gradients,
                     double learningRate)
{
    stepSummed(parameters, {&gradients}, learningRate);
}

void Optimizer::stepSummed(const std::vector<ParameterRef>& parameters,
                           const std::vector<const std::vector<Tensor>*>& parts, double learningRate,
                           const std::vector<KernelGradientSource>& kernels)
{
    if (parts.empty())
        throw ShapeError("optimizer: no gradients");
    for (const std::vector<Tensor>* gradients : parts)
        if (parameters.size() != gradients->size())
            throw ShapeError("optimizer: " + std::to_string(parameters.size()) + " parameters but " +
                             std::to_string(gradients->size()) + " gradients");
    // source[t]: the KernelGradientSource of parameter t, or null when its gradient is in `parts`.
    std::vector<const KernelGradientSource*> source(parameters.size(), nullptr);
    for (const KernelGradientSource& k : kernels) {
        if (k.parameter >= parameters.size() || source[k.parameter])
            throw ShapeError("optimizer: kernel gradient source for parameter " + std::to_string(k.parameter) + " of " +
                             std::to_string(parameters.size()) + " (or given twice)");
        const ParameterRef& p = parameters[k.parameter];
        if (k.in <= 0 || k.out <= 0 || static_cast<std::size_t>(k.in * k.out) != p.values.size())
            throw ShapeError("optimizer: parameter " + p.layer + "/" + p.role + " has " +
                             std::to_string(p.values.size()) + " values but its kernel gradient source is " +
                             std::to_string(k.in) + " x " + std::to_string(k.out));
        for (const KernelGradientSource::Part& part : k.parts)
            if (part.rows < 0 || (part.rows > 0 && (!part.x || !part.g)))
                throw ShapeError("optimizer: kernel gradient source of " + p.layer + "/" + p.role +
                                 " has an invalid part");
        source[k.parameter] = &k;
    }
    const bool adam = m_options.kind == OptimizerKind::Adam;
    const bool fresh = m_state.empty();
    if (!fresh && m_state.size() != parameters.size())
        throw ShapeError("optimizer: the parameter list changed between steps");
    for (std::size_t t = 0; t < parameters.size(); ++t) {
        const ParameterRef& p = parameters[t];
        for (const std::vector<Tensor>* gradients : parts)
            if (!source[t] && static_cast<std::int64_t>(p.values.size()) != (*gradients)[t].size())
                throw ShapeError("optimizer: parameter " + p.layer + "/" + p.role + " has " +
                                 std::to_string(p.values.size()) + " values but its gradient has " +
                                 std::to_string((*gradients)[t].size()));
        if (!fresh && m_state[t].size != p.values.size())
            throw ShapeError("optimizer: parameter " + p.layer + "/" + p.role + " changed size between steps");
    }
    if (fresh) {
        m_state.resize(parameters.size());
        for (std::size_t t = 0; t < parameters.size(); ++t) {
            State& st = m_state[t];
            st.size = parameters[t].values.size();
            st.first.reset(new float[st.size]); // zeroed in the update loops below
            if (adam)
                st.second.reset(new float[st.size]);
        }
    }

    // All parameters with gradients in `parts` as one range of elements: a segment covers [offset,
    // offset + n). The kernels with a source are updated in blocks of rows, after them.
    struct Segment {
        float *w, *m, *s;
        std::size_t param, offset, n;
        double decay;
    };
    std::vector<Segment> segments, kernelSegments;
    segments.reserve(parameters.size());
    std::size_t total = 0;
    const double lambda = m_options.weightDecay;
    for (std::size_t t = 0; t < parameters.size(); ++t) {
        const ParameterRef& p = parameters[t];
        const bool decay = lambda > 0 && (p.role == "kernel" || p.role == "vectors" || p.role.ends_with("/kernel") ||
                                          p.role.ends_with("/vectors")); // attention projections
        const Segment seg{p.values.data(), m_state[t].first.get(), m_state[t].second.get(), t,
                          total,           p.values.size(),        decay ? lambda : 0.0};
        if (source[t]) {
            kernelSegments.push_back(seg);
            continue;
        }
        segments.push_back(seg);
        total += p.values.size();
    }
    ++m_steps;

    optimizer::SgdCoefficients sgd;
    sgd.learningRate = learningRate;
    sgd.momentum = m_options.momentum;
    optimizer::AdamCoefficients ad;
    ad.learningRate = learningRate;
    ad.beta1 = m_options.beta1;
    ad.beta2 = m_options.beta2;
    ad.epsilon = m_options.epsilon;
    ad.correction1 = 1.0 - std::pow(m_options.beta1, double(m_steps));
    ad.correction2 = 1.0 - std::pow(m_options.beta2, double(m_steps));

    // Updates elements [i, i + n) of a segment from their gradient g.
    const auto update = [&](const Segment& seg, std::size_t i, std::size_t n, const float* g) {
        if (fresh) {
            std::fill(seg.m + i, seg.m + i + n, 0.0f);
            if (adam)
                std::fill(seg.s + i, seg.s + i + n, 0.0f);
        }
        if (adam) {
            optimizer::AdamCoefficients c = ad;
            c.weightDecay = seg.decay;
            optimizer::adamUpdate(c, seg.w + i, seg.m + i, seg.s + i, g, n);
        } else {
            optimizer::SgdCoefficients c = sgd;
            c.weightDecay = seg.decay;
            optimizer::sgdUpdate(c, seg.w + i, seg.m + i, g, n);
        }
    };

    parallelFor(
        total,
        [&](std::size_t begin, std::size_t end) {
            float block[kSumBlock];
            for (const Segment& seg : segments) {
                const std::size_t lo = std::max(begin, seg.offset), hi = std::min(end, seg.offset + seg.n);
                if (lo >= hi)
                    continue;
                const std::size_t i0 = lo - seg.offset, i1 = hi - seg.offset;
                const float* single = parts.size() == 1 ? (*parts[0])[seg.param].data() : nullptr;
                const std::size_t blockSize = single ? i1 - i0 : kSumBlock;
                for (std::size_t i = i0; i < i1; i += blockSize) {
                    const std::size_t n = std::min(blockSize, i1 - i);
                    update(seg, i, n, single ? single + i : sumParts(parts, seg.param, i, n, block));
                }
            }
        },
        kParallelElements);

    if (kernelSegments.empty())
        return;
    // Blocks of kernel rows of a fixed size (which rows a block holds never depends on the thread
    // count), split over the cores; a thread forms a block's gradient in a buffer of its own that
    // stays in cache for the update right after.
    struct RowBlock {
        const Segment* seg;
        std::int64_t row0, row1;
    };
    std::vector<RowBlock> blocks;
    for (const Segment& seg : kernelSegments) {
        const KernelGradientSource& k = *source[seg.param];
        const std::int64_t rowsPerBlock = std::max<std::int64_t>(1, kKernelBlockElements / k.out);
        for (std::int64_t r = 0; r < k.in; r += rowsPerBlock)
            blocks.push_back({&seg, r, std::min(k.in, r + rowsPerBlock)});
    }
    parallelFor(blocks.size(), [&](std::size_t begin, std::size_t end) {
        thread_local std::vector<float> gradient; // kept: no fresh pages every step
        for (std::size_t b = begin; b < end; ++b) {
            const RowBlock& rb = blocks[b];
            const KernelGradientSource& k = *source[rb.seg->param];
            const std::int64_t rows = rb.row1 - rb.row0;
            gradient.resize(static_cast<std::size_t>(rows * k.out));
            kernelGradientRows(k, rb.row0, rows, gradient.data());
            update(*rb.seg, static_cast<std::size_t>(rb.row0 * k.out), gradient.size(), gradient.data());
        }
    });
}

} // namespace circnn
