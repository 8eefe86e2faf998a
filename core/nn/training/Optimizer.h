#pragma once
// First-order optimizers over a model's parameters: SGD with (heavy-ball) momentum and Adam.
//
// Weight decay is L2 regularisation added to the gradient (g ← g + λ·w) before the update, for
// weight tensors only (roles "kernel" and "vectors"); biases and BatchNormalization gamma/beta are
// not decayed.
//   SGD:  v ← μ·v + g;  w ← w − η·v               (μ = 0: plain SGD)
//   Adam: m ← β1·m + (1−β1)·g;  s ← β2·s + (1−β2)·g²;
//         w ← w − η · (m / (1−β1^t)) / (sqrt(s / (1−β2^t)) + ε)      (t = step count from 1)
// State is kept per parameter tensor, by position in the list given to step().
// The element-wise updates are the kernels of OptimizerKernels.h (vectorised; a scalar reference
// form is tested against them), run over all parameters at once in element ranges split over the
// cores: every element is updated by one thread with the same operations, so results do not depend
// on the thread count.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/Tensor.h"
#include "nn/Model.h"

namespace circnn {

enum class OptimizerKind { Sgd, Adam };

// A kernel gradient the optimizer forms itself, a block of kernel rows at a time just before
// updating that block, so that it never goes through memory whole: dK = Σ_s x_sᵀ·g_s (in × out,
// row-major, the kernel's layout) over the shards of a mini-batch, each with its layer input x_s
// (rows_s × in) and the gradient g_s (rows_s × out) at the layer's pre-activation output
// (Model::deferredKernelGradients()). Each block is one BLAS product per shard, accumulated in
// shard order.
struct KernelGradientSource {
    struct Part {
        const float* x = nullptr;
        const float* g = nullptr;
        std::int64_t rows = 0;
    };
    std::size_t parameter = 0; // index into the parameter list
    std::int64_t in = 0, out = 0;
    std::vector<Part> parts;
};

// "sgd" / "adam" (nullopt otherwise) and back.
std::optional<OptimizerKind> optimizerFromName(const std::string& name);
const char* optimizerName(OptimizerKind kind);

struct OptimizerOptions {
    OptimizerKind kind = OptimizerKind::Adam;
    double learningRate = 1e-3;                        // base rate; a schedule scales it per epoch
    double momentum = 0.9;                             // SGD only
    double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7; // Adam only (Keras defaults)
    double weightDecay = 0;                            // λ of the L2 term
};

class Optimizer {
public:
    explicit Optimizer(OptimizerOptions options);

    // Updates every parameter in place from its gradient (same order and sizes; throws ShapeError
    // otherwise) with the given learning rate (the schedule's value for this step).
    void step(const std::vector<ParameterRef>& parameters, const std::vector<Tensor>& gradients, double learningRate);
    // The same step with each parameter's gradient given as a sum of parts (the per-thread shards of
    // a mini-batch): gradient t = ((parts[0][t] + parts[1][t]) + parts[2][t]) + … in float, the sum
    // the trainer formed before, so results equal step() on the summed gradients to the last bit. The
    // sum is formed in small blocks just before their update (no summed copy goes through memory).
    // `kernels` lists parameters whose gradient is formed from a KernelGradientSource instead; their
    // entries in `parts` are ignored.
    void stepSummed(const std::vector<ParameterRef>& parameters, const std::vector<const std::vector<Tensor>*>& parts,
                    double learningRate, const std::vector<KernelGradientSource>& kernels = {});

    const OptimizerOptions& options() const { return m_options; }
    std::int64_t stepCount() const { return m_steps; }

private:
    OptimizerOptions m_options;
    std::int64_t m_steps = 0;
    // Per parameter: SGD velocity / Adam first moment, and Adam's second moment (null for SGD).
    // Allocated uninitialised and zeroed by the threads of the first step, each in its own element
    // range (pages are first touched in parallel, not by one thread before the step).
    struct State {
        std::size_t size = 0;
        std::unique_ptr<float[]> first, second;
    };
    std::vector<State> m_state;
};

} // namespace circnn
