#include "nn/training/Optimizer.h"

#include <algorithm>
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
                           const std::vector<const std::vector<Tensor>*>& parts, double learningRate)
{
    if (parts.empty())
        throw ShapeError("optimizer: no gradients");
    for (const std::vector<Tensor>* gradients : parts)
        if (parameters.size() != gradients->size())
            throw ShapeError("optimizer: " + std::to_string(parameters.size()) + " parameters but " +
                             std::to_string(gradients->size()) + " gradients");
    const bool adam = m_options.kind == OptimizerKind::Adam;
    const bool fresh = m_state.empty();
    if (!fresh && m_state.size() != parameters.size())
        throw ShapeError("optimizer: the parameter list changed between steps");
    for (std::size_t t = 0; t < parameters.size(); ++t) {
        const ParameterRef& p = parameters[t];
        for (const std::vector<Tensor>* gradients : parts)
            if (static_cast<std::int64_t>(p.values.size()) != (*gradients)[t].size())
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
            st.first.reset(new float[st.size]); // zeroed in the update loop below
            if (adam)
                st.second.reset(new float[st.size]);
        }
    }

    // All parameters as one range of elements: segment t covers [offset, offset + n).
    struct Segment {
        float *w, *m, *s;
        std::size_t param, offset, n;
        double decay;
    };
    std::vector<Segment> segments;
    segments.reserve(parameters.size());
    std::size_t total = 0;
    const double lambda = m_options.weightDecay;
    for (std::size_t t = 0; t < parameters.size(); ++t) {
        const ParameterRef& p = parameters[t];
        const bool decay = lambda > 0 && (p.role == "kernel" || p.role == "vectors" || p.role.ends_with("/kernel") ||
                                          p.role.ends_with("/vectors")); // attention projections
        segments.push_back({p.values.data(), m_state[t].first.get(), m_state[t].second.get(), t, total, p.values.size(),
                            decay ? lambda : 0.0});
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

    parallelFor(
        total,
        [&](std::size_t begin, std::size_t end) {
            float block[kSumBlock];
            for (const Segment& seg : segments) {
                const std::size_t lo = std::max(begin, seg.offset), hi = std::min(end, seg.offset + seg.n);
                if (lo >= hi)
                    continue;
                const std::size_t i0 = lo - seg.offset, i1 = hi - seg.offset;
                if (fresh) {
                    std::fill(seg.m + i0, seg.m + i1, 0.0f);
                    if (adam)
                        std::fill(seg.s + i0, seg.s + i1, 0.0f);
                }
                const float* single = parts.size() == 1 ? (*parts[0])[seg.param].data() : nullptr;
                const std::size_t blockSize = single ? i1 - i0 : kSumBlock;
                for (std::size_t i = i0; i < i1; i += blockSize) {
                    const std::size_t n = std::min(blockSize, i1 - i);
                    const float* g = single ? single + i : sumParts(parts, seg.param, i, n, block);
                    if (adam) {
                        optimizer::AdamCoefficients c = ad;
                        c.weightDecay = seg.decay;
                        optimizer::adamUpdate(c, seg.w + i, seg.m + i, seg.s + i, g, n);
                    } else {
                        optimizer::SgdCoefficients c = sgd;
                        c.weightDecay = seg.decay;
                        optimizer::sgdUpdate(c, seg.w + i, seg.m + i, g, n);
                    }
                }
            }
        },
        kParallelElements);
}

} // namespace circnn
