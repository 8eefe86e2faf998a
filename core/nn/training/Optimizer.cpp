#include "nn/training/Optimizer.h"

#include <cmath>

#include "common/Error.h"
#include "common/Parallel.h"

namespace circnn {

namespace {
// Smallest share of a parameter's elements worth a thread of its own.
constexpr std::size_t kParallelElements = 1 << 15;
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
    if (parameters.size() != gradients.size())
        throw ShapeError("optimizer: " + std::to_string(parameters.size()) + " parameters but " +
                         std::to_string(gradients.size()) + " gradients");
    if (m_first.empty()) {
        m_first.resize(parameters.size());
        if (m_options.kind == OptimizerKind::Adam)
            m_second.resize(parameters.size());
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            m_first[i].assign(parameters[i].values.size(), 0.0f);
            if (m_options.kind == OptimizerKind::Adam)
                m_second[i].assign(parameters[i].values.size(), 0.0f);
        }
    }
    if (m_first.size() != parameters.size())
        throw ShapeError("optimizer: the parameter list changed between steps");
    ++m_steps;
    const double lambda = m_options.weightDecay;
    const double b1 = m_options.beta1, b2 = m_options.beta2;
    const double c1 = 1.0 - std::pow(b1, double(m_steps)), c2 = 1.0 - std::pow(b2, double(m_steps));
    for (std::size_t t = 0; t < parameters.size(); ++t) {
        const ParameterRef& p = parameters[t];
        const Tensor& g = gradients[t];
        if (static_cast<std::int64_t>(p.values.size()) != g.size() || m_first[t].size() != p.values.size())
            throw ShapeError("optimizer: parameter " + p.layer + "/" + p.role + " has " +
                             std::to_string(p.values.size()) + " values but its gradient has " +
                             std::to_string(g.size()));
        const bool decay = lambda > 0 && (p.role == "kernel" || p.role == "vectors" || p.role.ends_with("/kernel") ||
                                          p.role.ends_with("/vectors")); // attention projections
        float* w = p.values.data();
        float* m = m_first[t].data();
        const std::size_t n = p.values.size();
        // Element-wise updates, split over the cores for large parameters (each element is updated by
        // one thread: results do not depend on the thread count).
        if (m_options.kind == OptimizerKind::Sgd) {
            const double mu = m_options.momentum;
            parallelFor(
                n,
                [&](std::size_t begin, std::size_t end) {
                    for (std::size_t i = begin; i < end; ++i) {
                        const double gi = double(g[static_cast<std::int64_t>(i)]) + (decay ? lambda * w[i] : 0.0);
                        const double v = mu * m[i] + gi;
                        m[i] = static_cast<float>(v);
                        w[i] = static_cast<float>(w[i] - learningRate * v);
                    }
                },
                kParallelElements);
        } else {
            float* s = m_second[t].data();
            parallelFor(
                n,
                [&](std::size_t begin, std::size_t end) {
                    for (std::size_t i = begin; i < end; ++i) {
                        const double gi = double(g[static_cast<std::int64_t>(i)]) + (decay ? lambda * w[i] : 0.0);
                        const double mi = b1 * m[i] + (1 - b1) * gi;
                        const double si = b2 * s[i] + (1 - b2) * gi * gi;
                        m[i] = static_cast<float>(mi);
                        s[i] = static_cast<float>(si);
                        w[i] = static_cast<float>(w[i] -
                                                  learningRate * (mi / c1) / (std::sqrt(si / c2) + m_options.epsilon));
                    }
                },
                kParallelElements);
        }
    }
}

} // namespace circnn
